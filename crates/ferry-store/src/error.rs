//! Typed store errors. Backends map their driver errors into these, so callers never see (or
//! depend on) rusqlite or a PostgreSQL client.

use crate::records::LockRecord;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The database itself failed (I/O, SQL, driver); `what` names the ledger.
    #[error("ledger {what}: {message}")]
    Backend { what: String, message: String },
    /// The ledger is busy or unreachable now; trying again may work.
    #[error("ledger {what} is unavailable: {message}")]
    Unavailable { what: String, message: String },
    #[error("ledger {what} was written by a newer ferry (schema {found}, this ferry knows {known}); upgrade ferry")]
    NewerSchema {
        what: String,
        found: i64,
        known: i64,
    },
    #[error("ledger {what}: stored {item} is unreadable: {message}")]
    Corrupt {
        what: String,
        item: String,
        message: String,
    },
    #[error("cannot create the data directory {path}: {source}")]
    DataDir {
        path: String,
        source: std::io::Error,
    },
    /// The write would break a rule of the record (a plan applied twice, a finished deployment
    /// rewritten, a rejected plan approved).
    #[error("{0}")]
    Conflict(String),
    #[error("{0}")]
    NotFound(String),
    #[error("'{}' is locked by {} since {} for {} (lease until {}); wait for it to finish, or if it died, `ferry unlock --env {} --reason ...`", .0.env, .0.holder, .0.since, .0.purpose, .0.expires_at, .0.env)]
    Locked(Box<LockRecord>),
    /// An artifact's bytes do not hash to its id.
    #[error("stored {kind} {id} does not match its hash: it was modified or is incomplete; refusing to use it")]
    Tampered { kind: String, id: String },
    #[error("artifact {path}: {source}")]
    Artifact {
        path: String,
        source: std::io::Error,
    },
}

pub type Result<T> = std::result::Result<T, StoreError>;
