//! `approve` and `reject`: a person's recorded yes or no for one exact plan, under the release's
//! rules (approver list, separation of duties by person, signatures where required).

use crate::context::{App, Claim};
use crate::error::{AppError, Result};
use crate::steps::gates::policy_counts;
use crate::views::ApprovalView;
use ferry_core::promotion::{eligibility, signature_accepted, Decision, Makers, PlanStatus};
use ferry_core::Verdict;
use ferry_sign::Statement;
use ferry_store::{ApprovalRecord, PlanRecord};
use std::path::PathBuf;

/// How an approval is signed.
#[derive(Debug, Clone, Default)]
pub enum Signer {
    #[default]
    Unsigned,
    /// Sign with this SSH key (a private key file, or a `.pub` whose key is in the agent).
    KeyFile(PathBuf),
    /// A signature made elsewhere (e.g. by a remote CLI), armored.
    Signature(String),
}

#[derive(Debug, Clone, Default)]
pub struct ApproveInput {
    pub env: String,
    pub plan: Option<String>,
    pub acknowledge_warnings: bool,
    pub signer: Signer,
}

#[derive(Debug, Clone)]
pub struct RejectInput {
    pub env: String,
    pub plan: Option<String>,
    pub reason: String,
}

impl App {
    fn statement(plan: &PlanRecord, decision: Decision) -> Statement {
        Statement {
            plan: plan.id.clone(),
            env: plan.env.clone(),
            release: plan.release.clone(),
            decision,
        }
    }

    pub fn approve(&self, who: &Claim, input: &ApproveInput) -> Result<ApprovalView> {
        if let Some(server) = &self.remote {
            return remote_approve(server.as_ref(), input);
        }
        self.env(&input.env)?;
        let plan = self.resolve_plan(&input.env, input.plan.as_deref())?;
        let release = self.release(&plan.release)?;
        let s = self.settings(&input.env, &release.id)?;
        if input.plan.is_none() && s.approvals > 0 {
            return Err(AppError::Invalid(format!(
                "'{}' requires approvals, so name the exact plan you reviewed: the pending plan is {} — read it with `ferry review --env {}`, then run `ferry approve --env {} --plan {}`",
                input.env, plan.id, input.env, input.env, plan.id
            )));
        }
        if plan.status != PlanStatus::Pending {
            return Err(AppError::Conflict(format!(
                "plan {} is {}, not pending; only a pending plan can be approved",
                plan.id.short(),
                plan.status
            )));
        }
        let makers = Makers {
            release_author: &release.author,
            release_creator: &release.created_by,
            planner: &plan.created_by,
        };
        if let Err(refusal) = eligibility(&s, &makers, who.as_str()) {
            return Err(AppError::blocked(
                format!(
                    "{refusal}: someone else must approve plan {}",
                    plan.id.short()
                ),
                vec![],
            ));
        }
        let person = s.people.person_of(&who.identity);
        let existing = self.ledger.approvals(&plan.id)?;
        if let Some(a) = existing.iter().find(|a| {
            a.decision == Decision::Approve
                && s.people.person_of(&ferry_core::Identity::new(&a.by)) == person
        }) {
            return Err(AppError::Conflict(format!(
                "{} ({person}) already approved plan {} as {}; a second approval must come from someone else",
                who.as_str(),
                plan.id.short(),
                a.by
            )));
        }
        let (denials, warnings) = policy_counts(&plan.policy);
        if plan.verdict == Verdict::Block || denials > 0 {
            return Err(AppError::blocked(
                format!(
                    "plan {} cannot be approved: {}; see `ferry review --env {}`",
                    plan.id.short(),
                    if plan.verdict == Verdict::Block {
                        "its review verdict is block"
                    } else {
                        "a policy denies it"
                    },
                    input.env
                ),
                vec![],
            ));
        }
        let has_warnings = plan.verdict == Verdict::Warn || warnings > 0;
        if has_warnings && !input.acknowledge_warnings {
            return Err(AppError::blocked(
                format!(
                    "plan {} has warnings (review verdict {}, {warnings} policy warning(s)); read them with `ferry review --env {}` and approve with --acknowledge-warnings",
                    plan.id.short(),
                    plan.verdict,
                    input.env
                ),
                vec![],
            ));
        }
        let statement = Self::statement(&plan, Decision::Approve);
        let signature = match &input.signer {
            Signer::Unsigned => None,
            Signer::KeyFile(path) => Some(ferry_sign::sign(path, &statement)?),
            Signer::Signature(sig) => Some(sig.clone()),
        };
        if s.require_signed_approvals || signature.is_some() {
            let check = match (&signature, self.allowed_signers(&s, &release)?) {
                (None, _) => ferry_core::promotion::SignatureCheck::Missing,
                (Some(sig), Some(signers)) => ferry_sign::verify(
                    &signers,
                    &statement,
                    Some(sig),
                    who.as_str(),
                    self.clock.now(),
                ),
                (Some(_), None) => ferry_core::promotion::SignatureCheck::Invalid {
                    reason: format!(
                        "'{}' has no allowed_signers to check signatures against",
                        input.env
                    ),
                },
            };
            if let Err(refusal) = signature_accepted(&s, who.as_str(), &check) {
                return Err(AppError::blocked(
                    format!("{refusal}; nothing was recorded"),
                    vec![],
                ));
            }
        }
        let record = ApprovalRecord {
            plan: plan.id.clone(),
            env: input.env.clone(),
            by: who.as_str().to_string(),
            at: self.now(),
            decision: Decision::Approve,
            reason: None,
            acknowledged_warnings: has_warnings && input.acknowledge_warnings,
            source: who.origin.clone(),
            via: who.source.as_str().to_string(),
            signature,
        };
        let signed = if record.signature.is_some() {
            " (signed)"
        } else {
            ""
        };
        let ev = self.event(
            who.as_str(),
            Some(&input.env),
            "approval",
            Some(&plan.release),
            Some(&plan.id),
            format!("approved by {}{signed}", who.as_str()),
        );
        self.ledger.record_approval(&record, &ev)?;
        let judged = self.judge_approvals(&s, &plan, &release)?;
        Ok(ApprovalView {
            approval: record,
            approvals: judged.counted.len(),
            needed: s.approvals,
            rehearsal: self.ledger.latest_rehearsal(&plan.release)?,
            advice: self.advice_views(&plan.id)?,
        })
    }

    pub fn reject(&self, who: &Claim, input: &RejectInput) -> Result<ApprovalRecord> {
        if let Some(server) = &self.remote {
            return server.reject(&input.env, input.plan.as_deref(), &input.reason);
        }
        self.env(&input.env)?;
        let plan = self.resolve_plan(&input.env, input.plan.as_deref())?;
        if plan.status != PlanStatus::Pending {
            return Err(AppError::Conflict(format!(
                "plan {} is {}, not pending: only a pending plan can be rejected",
                plan.id.short(),
                plan.status
            )));
        }
        let record = ApprovalRecord {
            plan: plan.id.clone(),
            env: input.env.clone(),
            by: who.as_str().to_string(),
            at: self.now(),
            decision: Decision::Reject,
            reason: Some(input.reason.clone()),
            acknowledged_warnings: false,
            source: who.origin.clone(),
            via: who.source.as_str().to_string(),
            signature: None,
        };
        let ev = self.event(
            who.as_str(),
            Some(&input.env),
            "rejection",
            Some(&plan.release),
            Some(&plan.id),
            format!("rejected by {}: {}", who.as_str(), input.reason),
        );
        self.ledger.reject_plan(&record, &ev)?;
        Ok(record)
    }
}

/// Through the server, the approver names the exact plan they read, and the server records the
/// approval under the token's identity.
fn remote_approve(
    server: &dyn crate::remote::TeamServer,
    input: &ApproveInput,
) -> Result<ApprovalView> {
    let Some(plan) = input.plan.as_deref() else {
        return Err(AppError::Invalid(format!(
            "name the exact plan you reviewed: `ferry approve --env {} --plan ID` (`ferry status --env {}` shows the pending plan)",
            input.env, input.env
        )));
    };
    if !matches!(input.signer, Signer::Unsigned) || input.acknowledge_warnings {
        return Err(AppError::Invalid(
            "signed approvals and --acknowledge-warnings are not accepted through the team server yet: approve on a machine with the server's ledger, or without them".into(),
        ));
    }
    server.approve(&input.env, Some(plan), None)
}
