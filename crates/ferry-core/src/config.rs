//! The shape of `ferry.toml` and the checks that need no disk: unknown keys, the environment chain
//! (cycles, dangling `from`), durations. Checks that touch files (do the var files exist?) belong
//! to the caller, which knows where the project lives.
//!
//! `[review]`, `[policy]` and `[audit]` are kept as raw tables here and validated by the crate
//! that owns each of them, so one reason to change stays in one crate.

use crate::identity::People;
pub use crate::schedule::parse_duration;
use crate::schedule::{DurationText, FreezeWindow};
use serde::Deserialize;
use std::collections::{BTreeMap, BTreeSet};
use toml::Spanned;

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("{path}: {message}")]
    Parse { path: String, message: String },
    #[error("{path}:{line}: {message}")]
    Invalid {
        path: String,
        line: usize,
        message: String,
    },
}

#[derive(Debug, Clone, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct Config {
    #[serde(default)]
    pub engine: EngineConfig,
    #[serde(default)]
    pub project: ProjectConfig,
    #[serde(default, rename = "environment")]
    pub environments: Vec<EnvironmentConfig>,
    /// Named groups of identities, usable in `approvers`.
    #[serde(default)]
    pub groups: BTreeMap<String, Vec<String>>,
    /// Person → aliases (`alice = ["alice@corp.example", "github:alice"]`): one person, one vote.
    #[serde(default)]
    pub people: BTreeMap<String, Vec<String>>,
    #[serde(default)]
    pub review: toml::Table,
    #[serde(default)]
    pub policy: toml::Table,
    #[serde(default)]
    pub audit: toml::Table,
    /// `[server]`: team mode (url, …); validated by the remote client and `ferry serve`.
    #[serde(default)]
    pub server: toml::Table,
    /// `[ci]`: pipeline generation settings; validated by ferry-ci.
    #[serde(default)]
    pub ci: toml::Table,
    /// `[advisor]`: the optional AI advisor endpoint; validated by the advisor.
    #[serde(default)]
    pub advisor: toml::Table,
    /// `[[migration]]` sets; validated by ferry-migrate.
    #[serde(default, rename = "migration")]
    pub migrations: Vec<toml::Table>,
}

#[derive(Debug, Clone, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct EngineConfig {
    /// `terraform`, `tofu`, or a path. Default: the first of them on PATH.
    pub binary: Option<String>,
    /// Limit for `init` and `plan`, e.g. "10m".
    pub plan_timeout: Option<DurationText>,
    /// Limit for `apply`, e.g. "1h".
    pub apply_timeout: Option<DurationText>,
    /// A version requirement the engine must meet, e.g. "1.11.4" or ">= 1.5, < 2".
    pub version: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProjectConfig {
    /// The root module directory, relative to the project root.
    #[serde(default = "default_root")]
    pub root: String,
    /// Where ferry keeps its ledger, artifacts and local state. Default `.ferry`.
    pub data_dir: Option<String>,
}

fn default_root() -> String {
    "infra".to_string()
}

impl Default for ProjectConfig {
    fn default() -> Self {
        ProjectConfig {
            root: default_root(),
            data_dir: None,
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EnvironmentConfig {
    pub name: Spanned<String>,
    #[serde(default)]
    pub var_files: Vec<String>,
    pub from: Option<Spanned<String>>,
    #[serde(default)]
    pub auto_apply: bool,
    #[serde(default)]
    pub approvals: u32,
    /// Approvals a migration plan (`ferry migrate approve`) needs here, separate from `approvals`
    /// and bound to the exact list of pending migration checksums.
    #[serde(default)]
    pub migration_approvals: u32,
    /// Identities or `group:NAME` entries allowed to approve. Empty: anyone but the excluded.
    #[serde(default)]
    pub approvers: Vec<String>,
    /// Default: on where approvals > 0.
    pub forbid_self_approval: Option<bool>,
    /// How long the release must have been verified upstream, e.g. "30m".
    pub soak: Option<DurationText>,
    #[serde(default)]
    pub freeze: Vec<FreezeWindow>,
    pub max_plan_age: Option<DurationText>,
    /// Count only approvals signed with an SSH key listed in `allowed_signers`.
    #[serde(default)]
    pub require_signed_approvals: bool,
    /// OpenSSH allowed_signers file, a path inside the release.
    pub allowed_signers: Option<String>,
    /// Backend settings passed to `init` as `-backend-config=KEY=VALUE`.
    #[serde(default)]
    pub backend_config: BTreeMap<String, String>,
    /// Policy directory inside the release, default `policy`.
    pub policy_dir: Option<String>,
    #[serde(default)]
    pub verify: Vec<toml::Table>,
    #[serde(default)]
    pub auto_rollback: bool,
    #[serde(default)]
    pub rehearse_rollback: bool,
    /// `[environment.databases]`: name → `{ url_env = "VAR" }`; validated by ferry-migrate.
    #[serde(default)]
    pub databases: toml::Table,
}

impl EnvironmentConfig {
    pub fn name(&self) -> &str {
        self.name.get_ref()
    }
    pub fn from_env(&self) -> Option<&str> {
        self.from.as_ref().map(|f| f.get_ref().as_str())
    }
}

/// 1-based line of a byte offset.
fn line_of(text: &str, offset: usize) -> usize {
    text.get(..offset)
        .map_or(1, |s| s.bytes().filter(|&b| b == b'\n').count() + 1)
}

impl Config {
    /// Parses and checks `ferry.toml` text; `path` is only used in messages.
    pub fn parse(text: &str, path: &str) -> Result<Config, ConfigError> {
        let config: Config = toml::from_str(text).map_err(|e| ConfigError::Parse {
            path: path.to_string(),
            message: e.to_string().trim_end().to_string(),
        })?;
        config.check(text, path)?;
        Ok(config)
    }

    fn check(&self, text: &str, path: &str) -> Result<(), ConfigError> {
        let invalid = |span: std::ops::Range<usize>, message: String| ConfigError::Invalid {
            path: path.to_string(),
            line: line_of(text, span.start),
            message,
        };
        if self.environments.is_empty() {
            return Err(ConfigError::Parse {
                path: path.to_string(),
                message:
                    "no [[environment]] is defined; add at least one with a `name` and `var_files`"
                        .into(),
            });
        }
        let mut seen = BTreeSet::new();
        for env in &self.environments {
            let name = env.name();
            if name.is_empty()
                || !name
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
            {
                return Err(invalid(
                    env.name.span(),
                    format!("environment name '{name}' must be letters, digits, '-' or '_'"),
                ));
            }
            if !seen.insert(name) {
                return Err(invalid(
                    env.name.span(),
                    format!("environment '{name}' is defined twice"),
                ));
            }
            if env.require_signed_approvals && env.allowed_signers.is_none() {
                return Err(invalid(
                    env.name.span(),
                    format!("environment '{name}': `require_signed_approvals = true` needs `allowed_signers = \"path/in/the/release\"` (OpenSSH allowed_signers format)"),
                ));
            }
        }
        People::from_table(&self.people).map_err(|e| ConfigError::Parse {
            path: path.to_string(),
            message: e.to_string(),
        })?;
        for (i, env) in self.environments.iter().enumerate() {
            match &env.from {
                None if i > 0 => {
                    return Err(invalid(
                        env.name.span(),
                        format!(
                            "environment '{}' has no `from`: every environment after the first must name the one it is promoted from",
                            env.name()
                        ),
                    ))
                }
                Some(from) if !seen.contains(from.get_ref().as_str()) => {
                    return Err(invalid(
                        from.span(),
                        format!("environment '{}' has `from = \"{}\"`, but no environment is named '{}'", env.name(), from.get_ref(), from.get_ref()),
                    ));
                }
                _ => {}
            }
        }
        // Follow `from` links; a walk longer than the number of environments is a cycle.
        for env in &self.environments {
            let mut path_names = vec![env.name().to_string()];
            let mut current = env;
            while let Some(from) = current.from_env() {
                if path_names.iter().any(|n| n == from) {
                    path_names.push(from.to_string());
                    return Err(invalid(
                        env.name.span(),
                        format!("environment chain has a cycle: {}", path_names.join(" -> ")),
                    ));
                }
                path_names.push(from.to_string());
                match self.environment(from) {
                    Some(next) => current = next,
                    None => break,
                }
            }
        }
        Ok(())
    }

    pub fn environment(&self, name: &str) -> Option<&EnvironmentConfig> {
        self.environments.iter().find(|e| e.name() == name)
    }

    pub fn environment_names(&self) -> Vec<&str> {
        self.environments.iter().map(|e| e.name()).collect()
    }

    /// The environment a release enters first (the one without `from`).
    pub fn first_environment(&self) -> Option<&EnvironmentConfig> {
        self.environments.iter().find(|e| e.from.is_none())
    }

    /// Environments in promotion order (upstream first).
    pub fn chain_order(&self) -> Vec<&EnvironmentConfig> {
        let mut order: Vec<&EnvironmentConfig> = Vec::new();
        let mut pending: Vec<&EnvironmentConfig> = self.environments.iter().collect();
        while !pending.is_empty() {
            let before = pending.len();
            pending.retain(|e| {
                let ready = e
                    .from_env()
                    .is_none_or(|f| order.iter().any(|o| o.name() == f));
                if ready {
                    order.push(e);
                }
                !ready
            });
            if pending.len() == before {
                order.append(&mut pending);
            }
        }
        order
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MINIMAL: &str = r#"
[engine]
binary = "terraform"

[project]
root = "infra"

[[environment]]
name = "dev"
var_files = ["infra/environments/dev.tfvars"]
auto_apply = true

[[environment]]
name = "staging"
var_files = ["infra/environments/staging.tfvars"]
from = "dev"

[[environment]]
name = "prod"
var_files = ["infra/environments/prod.tfvars"]
from = "staging"
approvals = 1

[review]
stateful = ["null_resource.db"]
"#;

    fn err_of(text: &str) -> String {
        match Config::parse(text, "ferry.toml") {
            Ok(_) => String::from("<parsed>"),
            Err(e) => e.to_string(),
        }
    }

    #[test]
    fn design_minimal_shape_parses_verbatim() {
        let config = Config::parse(MINIMAL, "ferry.toml").unwrap_or_else(|e| unreachable!("{e}"));
        assert_eq!(config.environment_names(), vec!["dev", "staging", "prod"]);
        assert_eq!(config.environment("prod").map(|e| e.approvals), Some(1));
        assert!(config.environment("dev").is_some_and(|e| e.auto_apply));
        assert!(config.review.contains_key("stateful"));
    }

    #[test]
    fn unknown_key_names_file_line_and_key() {
        let msg = err_of(&MINIMAL.replace("auto_apply = true", "auto_aply = true"));
        assert!(msg.starts_with("ferry.toml: "), "{msg}");
        assert!(msg.contains("line 11"), "{msg}");
        assert!(msg.contains("auto_aply"), "{msg}");
    }

    #[test]
    fn dangling_from_names_line() {
        let msg = err_of(&MINIMAL.replace("from = \"staging\"", "from = \"stage\""));
        assert!(msg.starts_with("ferry.toml:21:"), "{msg}");
        assert!(msg.contains("no environment is named 'stage'"), "{msg}");
    }

    #[test]
    fn cycle_is_reported() {
        let text = MINIMAL.replace("auto_apply = true", "auto_apply = true\nfrom = \"prod\"");
        let msg = err_of(&text);
        assert!(msg.contains("cycle"), "{msg}");
    }

    #[test]
    fn missing_from_is_reported() {
        let msg = err_of(&MINIMAL.replace("from = \"dev\"\n", ""));
        assert!(msg.contains("environment 'staging' has no `from`"), "{msg}");
    }

    #[test]
    fn chain_order_is_upstream_first() {
        let config = Config::parse(MINIMAL, "ferry.toml").unwrap_or_else(|e| unreachable!("{e}"));
        let names: Vec<_> = config.chain_order().iter().map(|e| e.name()).collect();
        assert_eq!(names, vec!["dev", "staging", "prod"]);
    }

    #[test]
    fn bad_gate_sections_fail_on_load_naming_the_line() {
        let msg = err_of(&MINIMAL.replace("approvals = 1", "approvals = 1\nsoak = \"3 weeks\""));
        assert!(msg.contains("line 23") && msg.contains("3 weeks"), "{msg}");
        let msg = err_of(&MINIMAL.replace(
            "approvals = 1",
            "approvals = 1\n[[environment.freeze]]\ndays = [\"fry\"]",
        ));
        assert!(msg.contains("fry"), "{msg}");
        let msg = err_of(&MINIMAL.replace(
            "approvals = 1",
            "approvals = 1\nrequire_signed_approvals = true",
        ));
        assert!(msg.contains("allowed_signers"), "{msg}");
        let msg = err_of(&format!(
            "{MINIMAL}\n[people]\na = [\"x@y\"]\nb = [\"x@y\"]\n"
        ));
        assert!(msg.contains("x@y"), "{msg}");
    }
}
