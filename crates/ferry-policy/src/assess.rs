//! Judging a plan in one pass: the review, the policies and the change digest that binds an
//! approval to what the plan changes, from the plan file as the engine wrote it.
//!
//! The plan is read once, as a stream (ferry-plan's review). That pass also keeps the change
//! digest and where the plan's large sections lie; the policies then read the plan as
//! documents rebuilt from those places (`ferry_plan::RecordedPlan::documents`), at most
//! [`DOCUMENT_BYTES`] of large sections each. So promoting a 1 GB plan never holds it as a tree.
//!
//! What a policy author sees: `input` is the plan as the engine wrote it when its
//! `resource_changes`, `resource_drift` and the resources of `planned_values` and
//! `prior_state` together fit in one document (`data.ferry.document.whole` is true), which is
//! the case for all but very large plans. Otherwise each document holds the small sections whole
//! (`configuration`, `variables`, `output_changes`, versions...) and a slice of one large
//! collection, the others empty; every element is in exactly one document and results are the
//! union over documents. Rules over single elements (`input.resource_changes[_]`,
//! `input.planned_values.root_module.resources[_]`, `input.configuration...`) behave the same
//! either way; rules that count or join across elements see one document at a time: count with
//! `data.ferry.review.summary` or the built-in `max_deletes`, which count the whole plan.

use crate::{FerryContext, PolicyError, PolicyReport, PolicySet};
use ferry_plan::{review_and_record, PlanError, ReviewConfig, ReviewOutcome};
use std::path::Path;

/// Large-section bytes per policy document: a document's Rego values then stay a few MB
/// (measured: docs/benchmarks-policy.md); plans up to this size are one document.
pub const DOCUMENT_BYTES: u64 = 256 << 10;

/// A plan judged: what the ledger stores with it and what the gates read.
#[derive(Debug)]
pub struct Assessment {
    /// The review (`outcome.review` is the JSON contract), against the baseline when given.
    pub outcome: ReviewOutcome,
    pub policy: PolicyReport,
    /// See `ferry_plan::RecordedPlan::change_digest`: equal for two plans of the same change.
    pub change_digest: String,
}

/// Reviews `plan` (against `baseline`, the lower environment's plan of the same release),
/// evaluates `policies` on it and computes its change digest, reading the plan once.
///
/// `policies` is the loaded set, or the error loading it, which fails closed: the report then
/// holds that error as a deny. `ctx` carries the environment, release and approvals; its
/// `review` and `baseline` are filled in here from this review. Errors are the review's: a plan
/// that cannot be read or is not a plan.
pub fn assess_plan(
    plan: &Path,
    baseline: Option<&Path>,
    review: &ReviewConfig,
    policies: Result<&PolicySet, &PolicyError>,
    ctx: &FerryContext,
) -> Result<Assessment, PlanError> {
    let (outcome, recorded) = review_and_record(plan, baseline, review)?;
    let policy = match policies {
        Ok(set) => {
            let ctx = FerryContext {
                review: None,
                baseline: outcome
                    .comparison
                    .as_ref()
                    .and_then(|c| serde_json::to_value(c).ok()),
                ..ctx.clone()
            };
            match recorded.documents(DOCUMENT_BYTES) {
                Ok(docs) => {
                    let whole = docs.whole();
                    set.evaluate_documents_with(docs, whole, &ctx, Some(&outcome.review))
                }
                Err(e) => PolicyReport::from_error(&PolicyError::Eval {
                    file: "input".into(),
                    rule: "input".into(),
                    line: None,
                    message: format!("cannot read the plan for the policies: {e}"),
                }),
            }
        }
        Err(e) => PolicyReport::from_error(e),
    };
    Ok(Assessment {
        policy,
        change_digest: recorded.change_digest().to_string(),
        outcome,
    })
}
