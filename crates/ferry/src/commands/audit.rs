//! `ferry audit`: compares environments' inputs, topology and code layout, prints the report in
//! the chosen format and exits 3 when an unaccepted kind or structural difference remains, so CI
//! can gate on "staging resembles prod". The analysis lives in ferry-audit; this module only
//! gathers the project's files and stored plans and maps the outcome to the exit contract.

use crate::cli::AuditArgs;
use crate::commands::shared::stored_plan_json;
use crate::context::Project;
use crate::exit::Blocked;
use crate::output::{print_json, Format};
use anyhow::{Context as _, Result};
use ferry_audit::{render, AuditConfig, AuditInput, EnvSpec, PlanSource};
use std::path::Path;

pub fn run(dir: Option<&Path>, format: Format, args: AuditArgs) -> Result<()> {
    let project = Project::discover(dir)?;
    let config = AuditConfig::from_table(&project.config.audit)
        .with_context(|| format!("invalid [audit] table in {}", project.config_path.display()))?;
    let mut environments = Vec::new();
    for env in project.config.chain_order() {
        let plan = stored_plan_json(&project, env.name())?.map(PlanSource::Path);
        environments.push(EnvSpec {
            name: env.name().to_string(),
            var_files: env.var_files.iter().map(|f| project.root.join(f)).collect(),
            plan,
            from: env.from_env().map(str::to_string),
        });
    }
    let input = AuditInput {
        project_root: project.root.clone(),
        root_module: project.root.join(&project.config.project.root),
        environments,
        pairs: args.pair.clone(),
        config,
    };
    let audit = ferry_audit::audit(&input)?;
    if args.prompt {
        // The prompt is advice for a person and their assistant, not a gate: it always exits 0.
        print!(
            "{}",
            ferry_audit::prompt::prompt(&audit, args.pair.last().map(String::as_str))?
        );
        return Ok(());
    }
    let report = &audit.report;
    match format {
        Format::Json => print_json(report)?,
        Format::Markdown => print!("{}", render::markdown(report)),
        Format::Human => print!("{}", render::human(report)),
    }
    if report.is_blocked() {
        let s = &report.summary;
        return Err(Blocked(format!(
            "audit found {} unaccepted kind or structural difference(s) ({} structural, {} kind); fix the inputs, pin the variable in [audit.variables], or accept it in [[audit.accept]] with a reason",
            s.blocking, s.structural, s.kind
        ))
        .into());
    }
    Ok(())
}
