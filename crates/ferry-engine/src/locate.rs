//! Finds the engine binary and learns what it is, so every later command runs the same binary
//! and the ledger can record which engine and version produced a plan.

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::error::EngineError;
use crate::options::{Progress, RunOptions};
use crate::runner::{self, Stdout};
use crate::version_cache;

/// Environment variable naming the engine when ferry.toml does not.
pub const ENGINE_ENV_VAR: &str = "FERRY_ENGINE";

/// Candidates tried, in order, when nothing is configured.
const DEFAULT_CANDIDATES: [&str; 2] = ["terraform", "tofu"];

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum EngineKind {
    Terraform,
    OpenTofu,
}

impl std::fmt::Display for EngineKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            EngineKind::Terraform => "Terraform",
            EngineKind::OpenTofu => "OpenTofu",
        })
    }
}

#[derive(Debug, Clone)]
pub struct Engine {
    /// Absolute path, resolved once so PATH changes cannot swap the engine mid-promotion.
    pub binary: PathBuf,
    pub kind: EngineKind,
    /// e.g. "1.0.3", without the leading `v`.
    pub version: String,
}

/// Which engine made a plan: recorded with the plan in the ledger.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct EngineInfo {
    pub kind: EngineKind,
    /// Absolute path of the binary.
    pub path: PathBuf,
    /// e.g. "1.11.4".
    pub version: String,
}

/// `version` answers by binary (path, size, modification time), so locating the same engine
/// again in one process costs no engine call.
type BinaryId = (PathBuf, u64, Option<std::time::SystemTime>);
type VersionCache = std::sync::Mutex<std::collections::HashMap<BinaryId, (EngineKind, String)>>;
static VERSIONS: std::sync::OnceLock<VersionCache> = std::sync::OnceLock::new();

fn identity(binary: &Path) -> Option<BinaryId> {
    let m = binary.metadata().ok()?;
    Some((binary.to_path_buf(), m.len(), m.modified().ok()))
}

/// A `[engine] version` requirement: a bare version ("1.11.4") means exactly it, anything else
/// is a semver requirement (">= 1.5, < 2", "~1.11").
fn requirement(text: &str) -> Result<semver::VersionReq, EngineError> {
    let t = text.trim();
    let bad = |detail: String| EngineError::BadVersionRequirement {
        required: text.to_string(),
        detail,
    };
    if let Ok(v) = semver::Version::parse(t) {
        return semver::VersionReq::parse(&format!("={v}")).map_err(|e| bad(e.to_string()));
    }
    semver::VersionReq::parse(t).map_err(|e| bad(e.to_string()))
}

impl Engine {
    /// What this engine is, from the one `version` call made when it was located.
    pub fn info(&self) -> EngineInfo {
        EngineInfo {
            kind: self.kind,
            path: self.binary.clone(),
            version: self.version.clone(),
        }
    }

    /// [`Engine::locate`], then checks `[engine] version` (`version`, when set) against the
    /// version the binary reports: a different engine than the release was tested with is an
    /// error naming both, not a silent plan.
    pub fn locate_matching(
        configured: Option<&str>,
        version: Option<&str>,
    ) -> Result<Engine, EngineError> {
        Engine::locate_matching_cached(configured, version, None)
    }

    /// [`Engine::locate_matching`], with the binary's `version` answer also kept in the file
    /// `cache` across processes (see `version_cache`: invalidated when the binary changes).
    pub fn locate_matching_cached(
        configured: Option<&str>,
        version: Option<&str>,
        cache: Option<&Path>,
    ) -> Result<Engine, EngineError> {
        let req = version.map(requirement).transpose()?;
        let engine = Engine::locate_cached(configured, cache)?;
        if let (Some(req), Some(text)) = (req, version) {
            let found = semver::Version::parse(&engine.version).ok().or_else(|| {
                semver::Version::parse(engine.version.split(['-', '+']).next().unwrap_or("")).ok()
            });
            if !found.is_some_and(|v| req.matches(&v)) {
                return Err(EngineError::WrongVersion {
                    binary: engine.binary.clone(),
                    kind: engine.kind.to_string(),
                    found: engine.version.clone(),
                    required: text.to_string(),
                });
            }
        }
        Ok(engine)
    }

    /// `configured` is ferry.toml's `[engine] binary`: a name looked up on PATH or a path.
    /// Without it: `FERRY_ENGINE`, then `terraform`, then `tofu` on PATH.
    pub fn locate(configured: Option<&str>) -> Result<Engine, EngineError> {
        Engine::locate_cached(configured, None)
    }

    fn locate_cached(
        configured: Option<&str>,
        cache: Option<&Path>,
    ) -> Result<Engine, EngineError> {
        Engine::at_cached(Engine::find(configured)?, cache)
    }

    /// The binary [`Engine::locate`] would use, without asking it anything.
    pub fn find(configured: Option<&str>) -> Result<PathBuf, EngineError> {
        let from_env = std::env::var(ENGINE_ENV_VAR)
            .ok()
            .filter(|v| !v.trim().is_empty());
        let candidates: Vec<String> = match (configured, from_env) {
            (Some(c), _) => vec![c.to_string()],
            (None, Some(e)) => vec![e],
            (None, None) => DEFAULT_CANDIDATES.iter().map(|s| s.to_string()).collect(),
        };
        let binary =
            candidates
                .iter()
                .find_map(|c| resolve(c))
                .ok_or_else(|| EngineError::NotFound {
                    searched: describe_search(&candidates),
                })?;
        Ok(binary)
    }

    /// This binary without asking it anything when nothing needs its version first: what a
    /// previous `version` answer said (this process, or `cache`), else the kind by the file's
    /// name and an empty version, which the caller fills from the plan the engine writes
    /// (its `terraform_version`). Saves one engine call on a command with no `[engine] version`
    /// pin to check before planning.
    pub fn known_or_unasked(binary: PathBuf, cache: Option<&Path>) -> Engine {
        if let Some(k) = identity(&binary) {
            let known = VERSIONS
                .get_or_init(Default::default)
                .lock()
                .ok()
                .and_then(|c| c.get(&k).cloned());
            if let Some((kind, version)) = known {
                return Engine {
                    binary,
                    kind,
                    version,
                };
            }
        }
        if let Some((kind, version)) = cache.and_then(|f| version_cache::lookup(f, &binary)) {
            return Engine {
                binary,
                kind,
                version,
            };
        }
        let name = binary
            .file_name()
            .map(|n| n.to_string_lossy().to_lowercase())
            .unwrap_or_default();
        Engine {
            kind: if name.contains("tofu") {
                EngineKind::OpenTofu
            } else {
                EngineKind::Terraform
            },
            binary,
            version: String::new(),
        }
    }

    /// Uses exactly this binary (tests, or a caller that resolved it already).
    pub fn at(binary: PathBuf) -> Result<Engine, EngineError> {
        Engine::at_cached(binary, None)
    }

    fn at_cached(binary: PathBuf, file: Option<&Path>) -> Result<Engine, EngineError> {
        let key = identity(&binary);
        let cache = VERSIONS.get_or_init(Default::default);
        if let Some(k) = &key {
            if let Some((kind, version)) = cache.lock().ok().and_then(|c| c.get(k).cloned()) {
                return Ok(Engine {
                    binary,
                    kind,
                    version,
                });
            }
        }
        if let Some((kind, version)) = file.and_then(|f| version_cache::lookup(f, &binary)) {
            if let (Some(k), Ok(mut c)) = (key, cache.lock()) {
                c.insert(k, (kind, version.clone()));
            }
            return Ok(Engine {
                binary,
                kind,
                version,
            });
        }
        let opts = RunOptions {
            timeout: Duration::from_secs(60),
            progress: Progress::Quiet,
            ..RunOptions::default()
        };
        let args = [OsString::from("version")];
        let cwd = std::env::temp_dir();
        let finished = runner::run(&binary, &args, &cwd, Stdout::Capture, &opts)?;
        let text = String::from_utf8_lossy(&finished.stdout);
        let first_line = text.lines().next().unwrap_or("").trim().to_string();
        let (kind, version) =
            parse_version(&first_line).ok_or_else(|| EngineError::UnknownEngine {
                binary: binary.clone(),
                first_line: first_line.clone(),
            })?;
        if let (Some(k), Ok(mut c)) = (key, cache.lock()) {
            c.insert(k, (kind, version.clone()));
        }
        if let Some(f) = file {
            version_cache::store(f, &binary, kind, &version);
        }
        Ok(Engine {
            binary,
            kind,
            version,
        })
    }
}

/// `Terraform v1.0.3` / `OpenTofu v1.6.2` → kind and version.
fn parse_version(first_line: &str) -> Option<(EngineKind, String)> {
    let (name, version) = first_line.split_once(' ')?;
    let kind = match name {
        "Terraform" => EngineKind::Terraform,
        "OpenTofu" => EngineKind::OpenTofu,
        _ => return None,
    };
    let version = version.trim().strip_prefix('v')?.to_string();
    Some((kind, version))
}

/// A value with a path separator is a path; otherwise it is looked up on PATH like a shell would.
fn resolve(candidate: &str) -> Option<PathBuf> {
    let candidate = candidate.trim();
    if candidate.is_empty() {
        return None;
    }
    if candidate.contains(std::path::MAIN_SEPARATOR) {
        let path = Path::new(candidate);
        let path = if path.is_absolute() {
            path.to_path_buf()
        } else {
            std::env::current_dir().ok()?.join(path)
        };
        return is_executable(&path).then_some(path);
    }
    let paths = std::env::var_os("PATH")?;
    std::env::split_paths(&paths)
        .filter(|dir| !dir.as_os_str().is_empty())
        .map(|dir| dir.join(candidate))
        .find(|p| is_executable(p))
}

fn is_executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    path.metadata()
        .map(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
        .unwrap_or(false)
}

fn describe_search(candidates: &[String]) -> String {
    let names = candidates
        .iter()
        .map(|c| format!("`{c}`"))
        .collect::<Vec<_>>()
        .join(", then ");
    format!("looked for {names} on PATH")
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
    use super::*;

    #[test]
    fn parses_both_engines() {
        assert_eq!(
            parse_version("Terraform v1.0.3"),
            Some((EngineKind::Terraform, "1.0.3".into()))
        );
        assert_eq!(
            parse_version("OpenTofu v1.6.2"),
            Some((EngineKind::OpenTofu, "1.6.2".into()))
        );
        assert_eq!(parse_version("Packer v1.0.0"), None);
        assert_eq!(parse_version(""), None);
    }

    #[test]
    fn configured_path_that_does_not_exist_is_not_found() {
        let err = Engine::locate(Some("/nonexistent/dir/terraform")).unwrap_err();
        let msg = err.to_string();
        assert!(matches!(err, EngineError::NotFound { .. }));
        assert!(msg.contains("/nonexistent/dir/terraform"), "{msg}");
        assert!(msg.contains("scripts/install-terraform"), "{msg}");
    }

    #[test]
    fn version_requirements_exact_and_ranges() {
        let v = |s: &str| semver::Version::parse(s).unwrap();
        assert!(requirement("1.11.4").unwrap().matches(&v("1.11.4")));
        assert!(!requirement("1.11.4").unwrap().matches(&v("1.11.5")));
        assert!(requirement(">= 1.5, < 2").unwrap().matches(&v("1.11.4")));
        assert!(!requirement(">= 1.5, < 2").unwrap().matches(&v("1.0.3")));
        let e = requirement("latest please").unwrap_err().to_string();
        assert!(e.contains("is not a version requirement"), "{e}");
    }

    #[test]
    fn a_binary_that_is_not_an_engine_is_refused() {
        let err = Engine::at(PathBuf::from("/bin/echo")).unwrap_err();
        assert!(matches!(err, EngineError::UnknownEngine { .. }), "{err:?}");
    }
}
