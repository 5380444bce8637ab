//! The one error type of release handling. Each variant carries what a person needs to act on it
//! (the path, the git command, the offending entry) because these messages reach the CLI verbatim.

use ferry_core::ReleaseId;
use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum ReleaseError {
    #[error("{} is not inside a git repository: releases are built from git commits", path.display())]
    NotAGitRepo { path: PathBuf },

    #[error("unknown commit '{rev}': git cannot resolve it to a commit in this repository")]
    UnknownCommit { rev: String },

    #[error(
        "the work tree has uncommitted changes; commit them or pass --allow-dirty. Changed: {}{}",
        paths.join(", "),
        if *more > 0 { format!(" (and {more} more)") } else { String::new() }
    )]
    Dirty {
        /// Up to ten changed paths, relative to the repository root.
        paths: Vec<String>,
        /// How many further changed paths were left out of `paths`.
        more: usize,
    },

    #[error("`{command}` failed: {stderr}")]
    Git { command: String, stderr: String },

    #[error(
        "'{path}' is a git submodule; releases cannot contain submodules because their content is not \
         part of this repository's commit (vendor the module or use a registry/git module source)"
    )]
    Submodule { path: String },

    #[error(
        "release {id} is corrupted or was modified: the stored bundle {} does not hash to its id; \
         refusing to use it (delete it and rebuild it from its commit)",
        path.display()
    )]
    Tampered { id: ReleaseId, path: PathBuf },

    #[error("release {id} not found in the release store")]
    NotFound { id: ReleaseId },

    #[error("no release matches '{prefix}'")]
    NoMatch { prefix: String },

    #[error("'{prefix}' matches several releases ({}); give more digits", matches.join(", "))]
    Ambiguous {
        prefix: String,
        matches: Vec<String>,
    },

    #[error(transparent)]
    BadId(#[from] ferry_core::ids::IdError),

    #[error("{}: {source}", path.display())]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },

    #[error("refusing entry '{entry}': {reason}")]
    Unsafe { entry: String, reason: String },

    #[error("release {id} hashes correctly but is not a valid ferry release: {reason}")]
    Malformed { id: ReleaseId, reason: String },
}

impl ReleaseError {
    pub(crate) fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        ReleaseError::Io {
            path: path.into(),
            source,
        }
    }

    pub(crate) fn unsafe_entry(entry: impl Into<String>, reason: impl Into<String>) -> Self {
        ReleaseError::Unsafe {
            entry: entry.into(),
            reason: reason.into(),
        }
    }
}
