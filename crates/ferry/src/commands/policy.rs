//! `ferry policy test [DIR]` and `ferry policy eval PLAN.json [--policy DIR] [--env ENV]`.
//!
//! `test` is how a policy change gets reviewed like code: it runs the directory's Rego `test_*`
//! rules and fixture plans and exits 1 when any fails. `eval` is the CI entry point: the same
//! evaluation `ferry plan` does, on any plan JSON, exiting 3 on a deny. Both work without a
//! project; inside one they honour its `[policy]` and `[review]` settings.

use crate::cli::PolicyCommand;
use crate::context::{find_root, start_dir, Project, CONFIG_FILE};
use crate::exit::Blocked;
use crate::output::{print_json, Format};
use anyhow::{bail, Context as _, Result};
use ferry_policy::{
    resolve_dir, run_tests, FerryContext, PolicyConfig, PolicyReport, PolicySet, TestReport,
};
use std::path::{Path, PathBuf};

pub fn run(dir: Option<&Path>, format: Format, cmd: PolicyCommand) -> Result<()> {
    match cmd {
        PolicyCommand::Test { dir: policy_dir } => test(dir, format, policy_dir),
        PolicyCommand::Eval { plan, policy, env } => eval(dir, format, &plan, policy, env),
    }
}

/// The project around `dir`, if there is one. A ferry.toml that exists but does not parse is an
/// error: silently ignoring it could drop policy settings.
fn optional_project(dir: Option<&Path>) -> Result<Option<Project>> {
    match start_dir(dir).ok().and_then(|d| find_root(&d)) {
        Some(root) => Ok(Some(Project::load(&root)?)),
        None => Ok(None),
    }
}

fn test(dir: Option<&Path>, format: Format, explicit: Option<PathBuf>) -> Result<()> {
    // A directory holding ferry.toml is a project, not a policy directory: test its policies.
    // (This also covers `ferry -C DIR policy test`, where clap hands -C's value to DIR too.)
    let explicit = explicit.filter(|d| !d.join(CONFIG_FILE).is_file());
    let (policy_dir, cfg) = match explicit {
        Some(d) => {
            let table = optional_project(dir)?
                .map(|p| p.config.policy)
                .unwrap_or_default();
            (d, PolicyConfig::from_table(&table, None)?)
        }
        None => {
            let project = Project::discover(dir)?;
            let cfg = PolicyConfig::from_table(&project.config.policy, None)?;
            (resolve_dir(&project.root, &cfg, None).0, cfg)
        }
    };
    let report = run_tests(&policy_dir, &cfg.options)?;
    match format {
        Format::Json => print_json(&report)?,
        Format::Human | Format::Markdown => print_tests(&report),
    }
    if report.tests.is_empty() {
        bail!("no policy tests found in {}", policy_dir.display());
    }
    let failed = report.failures().count();
    if failed > 0 {
        bail!(
            "{failed} of {} policy test(s) failed in {}",
            report.tests.len(),
            policy_dir.display()
        );
    }
    Ok(())
}

fn print_tests(report: &TestReport) {
    for t in &report.tests {
        let place = match t.line {
            Some(l) => format!("{}:{l}", t.source),
            None => t.source.clone(),
        };
        let mark = if t.passed { "PASS" } else { "FAIL" };
        println!("{mark}  {} ({place})", t.name);
        if let Some(m) = &t.message {
            println!("      {m}");
        }
    }
    let failed = report.failures().count();
    println!("{} passed, {failed} failed", report.tests.len() - failed);
}

fn eval(
    dir: Option<&Path>,
    format: Format,
    plan: &Path,
    policy: Option<PathBuf>,
    env: Option<String>,
) -> Result<()> {
    let project = optional_project(dir)?;
    let empty = Default::default();
    let policy_table = project.as_ref().map_or(&empty, |p| &p.config.policy);
    let cfg = PolicyConfig::from_table(policy_table, env.as_deref())?;

    let (policy_dir, required) = match (&policy, &project) {
        (Some(d), _) => (Some(d.clone()), true),
        (None, Some(p)) => {
            let env_dir = env
                .as_deref()
                .and_then(|e| p.config.environment(e))
                .and_then(|e| e.policy_dir.as_deref());
            let (d, explicit) = resolve_dir(&p.root, &cfg, env_dir);
            (Some(d), explicit)
        }
        (None, None) => {
            tracing::info!("no --policy and no project: built-in rules only");
            (None, false)
        }
    };

    // The built-in stateful rule reads the review's findings, so review first; a plan the
    // reviewer refuses cannot be judged by policy either.
    let review_config = match &project {
        Some(p) => ferry_plan::ReviewConfig::from_table(&p.config.review)?,
        None => ferry_plan::ReviewConfig::default(),
    };
    let outcome = ferry_plan::review_files(plan, None, &review_config)?;
    let text =
        std::fs::read_to_string(plan).with_context(|| format!("cannot read {}", plan.display()))?;
    let plan_json: serde_json::Value = serde_json::from_str(&text)
        .with_context(|| format!("{} is not valid JSON", plan.display()))?;
    drop(text);

    let ctx = FerryContext {
        review: Some(outcome.review),
        ..FerryContext::new(env.unwrap_or_default())
    };
    let opts = ferry_policy::PolicyOptions {
        require_dir: required,
        ..cfg.options
    };
    let report = match PolicySet::load(policy_dir.as_deref(), &cfg.builtin, &opts) {
        Ok(set) => set.evaluate(&plan_json, &ctx),
        Err(e) => PolicyReport::from_error(&e),
    };
    match format {
        Format::Json => print_json(&report)?,
        Format::Human | Format::Markdown => print_report(&report),
    }
    let denies = report.denies().count();
    if denies > 0 {
        return Err(Blocked(format!("{denies} policy deny(s) for {}", plan.display())).into());
    }
    Ok(())
}

fn print_report(report: &PolicyReport) {
    for r in &report.results {
        let place = match r.line {
            Some(l) => format!("{}:{l}", r.source),
            None => r.source.clone(),
        };
        println!("{:<4}  {place} [{}]: {}", r.level, r.rule, r.message);
    }
    let (d, w) = (report.denies().count(), report.warnings().count());
    if d == 0 && w == 0 {
        println!("policy: pass");
    } else {
        println!("policy: {d} deny, {w} warn");
    }
}
