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
use ferry_plan::ReviewConfig;
use ferry_policy::{FerryContext, PolicyReport, PolicySet};
use serde_json::Value;
use std::path::{Path, PathBuf};

pub struct Assessment {
    pub review: Review,
    pub policy: PolicyReport,
    /// What a reviewer approved: resource changes, output changes, input variables (hashed) and
    /// the configuration; equal digests mean a re-plan changes exactly the same things.
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
    let mut review_config = ReviewConfig::from_table(&s.config.review)?;
    if let Some(up) = upstream {
        review_config = review_config.with_environments(s.env, up.env);
    }
    let baseline = upstream.and_then(|u| u.plan_json);
    let policies =
        PolicySet::for_environment(s.release_root, &s.config.policy, Some(s.env), s.policy_dir);
    let ctx = FerryContext {
        environment: s.env.to_string(),
        release: Some(s.release.to_string()),
        ..FerryContext::default()
    };
    // One pass over the plan: review, policies (fail closed on a set that did not load) and the
    // change digest, in bounded memory.
    let done =
        ferry_policy::assess_plan(plan_json, baseline, &review_config, policies.as_ref(), &ctx)?;
    let mut review = done.outcome.review;
    if let Some(up) = upstream {
        let extra = audit_findings(s, plan_json, up)?;
        if !extra.is_empty() {
            let mut findings = review.findings;
            findings.extend(extra);
            review = Review::new(review.summary, findings);
        }
    }
    Ok(Assessment {
        review,
        policy: done.policy,
        change_digest: done.change_digest,
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
