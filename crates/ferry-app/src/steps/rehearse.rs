//! Rollback rehearsal: plan the rollback target against the environment's state now, review it,
//! and record "rollback readiness" for the next environment's reviewers; optionally apply it and
//! roll forward again to prove it.

use crate::context::{App, Claim};
use crate::error::{AppError, Result};
use crate::views::readiness_line;
use ferry_core::promotion::{current_release, rollback_target, DeploymentFact, PlanPurpose};
use ferry_core::{ReleaseId, Severity, Verdict};
use ferry_store::{DeploymentRecord, RehearsalRecord, ReleaseRecord};

/// The facts the rollback rule reads, newest first.
pub(crate) fn facts(deployments: &[DeploymentRecord]) -> Vec<DeploymentFact<'_>> {
    deployments
        .iter()
        .map(|d| DeploymentFact {
            release: &d.release,
            kind: d.kind,
            status: d.status,
            verified: d.verified,
            replaced: d.replaces.as_ref(),
        })
        .collect()
}

impl App {
    /// The release `env` runs now (its newest successful deployment's).
    pub(crate) fn running_release(&self, env: &str) -> Result<Option<ReleaseId>> {
        let deployments = self.ledger.deployments(Some(env))?;
        Ok(current_release(&facts(&deployments)).cloned())
    }

    /// The release a rollback of `env` brings back, and the release it replaces.
    pub(crate) fn rollback_target(&self, env: &str) -> Result<Option<(ReleaseRecord, ReleaseId)>> {
        let deployments = self.ledger.deployments(Some(env))?;
        let f = facts(&deployments);
        let Some(current) = current_release(&f).cloned() else {
            return Ok(None);
        };
        let mut abandoned = std::collections::BTreeSet::new();
        for r in self.ledger.releases()? {
            if r.abandoned.is_some() {
                abandoned.insert(r.id);
            }
        }
        match rollback_target(&f, |r| abandoned.contains(r)) {
            Some(t) => Ok(Some((self.release(t)?, current))),
            None => Ok(None),
        }
    }

    /// What a rollback of `env` (to `to`, default: its rollback target) would bring back, and
    /// the release it replaces: refused for an abandoned release, nothing deployed, or the
    /// release running now.
    pub(crate) fn rollback_pair(
        &self,
        env: &str,
        to: Option<&str>,
    ) -> Result<(ReleaseRecord, ReleaseId)> {
        let (target, current) = match to {
            Some(id) => {
                let r = self.resolve_release(id)?;
                if let Some(a) = &r.abandoned {
                    return Err(AppError::blocked(
                        format!(
                            "release {} was abandoned ({}); it cannot be rolled back to",
                            r.id.short(),
                            a.reason
                        ),
                        vec![],
                    ));
                }
                let current = self.running_release(env)?.ok_or_else(|| {
                    AppError::NotFound(format!("'{env}' has nothing deployed to roll back from"))
                })?;
                (r, current)
            }
            None => self.rollback_target(env)?.ok_or_else(|| {
                AppError::NotFound(format!(
                    "'{env}' has no known-good release before the current one to roll back to"
                ))
            })?,
        };
        if target.id == current {
            return Err(AppError::Invalid(format!(
                "release {} is what '{env}' runs now; there is nothing to roll back",
                target.id.short()
            )));
        }
        Ok((target, current))
    }

    /// Rehearses the rollback of `env` (the caller holds its lock).
    pub(crate) fn rehearse_rollback(
        &self,
        who: &Claim,
        env: &str,
        apply: bool,
    ) -> Result<Option<RehearsalRecord>> {
        let current = self.current(env)?.ok_or_else(|| {
            AppError::NotFound(format!(
                "'{env}' has no verified deployment to rehearse a rollback from"
            ))
        })?;
        let Some((target, _)) = self.rollback_target(env)? else {
            self.step(&format!(
                "rollback rehearsal in '{env}': no earlier known-good release to roll back to"
            ));
            return Ok(None);
        };
        let current_release = self.release(&current.release)?;
        self.step(&format!(
            "rehearsing the rollback of '{env}' from {} to {}",
            current.release.short(),
            target.id.short()
        ));
        let s = self.settings(env, &target.id)?;
        let ev = self.evaluate(&s, &target, &format!("{env}-rehearsal"), None)?;
        let review = &ev.assessment.review;
        let denies: Vec<String> = ev
            .assessment
            .policy
            .denies()
            .map(|d| d.message.clone())
            .collect();
        let blocking: Vec<String> = review
            .findings
            .iter()
            .filter(|f| f.severity == Severity::Block)
            .map(|f| format!("{} {}", f.kind.as_str(), f.address))
            .collect();
        // Migration readiness next to rollback readiness; unknown counts as not ready.
        // Only where migrations were applied; none there, nothing to strand.
        let migrations =
            if self.ledger.migration_runs(Some(env))?.is_empty() {
                None
            } else {
                Some(self.migration_readiness(env, &target).unwrap_or_else(|e| {
                    vec![format!("migration readiness could not be checked: {e}")]
                }))
            };
        let record = RehearsalRecord {
            env: env.to_string(),
            release: current.release.clone(),
            target: target.id.clone(),
            at: self.now(),
            ready: review.verdict != Verdict::Block
                && denies.is_empty()
                && migrations.as_ref().is_none_or(Vec::is_empty),
            verdict: review.verdict,
            summary: review.summary,
            detail: serde_json::json!({"blocking": blocking, "policy_denies": denies, "migrations": migrations, "findings": review.findings}),
        };
        let e = self.event(
            who.as_str(),
            Some(env),
            "rehearsal",
            Some(&current.release),
            None,
            readiness_line(&record),
        );
        self.ledger.record_rehearsal(&record, &e)?;
        if apply && record.ready {
            self.step(&format!(
                "rehearsal: applying the rollback to {} and rolling forward to {} again",
                target.id.short(),
                current.release.short()
            ));
            self.drive(who, env, &target, PlanPurpose::Rehearsal, true)?;
            self.drive(who, env, &current_release, PlanPurpose::Rehearsal, true)?;
            self.step(&format!(
                "rehearsal in '{env}': rolled back and forward again successfully"
            ));
        }
        Ok(Some(record))
    }
}
