//! `--check` / `ferry ci check`: compare the committed pipeline with what ferry.toml generates
//! now, and write a generated file without ever leaving half of one behind.

use crate::{generate, header, CiError, Generated, Options, Provider};
use std::io::Write as _;
use std::path::{Path, PathBuf};

/// The result of comparing a committed pipeline with a fresh generation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckOutcome {
    pub provider: Provider,
    /// Relative to the repository root.
    pub path: PathBuf,
    pub up_to_date: bool,
    /// Unified diff from the committed file to the generated one; empty when up to date.
    pub diff: String,
    /// The fresh generation, so a caller can offer to write it.
    pub generated: Generated,
}

/// Compares `existing` (the committed file's text, `None` when there is none) with what
/// ferry.toml generates now.
pub fn check(
    config: &ferry_core::Config,
    provider: Provider,
    options: &Options,
    existing: Option<&str>,
) -> Result<CheckOutcome, CiError> {
    let generated = generate(config, provider, options)?;
    let path_text = crate::slash_path(&generated.path);
    let (up_to_date, diff) = match existing {
        Some(text) if text == generated.contents => (true, String::new()),
        Some(text) => (
            false,
            similar::TextDiff::from_lines(text, &generated.contents)
                .unified_diff()
                .context_radius(3)
                .header(
                    &format!("{path_text} (committed)"),
                    &format!("{path_text} (generated from ferry.toml)"),
                )
                .to_string(),
        ),
        None => (
            false,
            similar::TextDiff::from_lines("", &generated.contents)
                .unified_diff()
                .header(
                    "/dev/null (no committed file)",
                    &format!("{path_text} (generated from ferry.toml)"),
                )
                .to_string(),
        ),
    };
    Ok(CheckOutcome {
        provider,
        path: generated.path.clone(),
        up_to_date,
        diff,
        generated,
    })
}

/// `ferry ci generate --provider P [--out PATH] --check`: reads the file at the output path
/// under `options.root` (a missing file is simply not up to date) and compares.
pub fn check_path(
    config: &ferry_core::Config,
    provider: Provider,
    options: &Options,
) -> Result<CheckOutcome, CiError> {
    let rel = crate::resolve_out(&options.root, options.out.as_deref(), provider)?;
    let path = options.root.join(&rel);
    let existing = match std::fs::read_to_string(&path) {
        Ok(t) => Some(t),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(source) => {
            return Err(CiError::Io {
                action: "cannot read",
                path: path.display().to_string(),
                source,
            })
        }
    };
    check(config, provider, options, existing.as_deref())
}

/// Whether `text` is a pipeline ferry generated (its first line is ferry's header).
pub fn is_generated(text: &str) -> bool {
    text.lines()
        .next()
        .is_some_and(|l| l.starts_with(&format!("# {}", header::MARKER)))
}

/// `ferry ci check`: checks every provider's default file under `options.root` that ferry
/// generated (a hand-written `.gitlab-ci.yml` is not ferry's and is skipped). Errors when there
/// is none: a check that finds nothing to check must not pass.
pub fn check_committed(
    config: &ferry_core::Config,
    options: &Options,
) -> Result<Vec<CheckOutcome>, CiError> {
    let mut outcomes = Vec::new();
    for provider in Provider::ALL {
        let path = options.root.join(provider.default_path());
        let text = match std::fs::read_to_string(&path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
            Err(source) => {
                return Err(CiError::Io {
                    action: "cannot read",
                    path: path.display().to_string(),
                    source,
                })
            }
        };
        if !is_generated(&text) {
            continue;
        }
        let opts = Options {
            out: None,
            ..options.clone()
        };
        outcomes.push(check(config, provider, &opts, Some(&text))?);
    }
    if outcomes.is_empty() {
        return Err(CiError::NothingToCheck {
            paths: Provider::ALL
                .iter()
                .map(|p| p.default_path())
                .collect::<Vec<_>>()
                .join(", "),
        });
    }
    Ok(outcomes)
}

/// Writes `generated` under `root`: refuses a path whose existing directories lead outside the
/// repository through a symlink, writes a temporary file beside the target and renames it over,
/// so readers see the old file or the new one, never a part.
pub fn write(root: &Path, generated: &Generated) -> Result<PathBuf, CiError> {
    let io = |action: &'static str, path: &Path| {
        let path = path.display().to_string();
        move |source| CiError::Io {
            action,
            path,
            source,
        }
    };
    let root_real = root
        .canonicalize()
        .map_err(io("cannot resolve the repository root", root))?;
    let target = root_real.join(&generated.path);
    let parent = target.parent().unwrap_or(&root_real).to_path_buf();
    // The deepest existing ancestor must resolve inside the root; the rest is created fresh.
    let mut existing = parent.clone();
    while !existing.exists() {
        if !existing.pop() {
            break;
        }
    }
    let existing_real = existing
        .canonicalize()
        .map_err(io("cannot resolve", &existing))?;
    if !existing_real.starts_with(&root_real) {
        return Err(CiError::OutsideRepository {
            path: target.display().to_string(),
            root: root_real.display().to_string(),
            default: generated.provider.default_path(),
        });
    }
    if target.is_symlink() {
        return Err(CiError::OutsideRepository {
            path: format!("{} (a symlink)", target.display()),
            root: root_real.display().to_string(),
            default: generated.provider.default_path(),
        });
    }
    std::fs::create_dir_all(&parent).map_err(io("cannot create", &parent))?;
    let mut tmp =
        tempfile::NamedTempFile::new_in(&parent).map_err(io("cannot write in", &parent))?;
    tmp.write_all(generated.contents.as_bytes())
        .and_then(|()| tmp.as_file().sync_all())
        .map_err(io("cannot write", tmp.path()))?;
    set_readable(tmp.as_file()).map_err(io("cannot set permissions of", &target))?;
    tmp.persist(&target)
        .map_err(|e| io("cannot replace", &target)(e.error))?;
    Ok(target)
}

/// A pipeline file holds no secrets and is committed: 0644 like any other source file
/// (tempfile creates 0600).
#[cfg(unix)]
fn set_readable(file: &std::fs::File) -> std::io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    file.set_permissions(std::fs::Permissions::from_mode(0o644))
}

#[cfg(not(unix))]
fn set_readable(_file: &std::fs::File) -> std::io::Result<()> {
    Ok(())
}
