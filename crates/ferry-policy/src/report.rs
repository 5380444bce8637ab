//! The outcome of evaluating policies on one plan: a flat list of deny/warn results, each naming
//! where it came from. Serialized with the plan, so its JSON shape is a stored contract.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    /// Blocks the plan.
    Deny,
    /// Must be acknowledged at approval.
    Warn,
}

impl Level {
    pub fn as_str(self) -> &'static str {
        match self {
            Level::Deny => "deny",
            Level::Warn => "warn",
        }
    }
}

impl std::fmt::Display for Level {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PolicyResult {
    pub level: Level,
    /// The policy file (`<policy dir name>/<relative path>`), or `builtin`.
    pub source: String,
    /// The Rego rule (`deny`, `warn_tags`...) or built-in rule name.
    pub rule: String,
    /// Line of the rule's first definition in `source`, when known.
    pub line: Option<u32>,
    pub message: String,
}

impl std::fmt::Display for PolicyResult {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.line {
            Some(line) => write!(
                f,
                "{} {}:{} [{}]: {}",
                self.level, self.source, line, self.rule, self.message
            ),
            None => write!(
                f,
                "{} {} [{}]: {}",
                self.level, self.source, self.rule, self.message
            ),
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PolicyReport {
    pub results: Vec<PolicyResult>,
}

impl PolicyReport {
    /// A report holding one deny for an error, so a policy set that cannot load still blocks.
    pub fn from_error(err: &crate::PolicyError) -> PolicyReport {
        PolicyReport {
            results: vec![err.to_result()],
        }
    }

    pub fn denies(&self) -> impl Iterator<Item = &PolicyResult> {
        self.results.iter().filter(|r| r.level == Level::Deny)
    }

    pub fn warnings(&self) -> impl Iterator<Item = &PolicyResult> {
        self.results.iter().filter(|r| r.level == Level::Warn)
    }

    /// No deny. Warnings still need acknowledging; that is the caller's gate.
    pub fn passed(&self) -> bool {
        self.denies().next().is_none()
    }
}
