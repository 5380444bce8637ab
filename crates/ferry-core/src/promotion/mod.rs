//! Promotion rules: the gates a release passes to enter an environment and a plan passes to be
//! applied, who may approve and which approvals count, the states plans and deployments move
//! through, which release a rollback brings back, and when approvals survive a re-plan. Pure
//! functions over facts; the operations layer gathers the facts and acts on the answers.

pub mod approval;
pub mod gates;
pub mod lifecycle;
pub mod migration;
pub mod rollback;

pub use approval::{
    eligibility, judge, signature_accepted, Judged, Makers, RecordedApproval, Refusal,
    SignatureCheck,
};
pub use gates::{
    apply_gates, approve_command, entry_gates, needs_confirmation, ApplyFacts, EntryFacts,
    UnmetGate,
};
pub use lifecycle::{Decision, DeploymentKind, DeploymentStatus, PlanPurpose, PlanStatus};
pub use migration::{migration_approvals_needed, migration_gates, MigrationFacts};
pub use rollback::{carry, current_release, rollback_target, Carry, DeploymentFact, PlanShape};
