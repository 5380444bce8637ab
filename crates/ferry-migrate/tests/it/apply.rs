//! status / plan / apply against a real PostgreSQL server.

use crate::pg::{column, database, history, set_of, write_files};
use ferry_migrate::status::MigrationState;
use ferry_migrate::{apply, status, ApplyOptions, MigrateError, MigrationSet, Selection, When};
use std::time::Duration;

const V1: (&str, &str) = (
    "V0001__accounts.sql",
    "CREATE TABLE accounts (id bigint PRIMARY KEY, email text NOT NULL);\n",
);
const V2: (&str, &str) = (
    "V0002__nickname.sql",
    "-- expand: a nullable column\nALTER TABLE accounts ADD COLUMN nickname text;\n",
);

#[test]
fn an_expand_migration_applies_and_status_is_then_clean() {
    let (url, raw) = database("expand");
    let (_dir, set) = set_of(&[V1, V2]);
    let before = status(&url, &set).unwrap();
    assert_eq!(before.pending().count(), 2);
    assert!(!before.is_clean());
    let plan = before.plan();

    let mut opts = ApplyOptions::new("alice@example.com");
    opts.release = Some("sha256:abc");
    opts.approved = Some(&plan);
    let report = apply(&url, &set, &opts).unwrap();
    let names: Vec<&str> = report.applied.iter().map(|a| a.name.as_str()).collect();
    assert_eq!(names, ["V0001__accounts.sql", "V0002__nickname.sql"]);
    assert_eq!(report.failed, None);
    assert_eq!(report.plan_digest, plan.digest);
    assert_eq!(report.database, "app");

    let after = status(&url, &set).unwrap();
    assert!(after.is_clean(), "{after:?}");
    match &after.migrations[1].state {
        MigrationState::Applied {
            applied_by,
            release,
            ..
        } => {
            assert_eq!(applied_by, "alice@example.com");
            assert_eq!(release.as_deref(), Some("sha256:abc"));
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(
        history(&raw),
        ["V0001__accounts.sql success", "V0002__nickname.sql success"]
    );
    assert_eq!(
        column(&raw, "SELECT column_name::text FROM information_schema.columns WHERE table_name = 'accounts' ORDER BY ordinal_position"),
        ["id", "email", "nickname"]
    );
    // Nothing left to do: a second apply applies nothing and records nothing.
    let again = apply(&url, &set, &ApplyOptions::new("alice@example.com")).unwrap();
    assert!(again.applied.is_empty());
    assert_eq!(history(&raw).len(), 2);
}

#[test]
fn an_edited_applied_migration_is_refused_by_name() {
    let (url, raw) = database("edited");
    let (dir, set) = set_of(&[V1]);
    apply(&url, &set, &ApplyOptions::new("ci")).unwrap();

    write_files(
        dir.path(),
        &[
            ("V0001__accounts.sql", "CREATE TABLE accounts (id int);\n"),
            V2,
        ],
    );
    let edited = MigrationSet::from_dir("app", dir.path()).unwrap();
    let st = status(&url, &edited).unwrap();
    assert!(matches!(
        st.migrations[0].state,
        MigrationState::Changed { .. }
    ));
    let err = apply(&url, &edited, &ApplyOptions::new("ci")).unwrap_err();
    let MigrateError::Changed {
        name,
        applied,
        file,
        ..
    } = &err
    else {
        panic!("{err}");
    };
    assert_eq!(name, "V0001__accounts.sql");
    assert_eq!(applied, &set.files[0].checksum);
    assert_eq!(file, &edited.files[0].checksum);
    assert!(err.to_string().starts_with(
        "migration 'V0001__accounts.sql' of set 'app' was applied with checksum sha256:"
    ));
    // V0002 was not applied either.
    assert_eq!(history(&raw), ["V0001__accounts.sql success"]);
}

#[test]
fn a_failing_migration_stops_the_set_and_is_recorded_as_failed() {
    let (url, raw) = database("failing");
    let (_dir, set) = set_of(&[
        V1,
        (
            "V0002__broken.sql",
            "CREATE TABLE audit (id int);\n\nALTER TABLE no_such_table\n  ADD COLUMN x int;\n",
        ),
        (
            "V0003__later.sql",
            "ALTER TABLE accounts ADD COLUMN later text;\n",
        ),
    ]);
    let err = apply(&url, &set, &ApplyOptions::new("ci")).unwrap_err();
    let MigrateError::MigrationFailed {
        name,
        line,
        message,
        report,
    } = &err
    else {
        panic!("{err}");
    };
    assert_eq!(name, "V0002__broken.sql");
    assert_eq!(*line, 3);
    assert_eq!(
        message,
        "relation \"no_such_table\" does not exist (SQLSTATE 42P01)"
    );
    assert_eq!(report.applied.len(), 1);
    let failed = report.failed.as_ref().unwrap();
    assert_eq!(
        (failed.name.as_str(), failed.partially_applied),
        ("V0002__broken.sql", false)
    );
    assert_eq!(report.not_run, ["V0003__later.sql"]);
    assert_eq!(
        err.to_string(),
        "migration 'V0002__broken.sql' failed at V0002__broken.sql:3: relation \"no_such_table\" does not exist (SQLSTATE 42P01); it is recorded as failed and the migrations after it were not applied"
    );
    assert_eq!(
        history(&raw),
        ["V0001__accounts.sql success", "V0002__broken.sql failed"]
    );
    // Its first statement was rolled back with it.
    assert!(column(
        &raw,
        "SELECT tablename::text FROM pg_tables WHERE tablename = 'audit'"
    )
    .is_empty());
    let st = status(&url, &set).unwrap();
    assert_eq!(
        st.migrations[1].state,
        MigrationState::Pending {
            last_failure: Some("relation \"no_such_table\" does not exist (SQLSTATE 42P01)".into())
        }
    );
}

#[test]
fn create_index_concurrently_runs_outside_a_transaction() {
    let (url, raw) = database("concurrently");
    let (_dir, set) = set_of(&[
        (
            "V0001__accounts.sql",
            "CREATE TABLE accounts (id bigint PRIMARY KEY, email text);\nINSERT INTO accounts SELECT g, 'u' || g FROM generate_series(1, 100) g;\n",
        ),
        ("V0002__index.sql", "CREATE INDEX CONCURRENTLY accounts_email ON accounts (email);\n"),
    ]);
    assert!(!set.files[1].transactional());
    let report = apply(&url, &set, &ApplyOptions::new("ci")).unwrap();
    assert_eq!(report.applied.len(), 2);
    assert!(!report.applied[1].transactional);
    assert_eq!(
        column(
            &raw,
            "SELECT indisvalid::text FROM pg_index WHERE indexrelid = 'accounts_email'::regclass"
        ),
        ["true"]
    );
    assert_eq!(history(&raw).len(), 2);
}

#[test]
fn the_before_infra_part_stops_at_the_first_contract_migration() {
    let (url, raw) = database("phases");
    let (_dir, set) = set_of(&[
        V1,
        V2,
        (
            "V0003__drop.sql",
            "ALTER TABLE accounts DROP COLUMN nickname;\n",
        ),
        (
            "V0004__more.sql",
            "ALTER TABLE accounts ADD COLUMN more text;\n",
        ),
    ]);
    let plan = status(&url, &set).unwrap().plan();
    assert_eq!(plan.before_count(When::Auto), 2);
    assert_eq!(plan.before_count(When::Before), 4);
    assert_eq!(plan.before_count(When::After), 0);

    let mut opts = ApplyOptions::new("ci");
    opts.approved = Some(&plan);
    opts.selection = Selection::BeforeInfra(When::Auto);
    let first = apply(&url, &set, &opts).unwrap();
    assert_eq!(first.applied.len(), 2);
    assert_eq!(first.not_run, ["V0003__drop.sql", "V0004__more.sql"]);
    // After verification the rest runs under the same approval.
    opts.selection = Selection::All;
    let rest = apply(&url, &set, &opts).unwrap();
    assert_eq!(rest.applied.len(), 2);
    assert_eq!(history(&raw).len(), 4);
}

#[test]
fn an_apply_refuses_pending_migrations_that_were_not_approved() {
    let (url, raw) = database("unapproved");
    let (dir, set) = set_of(&[V1]);
    let plan = status(&url, &set).unwrap().plan();
    write_files(dir.path(), &[V2]);
    let grown = MigrationSet::from_dir("app", dir.path()).unwrap();
    let mut opts = ApplyOptions::new("ci");
    opts.approved = Some(&plan);
    let err = apply(&url, &grown, &opts).unwrap_err();
    assert!(matches!(err, MigrateError::PlanChanged { .. }), "{err}");
    assert!(column(&raw, "SELECT name FROM ferry_schema_history").is_empty());
}

#[test]
fn two_applies_at_once_one_is_refused_and_a_waiting_one_finds_nothing_left() {
    let (url, raw) = database("concurrent");
    let (_dir, set) = set_of(&[V1, ("V0002__slow.sql", "SELECT pg_sleep(1.5);\n")]);
    let (url_a, set_a) = (url.clone(), set.clone());
    let first = std::thread::spawn(move || apply(&url_a, &set_a, &ApplyOptions::new("a")));
    // Wait until the first apply holds the lock.
    let start = std::time::Instant::now();
    while column(
        &raw,
        "SELECT objid::text FROM pg_locks WHERE locktype = 'advisory' \
         AND database = (SELECT oid FROM pg_database WHERE datname = current_database())",
    )
    .is_empty()
    {
        assert!(start.elapsed() < Duration::from_secs(10));
        std::thread::sleep(Duration::from_millis(20));
    }
    let refused = apply(&url, &set, &ApplyOptions::new("b")).unwrap_err();
    assert!(matches!(refused, MigrateError::Busy { .. }), "{refused}");
    assert_eq!(
        refused.to_string(),
        "database 'app': another `ferry migrate apply` holds the migration lock; try again when it has finished"
    );
    let mut waiting = ApplyOptions::new("b");
    waiting.lock_wait = Duration::from_secs(20);
    let second = apply(&url, &set, &waiting).unwrap();
    assert!(second.applied.is_empty());
    assert_eq!(first.join().unwrap().unwrap().applied.len(), 2);
    assert_eq!(
        history(&raw),
        ["V0001__accounts.sql success", "V0002__slow.sql success"]
    );
}

#[test]
fn a_history_table_of_another_shape_is_an_error_not_a_panic() {
    let (url, raw) = database("foreign");
    let mut client = postgres::Client::connect(&raw, postgres::NoTls).unwrap();
    client
        .batch_execute(
            "CREATE TABLE ferry_schema_history (id int, set_name text, name int, checksum text, \
             class text, applied_by text, applied_at timestamptz, duration_ms bigint, \
             result text, release_id text, error text);
             INSERT INTO ferry_schema_history VALUES (1, 'app', 7, 'x', NULL, 'a', now(), 1, 'success', NULL, NULL);",
        )
        .unwrap();
    let (_dir, set) = set_of(&[V1]);
    let err = status(&url, &set).unwrap_err();
    assert!(
        matches!(&err, MigrateError::Database { context, .. } if context == "reading ferry_schema_history"),
        "{err}"
    );
}
