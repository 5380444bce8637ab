//! Applying exactly one stored plan. Before the engine runs: the plan is pending, the ledger's
//! chain verifies, the release and the plan file hash to their ids, the review and policy are
//! re-derived from the hash-bound plan JSON with the release's settings (unless the plan was made
//! a moment ago in this process), every approval is re-judged, and the state is the one the plan
//! was made against. Then the deployment is recorded `running`, applied, finished with its real
//! outcome, and verified.

use super::assess::{self, Assessment, Upstream};
use super::gates::Verdicts;
use crate::context::{App, Claim};
use crate::error::{AppError, Result};
use ferry_core::promotion::PlanStatus;
use ferry_store::{
    ArtifactKind, DeploymentOutcome, DeploymentRecord, DeploymentStatus, NewDeployment, PlanRecord,
};

/// The last 200 lines of engine output: enough to diagnose, small enough for a ledger row.
pub(crate) fn tail(output: &str) -> String {
    let lines: Vec<&str> = output.lines().collect();
    lines[lines.len().saturating_sub(200)..].join("\n")
}

/// A work dir is either reused or unpacked; the match arms that cannot happen say so instead
/// of panicking.
fn unreachable_workdir<T>() -> Result<T> {
    Err(AppError::Invalid(
        "internal: no work directory for the apply".to_string(),
    ))
}

impl App {
    /// Re-derives the assessment of a stored plan from its artifacts and the release's settings.
    pub(crate) fn rederive(
        &self,
        plan: &PlanRecord,
        s: &ferry_core::settings::GateSettings,
        root: &std::path::Path,
    ) -> Result<Assessment> {
        let sha = plan.plan_json_sha256.as_deref().ok_or_else(|| {
            AppError::Invalid(format!(
                "plan {} has no stored plan JSON to re-check; run `ferry plan --env {}` again",
                plan.id.short(),
                plan.env
            ))
        })?;
        let fetch = |sha: &str, name: &str| -> Result<std::path::PathBuf> {
            match self.artifacts.verified_path(ArtifactKind::PlanJson, sha)? {
                Some(p) => Ok(p),
                None => {
                    let dest = root.join(name);
                    self.artifacts
                        .fetch_to(ArtifactKind::PlanJson, sha, &dest)?;
                    Ok(dest)
                }
            }
        };
        let json = fetch(sha, "ferry-plan.json")?;
        self.learn_plan_secrets(&json);
        let baseline = match &plan.baseline {
            Some(b) => {
                let bp = self.ledger.plan(b)?.ok_or_else(|| {
                    AppError::NotFound(format!(
                        "the baseline plan {} of plan {} is not in the ledger",
                        b.short(),
                        plan.id.short()
                    ))
                })?;
                match &bp.plan_json_sha256 {
                    Some(bsha) => Some(fetch(bsha, "ferry-baseline.json")?),
                    None => None,
                }
            }
            None => None,
        };
        let config = self.release_config(&plan.release)?;
        let release_text = plan.release.to_string();
        let subject = self.subject(s, &release_text, root, &config);
        let upstream_settings = match &s.from {
            Some(up) => Some(self.settings(up, &plan.release)?),
            None => None,
        };
        let upstream = upstream_settings.as_ref().map(|u| Upstream {
            env: &u.env,
            var_files: u.var_files.iter().map(|v| root.join(v)).collect(),
            plan_json: baseline.as_deref(),
        });
        assess::assess(&subject, &json, upstream.as_ref())
    }

    /// Applies `plan` (the caller holds the environment's lock). `fresh` is the assessment made
    /// by this process when it planned; `automatic` marks ferry's own rollback.
    pub(crate) fn apply_plan(
        &self,
        who: &Claim,
        plan: &PlanRecord,
        fresh: Option<&Assessment>,
        automatic: bool,
    ) -> Result<DeploymentRecord> {
        self.check_applicable(plan)?;
        let headline = format!(
            "plan {} may not be applied to '{}':",
            plan.id.short(),
            plan.env
        );
        let release = self.release(&plan.release)?;
        let s = self.settings(&plan.env, &release.id)?;
        self.check_state_location(&s)?;
        // Planned a moment ago by this process: its initialised work dir is used as it is.
        let reused = match fresh {
            Some(_) => self.reuse_workdir(&plan.env, &release.id, true),
            None => None,
        };
        let (unpacked, reused) = match reused {
            Some(wd) => (None, Some(wd)),
            None => (Some(self.unpack(&s, &release, &plan.env)?), None),
        };
        let module_dir = match (&unpacked, &reused) {
            (Some(u), _) => u.module_dir.clone(),
            (None, Some(wd)) => wd.module_dir.clone(),
            (None, None) => unreachable_workdir()?,
        };
        let derived;
        let verdicts = match (fresh, &unpacked) {
            (Some(a), _) => Verdicts::Derived(a),
            (None, Some(u)) => {
                derived = self.rederive(plan, &s, &u.root)?;
                Verdicts::Derived(&derived)
            }
            (None, None) => unreachable_workdir()?,
        };
        let gates = self.plan_gates(&s, plan, &release, verdicts, automatic)?;
        if !gates.is_empty() {
            return Err(AppError::blocked(headline, gates));
        }
        let local_plan = module_dir.join("ferry.tfplan");
        self.artifacts
            .fetch_to(ArtifactKind::PlanFile, plan.id.hex(), &local_plan)
            .map_err(|e| match e {
                ferry_store::StoreError::Tampered { .. } => AppError::Invalid(format!(
                    "the stored plan file does not hash to plan id {}: it was modified — refusing to apply. Run `ferry plan --env {}` again",
                    plan.id, plan.env
                )),
                e => e.into(),
            })?;
        let wd = match (reused, unpacked) {
            (Some(wd), _) => wd,
            (None, Some(u)) => self.init(&s, u, true)?,
            (None, None) => unreachable_workdir()?,
        };
        // Terraform itself does not notice a plan made against an empty state being applied
        // twice, so ferry compares the state identity the plan was made against first.
        let identity = wd
            .engine
            .state_identity_of(&wd.backend, &wd.module_dir, &wd.opts)?;
        self.state_unchanged(who, plan, identity.as_ref())?;
        self.check_interrupt(|| {
            format!(
                "stopped before applying plan {} to '{}'. Nothing was applied: the state of '{}' is as it was and the plan is still pending. To continue: `ferry apply --env {} --plan {}` (or promote again)",
                plan.id.short(),
                plan.env,
                plan.env,
                plan.env,
                plan.id.short()
            )
        })?;
        let deployment_id = self.begin_apply(who, plan)?;
        self.step(&format!(
            "applying plan {} (release {}) to '{}'",
            plan.id.short(),
            release.id.short(),
            plan.env
        ));
        let result = wd.engine.apply(&wd.module_dir, &local_plan, &wd.opts);
        let outcome = match &result {
            Ok(log) => DeploymentOutcome {
                status: DeploymentStatus::Succeeded,
                at: self.now(),
                error: None,
                log: self.redact(&tail(&log.output)),
            },
            Err(e) => DeploymentOutcome {
                status: if e.interrupted_by().is_some() {
                    DeploymentStatus::Interrupted
                } else {
                    DeploymentStatus::Failed
                },
                at: self.now(),
                error: Some(self.redact(&e.to_string())),
                log: self.redact(&tail(e.output().unwrap_or_default())),
            },
        };
        self.finish_apply(who, plan, deployment_id, outcome)?;
        if let Err(e) = result {
            if let Some(signal) = e.interrupted_by() {
                return Err(AppError::Interrupted {
                    signal,
                    message: format!(
                        "the apply of plan {plan} (release {release}) to '{env}' was stopped; deployment #{deployment_id} is recorded as interrupted and its plan can no longer be used. \
                         The engine wrote the state as far as it got, so '{env}' may be partly changed (a resource being created may be tainted). \
                         The lock of '{env}' is released. To continue: `ferry plan --env {env}` shows what the state is now, then `ferry promote --to {env}` again",
                        plan = plan.id.short(),
                        release = release.id.short(),
                        env = plan.env,
                    ),
                });
            }
            return Err(AppError::Engine(e).context(format!(
                "apply of plan {} to '{}' failed; recorded as failed in the ledger",
                plan.id.short(),
                plan.env
            )));
        }
        self.check_interrupt(|| {
            format!(
                "stopped after the apply of plan {} to '{}' succeeded (deployment #{deployment_id}), before it was verified: release {} is deployed there but not known-good. To continue: promote it again (a no-op apply, then verification)",
                plan.id.short(),
                plan.env,
                release.id.short()
            )
        })?;
        self.verify_deployment(who, &s, &release, deployment_id, &wd)?;
        self.ledger.deployment(deployment_id)?.ok_or_else(|| {
            AppError::NotFound(format!(
                "deployment #{deployment_id} vanished from the ledger"
            ))
        })
    }

    /// A plan may be applied only while pending, and only from a ledger whose chain verifies.
    pub(crate) fn check_applicable(&self, plan: &PlanRecord) -> Result<()> {
        if plan.status != PlanStatus::Pending {
            return Err(AppError::Conflict(format!(
                "plan {} is {}, not pending: a plan is applied once; run `ferry plan --env {}` for a new one",
                plan.id.short(),
                plan.status,
                plan.env
            )));
        }
        if let Some(gate) = self.ledger_gate()? {
            let headline = format!(
                "plan {} may not be applied to '{}':",
                plan.id.short(),
                plan.env
            );
            return Err(AppError::blocked(headline, vec![gate]));
        }
        Ok(())
    }

    /// Terraform itself does not notice a plan made against an empty state being applied twice,
    /// so the state the plan was made against must be the state now; otherwise the plan is
    /// recorded stale (superseded) and refused.
    pub(crate) fn state_unchanged(
        &self,
        who: &Claim,
        plan: &PlanRecord,
        identity: Option<&ferry_engine::StateIdentity>,
    ) -> Result<()> {
        let planned = (plan.state_lineage.clone(), plan.state_serial);
        let current = (
            identity.map(|i| i.lineage.clone()),
            identity.map(|i| i.serial),
        );
        if planned == current {
            return Ok(());
        }
        let msg = format!(
            "the state of '{}' changed since plan {} was made (serial {} then, {} now); the plan is stale. Run `ferry plan --env {}` again",
            plan.env,
            plan.id.short(),
            planned.1.map_or("none".to_string(), |s| s.to_string()),
            current.1.map_or("none".to_string(), |s| s.to_string()),
            plan.env
        );
        let ev = self.event(
            who.as_str(),
            Some(&plan.env),
            "plan.stale",
            Some(&plan.release),
            Some(&plan.id),
            msg.clone(),
        );
        self.ledger
            .transition_plan(&plan.id, PlanStatus::Pending, PlanStatus::Superseded, &ev)?;
        Err(AppError::Conflict(msg))
    }

    /// Records the deployment of `plan` as `running` (the plan leaves `pending` in the same
    /// transaction, so it is claimed exactly once) and returns its id.
    pub(crate) fn begin_apply(&self, who: &Claim, plan: &PlanRecord) -> Result<i64> {
        let kind = plan.purpose.kind();
        let ev = self.event(
            who.as_str(),
            Some(&plan.env),
            "deployment.started",
            Some(&plan.release),
            Some(&plan.id),
            format!("applying plan {} ({kind})", plan.id.short()),
        );
        Ok(self.ledger.begin_deployment(
            &NewDeployment {
                env: plan.env.clone(),
                release: plan.release.clone(),
                plan: plan.id.clone(),
                by: who.as_str().to_string(),
                at: self.now(),
                kind,
                replaces: plan.purpose.replaces().cloned(),
            },
            &ev,
        )?)
    }

    /// Finishes `deployment` of `plan` with its real outcome.
    pub(crate) fn finish_apply(
        &self,
        who: &Claim,
        plan: &PlanRecord,
        deployment: i64,
        outcome: DeploymentOutcome,
    ) -> Result<()> {
        let kind = plan.purpose.kind();
        let kind_text = match outcome.status {
            DeploymentStatus::Succeeded => "deployment.succeeded",
            DeploymentStatus::Interrupted => "deployment.interrupted",
            _ => "deployment.failed",
        };
        let message = match (&outcome.error, outcome.status) {
            (None, _) => format!("deployed release {} ({kind})", plan.release.short()),
            (Some(e), DeploymentStatus::Interrupted) => format!(
                "apply interrupted: {}; the engine was stopped and wrote its state",
                e.lines().next().unwrap_or("")
            ),
            (Some(e), _) => format!("apply failed: {}", e.lines().next().unwrap_or("")),
        };
        let ev = self.event(
            who.as_str(),
            Some(&plan.env),
            kind_text,
            Some(&plan.release),
            Some(&plan.id),
            message,
        );
        self.ledger.finish_deployment(deployment, &outcome, &ev)?;
        Ok(())
    }
}
