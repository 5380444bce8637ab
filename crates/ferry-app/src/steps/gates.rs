//! The gates of one stored plan, judged now: entry gates of its release, its review and policy
//! verdict (as given, or re-derived from the hash-bound plan JSON), its approvals re-judged under
//! today's rules with their signatures checked, freeze windows and plan age.

use super::assess::Assessment;
use crate::context::App;
use crate::error::{AppError, Result};
use ferry_core::promotion::{
    apply_gates, judge, ApplyFacts, Decision, Judged, Makers, RecordedApproval, SignatureCheck,
    UnmetGate,
};
use ferry_core::schedule::{frozen, parse_instant, too_old};
use ferry_core::settings::GateSettings;
use ferry_core::Verdict;
use ferry_sign::{AllowedSigners, Statement};
use ferry_store::{PlanRecord, ReleaseRecord};

/// The verdict a gate check reads: from the ledger row, or re-derived from the plan itself.
pub(crate) enum Verdicts<'a> {
    Stored,
    Derived(&'a Assessment),
}

/// (denials, warnings) in stored policy results.
pub(crate) fn policy_counts(policy: &serde_json::Value) -> (usize, usize) {
    let results = policy["results"]
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or_default();
    let count = |level: &str| results.iter().filter(|r| r["level"] == level).count();
    (count("deny"), count("warn"))
}

impl App {
    /// The allowed signers of `release` for `s`, when any are configured.
    pub(crate) fn allowed_signers(
        &self,
        s: &GateSettings,
        release: &ReleaseRecord,
    ) -> Result<Option<AllowedSigners>> {
        let Some(path) = &s.allowed_signers else {
            return Ok(None);
        };
        let bytes = self.releases.read_file(&release.id, path)?.ok_or_else(|| {
            AppError::Invalid(format!(
                "environment '{}': allowed_signers = \"{path}\" is not a file in release {}",
                s.env,
                release.id.short()
            ))
        })?;
        let text = String::from_utf8_lossy(&bytes);
        Ok(Some(AllowedSigners::parse(
            &text,
            &format!("{path} (in release {})", release.id.short()),
        )?))
    }

    /// The plan's recorded approvals, judged under `s` now, signatures checked.
    pub(crate) fn judge_approvals(
        &self,
        s: &GateSettings,
        plan: &PlanRecord,
        release: &ReleaseRecord,
    ) -> Result<Judged> {
        let approvals: Vec<_> = self
            .ledger
            .approvals(&plan.id)?
            .into_iter()
            .filter(|a| a.decision == Decision::Approve)
            .collect();
        let signed = approvals.iter().any(|a| a.signature.is_some());
        let signers = if s.require_signed_approvals || signed {
            self.allowed_signers(s, release)?
        } else {
            None
        };
        let statement = Statement {
            plan: plan.id.clone(),
            env: plan.env.clone(),
            release: plan.release.clone(),
            decision: Decision::Approve,
        };
        let now = self.clock.now();
        let recorded: Vec<RecordedApproval<'_>> = approvals
            .iter()
            .map(|a| RecordedApproval {
                by: &a.by,
                acknowledged_warnings: a.acknowledged_warnings,
                signature: match (&signers, &a.signature) {
                    (_, None) => SignatureCheck::Missing,
                    (Some(signers), Some(sig)) => {
                        ferry_sign::verify(signers, &statement, Some(sig), &a.by, now)
                    }
                    (None, Some(_)) => SignatureCheck::Invalid {
                        reason: "no allowed_signers is configured to check it against".into(),
                    },
                },
            })
            .collect();
        let makers = Makers {
            release_author: &release.author,
            release_creator: &release.created_by,
            planner: &plan.created_by,
        };
        Ok(judge(s, &makers, &recorded))
    }

    /// Every gate `plan` does not meet now. `automatic` (ferry's own rollback after a failed
    /// verification) skips the approval count, never a block or a deny.
    pub(crate) fn plan_gates(
        &self,
        s: &GateSettings,
        plan: &PlanRecord,
        release: &ReleaseRecord,
        verdicts: Verdicts<'_>,
        automatic: bool,
    ) -> Result<Vec<UnmetGate>> {
        let mut gates = self.entry_gates(s, release)?;
        let (stored_denials, stored_warnings) = policy_counts(&plan.policy);
        let (verdict, denials, warnings) = match verdicts {
            Verdicts::Stored => (plan.verdict, stored_denials, stored_warnings),
            Verdicts::Derived(a) => {
                let derived = (a.review.verdict, a.denials(), a.policy.warnings().count());
                if derived.0 != plan.verdict
                    || (derived.1 > 0) != plan.policy_denied
                    || derived.1 != stored_denials
                {
                    gates.push(UnmetGate::ReviewChanged {
                        stored: describe(plan.verdict, stored_denials),
                        derived: describe(derived.0, derived.1),
                    });
                }
                derived
            }
        };
        let judged = self.judge_approvals(s, plan, release)?;
        let now = self.clock.now();
        let created = parse_instant(&plan.created_at).map_err(AppError::Invalid)?;
        let plan_text = plan.id.to_string();
        gates.extend(apply_gates(&ApplyFacts {
            env: &s.env,
            plan: &plan_text,
            verdict,
            policy_denials: denials,
            policy_warnings: warnings,
            approvals_needed: if automatic { 0 } else { s.approvals },
            approvals: &judged,
            frozen: frozen(&s.freeze, now),
            too_old: too_old(s.max_plan_age.as_ref(), created, now).then(|| {
                (
                    plan.created_at.clone(),
                    s.max_plan_age
                        .as_ref()
                        .map_or(String::new(), |d| d.as_str().to_string()),
                )
            }),
        }));
        Ok(gates)
    }

    /// The ledger's hash chain, as a gate: nothing is applied from a ledger edited behind
    /// ferry's back.
    pub(crate) fn ledger_gate(&self) -> Result<Option<UnmetGate>> {
        let report = self.ledger.verify()?;
        Ok(report
            .first_problem()
            .map(|detail| UnmetGate::LedgerUnverified { detail }))
    }
}

fn describe(verdict: Verdict, denials: usize) -> String {
    format!("review {verdict} with {denials} policy denial(s)")
}
