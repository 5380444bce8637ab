//! Errors a plan review can end in. Every one names the file and, where the input is at fault, the
//! position (line, column, byte) and what was expected there, because the person reading it has a
//! 1 GB file and needs to know where to look.

use std::path::PathBuf;

/// Why a plan (or baseline) could not be reviewed.
#[derive(Debug, thiserror::Error)]
pub enum PlanError {
    #[error("{path}: cannot read: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// The input is not well-formed JSON, or not the JSON a plan has at this position.
    #[error("{path}:{line}:{column} (byte {offset}): {message}")]
    Invalid {
        path: PathBuf,
        offset: u64,
        line: u64,
        column: u64,
        message: String,
    },
    /// Well-formed JSON that is not a plan: a state file, an empty object, another tool's output.
    #[error("{path}: {message}")]
    NotAPlan { path: PathBuf, message: String },
    #[error(
        "{path}: plan format_version {version} is not supported (ferry reads 0.x and 1.x); upgrade ferry or render the plan with an older terraform/tofu"
    )]
    UnsupportedVersion { path: PathBuf, version: String },
}

/// A position-only error raised while scanning; the caller adds the file and the line/column.
#[derive(Debug)]
pub(crate) enum RawError {
    Io(std::io::Error),
    At { offset: u64, message: String },
}

impl RawError {
    pub(crate) fn at(offset: u64, message: impl Into<String>) -> RawError {
        RawError::At {
            offset,
            message: message.into(),
        }
    }
}

impl From<std::io::Error> for RawError {
    fn from(e: std::io::Error) -> Self {
        RawError::Io(e)
    }
}

/// Errors in the `[review]` table of ferry.toml.
#[derive(Debug, thiserror::Error)]
pub enum ReviewConfigError {
    #[error("[review] {key}: {message}")]
    Key { key: String, message: String },
    #[error("{path}: {message}")]
    File { path: PathBuf, message: String },
}
