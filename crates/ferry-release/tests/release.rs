//! End-to-end behaviour of building, storing, verifying and unpacking releases against real
//! git repositories.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::{git, TestRepo};
use ferry_release::{ReleaseError, ReleaseStore};
use std::fs;
use std::os::unix::fs::PermissionsExt;

#[test]
fn same_commit_twice_gives_same_id_and_identical_file() {
    let repo = TestRepo::with_project();
    let store = ReleaseStore::new(&repo.data_dir());
    let first = store.create(repo.path(), None, false).unwrap();
    assert!(!first.already_existed);
    let path = store.path_of(&first.id);
    let bytes = fs::read(&path).unwrap();
    assert_eq!(bytes.len() as u64, first.size_compressed);

    let second = store.create(repo.path(), None, false).unwrap();
    assert_eq!(second.id, first.id);
    assert!(second.already_existed);
    assert_eq!(fs::read(&path).unwrap(), bytes);

    // Rebuilt from scratch (not merely left in place), the file is the same bytes.
    fs::remove_file(&path).unwrap();
    let third = store
        .create(repo.path(), Some(&repo.head()), false)
        .unwrap();
    assert_eq!(third.id, first.id);
    assert!(!third.already_existed);
    assert_eq!(fs::read(&path).unwrap(), bytes);
    assert_eq!(store.list_ids().unwrap(), vec![first.id.clone()]);
}

#[test]
fn two_clones_of_one_commit_give_the_same_id() {
    let repo = TestRepo::with_project();
    let other = tempfile::tempdir().unwrap();
    let clone = other.path().join("clone");
    git(
        other.path(),
        &["clone", "-q", repo.path().to_str().unwrap(), "clone"],
    );
    let a = ReleaseStore::new(&repo.data_dir())
        .create(repo.path(), None, false)
        .unwrap();
    let b_store = ReleaseStore::new(&clone.join(".ferry"));
    let b = b_store.create(&clone, None, false).unwrap();
    assert_eq!(a.id, b.id);
    assert_eq!(
        fs::read(ReleaseStore::new(&repo.data_dir()).path_of(&a.id)).unwrap(),
        fs::read(b_store.path_of(&b.id)).unwrap()
    );
}

#[test]
fn a_different_commit_gives_a_different_id() {
    let repo = TestRepo::with_project();
    let store = ReleaseStore::new(&repo.data_dir());
    let v1 = store.create(repo.path(), None, false).unwrap();
    repo.write("infra/environments/prod.tfvars", "replicas = 4\n");
    let commit = repo.commit_all("Scale prod");
    let v2 = store.create(repo.path(), None, false).unwrap();
    assert_ne!(v1.id, v2.id);
    assert_eq!(v2.manifest.commit, commit);
    assert_eq!(v2.manifest.subject, "Scale prod");
    assert_eq!(v2.manifest.author, "test@example.com");
    assert!(!v2.manifest.dirty);
    // The older commit can still be released by name, and gives back the first id.
    let again = store.create(repo.path(), Some("HEAD~1"), false).unwrap();
    assert_eq!(again.id, v1.id);
}

#[test]
fn manifest_lists_the_whole_committed_tree() {
    let repo = TestRepo::with_project();
    let built = ReleaseStore::new(&repo.data_dir())
        .create(repo.path(), None, false)
        .unwrap();
    assert_eq!(
        built.manifest.files,
        vec![
            "ferry.toml",
            "infra/environments/dev.tfvars",
            "infra/environments/prod.tfvars",
            "infra/main.tf",
            "infra/modules/web/main.tf",
            "scripts/check.sh",
        ]
    );
    assert_eq!(built.manifest.format, 1);
    assert_eq!(built.manifest.commit.len(), 40);
    assert!(built.size_uncompressed > built.size_compressed);
}

#[test]
fn a_dirty_tree_is_refused_naming_the_paths() {
    let repo = TestRepo::with_project();
    repo.write("infra/main.tf", "# edited\n");
    repo.write("infra/new.tf", "# new\n");
    let store = ReleaseStore::new(&repo.data_dir());
    let err = store.create(repo.path(), None, false).unwrap_err();
    let ReleaseError::Dirty { paths, more } = &err else {
        panic!("expected Dirty, got {err}")
    };
    assert_eq!(
        paths,
        &vec!["infra/main.tf".to_string(), "infra/new.tf".to_string()]
    );
    assert_eq!(*more, 0);
    let message = err.to_string();
    assert!(
        message.contains("infra/main.tf") && message.contains("--allow-dirty"),
        "{message}"
    );
    assert!(store.list_ids().unwrap().is_empty());
}

#[test]
fn a_dirty_error_names_at_most_ten_paths() {
    let repo = TestRepo::with_project();
    for i in 0..13 {
        repo.write(&format!("extra/{i:02}.tf"), "#\n");
    }
    let err = ReleaseStore::new(&repo.data_dir())
        .create(repo.path(), None, false)
        .unwrap_err();
    let ReleaseError::Dirty { paths, more } = &err else {
        panic!("expected Dirty, got {err}")
    };
    assert_eq!((paths.len(), *more), (10, 3));
    assert!(err.to_string().contains("and 3 more"), "{err}");
}

#[test]
fn the_data_dir_never_makes_the_tree_dirty_nor_enters_the_bundle() {
    let repo = TestRepo::with_project();
    // No .gitignore entry for .ferry/: its files are untracked, yet must not count.
    let store = ReleaseStore::new(&repo.data_dir());
    let first = store.create(repo.path(), None, false).unwrap();
    fs::write(repo.data_dir().join("ledger.db"), "x").unwrap();
    let second = store.create(repo.path(), None, false).unwrap();
    assert_eq!(first.id, second.id);

    // A committed data dir is left out of the bundle too.
    git(repo.path(), &["add", "-f", ".ferry/ledger.db"]);
    git(
        repo.path(),
        &["commit", "-q", "-m", "oops, committed the ledger"],
    );
    let third = store.create(repo.path(), None, false).unwrap();
    assert!(third
        .manifest
        .files
        .iter()
        .all(|f| !f.starts_with(".ferry")));
}

#[test]
fn a_configured_data_dir_is_honoured_the_same_way() {
    let repo = TestRepo::with_project();
    let data_dir = repo.path().join("state/ferry-data");
    let store = ReleaseStore::new(&data_dir);
    let first = store.create(repo.path(), None, false).unwrap();
    fs::write(data_dir.join("ledger.db"), "x").unwrap();
    let second = store.create(repo.path(), None, false).unwrap();
    assert_eq!(first.id, second.id);
    repo.write("state/notes.txt", "not ferry's\n");
    let err = store.create(repo.path(), None, false).unwrap_err();
    assert!(
        matches!(&err, ReleaseError::Dirty { paths, .. } if paths == &["state/notes.txt"]),
        "{err}"
    );
}

#[test]
fn allow_dirty_bundles_the_work_tree_and_marks_it() {
    let repo = TestRepo::with_project();
    let store = ReleaseStore::new(&repo.data_dir());
    let clean = store.create(repo.path(), None, true).unwrap();
    assert!(
        !clean.manifest.dirty,
        "a clean tree gives a clean release even with allow_dirty"
    );

    repo.write("infra/main.tf", "# edited\n");
    repo.write("infra/new.tf", "# new\n");
    repo.write(".gitignore", "*.log\n");
    repo.write("debug.log", "ignored\n");
    fs::remove_file(repo.path().join("infra/environments/dev.tfvars")).unwrap();
    let built = store.create(repo.path(), None, true).unwrap();
    assert!(built.manifest.dirty);
    assert_eq!(built.manifest.commit, repo.head());
    assert_ne!(built.id, clean.id);
    let files = &built.manifest.files;
    assert!(files.contains(&"infra/new.tf".to_string()));
    assert!(files.contains(&".gitignore".to_string()));
    assert!(
        !files.contains(&"debug.log".to_string()),
        "ignored files stay out"
    );
    assert!(
        !files.contains(&"infra/environments/dev.tfvars".to_string()),
        "deleted stay out"
    );

    let dest = tempfile::tempdir().unwrap();
    store.unpack(&built.id, dest.path()).unwrap();
    assert_eq!(
        fs::read_to_string(dest.path().join("infra/main.tf")).unwrap(),
        "# edited\n"
    );
    let mode = fs::metadata(dest.path().join("scripts/check.sh"))
        .unwrap()
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o700);
}

#[test]
fn an_explicit_commit_ignores_the_work_tree() {
    let repo = TestRepo::with_project();
    let store = ReleaseStore::new(&repo.data_dir());
    let clean = store.create(repo.path(), None, false).unwrap();
    repo.write("infra/main.tf", "# edited\n");
    let built = store.create(repo.path(), Some("HEAD"), false).unwrap();
    assert_eq!(built.id, clean.id);
}

#[test]
fn one_flipped_byte_is_refused_as_tampered() {
    let repo = TestRepo::with_project();
    let store = ReleaseStore::new(&repo.data_dir());
    let built = store.create(repo.path(), None, false).unwrap();
    let path = store.path_of(&built.id);
    assert_eq!(store.verify(&built.id).unwrap(), built.manifest);

    let original = fs::read(&path).unwrap();
    fs::set_permissions(&path, fs::Permissions::from_mode(0o644)).unwrap();
    for offset in [original.len() / 2, original.len() - 1] {
        let mut bytes = original.clone();
        bytes[offset] ^= 0x01;
        fs::write(&path, &bytes).unwrap();
        let err = store.verify(&built.id).unwrap_err();
        assert!(
            matches!(&err, ReleaseError::Tampered { id, .. } if *id == built.id),
            "{err}"
        );
        assert!(err.to_string().contains(&built.id.to_string()), "{err}");
        let dest = tempfile::tempdir().unwrap();
        let err = store
            .unpack(&built.id, &dest.path().join("work"))
            .unwrap_err();
        assert!(matches!(err, ReleaseError::Tampered { .. }), "{err}");
        assert!(
            !dest.path().join("work").exists(),
            "nothing is written from a tampered bundle"
        );
        // Building the commit again refuses to paper over the modified file.
        let err = store.create(repo.path(), None, false).unwrap_err();
        assert!(matches!(err, ReleaseError::Tampered { .. }), "{err}");
    }

    // Validly compressed but different content is caught by the hash, not the decompressor.
    let mut tar = zstd::stream::decode_all(original.as_slice()).unwrap();
    let last_nonzero = tar.iter().rposition(|b| *b != 0).unwrap();
    tar[last_nonzero] ^= 0x20;
    fs::write(&path, zstd::bulk::compress(&tar, 3).unwrap()).unwrap();
    let err = store.verify(&built.id).unwrap_err();
    assert!(matches!(err, ReleaseError::Tampered { .. }), "{err}");
}

#[test]
fn a_missing_release_is_not_found() {
    let repo = TestRepo::with_project();
    let store = ReleaseStore::new(&repo.data_dir());
    let id: ferry_release::ReleaseId = format!("sha256:{}", "0".repeat(64)).parse().unwrap();
    assert!(matches!(
        store.verify(&id),
        Err(ReleaseError::NotFound { .. })
    ));
    assert!(matches!(
        store.unpack(&id, repo.path().join("x").as_path()),
        Err(ReleaseError::NotFound { .. })
    ));
    assert!(store.list_ids().unwrap().is_empty());
}

#[test]
fn ids_resolve_from_unique_prefixes() {
    let repo = TestRepo::with_project();
    let store = ReleaseStore::new(&repo.data_dir());
    let built = store.create(repo.path(), None, false).unwrap();
    assert_eq!(store.resolve(&built.id.to_string()).unwrap(), built.id);
    assert_eq!(store.resolve(&built.id.hex()[..8]).unwrap(), built.id);
    let other = if built.id.hex().starts_with('0') {
        "11111111"
    } else {
        "00000000"
    };
    assert!(matches!(
        store.resolve(other),
        Err(ReleaseError::NoMatch { .. })
    ));
    assert!(matches!(store.resolve("v1"), Err(ReleaseError::BadId(_))));
}

#[test]
fn unpack_reproduces_contents_modes_and_links() {
    let repo = TestRepo::with_project();
    std::os::unix::fs::symlink("../main.tf", repo.path().join("infra/modules/root.tf")).unwrap();
    repo.commit_all("Add a link");
    let store = ReleaseStore::new(&repo.data_dir());
    let built = store.create(repo.path(), None, false).unwrap();
    let dest = tempfile::tempdir().unwrap();
    let work = dest.path().join("work");
    let manifest = store.unpack(&built.id, &work).unwrap();
    assert_eq!(manifest, built.manifest);
    for file in [
        "ferry.toml",
        "infra/main.tf",
        "infra/environments/prod.tfvars",
    ] {
        assert_eq!(
            fs::read(work.join(file)).unwrap(),
            fs::read(repo.path().join(file)).unwrap()
        );
    }
    let mode = |p: &str| fs::metadata(work.join(p)).unwrap().permissions().mode() & 0o777;
    // owner-only: a work copy may hold secrets
    assert_eq!(mode("scripts/check.sh"), 0o700);
    assert_eq!(mode("infra/main.tf"), 0o600);
    assert_eq!(mode("infra"), 0o700);
    let link = work.join("infra/modules/root.tf");
    assert_eq!(fs::read_link(&link).unwrap().to_str(), Some("../main.tf"));
    assert!(!work.join(".ferry-release.json").exists());
    assert_eq!(
        store.read_file(&built.id, "ferry.toml").unwrap().as_deref(),
        Some(&b"[project]\nroot = \"infra\"\n"[..])
    );
    // Unpacking again over the same directory gives the same result.
    store.unpack(&built.id, &work).unwrap();
    assert_eq!(mode("scripts/check.sh"), 0o700);
}

#[test]
fn a_symlink_leaving_the_project_is_refused_at_build_time() {
    let repo = TestRepo::with_project();
    std::os::unix::fs::symlink("../../etc/passwd", repo.path().join("infra/passwd")).unwrap();
    repo.commit_all("Link out");
    let err = ReleaseStore::new(&repo.data_dir())
        .create(repo.path(), None, false)
        .unwrap_err();
    assert!(
        matches!(&err, ReleaseError::Unsafe { entry, .. } if entry == "infra/passwd"),
        "{err}"
    );
}

#[test]
fn a_symlink_chain_leaving_the_project_is_refused_at_build_time() {
    let repo = TestRepo::with_project();
    std::os::unix::fs::symlink(".", repo.path().join("infra/here")).unwrap();
    std::os::unix::fs::symlink("here/../../etc", repo.path().join("infra/out")).unwrap();
    repo.commit_all("Link out through a link");
    let err = ReleaseStore::new(&repo.data_dir())
        .create(repo.path(), None, false)
        .unwrap_err();
    assert!(
        matches!(&err, ReleaseError::Unsafe { entry, .. } if entry == "infra/out"),
        "{err}"
    );
    assert!(
        err.to_string().contains("symlink chain leaves the release"),
        "{err}"
    );
}

#[test]
fn not_a_git_repo() {
    let dir = tempfile::tempdir().unwrap();
    let err = ReleaseStore::new(&dir.path().join(".ferry")).create(dir.path(), None, false);
    let err = err.unwrap_err();
    assert!(matches!(err, ReleaseError::NotAGitRepo { .. }), "{err}");
    assert!(
        err.to_string().contains("not inside a git repository"),
        "{err}"
    );
}

#[test]
fn unknown_revisions_are_named() {
    let repo = TestRepo::with_project();
    let store = ReleaseStore::new(&repo.data_dir());
    for rev in ["no-such-branch", "deadbeef", "--output=/tmp/x", "HEAD~5"] {
        let err = store.create(repo.path(), Some(rev), false).unwrap_err();
        assert!(
            matches!(&err, ReleaseError::UnknownCommit { rev: r } if r == rev),
            "{err}"
        );
        assert!(err.to_string().contains(rev), "{err}");
    }
    let empty = TestRepo::empty();
    let err = ReleaseStore::new(&empty.data_dir()).create(empty.path(), None, false);
    assert!(matches!(err, Err(ReleaseError::UnknownCommit { .. })));
}

#[test]
fn a_project_in_a_subdirectory_is_bundled_relative_to_it() {
    let repo = TestRepo::empty();
    repo.write("README.md", "monorepo\n");
    repo.write("app/src/main.rs", "fn main() {}\n");
    repo.write("platform/infra/ferry.toml", "[project]\nroot = \".\"\n");
    repo.write("platform/infra/main.tf", "# root\n");
    repo.write("platform/infra/modules/db/main.tf", "# db\n");
    repo.commit_all("Monorepo");
    let project = repo.path().join("platform/infra");
    let store = ReleaseStore::new(&project.join(".ferry"));
    let built = store.create(&project, None, false).unwrap();
    assert_eq!(
        built.manifest.files,
        vec!["ferry.toml", "main.tf", "modules/db/main.tf"]
    );

    // Changes outside the project do not make its release dirty, nor change it.
    repo.write("app/src/main.rs", "fn main() { println!(); }\n");
    let again = store.create(&project, None, false).unwrap();
    assert_eq!(again.id, built.id);
    repo.write("platform/infra/main.tf", "# edited\n");
    let err = store.create(&project, None, false).unwrap_err();
    assert!(
        matches!(&err, ReleaseError::Dirty { paths, .. } if paths == &["platform/infra/main.tf"]),
        "{err}"
    );

    let dest = tempfile::tempdir().unwrap();
    store.unpack(&built.id, dest.path()).unwrap();
    assert_eq!(
        fs::read_to_string(dest.path().join("main.tf")).unwrap(),
        "# root\n"
    );
}

#[test]
fn submodules_are_refused() {
    let repo = TestRepo::with_project();
    let head = repo.head();
    let cacheinfo = format!("160000,{head},vendor/shared");
    git(
        repo.path(),
        &["update-index", "--add", "--cacheinfo", &cacheinfo],
    );
    git(repo.path(), &["commit", "-q", "-m", "Add a submodule"]);
    let store = ReleaseStore::new(&repo.data_dir());
    // The submodule is not checked out, so only an explicit commit gets past the dirty check.
    let err = store.create(repo.path(), Some("HEAD"), false).unwrap_err();
    assert!(
        matches!(&err, ReleaseError::Submodule { path } if path == "vendor/shared"),
        "{err}"
    );
    assert!(err.to_string().contains("submodule"), "{err}");
    let err = store.create(repo.path(), None, true).unwrap_err();
    assert!(matches!(err, ReleaseError::Submodule { .. }), "{err}");
}

#[test]
fn the_manifest_name_is_reserved() {
    let repo = TestRepo::with_project();
    repo.write(".ferry-release.json", "{}");
    repo.commit_all("Shadow the manifest");
    let err = ReleaseStore::new(&repo.data_dir())
        .create(repo.path(), None, false)
        .unwrap_err();
    assert!(matches!(err, ReleaseError::Unsafe { .. }), "{err}");
}
