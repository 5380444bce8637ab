//! Sealing over the directory store, and loading the server key.

use crate::sealed_suite::{self as suite, plan_bytes, sha, PLANTED};
use ferry_store::sealed::sealed_id;
use ferry_store::*;
use std::path::Path;
use std::sync::Arc;

fn dir_store() -> (tempfile::TempDir, Arc<dyn ArtifactStore>) {
    let dir = tempfile::tempdir().unwrap();
    let store: Arc<dyn ArtifactStore> = Arc::new(DirArtifactStore::new(&dir.path().join("data")));
    (dir, store)
}

#[test]
fn sealed_dir_round_trips_and_hides_the_secret() {
    let (dir, inner) = dir_store();
    suite::round_trips_and_hides_the_secret(inner, dir.path());
    // Byte for byte, no file under the data directory holds the secret.
    for entry in walk(&dir.path().join("data")) {
        let bytes = std::fs::read(&entry).unwrap();
        assert!(
            !bytes
                .windows(PLANTED.len())
                .any(|w| w == PLANTED.as_bytes()),
            "{} holds the secret in clear",
            entry.display()
        );
    }
}

fn walk(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            out.extend(walk(&p));
        } else {
            out.push(p);
        }
    }
    out
}

#[test]
fn sealed_dir_wrong_ids_and_missing() {
    suite::wrong_ids_and_missing(dir_store().1);
}

#[test]
fn sealed_dir_another_key_is_refused() {
    suite::another_key_is_refused(dir_store().1);
}

#[test]
fn sealed_dir_modified_ciphertext_is_refused() {
    suite::modified_ciphertext_is_refused(dir_store().1);
}

#[test]
fn sealed_dir_swapped_artifacts_are_refused() {
    suite::swapped_artifacts_are_refused(dir_store().1);
}

#[test]
fn sealed_dir_bundles_pass_through_in_clear() {
    suite::bundles_pass_through_in_clear(dir_store().1);
}

#[test]
fn sealed_dir_ciphertext_is_owner_only_and_removable() {
    let (dir, inner) = dir_store();
    let store = SealedArtifacts::new(inner, ServerKey::generate());
    let bytes = plan_bytes("perm", 10);
    let hex = sha(&bytes);
    store
        .put_bytes(ArtifactKind::PlanFile, &hex, &bytes)
        .unwrap();
    let at = DirArtifactStore::new(&dir.path().join("data")).path_of(
        ArtifactKind::Sealed,
        &sealed_id(ArtifactKind::PlanFile, &hex),
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&at).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o400);
    }
    assert!(store.remove(ArtifactKind::PlanFile, &hex).unwrap() > 0);
    assert!(!at.exists());
    assert!(!store.exists(ArtifactKind::PlanFile, &hex).unwrap());
}

#[test]
fn a_key_file_round_trips_and_is_owner_only() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("server.key");
    let key = ServerKey::write_new(&path).unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
    }
    let loaded = ServerKey::from_file(&path).unwrap();
    assert_eq!(loaded.id(), key.id());
    // A key opens what it sealed after a reload (the file holds the key, not a fresh one).
    let (_d, inner) = dir_store();
    let bytes = plan_bytes("reload", 3000);
    let hex = sha(&bytes);
    SealedArtifacts::new(inner.clone(), key)
        .put_bytes(ArtifactKind::PlanJson, &hex, &bytes)
        .unwrap();
    assert_eq!(
        sha(&SealedArtifacts::new(inner, loaded)
            .get_bytes(ArtifactKind::PlanJson, &hex)
            .unwrap()),
        sha(&bytes)
    );
    match ServerKey::write_new(&path) {
        Err(e @ KeyError::Exists { .. }) => assert!(e.to_string().contains("never overwrites")),
        o => panic!("{o:?}"),
    }
}

#[cfg(unix)]
#[test]
fn a_key_file_others_can_read_is_refused_naming_chmod() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("server.key");
    let secret = "ab".repeat(32);
    std::fs::write(&path, format!("{secret}\n")).unwrap();
    for mode in [0o644, 0o640, 0o604] {
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(mode)).unwrap();
        let e = ServerKey::from_file(&path).unwrap_err();
        let m = e.to_string();
        assert!(matches!(e, KeyError::Permissions { .. }), "{m}");
        assert!(m.contains(&format!("chmod 600 {}", path.display())), "{m}");
        assert!(!m.contains(&secret), "{m}");
    }
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
    ServerKey::from_file(&path).unwrap();
}

#[test]
fn keys_parse_from_hex_or_base64_and_never_print() {
    use base64::Engine as _;
    let raw = [7u8; 32];
    let hex_text = format!("  {}\n", hex::encode(raw));
    let b64 = base64::engine::general_purpose::STANDARD.encode(raw);
    let a = ServerKey::from_env_value("FERRY_SERVER_KEY", &hex_text).unwrap();
    let b = ServerKey::from_env_value("FERRY_SERVER_KEY", &format!("{b64}\n")).unwrap();
    assert_eq!(a.id(), b.id());
    assert_eq!(format!("{a:?}"), "ServerKey(<redacted>)");
    let store = SealedArtifacts::new(dir_store().1, a);
    assert!(!format!("{store:?}").contains(&hex::encode(raw)));
    for bad in [
        "",
        "abc",
        &hex::encode([1u8; 31]),
        &"zz".repeat(32),
        "not base64 at all!",
    ] {
        let e = ServerKey::from_env_value("FERRY_SERVER_KEY", bad).unwrap_err();
        let m = e.to_string();
        assert!(
            m.contains("$FERRY_SERVER_KEY") && m.contains("32 bytes"),
            "{m}"
        );
        if bad.len() > 3 {
            assert!(!m.contains(bad), "the key text is never echoed: {m}");
        }
    }
    assert_ne!(ServerKey::generate().id(), ServerKey::generate().id());
}
