//! What sealing must guarantee over any inner store; run over the directory store here and over
//! PostgreSQL in ferry-store-pg's tests (which include this file by path). Every tamper goes
//! through the inner store's own bundle slot (`remove` + `put_bytes`), which the inner store
//! does not hash-check, so it is the AEAD that must refuse the result.

use ferry_store::sealed::{sealed_id, SEGMENT};
use ferry_store::*;
use sha2::{Digest, Sha256};
use std::sync::Arc;

pub const PLANTED: &str = "planted-s3cr3t-db-password";

pub fn sha(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// Plan-JSON-like bytes of `len` holding the planted secret (and a distinguishing tag).
pub fn plan_bytes(tag: &str, len: usize) -> Vec<u8> {
    let unit = format!("{{\"tag\":\"{tag}\",\"password\":\"{PLANTED}\"}}\n");
    unit.bytes().cycle().take(len).collect()
}

pub fn sealed_over(inner: &Arc<dyn ArtifactStore>, key: &ServerKey) -> SealedArtifacts {
    SealedArtifacts::new(inner.clone(), key.clone())
}

/// The ciphertext as the inner store holds it.
pub fn raw(inner: &Arc<dyn ArtifactStore>, kind: ArtifactKind, hex: &str) -> Vec<u8> {
    inner
        .get_bytes(ArtifactKind::Sealed, &sealed_id(kind, hex))
        .unwrap()
}

/// Replaces the ciphertext behind the sealed store's back.
pub fn replace_raw(inner: &Arc<dyn ArtifactStore>, kind: ArtifactKind, hex: &str, bytes: &[u8]) {
    let id = sealed_id(kind, hex);
    inner.remove(ArtifactKind::Sealed, &id).unwrap();
    inner.put_bytes(ArtifactKind::Sealed, &id, bytes).unwrap();
    assert_eq!(
        sha(&raw(inner, kind, hex)),
        sha(bytes),
        "the tamper must land"
    );
}

fn contains(hay: &[u8], needle: &str) -> bool {
    hay.windows(needle.len()).any(|w| w == needle.as_bytes())
}

pub fn assert_tampered(r: Result<Vec<u8>>, kind: ArtifactKind, hex: &str) {
    match r {
        Err(StoreError::Tampered { kind: k, id }) => {
            assert_eq!(k, kind.as_str());
            assert_eq!(id, hex);
        }
        other => panic!("expected Tampered, got {other:?}"),
    }
}

/// Round trips through every read path at sizes around the segment boundary; the ciphertext
/// never holds the secret; a second put is a no-op.
pub fn round_trips_and_hides_the_secret(inner: Arc<dyn ArtifactStore>, scratch: &std::path::Path) {
    let key = ServerKey::generate();
    let store = sealed_over(&inner, &key).with_scratch_dir(&scratch.join("scratch"));
    for (i, len) in [0, 100, SEGMENT, SEGMENT + 1, 3 * SEGMENT + 5]
        .into_iter()
        .enumerate()
    {
        let bytes = plan_bytes(&format!("rt{i}"), len);
        let hex = sha(&bytes);
        let src = scratch.join(format!("src-{i}"));
        std::fs::write(&src, &bytes).unwrap();
        store.put_file(ArtifactKind::PlanFile, &hex, &src).unwrap();
        store
            .put_bytes(ArtifactKind::PlanJson, &hex, &bytes)
            .unwrap();
        for kind in [ArtifactKind::PlanFile, ArtifactKind::PlanJson] {
            assert!(store.exists(kind, &hex).unwrap());
            assert_eq!(
                sha(&store.get_bytes(kind, &hex).unwrap()),
                sha(&bytes),
                "{len}"
            );
            let dest = scratch.join(format!("out/{i}-{}", kind.as_str()));
            store.fetch_to(kind, &hex, &dest).unwrap();
            assert_eq!(sha(&std::fs::read(&dest).unwrap()), sha(&bytes), "{len}");
            assert_eq!(store.verified_path(kind, &hex).unwrap(), None);
            let ct = raw(&inner, kind, &hex);
            assert!(ct.len() > bytes.len(), "sealed adds a header and tags");
            if len > 0 {
                assert!(!contains(&ct, PLANTED), "ciphertext holds the secret");
            }
            // Not stored in clear under the plaintext id either.
            assert!(!inner.exists(kind, &hex).unwrap());
            // Idempotent: the same content again keeps the first ciphertext.
            store.put_bytes(kind, &hex, &bytes).unwrap();
            assert_eq!(sha(&raw(&inner, kind, &hex)), sha(&ct));
        }
    }
    // Nothing but ciphertext passed through the scratch directory, and nothing stays there.
    let left: Vec<_> = std::fs::read_dir(scratch.join("scratch"))
        .unwrap()
        .collect();
    assert!(left.is_empty(), "{left:?}");
}

/// A put whose bytes do not hash to the id stores nothing; a missing artifact is NotFound.
pub fn wrong_ids_and_missing(inner: Arc<dyn ArtifactStore>) {
    let store = sealed_over(&inner, &ServerKey::generate());
    let bytes = plan_bytes("w", 1000);
    let other = sha(b"something else");
    assert!(matches!(
        store.put_bytes(ArtifactKind::PlanFile, &other, &bytes),
        Err(StoreError::Tampered { .. })
    ));
    assert!(!store.exists(ArtifactKind::PlanFile, &other).unwrap());
    match store.get_bytes(ArtifactKind::PlanJson, &other) {
        Err(StoreError::NotFound(m)) => {
            assert!(m.contains("plan JSON") && m.contains(&other), "{m}")
        }
        o => panic!("{o:?}"),
    }
    let dir = tempfile::tempdir().unwrap();
    assert!(matches!(
        store.fetch_to(ArtifactKind::PlanFile, &other, &dir.path().join("x")),
        Err(StoreError::NotFound(_))
    ));
    assert!(!dir.path().join("x").exists());
}

/// Another server key cannot open it, and says so (not "tampered", not garbage).
pub fn another_key_is_refused(inner: Arc<dyn ArtifactStore>) {
    let key = ServerKey::generate();
    let bytes = plan_bytes("k", 2 * SEGMENT);
    let hex = sha(&bytes);
    sealed_over(&inner, &key)
        .put_bytes(ArtifactKind::PlanFile, &hex, &bytes)
        .unwrap();
    let other = sealed_over(&inner, &ServerKey::generate());
    match other.get_bytes(ArtifactKind::PlanFile, &hex) {
        Err(e @ StoreError::Corrupt { .. }) => {
            let m = e.to_string();
            assert!(
                m.contains("another server key") && m.contains(&key.id()),
                "{m}"
            );
            assert!(m.contains(&hex), "{m}");
        }
        o => panic!("expected the wrong key to be named, got {o:?}"),
    }
    let dir = tempfile::tempdir().unwrap();
    let dest = dir.path().join("plan");
    assert!(other.fetch_to(ArtifactKind::PlanFile, &hex, &dest).is_err());
    assert!(!dest.exists(), "nothing half-written");
    assert_eq!(
        sha(&sealed_over(&inner, &key)
            .get_bytes(ArtifactKind::PlanFile, &hex)
            .unwrap()),
        sha(&bytes)
    );
}

/// Any modified, dropped, reordered or appended byte range is refused.
pub fn modified_ciphertext_is_refused(inner: Arc<dyn ArtifactStore>) {
    let store = sealed_over(&inner, &ServerKey::generate());
    let kind = ArtifactKind::PlanJson;
    // 3.5 segments: three full ones and a short last one.
    let bytes = plan_bytes("m", 3 * SEGMENT + SEGMENT / 2);
    let hex = sha(&bytes);
    store.put_bytes(kind, &hex, &bytes).unwrap();
    let ct = raw(&inner, kind, &hex);
    let header = ct.len() - bytes.len() - 4 * 16;
    let seg = SEGMENT + 16;

    let mut flipped = ct.clone();
    flipped[header + seg + 12345] ^= 0x01;
    let mut prefix_flipped = ct.clone();
    prefix_flipped[header - 1] ^= 0x80;
    let last_dropped = ct[..header + 3 * seg].to_vec();
    let two_dropped = ct[..header + 2 * seg].to_vec();
    let cut_mid = ct[..ct.len() - 100].to_vec();
    let mut reordered = ct[..header].to_vec();
    reordered.extend_from_slice(&ct[header + seg..header + 2 * seg]);
    reordered.extend_from_slice(&ct[header..header + seg]);
    reordered.extend_from_slice(&ct[header + 2 * seg..]);
    let mut appended = ct.clone();
    appended.extend_from_slice(&ct[header..header + seg]);
    let header_only = ct[..header].to_vec();
    for (what, bad) in [
        ("flipped byte", flipped),
        ("flipped nonce prefix", prefix_flipped),
        ("last segment dropped", last_dropped),
        ("two segments dropped", two_dropped),
        ("cut mid-segment", cut_mid),
        ("segments reordered", reordered),
        ("segment appended", appended),
        ("header only", header_only),
        ("empty", Vec::new()),
    ] {
        replace_raw(&inner, kind, &hex, &bad);
        let r = store.get_bytes(kind, &hex);
        assert!(
            matches!(&r, Err(StoreError::Tampered { .. })),
            "{what}: {:?}",
            r.as_ref().map(|b| b.len())
        );
        let dir = tempfile::tempdir().unwrap();
        let dest = dir.path().join("out");
        std::fs::write(&dest, b"previous").unwrap();
        assert!(store.fetch_to(kind, &hex, &dest).is_err(), "{what}");
        assert_eq!(
            std::fs::read(&dest).unwrap(),
            b"previous",
            "{what}: dest untouched"
        );
    }
    replace_raw(&inner, kind, &hex, &ct);
    assert_eq!(
        sha(&store.get_bytes(kind, &hex).unwrap()),
        sha(&bytes),
        "the original still opens"
    );
}

/// Ciphertext moved to another artifact's slot (another id, or the same id of another kind) is
/// refused: the associated data names the kind and id.
pub fn swapped_artifacts_are_refused(inner: Arc<dyn ArtifactStore>) {
    let store = sealed_over(&inner, &ServerKey::generate());
    let a = plan_bytes("a", SEGMENT + 10);
    let b = plan_bytes("b", SEGMENT + 10);
    let (ha, hb) = (sha(&a), sha(&b));
    store.put_bytes(ArtifactKind::PlanFile, &ha, &a).unwrap();
    store.put_bytes(ArtifactKind::PlanFile, &hb, &b).unwrap();
    store.put_bytes(ArtifactKind::PlanJson, &ha, &a).unwrap();
    let ct_a = raw(&inner, ArtifactKind::PlanFile, &ha);
    replace_raw(&inner, ArtifactKind::PlanFile, &hb, &ct_a);
    assert_tampered(
        store.get_bytes(ArtifactKind::PlanFile, &hb),
        ArtifactKind::PlanFile,
        &hb,
    );
    replace_raw(&inner, ArtifactKind::PlanJson, &ha, &ct_a);
    assert_tampered(
        store.get_bytes(ArtifactKind::PlanJson, &ha),
        ArtifactKind::PlanJson,
        &ha,
    );
    // A's own slot still opens.
    assert_eq!(
        sha(&store.get_bytes(ArtifactKind::PlanFile, &ha).unwrap()),
        sha(&a)
    );
}

/// Release bundles are code, verified by their hash: stored as given, under their own id.
pub fn bundles_pass_through_in_clear(inner: Arc<dyn ArtifactStore>) {
    let store = sealed_over(&inner, &ServerKey::generate());
    let bundle = plan_bytes("bundle", 5000);
    let id = sha(b"the decompressed tar");
    store
        .put_bytes(ArtifactKind::ReleaseBundle, &id, &bundle)
        .unwrap();
    assert_eq!(
        sha(&inner.get_bytes(ArtifactKind::ReleaseBundle, &id).unwrap()),
        sha(&bundle)
    );
    assert_eq!(
        sha(&store.get_bytes(ArtifactKind::ReleaseBundle, &id).unwrap()),
        sha(&bundle)
    );
    assert!(!inner
        .exists(
            ArtifactKind::Sealed,
            &sealed_id(ArtifactKind::ReleaseBundle, &id)
        )
        .unwrap());
}
