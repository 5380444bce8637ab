//! Judging a plan: the review (ferry-plan) and the policies (ferry-policy), combined into what the
//! ledger stores with the plan and what the gates read.
//!
//! The `[review]` and `[policy]` settings and the policy files are read from the *release* (the
//! unpacked bundle), not the work tree: a policy change is reviewed and promoted like code, and
//! nobody relaxes a rule by editing a file on their laptop.

use anyhow::{Context as _, Result};
use ferry_core::{Config, Review};
use ferry_plan::{review_files, ReviewConfig};
use ferry_policy::{FerryContext, PolicyReport, PolicySet};
use std::path::Path;

pub struct Assessment {
    pub review: Review,
    pub policy: PolicyReport,
    /// See [`change_digest`].
    pub change_digest: String,
}

impl Assessment {
    pub fn policy_json(&self) -> serde_json::Value {
        serde_json::to_value(&self.policy).unwrap_or_else(|_| serde_json::json!({"results": []}))
    }
}

/// Reviews `plan_json` (against `baseline` when given) and evaluates the policies of the release
/// unpacked at `release_root` for `env`.
pub fn assess(
    release_root: &Path,
    env: &str,
    release: Option<&str>,
    plan_json: &Path,
    baseline: Option<&Path>,
) -> Result<Assessment> {
    let config_path = release_root.join(crate::context::CONFIG_FILE);
    let text = std::fs::read_to_string(&config_path).with_context(|| {
        format!(
            "the release has no readable {}",
            crate::context::CONFIG_FILE
        )
    })?;
    let config = Config::parse(
        &text,
        &format!("{} (in the release)", crate::context::CONFIG_FILE),
    )?;
    let review_config = ReviewConfig::from_table(&config.review)?;
    let outcome = review_files(plan_json, baseline, &review_config)?;
    let comparison = outcome
        .comparison
        .as_ref()
        .and_then(|c| serde_json::to_value(c).ok());

    let env_policy_dir = config
        .environment(env)
        .and_then(|e| e.policy_dir.as_deref());
    let file = std::fs::File::open(plan_json)
        .with_context(|| format!("cannot read {}", plan_json.display()))?;
    let input: serde_json::Value = serde_json::from_reader(std::io::BufReader::new(file))
        .with_context(|| {
            format!(
                "cannot read {} as JSON for the policies",
                plan_json.display()
            )
        })?;
    let digest = change_digest(&input);
    let policy =
        match PolicySet::for_environment(release_root, &config.policy, Some(env), env_policy_dir) {
            Ok(set) => {
                let ctx = FerryContext {
                    environment: env.to_string(),
                    release: release.map(str::to_string),
                    review: Some(outcome.review.clone()),
                    baseline: comparison.clone(),
                    approvals: vec![],
                };
                set.evaluate(&input, &ctx)
            }
            // Fail closed: a policy set that cannot load denies the plan.
            Err(e) => PolicyReport::from_error(&e),
        };
    Ok(Assessment {
        review: outcome.review,
        policy,
        change_digest: digest,
    })
}

/// (denials, warnings) in stored policy results.
pub fn policy_counts(policy: &serde_json::Value) -> (usize, usize) {
    let results = policy["results"]
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or_default();
    let count = |level: &str| results.iter().filter(|r| r["level"] == level).count();
    (count("deny"), count("warn"))
}

/// A digest of what a plan would change — each resource change's address, actions and
/// before/after values, sorted by address — leaving out everything that differs between two
/// plans of the same thing (timestamps, variable echo, prior state metadata).
pub fn change_digest(plan: &serde_json::Value) -> String {
    use sha2::{Digest, Sha256};
    let mut changes: Vec<serde_json::Value> = plan["resource_changes"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|rc| {
            serde_json::json!([
                rc["address"],
                rc["deposed"],
                rc["change"]["actions"],
                rc["change"]["before"],
                rc["change"]["after"],
                rc["change"]["after_unknown"],
                rc["change"]["replace_paths"]
            ])
        })
        .collect();
    changes.sort_by_key(|c| c.to_string());
    let mut hasher = Sha256::new();
    for c in &changes {
        hasher.update(c.to_string().as_bytes());
        hasher.update(b"\n");
    }
    hex::encode(hasher.finalize())
}

#[cfg(test)]
mod tests {
    use super::change_digest;
    use serde_json::json;

    #[test]
    fn digest_ignores_order_and_metadata_but_not_values() {
        let a = json!({"timestamp": "1", "resource_changes": [
            {"address": "x", "change": {"actions": ["create"], "after": {"n": 1}}},
            {"address": "y", "change": {"actions": ["delete"], "before": {"n": 2}}}]});
        let b = json!({"timestamp": "2", "resource_changes": [
            {"address": "y", "change": {"actions": ["delete"], "before": {"n": 2}}},
            {"address": "x", "change": {"actions": ["create"], "after": {"n": 1}}}]});
        let c = json!({"resource_changes": [
            {"address": "y", "change": {"actions": ["delete"], "before": {"n": 2}}},
            {"address": "x", "change": {"actions": ["create"], "after": {"n": 3}}}]});
        assert_eq!(change_digest(&a), change_digest(&b));
        assert_ne!(change_digest(&a), change_digest(&c));
    }
}
