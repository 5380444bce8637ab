//! The rows of the ledger as plain data. Reviews and policy results are kept as JSON so the
//! ledger stays readable by later versions that add finding kinds.

pub use ferry_core::promotion::{
    Decision, DeploymentKind, DeploymentStatus, PlanPurpose, PlanStatus,
};
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

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PlanRecord {
    pub id: PlanId,
    pub env: String,
    pub release: ReleaseId,
    pub created_by: String,
    pub created_at: String,
    pub status: PlanStatus,
    /// Why the plan was made; decides how its deployment is recorded.
    pub purpose: PlanPurpose,
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
    /// The plan of the same release upstream that was applied and verified there.
    pub baseline: Option<PlanId>,
    /// Digest of what the plan would change (resources, outputs, hashed variables,
    /// configuration): equal digests mean a re-plan changes exactly the same things.
    pub change_digest: Option<String>,
    /// sha256 of the stored plan JSON, binding it to this row.
    pub plan_json_sha256: Option<String>,
    /// The engine that made the plan, e.g. "terraform 1.0.3".
    pub engine: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApprovalRecord {
    pub plan: PlanId,
    pub env: String,
    /// The approver's normalised identity.
    pub by: String,
    pub at: String,
    pub decision: Decision,
    pub reason: Option<String>,
    pub acknowledged_warnings: bool,
    /// Where it came from: the CLI, the CI run, the server; and for carried approvals the plan.
    pub source: String,
    /// How the identity was established (FERRY_USER, token, …).
    pub via: String,
    /// An SSH signature (SSHSIG, armored) over the approval statement.
    pub signature: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewDeployment {
    pub env: String,
    pub release: ReleaseId,
    pub plan: PlanId,
    pub by: String,
    pub at: String,
    pub kind: DeploymentKind,
    /// For rollbacks: the release being replaced.
    pub replaces: Option<ReleaseId>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeploymentOutcome {
    pub status: DeploymentStatus,
    pub at: String,
    pub error: Option<String>,
    /// The engine's captured output (tail, redacted).
    pub log: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeploymentRecord {
    pub id: i64,
    pub env: String,
    pub release: ReleaseId,
    pub plan: PlanId,
    pub kind: DeploymentKind,
    pub replaces: Option<ReleaseId>,
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

/// What the caller says about an event; the ledger adds its sequence number, the rows it covers
/// and the hash chain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewEvent {
    pub at: String,
    pub env: Option<String>,
    /// e.g. "release.created", "plan.created", "approval", "deployment.succeeded".
    pub kind: String,
    pub actor: String,
    pub release: Option<ReleaseId>,
    pub plan: Option<PlanId>,
    pub message: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Event {
    pub seq: i64,
    pub at: String,
    pub env: Option<String>,
    pub kind: String,
    pub actor: String,
    pub release: Option<ReleaseId>,
    pub plan: Option<PlanId>,
    pub message: String,
    /// This event's link in the hash chain.
    pub hash: String,
}

/// One promotion at a time per environment: a lease held from plan to the end of verification,
/// renewed while the holder works; an expired lease may be taken over.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LockRecord {
    pub env: String,
    pub holder: String,
    /// Secret to the holder, so only it renews or releases the lease (others must `ferry unlock`).
    #[serde(skip_serializing)]
    pub token: String,
    pub purpose: String,
    pub since: String,
    pub expires_at: String,
}

/// What taking a lock found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LockTaken {
    Fresh,
    /// The previous holder's lease had expired.
    TookOver(LockRecord),
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

/// An AI advisor's answer about one plan. Advice is shown to the person deciding, labelled as
/// untrusted; no gate reads it, so it can never approve, reject, unblock or acknowledge.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AdviceRecord {
    pub plan: PlanId,
    pub env: String,
    /// The model that answered, as the endpoint named it.
    pub model: String,
    /// The prompt template's name and version.
    pub template: String,
    pub template_version: u32,
    /// `sha256:<hex>` of the filled prompt that was sent.
    pub prompt_sha256: String,
    /// The answer, escape sequences and control characters already removed.
    pub answer: String,
    pub at: String,
    /// Who asked for it.
    pub by: String,
}

/// One `ferry migrate apply` of a migration set in an environment: what it applied (in order),
/// and the migration that failed, if one did. The target database's `ferry_schema_history`
/// holds the same facts; the ledger is what the chain rule and the rollback guard read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MigrationRunRecord {
    pub env: String,
    pub set: String,
    /// The `[environment.databases]` name (never its URL).
    pub database: String,
    /// The release the migration files came from.
    pub release: ReleaseId,
    /// Digest of the pending list the apply started from.
    pub plan_digest: String,
    pub by: String,
    pub at: String,
    pub applied: Vec<AppliedMigrationRecord>,
    /// The migration that failed (recorded as failed, never as applied), and why.
    pub failed: Option<String>,
    pub error: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AppliedMigrationRecord {
    pub name: String,
    /// `sha256:<hex>` of the file.
    pub checksum: String,
    /// expand, lock, contract or destructive.
    pub class: String,
}

/// A person's yes for one migration plan: the exact pending list of one set in one environment,
/// by its digest. Invalid for any other list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MigrationApprovalRecord {
    pub env: String,
    pub set: String,
    pub digest: String,
    pub release: ReleaseId,
    pub by: String,
    pub at: String,
    /// The plan holds acknowledged contract statements and the approver accepted them.
    pub acknowledged_contract: bool,
    pub source: String,
    pub via: String,
}
