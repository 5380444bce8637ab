//! What the team server does for runners. A runner (a CI job or a laptop, anywhere) holds an
//! environment's lease, fetches the release by id, runs the engine and uploads the plan file
//! and plan JSON; the server then judges the plan itself — review, audit, policy, every gate —
//! from the release it stores, records it, and decides whether it may be applied. The runner's
//! verdict is never asked for. A claim turns a pending plan into a `running` deployment exactly
//! once; the runner reports the engine's outcome and its verification, which only count while
//! it still holds the lease.
//!
//! Honest limit: the server cannot run `terraform show` on the plan file itself (it has no
//! providers or backend), so it judges the plan JSON the runner uploaded beside the plan file,
//! both hash-bound to the plan's record. A runner's identity (its token) is on every row.

mod lease;
mod views;

pub use views::{
    ClaimRequest, LeaseView, OutcomeReport, PrepareRequest, Prepared, TeamPlanView, UploadedPlan,
    VerificationReport,
};

use crate::context::{App, Claim};
use crate::error::{AppError, Result};
use crate::steps::gates::Verdicts;
use crate::steps::plan::Evaluated;
use ferry_core::promotion::{needs_confirmation, PlanPurpose};
use ferry_engine::StateIdentity;
use ferry_store::{
    ArtifactKind, DeploymentOutcome, DeploymentRecord, DeploymentStatus, ReleaseRecord,
};

/// The state a runner says it planned (or is about to apply) against.
fn identity_of(state: Option<&crate::views::StateView>) -> Option<StateIdentity> {
    let st = state?;
    Some(StateIdentity {
        lineage: st.lineage.clone()?,
        serial: st.serial?,
    })
}

/// A work dir of the server's own, unique to one request (requests run concurrently).
fn server_work_name(env: &str, id: &str) -> String {
    format!("server-{env}-{}", id.get(..16).unwrap_or(id))
}

impl App {
    /// What a runner should plan for `env`: for a deploy, the release named or the newest
    /// eligible; for a rollback, the release named or the rollback target, guarded by the
    /// database's migrations. Refused (blocked) when it may not enter, before any engine runs.
    pub fn team_prepare(&self, env: &str, req: &PrepareRequest) -> Result<Prepared> {
        if !req.rollback {
            let release = self.team_entry(env, req.release.as_deref())?;
            return Ok(Prepared {
                release,
                purpose: PlanPurpose::Deploy,
            });
        }
        let (target, current) = self.rollback_pair(env, req.release.as_deref())?;
        let reasons = self.migration_readiness(env, &target)?;
        if !reasons.is_empty() {
            return Err(AppError::blocked(
                format!(
                    "the rollback of '{env}' to release {} is blocked by the database's migrations:",
                    target.id.short()
                ),
                vec![ferry_core::promotion::UnmetGate::RollbackStrandsData { reasons }],
            ));
        }
        self.team_entry(env, Some(target.id.hex()))?;
        Ok(Prepared {
            release: target,
            purpose: PlanPurpose::Rollback { from: current },
        })
    }

    /// The release `release` (or the newest eligible) if it may enter `env` now.
    fn team_entry(&self, env: &str, release: Option<&str>) -> Result<ReleaseRecord> {
        let release = self.release_for(env, release)?;
        let s = self.settings(env, &release.id)?;
        let mut gates = self.entry_gates(&s, &release)?;
        gates.extend(self.ledger_gate()?);
        if !gates.is_empty() {
            return Err(AppError::blocked(
                format!("release {} may not enter '{env}':", release.id.short()),
                gates,
            ));
        }
        Ok(release)
    }

    /// Judges and records a plan a runner made: the server fetches both files from its own
    /// artifact store (uploaded beforehand, hash-checked on the way in and again here), runs
    /// the review, audit and policy with the release's settings, records the plan, and says
    /// which gates stand between it and an apply.
    pub fn team_receive_plan(
        &self,
        who: &Claim,
        env: &str,
        up: &UploadedPlan,
    ) -> Result<TeamPlanView> {
        self.check_lease(who, env, &up.lease)?;
        // The purpose is the server's to decide: a rollback only of what runs there now.
        let prepared = self.team_prepare(
            env,
            &PrepareRequest {
                rollback: !matches!(up.purpose, PlanPurpose::Deploy),
                release: Some(up.release.hex().to_string()),
            },
        )?;
        if prepared.purpose != up.purpose {
            return Err(AppError::Conflict(format!(
                "purpose: this plan says {:?}, but the server would plan {:?} for release {} in '{env}' now",
                up.purpose,
                prepared.purpose,
                up.release.short()
            )));
        }
        let release = prepared.release;
        let s = self.settings(env, &release.id)?;
        let baseline = self.baseline(&s, &release)?;
        let work = server_work_name(env, &up.plan_file);
        let u = self.unpack(&s, &release, &work)?;
        let plan_file = u.module_dir.join("ferry.tfplan");
        let plan_json = u.module_dir.join("ferry-plan.json");
        let result = (|| {
            self.fetch_uploaded(ArtifactKind::PlanFile, &up.plan_file, &plan_file)?;
            self.fetch_uploaded(ArtifactKind::PlanJson, &up.plan_json_sha256, &plan_json)?;
            self.learn_plan_secrets(&plan_json);
            let assessment =
                self.assess_made(&s, &release.id, &u.root, &plan_json, baseline.as_ref())?;
            let ev = Evaluated {
                plan_file: plan_file.clone(),
                plan_json: plan_json.clone(),
                identity: identity_of(up.state.as_ref()),
                assessment,
                engine: up.engine.chars().take(200).collect(),
            };
            let planned = self.record_made(
                who,
                &s,
                &release,
                up.purpose.clone(),
                ev,
                baseline.map(|b| b.plan),
            )?;
            let view = self.planned_view(&planned)?;
            let verdicts = match &planned.fresh {
                Some(a) => Verdicts::Derived(a),
                None => Verdicts::Stored,
            };
            let unmet_gates = self.plan_gates(&s, &planned.record, &release, verdicts, false)?;
            Ok(TeamPlanView {
                confirm: unmet_gates.is_empty()
                    && needs_confirmation(s.auto_apply, s.approvals, false),
                plan: view,
                unmet_gates,
            })
        })();
        self.remove_work(&u.root);
        result
    }

    /// Claims `plan` of `env` for an apply by the lease holder: every apply gate is judged
    /// again from the hash-bound plan JSON, the runner's state must be the one planned
    /// against, and the plan becomes a `running` deployment in one transaction — so two
    /// runners claiming the same plan get one deployment and one refusal.
    pub fn team_claim(
        &self,
        who: &Claim,
        env: &str,
        plan: &str,
        req: &ClaimRequest,
    ) -> Result<DeploymentRecord> {
        self.check_lease(who, env, &req.lease)?;
        let plan = self.resolve_plan(env, Some(plan))?;
        self.check_applicable(&plan)?;
        let release = self.release(&plan.release)?;
        let s = self.settings(env, &release.id)?;
        let u = self.unpack(&s, &release, &server_work_name(env, plan.id.hex()))?;
        let derived = self.rederive(&plan, &s, &u.root);
        self.remove_work(&u.root);
        let derived = derived?;
        let gates = self.plan_gates(&s, &plan, &release, Verdicts::Derived(&derived), false)?;
        if !gates.is_empty() {
            return Err(AppError::blocked(
                format!("plan {} may not be applied to '{env}':", plan.id.short()),
                gates,
            ));
        }
        if needs_confirmation(s.auto_apply, s.approvals, false) && !req.confirmed {
            return Err(AppError::NeedsConfirmation {
                env: env.to_string(),
                plan: plan.id.short().to_string(),
                command: format!("ferry apply --env {env} --plan {}", plan.id),
                context: None,
            });
        }
        self.state_unchanged(who, &plan, identity_of(req.state.as_ref()).as_ref())?;
        let id = self.begin_apply(who, &plan)?;
        self.deployment_record(id)
    }

    /// The engine's outcome of a claimed deployment, from the runner that claimed it.
    pub fn team_outcome(
        &self,
        who: &Claim,
        deployment: i64,
        report: &OutcomeReport,
    ) -> Result<DeploymentRecord> {
        let d = self.claimed_by(who, deployment, &report.lease)?;
        if d.status != DeploymentStatus::Running {
            return Err(AppError::Conflict(format!(
                "deployment #{deployment} is {}, not running: its outcome was recorded already (or its lease expired and it was recorded as interrupted)",
                d.status.as_str()
            )));
        }
        if report.status == DeploymentStatus::Running {
            return Err(AppError::Invalid(
                "status: an outcome is succeeded, failed or interrupted".into(),
            ));
        }
        let plan = self.ledger.plan(&d.plan)?.ok_or_else(|| {
            AppError::NotFound(format!("plan {} is not in the ledger", d.plan.short()))
        })?;
        let outcome = DeploymentOutcome {
            status: report.status,
            at: self.now(),
            error: report.error.as_deref().map(|e| self.redact(e)),
            log: self.redact(&crate::steps::apply::tail(&report.log)),
        };
        self.finish_apply(who, &plan, deployment, outcome)?;
        self.deployment_record(deployment)
    }

    /// The runner's verification of a succeeded deployment (it can reach the environment; the
    /// server cannot). A failed verification is recorded and returned, not an error: the
    /// deployment's `verified` says which.
    pub fn team_verification(
        &self,
        who: &Claim,
        deployment: i64,
        report: &VerificationReport,
    ) -> Result<DeploymentRecord> {
        let d = self.claimed_by(who, deployment, &report.lease)?;
        if d.status != DeploymentStatus::Succeeded || d.verification.is_some() {
            return Err(AppError::Conflict(format!(
                "deployment #{deployment} is {}{}: only a succeeded, unverified deployment is verified",
                d.status.as_str(),
                if d.verification.is_some() { " and already verified" } else { "" }
            )));
        }
        let release = self.release(&d.release)?;
        let s = self.settings(&d.env, &release.id)?;
        match self.record_verification_report(who, &s, &release, deployment, report.report.as_ref())
        {
            Ok(()) | Err(AppError::VerificationFailed { .. }) => self.deployment_record(deployment),
            Err(e) => Err(e),
        }
    }

    /// `env`'s plan `plan` (or its pending one) as a reviewer sees it.
    pub fn plan_view(&self, env: &str, plan: Option<&str>) -> Result<crate::views::PlanView> {
        let record = self.resolve_plan(env, plan)?;
        let review = serde_json::from_value(record.review.clone()).map_err(|e| {
            AppError::Invalid(format!(
                "the stored review of plan {} is unreadable: {e}",
                record.id.short()
            ))
        })?;
        self.planned_view(&crate::steps::plan::Planned {
            record,
            review,
            fresh: None,
        })
    }

    fn deployment_record(&self, id: i64) -> Result<DeploymentRecord> {
        self.ledger
            .deployment(id)?
            .ok_or_else(|| AppError::NotFound(format!("deployment #{id} is not in the ledger")))
    }

    /// The deployment `id`, when `who` started it and still holds its environment's lease.
    fn claimed_by(&self, who: &Claim, id: i64, lease: &str) -> Result<DeploymentRecord> {
        let d = self.deployment_record(id)?;
        if d.by != who.as_str() {
            return Err(AppError::Conflict(format!(
                "deployment #{id} was started by {}, not {}: only its runner reports on it",
                d.by,
                who.as_str()
            )));
        }
        self.check_lease(who, &d.env, lease)?;
        Ok(d)
    }

    /// Copies an uploaded artifact to `dest`, verified against its id on the way.
    fn fetch_uploaded(&self, kind: ArtifactKind, hex: &str, dest: &std::path::Path) -> Result<()> {
        if !self.artifacts.exists(kind, hex)? {
            return Err(AppError::Invalid(format!(
                "the {} {} was not uploaded: PUT /api/v1/blobs/{}/{hex} first",
                kind.as_str(),
                hex.get(..12).unwrap_or(hex),
                kind.as_str()
            )));
        }
        self.artifacts.fetch_to(kind, hex, dest)?;
        Ok(())
    }

    fn remove_work(&self, root: &std::path::Path) {
        if let Err(e) = std::fs::remove_dir_all(root) {
            tracing::warn!(dir = %root.display(), error = %e, "could not remove a server work dir");
        }
    }
}
