//! `init`: scaffold a ferry.toml for a repository in the recommended layout, or validate an
//! existing one (every section, the chain, var files, root module), and keep the data dir out of
//! git.

use crate::error::{AppError, Result};
use crate::project::{find_root, Project, CONFIG_FILE};
use serde::Serialize;
use std::path::{Path, PathBuf};

#[derive(Debug, Clone, Serialize)]
pub struct InitView {
    pub config: PathBuf,
    pub valid: bool,
    pub environments: Vec<String>,
    /// Whether a new ferry.toml was written.
    pub scaffolded: bool,
}

const ORDER: [&str; 6] = ["dev", "development", "test", "qa", "staging", "prod"];

fn rank(name: &str) -> usize {
    ORDER
        .iter()
        .position(|o| *o == name)
        .unwrap_or(ORDER.len() - 1)
}

/// Scaffolds (unless `check`) or validates the project at or above `start`.
pub fn init(start: &Path, check: bool, data_dir: Option<&Path>) -> Result<InitView> {
    let (root, scaffolded) = match find_root(start) {
        Some(root) => (root, false),
        None if check => {
            return Err(AppError::NotFound(format!(
                "no {CONFIG_FILE} in {} or above; run `ferry init` to create one",
                start.display()
            )))
        }
        None => {
            scaffold(start)?;
            (start.to_path_buf(), true)
        }
    };
    let project = Project::load(&root, data_dir)?;
    let problems = project.file_problems();
    if !problems.is_empty() {
        return Err(AppError::Invalid(format!(
            "{} is not valid:\n  - {}",
            project.config_path.display(),
            problems.join("\n  - ")
        )));
    }
    if !check {
        ensure_gitignore(&project)?;
    }
    Ok(InitView {
        config: project.config_path.clone(),
        valid: true,
        environments: project
            .config
            .chain_order()
            .iter()
            .map(|e| e.name().to_string())
            .collect(),
        scaffolded,
    })
}

fn scaffold(dir: &Path) -> Result<()> {
    let envs_dir = dir.join("infra").join("environments");
    if !envs_dir.is_dir() {
        return Err(AppError::Invalid(format!(
            "{} has no ferry.toml and no infra/environments/ directory; ferry expects one root module in infra/ and one input file per environment in infra/environments/<env>.tfvars",
            dir.display()
        )));
    }
    let mut names: Vec<String> = std::fs::read_dir(&envs_dir)
        .map_err(|e| AppError::io(format!("cannot read {}", envs_dir.display()), e))?
        .filter_map(|e| e.ok())
        .filter_map(|e| {
            e.file_name()
                .to_str()
                .and_then(|n| n.strip_suffix(".tfvars"))
                .map(str::to_string)
        })
        .collect();
    if names.is_empty() {
        return Err(AppError::Invalid(format!(
            "{} holds no <env>.tfvars files",
            envs_dir.display()
        )));
    }
    names.sort_by(|a, b| rank(a).cmp(&rank(b)).then(a.cmp(b)));
    let mut text = String::from(
        "# ferry configuration: see docs/configuration.md.\n[project]\nroot = \"infra\"\n",
    );
    for (i, name) in names.iter().enumerate() {
        text.push_str(&format!(
            "\n[[environment]]\nname = \"{name}\"\nvar_files = [\"infra/environments/{name}.tfvars\"]\n"
        ));
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
    std::fs::write(&path, text)
        .map_err(|e| AppError::io(format!("cannot write {}", path.display()), e))
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
    std::fs::write(&path, text)
        .map_err(|e| AppError::io(format!("cannot write {}", path.display()), e))
}
