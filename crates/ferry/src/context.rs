//! Finding the project: `-C DIR` or the nearest `ferry.toml` upward, its parsed configuration, and
//! where ferry keeps its data. Also who is acting (FERRY_USER, the CI's actor, git's user.email).

use anyhow::{bail, Context as _, Result};
use ferry_core::Config;
use std::path::{Path, PathBuf};

pub const CONFIG_FILE: &str = "ferry.toml";

#[derive(Debug)]
pub struct Project {
    /// The directory holding ferry.toml (also the git work tree root in practice).
    pub root: PathBuf,
    pub config: Config,
    pub config_path: PathBuf,
    /// `.ferry/` by default; `FERRY_DATA_DIR` or `[project] data_dir` override it.
    pub data_dir: PathBuf,
}

/// The directory to search from: `-C DIR` or the current directory.
pub fn start_dir(dir: Option<&Path>) -> Result<PathBuf> {
    match dir {
        Some(d) => {
            if !d.is_dir() {
                bail!("-C {}: no such directory", d.display());
            }
            Ok(d.to_path_buf())
        }
        None => std::env::current_dir().context("cannot read the current directory"),
    }
}

/// The nearest directory at or above `start` holding ferry.toml.
pub fn find_root(start: &Path) -> Option<PathBuf> {
    let start = start.canonicalize().unwrap_or_else(|_| start.to_path_buf());
    start
        .ancestors()
        .find(|d| d.join(CONFIG_FILE).is_file())
        .map(Path::to_path_buf)
}

impl Project {
    pub fn discover(dir: Option<&Path>) -> Result<Project> {
        let start = start_dir(dir)?;
        let Some(root) = find_root(&start) else {
            bail!(
                "no {CONFIG_FILE} found in {} or any parent directory; run `ferry init` in your IaC repository, or pass -C DIR",
                start.display()
            );
        };
        Self::load(&root)
    }

    pub fn load(root: &Path) -> Result<Project> {
        let config_path = root.join(CONFIG_FILE);
        let text = std::fs::read_to_string(&config_path)
            .with_context(|| format!("cannot read {}", config_path.display()))?;
        let config = Config::parse(&text, &config_path.display().to_string())?;
        let data_dir = match std::env::var_os("FERRY_DATA_DIR").filter(|v| !v.is_empty()) {
            Some(d) => PathBuf::from(d),
            None => root.join(config.project.data_dir.as_deref().unwrap_or(".ferry")),
        };
        Ok(Project {
            root: root.to_path_buf(),
            config,
            config_path,
            data_dir,
        })
    }

    pub fn env(&self, name: &str) -> Result<&ferry_core::EnvironmentConfig> {
        self.config.environment(name).with_context(|| {
            format!(
                "no environment '{name}' in {}; known: {}",
                self.config_path.display(),
                self.config.environment_names().join(", ")
            )
        })
    }
}

/// Who is acting: `FERRY_USER`, else the CI's actor variable, else `git config user.email`.
pub fn identity(root: &Path) -> Result<String> {
    for var in [
        "FERRY_USER",
        "GITHUB_ACTOR",
        "GITLAB_USER_LOGIN",
        "BUILDKITE_BUILD_CREATOR_EMAIL",
        "CIRCLE_USERNAME",
        "BUILD_REQUESTEDFOREMAIL",
    ] {
        if let Some(v) = std::env::var(var).ok().filter(|v| !v.trim().is_empty()) {
            return Ok(v.trim().to_string());
        }
    }
    let out = std::process::Command::new("git")
        .args(["config", "user.email"])
        .current_dir(root)
        .output();
    if let Ok(out) = out {
        let email = String::from_utf8_lossy(&out.stdout).trim().to_string();
        if out.status.success() && !email.is_empty() {
            return Ok(email);
        }
    }
    bail!("cannot tell who you are: set FERRY_USER, or `git config user.email`")
}
