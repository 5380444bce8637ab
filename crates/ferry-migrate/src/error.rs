//! Typed errors. Messages name databases by their ferry.toml name and variables by their name;
//! every text that came from the server or a client tool has been scrubbed of the URL and the
//! password before it is put in here.

use crate::apply::ApplyReport;
use crate::check::source::ParseError;

#[derive(Debug, thiserror::Error)]
pub enum MigrateError {
    #[error(
        "database '{database}': environment variable {var} is not set; export the database URL \
         in it"
    )]
    UrlUnset { database: String, var: String },
    #[error("database URL is not valid: {message}")]
    InvalidUrl { message: String },
    #[error("database '{database}' is unreachable: {message}")]
    Unreachable { database: String, message: String },
    #[error("database '{database}': {context}: {message}")]
    Database {
        database: String,
        context: String,
        message: String,
    },
    #[error(
        "migration '{name}' of set '{set}' was applied with checksum {applied} but the release has \
         {file}: an applied migration must never change; restore the file, or write a new \
         migration for the change"
    )]
    Changed {
        set: String,
        name: String,
        applied: String,
        file: String,
    },
    #[error(
        "database '{database}': another `ferry migrate apply` holds the migration lock; try \
         again when it has finished"
    )]
    Busy { database: String },
    #[error(
        "migration '{name}' failed at {name}:{line}: {message}; it is recorded as failed and the \
         migrations after it were not applied"
    )]
    MigrationFailed {
        name: String,
        line: usize,
        message: String,
        report: Box<ApplyReport>,
    },
    #[error(
        "the pending migrations changed since they were approved (approved {expected}, now \
         {actual}); plan and approve again"
    )]
    PlanChanged { expected: String, actual: String },
    #[error(transparent)]
    Set(#[from] SetError),
    #[error("{tool}: {message}")]
    Tool { tool: String, message: String },
}

/// A migration set or compat directory that cannot be loaded from a release.
#[derive(Debug, thiserror::Error)]
pub enum SetError {
    #[error(
        "migration set '{set}': directory '{dir}' is missing from the release (expected at {path})"
    )]
    MissingDir {
        set: String,
        dir: String,
        path: String,
    },
    #[error("{path}: {source}")]
    Read {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error(transparent)]
    Parse(#[from] ParseError),
    #[error(
        "{file}:{line}: ferry runs each migration in a transaction of its own and records it in \
         that transaction; remove BEGIN/COMMIT/ROLLBACK (split into files instead)"
    )]
    TransactionControl { file: String, line: usize },
    #[error(
        "migration files {first} and {second} would apply out of order (file-name order); pad \
         the version numbers to the same width"
    )]
    Ordering { first: String, second: String },
    #[error("{0}: not valid UTF-8")]
    Encoding(String),
}
