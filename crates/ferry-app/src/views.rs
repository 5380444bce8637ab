//! What operations return: plain serializable views. The CLI renders them as text or JSON, the
//! server returns them as its API's bodies, so both front ends say the same thing.

use ferry_core::promotion::UnmetGate;
use ferry_core::{PlanId, ReleaseId, Review, Summary, Verdict};
use ferry_store::{
    ApprovalRecord, DeploymentRecord, Event, LockRecord, PlanRecord, RehearsalRecord, ReleaseRecord,
};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ReleaseCreated {
    pub id: ReleaseId,
    pub commit: String,
    pub dirty: bool,
    pub subject: String,
    pub files: usize,
    pub size_compressed: u64,
    pub size_uncompressed: u64,
    pub already_existed: bool,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ReleaseListed {
    #[serde(flatten)]
    pub release: ReleaseRecord,
    /// Environments where the release is known-good.
    pub known_good_in: Vec<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ReleaseShown {
    pub release: ReleaseRecord,
    pub files: Vec<String>,
    pub verified: bool,
    pub deployments: Vec<DeploymentRecord>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ReleaseAbandoned {
    pub id: ReleaseId,
    pub abandoned: bool,
    pub reason: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StateView {
    pub lineage: Option<String>,
    pub serial: Option<u64>,
}

/// A plan as a reviewer sees it (the contract of `ferry plan --format json`).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PlanView {
    pub plan: PlanId,
    pub env: String,
    pub release: ReleaseId,
    /// The commit the release was built from.
    pub release_commit: Option<String>,
    /// `pending`, `applied`, … or `speculative` (a pull request's plan: never approvable).
    pub status: String,
    pub purpose: ferry_core::promotion::PlanPurpose,
    /// The upstream plan it was compared with (applied and verified there).
    pub baseline: Option<PlanId>,
    /// The environment the baseline comes from.
    pub upstream: Option<String>,
    pub state: StateView,
    /// The engine that made the plan (kind, version, binary).
    pub engine: Option<String>,
    pub review: Review,
    pub policy: serde_json::Value,
    pub approvals_needed: u32,
    /// The exact command that approves this plan, where approvals are required.
    pub approve_command: Option<String>,
    /// Rollback readiness rehearsed upstream for this release.
    pub rehearsal: Option<RehearsalRecord>,
    /// Whether the upstream environment rehearses rollbacks (so a missing rehearsal is news).
    pub upstream_rehearses: bool,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PromoteView {
    pub plan: PlanView,
    pub deployment: Option<DeploymentRecord>,
    pub unmet_gates: Vec<UnmetGate>,
    /// The rehearsal run after the deployment, when the environment rehearses rollbacks.
    pub rehearsal: Option<RehearsalRecord>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ApprovalView {
    pub approval: ApprovalRecord,
    /// Approvals that count now, after re-judging every recorded one.
    pub approvals: usize,
    pub needed: u32,
    pub rehearsal: Option<RehearsalRecord>,
    /// The advisor's answers about the plan: untrusted, counted by no gate.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub advice: Vec<AdviceView>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct DeploymentSummary {
    pub id: i64,
    pub release: ReleaseId,
    pub plan: PlanId,
    pub status: ferry_store::DeploymentStatus,
    pub verified: bool,
    pub started_at: String,
    pub finished_at: Option<String>,
    pub by: String,
    pub kind: ferry_store::DeploymentKind,
    pub error: Option<String>,
}

impl From<&DeploymentRecord> for DeploymentSummary {
    fn from(d: &DeploymentRecord) -> Self {
        DeploymentSummary {
            id: d.id,
            release: d.release.clone(),
            plan: d.plan.clone(),
            status: d.status,
            verified: d.verified,
            started_at: d.started_at.clone(),
            finished_at: d.finished_at.clone(),
            by: d.by.clone(),
            kind: d.kind,
            error: d.error.clone(),
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PendingView {
    pub id: PlanId,
    pub release: ReleaseId,
    pub created_at: String,
    pub created_by: String,
    pub verdict: Verdict,
    pub summary: Summary,
    /// Everyone who recorded an approval of this plan.
    pub approvals: Vec<String>,
    /// The people whose approvals count now.
    pub approvals_counted: Vec<String>,
    pub approvals_needed: u32,
    pub unmet_gates: Vec<String>,
    pub approve_command: Option<String>,
    /// The newest advice about the plan: untrusted, counted by no gate.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub advice: Option<AdviceView>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct EnvStatus {
    pub name: String,
    pub from: Option<String>,
    pub current_release: Option<ReleaseId>,
    pub last_deployment: Option<DeploymentSummary>,
    pub pending_plan: Option<PendingView>,
    pub lock: Option<LockRecord>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct StatusView {
    pub environments: Vec<EnvStatus>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(transparent)]
pub struct HistoryView(pub Vec<Event>);

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct UnlockView {
    pub env: String,
    pub released: Option<LockRecord>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct LedgerVerifyView {
    pub ok: bool,
    pub events: usize,
    pub rows: usize,
    pub head: Option<String>,
    /// The first problem, in a sentence.
    pub first_problem: Option<String>,
    pub problems: Vec<ferry_store::Problem>,
}

/// `ferry drift`: the environment re-planned with the release it runs and the inputs it was
/// applied with; whatever the engine would change, the world changed.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct DriftView {
    pub env: String,
    pub release: ReleaseId,
    pub release_commit: Option<String>,
    /// The deployment the environment runs (none when checking a release never deployed here).
    pub deployment: Option<i64>,
    /// The sha256 of the engine's saved plan (kept nowhere: a drift plan is never applied).
    pub plan: String,
    pub checked_at: String,
    pub drift: bool,
    pub changed_outside: Vec<ferry_plan::DriftedResource>,
    pub corrections: Vec<ferry_plan::DriftedResource>,
    pub engine: String,
}

/// A stored plan's review for `ferry review --env`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct StoredReview {
    pub plan: PlanView,
    pub status: String,
    pub denials: usize,
    /// The advisor's answers about the plan, newest first: untrusted, counted by no gate.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub advice: Vec<AdviceView>,
}

/// Stored advice as front ends show it: always labelled, its text stripped of escape sequences
/// again at display (it came from a model).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AdviceView {
    /// Always "untrusted advice: it approves nothing and counts toward no gate".
    pub label: String,
    #[serde(flatten)]
    pub record: ferry_store::AdviceRecord,
}

pub const ADVICE_LABEL: &str = "untrusted advice: it approves nothing and counts toward no gate";

impl AdviceView {
    pub fn new(mut record: ferry_store::AdviceRecord) -> AdviceView {
        record.answer = ferry_advisor::untrusted_text(&record.answer);
        record.model = ferry_advisor::untrusted_text(&record.model);
        AdviceView {
            label: ADVICE_LABEL.to_string(),
            record,
        }
    }
}

pub(crate) fn plan_view(
    p: &PlanRecord,
    review: Review,
    upstream: Option<String>,
    approvals_needed: u32,
    rehearsal: Option<RehearsalRecord>,
    upstream_rehearses: bool,
) -> PlanView {
    let warnings = review.verdict == Verdict::Warn
        || p.policy["results"]
            .as_array()
            .is_some_and(|r| r.iter().any(|r| r["level"] == "warn"));
    PlanView {
        plan: p.id.clone(),
        env: p.env.clone(),
        release: p.release.clone(),
        release_commit: None,
        status: p.status.as_str().to_string(),
        purpose: p.purpose.clone(),
        baseline: p.baseline.clone(),
        upstream,
        state: StateView {
            lineage: p.state_lineage.clone(),
            serial: p.state_serial,
        },
        engine: p.engine.clone(),
        review,
        policy: p.policy.clone(),
        approvals_needed,
        approve_command: (approvals_needed > 0)
            .then(|| ferry_core::promotion::approve_command(&p.env, &p.id.to_string(), warnings)),
        rehearsal,
        upstream_rehearses,
    }
}

/// One line a person reads before approving the next environment.
pub fn readiness_line(r: &RehearsalRecord) -> String {
    let s = &r.summary;
    let changes = format!(
        "{} to create, {} to update, {} to replace, {} to delete",
        s.create, s.update, s.replace, s.delete
    );
    if r.ready {
        // Rehearsals recorded before ferry migrate have no migration verdict.
        let migrations = if r.detail["migrations"].is_array() {
            "; migration readiness: READY (the target works against the database's schema)"
        } else {
            ""
        };
        format!(
            "rollback readiness (rehearsed in '{}' at {}): READY — rolling back to {} would: {changes}{migrations}",
            r.env,
            r.at,
            r.target.short()
        )
    } else {
        let list = |key: &str| -> Vec<String> {
            r.detail[key]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|v| v.as_str().map(str::to_string))
                .collect()
        };
        let mut why = list("blocking");
        why.extend(list("policy_denies"));
        why.extend(
            list("migrations")
                .into_iter()
                .map(|m| format!("migration readiness: {m}")),
        );
        format!(
            "rollback readiness (rehearsed in '{}' at {}): NOT READY — rolling back to {} would be blocked: {}",
            r.env,
            r.at,
            r.target.short(),
            why.join("; ")
        )
    }
}
