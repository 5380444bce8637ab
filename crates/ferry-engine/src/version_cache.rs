//! The engine's `version` answer kept across processes: every ferry command locates the engine,
//! and asking the binary costs a process start (a tenth of a second for Terraform) that a
//! `plan` then `apply` would pay each time.
//!
//! An entry is keyed by the binary's canonical path and holds what identifies that file's
//! contents without reading it: device, inode, size, modification and change time. Replacing the
//! binary (a new file, a copy over it, an in-place write) changes the change time at least, and a
//! re-pointed symlink changes the canonical path, so a stale answer is never used. Any trouble
//! reading or writing the cache only means asking the binary again.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::locate::EngineKind;

/// At most this many binaries are remembered (a project rarely sees more than two).
const MAX_ENTRIES: usize = 16;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct Stamp {
    dev: u64,
    ino: u64,
    size: u64,
    mtime: (i64, i64),
    ctime: (i64, i64),
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct Entry {
    #[serde(flatten)]
    stamp: Stamp,
    kind: EngineKind,
    version: String,
}

/// The canonical path of `binary` and its stamp now.
fn stamp(binary: &Path) -> Option<(PathBuf, Stamp)> {
    use std::os::unix::fs::MetadataExt as _;
    let canonical = std::fs::canonicalize(binary).ok()?;
    let m = canonical.metadata().ok()?;
    Some((
        canonical,
        Stamp {
            dev: m.dev(),
            ino: m.ino(),
            size: m.size(),
            mtime: (m.mtime(), m.mtime_nsec()),
            ctime: (m.ctime(), m.ctime_nsec()),
        },
    ))
}

/// The binary's canonical path and stamp as JSON (`null` when it cannot be read), for records
/// that must not outlive the file they were made with.
pub(crate) fn stamp_json(binary: &Path) -> serde_json::Value {
    stamp(binary)
        .and_then(|(path, stamp)| {
            let mut v = serde_json::to_value(stamp).ok()?;
            v["path"] = serde_json::Value::String(path.to_string_lossy().into_owned());
            Some(v)
        })
        .unwrap_or(serde_json::Value::Null)
}

fn read(cache: &Path) -> BTreeMap<String, Entry> {
    std::fs::read(cache)
        .ok()
        .and_then(|raw| serde_json::from_slice(&raw).ok())
        .unwrap_or_default()
}

/// What `cache` remembers for `binary`, when the binary is still the file it was then.
pub(crate) fn lookup(cache: &Path, binary: &Path) -> Option<(EngineKind, String)> {
    let (canonical, now) = stamp(binary)?;
    let entries = read(cache);
    let e = entries.get(canonical.to_str()?)?;
    (e.stamp == now).then(|| (e.kind, e.version.clone()))
}

/// Remembers `kind`/`version` for `binary` in `cache` (written 0600 beside itself and renamed
/// into place, so a reader never sees half a file). Failures are ignored: see the module doc.
pub(crate) fn store(cache: &Path, binary: &Path, kind: EngineKind, version: &str) {
    let Some((canonical, stamp)) = stamp(binary) else {
        return;
    };
    let Some(key) = canonical.to_str() else {
        return;
    };
    let mut entries = read(cache);
    if entries.len() >= MAX_ENTRIES {
        entries.clear();
    }
    entries.insert(
        key.to_string(),
        Entry {
            stamp,
            kind,
            version: version.to_string(),
        },
    );
    let Ok(bytes) = serde_json::to_vec_pretty(&entries) else {
        return;
    };
    let tmp = cache.with_extension(format!("{}.tmp", std::process::id()));
    if write_private(&tmp, &bytes).is_err() || std::fs::rename(&tmp, cache).is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
}

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
    use std::os::unix::fs::PermissionsExt as _;

    #[test]
    fn an_answer_is_reused_until_the_binary_changes() {
        let dir = tempfile::tempdir().unwrap();
        let bin = dir.path().join("terraform");
        std::fs::write(&bin, "#!/bin/sh\necho one\n").unwrap();
        let cache = dir.path().join("engine-versions.json");
        assert_eq!(lookup(&cache, &bin), None);
        store(&cache, &bin, EngineKind::Terraform, "1.0.3");
        // What another process reads back from the file.
        let entries = read(&cache);
        assert_eq!(entries.len(), 1, "{entries:?}");
        assert_eq!(
            lookup(&cache, &bin),
            Some((EngineKind::Terraform, "1.0.3".to_string()))
        );
        assert_eq!(
            std::fs::metadata(&cache).unwrap().permissions().mode() & 0o777,
            0o600
        );
        // Through a link: the same file, the same answer.
        let link = dir.path().join("tf-link");
        std::os::unix::fs::symlink(&bin, &link).unwrap();
        assert!(lookup(&cache, &link).is_some());
        // Rewritten in place with the same size: the change time moves, the answer is dropped.
        std::thread::sleep(std::time::Duration::from_millis(20));
        std::fs::write(&bin, "#!/bin/sh\necho two\n").unwrap();
        assert_eq!(lookup(&cache, &bin), None);
    }

    #[test]
    fn a_corrupt_cache_is_ignored_and_replaced() {
        let dir = tempfile::tempdir().unwrap();
        let bin = dir.path().join("tofu");
        std::fs::write(&bin, "x").unwrap();
        let cache = dir.path().join("engine-versions.json");
        std::fs::write(&cache, "{not json").unwrap();
        assert_eq!(lookup(&cache, &bin), None);
        store(&cache, &bin, EngineKind::OpenTofu, "1.6.2");
        assert_eq!(
            lookup(&cache, &bin),
            Some((EngineKind::OpenTofu, "1.6.2".to_string()))
        );
    }
}
