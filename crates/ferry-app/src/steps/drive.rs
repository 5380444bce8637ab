//! One promotion, start to end, shared by promote, rollback, rehearsal and the automatic
//! rollback: reuse the pending plan of the same release and purpose (keeping its approvals) or
//! plan afresh, check every gate, stop for confirmation where a person must say yes, apply,
//! verify; on a failed verification in an `auto_rollback` environment, promote the rollback
//! target back through the same gates (bar the approval count). The caller holds the lock.

use super::gates::Verdicts;
use super::plan::Planned;
use crate::context::{App, Claim};
use crate::error::{AppError, Result};
use crate::views::{plan_view, PlanView, PromoteView};
use ferry_core::promotion::{needs_confirmation, PlanPurpose, UnmetGate};
use ferry_core::{Review, Verdict};
use ferry_store::ReleaseRecord;

impl App {
    /// The view of a planned result.
    pub(crate) fn planned_view(&self, planned: &Planned) -> Result<PlanView> {
        let p = &planned.record;
        let s = self.settings(&p.env, &p.release)?;
        let (rehearsal, rehearses) = match &s.from {
            Some(up) => (
                self.ledger.latest_rehearsal(&p.release)?,
                self.settings(up, &p.release)
                    .map(|u| u.rehearse_rollback)
                    .unwrap_or(false),
            ),
            None => (None, false),
        };
        let mut view = plan_view(
            p,
            planned.review.clone(),
            s.from.clone(),
            s.approvals,
            rehearsal,
            rehearses,
        );
        view.release_commit = self.ledger.release(&p.release)?.map(|r| r.commit);
        Ok(view)
    }

    /// The pending plan of `release` for `purpose`, or a new one.
    fn plan_or_reuse(
        &self,
        who: &Claim,
        env: &str,
        release: &ReleaseRecord,
        purpose: PlanPurpose,
    ) -> Result<Planned> {
        match self.ledger.pending_plan(env)? {
            Some(p) if p.release == release.id && p.purpose == purpose => {
                self.step(&format!(
                    "using the pending plan {} of release {} for '{env}'",
                    p.id.short(),
                    release.id.short()
                ));
                let review: Review = serde_json::from_value(p.review.clone()).map_err(|e| {
                    AppError::Invalid(format!(
                        "the stored review of plan {} is unreadable: {e}",
                        p.id.short()
                    ))
                })?;
                Ok(Planned {
                    record: p,
                    review,
                    fresh: None,
                })
            }
            _ => self.plan_release(who, env, release, purpose),
        }
    }

    pub(crate) fn drive(
        &self,
        who: &Claim,
        env: &str,
        release: &ReleaseRecord,
        purpose: PlanPurpose,
        confirmed: bool,
    ) -> Result<PromoteView> {
        let automatic = matches!(
            purpose,
            PlanPurpose::AutoRollback { .. } | PlanPurpose::Rehearsal
        );
        let is_rollback = purpose.kind().is_rollback();
        if is_rollback || matches!(purpose, PlanPurpose::Rehearsal) {
            // The rollback guard: a release that predates an applied contract migration, or
            // whose compat queries fail against the schema now, would strand the data.
            let reasons = self.migration_readiness(env, release)?;
            if !reasons.is_empty() {
                return Err(AppError::blocked(
                    format!(
                        "the rollback of '{env}' to release {} is blocked by the database's migrations:",
                        release.id.short()
                    ),
                    vec![UnmetGate::RollbackStrandsData { reasons }],
                ));
            }
        }
        let s = self.settings(env, &release.id)?;
        let planned = self.plan_or_reuse(who, env, release, purpose.clone())?;
        let view = self.planned_view(&planned)?;
        let blocked_view = |gates| PromoteView {
            plan: view.clone(),
            deployment: None,
            unmet_gates: gates,
            rehearsal: None,
        };
        let verdicts = match &planned.fresh {
            Some(a) => Verdicts::Derived(a),
            None => Verdicts::Stored,
        };
        let gates = self.plan_gates(&s, &planned.record, release, verdicts, automatic)?;
        if !gates.is_empty() {
            let headline = if is_rollback && planned.review.verdict == Verdict::Block {
                format!(
                    "the rollback of '{env}' to release {} is blocked: it would destroy or replace stateful resources (see the review). \
                     A rollback never destroys data silently; fix forward, or restore data first and relax the rule in a new release.\nplan {} may not be applied to '{env}':",
                    release.id.short(),
                    planned.record.id.short()
                )
            } else {
                format!(
                    "plan {} may not be applied to '{env}':",
                    planned.record.id.short()
                )
            };
            return Err(AppError::blocked(headline, gates.clone()).with_view(&blocked_view(gates)));
        }
        if needs_confirmation(s.auto_apply, s.approvals, automatic) && !confirmed {
            return Err(AppError::NeedsConfirmation {
                env: env.to_string(),
                plan: planned.record.id.short().to_string(),
                command: format!("ferry apply --env {env} --plan {}", planned.record.id),
                context: None,
            }
            .with_view(&blocked_view(vec![])));
        }
        match self.apply_plan(who, &planned.record, planned.fresh.as_ref(), automatic) {
            Ok(deployment) => {
                let rehearsal = if s.rehearse_rollback && matches!(purpose, PlanPurpose::Deploy) {
                    match self.rehearse_rollback(who, env, false) {
                        Ok(r) => r,
                        Err(e) => {
                            self.warn(&format!(
                                "warning: the rollback rehearsal in '{env}' could not run: {e}"
                            ));
                            None
                        }
                    }
                } else {
                    None
                };
                let mut plan = view;
                plan.status = "applied".into();
                Ok(PromoteView {
                    plan,
                    deployment: Some(deployment),
                    unmet_gates: vec![],
                    rehearsal,
                })
            }
            Err(e) => match (e, &purpose) {
                (
                    AppError::VerificationFailed {
                        env: venv,
                        deployment,
                        detail,
                        ..
                    },
                    PlanPurpose::Deploy | PlanPurpose::Rollback { .. },
                ) if s.auto_rollback => {
                    self.warn(&format!(
                        "verification of deployment #{deployment} in '{venv}' failed: {detail}"
                    ));
                    let outcome = self.auto_rollback(who, env, &release.id);
                    Err(AppError::VerificationFailed {
                        env: venv,
                        deployment,
                        detail,
                        outcome: Some(outcome),
                    })
                }
                (e, _) => Err(e),
            },
        }
    }

    /// Promotes the rollback target back into `env` after `failed` failed its verification;
    /// says what happened.
    fn auto_rollback(&self, who: &Claim, env: &str, failed: &ferry_core::ReleaseId) -> String {
        let target = match self.rollback_target(env) {
            Ok(Some((t, _))) => t,
            Ok(None) => {
                return format!(
                    "auto_rollback found no earlier known-good release of '{env}' to roll back to"
                )
            }
            Err(e) => {
                return format!("auto_rollback could not find a release to roll back to: {e}")
            }
        };
        self.step(&format!(
            "auto_rollback: promoting the previous known-good release {} back into '{env}'",
            target.id.short()
        ));
        let ev = self.event(
            who.as_str(),
            Some(env),
            "rollback.automatic",
            Some(&target.id),
            None,
            format!("verification failed; rolling back to {}", target.id.short()),
        );
        if let Err(e) = self.ledger.record_event(&ev) {
            return format!("the automatic rollback could not be recorded: {e}");
        }
        let purpose = PlanPurpose::AutoRollback {
            from: failed.clone(),
        };
        match self.drive(who, env, &target, purpose, true) {
            Ok(_) => format!(
                "'{env}' was rolled back automatically to release {}",
                target.id.short()
            ),
            Err(e) => format!(
                "the automatic rollback to release {} failed too: {e}",
                target.id.short()
            ),
        }
    }
}
