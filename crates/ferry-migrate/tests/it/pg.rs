//! Shared helpers for the tests against the real PostgreSQL server (one per test binary, one
//! database per test).

use ferry_migrate::{DatabaseUrl, MigrationSet};
use ferry_testkit::PgServer;
use std::path::Path;

pub fn server() -> &'static PgServer {
    PgServer::shared().unwrap()
}

/// A fresh database and its URL (the raw text too, to assert it never leaks).
pub fn database(prefix: &str) -> (DatabaseUrl, String) {
    let raw = server().fresh_database(prefix).unwrap();
    (
        DatabaseUrl::new(raw.clone()).unwrap().with_label("app"),
        raw,
    )
}

pub fn write_files(dir: &Path, files: &[(&str, &str)]) {
    std::fs::create_dir_all(dir).unwrap();
    for (name, sql) in files {
        std::fs::write(dir.join(name), sql).unwrap();
    }
}

/// A set named `app` from `files` in a new temporary directory.
pub fn set_of(files: &[(&str, &str)]) -> (tempfile::TempDir, MigrationSet) {
    let dir = tempfile::tempdir().unwrap();
    write_files(dir.path(), files);
    let set = MigrationSet::from_dir("app", dir.path()).unwrap();
    (dir, set)
}

/// The first column of every row, as text.
pub fn column(raw_url: &str, sql: &str) -> Vec<String> {
    let mut client = postgres::Client::connect(raw_url, postgres::NoTls).unwrap();
    client
        .query(sql, &[])
        .unwrap()
        .iter()
        .map(|r| r.get::<_, String>(0))
        .collect()
}

/// `name result` rows of the history, in order.
pub fn history(raw_url: &str) -> Vec<String> {
    column(
        raw_url,
        "SELECT name || ' ' || result FROM ferry_schema_history ORDER BY id",
    )
}
