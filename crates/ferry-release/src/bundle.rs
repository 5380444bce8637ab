//! The canonical bundle: a tar whose bytes depend only on the entries. Entries are sorted
//! bytewise, every header has mtime 0, uid/gid 0, no user/group names and a mode fixed by kind,
//! and the manifest comes first. The release id is the SHA-256 of exactly these bytes.

use crate::error::ReleaseError;
use crate::manifest::{Manifest, FORMAT, MANIFEST_NAME};
use crate::paths::{chain_problem, entry_path_problem, symlink_target_problem};
use crate::tree::{EntryKind, TreeEntry};
use sha2::{Digest, Sha256};
use std::io::Read;
use tar::{EntryType, Header};

const MODE_FILE: u32 = 0o644;
const MODE_EXEC: u32 = 0o755;
const MODE_LINK: u32 = 0o777;

/// Provenance recorded in the manifest.
#[derive(Debug, Clone)]
pub(crate) struct Origin {
    pub commit: String,
    pub dirty: bool,
    pub subject: String,
    pub author: String,
}

pub(crate) fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

fn header(kind: EntryType, mode: u32, size: u64) -> Header {
    // GNU headers so that long paths and link targets use the GNU long-name records, which the
    // tar crate writes with the same fixed metadata.
    let mut h = Header::new_gnu();
    h.set_entry_type(kind);
    h.set_mode(mode);
    h.set_size(size);
    h.set_mtime(0);
    h.set_uid(0);
    h.set_gid(0);
    h
}

fn tar_err(e: std::io::Error, path: &str) -> ReleaseError {
    ReleaseError::unsafe_entry(path, format!("cannot be written to the bundle: {e}"))
}

/// Sorts the entries and encodes them, with their manifest, into canonical tar bytes.
pub(crate) fn build(
    origin: Origin,
    mut entries: Vec<TreeEntry>,
) -> Result<(Manifest, Vec<u8>), ReleaseError> {
    entries.sort_by(|a, b| a.path.as_bytes().cmp(b.path.as_bytes()));
    if let Some(pair) = entries.windows(2).find(|w| w[0].path == w[1].path) {
        return Err(ReleaseError::unsafe_entry(&pair[0].path, "listed twice"));
    }
    let manifest = Manifest {
        format: FORMAT,
        commit: origin.commit,
        dirty: origin.dirty,
        subject: origin.subject,
        author: origin.author,
        files: entries.iter().map(|e| e.path.clone()).collect(),
    };
    let json = manifest
        .to_canonical_json()
        .map_err(|e| ReleaseError::unsafe_entry(MANIFEST_NAME, e.to_string()))?;

    let mut tar = tar::Builder::new(Vec::new());
    let mut h = header(EntryType::Regular, MODE_FILE, json.len() as u64);
    tar.append_data(&mut h, MANIFEST_NAME, json.as_slice())
        .map_err(|e| tar_err(e, MANIFEST_NAME))?;
    for entry in &entries {
        match &entry.kind {
            EntryKind::File { data, executable } => {
                let mode = if *executable { MODE_EXEC } else { MODE_FILE };
                let mut h = header(EntryType::Regular, mode, data.len() as u64);
                tar.append_data(&mut h, &entry.path, data.as_slice())
                    .map_err(|e| tar_err(e, &entry.path))?;
            }
            EntryKind::Symlink { target } => {
                let mut h = header(EntryType::Symlink, MODE_LINK, 0);
                tar.append_link(&mut h, &entry.path, target)
                    .map_err(|e| tar_err(e, &entry.path))?;
            }
        }
    }
    let bytes = tar.into_inner().map_err(|e| tar_err(e, MANIFEST_NAME))?;
    Ok((manifest, bytes))
}

/// Why decoding failed: an entry that must never be extracted, or a bundle that is not ferry's.
#[derive(Debug)]
pub(crate) enum DecodeError {
    Unsafe { entry: String, reason: String },
    Malformed(String),
}

impl DecodeError {
    pub(crate) fn into_release_error(self, id: &ferry_core::ReleaseId) -> ReleaseError {
        match self {
            DecodeError::Unsafe { entry, reason } => ReleaseError::Unsafe { entry, reason },
            DecodeError::Malformed(reason) => ReleaseError::Malformed {
                id: id.clone(),
                reason,
            },
        }
    }
}

fn malformed(e: impl std::fmt::Display) -> DecodeError {
    DecodeError::Malformed(e.to_string())
}

fn utf8_name(bytes: &[u8]) -> Result<String, DecodeError> {
    String::from_utf8(bytes.to_vec()).map_err(|_| DecodeError::Unsafe {
        entry: String::from_utf8_lossy(bytes).into_owned(),
        reason: "name is not valid UTF-8".into(),
    })
}

/// Parses canonical tar bytes back into the manifest and entries, refusing anything a ferry
/// build would not have produced: unsafe paths or link targets, other entry kinds, a missing or
/// inconsistent manifest.
pub(crate) fn decode(bytes: &[u8]) -> Result<(Manifest, Vec<TreeEntry>), DecodeError> {
    let mut archive = tar::Archive::new(bytes);
    let mut manifest: Option<Manifest> = None;
    let mut entries = Vec::new();
    for entry in archive.entries().map_err(malformed)? {
        let mut entry = entry.map_err(malformed)?;
        let path = utf8_name(&entry.path_bytes())?;
        if let Some(reason) = entry_path_problem(&path) {
            return Err(DecodeError::Unsafe {
                entry: path,
                reason: reason.into(),
            });
        }
        let kind = entry.header().entry_type();
        if manifest.is_none() {
            if path != MANIFEST_NAME || !kind.is_file() {
                return Err(malformed(format!(
                    "first entry is '{path}', not {MANIFEST_NAME}"
                )));
            }
            let mut json = Vec::new();
            entry.read_to_end(&mut json).map_err(malformed)?;
            manifest = Some(serde_json::from_slice(&json).map_err(malformed)?);
            continue;
        }
        let kind = if kind.is_file() {
            let executable = entry.header().mode().map_err(malformed)? & 0o100 != 0;
            let mut data = Vec::new();
            entry.read_to_end(&mut data).map_err(malformed)?;
            EntryKind::File { data, executable }
        } else if kind.is_symlink() {
            let target = entry.link_name_bytes().map(|t| utf8_name(&t)).transpose()?;
            let target = target.unwrap_or_default();
            if let Some(reason) = symlink_target_problem(&path, &target) {
                return Err(DecodeError::Unsafe {
                    entry: path,
                    reason: reason.into(),
                });
            }
            EntryKind::Symlink { target }
        } else {
            return Err(DecodeError::Unsafe {
                entry: path,
                reason: format!("entry type {kind:?} is not allowed in a release"),
            });
        };
        entries.push(TreeEntry { path, kind });
    }
    let links: std::collections::BTreeMap<&str, &str> = entries
        .iter()
        .filter_map(|e| match &e.kind {
            EntryKind::Symlink { target } => Some((e.path.as_str(), target.as_str())),
            EntryKind::File { .. } => None,
        })
        .collect();
    if let Some((entry, reason)) = chain_problem(&links) {
        return Err(DecodeError::Unsafe {
            entry,
            reason: reason.into(),
        });
    }
    let manifest = manifest.ok_or_else(|| malformed("bundle is empty"))?;
    if manifest.format != FORMAT {
        return Err(malformed(format!(
            "unsupported bundle format {}",
            manifest.format
        )));
    }
    let listed = entries.iter().map(|e| &e.path).eq(manifest.files.iter());
    if !listed {
        return Err(malformed("entries do not match the manifest's file list"));
    }
    Ok((manifest, entries))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
    use super::*;
    use proptest::prelude::*;

    fn origin() -> Origin {
        Origin {
            commit: "c".repeat(40),
            dirty: false,
            subject: "s".into(),
            author: "a@example.com".into(),
        }
    }

    fn file(path: &str, data: &[u8], executable: bool) -> TreeEntry {
        TreeEntry {
            path: path.into(),
            kind: EntryKind::File {
                data: data.into(),
                executable,
            },
        }
    }

    #[test]
    fn round_trips_files_links_and_long_names() {
        let long = format!("{}/main.tf", "deep".repeat(40));
        let entries = vec![
            file("b.tf", b"b", false),
            file("a/run.sh", b"#!/bin/sh\n", true),
            file(&long, b"long", false),
            TreeEntry {
                path: "a/link".into(),
                kind: EntryKind::Symlink {
                    target: format!("../{long}"),
                },
            },
        ];
        let (manifest, bytes) = build(origin(), entries.clone()).unwrap();
        assert_eq!(
            manifest.files,
            vec!["a/link", "a/run.sh", "b.tf", long.as_str()]
        );
        let (back, decoded) = decode(&bytes).unwrap();
        assert_eq!(back, manifest);
        let mut sorted = entries;
        sorted.sort_by(|a, b| a.path.cmp(&b.path));
        assert_eq!(decoded, sorted);
    }

    #[test]
    fn headers_carry_no_machine_metadata() {
        let (_, bytes) = build(origin(), vec![file("x", b"1", true)]).unwrap();
        let mut archive = tar::Archive::new(bytes.as_slice());
        for entry in archive.entries().unwrap() {
            let entry = entry.unwrap();
            let h = entry.header();
            assert_eq!(h.mtime().unwrap(), 0);
            assert_eq!((h.uid().unwrap(), h.gid().unwrap()), (0, 0));
            assert_eq!(h.username_bytes(), Some(&b""[..]));
            assert_eq!(h.groupname_bytes(), Some(&b""[..]));
        }
    }

    proptest! {
        #[test]
        fn bytes_do_not_depend_on_entry_order(
            files in proptest::collection::btree_map(
                "[a-z]{1,8}(/[a-z]{1,8}){0,2}",
                (proptest::collection::vec(any::<u8>(), 0..200), any::<bool>()),
                1..12,
            ),
            seed in any::<u64>(),
        ) {
            // A path cannot be both a file and a directory in a real tree.
            let paths: Vec<&String> = files.keys().collect();
            prop_assume!(!paths.iter().any(|p| paths.iter().any(|q| q.starts_with(&format!("{p}/")))));
            let entries: Vec<TreeEntry> =
                files.iter().map(|(p, (d, x))| file(p, d, *x)).collect();
            let mut shuffled = entries.clone();
            // Deterministic shuffle driven by the generated seed.
            let mut state = seed | 1;
            for i in (1..shuffled.len()).rev() {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                shuffled.swap(i, (state % (i as u64 + 1)) as usize);
            }
            let (_, a) = build(origin(), entries).unwrap();
            let (_, b) = build(origin(), shuffled).unwrap();
            prop_assert_eq!(sha256_hex(&a), sha256_hex(&b));
            prop_assert_eq!(a, b);
        }
    }
}
