//! Bundles that ferry would never build but an attacker (or a broken disk) could place in the
//! store under a correct hash: unpack must refuse them before writing anything outside `dest`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use ferry_release::{ReleaseError, ReleaseId, ReleaseStore};
use sha2::{Digest, Sha256};
use std::fs;
use tar::{EntryType, Header};

const MANIFEST: &str = ".ferry-release.json";

fn raw_header(name: &[u8], kind: EntryType, size: u64, link: &[u8]) -> Header {
    let mut h = Header::new_gnu();
    // Written byte by byte: the tar crate itself refuses to build '..' paths.
    h.as_old_mut().name[..name.len()].copy_from_slice(name);
    h.as_old_mut().linkname[..link.len()].copy_from_slice(link);
    h.set_entry_type(kind);
    h.set_size(size);
    h.set_mode(0o644);
    h.set_cksum();
    h
}

/// Stores a bundle whose manifest lists `files` and whose entries are `entries` (name, type,
/// content, link target), returning its id.
fn store_raw(
    store_dir: &std::path::Path,
    files: &[&str],
    entries: &[(&str, EntryType, &[u8], &str)],
) -> ReleaseId {
    let manifest = serde_json::json!({
        "format": 1, "commit": "0".repeat(40), "dirty": false,
        "subject": "evil", "author": "evil@example.com", "files": files,
    });
    let json = serde_json::to_vec(&manifest).unwrap();
    let mut tar = tar::Builder::new(Vec::new());
    tar.append(
        &raw_header(
            MANIFEST.as_bytes(),
            EntryType::Regular,
            json.len() as u64,
            b"",
        ),
        &json[..],
    )
    .unwrap();
    for (name, kind, data, link) in entries {
        let h = raw_header(name.as_bytes(), *kind, data.len() as u64, link.as_bytes());
        tar.append(&h, *data).unwrap();
    }
    let bytes = tar.into_inner().unwrap();
    let id = ReleaseId::from_hex(&hex::encode(Sha256::digest(&bytes))).unwrap();
    let store = ReleaseStore::new(store_dir);
    let path = store.path_of(&id);
    fs::create_dir_all(path.parent().unwrap()).unwrap();
    fs::write(&path, zstd::bulk::compress(&bytes, 3).unwrap()).unwrap();
    id
}

fn assert_refused(files: &[&str], entries: &[(&str, EntryType, &[u8], &str)]) {
    let dir = tempfile::tempdir().unwrap();
    let id = store_raw(&dir.path().join("data"), files, entries);
    let store = ReleaseStore::new(&dir.path().join("data"));
    let dest = dir.path().join("sandbox/work");
    let err = store.unpack(&id, &dest).unwrap_err();
    assert!(matches!(err, ReleaseError::Unsafe { .. }), "{err}");
    assert!(err.to_string().contains("refusing entry"), "{err}");
    assert!(!dir.path().join("sandbox/evil").exists());
    assert!(!dest.exists(), "nothing is written from a refused bundle");
    // verify applies the same checks, so a bad bundle never looks good.
    assert!(matches!(
        store.verify(&id),
        Err(ReleaseError::Unsafe { .. })
    ));
}

#[test]
fn parent_traversal_is_refused() {
    assert_refused(
        &["../evil"],
        &[("../evil", EntryType::Regular, b"pwned", "")],
    );
}

#[test]
fn nested_parent_traversal_is_refused() {
    assert_refused(
        &["a/../../evil"],
        &[("a/../../evil", EntryType::Regular, b"pwned", "")],
    );
}

#[test]
fn absolute_paths_are_refused() {
    assert_refused(
        &["/tmp/evil"],
        &[("/tmp/evil", EntryType::Regular, b"pwned", "")],
    );
}

#[test]
fn escaping_symlinks_are_refused() {
    assert_refused(&["link"], &[("link", EntryType::Symlink, b"", "../evil")]);
    assert_refused(&["link"], &[("link", EntryType::Symlink, b"", "/etc")]);
}

#[test]
fn a_chain_of_links_each_inside_on_its_own_is_refused_when_together_they_escape() {
    // `d -> .` and `t -> d/../x`: lexically both stay inside; unpacked, t is ../x.
    assert_refused(
        &["d", "t"],
        &[
            ("d", EntryType::Symlink, b"", "."),
            ("t", EntryType::Symlink, b"", "d/../x"),
        ],
    );
    assert_refused(
        &["x", "y"],
        &[
            ("x", EntryType::Symlink, b"", "y"),
            ("y", EntryType::Symlink, b"", "x"),
        ],
    );
}

#[test]
fn hard_links_and_devices_are_refused() {
    assert_refused(&["x"], &[("x", EntryType::Link, b"", "ferry.toml")]);
    assert_refused(&["x"], &[("x", EntryType::Char, b"", "")]);
}

#[test]
fn a_bundle_without_a_consistent_manifest_is_malformed() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let id = store_raw(&data, &["a"], &[("b", EntryType::Regular, b"x", "")]);
    let err = ReleaseStore::new(&data).verify(&id).unwrap_err();
    assert!(matches!(err, ReleaseError::Malformed { .. }), "{err}");
}

#[test]
fn a_well_formed_hand_made_bundle_unpacks() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let id = store_raw(
        &data,
        &["a/link", "b.tf"],
        &[
            ("a/link", EntryType::Symlink, b"", "../b.tf"),
            ("b.tf", EntryType::Regular, b"ok", ""),
        ],
    );
    let dest = dir.path().join("work");
    ReleaseStore::new(&data).unpack(&id, &dest).unwrap();
    assert_eq!(fs::read_to_string(dest.join("a/link")).unwrap(), "ok");
}
