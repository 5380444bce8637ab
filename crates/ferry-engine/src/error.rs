//! Engine failures as typed values, so the CLI can map them to exit codes and the ledger can
//! record them. Every message names the command that failed and shows what the engine said,
//! because "terraform failed" alone sends users digging through logs.

use std::path::PathBuf;
use std::time::Duration;

#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    #[error(
        "no Terraform/OpenTofu binary found ({searched}). Install the pinned test engine with \
         `scripts/install-terraform` and run `eval \"$(scripts/install-terraform --env)\"`, \
         or set `[engine] binary` in ferry.toml or FERRY_ENGINE to a terraform/tofu binary"
    )]
    NotFound { searched: String },

    #[error(
        "`{binary}` does not look like Terraform or OpenTofu: `version` printed {first_line:?}"
    )]
    UnknownEngine { binary: PathBuf, first_line: String },

    #[error(
        "`{binary}` is {kind} {found}, but `[engine] version` requires {required}: install a matching \
         engine or set `[engine] binary` to one"
    )]
    WrongVersion {
        binary: PathBuf,
        kind: String,
        found: String,
        required: String,
    },

    #[error("`[engine] version` {required:?} is not a version requirement: {detail} (write e.g. \"1.11.4\" or \">= 1.5, < 2\")")]
    BadVersionRequirement { required: String, detail: String },

    #[error("could not start `{command}`: {source}")]
    Spawn {
        command: String,
        #[source]
        source: std::io::Error,
    },

    #[error("`{command}` failed with exit code {exit_code}:\n{stderr}")]
    Failed {
        command: String,
        exit_code: i32,
        /// The last lines of stderr (or of all output when stderr was empty).
        stderr: String,
        /// Everything the command printed, for the ledger.
        output: String,
    },

    #[error("`{command}` did not finish within {after:?} and was stopped")]
    Timeout {
        command: String,
        after: Duration,
        output: String,
    },

    #[error("`{command}` was stopped: ferry received {}", crate::signal_name(*.signal))]
    Interrupted {
        command: String,
        /// The signal ferry received (2 = SIGINT, 15 = SIGTERM).
        signal: i32,
        output: String,
    },

    #[error("{context}: {source}")]
    Io {
        context: String,
        #[source]
        source: std::io::Error,
    },

    #[error("`{command}` printed output ferry could not read: {detail}")]
    BadOutput { command: String, detail: String },
}

impl EngineError {
    /// The signal that stopped the engine, when ferry was interrupted.
    pub fn interrupted_by(&self) -> Option<i32> {
        match self {
            EngineError::Interrupted { signal, .. } => Some(*signal),
            _ => None,
        }
    }

    pub(crate) fn io(context: impl Into<String>, source: std::io::Error) -> Self {
        EngineError::Io {
            context: context.into(),
            source,
        }
    }

    /// Everything the engine printed before failing, when there was a run at all.
    pub fn output(&self) -> Option<&str> {
        match self {
            EngineError::Failed { output, .. }
            | EngineError::Timeout { output, .. }
            | EngineError::Interrupted { output, .. } => Some(output),
            _ => None,
        }
    }
}
