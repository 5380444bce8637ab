//! What an approver signs: one short text naming exactly what they said yes (or no) to, so a
//! signature over one plan never counts for another plan, environment, release or decision.

use ferry_core::promotion::Decision;
use ferry_core::{PlanId, ReleaseId};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Statement {
    pub plan: PlanId,
    pub env: String,
    pub release: ReleaseId,
    pub decision: Decision,
}

impl Statement {
    /// The signed bytes. Fixed layout; a version line so the format can change safely.
    pub fn text(&self) -> String {
        format!(
            "ferry approval statement v1\nplan: {}\nenvironment: {}\nrelease: {}\ndecision: {}\n",
            self.plan, self.env, self.release, self.decision
        )
    }

    pub fn summary(&self) -> String {
        format!(
            "{} of plan {} for '{}'",
            self.decision,
            self.plan.short(),
            self.env
        )
    }
}
