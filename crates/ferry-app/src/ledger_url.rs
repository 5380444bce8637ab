//! Naming a ledger by URL, as `ferry serve --ledger` and `ferry ledger verify --ledger` do:
//! `sqlite:PATH` for the embedded file, `postgres://…` (or `postgresql://…`) for a team's
//! database. The URL may hold a password, so it is never echoed back: errors name the scheme or
//! the database without credentials.

use crate::error::{AppError, Result};
use ferry_store::{Ledger, SqliteLedger};
use std::path::Path;
use std::sync::Arc;

/// What a ledger URL names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LedgerUrl {
    Sqlite(std::path::PathBuf),
    Postgres(String),
}

impl LedgerUrl {
    pub fn parse(url: &str) -> Result<LedgerUrl> {
        let url = url.trim();
        if let Some(path) = url.strip_prefix("sqlite:") {
            let path = path.strip_prefix("//").unwrap_or(path);
            if path.is_empty() {
                return Err(AppError::Invalid(
                    "ledger URL `sqlite:` names no file; use sqlite:PATH (e.g. sqlite:.ferry/ledger.db)"
                        .into(),
                ));
            }
            return Ok(LedgerUrl::Sqlite(path.into()));
        }
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            return Ok(LedgerUrl::Postgres(url.to_string()));
        }
        let scheme = url.split_once(':').map_or("", |(s, _)| s);
        Err(AppError::Invalid(format!(
            "unknown ledger URL scheme `{}`; use sqlite:PATH or postgres://USER:PASSWORD@HOST:PORT/DATABASE",
            scheme.chars().take(20).collect::<String>()
        )))
    }

    /// Opens the ledger. `must_exist` refuses to create an embedded file that is not there
    /// (verifying a ledger that does not exist is a typo, not an empty ledger).
    pub fn open(&self, must_exist: bool) -> Result<Arc<dyn Ledger>> {
        match self {
            LedgerUrl::Sqlite(path) => {
                if must_exist && !Path::new(path).is_file() {
                    return Err(AppError::NotFound(format!(
                        "no ledger at {}; pass the ledger file (a project's is .ferry/{})",
                        path.display(),
                        ferry_store::LEDGER_FILE
                    )));
                }
                Ok(Arc::new(SqliteLedger::open_file(path)?))
            }
            LedgerUrl::Postgres(url) => Ok(ferry_store_pg::open(url)?),
        }
    }
}
