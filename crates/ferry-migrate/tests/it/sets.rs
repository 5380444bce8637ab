//! Loading a migration set from a release on disk: bad layouts are errors naming the file.

use crate::pg::write_files;
use ferry_migrate::config::MigrationConfig;
use ferry_migrate::{MigrationSet, SetError};

fn config(dir: &str) -> MigrationConfig {
    let table: toml::Table = toml::from_str(&format!("name = \"app\"\ndir = \"{dir}\"")).unwrap();
    MigrationConfig::from_tables(&[table]).unwrap()
}

#[test]
fn a_set_loads_in_file_name_order_with_checksums_and_a_digest() {
    let release = tempfile::tempdir().unwrap();
    write_files(
        &release.path().join("db/migrations"),
        &[
            ("V0002__b.sql", "ALTER TABLE t ADD COLUMN b text;\n"),
            ("V0001__a.sql", "CREATE TABLE t (id int);\n"),
            ("README.md", "not a migration"),
        ],
    );
    let cfg = config("db/migrations");
    let set = MigrationSet::load(release.path(), &cfg.sets[0]).unwrap();
    let names: Vec<&str> = set.files.iter().map(|f| f.name.as_str()).collect();
    assert_eq!(names, ["V0001__a.sql", "V0002__b.sql"]);
    use sha2::Digest;
    assert_eq!(
        set.files[0].checksum,
        format!(
            "sha256:{}",
            hex::encode(sha2::Sha256::digest(b"CREATE TABLE t (id int);\n"))
        )
    );
    let digest = set.digest();
    // The digest moves with any byte of any file.
    write_files(
        &release.path().join("db/migrations"),
        &[("V0002__b.sql", "ALTER TABLE t ADD COLUMN b text; \n")],
    );
    let changed = MigrationSet::load(release.path(), &cfg.sets[0]).unwrap();
    assert_ne!(changed.digest(), digest);
    assert_eq!(changed.files[0].checksum, set.files[0].checksum);
}

#[test]
fn a_missing_directory_names_the_set_and_the_dir() {
    let release = tempfile::tempdir().unwrap();
    let err = MigrationSet::load(release.path(), &config("db/migrations").sets[0]).unwrap_err();
    assert!(matches!(err, SetError::MissingDir { .. }));
    assert!(
        err.to_string().starts_with(
            "migration set 'app': directory 'db/migrations' is missing from the release"
        ),
        "{err}"
    );
}

#[test]
fn files_that_manage_transactions_unparsable_or_misordered_files_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    write_files(
        dir.path(),
        &[(
            "V1__tx.sql",
            "CREATE TABLE a (id int);\nBEGIN;\nCREATE TABLE b (id int);\nCOMMIT;\n",
        )],
    );
    let err = MigrationSet::from_dir("app", dir.path()).unwrap_err();
    assert!(
        matches!(&err, SetError::TransactionControl { line: 2, .. }),
        "{err}"
    );

    let dir = tempfile::tempdir().unwrap();
    write_files(
        dir.path(),
        &[(
            "V1__bad.sql",
            "CREATE TABLE a (id int);\nCREAT TABLE b ();\n",
        )],
    );
    let err = MigrationSet::from_dir("app", dir.path()).unwrap_err();
    assert!(matches!(&err, SetError::Parse(p) if p.line == 2), "{err}");

    let dir = tempfile::tempdir().unwrap();
    write_files(
        dir.path(),
        &[("V9__a.sql", "SELECT 1;"), ("V10__b.sql", "SELECT 1;")],
    );
    let err = MigrationSet::from_dir("app", dir.path()).unwrap_err();
    assert_eq!(
        err.to_string(),
        "migration files V9__a.sql and V10__b.sql would apply out of order (file-name order); pad the version numbers to the same width"
    );
}
