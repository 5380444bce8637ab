//! What ferry needs from a ledger, whatever holds it. Every method is one transaction: a
//! multi-row change (a plan with its carried approvals and events, a rejection and the plan's
//! status, a finished deployment and its event) happens whole or not at all, and every write a
//! gate depends on is chained (see [`crate::chain`]).

use crate::chain::ChainReport;
use crate::error::Result;
use crate::records::*;
use ferry_core::{PlanId, ReleaseId};

pub trait Ledger: Send + Sync {
    /// Records a release once; `false` when it was already known (nothing is written then).
    fn record_release(&self, release: &ReleaseRecord, event: &NewEvent) -> Result<bool>;
    fn release(&self, id: &ReleaseId) -> Result<Option<ReleaseRecord>>;
    /// Releases whose id starts with the hex prefix.
    fn releases_by_prefix(&self, hex_prefix: &str) -> Result<Vec<ReleaseRecord>>;
    /// All releases, newest first.
    fn releases(&self) -> Result<Vec<ReleaseRecord>>;
    /// Conflict when the release is unknown or already abandoned.
    fn abandon_release(&self, id: &ReleaseId, how: &Abandonment, event: &NewEvent) -> Result<()>;

    /// Records a new plan: the environment's pending plan becomes superseded, `carried`
    /// approvals are stored for the new plan, and `events` are appended.
    fn record_plan(
        &self,
        plan: &PlanRecord,
        carried: &[ApprovalRecord],
        events: &[NewEvent],
    ) -> Result<()>;
    fn plan(&self, id: &PlanId) -> Result<Option<PlanRecord>>;
    fn plans_by_prefix(&self, hex_prefix: &str) -> Result<Vec<PlanRecord>>;
    fn pending_plan(&self, env: &str) -> Result<Option<PlanRecord>>;
    fn latest_plan(&self, env: &str) -> Result<Option<PlanRecord>>;
    /// Moves a plan from `from` to `to`; Conflict when it is no longer `from` or the move is not
    /// allowed ([`PlanStatus::can_become`]).
    fn transition_plan(
        &self,
        id: &PlanId,
        from: PlanStatus,
        to: PlanStatus,
        event: &NewEvent,
    ) -> Result<()>;

    /// Records an approval of a pending plan; Conflict when the plan is not pending.
    fn record_approval(&self, approval: &ApprovalRecord, event: &NewEvent) -> Result<()>;
    /// Records a rejection and marks the plan rejected, only while it is pending.
    fn reject_plan(&self, rejection: &ApprovalRecord, event: &NewEvent) -> Result<()>;
    fn approvals(&self, plan: &PlanId) -> Result<Vec<ApprovalRecord>>;

    /// Claims the pending plan and opens a `running` deployment, atomically; Conflict when the
    /// plan is not pending (applied already, superseded, rejected, or being applied).
    fn begin_deployment(&self, deployment: &NewDeployment, event: &NewEvent) -> Result<i64>;
    /// Finishes a `running` deployment (and its plan) with its real outcome; Conflict when the
    /// deployment is no longer running (e.g. it was declared interrupted).
    fn finish_deployment(
        &self,
        id: i64,
        outcome: &DeploymentOutcome,
        event: &NewEvent,
    ) -> Result<()>;
    /// Stores the outcome of verification of a succeeded deployment; `verified` makes its release
    /// known-good in the environment.
    fn record_verification(
        &self,
        id: i64,
        verified: bool,
        report: &serde_json::Value,
        at: &str,
        event: &NewEvent,
    ) -> Result<()>;
    /// Marks a `running` deployment whose holder is gone as interrupted (its plan failed).
    fn mark_interrupted(&self, id: i64, at: &str, event: &NewEvent) -> Result<()>;
    fn deployment(&self, id: i64) -> Result<Option<DeploymentRecord>>;
    /// Deployments, newest first.
    fn deployments(&self, env: Option<&str>) -> Result<Vec<DeploymentRecord>>;
    /// Deployments still `running`.
    fn running_deployments(&self) -> Result<Vec<DeploymentRecord>>;

    /// Takes the environment's lease, or takes over one that expired before `now`; otherwise
    /// fails with [`crate::StoreError::Locked`] naming the holder.
    fn acquire_lock(&self, lock: &LockRecord, now: &str) -> Result<LockTaken>;
    /// Extends the lease held with `token`; Conflict when it is no longer held with it.
    fn renew_lock(&self, env: &str, token: &str, expires_at: &str) -> Result<()>;
    fn release_lock(&self, env: &str, token: &str) -> Result<()>;
    fn lock(&self, env: &str) -> Result<Option<LockRecord>>;
    /// Removes whatever lock is held, on the record; returns it.
    fn force_unlock(&self, env: &str, event: &NewEvent) -> Result<Option<LockRecord>>;

    fn record_rehearsal(&self, rehearsal: &RehearsalRecord, event: &NewEvent) -> Result<()>;
    /// The newest rehearsal made after deploying `release`.
    fn latest_rehearsal(&self, release: &ReleaseId) -> Result<Option<RehearsalRecord>>;

    /// Stores an advisor's answer about a plan (of any status); NotFound when the plan is not
    /// in the ledger. Changes no plan, approval or gate.
    fn record_advice(&self, advice: &AdviceRecord, event: &NewEvent) -> Result<()>;
    /// The advice about `plan`, newest first.
    fn advice(&self, plan: &PlanId) -> Result<Vec<AdviceRecord>>;
    /// Records one `ferry migrate apply` (succeeded or failed); its sequence number.
    fn record_migration_run(&self, run: &MigrationRunRecord, event: &NewEvent) -> Result<i64>;
    /// Migration runs, newest first.
    fn migration_runs(&self, env: Option<&str>) -> Result<Vec<MigrationRunRecord>>;
    fn record_migration_approval(
        &self,
        approval: &MigrationApprovalRecord,
        event: &NewEvent,
    ) -> Result<()>;
    /// The approvals of one migration plan (environment, set, digest), oldest first.
    fn migration_approvals(
        &self,
        env: &str,
        set: &str,
        digest: &str,
    ) -> Result<Vec<MigrationApprovalRecord>>;

    /// Appends a narration event that changes no row.
    fn record_event(&self, event: &NewEvent) -> Result<()>;
    /// Events, newest first.
    fn events(&self, env: Option<&str>) -> Result<Vec<Event>>;
    /// One page of events, newest first: at most `limit`, older than sequence number `before`
    /// when given. Ledgers with an index answer without reading the rest.
    fn events_page(
        &self,
        env: Option<&str>,
        limit: usize,
        before: Option<i64>,
    ) -> Result<Vec<Event>> {
        Ok(self
            .events(env)?
            .into_iter()
            .filter(|e| before.is_none_or(|b| e.seq < b))
            .take(limit)
            .collect())
    }

    /// Recomputes the hash chain and checks every covered row against it.
    fn verify(&self) -> Result<ChainReport>;
}
