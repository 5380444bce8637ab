//! The audit's result as data: what `--format json` prints and what the human and markdown
//! renderings are made from. Field names are a contract (see the crate documentation).

use crate::classify::Class;
use crate::copypaste::CopyPaste;
use serde::Serialize;
use serde_json::Value;

/// The class a difference ends up with: its own, or `accepted` when `[[audit.accept]]` covers it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Outcome {
    Accepted,
    Quantity,
    Kind,
    Structural,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Accepted => "accepted",
            Outcome::Quantity => "quantity",
            Outcome::Kind => "kind",
            Outcome::Structural => "structural",
        }
    }
    pub fn blocks(self) -> bool {
        matches!(self, Outcome::Kind | Outcome::Structural)
    }
}

impl From<Class> for Outcome {
    fn from(c: Class) -> Self {
        match c {
            Class::Quantity => Outcome::Quantity,
            Class::Kind => Outcome::Kind,
            Class::Structural => Outcome::Structural,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Subject {
    Variable,
    ResourceType,
    Module,
}

impl Subject {
    pub fn as_str(self) -> &'static str {
        match self {
            Subject::Variable => "variable",
            Subject::ResourceType => "resource type",
            Subject::Module => "module",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Difference {
    /// `"staging:prod"`, or null for findings about the root module itself (unused variables).
    pub pair: Option<String>,
    pub subject: Subject,
    pub name: String,
    pub class: Outcome,
    /// The class before acceptance (computed, or pinned in `[audit.variables]`).
    pub classified_as: Class,
    pub pinned: bool,
    pub accepted_reason: Option<String>,
    /// Values (variables) or instance counts (resource types, modules); `"(sensitive)"` when the
    /// variable is sensitive; null when unset.
    pub left: Value,
    pub right: Value,
    /// Where each value comes from: `file:line`, `default`, `unset`, or `plan`.
    pub left_source: String,
    pub right_source: String,
    pub why: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CopyPasteFinding {
    #[serde(flatten)]
    pub finding: CopyPaste,
    pub class: Outcome,
    pub accepted_reason: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EnvSummary {
    pub name: String,
    pub var_files: Vec<String>,
    pub variables: usize,
    /// The plan or state rendering the topology was read from.
    pub plan: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TopologySkip {
    pub environment: String,
    pub reason: String,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Summary {
    pub structural: usize,
    pub kind: usize,
    pub quantity: usize,
    pub accepted: usize,
    /// Unaccepted kind and structural differences plus unaccepted copy-paste findings.
    pub blocking: usize,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Report {
    pub verdict: &'static str,
    pub pairs: Vec<String>,
    pub root_module: String,
    pub environments: Vec<EnvSummary>,
    pub summary: Summary,
    pub differences: Vec<Difference>,
    pub copy_paste: Vec<CopyPasteFinding>,
    /// Set when `copy_paste` is not empty: the layout to move to.
    pub recommended_layout: Option<String>,
    pub topology_skipped: Vec<TopologySkip>,
}

impl Report {
    pub(crate) fn finish(&mut self) {
        let mut s = Summary::default();
        for class in self
            .differences
            .iter()
            .map(|d| d.class)
            .chain(self.copy_paste.iter().map(|c| c.class))
        {
            match class {
                Outcome::Structural => s.structural += 1,
                Outcome::Kind => s.kind += 1,
                Outcome::Quantity => s.quantity += 1,
                Outcome::Accepted => s.accepted += 1,
            }
            if class.blocks() {
                s.blocking += 1;
            }
        }
        self.verdict = if s.blocking > 0 { "blocked" } else { "clean" };
        self.summary = s;
    }

    pub fn is_blocked(&self) -> bool {
        self.summary.blocking > 0
    }
}
