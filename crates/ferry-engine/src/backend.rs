//! Where an environment's state lives.
//!
//! By default ferry keeps local state per environment in its data dir, even though the root
//! module has no backend block: a `*_override.tf.json` file in the work dir adds (or replaces)
//! the backend with `local { path = ... }`. Override files are merged by Terraform ≥ 0.12 and
//! OpenTofu alike, so this needs no `-state` flags (deprecated) and leaves the release untouched.
//! A configured backend instead gets its settings as `-backend-config=K=V`.

use std::collections::BTreeMap;
use std::ffi::OsString;
use std::path::{Path, PathBuf};

use crate::error::EngineError;

/// Written into the work dir for [`StateBackend::Local`]; removed otherwise.
pub const BACKEND_OVERRIDE_FILE: &str = "ferry_backend_override.tf.json";

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StateBackend {
    /// State in a file at `path` (made absolute; its directory is created).
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
                let body = local_override(&path);
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

fn absolute(path: &Path) -> Result<PathBuf, EngineError> {
    if path.is_absolute() {
        return Ok(path.to_path_buf());
    }
    let cwd =
        std::env::current_dir().map_err(|e| EngineError::io("reading the current directory", e))?;
    Ok(cwd.join(path))
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
fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
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
            state.to_string_lossy().as_ref()
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
    fn template_sequences_are_escaped() {
        assert_eq!(template_literal("/a/${x}/%{y}"), "/a/$${x}/%%{y}");
    }
}
