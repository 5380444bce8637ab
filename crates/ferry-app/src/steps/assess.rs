//! Judging a plan: the review (ferry-plan), the environment audit against the upstream
//! environment (ferry-audit: kind and structural differences are findings of the review, so part
//! of the gate), the policies (ferry-policy), and the change digest approvals are carried by.
//!
//! Every setting and policy file comes from the *release* (its ferry.toml, unpacked at
//! `release_root`), so nobody relaxes a rule by editing a file on their laptop. The same function
//! runs at plan time and again at apply time, where it re-derives the verdict from the stored,
//! hash-bound plan JSON instead of trusting the ledger's copy.

use crate::error::{AppError, Result};
use ferry_core::review::{Finding, FindingKind, Severity};
use ferry_core::{Config, Review};
use ferry_plan::{review_files, ReviewConfig};
use ferry_policy::{FerryContext, PolicyReport, PolicySet};
use serde_json::Value;
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};

pub struct Assessment {
    pub review: Review,
    pub policy: PolicyReport,
    /// See [`change_digest`].
    pub change_digest: String,
}

impl Assessment {
    pub fn policy_json(&self) -> Value {
        serde_json::to_value(&self.policy).unwrap_or_else(|_| serde_json::json!({"results": []}))
    }

    pub fn denials(&self) -> usize {
        self.policy.denies().count()
    }
}

/// The upstream environment a plan is compared with.
pub struct Upstream<'a> {
    pub env: &'a str,
    /// The upstream's var files, in the release.
    pub var_files: Vec<PathBuf>,
    /// The plan applied and verified upstream, when there is one.
    pub plan_json: Option<&'a Path>,
}

pub struct Subject<'a> {
    pub env: &'a str,
    pub release: &'a str,
    /// The release unpacked on disk.
    pub release_root: &'a Path,
    pub config: &'a Config,
    pub var_files: Vec<PathBuf>,
    pub policy_dir: Option<&'a str>,
}

pub fn assess(
    s: &Subject<'_>,
    plan_json: &Path,
    upstream: Option<&Upstream<'_>>,
) -> Result<Assessment> {
    let review_config = ReviewConfig::from_table(&s.config.review)?;
    let baseline = upstream.and_then(|u| u.plan_json);
    let outcome = review_files(plan_json, baseline, &review_config)?;
    let mut review = outcome.review;
    if let Some(up) = upstream {
        let extra = audit_findings(s, plan_json, up)?;
        if !extra.is_empty() {
            let mut findings = review.findings;
            findings.extend(extra);
            review = Review::new(review.summary, findings);
        }
    }
    let comparison = outcome
        .comparison
        .as_ref()
        .and_then(|c| serde_json::to_value(c).ok());
    let file = std::fs::File::open(plan_json)
        .map_err(|e| AppError::io(format!("cannot read {}", plan_json.display()), e))?;
    let input: Value = serde_json::from_reader(std::io::BufReader::new(file)).map_err(|e| {
        AppError::Invalid(format!(
            "cannot read {} as JSON for the policies: {e}",
            plan_json.display()
        ))
    })?;
    let change_digest = change_digest(&input);
    let policy = match PolicySet::for_environment(
        s.release_root,
        &s.config.policy,
        Some(s.env),
        s.policy_dir,
    ) {
        Ok(set) => set.evaluate(
            &input,
            &FerryContext {
                environment: s.env.to_string(),
                release: Some(s.release.to_string()),
                review: Some(review.clone()),
                baseline: comparison,
                approvals: vec![],
            },
        ),
        // Fail closed: a policy set that cannot load denies the plan.
        Err(e) => PolicyReport::from_error(&e),
    };
    Ok(Assessment {
        review,
        policy,
        change_digest,
    })
}

/// Unaccepted kind and structural differences between `s` and its upstream, as review
/// findings: "staging resembles prod" is part of the prod gate, not only of `ferry audit`.
fn audit_findings(s: &Subject<'_>, plan_json: &Path, up: &Upstream<'_>) -> Result<Vec<Finding>> {
    let config = ferry_audit::AuditConfig::from_table(&s.config.audit)
        .map_err(|e| AppError::Invalid(format!("[audit] in the release: {e}")))?;
    let pair = format!("{}:{}", up.env, s.env);
    let input = ferry_audit::AuditInput {
        project_root: s.release_root.to_path_buf(),
        root_module: s.release_root.join(&s.config.project.root),
        environments: vec![
            ferry_audit::EnvSpec {
                name: up.env.to_string(),
                var_files: up.var_files.clone(),
                plan: up
                    .plan_json
                    .map(|p| ferry_audit::PlanSource::Path(p.to_path_buf())),
                from: None,
            },
            ferry_audit::EnvSpec {
                name: s.env.to_string(),
                var_files: s.var_files.clone(),
                plan: up
                    .plan_json
                    .map(|_| ferry_audit::PlanSource::Path(plan_json.to_path_buf())),
                from: Some(up.env.to_string()),
            },
        ],
        pairs: vec![pair.clone()],
        config,
    };
    let audit = ferry_audit::audit(&input)?;
    Ok(audit
        .report
        .differences
        .iter()
        .filter(|d| d.pair.as_deref() == Some(pair.as_str()) && d.class.blocks())
        .map(|d| {
            let (kind, what) = match d.class {
                ferry_audit::Outcome::Kind => (FindingKind::KindDifference, "in kind, not only in size"),
                _ => (FindingKind::StructuralDifference, "in structure"),
            };
            let address = match d.subject {
                ferry_audit::report::Subject::Variable => format!("var.{}", d.name),
                ferry_audit::report::Subject::Module => format!("module.{}", d.name),
                ferry_audit::report::Subject::ResourceType => d.name.clone(),
            };
            Finding {
                kind,
                severity: Severity::Block,
                address,
                attribute: None,
                message: format!(
                    "'{}' differs from '{}' {what}: {} {} is {} there and {} here — {}. '{}' stops predicting '{}'; make them alike, or accept the difference in [[audit.accept]] with a reason in a new release",
                    s.env, up.env, d.subject.as_str(), d.name, d.left, d.right, d.why, up.env, s.env
                ),
                explained_by: vec![],
            }
        })
        .collect())
}

fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// A digest of everything a reviewer approved: each resource change (address, deposed, actions,
/// before/after, unknowns, replace paths), the output changes, the input variables (hashed, never
/// kept in clear) and the configuration (resources, provisioner commands, module calls) — sorted,
/// leaving out what differs between two plans of the same thing (timestamps, prior state).
pub fn change_digest(plan: &Value) -> String {
    let canonical = ferry_store::chain::canonical;
    let mut changes: Vec<String> = plan["resource_changes"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|rc| {
            canonical(&serde_json::json!([
                rc["address"],
                rc["deposed"],
                rc["change"]["actions"],
                rc["change"]["before"],
                rc["change"]["after"],
                rc["change"]["after_unknown"],
                rc["change"]["replace_paths"]
            ]))
        })
        .collect();
    changes.sort();
    let mut outputs: Vec<String> = plan["output_changes"]
        .as_object()
        .into_iter()
        .flatten()
        .map(|(name, oc)| {
            canonical(&serde_json::json!([
                name,
                oc["actions"],
                oc["before"],
                oc["after"],
                oc["after_unknown"]
            ]))
        })
        .collect();
    outputs.sort();
    let variables: Vec<String> = plan["variables"]
        .as_object()
        .into_iter()
        .flatten()
        .map(|(name, v)| format!("{name}={}", sha256_hex(canonical(&v["value"]).as_bytes())))
        .collect();
    let configuration = sha256_hex(canonical(&plan["configuration"]).as_bytes());
    let mut hasher = Sha256::new();
    for (label, items) in [
        ("resources", &changes),
        ("outputs", &outputs),
        ("variables", &variables),
    ] {
        hasher.update(label.as_bytes());
        for c in items {
            hasher.update(c.as_bytes());
            hasher.update(b"\n");
        }
    }
    hasher.update(b"configuration");
    hasher.update(configuration.as_bytes());
    hex::encode(hasher.finalize())
}

#[cfg(test)]
mod tests {
    use super::change_digest;
    use serde_json::json;

    fn plan(n: i64, var: &str, out: &str, cmd: &str) -> serde_json::Value {
        json!({"timestamp": n.to_string(), "prior_state": {"serial": n},
            "variables": {"region": {"value": var}},
            "output_changes": {"url": {"actions": ["update"], "before": "a", "after": out}},
            "configuration": {"root_module": {"resources": [{"address": "null_resource.x", "provisioners": [{"type": "local-exec", "expressions": {"command": {"constant_value": cmd}}}]}]}},
            "resource_changes": [
                {"address": "x", "change": {"actions": ["create"], "after": {"n": 1}}},
                {"address": "y", "change": {"actions": ["delete"], "before": {"n": 2}}}]})
    }

    #[test]
    fn digest_ignores_metadata_but_covers_variables_outputs_and_configuration() {
        let base = change_digest(&plan(1, "eu", "b", "echo hi"));
        let mut reordered = plan(2, "eu", "b", "echo hi");
        if let Some(rc) = reordered["resource_changes"].as_array_mut() {
            rc.reverse();
        }
        assert_eq!(base, change_digest(&reordered));
        assert_ne!(
            base,
            change_digest(&plan(1, "us", "b", "echo hi")),
            "a variable changed"
        );
        assert_ne!(
            base,
            change_digest(&plan(1, "eu", "c", "echo hi")),
            "an output changed"
        );
        assert_ne!(
            base,
            change_digest(&plan(1, "eu", "b", "rm -rf /")),
            "a provisioner command changed"
        );
    }
}
