//! `policy test [DIR]` and `policy eval PLAN.json [--policy DIR] [--env ENV]`: both work without
//! a project; inside one they honour its `[policy]` and `[review]` settings.

use crate::error::{AppError, Result};
use crate::project::{find_root, Project, CONFIG_FILE};
use ferry_policy::{
    resolve_dir, run_tests, FerryContext, PolicyConfig, PolicyReport, PolicySet, TestReport,
};
use std::path::{Path, PathBuf};

/// The project around `start`, if there is one. A ferry.toml that exists but does not load is an
/// error: silently ignoring it could drop policy settings.
fn optional_project(start: Option<&Path>) -> Result<Option<Project>> {
    match start.and_then(find_root) {
        Some(root) => Ok(Some(Project::load(&root, None)?)),
        None => Ok(None),
    }
}

/// Runs the policy tests of `explicit` (or the project's policy dir). Fails when there are none
/// or any fails.
pub fn policy_test(start: Option<&Path>, explicit: Option<PathBuf>) -> Result<TestReport> {
    // A directory holding ferry.toml is a project, not a policy directory: test its policies.
    let explicit = explicit.filter(|d| !d.join(CONFIG_FILE).is_file());
    let (policy_dir, cfg) = match explicit {
        Some(d) => {
            let table = optional_project(start)?
                .map(|p| p.config.policy)
                .unwrap_or_default();
            (d, PolicyConfig::from_table(&table, None)?)
        }
        None => {
            let start = start.unwrap_or(Path::new("."));
            let project = Project::discover(start, None)?;
            let cfg = PolicyConfig::from_table(&project.config.policy, None)?;
            (resolve_dir(&project.root, &cfg, None).0, cfg)
        }
    };
    let report = run_tests(&policy_dir, &cfg.options)?;
    if report.tests.is_empty() {
        return Err(AppError::Invalid(format!(
            "no policy tests found in {}",
            policy_dir.display()
        )));
    }
    Ok(report)
}

pub struct PolicyEvalInput<'a> {
    pub start: Option<&'a Path>,
    pub plan: &'a Path,
    pub policy: Option<PathBuf>,
    pub env: Option<String>,
}

/// Evaluates the policies against a plan JSON file; the report (denies included).
pub fn policy_eval(input: &PolicyEvalInput<'_>) -> Result<PolicyReport> {
    let project = optional_project(input.start)?;
    let empty = toml::Table::default();
    let policy_table = project.as_ref().map_or(&empty, |p| &p.config.policy);
    let cfg = PolicyConfig::from_table(policy_table, input.env.as_deref())?;
    let (policy_dir, required) = match (&input.policy, &project) {
        (Some(d), _) => (Some(d.clone()), true),
        (None, Some(p)) => {
            let env_dir = input
                .env
                .as_deref()
                .and_then(|e| p.config.environment(e))
                .and_then(|e| e.policy_dir.as_deref());
            let (d, explicit) = resolve_dir(&p.root, &cfg, env_dir);
            (Some(d), explicit)
        }
        (None, None) => (None, false),
    };
    // The built-in stateful rule reads the review's findings, so review first; a plan the
    // reviewer refuses cannot be judged by policy either.
    let review_config = match &project {
        Some(p) => ferry_plan::ReviewConfig::from_table(&p.config.review)?,
        None => ferry_plan::ReviewConfig::default(),
    };
    let outcome = ferry_plan::review_files(input.plan, None, &review_config)?;
    let text = std::fs::read_to_string(input.plan)
        .map_err(|e| AppError::io(format!("cannot read {}", input.plan.display()), e))?;
    let plan_json: serde_json::Value = serde_json::from_str(&text).map_err(|e| {
        AppError::Invalid(format!("{} is not valid JSON: {e}", input.plan.display()))
    })?;
    drop(text);
    let ctx = FerryContext {
        review: Some(outcome.review),
        ..FerryContext::new(input.env.clone().unwrap_or_default())
    };
    let opts = ferry_policy::PolicyOptions {
        require_dir: required,
        ..cfg.options
    };
    Ok(
        match PolicySet::load(policy_dir.as_deref(), &cfg.builtin, &opts) {
            Ok(set) => set.evaluate(&plan_json, &ctx),
            Err(e) => PolicyReport::from_error(&e),
        },
    )
}
