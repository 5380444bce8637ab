//! The knobs a caller sets per engine command and the record it gets back, kept apart from the
//! process plumbing so callers read one small file to learn the contract.

use std::sync::Arc;
use std::time::Duration;

/// Receives every line the engine prints, in place of [`Progress`]'s own printing, so a front end
/// (terminal, server page) decides how to show it. Lines are already captured for the ledger.
#[derive(Clone)]
pub struct LineObserver(pub Arc<dyn Fn(&str) + Send + Sync>);

impl std::fmt::Debug for LineObserver {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("LineObserver")
    }
}

/// How output is shown while the engine runs; it is captured in every mode.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Progress {
    /// A spinner on stderr showing the latest line (for an interactive terminal).
    Terminal,
    /// Every line on stderr as `[label] line` (for CI logs and pipes).
    #[default]
    Plain,
    /// Nothing is printed.
    Quiet,
}

#[derive(Debug, Clone)]
pub struct RunOptions {
    pub timeout: Duration,
    /// Extra environment on top of ferry's own (e.g. `TF_CLI_CONFIG_FILE`, `TF_VAR_*`).
    pub env: Vec<(String, String)>,
    pub progress: Progress,
    /// Prefix for shown lines, usually the environment name.
    pub label: String,
    /// When set, lines go here instead of being shown according to `progress`.
    pub on_line: Option<LineObserver>,
    /// Interrupts of this process: the engine is stopped (gracefully, then hard) when one
    /// arrives, and no new command starts after one.
    pub cancel: Option<crate::Cancel>,
    /// Secrets removed from every line before it is shown, captured or put in an error.
    pub redact: Option<crate::Redactor>,
}

impl RunOptions {
    pub fn new(label: impl Into<String>) -> Self {
        RunOptions {
            label: label.into(),
            ..RunOptions::default()
        }
    }
}

impl Default for RunOptions {
    fn default() -> Self {
        RunOptions {
            timeout: Duration::from_secs(30 * 60),
            env: Vec::new(),
            progress: Progress::Plain,
            label: String::new(),
            on_line: None,
            cancel: None,
            redact: None,
        }
    }
}

/// What one successful engine command did, for the ledger.
#[derive(Debug, Clone)]
pub struct RunLog {
    pub command: String,
    pub exit_code: i32,
    /// stdout and stderr interleaved in arrival order.
    pub output: String,
    pub duration: Duration,
}
