//! Judging a plan: the review (ferry-plan) and the policies (ferry-policy), combined into what the
//! ledger stores with the plan and what the gates read.

use crate::session::Session;
use anyhow::{Context as _, Result};
use ferry_core::{ReleaseId, Review, Summary};
use std::path::Path;

pub struct Assessment {
    pub review: Review,
    pub policy_json: serde_json::Value,
    pub policy_denials: usize,
}

pub fn assess(_session: &Session, _env: &str, _release: Option<&ReleaseId>, plan_json: &Path, _baseline: Option<&Path>) -> Result<Assessment> {
    // Interim: counts only, until the review engine is wired in.
    let text = std::fs::read(plan_json).with_context(|| format!("cannot read {}", plan_json.display()))?;
    let v: serde_json::Value = serde_json::from_slice(&text)?;
    let mut s = Summary::default();
    for rc in v["resource_changes"].as_array().into_iter().flatten() {
        let a: Vec<&str> = rc["change"]["actions"].as_array().into_iter().flatten().filter_map(|x| x.as_str()).collect();
        match a.as_slice() {
            ["create"] => s.create += 1,
            ["update"] => s.update += 1,
            ["delete"] => s.delete += 1,
            ["read"] => s.read += 1,
            ["no-op"] => s.no_op += 1,
            [_, _] => s.replace += 1,
            _ => {}
        }
    }
    Ok(Assessment { review: Review::new(s, vec![]), policy_json: serde_json::json!({"results": []}), policy_denials: 0 })
}

/// (denials, warnings) in stored policy results.
pub fn policy_counts(policy: &serde_json::Value) -> (usize, usize) {
    let results = policy["results"].as_array().map(Vec::as_slice).unwrap_or_default();
    let count = |level: &str| results.iter().filter(|r| r["level"] == level).count();
    (count("deny"), count("warn"))
}
