//! The embedded ledger: one SQLite file under the data dir, WAL mode so readers (status, a web
//! view) never block a running promotion, schema versioned with `PRAGMA user_version`, every
//! write an IMMEDIATE transaction so two ferry processes serialize on it.

mod advice;
mod migrations;
mod ops;
mod rows;
mod schema;

pub(crate) use schema::MIGRATIONS;

use crate::chain::{self, RowRef, StoredEvent};
use crate::error::{Result, StoreError};
use crate::records::NewEvent;
use rows::ReadError;
use rusqlite::{params, Connection, Transaction, TransactionBehavior};
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

pub struct SqliteLedger {
    conn: Mutex<Connection>,
    path: PathBuf,
}

impl std::fmt::Debug for SqliteLedger {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SqliteLedger")
            .field("path", &self.path)
            .finish()
    }
}

/// The ledger file's name inside a data directory.
pub const LEDGER_FILE: &str = "ledger.db";

impl SqliteLedger {
    /// Opens (creating when absent) `<data_dir>/ledger.db` and brings its schema up to date.
    pub fn open(data_dir: &Path) -> Result<SqliteLedger> {
        crate::artifacts::create_private_dir(data_dir).map_err(|e| match e {
            StoreError::Artifact { path, source } => StoreError::DataDir { path, source },
            other => other,
        })?;
        Self::open_file(&data_dir.join(LEDGER_FILE))
    }

    /// Opens the ledger at `path` (e.g. `ferry serve --ledger sqlite:PATH`).
    pub fn open_file(path: &Path) -> Result<SqliteLedger> {
        crate::artifacts::refuse_link(path)?;
        create_private(path)?;
        // SQLite creates `-wal` and `-shm` with the database file's mode, so 0600 from here on;
        // NOFOLLOW: SQLite refuses a link anywhere in the path, not only where ferry looked.
        let flags = rusqlite::OpenFlags::default() | rusqlite::OpenFlags::SQLITE_OPEN_NOFOLLOW;
        let conn = Connection::open_with_flags(path, flags).map_err(|e| StoreError::Backend {
            what: path.display().to_string(),
            message: e.to_string(),
        })?;
        restrict(path);
        let ledger = SqliteLedger {
            conn: Mutex::new(conn),
            path: path.to_path_buf(),
        };
        ledger.setup()?;
        Ok(ledger)
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    fn what(&self) -> String {
        self.path.display().to_string()
    }

    pub(crate) fn sql(&self, e: rusqlite::Error) -> StoreError {
        let busy = matches!(
            &e,
            rusqlite::Error::SqliteFailure(f, _)
                if matches!(f.code, rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked)
        );
        if busy {
            StoreError::Unavailable {
                what: self.what(),
                message: e.to_string(),
            }
        } else {
            StoreError::Backend {
                what: self.what(),
                message: e.to_string(),
            }
        }
    }

    pub(crate) fn read(&self, e: ReadError) -> StoreError {
        match e {
            ReadError::Sql(e) => self.sql(e),
            ReadError::Bad((item, message)) => StoreError::Corrupt {
                what: self.what(),
                item,
                message,
            },
        }
    }

    pub(crate) fn conn(&self) -> MutexGuard<'_, Connection> {
        // A panic while holding the lock cannot leave a half-written row (transactions roll
        // back on drop), so a poisoned mutex is still a usable connection.
        self.conn.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Runs `f` in one IMMEDIATE transaction, committed only when `f` succeeds.
    pub(crate) fn write<T>(&self, f: impl FnOnce(&Transaction<'_>) -> Result<T>) -> Result<T> {
        let mut conn = self.conn();
        let tx = conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(|e| self.sql(e))?;
        let out = f(&tx)?;
        tx.commit().map_err(|e| self.sql(e))?;
        Ok(out)
    }

    fn setup(&self) -> Result<()> {
        let mut conn = self.conn();
        conn.busy_timeout(Duration::from_secs(30))
            .map_err(|e| self.sql(e))?;
        conn.execute_batch(
            "PRAGMA journal_mode = WAL; PRAGMA foreign_keys = ON; PRAGMA synchronous = FULL;",
        )
        .map_err(|e| self.sql(e))?;
        let version: i64 = conn
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .map_err(|e| self.sql(e))?;
        let known = schema::MIGRATIONS.len() as i64;
        if version > known {
            return Err(StoreError::NewerSchema {
                what: self.what(),
                found: version,
                known,
            });
        }
        for (i, sql) in schema::MIGRATIONS.iter().enumerate().skip(version as usize) {
            // IMMEDIATE: two ferry processes opening a fresh ledger must not both migrate.
            let tx = conn
                .transaction_with_behavior(TransactionBehavior::Immediate)
                .map_err(|e| self.sql(e))?;
            let current: i64 = tx
                .query_row("PRAGMA user_version", [], |r| r.get(0))
                .map_err(|e| self.sql(e))?;
            if current > i as i64 {
                continue;
            }
            tx.execute_batch(sql).map_err(|e| self.sql(e))?;
            if i + 1 == schema::CHAINED_SINCE && version > 0 {
                self.seal(&tx)?;
            }
            tx.execute_batch(&format!("PRAGMA user_version = {}", i + 1))
                .map_err(|e| self.sql(e))?;
            tx.commit().map_err(|e| self.sql(e))?;
        }
        Ok(())
    }

    /// A ledger written before the chain existed: chain its events as they are and record one
    /// event covering every row, so later edits are detected from here on.
    fn seal(&self, tx: &Transaction<'_>) -> Result<()> {
        let events = rows::stored_events(tx, "ORDER BY seq", &[]).map_err(|e| self.read(e))?;
        let mut prev: Option<String> = None;
        for mut e in events {
            e.prev_hash = prev.clone();
            let h = chain::event_hash(&e, prev.as_deref());
            tx.execute(
                "UPDATE events SET prev_hash = ?2, hash = ?3 WHERE seq = ?1",
                params![e.seq, e.prev_hash, h],
            )
            .map_err(|e| self.sql(e))?;
            prev = Some(h);
        }
        let refs: Vec<RowRef> = self
            .covered_rows(tx)?
            .into_iter()
            .map(|((table, key), digest)| RowRef { table, key, digest })
            .collect();
        let event = NewEvent {
            at: now_rfc3339(),
            env: None,
            kind: "ledger.sealed".into(),
            actor: "ferry".into(),
            release: None,
            plan: None,
            message: format!(
                "ledger upgraded: {} existing row(s) now covered by the hash chain",
                refs.len()
            ),
        };
        self.append(tx, &event, refs)
    }

    /// Appends `event` to the chain, naming the rows it wrote.
    pub(crate) fn append(
        &self,
        tx: &Transaction<'_>,
        event: &NewEvent,
        refs: Vec<RowRef>,
    ) -> Result<()> {
        let (seq, prev): (i64, Option<String>) = tx
            .query_row(
                "SELECT COALESCE(MAX(seq), 0) + 1, (SELECT hash FROM events ORDER BY seq DESC LIMIT 1) FROM events",
                [],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .map_err(|e| self.sql(e))?;
        let mut stored = StoredEvent {
            seq,
            at: event.at.clone(),
            env: event.env.clone(),
            kind: event.kind.clone(),
            actor: event.actor.clone(),
            release: event.release.as_ref().map(|r| r.to_string()),
            plan: event.plan.as_ref().map(|p| p.to_string()),
            message: event.message.clone(),
            refs,
            prev_hash: prev.clone(),
            hash: None,
        };
        let hash = chain::event_hash(&stored, prev.as_deref());
        stored.hash = Some(hash);
        let refs = serde_json::to_string(&stored.refs).map_err(|e| StoreError::Corrupt {
            what: self.what(),
            item: "event refs".into(),
            message: e.to_string(),
        })?;
        tx.execute(
            "INSERT INTO events (seq, at, env, kind, actor, release_id, plan_id, message, refs, prev_hash, hash) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
            params![
                stored.seq,
                stored.at,
                stored.env,
                stored.kind,
                stored.actor,
                stored.release,
                stored.plan,
                stored.message,
                refs,
                stored.prev_hash,
                stored.hash
            ],
        )
        .map_err(|e| self.sql(e))?;
        Ok(())
    }

    /// `(table, key) → digest` of every row the chain covers, read as `verify` reads them.
    pub(crate) fn covered_rows(
        &self,
        conn: &Connection,
    ) -> Result<std::collections::BTreeMap<(String, String), String>> {
        let mut out = std::collections::BTreeMap::new();
        let r = |e| self.read(e);
        for rel in rows::releases(conn, "", &[]).map_err(r)? {
            out.insert(
                ("releases".into(), rel.id.to_string()),
                chain::row_digest(&rel),
            );
        }
        for p in rows::plans(conn, "", &[]).map_err(r)? {
            out.insert(("plans".into(), p.id.to_string()), chain::row_digest(&p));
        }
        for (seq, a) in rows::approvals(conn, "", &[]).map_err(r)? {
            out.insert(("approvals".into(), seq.to_string()), chain::row_digest(&a));
        }
        for d in rows::deployments(conn, "", &[]).map_err(r)? {
            out.insert(
                ("deployments".into(), d.id.to_string()),
                chain::row_digest(&d),
            );
        }
        for (seq, h) in rows::rehearsals(conn, "", &[]).map_err(r)? {
            out.insert(
                ("rehearsals".into(), seq.to_string()),
                chain::row_digest(&h),
            );
        }
        // Sealing an old ledger (at CHAINED_SINCE) runs before later steps made their tables.
        let advice = if table_exists(conn, "advice").map_err(|e| self.sql(e))? {
            rows::advice(conn, "", &[]).map_err(r)?
        } else {
            Vec::new()
        };
        for (seq, a) in advice {
            out.insert(("advice".into(), seq.to_string()), chain::row_digest(&a));
        }
        self.covered_migration_rows(conn, &mut out)?;
        Ok(out)
    }
}

fn table_exists(conn: &Connection, name: &str) -> rusqlite::Result<bool> {
    conn.query_row(
        "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = ?1",
        [name],
        |r| r.get::<_, i64>(0),
    )
    .map(|n| n > 0)
}

/// Creates the ledger file owner-only before SQLite opens it, so it is never readable by others,
/// not even for the moment between creation and [`restrict`].
fn create_private(path: &Path) -> Result<()> {
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    match opts.open(path) {
        Ok(_) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
        Err(e) => Err(StoreError::Backend {
            what: path.display().to_string(),
            message: e.to_string(),
        }),
    }
}

/// The ledger holds plans' review and who approved what: owner-only.
fn restrict(path: &Path) {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let _ = std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600));
    }
    #[cfg(not(unix))]
    let _ = path;
}

fn now_rfc3339() -> String {
    ferry_core::schedule::format_instant(jiff::Timestamp::now())
}
