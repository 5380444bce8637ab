//! `ferry init`: scaffold a ferry.toml for a repository in the recommended layout, or validate an
//! existing one (config, chain, var files, root module), and keep the data dir out of git.

use crate::cli::InitArgs;
use crate::context::{find_root, start_dir, Project, CONFIG_FILE};
use crate::output::{print_json, Format};
use anyhow::{bail, Context as _, Result};
use std::path::Path;

pub fn run(dir: Option<&Path>, format: Format, args: InitArgs) -> Result<()> {
    let start = start_dir(dir)?;
    let root = match find_root(&start) {
        Some(root) => root,
        None if args.check => bail!(
            "no {CONFIG_FILE} in {} or above; run `ferry init` to create one",
            start.display()
        ),
        None => {
            scaffold(&start)?;
            start.clone()
        }
    };
    let project = Project::load(&root)?;
    let problems = validate(&project);
    if !problems.is_empty() {
        bail!(
            "{} is not valid:\n  - {}",
            project.config_path.display(),
            problems.join("\n  - ")
        );
    }
    if !args.check {
        ensure_gitignore(&project)?;
    }
    let chain: Vec<&str> = project
        .config
        .chain_order()
        .iter()
        .map(|e| e.name())
        .collect();
    if format == Format::Json {
        return print_json(
            &serde_json::json!({"config": project.config_path, "valid": true, "environments": chain}),
        );
    }
    println!(
        "{} is valid: environments {}",
        project.config_path.display(),
        chain.join(" → ")
    );
    Ok(())
}

/// Checks that need the disk: the root module and every var file exist, and the sections owned
/// by other crates parse.
pub fn validate(project: &Project) -> Vec<String> {
    let mut problems = Vec::new();
    let path = project.config_path.display();
    let root = project.root.join(&project.config.project.root);
    if !root.is_dir() {
        problems.push(format!(
            "{path}: [project] root = \"{}\": no such directory",
            project.config.project.root
        ));
    }
    if let Err(e) = ferry_plan::ReviewConfig::from_table(&project.config.review) {
        problems.push(format!("{path}: [review]: {e}"));
    }
    if let Err(e) = ferry_audit::AuditConfig::from_table(&project.config.audit) {
        problems.push(format!("{path}: [audit]: {e}"));
    }
    let now = crate::gates::now_ts().ok();
    for env in &project.config.environments {
        if let Err(e) =
            ferry_policy::PolicyConfig::from_table(&project.config.policy, Some(env.name()))
        {
            problems.push(format!("{path}: [policy] for '{}': {e}", env.name()));
        }
        if let Err(e) = ferry_verify::VerifySpec::from_tables(&env.verify) {
            problems.push(format!("{path}: environment '{}': {e}", env.name()));
        }
        if let Some(now) = now {
            if let Err(e) = crate::gates::frozen(env, now) {
                problems.push(format!("{path}: {e}"));
            }
        }
        if env.var_files.is_empty() {
            problems.push(format!(
                "{path}: environment '{}' has no var_files",
                env.name()
            ));
        }
        for v in &env.var_files {
            if !project.root.join(v).is_file() {
                problems.push(format!(
                    "{path}: environment '{}': var_files: '{v}' does not exist",
                    env.name()
                ));
            }
        }
    }
    problems
}

const ORDER: [&str; 6] = ["dev", "development", "test", "qa", "staging", "prod"];

fn rank(name: &str) -> usize {
    ORDER
        .iter()
        .position(|o| *o == name)
        .unwrap_or(ORDER.len() - 1)
}

fn scaffold(dir: &Path) -> Result<()> {
    let infra = dir.join("infra");
    let envs_dir = infra.join("environments");
    if !envs_dir.is_dir() {
        bail!(
            "{} has no ferry.toml and no infra/environments/ directory; ferry expects one root module in infra/ and one input file per environment in infra/environments/<env>.tfvars",
            dir.display()
        );
    }
    let mut names: Vec<String> = std::fs::read_dir(&envs_dir)
        .with_context(|| format!("cannot read {}", envs_dir.display()))?
        .filter_map(|e| e.ok())
        .filter_map(|e| {
            e.file_name()
                .to_str()
                .and_then(|n| n.strip_suffix(".tfvars"))
                .map(str::to_string)
        })
        .collect();
    if names.is_empty() {
        bail!("{} holds no <env>.tfvars files", envs_dir.display());
    }
    names.sort_by(|a, b| rank(a).cmp(&rank(b)).then(a.cmp(b)));
    let mut text =
        String::from("# ferry configuration: see `ferry --help`.\n[project]\nroot = \"infra\"\n");
    for (i, name) in names.iter().enumerate() {
        text.push_str(&format!("\n[[environment]]\nname = \"{name}\"\nvar_files = [\"infra/environments/{name}.tfvars\"]\n"));
        if i == 0 {
            text.push_str("auto_apply = true\n");
        } else {
            text.push_str(&format!("from = \"{}\"\n", names[i - 1]));
        }
        if i + 1 == names.len() && i > 0 {
            text.push_str("approvals = 1\n");
        }
    }
    let path = dir.join(CONFIG_FILE);
    std::fs::write(&path, text).with_context(|| format!("cannot write {}", path.display()))?;
    eprintln!(
        "wrote {} with environments {}",
        path.display(),
        names.join(" → ")
    );
    Ok(())
}

fn ensure_gitignore(project: &Project) -> Result<()> {
    let Ok(rel) = project.data_dir.strip_prefix(&project.root) else {
        return Ok(());
    };
    let entry = format!("/{}/", rel.display());
    let path = project.root.join(".gitignore");
    let existing = std::fs::read_to_string(&path).unwrap_or_default();
    if existing.lines().any(|l| {
        l.trim() == entry
            || l.trim() == entry.trim_end_matches('/')
            || l.trim() == entry.trim_start_matches('/')
    }) {
        return Ok(());
    }
    let mut text = existing;
    if !text.is_empty() && !text.ends_with('\n') {
        text.push('\n');
    }
    text.push_str(&format!(
        "# ferry's ledger, artifacts and local state\n{entry}\n"
    ));
    std::fs::write(&path, text).with_context(|| format!("cannot write {}", path.display()))?;
    Ok(())
}
