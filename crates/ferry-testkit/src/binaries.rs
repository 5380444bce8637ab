//! Where the PostgreSQL server binaries live. Debian keeps them out of PATH
//! (`/usr/lib/postgresql/<major>/bin`), images often link them into `/usr/local/bin`, and
//! Homebrew puts them on PATH.

use crate::PgServerError;
use std::path::{Path, PathBuf};

const NEEDED: [&str; 3] = ["initdb", "pg_ctl", "postgres"];

/// `/usr/local/bin`, then each PATH entry, then Debian's `/usr/lib/postgresql/*/bin`, newest
/// major version first.
pub fn default_search_dirs() -> Vec<PathBuf> {
    let mut dirs = vec![PathBuf::from("/usr/local/bin")];
    if let Some(path) = std::env::var_os("PATH") {
        dirs.extend(std::env::split_paths(&path));
    }
    let mut debian: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| {
            let major = e.file_name().to_str()?.parse::<u32>().ok()?;
            Some((major, e.path().join("bin")))
        })
        .collect();
    debian.sort_by_key(|d| std::cmp::Reverse(d.0));
    dirs.extend(debian.into_iter().map(|(_, p)| p));
    dirs
}

/// The first directory in `search` holding all of `initdb`, `pg_ctl` and `postgres`. Symbolic
/// links are followed so the server and `pg_ctl` come from one installation.
pub fn find_binaries(search: &[PathBuf]) -> Result<PathBuf, PgServerError> {
    for dir in search {
        if NEEDED.iter().all(|name| is_executable(&dir.join(name))) {
            let resolved = std::fs::canonicalize(dir.join("pg_ctl"))
                .ok()
                .and_then(|p| p.parent().map(Path::to_path_buf))
                .filter(|d| NEEDED.iter().all(|name| is_executable(&d.join(name))));
            return Ok(resolved.unwrap_or_else(|| dir.clone()));
        }
    }
    let searched = if search.is_empty() {
        "no directories".to_string()
    } else {
        search
            .iter()
            .map(|d| d.display().to_string())
            .collect::<Vec<_>>()
            .join(", ")
    };
    Err(PgServerError::NotInstalled { searched })
}

fn is_executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path)
        .map(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
        .unwrap_or(false)
}
