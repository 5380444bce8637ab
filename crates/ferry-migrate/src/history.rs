//! The history table in the target database, `ferry_schema_history`: one row per attempt to
//! apply a migration (result `success` or `failed`), written in the same transaction as the
//! migration when it has one. The ledger records the same facts; this table is what the
//! database itself says, so the two can be compared.

use crate::error::MigrateError;
use crate::url::DatabaseUrl;
use postgres::GenericClient;

pub const HISTORY_TABLE: &str = "ferry_schema_history";

const CREATE: &str = "CREATE TABLE IF NOT EXISTS ferry_schema_history (
    id bigserial PRIMARY KEY,
    set_name text NOT NULL,
    name text NOT NULL,
    checksum text NOT NULL,
    class text,
    applied_by text NOT NULL,
    applied_at timestamptz NOT NULL DEFAULT now(),
    duration_ms bigint NOT NULL,
    result text NOT NULL CHECK (result IN ('success', 'failed')),
    release_id text,
    error text
)";

/// Server error text without the DETAIL, which can quote row values.
pub(crate) fn pg_message(e: &postgres::Error) -> String {
    match e.as_db_error() {
        Some(db) => {
            let mut text = format!("{} (SQLSTATE {})", db.message(), db.code().code());
            if let Some(hint) = db.hint() {
                text.push_str(&format!("; hint: {hint}"));
            }
            text
        }
        None => e.to_string(),
    }
}

pub(crate) fn db_error(url: &DatabaseUrl, context: &str, e: &postgres::Error) -> MigrateError {
    // The connection itself failed (closed, reset, timed out), as opposed to a statement.
    let io = std::error::Error::source(e).is_some_and(|s| s.is::<std::io::Error>());
    if e.is_closed() || io {
        return MigrateError::Unreachable {
            database: url.label().to_string(),
            message: url.scrub(&pg_message(e)),
        };
    }
    MigrateError::Database {
        database: url.label().to_string(),
        context: context.to_string(),
        message: url.scrub(&pg_message(e)),
    }
}

pub(crate) fn ensure_table(
    client: &mut impl GenericClient,
    url: &DatabaseUrl,
) -> Result<(), MigrateError> {
    match client.batch_execute(CREATE) {
        Ok(()) => Ok(()),
        // Two first runs racing on CREATE TABLE IF NOT EXISTS: the other one made it.
        Err(e) if e.code() == Some(&postgres::error::SqlState::UNIQUE_VIOLATION) => Ok(()),
        Err(e) => Err(db_error(url, "creating ferry_schema_history", &e)),
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct HistoryRow {
    pub name: String,
    pub checksum: String,
    /// The migration's review class when it was applied (expand, lock, contract, destructive):
    /// lets the rollback guard judge a migration whose file a rollback target lacks.
    pub class: Option<String>,
    pub applied_by: String,
    pub applied_at: String,
    pub success: bool,
    pub release: Option<String>,
    pub error: Option<String>,
}

pub(crate) fn rows(
    client: &mut impl GenericClient,
    url: &DatabaseUrl,
    set: &str,
) -> Result<Vec<HistoryRow>, MigrateError> {
    let rows = client
        .query(
            "SELECT name, checksum, class, applied_by,
                    to_char(applied_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'),
                    result, release_id, error
             FROM ferry_schema_history WHERE set_name = $1 ORDER BY id",
            &[&set],
        )
        .map_err(|e| db_error(url, "reading ferry_schema_history", &e))?;
    // try_get: a table of another shape (made by hand, or by another tool) is an error, not a
    // panic.
    let read = |r: &postgres::Row| -> Result<HistoryRow, postgres::Error> {
        Ok(HistoryRow {
            name: r.try_get(0)?,
            checksum: r.try_get(1)?,
            class: r.try_get(2)?,
            applied_by: r.try_get(3)?,
            applied_at: r.try_get(4)?,
            success: r.try_get::<_, String>(5)? == "success",
            release: r.try_get(6)?,
            error: r.try_get(7)?,
        })
    };
    rows.iter()
        .map(read)
        .collect::<Result<_, _>>()
        .map_err(|e| db_error(url, "reading ferry_schema_history", &e))
}

pub(crate) struct Record<'a> {
    pub set: &'a str,
    pub name: &'a str,
    pub checksum: &'a str,
    pub class: &'a str,
    pub who: &'a str,
    pub duration_ms: i64,
    pub success: bool,
    pub release: Option<&'a str>,
    pub error: Option<&'a str>,
}

pub(crate) fn record(
    client: &mut impl GenericClient,
    url: &DatabaseUrl,
    r: &Record<'_>,
) -> Result<(), MigrateError> {
    let result = if r.success { "success" } else { "failed" };
    client
        .execute(
            "INSERT INTO ferry_schema_history
                 (set_name, name, checksum, class, applied_by, duration_ms, result, release_id, error)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
            &[
                &r.set,
                &r.name,
                &r.checksum,
                &r.class,
                &r.who,
                &r.duration_ms,
                &result,
                &r.release,
                &r.error,
            ],
        )
        .map(|_| ())
        .map_err(|e| db_error(url, "recording in ferry_schema_history", &e))
}
