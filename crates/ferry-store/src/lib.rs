//! The ledger: the append-only record of releases, plans, approvals and deployments. Promotion
//! decisions are only as good as this record, so every write is one transaction and a deployment
//! is recorded as `running` before the engine starts and finished only with its real outcome.
//!
//! [`Ledger`] is the trait the binary codes against; [`SqliteLedger`] is the embedded
//! implementation (WAL, schema migrations). A PostgreSQL implementation will satisfy the same trait.

mod records;
mod sqlite;

pub use records::*;
pub use sqlite::SqliteLedger;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("ledger {path}: {source}")]
    Sqlite {
        path: String,
        source: rusqlite::Error,
    },
    #[error("ledger {path} was written by a newer ferry (schema {found}, this ferry knows {known}); upgrade ferry")]
    NewerSchema {
        path: String,
        found: i64,
        known: i64,
    },
    #[error("ledger {path}: stored {what} is unreadable: {message}")]
    Corrupt {
        path: String,
        what: String,
        message: String,
    },
    #[error("cannot create the data directory {path}: {source}")]
    DataDir {
        path: String,
        source: std::io::Error,
    },
    #[error("{0}")]
    Conflict(String),
    #[error("'{}' is locked by {} since {} ({}); wait for it to finish, or if it died, `ferry unlock --env {} --reason ...`", .0.env, .0.holder, .0.since, .0.purpose, .0.env)]
    Locked(LockRecord),
}

pub type Result<T> = std::result::Result<T, StoreError>;

/// What ferry needs from a ledger. Implementations must make each method atomic.
pub trait Ledger {
    fn record_release(&self, release: &ReleaseRecord) -> Result<bool>;
    fn release(&self, id: &ferry_core::ReleaseId) -> Result<Option<ReleaseRecord>>;
    /// Releases whose id starts with the hex prefix.
    fn releases_by_prefix(&self, hex_prefix: &str) -> Result<Vec<ReleaseRecord>>;
    /// All releases, newest first.
    fn releases(&self) -> Result<Vec<ReleaseRecord>>;
    fn abandon_release(
        &self,
        id: &ferry_core::ReleaseId,
        by: &str,
        at: &str,
        reason: &str,
    ) -> Result<()>;

    /// Records a new plan; any earlier pending plan of the environment becomes superseded.
    fn record_plan(&self, plan: &PlanRecord) -> Result<()>;
    fn plan(&self, id: &ferry_core::PlanId) -> Result<Option<PlanRecord>>;
    fn plans_by_prefix(&self, hex_prefix: &str) -> Result<Vec<PlanRecord>>;
    fn pending_plan(&self, env: &str) -> Result<Option<PlanRecord>>;
    /// The newest plan of `release` in `env`, whatever its status.
    fn latest_plan_for(
        &self,
        env: &str,
        release: &ferry_core::ReleaseId,
    ) -> Result<Option<PlanRecord>>;
    fn latest_plan(&self, env: &str) -> Result<Option<PlanRecord>>;
    fn set_plan_status(&self, id: &ferry_core::PlanId, status: PlanStatus) -> Result<()>;

    fn record_approval(&self, approval: &ApprovalRecord) -> Result<()>;
    fn approvals(&self, plan: &ferry_core::PlanId) -> Result<Vec<ApprovalRecord>>;

    /// Marks the plan as being applied and opens a `running` deployment, atomically; refuses when
    /// the plan is not pending (applied already, superseded, or another apply holds it).
    fn begin_deployment(&self, deployment: &NewDeployment) -> Result<i64>;
    fn finish_deployment(&self, id: i64, outcome: &DeploymentOutcome) -> Result<()>;
    fn deployments(&self, env: Option<&str>) -> Result<Vec<DeploymentRecord>>;
    /// Deployments left `running` by a ferry that died.
    fn interrupted_deployments(&self) -> Result<Vec<DeploymentRecord>>;

    /// Stores the outcome of verification; `verified` makes the release known-good here.
    fn record_verification(
        &self,
        id: i64,
        verified: bool,
        report: &serde_json::Value,
        at: &str,
    ) -> Result<()>;
    /// Marks a `running` deployment whose ferry died as interrupted (and its plan as failed).
    fn mark_interrupted(&self, id: i64, at: &str) -> Result<()>;

    /// Takes the environment's lock or fails with [`StoreError::Locked`] naming the holder.
    fn acquire_lock(&self, lock: &LockRecord) -> Result<()>;
    fn release_lock(&self, env: &str, token: &str) -> Result<()>;
    fn lock(&self, env: &str) -> Result<Option<LockRecord>>;
    /// Removes whatever lock is held; returns it.
    fn force_unlock(&self, env: &str) -> Result<Option<LockRecord>>;

    fn record_rehearsal(&self, rehearsal: &RehearsalRecord) -> Result<()>;
    /// The newest rehearsal made after deploying `release`.
    fn latest_rehearsal(&self, release: &ferry_core::ReleaseId) -> Result<Option<RehearsalRecord>>;

    fn record_event(&self, event: &Event) -> Result<()>;
    /// Events, newest first.
    fn events(&self, env: Option<&str>) -> Result<Vec<Event>>;
}
