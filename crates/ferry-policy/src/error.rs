//! Everything that can go wrong while loading or running policies. Each error names the file,
//! line and rule it concerns, because a blocked promotion is only actionable when the author can
//! find the offending line; and each converts into a deny result so callers can fail closed.

use crate::report::{Level, PolicyResult};
use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum PolicyError {
    /// A policy directory was configured explicitly but is not there.
    #[error("policy directory {} does not exist", path.display())]
    DirNotFound { path: PathBuf },

    #[error("cannot read {}: {source}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },

    /// The `[policy]` table of ferry.toml is malformed.
    #[error("ferry.toml [policy]{key}: {message}")]
    Config { key: String, message: String },

    #[error("{file}:{}: syntax error: {message}", line.map_or_else(|| "?".to_string(), |l| l.to_string()))]
    Parse {
        file: String,
        line: Option<u32>,
        message: String,
    },

    #[error("{file}: bad data file: {message}")]
    Data { file: String, message: String },

    #[error("{file}:{}: rule {rule}: {message}", line.map_or_else(|| "?".to_string(), |l| l.to_string()))]
    Eval {
        file: String,
        rule: String,
        line: Option<u32>,
        message: String,
    },

    #[error("{file}:{}: rule {rule}: evaluation exceeded the time limit of {limit_ms} ms", line.map_or_else(|| "?".to_string(), |l| l.to_string()))]
    Timeout {
        file: String,
        rule: String,
        line: Option<u32>,
        limit_ms: u128,
    },

    #[error("{file}: {message}")]
    Fixture { file: String, message: String },
}

impl PolicyError {
    /// The deny this error stands for: a policy that cannot be run must block, never pass.
    pub fn to_result(&self) -> PolicyResult {
        let (source, rule, line) = match self {
            PolicyError::DirNotFound { path } | PolicyError::Io { path, .. } => {
                (path.display().to_string(), "load".to_string(), None)
            }
            PolicyError::Config { .. } => ("ferry.toml".to_string(), "config".to_string(), None),
            PolicyError::Parse { file, line, .. } => (file.clone(), "parse".to_string(), *line),
            PolicyError::Data { file, .. } => (file.clone(), "data".to_string(), None),
            PolicyError::Eval {
                file, rule, line, ..
            }
            | PolicyError::Timeout {
                file, rule, line, ..
            } => (file.clone(), rule.clone(), *line),
            PolicyError::Fixture { file, .. } => (file.clone(), "fixture".to_string(), None),
        };
        PolicyResult {
            level: Level::Deny,
            source,
            rule,
            line,
            message: self.to_string(),
        }
    }
}
