//! Remote mode: what a runner (the CLI with `FERRY_SERVER` set) needs from the team server, as
//! a trait the HTTP client implements, and the runner's stand-in for a ledger. In remote mode
//! the ledger is the server's: every decision and record is made there, and a step that
//! reached for a local ledger by mistake fails closed instead of reading an empty one.

use crate::error::Result;
use crate::ops::team::{
    ClaimRequest, LeaseView, OutcomeReport, PrepareRequest, Prepared, TeamPlanView, UploadedPlan,
    VerificationReport,
};
use crate::views::{
    ApprovalView, HistoryView, PlanView, ReleaseCreated, ReleaseListed, StatusView,
};
use ferry_core::{PlanId, ReleaseId};
use ferry_store::{ApprovalRecord, ArtifactKind, DeploymentRecord};
use std::path::Path;

mod servers_ledger;
pub use servers_ledger::ServersLedger;

/// The team server as a runner sees it (`/api/v1`). Errors come back as the server's
/// [`crate::AppError`] kinds (blocked, conflict, not found, invalid) so the CLI exits exactly as
/// it would in local mode.
pub trait TeamServer: Send + Sync {
    /// Where the server is, for messages.
    fn url(&self) -> String;
    fn upload_release(&self, id: &ReleaseId, bundle: &[u8]) -> Result<ReleaseCreated>;
    fn release_bundle(&self, id: &ReleaseId) -> Result<Vec<u8>>;
    fn releases(&self) -> Result<Vec<ReleaseListed>>;
    /// The release to plan for `env` and why (a deploy, or a rollback); blocked when it may
    /// not enter.
    fn prepare(&self, env: &str, req: &PrepareRequest) -> Result<Prepared>;
    fn take_lease(&self, env: &str, purpose: &str) -> Result<LeaseView>;
    fn renew_lease(&self, env: &str, token: &str) -> Result<LeaseView>;
    fn drop_lease(&self, env: &str, token: &str) -> Result<()>;
    /// Uploads an artifact by its sha256 (the server checks it).
    fn put_blob(&self, kind: ArtifactKind, sha256: &str, file: &Path) -> Result<()>;
    fn submit_plan(&self, env: &str, plan: &UploadedPlan) -> Result<TeamPlanView>;
    /// `env`'s plan `plan`, or its pending one.
    fn plan(&self, env: &str, plan: Option<&str>) -> Result<PlanView>;
    fn claim(&self, env: &str, plan: &PlanId, req: &ClaimRequest) -> Result<DeploymentRecord>;
    /// Downloads the saved plan file of a claimed plan to `dest` (checked against its id).
    fn plan_file(&self, plan: &PlanId, dest: &Path) -> Result<()>;
    fn report_outcome(&self, deployment: i64, report: &OutcomeReport) -> Result<DeploymentRecord>;
    fn report_verification(
        &self,
        deployment: i64,
        report: &VerificationReport,
    ) -> Result<DeploymentRecord>;
    fn approve(&self, env: &str, plan: Option<&str>, note: Option<&str>) -> Result<ApprovalView>;
    fn reject(&self, env: &str, plan: Option<&str>, reason: &str) -> Result<ApprovalRecord>;
    fn status(&self, env: Option<&str>) -> Result<StatusView>;
    fn history(&self, env: Option<&str>) -> Result<HistoryView>;
    fn ledger_verify(&self) -> Result<serde_json::Value>;
}
