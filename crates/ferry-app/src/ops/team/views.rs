//! What runners send the team server and what it answers: the bodies of the runner routes of
//! `/api/v1` (lease, plans, claim, outcome, verification), shared by the server and the client.

use crate::views::{PlanView, StateView};
use ferry_core::promotion::{PlanPurpose, UnmetGate};
use ferry_core::ReleaseId;
use ferry_store::DeploymentStatus;
use serde::{Deserialize, Serialize};

/// An environment's lease as its holder sees it: the token proves the holder on every call.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LeaseView {
    pub env: String,
    pub token: String,
    pub holder: String,
    pub purpose: String,
    pub since: String,
    pub expires_at: String,
}

/// A plan a runner made: the ids of the plan file and plan JSON it uploaded (PUT
/// /api/v1/blobs/…), the state it planned against and the engine that made it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UploadedPlan {
    pub lease: String,
    pub release: ReleaseId,
    pub purpose: PlanPurpose,
    /// sha256 hex of the saved plan file: the plan's id.
    pub plan_file: String,
    pub plan_json_sha256: String,
    pub state: Option<StateView>,
    pub engine: String,
}

/// The server's judgement of an uploaded plan: the plan as a reviewer sees it, the gates that
/// stand between it and an apply, and whether a person must confirm the apply.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TeamPlanView {
    pub plan: PlanView,
    pub unmet_gates: Vec<UnmetGate>,
    /// Nothing stands in the way, but the environment is not auto_apply and has no approval
    /// gate: the apply needs `--yes` (or an explicit `ferry apply`).
    pub confirm: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClaimRequest {
    pub lease: String,
    /// The state the runner sees now; must be the one the plan was made against.
    pub state: Option<StateView>,
    /// A person confirmed the apply (`--yes`, or `ferry apply` itself).
    #[serde(default)]
    pub confirmed: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OutcomeReport {
    pub lease: String,
    pub status: DeploymentStatus,
    pub error: Option<String>,
    #[serde(default)]
    pub log: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VerificationReport {
    pub lease: String,
    /// `None` when the environment has no checks.
    pub report: Option<ferry_verify::VerifyReport>,
}

/// What a runner is about to plan: a deploy of a release (named, or the newest eligible), or a
/// rollback (to a release, or the environment's rollback target).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct PrepareRequest {
    #[serde(default)]
    pub rollback: bool,
    pub release: Option<String>,
}

/// The release the server chose and why it is planned.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Prepared {
    pub release: ferry_store::ReleaseRecord,
    pub purpose: PlanPurpose,
}
