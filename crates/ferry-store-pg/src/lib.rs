//! The ledger on PostgreSQL, for teams: one database that several `ferry serve` processes (and
//! CI runners through them) share. It implements the same [`Ledger`] trait as the embedded
//! SQLite ledger, keeps the same hash chain (so `ferry ledger verify` means the same thing) and
//! passes the same conformance suite, run against a real server.
//!
//! Concurrency does not lean on SQLite's single writer: every write is one transaction that
//! first takes a transaction-scoped advisory lock, so writes from any number of processes are
//! serialised exactly where the chain needs it (each event names the hash of the one before),
//! while reads never wait. Each state change is also a conditional `UPDATE … WHERE status = …`
//! checked by its row count, so a plan is claimed exactly once and a finished deployment is
//! never rewritten even if the advisory lock were bypassed.
//!
//! [`PgArtifactStore`] keeps release bundles, plan files and plan JSON in the same database, in
//! chunk rows verified on every read; wrap it in `ferry_store::SealedArtifacts` so plan artifacts
//! are sealed with the server key before they reach the table.

mod accounts;
mod artifacts;
mod ops;
mod rows;
mod schema;
mod steps;

pub use artifacts::{PgArtifactStore, CHUNK};

use ferry_store::chain::{self, RowRef, StoredEvent};
use ferry_store::{Event, Ledger, NewEvent, Result, StoreError};
use postgres::error::SqlState;
use postgres::{Client, Config, NoTls, Transaction};
use rows::ReadError;
use std::collections::BTreeMap;
use std::str::FromStr;
use std::sync::{Condvar, Mutex};
use std::time::Duration;

/// The advisory lock key every writer takes (ASCII "ferry" in the low bytes): one writer at a
/// time per database.
const WRITE_LOCK: i64 = 0x0066_6572_7279;

/// How many connections one ledger keeps: concurrent reads of a busy server run side by side
/// (writes still take turns on the advisory lock).
const POOL_SIZE: usize = 8;
/// How long a call waits for a free connection before saying the database is unavailable.
const POOL_WAIT: Duration = Duration::from_secs(30);

#[derive(Default)]
struct PoolState {
    idle: Vec<Client>,
    open: usize,
}

/// A ledger in a PostgreSQL database.
pub struct PgLedger {
    config: Config,
    pool: Mutex<PoolState>,
    freed: Condvar,
    /// The database named without credentials, for messages.
    what: String,
}

impl std::fmt::Debug for PgLedger {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PgLedger")
            .field("what", &self.what)
            .finish()
    }
}

/// [`describe`] of a URL; an unparsable one is not echoed (it may hold a password).
pub fn describe_url(url: &str) -> String {
    Config::from_str(url)
        .map(|c| describe(&c))
        .unwrap_or_else(|_| "postgres://(unparsable URL)".into())
}

/// `postgres://user@host:port/db` with the password left out, for messages and logs.
pub fn describe(config: &Config) -> String {
    let user = config
        .get_user()
        .map(|u| format!("{u}@"))
        .unwrap_or_default();
    let host = config
        .get_hosts()
        .first()
        .map(|h| match h {
            postgres::config::Host::Tcp(name) => name.clone(),
            #[cfg(unix)]
            postgres::config::Host::Unix(path) => path.display().to_string(),
        })
        .unwrap_or_else(|| "localhost".into());
    let port = config
        .get_ports()
        .first()
        .map(|p| format!(":{p}"))
        .unwrap_or_default();
    let db = config.get_dbname().unwrap_or("");
    format!("postgres://{user}{host}{port}/{db}")
}

impl PgLedger {
    /// Connects to the database at `url` (`postgres://user:password@host:port/db`) and brings its
    /// schema up to date. The URL's password never appears in an error.
    pub fn connect(url: &str) -> Result<PgLedger> {
        let mut config = Config::from_str(url).map_err(|e| StoreError::Backend {
            what: "postgres ledger URL".into(),
            // The parser's messages name the part that is wrong, never the password's value.
            message: format!("{e}; expected postgres://USER:PASSWORD@HOST:PORT/DATABASE"),
        })?;
        if config.get_connect_timeout().is_none() {
            config.connect_timeout(Duration::from_secs(10));
        }
        if config.get_application_name().is_none() {
            config.application_name("ferry");
        }
        let ledger = PgLedger {
            what: describe(&config),
            config,
            pool: Mutex::new(PoolState::default()),
            freed: Condvar::new(),
        };
        ledger.setup()?;
        Ok(ledger)
    }

    /// The database, named without credentials.
    pub fn what(&self) -> &str {
        &self.what
    }

    pub(crate) fn sql(&self, e: postgres::Error) -> StoreError {
        let transient = e.is_closed()
            || e.code().is_some_and(|c| {
                *c == SqlState::T_R_SERIALIZATION_FAILURE
                    || *c == SqlState::T_R_DEADLOCK_DETECTED
                    || *c == SqlState::ADMIN_SHUTDOWN
                    || *c == SqlState::CANNOT_CONNECT_NOW
                    || *c == SqlState::TOO_MANY_CONNECTIONS
            })
            || std::error::Error::source(&e).is_some_and(|s| s.is::<std::io::Error>());
        let message = match e.as_db_error() {
            Some(db) => db.message().to_string(),
            None => e.to_string(),
        };
        if transient {
            StoreError::Unavailable {
                what: self.what.clone(),
                message,
            }
        } else {
            StoreError::Backend {
                what: self.what.clone(),
                message,
            }
        }
    }

    pub(crate) fn read(&self, e: ReadError) -> StoreError {
        match e {
            ReadError::Sql(e) => self.sql(e),
            ReadError::Bad { item, message } => StoreError::Corrupt {
                what: self.what.clone(),
                item,
                message,
            },
        }
    }

    /// A connection from the pool, opening one when none is idle and fewer than
    /// [`POOL_SIZE`] are open; a closed one (a server restart, a network blip) is dropped and
    /// replaced: one failed call, not a dead ledger.
    pub(crate) fn client(&self) -> Result<Conn<'_>> {
        let deadline = std::time::Instant::now() + POOL_WAIT;
        let mut state = self.pool.lock().unwrap_or_else(|p| p.into_inner());
        loop {
            if let Some(c) = state.idle.pop() {
                if c.is_closed() {
                    state.open -= 1;
                    continue;
                }
                return Ok(Conn {
                    ledger: self,
                    client: Some(c),
                });
            }
            if state.open < POOL_SIZE {
                state.open += 1;
                drop(state);
                return match self.config.connect(NoTls) {
                    Ok(c) => Ok(Conn {
                        ledger: self,
                        client: Some(c),
                    }),
                    Err(e) => {
                        self.give_back(None);
                        Err(self.sql(e))
                    }
                };
            }
            let left = deadline.saturating_duration_since(std::time::Instant::now());
            if left.is_zero() {
                return Err(StoreError::Unavailable {
                    what: self.what.clone(),
                    message: format!(
                        "all {POOL_SIZE} connections stayed busy for {}s",
                        POOL_WAIT.as_secs()
                    ),
                });
            }
            state = self
                .freed
                .wait_timeout(state, left)
                .unwrap_or_else(|p| p.into_inner())
                .0;
        }
    }

    fn give_back(&self, client: Option<Client>) {
        let mut state = self.pool.lock().unwrap_or_else(|p| p.into_inner());
        match client {
            Some(c) if !c.is_closed() => state.idle.push(c),
            _ => state.open = state.open.saturating_sub(1),
        }
        drop(state);
        self.freed.notify_one();
    }

    /// Runs `f` on the connection outside any explicit transaction (reads).
    pub(crate) fn with<T>(
        &self,
        f: impl FnOnce(&mut Client) -> std::result::Result<T, ReadError>,
    ) -> Result<T> {
        let mut guard = self.client()?;
        let client = guard.as_mut().ok_or_else(|| StoreError::Unavailable {
            what: self.what.clone(),
            message: "no connection".into(),
        })?;
        let out = f(client).map_err(|e| self.read(e));
        forget_if_broken(&mut guard, &out);
        out
    }

    /// Runs `f` in one transaction holding the ledger's write lock, committed only when `f`
    /// succeeds.
    pub(crate) fn write<T>(&self, f: impl FnOnce(&mut Transaction<'_>) -> Result<T>) -> Result<T> {
        let mut guard = self.client()?;
        let client = guard.as_mut().ok_or_else(|| StoreError::Unavailable {
            what: self.what.clone(),
            message: "no connection".into(),
        })?;
        let out = (|| {
            let mut tx = client.transaction().map_err(|e| self.sql(e))?;
            tx.execute("SELECT pg_advisory_xact_lock($1)", &[&WRITE_LOCK])
                .map_err(|e| self.sql(e))?;
            let out = f(&mut tx)?;
            tx.commit().map_err(|e| self.sql(e))?;
            Ok(out)
        })();
        forget_if_broken(&mut guard, &out);
        out
    }

    fn setup(&self) -> Result<()> {
        self.write(|tx| {
            tx.batch_execute(
                "CREATE TABLE IF NOT EXISTS ferry_ledger_schema (version BIGINT NOT NULL)",
            )
            .map_err(|e| self.sql(e))?;
            let version: Option<i64> = tx
                .query_opt("SELECT version FROM ferry_ledger_schema", &[])
                .map_err(|e| self.sql(e))?
                .map(|r| r.try_get(0))
                .transpose()
                .map_err(|e| self.sql(e))?;
            let known = schema::MIGRATIONS.len() as i64;
            let version = match version {
                Some(v) => v,
                None => {
                    tx.execute("INSERT INTO ferry_ledger_schema (version) VALUES (0)", &[])
                        .map_err(|e| self.sql(e))?;
                    0
                }
            };
            if version > known {
                return Err(StoreError::NewerSchema {
                    what: self.what.clone(),
                    found: version,
                    known,
                });
            }
            for sql in schema::MIGRATIONS.iter().skip(version.max(0) as usize) {
                tx.batch_execute(sql).map_err(|e| self.sql(e))?;
            }
            tx.execute("UPDATE ferry_ledger_schema SET version = $1", &[&known])
                .map_err(|e| self.sql(e))?;
            Ok(())
        })
    }

    /// Appends `event` to the chain, naming the rows it wrote. Called inside [`Self::write`],
    /// whose advisory lock makes "the last event" well defined.
    pub(crate) fn append(
        &self,
        tx: &mut Transaction<'_>,
        event: &NewEvent,
        refs: Vec<RowRef>,
    ) -> Result<()> {
        let row = tx
            .query_one(
                "SELECT COALESCE(MAX(seq), 0) + 1, (SELECT hash FROM events ORDER BY seq DESC LIMIT 1) FROM events",
                &[],
            )
            .map_err(|e| self.sql(e))?;
        let seq: i64 = row.try_get(0).map_err(|e| self.sql(e))?;
        let prev: Option<String> = row.try_get(1).map_err(|e| self.sql(e))?;
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
        stored.hash = Some(chain::event_hash(&stored, prev.as_deref()));
        let refs = serde_json::to_string(&stored.refs).map_err(|e| StoreError::Corrupt {
            what: self.what.clone(),
            item: "event refs".into(),
            message: e.to_string(),
        })?;
        tx.execute(
            "INSERT INTO events (seq, at, env, kind, actor, release_id, plan_id, message, refs, prev_hash, hash) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
            &[
                &stored.seq,
                &stored.at,
                &stored.env,
                &stored.kind,
                &stored.actor,
                &stored.release,
                &stored.plan,
                &stored.message,
                &refs,
                &stored.prev_hash,
                &stored.hash,
            ],
        )
        .map_err(|e| self.sql(e))?;
        Ok(())
    }

    /// `(table, key) → digest` of every row the chain covers, read as the writes read them.
    fn covered_rows<C: postgres::GenericClient>(
        &self,
        c: &mut C,
    ) -> std::result::Result<BTreeMap<(String, String), String>, ReadError> {
        let mut out = BTreeMap::new();
        let mut put = |table: &str, key: String, digest: String| {
            out.insert((table.to_string(), key), digest);
        };
        for r in rows::releases(c, "", &[])? {
            put("releases", r.id.to_string(), chain::row_digest(&r));
        }
        for p in rows::plans(c, "", &[])? {
            put("plans", p.id.to_string(), chain::row_digest(&p));
        }
        for (seq, a) in rows::approvals(c, "", &[])? {
            put("approvals", seq.to_string(), chain::row_digest(&a));
        }
        for d in rows::deployments(c, "", &[])? {
            put("deployments", d.id.to_string(), chain::row_digest(&d));
        }
        for (seq, h) in rows::rehearsals(c, "", &[])? {
            put("rehearsals", seq.to_string(), chain::row_digest(&h));
        }
        for (seq, a) in rows::advice(c, "", &[])? {
            put("advice", seq.to_string(), chain::row_digest(&a));
        }
        for (seq, r) in rows::whole::<_, ferry_store::MigrationRunRecord>(
            c,
            "migration_runs",
            "migration run",
            "",
            &[],
        )? {
            put("migration_runs", seq.to_string(), chain::row_digest(&r));
        }
        for (seq, a) in rows::whole::<_, ferry_store::MigrationApprovalRecord>(
            c,
            "migration_approvals",
            "migration approval",
            "",
            &[],
        )? {
            put(
                "migration_approvals",
                seq.to_string(),
                chain::row_digest(&a),
            );
        }
        Ok(out)
    }

    fn event(&self, e: StoredEvent) -> Result<Event> {
        e.into_event(&self.what)
    }
}

/// After a connection-level failure the client may not know yet that it is dead: drop it, so
/// the next call connects afresh instead of failing the same way.
/// A pooled connection, given back when dropped (or closed, if it broke).
pub(crate) struct Conn<'a> {
    ledger: &'a PgLedger,
    client: Option<Client>,
}

impl std::ops::Deref for Conn<'_> {
    type Target = Option<Client>;
    fn deref(&self) -> &Option<Client> {
        &self.client
    }
}

impl std::ops::DerefMut for Conn<'_> {
    fn deref_mut(&mut self) -> &mut Option<Client> {
        &mut self.client
    }
}

impl Drop for Conn<'_> {
    fn drop(&mut self) {
        self.ledger.give_back(self.client.take());
    }
}

/// A connection-level failure: the client may not know yet that it is dead, so it is not
/// given back to the pool.
pub(crate) fn forget_if_broken<T>(client: &mut Conn<'_>, out: &Result<T>) {
    if matches!(out, Err(StoreError::Unavailable { .. })) {
        client.client = None;
    }
}

/// A `Ledger` trait object for a ledger URL: `postgres://…` (or `postgresql://…`).
pub fn open(url: &str) -> Result<std::sync::Arc<dyn Ledger>> {
    Ok(std::sync::Arc::new(PgLedger::connect(url)?))
}
