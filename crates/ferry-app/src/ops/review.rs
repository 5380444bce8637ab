//! `review`: any plan JSON file (no project needed), or an environment's stored plan.

use crate::context::App;
use crate::error::{AppError, Result};
use crate::project::{find_root, CONFIG_FILE};
use crate::steps::gates::policy_counts;
use crate::views::StoredReview;
use ferry_core::Review;
use ferry_plan::{review_files, ReviewConfig};
use std::path::Path;

/// `[review]` of `explicit`, else of the project's ferry.toml at or above `start`, else the
/// defaults. Only `[review]` is read, so a plan can be reviewed with a half-written ferry.toml.
pub fn review_config(start: Option<&Path>, explicit: Option<&Path>) -> Result<ReviewConfig> {
    let path = match explicit {
        Some(p) => Some(p.to_path_buf()),
        None => start.and_then(find_root).map(|root| root.join(CONFIG_FILE)),
    };
    match path {
        Some(path) => Ok(ReviewConfig::from_file(&path)?),
        None => Ok(ReviewConfig::default()),
    }
}

/// Reviews `plan` (against `baseline` when given) with `config`.
pub fn review_file(plan: &Path, baseline: Option<&Path>, config: &ReviewConfig) -> Result<Review> {
    Ok(review_files(plan, baseline, config)?.review)
}

impl App {
    /// The stored review of `env`'s pending plan (else its newest).
    pub fn review_env(&self, env: &str) -> Result<StoredReview> {
        self.env(env)?;
        let plan = match self.ledger.pending_plan(env)? {
            Some(p) => p,
            None => self.ledger.latest_plan(env)?.ok_or_else(|| {
                AppError::NotFound(format!(
                    "'{env}' has no plan yet; run `ferry plan --env {env}`"
                ))
            })?,
        };
        let review: Review = serde_json::from_value(plan.review.clone()).map_err(|e| {
            AppError::Invalid(format!(
                "the stored review of plan {} is unreadable: {e}",
                plan.id.short()
            ))
        })?;
        let (denials, _) = policy_counts(&plan.policy);
        let status = plan.status.as_str().to_string();
        let advice = self.advice_views(&plan.id)?;
        let planned = crate::steps::plan::Planned {
            record: plan,
            review,
            fresh: None,
        };
        Ok(StoredReview {
            plan: self.planned_view(&planned)?,
            status,
            denials,
            advice,
        })
    }
}
