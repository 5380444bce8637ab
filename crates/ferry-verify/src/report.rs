//! What verification found, shaped for the ledger and `--format json`: the caller stores it as is
//! and decides from `passed` alone whether the release is known-good in the environment.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VerifyReport {
    /// Every check passed, and kept passing through the soak.
    pub passed: bool,
    /// Each check's result from the last round that ran (the failing round, if one failed).
    pub checks: Vec<CheckResult>,
    pub duration_ms: u64,
    /// Soak rounds run after the first pass (including a failing one).
    #[serde(default)]
    pub soak_rounds: u32,
    /// The soak round in which a check failed; `None` when verification passed or failed before
    /// the soak began.
    #[serde(default)]
    pub failed_round: Option<u32>,
    /// One line for people: "verified: 2 checks passed, then 4 soak rounds over 2m".
    #[serde(default)]
    pub summary: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CheckResult {
    pub name: String,
    /// `command` or `http`.
    pub kind: String,
    pub passed: bool,
    /// Attempts used in the reported round.
    pub attempts: u32,
    /// The last attempt's status line and output tail, or its error ("connection refused",
    /// "timed out after 30s"). Sensitive output values are shown as `(sensitive)`.
    pub detail: String,
    /// 0 for the first run, N for soak round N.
    #[serde(default)]
    pub round: u32,
}
