//! The review vocabulary: findings, severities and the verdict. The plan crate produces these,
//! the policy crate reads them, the ledger stores them and the promotion rules act on the verdict;
//! the JSON shape is a public contract (see DESIGN.md, "Review output").

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Info,
    Warn,
    Block,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Verdict {
    Pass,
    Warn,
    Block,
}

impl Verdict {
    /// The verdict a set of findings earns: the worst severity, with `info` counting as pass.
    pub fn from_findings<'a>(findings: impl IntoIterator<Item = &'a Finding>) -> Verdict {
        findings
            .into_iter()
            .map(|f| match f.severity {
                Severity::Info => Verdict::Pass,
                Severity::Warn => Verdict::Warn,
                Severity::Block => Verdict::Block,
            })
            .max()
            .unwrap_or(Verdict::Pass)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Pass => "pass",
            Verdict::Warn => "warn",
            Verdict::Block => "block",
        }
    }
}

impl std::fmt::Display for Verdict {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum FindingKind {
    StatefulDelete,
    StatefulReplace,
    Delete,
    Replace,
    DowntimeUpdate,
    NotInBaseline,
    Drift,
    Forget,
    /// The engine reported the plan as errored; a partial plan is never passed.
    PlanErrored,
    /// The environment differs from its upstream in kind (engine, LB type, …), not in size.
    KindDifference,
    /// A resource type, module or input present in one of the two environments only.
    StructuralDifference,
    /// A `check` block's assertion failed (or could not be evaluated) at plan time: the engine
    /// only warns, and applies anyway.
    CheckFailed,
    /// A `moved` block renames an object in the state (`previous_address`): kept, not
    /// destroyed and created again.
    Moved,
    /// An `import` block brings an existing object under management (`importing`): nothing is
    /// created.
    Import,
}

impl FindingKind {
    pub fn as_str(self) -> &'static str {
        match self {
            FindingKind::StatefulDelete => "stateful-delete",
            FindingKind::StatefulReplace => "stateful-replace",
            FindingKind::Delete => "delete",
            FindingKind::Replace => "replace",
            FindingKind::DowntimeUpdate => "downtime-update",
            FindingKind::NotInBaseline => "not-in-baseline",
            FindingKind::Drift => "drift",
            FindingKind::Forget => "forget",
            FindingKind::PlanErrored => "plan-errored",
            FindingKind::KindDifference => "kind-difference",
            FindingKind::StructuralDifference => "structural-difference",
            FindingKind::CheckFailed => "check-failed",
            FindingKind::Moved => "moved",
            FindingKind::Import => "import",
        }
    }

    /// Default severities from DESIGN.md.
    pub fn default_severity(self) -> Severity {
        match self {
            FindingKind::StatefulDelete
            | FindingKind::StatefulReplace
            | FindingKind::PlanErrored
            | FindingKind::KindDifference
            | FindingKind::StructuralDifference => Severity::Block,
            FindingKind::Delete
            | FindingKind::Replace
            | FindingKind::DowntimeUpdate
            | FindingKind::NotInBaseline
            | FindingKind::Drift
            | FindingKind::CheckFailed => Severity::Warn,
            FindingKind::Forget | FindingKind::Moved | FindingKind::Import => Severity::Info,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Finding {
    pub kind: FindingKind,
    pub severity: Severity,
    pub address: String,
    pub attribute: Option<String>,
    pub message: String,
    pub explained_by: Vec<String>,
}

/// Counts of `resource_changes` entries by action; each entry counted once.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Summary {
    pub create: u64,
    pub update: u64,
    pub replace: u64,
    pub delete: u64,
    pub read: u64,
    pub no_op: u64,
    pub forget: u64,
}

impl Summary {
    /// Whether applying would change anything (reads and no-ops do not).
    pub fn has_changes(&self) -> bool {
        self.create + self.update + self.replace + self.delete + self.forget > 0
    }
}

/// The review of one plan, in the JSON contract's field order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Review {
    pub verdict: Verdict,
    pub summary: Summary,
    pub findings: Vec<Finding>,
}

impl Review {
    /// Builds a review whose verdict is derived from its findings, so the two never disagree.
    pub fn new(summary: Summary, findings: Vec<Finding>) -> Review {
        Review {
            verdict: Verdict::from_findings(&findings),
            summary,
            findings,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn finding(kind: FindingKind, severity: Severity) -> Finding {
        Finding {
            kind,
            severity,
            address: "a.b".into(),
            attribute: None,
            message: String::new(),
            explained_by: vec![],
        }
    }

    #[test]
    fn verdict_is_worst_severity_with_info_as_pass() {
        assert_eq!(Verdict::from_findings(&[]), Verdict::Pass);
        assert_eq!(
            Verdict::from_findings(&[finding(FindingKind::Forget, Severity::Info)]),
            Verdict::Pass
        );
        let mixed = [
            finding(FindingKind::Delete, Severity::Warn),
            finding(FindingKind::StatefulDelete, Severity::Block),
        ];
        assert_eq!(Verdict::from_findings(&mixed), Verdict::Block);
    }

    #[test]
    fn json_matches_the_contract() {
        let review = Review::new(
            Summary::default(),
            vec![finding(FindingKind::StatefulReplace, Severity::Block)],
        );
        let json = serde_json::to_value(&review).unwrap_or_default();
        assert_eq!(json["verdict"], "block");
        assert_eq!(json["findings"][0]["kind"], "stateful-replace");
        assert_eq!(json["findings"][0]["attribute"], serde_json::Value::Null);
        assert_eq!(json["summary"]["no_op"], 0);
    }
}
