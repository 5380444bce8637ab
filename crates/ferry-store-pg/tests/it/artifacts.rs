//! The PostgreSQL artifact store on a real server: chunked round trips, idempotent and atomic
//! puts, tampered rows refused on read, one store shared by several handles, and sealing on top.

use crate::sealed_suite::{self as suite, plan_bytes, sha, PLANTED};
use crate::server;
use ferry_store::sealed::sealed_id;
use ferry_store::*;
use ferry_store_pg::{PgArtifactStore, CHUNK};
use std::sync::Arc;

fn sql(url: &str) -> postgres::Client {
    postgres::Client::connect(url, postgres::NoTls).unwrap()
}

fn count(url: &str, q: &str) -> i64 {
    sql(url).query_one(q, &[]).unwrap().get(0)
}

#[test]
fn small_and_multi_chunk_artifacts_round_trip() {
    let Some(server) = server() else { return };
    let url = server.fresh_database("art_rt").unwrap();
    let store = PgArtifactStore::connect(&url).unwrap();
    let dir = tempfile::tempdir().unwrap();
    for (len, chunks) in [(0usize, 0i64), (100, 1), (CHUNK, 1), (9 << 20, 3)] {
        let bytes = plan_bytes(&format!("rt{len}"), len);
        let hex = sha(&bytes);
        let src = dir.path().join(format!("src-{len}"));
        std::fs::write(&src, &bytes).unwrap();
        store.put_file(ArtifactKind::PlanJson, &hex, &src).unwrap();
        store
            .put_bytes(ArtifactKind::PlanFile, &hex, &bytes)
            .unwrap();
        for kind in [ArtifactKind::PlanJson, ArtifactKind::PlanFile] {
            assert!(store.exists(kind, &hex).unwrap());
            assert_eq!(sha(&store.get_bytes(kind, &hex).unwrap()), sha(&bytes));
            let dest = dir.path().join("out/nested").join(format!("{len}"));
            store.fetch_to(kind, &hex, &dest).unwrap();
            assert_eq!(sha(&std::fs::read(&dest).unwrap()), sha(&bytes));
            #[cfg(unix)]
            {
                use std::os::unix::fs::PermissionsExt;
                let mode = std::fs::metadata(&dest).unwrap().permissions().mode() & 0o777;
                assert_eq!(mode, 0o600);
            }
            assert_eq!(store.verified_path(kind, &hex).unwrap(), None);
        }
        let n = count(
            &url,
            &format!(
                "SELECT count(*) FROM artifact_chunks WHERE id = '{hex}' AND kind = 'plan-json'"
            ),
        );
        assert_eq!(n, chunks, "{len} bytes in {CHUNK}-byte chunks");
    }
    // No temp file left beside the fetched ones.
    let names: Vec<_> = std::fs::read_dir(dir.path().join("out/nested"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert!(names.iter().all(|n| !n.starts_with('.')), "{names:?}");
}

#[test]
fn puts_are_idempotent_and_refuse_bytes_that_do_not_match_the_id() {
    let Some(server) = server() else { return };
    let url = server.fresh_database("art_idem").unwrap();
    let store = Arc::new(PgArtifactStore::connect(&url).unwrap());
    let bytes = plan_bytes("idem", CHUNK + 7);
    let hex = sha(&bytes);
    // Four handles putting the same artifact at once: all succeed, one copy.
    let handles: Vec<_> = (0..4)
        .map(|_| {
            let url = url.clone();
            let bytes = bytes.clone();
            let hex = hex.clone();
            std::thread::spawn(move || {
                PgArtifactStore::connect(&url).unwrap().put_bytes(
                    ArtifactKind::PlanFile,
                    &hex,
                    &bytes,
                )
            })
        })
        .collect();
    for h in handles {
        h.join().unwrap().unwrap();
    }
    store
        .put_bytes(ArtifactKind::PlanFile, &hex, &bytes)
        .unwrap();
    assert_eq!(count(&url, "SELECT count(*) FROM artifacts"), 1);
    assert_eq!(count(&url, "SELECT count(*) FROM artifact_chunks"), 2);
    assert_eq!(
        sha(&store.get_bytes(ArtifactKind::PlanFile, &hex).unwrap()),
        sha(&bytes)
    );

    // A file whose bytes are not its id: refused after streaming, and the transaction leaves
    // neither header nor chunks behind.
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("big");
    std::fs::write(&src, plan_bytes("other", 2 * CHUNK + 1)).unwrap();
    let wrong = sha(b"not these bytes");
    match store.put_file(ArtifactKind::PlanJson, &wrong, &src) {
        Err(StoreError::Tampered { kind, id }) => {
            assert_eq!((kind.as_str(), id.as_str()), ("plan JSON", wrong.as_str()))
        }
        o => panic!("{o:?}"),
    }
    assert!(!store.exists(ArtifactKind::PlanJson, &wrong).unwrap());
    assert_eq!(count(&url, "SELECT count(*) FROM artifact_chunks"), 2);
    // Removal frees the artifact and its chunks.
    assert_eq!(
        store.remove(ArtifactKind::PlanFile, &hex).unwrap(),
        bytes.len() as u64
    );
    assert_eq!(count(&url, "SELECT count(*) FROM artifact_chunks"), 0);
    assert_eq!(store.remove(ArtifactKind::PlanFile, &hex).unwrap(), 0);
}

#[test]
fn a_chunk_changed_behind_the_stores_back_is_refused() {
    let Some(server) = server() else { return };
    let url = server.fresh_database("art_tamper").unwrap();
    let store = PgArtifactStore::connect(&url).unwrap();
    let bytes = plan_bytes("t", 2 * CHUNK + 10);
    let hex = sha(&bytes);
    store
        .put_bytes(ArtifactKind::PlanJson, &hex, &bytes)
        .unwrap();
    let bundle = plan_bytes("bundle", CHUNK + 3);
    let bundle_id = sha(b"decompressed");
    store
        .put_bytes(ArtifactKind::ReleaseBundle, &bundle_id, &bundle)
        .unwrap();
    sql(&url)
        .batch_execute(
            "UPDATE artifact_chunks SET data = overlay(data placing '\\x58'::bytea from 100 for 1) WHERE n = 1",
        )
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let dest = dir.path().join("plan.json");
    std::fs::write(&dest, b"previous").unwrap();
    for (kind, id) in [
        (ArtifactKind::PlanJson, &hex),
        (ArtifactKind::ReleaseBundle, &bundle_id),
    ] {
        let e = store.get_bytes(kind, id).map(|b| b.len()).unwrap_err();
        assert!(matches!(e, StoreError::Tampered { .. }), "{e:?}");
        let m = e.to_string();
        assert!(m.contains(kind.as_str()) && m.contains(id.as_str()), "{m}");
        assert!(store.fetch_to(kind, id, &dest).is_err());
        assert_eq!(
            sha(&std::fs::read(&dest).unwrap()),
            sha(b"previous"),
            "dest untouched"
        );
    }
    // A missing chunk is refused too (incomplete, not short data).
    sql(&url)
        .batch_execute("DELETE FROM artifact_chunks WHERE n = 2")
        .unwrap();
    assert!(matches!(
        store.get_bytes(ArtifactKind::PlanJson, &hex),
        Err(StoreError::Tampered { .. })
    ));
}

#[test]
fn missing_artifacts_and_bad_ids_are_not_found() {
    let Some(server) = server() else { return };
    let url = server.fresh_database("art_missing").unwrap();
    let store = PgArtifactStore::connect(&url).unwrap();
    let hex = sha(b"never stored");
    match store.get_bytes(ArtifactKind::PlanFile, &hex) {
        Err(StoreError::NotFound(m)) => {
            assert!(m.contains("plan file") && m.contains(&hex), "{m}");
            assert!(!m.contains(server.secrets()[1]), "{m}");
        }
        o => panic!("{o:?}"),
    }
    let dir = tempfile::tempdir().unwrap();
    assert!(matches!(
        store.fetch_to(ArtifactKind::PlanJson, &hex, &dir.path().join("x")),
        Err(StoreError::NotFound(_))
    ));
    assert!(!dir.path().join("x").exists());
    assert!(!store.exists(ArtifactKind::PlanFile, &hex).unwrap());
    for bad in ["../../etc/passwd", "abc", &"g".repeat(64)] {
        assert!(matches!(
            store.get_bytes(ArtifactKind::PlanJson, bad),
            Err(StoreError::NotFound(_))
        ));
        assert!(matches!(
            store.put_bytes(ArtifactKind::ReleaseBundle, bad, b"x"),
            Err(StoreError::NotFound(_))
        ));
    }
}

#[test]
fn two_stores_on_one_database_see_the_same_artifact() {
    let Some(server) = server() else { return };
    let url = server.fresh_database("art_two").unwrap();
    let a = PgArtifactStore::connect(&url).unwrap();
    let b = PgArtifactStore::connect(&url).unwrap();
    let bytes = plan_bytes("two", CHUNK * 2);
    let hex = sha(&bytes);
    assert!(!b.exists(ArtifactKind::PlanFile, &hex).unwrap());
    a.put_bytes(ArtifactKind::PlanFile, &hex, &bytes).unwrap();
    assert!(b.exists(ArtifactKind::PlanFile, &hex).unwrap());
    assert_eq!(
        sha(&b.get_bytes(ArtifactKind::PlanFile, &hex).unwrap()),
        sha(&bytes)
    );
    // The ledger on the same database still works beside it (one schema, both migrations).
    let ledger = ferry_store_pg::PgLedger::connect(&url).unwrap();
    assert!(ledger.releases().unwrap().is_empty());
}

#[test]
fn a_database_that_goes_down_is_unavailable_and_names_no_password() {
    if server().is_none() {
        return;
    }
    let own = ferry_testkit::PgServer::start().unwrap();
    let url = own.url();
    let password = own.secrets()[1].to_string();
    let store = PgArtifactStore::connect(&url).unwrap();
    let bytes = plan_bytes("down", 10);
    let hex = sha(&bytes);
    store
        .put_bytes(ArtifactKind::PlanFile, &hex, &bytes)
        .unwrap();
    own.stop().unwrap();
    for r in [
        store.get_bytes(ArtifactKind::PlanFile, &hex).map(|_| ()),
        store.get_bytes(ArtifactKind::PlanFile, &hex).map(|_| ()),
        store.put_bytes(ArtifactKind::PlanJson, &hex, &bytes),
    ] {
        match r {
            Err(e @ StoreError::Unavailable { .. }) => {
                assert!(!e.to_string().contains(&password), "{e}")
            }
            o => panic!("expected Unavailable, got {o:?}"),
        }
    }
    let e = PgArtifactStore::connect("postgres://u:s3cret-zz9@127.0.0.1:1/ferry").unwrap_err();
    assert!(matches!(e, StoreError::Unavailable { .. }), "{e:?}");
    assert!(!e.to_string().contains("s3cret-zz9"), "{e}");
}

fn pg_store(prefix: &str) -> Option<(String, Arc<dyn ArtifactStore>)> {
    let server = server()?;
    let url = server.fresh_database(prefix).unwrap();
    let store: Arc<dyn ArtifactStore> = Arc::new(PgArtifactStore::connect(&url).unwrap());
    Some((url, store))
}

#[test]
fn sealed_pg_round_trips_and_the_table_never_holds_the_secret() {
    let Some((url, inner)) = pg_store("sealed_rt") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    suite::round_trips_and_hides_the_secret(inner, dir.path());
    let mut c = sql(&url);
    let total: i64 = c
        .query_one("SELECT count(*) FROM artifact_chunks", &[])
        .unwrap()
        .get(0);
    assert!(total > 0);
    let with_secret: i64 = c
        .query_one(
            "SELECT count(*) FROM artifact_chunks WHERE position(convert_to($1, 'UTF8') in data) > 0",
            &[&PLANTED],
        )
        .unwrap()
        .get(0);
    assert_eq!(with_secret, 0);
    // Only sealed blobs: every row sits in the opaque slot under a derived id.
    let kinds: i64 = c
        .query_one("SELECT count(*) FROM artifacts WHERE kind <> 'sealed'", &[])
        .unwrap()
        .get(0);
    assert_eq!(kinds, 0);
    let probe = plan_bytes("rt0", 0);
    let derived = sealed_id(ArtifactKind::PlanFile, &sha(&probe));
    let found: i64 = c
        .query_one("SELECT count(*) FROM artifacts WHERE id = $1", &[&derived])
        .unwrap()
        .get(0);
    assert_eq!(found, 1);
}

#[test]
fn sealed_pg_wrong_ids_and_missing() {
    let Some((_, inner)) = pg_store("sealed_missing") else {
        return;
    };
    suite::wrong_ids_and_missing(inner);
}

#[test]
fn sealed_pg_another_key_is_refused() {
    let Some((_, inner)) = pg_store("sealed_key") else {
        return;
    };
    suite::another_key_is_refused(inner);
}

#[test]
fn sealed_pg_modified_ciphertext_is_refused() {
    let Some((_, inner)) = pg_store("sealed_mod") else {
        return;
    };
    suite::modified_ciphertext_is_refused(inner);
}

#[test]
fn sealed_pg_swapped_artifacts_are_refused() {
    let Some((_, inner)) = pg_store("sealed_swap") else {
        return;
    };
    suite::swapped_artifacts_are_refused(inner);
}

#[test]
fn sealed_pg_bundles_pass_through_in_clear() {
    let Some((_, inner)) = pg_store("sealed_bundle") else {
        return;
    };
    suite::bundles_pass_through_in_clear(inner);
}
