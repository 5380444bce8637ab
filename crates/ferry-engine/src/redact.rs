//! Values that must never be shown or stored: the values of sensitive variables and outputs.
//!
//! One [`Redactor`] is shared by everything that prints or records on behalf of an operation
//! (engine lines, verification output, policy messages, errors, ledger rows). Values are added
//! as they become known (the var files before the plan, the plan's sensitivity markers after
//! it), and every text passes through [`Redactor::redact`] before it leaves the process.

use std::sync::{Arc, RwLock};

/// What a secret is replaced with.
pub const REDACTED: &str = "(sensitive value)";

/// Shorter values are not redacted: replacing "1" or "true" everywhere would garble the
/// output and hide nothing (such a value is guessed anyway).
const MIN_SECRET_LEN: usize = 4;

/// Secrets; work-dir prefixes to drop from locations; the root module's directory in the
/// repository (what the engine's relative locations are relative to).
#[derive(Clone, Default)]
pub struct Redactor(
    Arc<RwLock<Vec<String>>>,
    Arc<RwLock<Vec<String>>>,
    Arc<RwLock<Option<String>>>,
);

impl std::fmt::Debug for Redactor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never the values themselves.
        f.debug_struct("Redactor")
            .field("values", &self.len())
            .finish()
    }
}

impl Redactor {
    pub fn new() -> Redactor {
        Redactor::default()
    }

    /// Adds `value` (and the forms it takes when printed inside a JSON or HCL string).
    pub fn add(&self, value: &str) {
        let mut forms = vec![value.to_string()];
        if let Ok(quoted) = serde_json::to_string(value) {
            let inner = &quoted[1..quoted.len() - 1];
            if inner != value {
                forms.push(inner.to_string());
            }
        }
        if let Ok(mut v) = self.0.write() {
            for f in forms {
                if f.len() >= MIN_SECRET_LEN && !v.contains(&f) {
                    v.push(f);
                }
            }
            // Longest first, so a secret containing another is replaced whole.
            v.sort_by_key(|s| std::cmp::Reverse(s.len()));
        }
    }

    /// Adds every string leaf of `value` (a sensitive object or list is secret throughout).
    pub fn add_json(&self, value: &serde_json::Value) {
        match value {
            serde_json::Value::String(s) => self.add(s),
            serde_json::Value::Number(n) => self.add(&n.to_string()),
            serde_json::Value::Array(a) => a.iter().for_each(|v| self.add_json(v)),
            serde_json::Value::Object(o) => o.values().for_each(|v| self.add_json(v)),
            _ => {}
        }
    }

    pub fn len(&self) -> usize {
        self.0.read().map(|v| v.len()).unwrap_or(0)
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Maps diagnostics that point into `work` (an unpacked release, whose root is the
    /// project's root) back to the repository: `…/work/dev/infra/x.tfvars line 5` reads
    /// `infra/x.tfvars line 5`. Only locations (a path followed by ` line `) are rewritten, so
    /// a command line naming a work-dir file stays true.
    pub fn map_locations(&self, work: &std::path::Path) {
        let prefix = format!("{}/", work.display());
        if let Ok(mut v) = self.1.write() {
            if !v.contains(&prefix) {
                v.push(prefix);
            }
        }
    }

    /// The engine runs in the root module's directory, so it names that module's files
    /// relative to it (`on main.tf line 3`); with the module at `module_dir` in the repository
    /// (`[project] root`, e.g. `infra`) those read `on infra/main.tf line 3`.
    pub fn map_module_dir(&self, module_dir: &str) {
        let dir = module_dir.trim_matches('/');
        if let Ok(mut m) = self.2.write() {
            *m = (!dir.is_empty() && dir != ".").then(|| dir.to_string());
        }
    }

    /// `text` with every known secret replaced by [`REDACTED`] and work-dir locations mapped.
    pub fn redact(&self, text: &str) -> String {
        let Ok(values) = self.0.read() else {
            return text.to_string();
        };
        let mut out = text.to_string();
        for v in values.iter() {
            if out.contains(v.as_str()) {
                out = out.replace(v.as_str(), REDACTED);
            }
        }
        // Relative locations first: once work-dir prefixes are dropped, every location is
        // relative and those already mapped must not be prefixed again.
        if let Ok(Some(dir)) = self.2.read().as_deref() {
            out = map_relative(&out, dir);
        }
        if let Ok(prefixes) = self.1.read() {
            for p in prefixes.iter() {
                out = map_location(&out, p);
            }
        }
        out
    }

    /// Whether `bytes` hold a known secret (for checks that nothing leaked).
    pub fn leaks(&self, bytes: &[u8]) -> bool {
        let Ok(values) = self.0.read() else {
            return false;
        };
        values
            .iter()
            .any(|v| bytes.windows(v.len()).any(|w| w == v.as_bytes()))
    }
}

/// `text` with every diagnostic location `on PATH line N` whose PATH is relative read from
/// `dir` (`..` folded, so `on ../modules/x.tf line 2` from `infra/live` is `infra/modules/x.tf`).
fn map_relative(text: &str, dir: &str) -> String {
    const ON: &str = "on ";
    if !text.contains(" line ") {
        return text.to_string();
    }
    let mut out = String::with_capacity(text.len() + dir.len());
    let mut rest = text;
    while let Some(i) = rest.find(ON) {
        let starts_word = rest[..i]
            .chars()
            .next_back()
            .is_none_or(|c| !c.is_alphanumeric());
        let after = &rest[i + ON.len()..];
        let path_len = after
            .find(|c: char| c.is_whitespace() || c == ':' || c == ',' || c == '"')
            .unwrap_or(after.len());
        let path = &after[..path_len];
        out.push_str(&rest[..i + ON.len()]);
        if starts_word
            && !path.is_empty()
            && !path.starts_with('/')
            && after[path_len..].starts_with(" line ")
        {
            out.push_str(&join(dir, path));
            rest = &after[path_len..];
        } else {
            rest = after;
        }
    }
    out.push_str(rest);
    out
}

fn join(dir: &str, path: &str) -> String {
    let mut parts: Vec<&str> = dir.split('/').filter(|p| !p.is_empty()).collect();
    for p in path.split('/') {
        match p {
            "" | "." => {}
            ".." => {
                if parts.pop().is_none() {
                    // Above the repository root: keep what the engine said.
                    return path.to_string();
                }
            }
            other => parts.push(other),
        }
    }
    parts.join("/")
}

/// `text` with `prefix` dropped where it starts a path that is followed by ` line `.
fn map_location(text: &str, prefix: &str) -> String {
    if !text.contains(prefix) {
        return text.to_string();
    }
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(i) = rest.find(prefix) {
        let after = &rest[i + prefix.len()..];
        let path_len = after
            .find(|c: char| c.is_whitespace() || c == ':' || c == ',' || c == '"')
            .unwrap_or(after.len());
        let located = after[path_len..].starts_with(" line ");
        out.push_str(&rest[..i]);
        if !located {
            out.push_str(prefix);
        }
        rest = after;
    }
    out.push_str(rest);
    out
}

/// The value of `name` in the environment the engine inherits (e.g. a user's own
/// `TF_PLUGIN_CACHE_DIR`, which ferry then leaves alone).
pub fn inherited_env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.is_empty())
}

/// Whether the user keeps a provider plugin cache of their own: `TF_PLUGIN_CACHE_DIR`, or
/// `plugin_cache_dir` in the CLI configuration the engine reads (`TF_CLI_CONFIG_FILE`, else
/// `~/.terraformrc` / `~/.tofurc`). ferry then leaves the caching to it.
pub fn user_plugin_cache(env: &[(String, String)]) -> bool {
    let from = |name: &str| {
        env.iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
            .or_else(|| inherited_env(name))
    };
    if from("TF_PLUGIN_CACHE_DIR").is_some() {
        return true;
    }
    let files: Vec<std::path::PathBuf> = match from("TF_CLI_CONFIG_FILE") {
        Some(f) => vec![f.into()],
        None => inherited_env("HOME")
            .map(|h| {
                vec![
                    format!("{h}/.terraformrc").into(),
                    format!("{h}/.tofurc").into(),
                ]
            })
            .unwrap_or_default(),
    };
    files.iter().any(|f| {
        std::fs::read_to_string(f).is_ok_and(|t| {
            t.lines()
                .any(|l| l.trim_start().starts_with("plugin_cache_dir"))
        })
    })
}

/// The value the engine will see for input variable `name`: `TF_VAR_<name>` from the options'
/// environment, else from the environment the engine inherits.
pub fn var_from_environment(name: &str, env: &[(String, String)]) -> Option<String> {
    let key = format!("TF_VAR_{name}");
    env.iter()
        .find(|(k, _)| *k == key)
        .map(|(_, v)| v.clone())
        .or_else(|| std::env::var(&key).ok())
        .filter(|v| !v.is_empty())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
    use super::*;

    #[test]
    fn work_dir_locations_read_as_repository_paths() {
        let r = Redactor::new();
        r.map_locations(std::path::Path::new("/p/.ferry/work/dev"));
        assert_eq!(
            r.redact("  on /p/.ferry/work/dev/infra/environments/dev.tfvars line 6:"),
            "  on infra/environments/dev.tfvars line 6:"
        );
        let cmd = "terraform plan -out=/p/.ferry/work/dev/infra/ferry.tfplan";
        assert_eq!(r.redact(cmd), cmd);
    }

    #[test]
    fn root_module_locations_read_from_the_module_directory() {
        let r = Redactor::new();
        r.map_locations(std::path::Path::new("/p/.ferry/work/dev"));
        r.map_module_dir("infra");
        assert_eq!(
            r.redact("│   on main.tf line 3, in resource \"null_resource\" \"x\":"),
            "│   on infra/main.tf line 3, in resource \"null_resource\" \"x\":"
        );
        assert_eq!(
            r.redact("  on modules/net/main.tf line 9:"),
            "  on infra/modules/net/main.tf line 9:"
        );
        assert_eq!(
            r.redact("on ../shared/x.tf line 1"),
            "on shared/x.tf line 1"
        );
        // Already absolute (a var file): only the work-dir prefix goes.
        assert_eq!(
            r.redact("  on /p/.ferry/work/dev/infra/environments/dev.tfvars line 6:"),
            "  on infra/environments/dev.tfvars line 6:"
        );
        // Not a location.
        assert_eq!(
            r.redact("depends on main.tf being valid"),
            "depends on main.tf being valid"
        );
        assert_eq!(r.redact("carry on main.tf line"), "carry on main.tf line");
    }

    #[test]
    fn redacts_plain_and_json_escaped_forms_longest_first() {
        let r = Redactor::new();
        r.add("hunter2\"x");
        r.add("hunter2\"x-and-more");
        r.add("ab"); // too short to matter
        assert_eq!(
            r.redact(r#"a hunter2"x-and-more b "hunter2\"x" ab"#),
            r#"a (sensitive value) b "(sensitive value)" ab"#
        );
        assert!(r.leaks(b"..hunter2\"x.."));
        assert!(!format!("{r:?}").contains("hunter"));
    }

    #[test]
    fn a_sensitive_object_is_secret_throughout() {
        let r = Redactor::new();
        r.add_json(&serde_json::json!({"user": "admin-user", "port": 54321, "on": true}));
        assert_eq!(
            r.redact("admin-user:54321"),
            "(sensitive value):(sensitive value)"
        );
    }
}
