//! Rehearsal on a scratch database against the compat queries of earlier releases.

use crate::pg::{column, database, history, server, set_of, write_files};
use ferry_migrate::check::Verdict;
use ferry_migrate::rehearse::{QueryRef, RehearsalFinding};
use ferry_migrate::{
    apply, rehearse, status, ApplyOptions, CompatRelease, RehearseOptions, SchemaSource,
};

const V1: (&str, &str) = (
    "V0001__accounts.sql",
    "CREATE TABLE accounts (id bigserial PRIMARY KEY, email text NOT NULL);\n",
);

/// The queries release 1 runs: one parameterised (prepared only), one executed.
fn previous_release() -> (tempfile::TempDir, CompatRelease) {
    let dir = tempfile::tempdir().unwrap();
    write_files(
        dir.path(),
        &[(
            "accounts.sql",
            "-- the login query\nSELECT id, email FROM accounts WHERE id = $1;\n\nINSERT INTO accounts (email) VALUES ('new@example.com');\n",
        )],
    );
    let release = CompatRelease {
        label: "deployed release sha256:r1".into(),
        dir: dir.path().to_path_buf(),
    };
    (dir, release)
}

fn scratch_databases() -> Vec<String> {
    column(
        &server().admin_url(),
        "SELECT datname::text FROM pg_database WHERE datname LIKE 'ferry_rehearse_%'",
    )
}

#[test]
fn rehearsal_catches_a_column_rename_that_breaks_the_previous_release() {
    let (url, raw) = database("rename");
    let (_d1, applied) = set_of(&[V1]);
    apply(&url, &applied, &ApplyOptions::new("ci")).unwrap();
    let (_d2, set) = set_of(&[
        V1,
        ("V0002__nickname.sql", "ALTER TABLE accounts ADD COLUMN nickname text;\n"),
        (
            "V0003__rename.sql",
            "-- ferry:contract renaming for the new API\nALTER TABLE accounts RENAME COLUMN email TO email_address;\n",
        ),
    ]);
    let (_d3, release) = previous_release();
    let report = rehearse(&url, &set, &[release], &RehearseOptions::default()).unwrap();
    assert_eq!(report.verdict, Verdict::Block);
    assert_eq!(
        report.migrations,
        ["V0002__nickname.sql", "V0003__rename.sql"]
    );
    assert_eq!(report.queries, 2);
    assert_eq!(
        report.plan_digest,
        status(&url, &set).unwrap().plan().digest
    );
    assert_eq!(
        report.findings,
        [
            RehearsalFinding {
                migration: Some("V0003__rename.sql".into()),
                release: Some("deployed release sha256:r1".into()),
                query: Some(QueryRef {
                    file: "accounts.sql".into(),
                    line: 2,
                    statement: "SELECT id, email FROM accounts WHERE id = $1".into(),
                }),
                message: "column \"email\" does not exist (SQLSTATE 42703)".into(),
            },
            RehearsalFinding {
                migration: Some("V0003__rename.sql".into()),
                release: Some("deployed release sha256:r1".into()),
                query: Some(QueryRef {
                    file: "accounts.sql".into(),
                    line: 4,
                    statement: "INSERT INTO accounts (email) VALUES ('new@example.com')".into(),
                }),
                message:
                    "column \"email\" of relation \"accounts\" does not exist (SQLSTATE 42703)"
                        .into(),
            },
        ]
    );
    // The target is untouched and the scratch database is gone.
    assert_eq!(history(&raw), ["V0001__accounts.sql success"]);
    assert_eq!(
        column(&raw, "SELECT column_name::text FROM information_schema.columns WHERE table_name = 'accounts' ORDER BY 1"),
        ["email", "id"]
    );
    assert!(
        column(&raw, "SELECT email FROM accounts").is_empty(),
        "compat INSERT was rolled back"
    );
    assert!(report.scratch_database.starts_with("ferry_rehearse_"));
    assert!(!scratch_databases().contains(&report.scratch_database));
}

#[test]
fn an_expand_migration_passes_rehearsal_from_a_dump_and_from_replay() {
    let (url, _raw) = database("passes");
    let (_d1, applied) = set_of(&[V1]);
    apply(&url, &applied, &ApplyOptions::new("ci")).unwrap();
    let (_d2, set) = set_of(&[
        V1,
        (
            "V0002__nickname.sql",
            "ALTER TABLE accounts ADD COLUMN nickname text;\n",
        ),
        (
            "V0003__index.sql",
            "CREATE INDEX CONCURRENTLY accounts_nick ON accounts (nickname);\n",
        ),
    ]);
    let (_d3, release) = previous_release();
    for source in [SchemaSource::PgDump, SchemaSource::Replay] {
        let opts = RehearseOptions {
            source,
            client_bin: Some(server().bin_dir().to_path_buf()),
            ..RehearseOptions::default()
        };
        let report = rehearse(&url, &set, std::slice::from_ref(&release), &opts).unwrap();
        assert_eq!(
            report.verdict,
            Verdict::Pass,
            "{source:?}: {:?}",
            report.findings
        );
        assert!(report.findings.is_empty());
    }
}

#[test]
fn a_new_required_column_breaks_the_previous_release_inserts() {
    let (url, _raw) = database("required");
    let (_d1, applied) = set_of(&[V1]);
    apply(&url, &applied, &ApplyOptions::new("ci")).unwrap();
    let (_d2, set) = set_of(&[
        V1,
        ("V0002__region.sql", "ALTER TABLE accounts ADD COLUMN region text NOT NULL DEFAULT 'eu';\nALTER TABLE accounts ALTER COLUMN region DROP DEFAULT;\n"),
    ]);
    let (_d3, release) = previous_release();
    let report = rehearse(&url, &set, &[release], &RehearseOptions::default()).unwrap();
    assert_eq!(report.verdict, Verdict::Block);
    assert_eq!(report.findings.len(), 1);
    assert_eq!(report.findings[0].query.as_ref().unwrap().line, 4);
    assert!(
        report.findings[0]
            .message
            .starts_with("null value in column \"region\""),
        "{}",
        report.findings[0].message
    );
}

#[test]
fn a_migration_that_fails_on_the_copy_blocks_and_the_scratch_database_is_dropped() {
    let (url, _raw) = database("scratchfail");
    let (_d1, applied) = set_of(&[V1]);
    apply(&url, &applied, &ApplyOptions::new("ci")).unwrap();
    let (_d2, set) = set_of(&[
        V1,
        (
            "V0002__bad.sql",
            "ALTER TABLE accounts ADD COLUMN id text;\n",
        ),
    ]);
    let report = rehearse(&url, &set, &[], &RehearseOptions::default()).unwrap();
    assert_eq!(report.verdict, Verdict::Block);
    assert_eq!(
        report.findings,
        [RehearsalFinding {
            migration: Some("V0002__bad.sql".into()),
            release: None,
            query: None,
            message: "the migration fails at line 1: column \"id\" of relation \"accounts\" already exists (SQLSTATE 42701)".into(),
        }]
    );
    assert!(!scratch_databases().contains(&report.scratch_database));
}

#[test]
fn a_query_already_broken_before_any_migration_is_reported_as_such() {
    let (url, _raw) = database("prebroken");
    let (_d1, applied) = set_of(&[V1]);
    apply(&url, &applied, &ApplyOptions::new("ci")).unwrap();
    let dir = tempfile::tempdir().unwrap();
    write_files(dir.path(), &[("q.sql", "SELECT nickname FROM accounts;\n")]);
    let release = CompatRelease {
        label: "rollback target sha256:r0".into(),
        dir: dir.path().to_path_buf(),
    };
    let report = rehearse(&url, &applied, &[release], &RehearseOptions::default()).unwrap();
    assert_eq!(report.verdict, Verdict::Block);
    assert_eq!(report.findings[0].migration, None);
    assert_eq!(
        report.findings[0].message,
        "fails against the current schema already: column \"nickname\" does not exist (SQLSTATE 42703)"
    );
}
