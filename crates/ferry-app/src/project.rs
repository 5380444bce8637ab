//! A project: the directory holding ferry.toml, its configuration (every section validated by the
//! crate that owns it when it loads, so a typo in a gate fails before anything is planned), and
//! where ferry keeps its data.

use crate::error::{AppError, Result};
use ferry_core::Config;
use std::path::{Path, PathBuf};

pub const CONFIG_FILE: &str = "ferry.toml";

#[derive(Debug, Clone)]
pub struct Project {
    /// The directory holding ferry.toml (the git work tree root in practice).
    pub root: PathBuf,
    /// The work tree's configuration. Gates come from the release's; this one only tightens.
    pub config: Config,
    pub config_path: PathBuf,
    /// `.ferry/` by default; `[project] data_dir` or the front end's override.
    pub data_dir: PathBuf,
    /// False on the server: there is no work tree, so gates are exactly the release's (nothing
    /// tightens them, and nothing a client sends can loosen them).
    pub has_work_tree: bool,
}

/// The nearest directory at or above `start` holding ferry.toml.
pub fn find_root(start: &Path) -> Option<PathBuf> {
    let start = start.canonicalize().unwrap_or_else(|_| start.to_path_buf());
    start
        .ancestors()
        .find(|d| d.join(CONFIG_FILE).is_file())
        .map(Path::to_path_buf)
}

/// Parses ferry.toml text and validates every section through its owner: `[review]`, `[audit]`,
/// `[policy]` per environment, and each environment's `[[environment.verify]]` checks.
pub fn parse_config(text: &str, label: &str) -> Result<Config> {
    let config = Config::parse(text, label)?;
    validate_sections(&config, label)?;
    Ok(config)
}

fn validate_sections(config: &Config, label: &str) -> Result<()> {
    let mut problems = Vec::new();
    if let Err(e) = ferry_plan::ReviewConfig::from_table(&config.review) {
        problems.push(format!("[review]: {e}"));
    }
    if let Err(e) = ferry_audit::AuditConfig::from_table(&config.audit) {
        problems.push(format!("[audit]: {e}"));
    }
    if let Err(e) = ferry_advisor::AdvisorConfig::from_table(&config.advisor) {
        problems.push(format!("[advisor]: {e}"));
    }
    if let Err(e) = server_url(config) {
        problems.push(e);
    }
    for env in &config.environments {
        if let Err(e) = ferry_policy::PolicyConfig::from_table(&config.policy, Some(env.name())) {
            problems.push(format!("[policy] for '{}': {e}", env.name()));
        }
        if let Err(e) = ferry_verify::VerifySpec::from_tables(&env.verify) {
            problems.push(format!(
                "environment '{}': [[environment.verify]]: {e}",
                env.name()
            ));
        }
    }
    match problems.len() {
        0 => Ok(()),
        1 => Err(AppError::Invalid(format!("{label}: {}", problems[0]))),
        _ => Err(AppError::Invalid(format!(
            "{label} is not valid:\n  - {}",
            problems.join("\n  - ")
        ))),
    }
}

/// `[server] url`: the team server this project's commands act through (remote mode), unless
/// `FERRY_SERVER` says otherwise.
pub fn server_url(config: &Config) -> std::result::Result<Option<String>, String> {
    for key in config.server.keys() {
        if key != "url" {
            return Err(format!("[server]: unknown key '{key}' (known: url)"));
        }
    }
    match config.server.get("url") {
        None => Ok(None),
        Some(toml::Value::String(u)) if u.starts_with("http://") || u.starts_with("https://") => {
            Ok(Some(u.clone()))
        }
        Some(_) => Err(
            "[server] url must be an http:// or https:// URL string, e.g. url = \"https://ferry.example.com\"".into(),
        ),
    }
}

impl Project {
    /// The project at or above `start`.
    pub fn discover(start: &Path, data_dir: Option<&Path>) -> Result<Project> {
        let Some(root) = find_root(start) else {
            return Err(AppError::NotFound(format!(
                "no {CONFIG_FILE} found in {} or any parent directory; run `ferry init` in your IaC repository, or pass -C DIR",
                start.display()
            )));
        };
        Self::load(&root, data_dir)
    }

    /// The project whose ferry.toml is in `root`.
    pub fn load(root: &Path, data_dir: Option<&Path>) -> Result<Project> {
        let config_path = root.join(CONFIG_FILE);
        let text = std::fs::read_to_string(&config_path)
            .map_err(|e| AppError::io(format!("cannot read {}", config_path.display()), e))?;
        let config = parse_config(&text, &config_path.display().to_string())?;
        let data_dir = match data_dir {
            Some(d) => d.to_path_buf(),
            None => root.join(config.project.data_dir.as_deref().unwrap_or(".ferry")),
        };
        Ok(Project {
            root: root.to_path_buf(),
            config,
            config_path,
            data_dir,
            has_work_tree: true,
        })
    }

    /// The server's view: no work tree, only a data directory (work dirs for unpacking
    /// releases, locks, the embedded ledger by default). Every setting comes from the release.
    pub fn for_server(data_dir: &Path) -> Result<Project> {
        Ok(Project {
            root: data_dir.to_path_buf(),
            // Nothing to validate: until a release says otherwise, the server knows no environment.
            config: Config::default(),
            config_path: data_dir.join("(no work tree)"),
            data_dir: data_dir.to_path_buf(),
            has_work_tree: false,
        })
    }

    pub fn env(&self, name: &str) -> Result<&ferry_core::EnvironmentConfig> {
        self.config.environment(name).ok_or_else(|| {
            AppError::NotFound(format!(
                "no environment '{name}' in {}; known: {}",
                self.config_path.display(),
                self.config.environment_names().join(", ")
            ))
        })
    }

    /// Checks that need the disk: the root module and every var file exist.
    pub fn file_problems(&self) -> Vec<String> {
        let mut problems = Vec::new();
        let path = self.config_path.display();
        if !self.root.join(&self.config.project.root).is_dir() {
            problems.push(format!(
                "{path}: [project] root = \"{}\": no such directory",
                self.config.project.root
            ));
        }
        for env in &self.config.environments {
            if env.var_files.is_empty() {
                problems.push(format!(
                    "{path}: environment '{}' has no var_files",
                    env.name()
                ));
            }
            for v in &env.var_files {
                if !self.root.join(v).is_file() {
                    problems.push(format!(
                        "{path}: environment '{}': var_files: '{v}' does not exist",
                        env.name()
                    ));
                }
            }
        }
        problems
    }
}
