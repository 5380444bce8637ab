//! The rollback guard's evidence against a real database.

use crate::pg::{database, set_of, write_files};
use ferry_migrate::check::{Class, Verdict};
use ferry_migrate::{apply, rollback_readiness, ApplyOptions, CompatRelease, RehearseOptions};

const V1: (&str, &str) = (
    "V0001__accounts.sql",
    "CREATE TABLE accounts (id bigserial PRIMARY KEY, email text);\n",
);
const V2: (&str, &str) = (
    "V0002__nickname.sql",
    "ALTER TABLE accounts ADD COLUMN nickname text;\n",
);
const V3: (&str, &str) = (
    "V0003__drop_email.sql",
    "-- ferry:contract release 3 reads email_address only\nALTER TABLE accounts DROP COLUMN email;\n",
);

fn compat(sql: &str) -> (tempfile::TempDir, CompatRelease) {
    let dir = tempfile::tempdir().unwrap();
    write_files(dir.path(), &[("app.sql", sql)]);
    let release = CompatRelease {
        label: "rollback target sha256:r1".into(),
        dir: dir.path().to_path_buf(),
    };
    (dir, release)
}

#[test]
fn a_rollback_past_an_applied_contract_migration_is_blocked_with_its_reasons() {
    let (url, _raw) = database("rollback");
    let (_d, current) = set_of(&[V1, V2, V3]);
    apply(&url, &current, &ApplyOptions::new("ci")).unwrap();

    let (_d1, release1) = set_of(&[V1]);
    let (_c1, compat1) = compat("SELECT id, email FROM accounts WHERE id = $1;\n");
    let r =
        rollback_readiness(&url, &release1, Some(&compat1), &RehearseOptions::default()).unwrap();
    assert_eq!(r.verdict, Verdict::Block);
    let predates: Vec<(&str, Option<Class>)> = r
        .predates
        .iter()
        .map(|m| (m.name.as_str(), m.class))
        .collect();
    assert_eq!(predates, [("V0003__drop_email.sql", Some(Class::Contract))]);
    assert_eq!(
        r.reasons(),
        [
            "the database has applied contract migration V0003__drop_email.sql (set 'app'), which the release predates",
            "its query app.sql:1 fails against the current schema: column \"email\" does not exist (SQLSTATE 42703)",
        ]
    );
}

#[test]
fn a_rollback_past_expand_migrations_only_is_ready() {
    let (url, _raw) = database("rollbackok");
    let (_d, current) = set_of(&[V1, V2]);
    apply(&url, &current, &ApplyOptions::new("ci")).unwrap();
    let (_d1, release1) = set_of(&[V1]);
    let (_c1, compat1) = compat("SELECT id, email FROM accounts WHERE id = $1;\nINSERT INTO accounts (email) VALUES ('a@b');\n");
    let r =
        rollback_readiness(&url, &release1, Some(&compat1), &RehearseOptions::default()).unwrap();
    assert_eq!(r.verdict, Verdict::Pass, "{:?}", r.reasons());
    assert!(r.predates.is_empty());
    // Without compat queries only the history speaks.
    let r = rollback_readiness(&url, &release1, None, &RehearseOptions::default()).unwrap();
    assert_eq!(r.verdict, Verdict::Pass);
}
