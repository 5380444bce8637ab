//! The `[policy]` table of ferry.toml. ferry-core keeps it raw so that this crate, which gives the
//! keys their meaning, is also the one place that validates them. Unknown keys are errors: a typo
//! in a safety rule must not silently switch the rule off.
//!
//! ```toml
//! [policy]
//! dir = "policy"                 # Rego policies and their tests (default "policy")
//! namespaces = ["main"]          # Rego packages whose deny/warn rules count; "*" = all
//! timeout = "10s"                # evaluation limit per policy file
//! protect_stateful = true        # stateful-delete/-replace findings deny (default on)
//! max_deletes = 5                # deletes (replacements included) allowed per plan
//! forbidden_types = ["aws_iam_user"]        # type globs that may not be created or updated
//! required_tags = ["owner"]      # tag keys every created, taggable resource must carry
//! allowed_addresses = ["module.app.*"]      # the plan may change nothing outside these globs
//!
//! [policy.env.prod]              # per-environment values replace the top-level ones
//! max_deletes = 0
//! ```

use crate::PolicyError;
use serde::Deserialize;
use std::collections::BTreeMap;
use std::time::Duration;

pub const DEFAULT_DIR: &str = "policy";
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);
/// The longest a policy evaluation may be given: a policy that needs longer is a bug, and a huge
/// value would overflow the evaluator's deadline arithmetic.
pub const MAX_TIMEOUT: Duration = Duration::from_secs(600);

/// Keys that may appear both at the top level and in `[policy.env.NAME]`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct Rules {
    namespaces: Option<Vec<String>>,
    timeout: Option<String>,
    protect_stateful: Option<bool>,
    max_deletes: Option<u64>,
    forbidden_types: Option<Vec<String>>,
    required_tags: Option<Vec<String>>,
    allowed_addresses: Option<Vec<String>>,
}

impl Rules {
    /// `over`'s keys win; lists replace rather than merge so an environment can loosen nothing
    /// by accident and tighten anything on purpose.
    fn overlay(self, over: Rules) -> Rules {
        Rules {
            namespaces: over.namespaces.or(self.namespaces),
            timeout: over.timeout.or(self.timeout),
            protect_stateful: over.protect_stateful.or(self.protect_stateful),
            max_deletes: over.max_deletes.or(self.max_deletes),
            forbidden_types: over.forbidden_types.or(self.forbidden_types),
            required_tags: over.required_tags.or(self.required_tags),
            allowed_addresses: over.allowed_addresses.or(self.allowed_addresses),
        }
    }
}

/// Built-in rules: no Rego needed. See the module docs for the keys.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BuiltinConfig {
    pub protect_stateful: bool,
    pub max_deletes: Option<u64>,
    pub forbidden_types: Vec<String>,
    pub required_tags: Vec<String>,
    /// Empty means "no allow-list".
    pub allowed_addresses: Vec<String>,
}

impl Default for BuiltinConfig {
    fn default() -> Self {
        BuiltinConfig {
            protect_stateful: true,
            max_deletes: None,
            forbidden_types: vec![],
            required_tags: vec![],
            allowed_addresses: vec![],
        }
    }
}

impl BuiltinConfig {
    /// Whether any configured rule walks the plan (stateful protection reads only the review).
    pub(crate) fn reads_plan(&self) -> bool {
        self.max_deletes.is_some()
            || !self.forbidden_types.is_empty()
            || !self.required_tags.is_empty()
            || !self.allowed_addresses.is_empty()
    }

    /// The built-in rules for `env` (or the top level when `None`).
    pub fn from_table(policy_table: &toml::Table, env: Option<&str>) -> Result<Self, PolicyError> {
        Ok(PolicyConfig::from_table(policy_table, env)?.builtin)
    }
}

/// How Rego policies are loaded and run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PolicyOptions {
    /// Packages (without `data.`) whose rules count; `*` means every package.
    pub namespaces: Vec<String>,
    /// Limit for evaluating one policy file on one plan; beyond it the file denies.
    pub timeout: Duration,
    /// When true, a missing policy directory is an error rather than "no Rego policies".
    /// Set it when the directory was named explicitly (flag or ferry.toml).
    pub require_dir: bool,
}

impl Default for PolicyOptions {
    fn default() -> Self {
        PolicyOptions {
            namespaces: vec!["main".to_string()],
            timeout: DEFAULT_TIMEOUT,
            require_dir: false,
        }
    }
}

impl PolicyOptions {
    pub fn from_table(policy_table: &toml::Table, env: Option<&str>) -> Result<Self, PolicyError> {
        Ok(PolicyConfig::from_table(policy_table, env)?.options)
    }
}

/// The whole `[policy]` table resolved for one environment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PolicyConfig {
    /// `[policy] dir`, relative to the project root; `None` when not set (use [`DEFAULT_DIR`]).
    pub dir: Option<String>,
    pub options: PolicyOptions,
    pub builtin: BuiltinConfig,
}

impl PolicyConfig {
    pub fn from_table(table: &toml::Table, env: Option<&str>) -> Result<Self, PolicyError> {
        let mut top = table.clone();
        let dir = match top.remove("dir") {
            None => None,
            Some(toml::Value::String(s)) if !s.trim().is_empty() => Some(s),
            Some(_) => return Err(config_err(".dir", "must be a non-empty string")),
        };
        let envs: BTreeMap<String, Rules> = match top.remove("env") {
            None => BTreeMap::new(),
            Some(toml::Value::Table(t)) => {
                let mut envs = BTreeMap::new();
                for (name, value) in t {
                    let rules = value
                        .try_into::<Rules>()
                        .map_err(|e| config_err(&format!(".env.{name}"), &clean(&e.to_string())))?;
                    envs.insert(name, rules);
                }
                envs
            }
            Some(_) => return Err(config_err(".env", "must be a table of environments")),
        };
        let base: Rules = toml::Value::Table(top)
            .try_into()
            .map_err(|e| config_err("", &clean(&e.to_string())))?;
        let rules = match env.and_then(|e| envs.get(e)) {
            Some(over) => base.overlay(over.clone()),
            None => base,
        };
        Self::from_rules(dir, rules)
    }

    fn from_rules(dir: Option<String>, rules: Rules) -> Result<Self, PolicyError> {
        let timeout = match rules.timeout.as_deref() {
            None => DEFAULT_TIMEOUT,
            Some(s) => parse_duration(s)
                .filter(|d| *d <= MAX_TIMEOUT)
                .ok_or_else(|| {
                    config_err(
                        ".timeout",
                        &format!(
                            "'{s}' is not a duration like \"500ms\", \"10s\" or \"2m\" of at most 10m"
                        ),
                    )
                })?,
        };
        let namespaces = rules.namespaces.unwrap_or_else(|| vec!["main".to_string()]);
        if namespaces.is_empty() || namespaces.iter().any(|n| n.trim().is_empty()) {
            return Err(config_err(
                ".namespaces",
                "must list at least one non-empty package name",
            ));
        }
        Ok(PolicyConfig {
            options: PolicyOptions {
                namespaces,
                timeout,
                require_dir: dir.is_some(),
            },
            dir,
            builtin: BuiltinConfig {
                protect_stateful: rules.protect_stateful.unwrap_or(true),
                max_deletes: rules.max_deletes,
                forbidden_types: rules.forbidden_types.unwrap_or_default(),
                required_tags: rules.required_tags.unwrap_or_default(),
                allowed_addresses: rules.allowed_addresses.unwrap_or_default(),
            },
        })
    }
}

fn config_err(key: &str, message: &str) -> PolicyError {
    PolicyError::Config {
        key: key.to_string(),
        message: message.to_string(),
    }
}

/// toml's messages span several lines; one line reads better inside ours.
fn clean(message: &str) -> String {
    message.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// `500ms`, `10s`, `2m`; a bare number means seconds.
pub fn parse_duration(s: &str) -> Option<Duration> {
    let s = s.trim();
    let split = s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
    let (num, unit) = s.split_at(split);
    let n: u64 = num.parse().ok()?;
    let d = match unit.trim() {
        "ms" => Duration::from_millis(n),
        "" | "s" => Duration::from_secs(n),
        "m" => Duration::from_secs(n.checked_mul(60)?),
        _ => return None,
    };
    (!d.is_zero()).then_some(d)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn table(s: &str) -> toml::Table {
        toml::from_str(s).unwrap()
    }

    #[test]
    fn defaults_protect_stateful_and_read_main() {
        let c = PolicyConfig::from_table(&toml::Table::new(), Some("prod")).unwrap();
        assert!(c.builtin.protect_stateful);
        assert_eq!(c.options.namespaces, vec!["main"]);
        assert!(!c.options.require_dir);
        assert_eq!(c.dir, None);
    }

    #[test]
    fn env_values_replace_top_level_ones() {
        let t = table("max_deletes = 5\nforbidden_types = [\"a\"]\n[env.prod]\nmax_deletes = 0\n");
        let prod = BuiltinConfig::from_table(&t, Some("prod")).unwrap();
        assert_eq!(prod.max_deletes, Some(0));
        assert_eq!(prod.forbidden_types, vec!["a"]);
        let dev = BuiltinConfig::from_table(&t, Some("dev")).unwrap();
        assert_eq!(dev.max_deletes, Some(5));
    }

    #[test]
    fn unknown_keys_are_rejected_with_their_place() {
        let err = BuiltinConfig::from_table(&table("max_delete = 1"), None)
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("[policy]") && err.contains("max_delete"),
            "{err}"
        );
        let err = BuiltinConfig::from_table(&table("[env.prod]\ndir = \"x\""), None)
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("[policy].env.prod") && err.contains("dir"),
            "{err}"
        );
    }

    #[test]
    fn explicit_dir_is_required_and_timeouts_parse() {
        let c =
            PolicyConfig::from_table(&table("dir = \"rules\"\ntimeout = \"250ms\""), None).unwrap();
        assert_eq!(c.dir.as_deref(), Some("rules"));
        assert!(c.options.require_dir);
        assert_eq!(c.options.timeout, Duration::from_millis(250));
        assert!(PolicyConfig::from_table(&table("timeout = \"soon\""), None).is_err());
        assert_eq!(parse_duration("2m"), Some(Duration::from_secs(120)));
        assert_eq!(parse_duration("0s"), None);
    }
}
