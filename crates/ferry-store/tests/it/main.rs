#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! The SQLite ledger against the conformance suite, plus what only SQLite has: the file, its
//! schema versions, and sealing a ledger written before the hash chain existed.

use ferry_store::conformance::{self, Fixture, Harness};
use ferry_store::*;
use std::path::PathBuf;
use std::sync::Arc;

mod sealed;
mod sealed_suite;

struct Sqlite {
    dirs: std::sync::Mutex<Vec<tempfile::TempDir>>,
}

impl Harness for Sqlite {
    fn fresh(&self) -> Fixture {
        let dir = tempfile::tempdir().unwrap();
        let path: PathBuf = dir.path().to_path_buf();
        self.dirs.lock().unwrap().push(dir);
        let ledger: Arc<dyn Ledger> = Arc::new(SqliteLedger::open(&path).unwrap());
        let reopen_path = path.clone();
        Fixture {
            ledger,
            reopen: Box::new(move || Arc::new(SqliteLedger::open(&reopen_path).unwrap())),
            tamper: Box::new(move |sql| {
                let conn = rusqlite::Connection::open(path.join(LEDGER_FILE))
                    .map_err(|e| e.to_string())?;
                conn.execute_batch(sql).map_err(|e| e.to_string())
            }),
        }
    }
}

#[test]
fn sqlite_passes_the_conformance_suite() {
    let h = Sqlite {
        dirs: Default::default(),
    };
    let failures = conformance::run_all(&h);
    assert!(failures.is_empty(), "{failures:#?}");
    assert!(conformance::CASES.len() >= 12);
}

#[test]
fn reopening_keeps_data_and_the_file_is_private() {
    let dir = tempfile::tempdir().unwrap();
    {
        let l = SqliteLedger::open(dir.path()).unwrap();
        l.record_release(
            &conformance::release(conformance::rid('a')),
            &conformance::event("release.created", None),
        )
        .unwrap();
    }
    let l = SqliteLedger::open(dir.path()).unwrap();
    assert_eq!(l.releases().unwrap().len(), 1);
    assert!(l.verify().unwrap().ok());
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(dir.path().join(LEDGER_FILE))
            .unwrap()
            .permissions()
            .mode()
            & 0o777;
        assert_eq!(mode, 0o600);
    }
}

#[test]
fn a_newer_schema_is_refused_with_the_fix() {
    let dir = tempfile::tempdir().unwrap();
    drop(SqliteLedger::open(dir.path()).unwrap());
    let conn = rusqlite::Connection::open(dir.path().join(LEDGER_FILE)).unwrap();
    conn.execute_batch("PRAGMA user_version = 99").unwrap();
    drop(conn);
    let err = SqliteLedger::open(dir.path()).unwrap_err().to_string();
    assert!(
        err.contains("newer ferry") && err.contains("upgrade"),
        "{err}"
    );
}

#[test]
fn a_ledger_from_before_the_chain_is_sealed_on_upgrade() {
    let dir = tempfile::tempdir().unwrap();
    let conn = rusqlite::Connection::open(dir.path().join(LEDGER_FILE)).unwrap();
    for sql in &ferry_store::schema_sql()[..2] {
        conn.execute_batch(sql).unwrap();
    }
    conn.execute_batch(&format!(
        "PRAGMA user_version = 2;
         INSERT INTO releases (id, git_commit, dirty, subject, author, created_by, created_at) VALUES ('sha256:{a}', 'c', 0, 's', 'a', 'me', 't');
         INSERT INTO events (at, env, kind, actor, release_id, plan_id, message) VALUES ('t', NULL, 'release.created', 'me', 'sha256:{a}', NULL, 'old');",
        a = "a".repeat(64)
    ))
    .unwrap();
    drop(conn);
    let l = SqliteLedger::open(dir.path()).unwrap();
    let report = l.verify().unwrap();
    assert!(report.ok(), "{report:?}");
    assert_eq!(report.events, 2);
    assert_eq!(l.events(None).unwrap()[0].kind, "ledger.sealed");
    // and from now on edits are found
    let conn = rusqlite::Connection::open(dir.path().join(LEDGER_FILE)).unwrap();
    conn.execute_batch("UPDATE releases SET subject = 'x'")
        .unwrap();
    assert!(!l.verify().unwrap().ok());
}
