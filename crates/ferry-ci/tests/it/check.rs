//! `--check` and `ferry ci check` at library level: a one-line hand edit differs (the CLI's
//! exit 3) with a unified diff; regenerating makes it current again (exit 0).

use crate::common::{config, options, CHAIN4, VERSION};
use ferry_ci::{check, check_committed, check_path, generate, write, CiError, Options, Provider};

fn opts(root: &std::path::Path) -> Options {
    Options {
        ferry_version: VERSION.to_string(),
        root: root.to_path_buf(),
        out: None,
    }
}

#[test]
fn a_one_line_hand_edit_differs_and_regeneration_fixes_it() {
    let cfg = config(CHAIN4);
    for provider in Provider::ALL {
        let fresh = generate(&cfg, provider, &options()).unwrap();
        let ok = check(&cfg, provider, &options(), Some(&fresh.contents)).unwrap();
        assert!(ok.up_to_date);
        assert!(ok.diff.is_empty());

        let edited = fresh.contents.replacen("ferry-deploy-", "ferry-dep1oy-", 1);
        assert_ne!(edited, fresh.contents);
        let bad = check(&cfg, provider, &options(), Some(&edited)).unwrap();
        assert!(!bad.up_to_date, "{provider}");
        let path = provider.default_path();
        assert!(
            bad.diff.starts_with(&format!(
                "--- {path} (committed)\n+++ {path} (generated from ferry.toml)\n@@ "
            )),
            "{}",
            bad.diff
        );
        let removed: Vec<&str> = bad
            .diff
            .lines()
            .filter(|l| l.starts_with('-') && !l.starts_with("---"))
            .collect();
        let added: Vec<&str> = bad
            .diff
            .lines()
            .filter(|l| l.starts_with('+') && !l.starts_with("+++"))
            .collect();
        assert_eq!(removed.len(), 1, "{}", bad.diff);
        assert_eq!(added.len(), 1, "{}", bad.diff);
        assert!(removed[0].contains("ferry-dep1oy-"));
        assert!(added[0].contains("ferry-deploy-"));

        let again = check(&cfg, provider, &options(), Some(&bad.generated.contents)).unwrap();
        assert!(again.up_to_date);
    }
}

#[test]
fn a_changed_ferry_toml_makes_the_committed_file_stale() {
    let before = generate(&config(CHAIN4), Provider::Github, &options()).unwrap();
    let changed = config(&CHAIN4.replace("approvals = 2", "approvals = 3"));
    let outcome = check(
        &changed,
        Provider::Github,
        &options(),
        Some(&before.contents),
    )
    .unwrap();
    assert!(!outcome.up_to_date);
    assert!(
        outcome
            .diff
            .contains("+# Approvals: staging (1 approval), prod (3 approvals)"),
        "{}",
        outcome.diff
    );
}

#[test]
fn a_missing_file_is_not_up_to_date() {
    let outcome = check(&config(CHAIN4), Provider::Gitlab, &options(), None).unwrap();
    assert!(!outcome.up_to_date);
    assert!(
        outcome
            .diff
            .starts_with("--- /dev/null (no committed file)\n+++ .gitlab-ci.yml"),
        "{}",
        outcome.diff
    );
}

#[test]
fn check_committed_checks_ferrys_files_and_skips_hand_written_ones() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = config(CHAIN4);
    // Nothing generated yet: an error, never a pass.
    assert!(matches!(
        check_committed(&cfg, &opts(dir.path())),
        Err(CiError::NothingToCheck { .. })
    ));
    // A hand-written .gitlab-ci.yml is not ferry's.
    std::fs::write(
        dir.path().join(".gitlab-ci.yml"),
        "build:\n  script: [make]\n",
    )
    .unwrap();
    assert!(matches!(
        check_committed(&cfg, &opts(dir.path())),
        Err(CiError::NothingToCheck { .. })
    ));

    let g = generate(&cfg, Provider::Github, &opts(dir.path())).unwrap();
    let written = write(dir.path(), &g).unwrap();
    assert_eq!(
        written,
        dir.path()
            .canonicalize()
            .unwrap()
            .join(".github/workflows/ferry.yml")
    );
    let outcomes = check_committed(&cfg, &opts(dir.path())).unwrap();
    assert_eq!(outcomes.len(), 1);
    assert_eq!(outcomes[0].provider, Provider::Github);
    assert!(outcomes[0].up_to_date);
    assert_eq!(
        std::fs::read_to_string(dir.path().join(".gitlab-ci.yml")).unwrap(),
        "build:\n  script: [make]\n"
    );

    // One line edited by hand: stale; written again: current.
    let path = dir.path().join(".github/workflows/ferry.yml");
    let text = std::fs::read_to_string(&path).unwrap();
    std::fs::write(
        &path,
        text.replacen("max-parallel: 1", "max-parallel: 4", 1),
    )
    .unwrap();
    let outcomes = check_committed(&cfg, &opts(dir.path())).unwrap();
    assert!(!outcomes[0].up_to_date);
    assert!(
        outcomes[0]
            .diff
            .contains("-      max-parallel: 4\n+      max-parallel: 1\n"),
        "{}",
        outcomes[0].diff
    );
    write(dir.path(), &outcomes[0].generated).unwrap();
    assert!(check_committed(&cfg, &opts(dir.path())).unwrap()[0].up_to_date);
}

#[cfg(unix)]
#[test]
fn write_refuses_a_symlink_out_of_the_repository() {
    let repo = tempfile::tempdir().unwrap();
    let outside = tempfile::tempdir().unwrap();
    std::fs::create_dir(repo.path().join(".github")).unwrap();
    std::os::unix::fs::symlink(outside.path(), repo.path().join(".github/workflows")).unwrap();
    let g = generate(&config(CHAIN4), Provider::Github, &opts(repo.path())).unwrap();
    let e = write(repo.path(), &g).unwrap_err();
    assert!(matches!(e, CiError::OutsideRepository { .. }), "{e:?}");
    assert_eq!(
        std::fs::read_dir(outside.path()).unwrap().count(),
        0,
        "nothing written outside"
    );

    // A symlinked target file is refused too (it could point anywhere).
    let repo2 = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(repo2.path().join(".github/workflows")).unwrap();
    std::os::unix::fs::symlink(
        outside.path().join("x.yml"),
        repo2.path().join(".github/workflows/ferry.yml"),
    )
    .unwrap();
    assert!(matches!(
        write(repo2.path(), &g),
        Err(CiError::OutsideRepository { .. })
    ));
}

#[cfg(unix)]
#[test]
fn written_file_is_complete_and_world_readable() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let g = generate(&config(CHAIN4), Provider::Gitlab, &opts(dir.path())).unwrap();
    let path = write(dir.path(), &g).unwrap();
    assert_eq!(std::fs::read_to_string(&path).unwrap(), g.contents);
    assert_eq!(
        std::fs::metadata(&path).unwrap().permissions().mode() & 0o777,
        0o644
    );
    // No temporary file left beside it.
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
}

#[test]
fn check_path_reads_the_out_path() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = config(CHAIN4);
    let mut o = opts(dir.path());
    o.out = Some("ci/ferry.gitlab-ci.yml".into());
    let missing = check_path(&cfg, Provider::Gitlab, &o).unwrap();
    assert!(!missing.up_to_date);
    assert!(missing.diff.starts_with("--- /dev/null"));
    write(dir.path(), &missing.generated).unwrap();
    assert!(dir.path().join("ci/ferry.gitlab-ci.yml").is_file());
    assert!(check_path(&cfg, Provider::Gitlab, &o).unwrap().up_to_date);
    // The header names the --out path, so the default-path file would differ from it.
    assert!(missing
        .generated
        .contents
        .contains("--out ci/ferry.gitlab-ci.yml"));
    o.out = Some("../x.yml".into());
    assert!(matches!(
        check_path(&cfg, Provider::Gitlab, &o),
        Err(CiError::OutsideRepository { .. })
    ));
}
