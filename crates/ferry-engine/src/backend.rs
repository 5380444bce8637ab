//! Where an environment's state lives.
//!
//! By default ferry keeps local state per environment in its data dir, even though the root
//! module has no backend block: a `*_override.tf.json` file in the work dir adds (or replaces)
//! the backend with `local { path = ... }`. Override files are merged by Terraform ≥ 0.12 and
//! OpenTofu alike, so this needs no `-state` flags (deprecated) and leaves the release untouched.
//! A configured backend instead gets its settings as `-backend-config=K=V`.
//!
//! The override names the state file *relative to the work dir*: a saved plan keeps the backend
//! settings it was made with and `apply` uses them, so an absolute path would send the state of
//! a `.ferry/` copied to another runner (as CI artifacts are) back to the first runner's path.
//! Work dir and state both live under the data dir, so the relative path resolves to the same
//! state wherever the data dir is.

use std::collections::BTreeMap;
use std::ffi::OsString;
use std::path::{Path, PathBuf};

use crate::error::EngineError;

/// Written into the work dir for [`StateBackend::Local`]; removed otherwise.
pub const BACKEND_OVERRIDE_FILE: &str = "ferry_backend_override.tf.json";

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StateBackend {
    /// State in a file at `path` (made absolute; its directory is created). The engine is told
    /// the path relative to the work dir.
    Local { path: PathBuf },
    /// The backend block in the root module, configured with these settings.
    Configured { settings: BTreeMap<String, String> },
}

impl StateBackend {
    /// Makes the work dir use this backend and returns the extra `init` arguments.
    pub(crate) fn prepare(&self, workdir: &Path) -> Result<Vec<OsString>, EngineError> {
        let override_file = workdir.join(BACKEND_OVERRIDE_FILE);
        match self {
            StateBackend::Local { path } => {
                let path = absolute(path)?;
                if let Some(dir) = path.parent() {
                    use std::os::unix::fs::DirBuilderExt as _;
                    // State holds secrets in clear: owner-only from creation.
                    std::fs::DirBuilder::new()
                        .recursive(true)
                        .mode(0o700)
                        .create(dir)
                        .map_err(|e| {
                            EngineError::io(format!("creating state dir {}", dir.display()), e)
                        })?;
                }
                let body = local_override(&relative_state_path(&path, workdir)?);
                write_private(&override_file, body.as_bytes()).map_err(|e| {
                    EngineError::io(format!("writing {}", override_file.display()), e)
                })?;
                Ok(Vec::new())
            }
            StateBackend::Configured { settings } => {
                // A stale override from an earlier Local run would silently win over the
                // configured backend.
                match std::fs::remove_file(&override_file) {
                    Ok(()) => {}
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                    Err(e) => {
                        return Err(EngineError::io(
                            format!("removing {}", override_file.display()),
                            e,
                        ))
                    }
                }
                Ok(settings
                    .iter()
                    .map(|(k, v)| OsString::from(format!("-backend-config={k}={v}")))
                    .collect())
            }
        }
    }
}

/// How many resources the local state file at `path` holds; `None` when there is no state yet
/// (no file, or an empty one, as before the first apply).
pub fn local_state_resources(path: &Path) -> Result<Option<usize>, EngineError> {
    #[derive(serde::Deserialize)]
    struct Counted {
        #[serde(default)]
        resources: Vec<serde::de::IgnoredAny>,
    }
    let raw = match std::fs::read(path) {
        Ok(raw) => raw,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(EngineError::io(format!("reading {}", path.display()), e)),
    };
    if raw.iter().all(u8::is_ascii_whitespace) {
        return Ok(None);
    }
    let counted: Counted = serde_json::from_slice(&raw).map_err(|e| EngineError::BadOutput {
        command: format!("reading the state file {}", path.display()),
        detail: e.to_string(),
    })?;
    Ok(Some(counted.resources.len()))
}

fn absolute(path: &Path) -> Result<PathBuf, EngineError> {
    if path.is_absolute() {
        return Ok(path.to_path_buf());
    }
    let cwd =
        std::env::current_dir().map_err(|e| EngineError::io("reading the current directory", e))?;
    Ok(cwd.join(path))
}

/// `state` as seen from `workdir`, both resolved through any links first (the OS resolves `..`
/// physically), e.g. `../../../state/dev/terraform.tfstate`.
fn relative_state_path(state: &Path, workdir: &Path) -> Result<PathBuf, EngineError> {
    let canon = |p: &Path| {
        std::fs::canonicalize(p)
            .map_err(|e| EngineError::io(format!("resolving {}", p.display()), e))
    };
    let (Some(dir), Some(name)) = (state.parent(), state.file_name()) else {
        return Ok(state.to_path_buf());
    };
    let to = canon(dir)?.join(name);
    let from = canon(&absolute(workdir)?)?;
    let common = from
        .components()
        .zip(to.components())
        .take_while(|(a, b)| a == b)
        .count();
    let mut rel = PathBuf::new();
    for _ in from.components().skip(common) {
        rel.push("..");
    }
    for c in to.components().skip(common) {
        rel.push(c);
    }
    Ok(rel)
}

fn local_override(path: &Path) -> String {
    let doc = serde_json::json!({
        "//": "Written by ferry: keeps this environment's state in ferry's data dir.",
        "terraform": { "backend": { "local": { "path": template_literal(&path.to_string_lossy()) } } }
    });
    // Serialising a json! value cannot fail; the fallback only keeps clippy's no-panic rule.
    serde_json::to_string_pretty(&doc).unwrap_or_default() + "\n"
}

/// JSON strings in Terraform configs are templates; escape `${` and `%{` so a path is literal.
fn template_literal(s: &str) -> String {
    s.replace("${", "$${").replace("%{", "%%{")
}

/// Writes `bytes` to `path` as an owner-only file (created 0600; an existing file is truncated).
pub(crate) fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write as _;
    use std::os::unix::fs::OpenOptionsExt as _;
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(path)?;
    f.write_all(bytes)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
    use super::*;

    #[test]
    fn local_writes_override_and_creates_state_dir() {
        let dir = tempfile::tempdir().unwrap();
        let state = dir.path().join("state/dev/terraform.tfstate");
        let args = StateBackend::Local {
            path: state.clone(),
        }
        .prepare(dir.path())
        .unwrap();
        assert!(args.is_empty());
        assert!(state.parent().unwrap().is_dir());
        let text = std::fs::read_to_string(dir.path().join(BACKEND_OVERRIDE_FILE)).unwrap();
        let json: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(
            json["terraform"]["backend"]["local"]["path"],
            "state/dev/terraform.tfstate"
        );
    }

    #[test]
    fn local_path_is_relative_to_the_work_dir_so_a_moved_data_dir_keeps_its_state() {
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().join("a/.ferry");
        let work = data.join("work/dev/infra/live");
        std::fs::create_dir_all(&work).unwrap();
        StateBackend::Local {
            path: data.join("state/dev/terraform.tfstate"),
        }
        .prepare(&work)
        .unwrap();
        let text = std::fs::read_to_string(work.join(BACKEND_OVERRIDE_FILE)).unwrap();
        let json: serde_json::Value = serde_json::from_str(&text).unwrap();
        let rel = json["terraform"]["backend"]["local"]["path"]
            .as_str()
            .unwrap();
        assert_eq!(rel, "../../../../state/dev/terraform.tfstate");
        // The same text read from a copy of the data dir elsewhere names the copy's state.
        let moved = dir.path().join("b/.ferry");
        std::fs::create_dir_all(moved.join("work/dev/infra/live")).unwrap();
        std::fs::create_dir_all(moved.join("state/dev")).unwrap();
        assert_eq!(
            moved
                .join("work/dev/infra/live")
                .join(rel)
                .parent()
                .unwrap()
                .canonicalize()
                .unwrap(),
            moved.join("state/dev").canonicalize().unwrap()
        );
    }

    #[test]
    fn configured_passes_settings_and_removes_stale_override() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join(BACKEND_OVERRIDE_FILE), "{}").unwrap();
        let settings = BTreeMap::from([
            ("bucket".to_string(), "b".to_string()),
            ("key".to_string(), "prod/tf.state".to_string()),
        ]);
        let args = StateBackend::Configured { settings }
            .prepare(dir.path())
            .unwrap();
        assert_eq!(
            args,
            vec![
                OsString::from("-backend-config=bucket=b"),
                OsString::from("-backend-config=key=prod/tf.state")
            ]
        );
        assert!(!dir.path().join(BACKEND_OVERRIDE_FILE).exists());
    }

    #[test]
    fn local_state_resources_are_counted() {
        let dir = tempfile::tempdir().unwrap();
        let state = dir.path().join("terraform.tfstate");
        assert_eq!(local_state_resources(&state).unwrap(), None);
        std::fs::write(&state, "").unwrap();
        assert_eq!(local_state_resources(&state).unwrap(), None);
        std::fs::write(
            &state,
            r#"{"version":4,"serial":1,"lineage":"l","resources":[]}"#,
        )
        .unwrap();
        assert_eq!(local_state_resources(&state).unwrap(), Some(0));
        std::fs::write(
            &state,
            r#"{"version":4,"resources":[{"type":"null_resource","instances":[{}]},{"type":"x"}]}"#,
        )
        .unwrap();
        assert_eq!(local_state_resources(&state).unwrap(), Some(2));
        std::fs::write(&state, "{not json").unwrap();
        assert!(local_state_resources(&state).is_err());
    }

    #[test]
    fn template_sequences_are_escaped() {
        assert_eq!(template_literal("/a/${x}/%{y}"), "/a/$${x}/%%{y}");
    }
}
