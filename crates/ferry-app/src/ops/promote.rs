//! `apply`, `promote`, `rollback`, `rehearse` and `unlock`: everything that moves an environment,
//! each holding the environment's lock from start to end.

use crate::context::{App, Claim};
use crate::error::{AppError, Result};
use crate::views::{PromoteView, UnlockView};
use ferry_core::promotion::PlanPurpose;
use ferry_store::{DeploymentRecord, RehearsalRecord};

#[derive(Debug, Clone, Default)]
pub struct PromoteInput {
    pub to: String,
    pub release: Option<String>,
    /// A person confirmed the apply (`--yes`, or a terminal prompt answered yes).
    pub confirmed: bool,
}

#[derive(Debug, Clone, Default)]
pub struct RollbackInput {
    pub env: String,
    /// The release to roll back to (default: the rollback target the ledger gives).
    pub to: Option<String>,
    pub confirmed: bool,
}

impl App {
    /// Applies exactly `plan` (default: the pending plan) of `env`.
    pub fn apply(&self, who: &Claim, env: &str, plan: Option<&str>) -> Result<DeploymentRecord> {
        if let Some(server) = &self.remote {
            return self.remote_apply(who, server, env, plan);
        }
        self.env(env)?;
        let plan = self.resolve_plan(env, plan)?;
        let _lock = self.lock(env, "apply", who.as_str())?;
        // Read again under the lock: another process may have applied or re-planned meanwhile.
        let plan = self.ledger.plan(&plan.id)?.unwrap_or(plan);
        self.apply_plan(who, &plan, None, false)
    }

    pub fn promote(&self, who: &Claim, input: &PromoteInput) -> Result<PromoteView> {
        if let Some(server) = &self.remote {
            return self.remote_promote(who, server, input);
        }
        self.env(&input.to)?;
        let release = self.release_for(&input.to, input.release.as_deref())?;
        let _lock = self.lock(&input.to, "promote", who.as_str())?;
        self.drive(
            who,
            &input.to,
            &release,
            PlanPurpose::Deploy,
            input.confirmed,
        )
    }

    pub fn rollback(&self, who: &Claim, input: &RollbackInput) -> Result<PromoteView> {
        if let Some(server) = &self.remote {
            return self.remote_rollback(who, server, input);
        }
        self.env(&input.env)?;
        let _lock = self.lock(&input.env, "rollback", who.as_str())?;
        let (target, current) = self.rollback_pair(&input.env, input.to.as_deref())?;
        self.step(&format!(
            "rolling '{}' back from {} to release {} (\"{}\")",
            input.env,
            current.short(),
            target.id.short(),
            target.subject
        ));
        self.drive(
            who,
            &input.env,
            &target,
            PlanPurpose::Rollback { from: current },
            input.confirmed,
        )
    }

    /// Plans (and with `apply`, tries) the rollback of `env`.
    pub fn rehearse(&self, who: &Claim, env: &str, apply: bool) -> Result<Option<RehearsalRecord>> {
        self.env(env)?;
        let _lock = self.lock(env, "rehearsal", who.as_str())?;
        self.rehearse_rollback(who, env, apply)
    }

    /// Clears `env`'s lock on the record, only when its holder is not a live process here.
    pub fn unlock(&self, who: &Claim, env: &str, reason: &str) -> Result<UnlockView> {
        self.env(env)?;
        let held = self.ledger.lock(env)?;
        if held.is_some() && self.lock_holder_alive(env)? {
            let h = held.as_ref().map_or(String::new(), |h| h.holder.clone());
            return Err(AppError::Conflict(format!(
                "'{env}' is locked by {h}, which is still running on this machine; wait for it, or stop it first (unlock only clears the lock of a process that is gone)"
            )));
        }
        let msg = match &held {
            Some(l) => format!(
                "unlocked '{env}' (held by {} since {} for {}): {reason}",
                l.holder, l.since, l.purpose
            ),
            None => format!("'{env}' was not locked"),
        };
        let ev = self.event(who.as_str(), Some(env), "lock.forced", None, None, msg);
        let released = self.ledger.force_unlock(env, &ev)?;
        self.recover_interrupted()?;
        Ok(UnlockView {
            env: env.to_string(),
            released,
        })
    }
}
