//! Collects the files that go into a release, either from a commit's git objects or (for an
//! explicitly allowed dirty release) from the work tree, as bundle-relative entries. This is where
//! the content rules live: the data dir is left out, submodules are refused, symlinks stay links.

use crate::error::ReleaseError;
use crate::git::Repo;
use crate::paths::{chain_problem, entry_path_problem, is_under, symlink_target_problem};
use std::path::Path;

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum EntryKind {
    File { data: Vec<u8>, executable: bool },
    Symlink { target: String },
}

/// One bundle entry; `path` is relative to the project root, '/'-separated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct TreeEntry {
    pub path: String,
    pub kind: EntryKind,
}

const GITLINK: &str = "160000";
const SYMLINK: &str = "120000";
const EXECUTABLE: &str = "100755";

/// Strips the project prefix from a repository-relative path, or `None` when the path is outside
/// the project or inside the data dir.
fn bundle_path(repo: &Repo, data_dir: Option<&str>, repo_path: &str) -> Option<String> {
    if data_dir.is_some_and(|d| is_under(repo_path, d)) || !is_under(repo_path, &repo.prefix) {
        return None;
    }
    if repo.prefix.is_empty() {
        Some(repo_path.to_string())
    } else {
        repo_path.get(repo.prefix.len() + 1..).map(str::to_string)
    }
}

fn check(entry: &TreeEntry) -> Result<(), ReleaseError> {
    if entry.path == crate::manifest::MANIFEST_NAME {
        return Err(ReleaseError::unsafe_entry(
            &entry.path,
            "this name is reserved for the release manifest; rename the file",
        ));
    }
    if let Some(reason) = entry_path_problem(&entry.path) {
        return Err(ReleaseError::unsafe_entry(&entry.path, reason));
    }
    if let EntryKind::Symlink { target } = &entry.kind {
        if let Some(reason) = symlink_target_problem(&entry.path, target) {
            return Err(ReleaseError::unsafe_entry(
                &entry.path,
                format!("{reason} (-> {target}); releases must be self-contained"),
            ));
        }
    }
    Ok(())
}

/// Every link of the release resolved together, as they will be once unpacked.
fn check_chains(entries: &[TreeEntry]) -> Result<(), ReleaseError> {
    let links: std::collections::BTreeMap<&str, &str> = entries
        .iter()
        .filter_map(|e| match &e.kind {
            EntryKind::Symlink { target } => Some((e.path.as_str(), target.as_str())),
            EntryKind::File { .. } => None,
        })
        .collect();
    match chain_problem(&links) {
        Some((path, reason)) => Err(ReleaseError::unsafe_entry(
            &path,
            format!(
                "{reason} (-> {}); releases must be self-contained",
                links.get(path.as_str()).copied().unwrap_or_default()
            ),
        )),
        None => Ok(()),
    }
}

/// The project's files as committed in `oid`.
pub(crate) fn from_commit(
    repo: &Repo,
    oid: &str,
    data_dir: Option<&str>,
) -> Result<Vec<TreeEntry>, ReleaseError> {
    let mut wanted = Vec::new();
    for item in repo.ls_tree(oid)? {
        let Some(path) = bundle_path(repo, data_dir, &item.path) else {
            continue;
        };
        if item.mode == GITLINK {
            return Err(ReleaseError::Submodule { path: item.path });
        }
        wanted.push((path, item));
    }
    let oids: Vec<&str> = wanted.iter().map(|(_, item)| item.oid.as_str()).collect();
    let blobs = repo.read_blobs(&oids)?;
    let mut entries = Vec::with_capacity(wanted.len());
    for ((path, item), data) in wanted.into_iter().zip(blobs) {
        let kind = if item.mode == SYMLINK {
            let target = String::from_utf8(data).map_err(|_| {
                ReleaseError::unsafe_entry(&path, "symlink target is not valid UTF-8")
            })?;
            EntryKind::Symlink { target }
        } else {
            EntryKind::File {
                data,
                executable: item.mode == EXECUTABLE,
            }
        };
        let entry = TreeEntry { path, kind };
        check(&entry)?;
        entries.push(entry);
    }
    check_chains(&entries)?;
    Ok(entries)
}

/// The project's files as they are in the work tree now: tracked files that still exist plus
/// untracked files that are not ignored, i.e. what committing everything would produce.
pub(crate) fn from_worktree(
    repo: &Repo,
    data_dir: Option<&str>,
) -> Result<Vec<TreeEntry>, ReleaseError> {
    let mut entries: Vec<TreeEntry> = Vec::new();
    for (mode, repo_path) in repo.worktree_files(data_dir)? {
        // Untracked nested repositories are listed as directories.
        if mode.as_deref() == Some(GITLINK) || repo_path.ends_with('/') {
            return Err(ReleaseError::Submodule { path: repo_path });
        }
        let Some(path) = bundle_path(repo, data_dir, &repo_path) else {
            continue;
        };
        // A conflicted file is listed once per stage.
        if entries.last().is_some_and(|e| e.path == path) {
            continue;
        }
        let Some(kind) = read_worktree_file(&repo.top.join(&repo_path), &path)? else {
            continue;
        };
        let entry = TreeEntry { path, kind };
        check(&entry)?;
        entries.push(entry);
    }
    check_chains(&entries)?;
    Ok(entries)
}

/// `None` for a tracked file that was deleted (or replaced by a directory) in the work tree.
fn read_worktree_file(file: &Path, path: &str) -> Result<Option<EntryKind>, ReleaseError> {
    let meta = match std::fs::symlink_metadata(file) {
        Ok(meta) => meta,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(ReleaseError::io(file, e)),
    };
    if meta.file_type().is_symlink() {
        let target = std::fs::read_link(file).map_err(|e| ReleaseError::io(file, e))?;
        let target = target
            .to_str()
            .map(str::to_string)
            .ok_or_else(|| ReleaseError::unsafe_entry(path, "symlink target is not valid UTF-8"))?;
        return Ok(Some(EntryKind::Symlink { target }));
    }
    if !meta.is_file() {
        return Ok(None);
    }
    let data = std::fs::read(file).map_err(|e| ReleaseError::io(file, e))?;
    Ok(Some(EntryKind::File {
        data,
        executable: is_executable(&meta),
    }))
}

#[cfg(unix)]
fn is_executable(meta: &std::fs::Metadata) -> bool {
    use std::os::unix::fs::PermissionsExt;
    // git records a file as executable when its owner may execute it.
    meta.permissions().mode() & 0o100 != 0
}

#[cfg(not(unix))]
fn is_executable(_meta: &std::fs::Metadata) -> bool {
    false
}
