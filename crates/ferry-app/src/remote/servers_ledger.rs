//! The runner's ledger in remote mode: there is none. Every call fails closed.

use ferry_core::{PlanId, ReleaseId};
use ferry_store::chain::ChainReport;
use ferry_store::{
    Abandonment, AdviceRecord, ApprovalRecord, DeploymentOutcome, DeploymentRecord, Event, Ledger,
    LockRecord, LockTaken, MigrationApprovalRecord, MigrationRunRecord, NewDeployment, NewEvent,
    PlanRecord, PlanStatus, RehearsalRecord, ReleaseRecord, Result, StoreError,
};

fn servers() -> StoreError {
    StoreError::Backend {
        what: "remote mode".into(),
        message: "this command does not work through the team server yet (FERRY_SERVER is set; its ledger is the server's): unset FERRY_SERVER and run it where the ledger is (`--ledger URL`), nothing was recorded".into(),
    }
}

#[derive(Debug, Default)]
pub struct ServersLedger;

impl Ledger for ServersLedger {
    fn record_release(&self, _release: &ReleaseRecord, _event: &NewEvent) -> Result<bool> {
        Err(servers())
    }
    fn release(&self, _id: &ReleaseId) -> Result<Option<ReleaseRecord>> {
        Err(servers())
    }
    fn releases_by_prefix(&self, _hex_prefix: &str) -> Result<Vec<ReleaseRecord>> {
        Err(servers())
    }
    fn releases(&self) -> Result<Vec<ReleaseRecord>> {
        Err(servers())
    }
    fn abandon_release(
        &self,
        _id: &ReleaseId,
        _how: &Abandonment,
        _event: &NewEvent,
    ) -> Result<()> {
        Err(servers())
    }
    fn record_plan(
        &self,
        _plan: &PlanRecord,
        _carried: &[ApprovalRecord],
        _events: &[NewEvent],
    ) -> Result<()> {
        Err(servers())
    }
    fn plan(&self, _id: &PlanId) -> Result<Option<PlanRecord>> {
        Err(servers())
    }
    fn plans_by_prefix(&self, _hex_prefix: &str) -> Result<Vec<PlanRecord>> {
        Err(servers())
    }
    fn pending_plan(&self, _env: &str) -> Result<Option<PlanRecord>> {
        Err(servers())
    }
    fn latest_plan(&self, _env: &str) -> Result<Option<PlanRecord>> {
        Err(servers())
    }
    fn transition_plan(
        &self,
        _id: &PlanId,
        _from: PlanStatus,
        _to: PlanStatus,
        _event: &NewEvent,
    ) -> Result<()> {
        Err(servers())
    }
    fn record_approval(&self, _approval: &ApprovalRecord, _event: &NewEvent) -> Result<()> {
        Err(servers())
    }
    fn reject_plan(&self, _rejection: &ApprovalRecord, _event: &NewEvent) -> Result<()> {
        Err(servers())
    }
    fn approvals(&self, _plan: &PlanId) -> Result<Vec<ApprovalRecord>> {
        Err(servers())
    }
    fn begin_deployment(&self, _deployment: &NewDeployment, _event: &NewEvent) -> Result<i64> {
        Err(servers())
    }
    fn finish_deployment(
        &self,
        _id: i64,
        _outcome: &DeploymentOutcome,
        _event: &NewEvent,
    ) -> Result<()> {
        Err(servers())
    }
    fn record_verification(
        &self,
        _id: i64,
        _verified: bool,
        _report: &serde_json::Value,
        _at: &str,
        _event: &NewEvent,
    ) -> Result<()> {
        Err(servers())
    }
    fn mark_interrupted(&self, _id: i64, _at: &str, _event: &NewEvent) -> Result<()> {
        Err(servers())
    }
    fn deployment(&self, _id: i64) -> Result<Option<DeploymentRecord>> {
        Err(servers())
    }
    fn deployments(&self, _env: Option<&str>) -> Result<Vec<DeploymentRecord>> {
        Err(servers())
    }
    fn running_deployments(&self) -> Result<Vec<DeploymentRecord>> {
        Err(servers())
    }
    fn acquire_lock(&self, _lock: &LockRecord, _now: &str) -> Result<LockTaken> {
        Err(servers())
    }
    fn renew_lock(&self, _env: &str, _token: &str, _expires_at: &str) -> Result<()> {
        Err(servers())
    }
    fn release_lock(&self, _env: &str, _token: &str) -> Result<()> {
        Err(servers())
    }
    fn lock(&self, _env: &str) -> Result<Option<LockRecord>> {
        Err(servers())
    }
    fn force_unlock(&self, _env: &str, _event: &NewEvent) -> Result<Option<LockRecord>> {
        Err(servers())
    }
    fn record_rehearsal(&self, _rehearsal: &RehearsalRecord, _event: &NewEvent) -> Result<()> {
        Err(servers())
    }
    fn latest_rehearsal(&self, _release: &ReleaseId) -> Result<Option<RehearsalRecord>> {
        Err(servers())
    }
    fn record_advice(&self, _advice: &AdviceRecord, _event: &NewEvent) -> Result<()> {
        Err(servers())
    }
    fn advice(&self, _plan: &PlanId) -> Result<Vec<AdviceRecord>> {
        Err(servers())
    }
    fn record_migration_run(&self, _run: &MigrationRunRecord, _event: &NewEvent) -> Result<i64> {
        Err(servers())
    }
    fn migration_runs(&self, _env: Option<&str>) -> Result<Vec<MigrationRunRecord>> {
        Err(servers())
    }
    fn record_migration_approval(
        &self,
        _approval: &MigrationApprovalRecord,
        _event: &NewEvent,
    ) -> Result<()> {
        Err(servers())
    }
    fn migration_approvals(
        &self,
        _env: &str,
        _set: &str,
        _digest: &str,
    ) -> Result<Vec<MigrationApprovalRecord>> {
        Err(servers())
    }
    fn record_event(&self, _event: &NewEvent) -> Result<()> {
        Err(servers())
    }
    fn events(&self, _env: Option<&str>) -> Result<Vec<Event>> {
        Err(servers())
    }
    fn verify(&self) -> Result<ChainReport> {
        Err(servers())
    }
}
