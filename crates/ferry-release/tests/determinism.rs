//! Property: the release id depends on committed content only, not on the order in which files
//! were created on disk, so two people building the same tree always agree.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::TestRepo;
use ferry_release::ReleaseStore;
use proptest::prelude::*;
use std::collections::BTreeMap;

fn build(files: &[(String, String)], dirty: bool) -> ferry_release::ReleaseId {
    let repo = TestRepo::empty();
    repo.write("ferry.toml", "# project\n");
    if dirty {
        repo.commit_all("Base");
    }
    for (path, content) in files {
        repo.write(path, content);
    }
    if !dirty {
        repo.commit_all("Same tree");
    }
    let built = ReleaseStore::new(&repo.data_dir())
        .create(repo.path(), None, dirty)
        .unwrap();
    assert_eq!(built.manifest.dirty, dirty && !files.is_empty());
    built.id
}

proptest! {
    // Each case creates git repositories; a few cases cover the property without a slow suite.
    #![proptest_config(ProptestConfig { cases: 8, ..ProptestConfig::default() })]

    #[test]
    fn creation_order_does_not_change_the_id(
        files in proptest::collection::btree_map("[a-z]{1,6}(/[a-z]{1,6})?\\.tf", "[ -~]{0,40}", 1..8),
        rotate in 0usize..8,
    ) {
        let files: BTreeMap<String, String> = files
            .into_iter()
            .filter(|(p, _)| p != "ferry.toml")
            .collect();
        // A path cannot be both a file and a directory.
        let paths: Vec<&String> = files.keys().collect();
        prop_assume!(!paths.iter().any(|p| paths.iter().any(|q| q.starts_with(&format!("{}/", p.trim_end_matches(".tf"))))));
        let forward: Vec<(String, String)> = files.into_iter().collect();
        let mut reordered = forward.clone();
        reordered.reverse();
        let len = reordered.len();
        reordered.rotate_left(rotate % len);

        // Committed: same commit ids because dates and identities are fixed.
        prop_assert_eq!(build(&forward, false), build(&reordered, false));
        // From the work tree (allow_dirty), where directory listing order really differs.
        prop_assert_eq!(build(&forward, true), build(&reordered, true));
    }
}
