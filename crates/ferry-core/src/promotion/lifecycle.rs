//! The states a plan and a deployment move through, and which moves are allowed. Stores enforce
//! these transitions atomically; front ends only show them.

use crate::ids::ReleaseId;
use serde::{Deserialize, Serialize};
use std::fmt;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PlanStatus {
    /// Waiting for approval and apply.
    Pending,
    /// An apply is running or was interrupted.
    Applying,
    Applied,
    /// The apply failed or was interrupted; the plan cannot be used again.
    Failed,
    /// A newer plan for the same environment replaced it, or the state moved under it.
    Superseded,
    Rejected,
}

impl PlanStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            PlanStatus::Pending => "pending",
            PlanStatus::Applying => "applying",
            PlanStatus::Applied => "applied",
            PlanStatus::Failed => "failed",
            PlanStatus::Superseded => "superseded",
            PlanStatus::Rejected => "rejected",
        }
    }

    pub fn parse(s: &str) -> Option<PlanStatus> {
        Some(match s {
            "pending" => PlanStatus::Pending,
            "applying" => PlanStatus::Applying,
            "applied" => PlanStatus::Applied,
            "failed" => PlanStatus::Failed,
            "superseded" => PlanStatus::Superseded,
            "rejected" => PlanStatus::Rejected,
            _ => return None,
        })
    }

    /// Whether a plan may move from `self` to `to`. A plan is applied once: only a pending plan
    /// is claimed, rejected or superseded, and only a claimed plan finishes.
    pub fn can_become(self, to: PlanStatus) -> bool {
        use PlanStatus::*;
        matches!(
            (self, to),
            (Pending, Applying | Superseded | Rejected) | (Applying, Applied | Failed)
        )
    }
}

impl fmt::Display for PlanStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DeploymentStatus {
    Running,
    Succeeded,
    Failed,
    Interrupted,
}

impl DeploymentStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            DeploymentStatus::Running => "running",
            DeploymentStatus::Succeeded => "succeeded",
            DeploymentStatus::Failed => "failed",
            DeploymentStatus::Interrupted => "interrupted",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "running" => DeploymentStatus::Running,
            "succeeded" => DeploymentStatus::Succeeded,
            "failed" => DeploymentStatus::Failed,
            "interrupted" => DeploymentStatus::Interrupted,
            _ => return None,
        })
    }

    /// A deployment finishes once, from `running`; a finished record is never rewritten.
    pub fn can_become(self, to: DeploymentStatus) -> bool {
        self == DeploymentStatus::Running && to != DeploymentStatus::Running
    }
}

impl fmt::Display for DeploymentStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why a plan was made; decides how its deployment is recorded however it is applied.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum PlanPurpose {
    /// Moving a release forward into the environment.
    Deploy,
    /// Bringing back an earlier known-good release, replacing `from`.
    Rollback { from: ReleaseId },
    /// The automatic rollback after a failed verification, replacing `from`.
    AutoRollback { from: ReleaseId },
    /// Trying a rollback (and the roll forward) to prove it works.
    Rehearsal,
}

impl PlanPurpose {
    pub fn kind(&self) -> DeploymentKind {
        match self {
            PlanPurpose::Deploy => DeploymentKind::Deploy,
            PlanPurpose::Rollback { .. } => DeploymentKind::Rollback,
            PlanPurpose::AutoRollback { .. } => DeploymentKind::AutoRollback,
            PlanPurpose::Rehearsal => DeploymentKind::Rehearsal,
        }
    }

    /// The release a rollback replaces.
    pub fn replaces(&self) -> Option<&ReleaseId> {
        match self {
            PlanPurpose::Rollback { from } | PlanPurpose::AutoRollback { from } => Some(from),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum DeploymentKind {
    Deploy,
    Rollback,
    AutoRollback,
    Rehearsal,
}

impl DeploymentKind {
    pub fn as_str(self) -> &'static str {
        match self {
            DeploymentKind::Deploy => "deploy",
            DeploymentKind::Rollback => "rollback",
            DeploymentKind::AutoRollback => "auto-rollback",
            DeploymentKind::Rehearsal => "rehearsal",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "deploy" => DeploymentKind::Deploy,
            "rollback" => DeploymentKind::Rollback,
            "auto-rollback" => DeploymentKind::AutoRollback,
            "rehearsal" => DeploymentKind::Rehearsal,
            _ => return None,
        })
    }

    pub fn is_rollback(self) -> bool {
        matches!(
            self,
            DeploymentKind::Rollback | DeploymentKind::AutoRollback
        )
    }
}

impl fmt::Display for DeploymentKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A person's yes or no on one plan.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Decision {
    Approve,
    Reject,
}

impl Decision {
    pub fn as_str(self) -> &'static str {
        match self {
            Decision::Approve => "approve",
            Decision::Reject => "reject",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "approve" => Some(Decision::Approve),
            "reject" => Some(Decision::Reject),
            _ => None,
        }
    }
}

impl fmt::Display for Decision {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_plan_is_applied_once() {
        use PlanStatus::*;
        assert!(Pending.can_become(Applying));
        assert!(!Applied.can_become(Applying));
        assert!(!Rejected.can_become(Applying));
        assert!(!Applying.can_become(Rejected));
        assert!(Applying.can_become(Failed));
        assert!(!Superseded.can_become(Pending));
    }

    #[test]
    fn a_deployment_finishes_once() {
        use DeploymentStatus::*;
        assert!(Running.can_become(Succeeded));
        assert!(!Interrupted.can_become(Succeeded));
        assert!(!Succeeded.can_become(Failed));
    }
}
