//! The engine commands ferry needs, with the flags that keep them non-interactive and
//! machine-readable. Every command takes the work dir explicitly: ferry plans in one fresh
//! directory and may apply the saved plan from another, re-initialised from the same bytes.

use std::collections::BTreeMap;
use std::ffi::OsString;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::backend::StateBackend;
use crate::error::EngineError;
use crate::locate::Engine;
use crate::options::{RunLog, RunOptions};
use crate::runner::{self, Stdout};

/// Which state a plan was made against: a plan is stale once either changes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StateIdentity {
    pub lineage: String,
    pub serial: u64,
}

const NO_INPUT: &str = "-input=false";
const NO_COLOR: &str = "-no-color";

/// Inside `.terraform`: what [`Engine::init_once`] initialised the work dir for.
pub const INIT_MARKER: &str = "ferry-init.json";

impl Engine {
    /// `init`, safe to repeat. `-reconfigure` because the work dir is ferry's, not the user's:
    /// a backend recorded by an earlier init must never trigger a state migration prompt.
    pub fn init(
        &self,
        workdir: &Path,
        state: &StateBackend,
        opts: &RunOptions,
    ) -> Result<RunLog, EngineError> {
        let mut args = os(&["init", NO_INPUT, NO_COLOR, "-reconfigure"]);
        args.extend(state.prepare(workdir)?);
        self.stream(workdir, &args, opts)
    }

    /// [`init_once_at`] with this engine's binary.
    pub fn init_once(
        &self,
        workdir: &Path,
        state: &StateBackend,
        opts: &RunOptions,
        key: &str,
    ) -> Result<bool, EngineError> {
        init_once_at(&self.binary, workdir, state, opts, key)
    }

    /// `plan -out=plan_out` with the environment's var files (relative to `workdir` or absolute).
    pub fn plan(
        &self,
        workdir: &Path,
        var_files: &[PathBuf],
        plan_out: &Path,
        opts: &RunOptions,
    ) -> Result<RunLog, EngineError> {
        let mut args = os(&["plan", NO_INPUT, NO_COLOR]);
        args.push(flag("-out=", plan_out));
        args.extend(var_files.iter().map(|f| flag("-var-file=", f)));
        self.stream(workdir, &args, opts)
    }

    /// `show -json PLAN`: the plan's JSON rendering, byte for byte as the engine wrote it.
    pub fn show_json(
        &self,
        workdir: &Path,
        plan_file: &Path,
        opts: &RunOptions,
    ) -> Result<Vec<u8>, EngineError> {
        let mut args = os(&["show", "-json", NO_COLOR]);
        args.push(plan_file.as_os_str().to_owned());
        self.capture(workdir, &args, opts)
    }

    /// `show -json PLAN` written to `dest` as the engine prints it, never held in memory (a
    /// plan's JSON can be gigabytes). Written to a temporary file beside `dest` (mode 0600:
    /// plan JSON holds values) and renamed into place once complete, so `dest` is either the
    /// whole document or untouched.
    pub fn show_json_to(
        &self,
        workdir: &Path,
        plan_file: &Path,
        dest: &Path,
        opts: &RunOptions,
    ) -> Result<RunLog, EngineError> {
        let mut args = os(&["show", "-json", NO_COLOR]);
        args.push(plan_file.as_os_str().to_owned());
        let dir = dest
            .parent()
            .filter(|d| !d.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        let tmp = tempfile_in(dir, dest)?;
        let file = std::fs::File::options()
            .write(true)
            .open(&tmp)
            .map_err(|e| EngineError::io(format!("cannot open {}", tmp.display()), e))?;
        let done = runner::run(&self.binary, &args, workdir, Stdout::File(file), opts);
        match done {
            Ok(f) if f.stdout.is_empty() => {
                std::fs::rename(&tmp, dest).map_err(|e| {
                    let _ = std::fs::remove_file(&tmp);
                    EngineError::io(
                        format!("cannot move the plan JSON to {}", dest.display()),
                        e,
                    )
                })?;
                Ok(f.log)
            }
            Ok(f) => {
                let _ = std::fs::remove_file(&tmp);
                Err(EngineError::BadOutput {
                    command: f.log.command,
                    detail: format!("could not write the plan JSON to {}", dest.display()),
                })
            }
            Err(e) => {
                let _ = std::fs::remove_file(&tmp);
                Err(e)
            }
        }
    }

    /// `apply PLAN`: applies exactly the saved plan. The engine refuses a plan whose state moved
    /// on, but Terraform 1.0.3 skips that check for a plan made against no state at all, so
    /// callers must compare [`Engine::state_identity`] with the identity recorded at plan time.
    pub fn apply(
        &self,
        workdir: &Path,
        plan_file: &Path,
        opts: &RunOptions,
    ) -> Result<RunLog, EngineError> {
        let mut args = os(&["apply", NO_INPUT, NO_COLOR]);
        args.push(plan_file.as_os_str().to_owned());
        self.stream(workdir, &args, opts)
    }

    /// Lineage and serial of the current state via `state pull`; `None` before the first apply.
    pub fn state_identity(
        &self,
        workdir: &Path,
        opts: &RunOptions,
    ) -> Result<Option<StateIdentity>, EngineError> {
        let args = os(&["state", "pull"]);
        let raw = self.capture(workdir, &args, opts)?;
        parse_state_identity(&raw).map_err(|detail| EngineError::BadOutput {
            command: runner::describe(&self.binary, &args),
            detail,
        })
    }

    /// [`Engine::state_identity`], but for a local state read straight from its file (what
    /// `state pull` prints for the local backend) instead of starting the engine: a third of a
    /// second saved twice per promote.
    pub fn state_identity_of(
        &self,
        backend: &crate::StateBackend,
        workdir: &Path,
        opts: &RunOptions,
    ) -> Result<Option<StateIdentity>, EngineError> {
        match backend {
            crate::StateBackend::Local { path } => match std::fs::read(path) {
                Ok(raw) => parse_state_identity(&raw).map_err(|detail| EngineError::BadOutput {
                    command: format!("reading the state file {}", path.display()),
                    detail,
                }),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
                Err(e) => Err(EngineError::io(format!("reading {}", path.display()), e)),
            },
            crate::StateBackend::Configured { .. } => self.state_identity(workdir, opts),
        }
    }

    /// `output -json`: name → `{"value": …, "type": …, "sensitive": bool}` as the engine prints
    /// it, so callers can tell sensitive outputs apart before exposing any value.
    pub fn outputs(
        &self,
        workdir: &Path,
        opts: &RunOptions,
    ) -> Result<BTreeMap<String, serde_json::Value>, EngineError> {
        let args = os(&["output", "-json", NO_COLOR]);
        let raw = self.capture(workdir, &args, opts)?;
        if raw.iter().all(u8::is_ascii_whitespace) {
            return Ok(BTreeMap::new());
        }
        serde_json::from_slice(&raw).map_err(|e| EngineError::BadOutput {
            command: runner::describe(&self.binary, &args),
            detail: e.to_string(),
        })
    }

    fn stream(
        &self,
        workdir: &Path,
        args: &[OsString],
        opts: &RunOptions,
    ) -> Result<RunLog, EngineError> {
        runner::run(&self.binary, args, workdir, Stdout::Stream, opts).map(|f| f.log)
    }

    fn capture(
        &self,
        workdir: &Path,
        args: &[OsString],
        opts: &RunOptions,
    ) -> Result<Vec<u8>, EngineError> {
        runner::run(&self.binary, args, workdir, Stdout::Capture, opts).map(|f| f.stdout)
    }
}

/// [`Engine::init`] with `binary`, unless `workdir` was initialised before by this same call:
/// same `key` (the caller's name for what is in the work dir, e.g. environment and release),
/// same engine binary (path and file stamp, so an engine upgraded in place re-inits), same
/// backend, same work dir path and plugin cache (providers are linked by absolute path), and
/// every installed provider link still resolving. The record of that is kept inside
/// `.terraform` (which `init` makes and which holds what it installed), so it goes wherever that
/// directory goes and dies with it. Anything missing or different: a real `init`. Needs only
/// the binary, not its version, so callers may ask the version at the same time. Returns
/// whether the engine ran.
pub fn init_once_at(
    binary: &Path,
    workdir: &Path,
    state: &StateBackend,
    opts: &RunOptions,
    key: &str,
) -> Result<bool, EngineError> {
    let args = state.prepare(workdir)?;
    let marker = workdir.join(".terraform").join(INIT_MARKER);
    let override_text =
        std::fs::read_to_string(workdir.join(crate::BACKEND_OVERRIDE_FILE)).unwrap_or_default();
    let stamp = crate::version_cache::stamp_json(binary);
    let expected = serde_json::json!({
        "key": key,
        "workdir": std::fs::canonicalize(workdir).unwrap_or_default().to_string_lossy(),
        "plugin_cache": opts.env.iter().find(|(k, _)| k == "TF_PLUGIN_CACHE_DIR").map(|(_, v)| v.as_str()),
        "engine": binary.to_string_lossy(),
        "engine_file": stamp,
        "backend_args": args.iter().map(|a| a.to_string_lossy().into_owned()).collect::<Vec<_>>(),
        "backend_override": override_text,
    })
    .to_string();
    if !stamp.is_null()
        && std::fs::read_to_string(&marker).is_ok_and(|m| m == expected)
        && links_resolve(&workdir.join(".terraform/providers"))
    {
        return Ok(false);
    }
    // A failed or interrupted init below must not leave a marker that claims otherwise.
    let _ = std::fs::remove_file(&marker);
    let mut init = os(&["init", NO_INPUT, NO_COLOR, "-reconfigure"]);
    init.extend(args);
    runner::run(binary, &init, workdir, Stdout::Stream, opts)?;
    crate::backend::write_private(&marker, expected.as_bytes())
        .map_err(|e| EngineError::io(format!("writing {}", marker.display()), e))?;
    Ok(true)
}

/// The key [`init_once_at`] recorded for `workdir`, if any.
pub fn init_key(workdir: &Path) -> Option<String> {
    let raw = std::fs::read(workdir.join(".terraform").join(INIT_MARKER)).ok()?;
    let doc: serde_json::Value = serde_json::from_slice(&raw).ok()?;
    doc["key"].as_str().map(str::to_string)
}

/// Whether every link under `dir` (installed providers) points at something that exists.
fn links_resolve(dir: &Path) -> bool {
    // No providers installed is taken as "not initialised": init finds out.
    let Ok(entries) = std::fs::read_dir(dir) else {
        return false;
    };
    entries.flatten().all(|e| {
        let path = e.path();
        match e.file_type() {
            Ok(t) if t.is_symlink() => path.exists(),
            Ok(t) if t.is_dir() => links_resolve(&path),
            Ok(_) => true,
            Err(_) => false,
        }
    })
}

pub(crate) fn parse_state_identity(raw: &[u8]) -> Result<Option<StateIdentity>, String> {
    #[derive(Deserialize)]
    struct Header {
        lineage: Option<String>,
        serial: Option<u64>,
    }
    // Without any state, `state pull` prints nothing at all.
    if raw.iter().all(u8::is_ascii_whitespace) {
        return Ok(None);
    }
    let header: Header = serde_json::from_slice(raw).map_err(|e| e.to_string())?;
    match (header.lineage, header.serial) {
        (Some(lineage), Some(serial)) if !lineage.is_empty() => {
            Ok(Some(StateIdentity { lineage, serial }))
        }
        // A remote backend's fresh workspace (the pg backend makes one at init): an empty
        // state nobody has written yet, the same as none.
        (Some(lineage), Some(0)) if lineage.is_empty() => Ok(None),
        _ => Err("state has no lineage/serial".to_string()),
    }
}

/// A new empty file (0600) beside `dest`, named after it.
fn tempfile_in(dir: &Path, dest: &Path) -> Result<PathBuf, EngineError> {
    use std::os::unix::fs::OpenOptionsExt;
    let name = dest
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    for n in 0..1000u32 {
        let p = dir.join(format!(".{name}.{}.{n}.part", std::process::id()));
        match std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(&p)
        {
            Ok(_) => return Ok(p),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
            Err(e) => {
                return Err(EngineError::io(
                    format!("cannot create a file in {}", dir.display()),
                    e,
                ))
            }
        }
    }
    Err(EngineError::io(
        format!("cannot create a file in {}", dir.display()),
        std::io::Error::other("too many leftover .part files"),
    ))
}

fn os(args: &[&str]) -> Vec<OsString> {
    args.iter().map(OsString::from).collect()
}

fn flag(prefix: &str, path: &Path) -> OsString {
    let mut s = OsString::from(prefix);
    s.push(path.as_os_str());
    s
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
    use super::*;

    #[test]
    fn state_identity_parsing() {
        assert_eq!(parse_state_identity(b"").unwrap(), None);
        assert_eq!(parse_state_identity(b" \n").unwrap(), None);
        let id =
            parse_state_identity(br#"{"version":4,"serial":7,"lineage":"abc","resources":[]}"#)
                .unwrap();
        assert_eq!(
            id,
            Some(StateIdentity {
                lineage: "abc".into(),
                serial: 7
            })
        );
        assert!(parse_state_identity(b"{not json").is_err());
        assert!(parse_state_identity(br#"{"version":4}"#).is_err());
        // The pg backend's fresh workspace.
        assert_eq!(
            parse_state_identity(br#"{"version":4,"serial":0,"lineage":"","resources":[]}"#)
                .unwrap(),
            None
        );
        assert!(parse_state_identity(br#"{"version":4,"serial":3,"lineage":""}"#).is_err());
    }
}
