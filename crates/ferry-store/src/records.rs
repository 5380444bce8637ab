//! The rows of the ledger as plain data. Reviews and policy results are kept as JSON so the
//! ledger stays readable by later versions that add finding kinds.

use ferry_core::{PlanId, ReleaseId, Summary, Verdict};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReleaseRecord {
    pub id: ReleaseId,
    pub commit: String,
    pub dirty: bool,
    pub subject: String,
    pub author: String,
    pub created_by: String,
    pub created_at: String,
    pub abandoned: Option<Abandonment>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Abandonment {
    pub by: String,
    pub at: String,
    pub reason: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PlanStatus {
    /// Waiting for approval and apply.
    Pending,
    /// An apply is running or was interrupted.
    Applying,
    Applied,
    /// The apply failed; the plan cannot be used again.
    Failed,
    /// A newer plan for the same environment replaced it.
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
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PlanRecord {
    pub id: PlanId,
    pub env: String,
    pub release: ReleaseId,
    pub created_by: String,
    pub created_at: String,
    pub status: PlanStatus,
    pub summary: Summary,
    pub verdict: Verdict,
    /// The review (ferry_core::Review) as JSON, sensitive values already redacted.
    pub review: serde_json::Value,
    /// Policy results as JSON.
    pub policy: serde_json::Value,
    /// Whether any policy denied the plan.
    pub policy_denied: bool,
    pub state_lineage: Option<String>,
    pub state_serial: Option<u64>,
    /// The plan of the same release in the upstream environment it was compared with.
    pub baseline: Option<PlanId>,
    /// Digest of the normalized change set (addresses, actions, attribute values; no
    /// timestamps): equal digests mean a re-plan changes exactly the same things.
    pub change_digest: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApprovalRecord {
    pub plan: PlanId,
    pub env: String,
    pub by: String,
    pub at: String,
    /// "approve" or "reject".
    pub decision: String,
    pub reason: Option<String>,
    pub acknowledged_warnings: bool,
    /// Where it came from: CLI, or the CI's run URL/variables.
    pub source: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewDeployment {
    pub env: String,
    pub release: ReleaseId,
    pub plan: PlanId,
    pub by: String,
    pub at: String,
    /// "deploy" or "rollback".
    pub kind: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
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
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeploymentOutcome {
    pub status: DeploymentStatus,
    pub at: String,
    /// Whether verification passed; a deployment makes its release known-good only when true.
    pub verified: bool,
    pub error: Option<String>,
    /// The engine's captured output (tail).
    pub log: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeploymentRecord {
    pub id: i64,
    pub env: String,
    pub release: ReleaseId,
    pub plan: PlanId,
    pub kind: String,
    pub by: String,
    pub started_at: String,
    pub finished_at: Option<String>,
    pub status: DeploymentStatus,
    pub verified: bool,
    pub error: Option<String>,
    /// The verification report (checks, attempts, soak), when verification ran.
    pub verification: Option<serde_json::Value>,
    /// When verification passed; soak gates count from here.
    pub verified_at: Option<String>,
}

impl DeploymentRecord {
    /// Known-good: applied successfully and verified.
    pub fn known_good(&self) -> bool {
        self.status == DeploymentStatus::Succeeded && self.verified
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Event {
    pub at: String,
    pub env: Option<String>,
    /// e.g. "release.created", "plan.created", "approval", "deployment.succeeded".
    pub kind: String,
    pub actor: String,
    pub release: Option<ReleaseId>,
    pub plan: Option<PlanId>,
    pub message: String,
}

/// One promotion at a time per environment: held from plan to the end of verification.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LockRecord {
    pub env: String,
    pub holder: String,
    /// Secret to the holder, so only it releases the lock (others must `ferry unlock`).
    #[serde(skip_serializing)]
    pub token: String,
    pub purpose: String,
    pub since: String,
}

/// A rehearsed rollback: the plan of the previous known-good release (`target`) against the
/// environment's state after `release` was deployed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RehearsalRecord {
    pub env: String,
    pub release: ReleaseId,
    pub target: ReleaseId,
    pub at: String,
    /// The rollback would work without destroying stateful resources.
    pub ready: bool,
    pub verdict: Verdict,
    pub summary: Summary,
    /// Findings and messages, as JSON.
    pub detail: serde_json::Value,
}
