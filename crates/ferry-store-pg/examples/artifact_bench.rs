//! Put/get throughput of one large plan artifact: the directory store and PostgreSQL, each
//! plain and sealed, beside the floor (copying the file, and hashing it) in the same run.
//!
//! `cargo run --release -p ferry-store-pg --example artifact_bench -- [MB]` (default 100). Starts
//! its own PostgreSQL server (initdb/pg_ctl on PATH or /usr/local/bin), or uses
//! `FERRY_BENCH_PG_URL`. Each figure is one timed pass, MB/s of plaintext.

use ferry_store::*;
use ferry_store_pg::PgArtifactStore;
use std::path::Path;
use std::sync::Arc;
use std::time::Instant;

type Fallible<T> = std::result::Result<T, Box<dyn std::error::Error>>;

fn main() -> Fallible<()> {
    let mb: usize = std::env::args()
        .nth(1)
        .map(|a| a.parse())
        .transpose()?
        .unwrap_or(100);
    let dir = tempfile::tempdir()?;
    let src = dir.path().join("plan.json");
    // Plan-JSON-like and not trivially compressible: a counter in every line.
    let mut text = String::with_capacity(mb << 20);
    let mut i = 0u64;
    while text.len() < mb << 20 {
        text.push_str(&format!(
            "{{\"address\":\"module.m{i}.null_resource.r\",\"after\":{{\"triggers\":{{\"v\":\"{:x}\"}}}}}}\n",
            i.wrapping_mul(0x9e37_79b9_7f4a_7c15)
        ));
        i += 1;
    }
    text.truncate(mb << 20);
    std::fs::write(&src, text.as_bytes())?;
    drop(text);
    let hex = sha256_file(&src)?;
    let rate = |secs: f64| mb as f64 / secs;
    println!("{mb} MB plan JSON, MB/s (one pass each)");
    println!("{:<28} {:>9} {:>9}", "store", "put", "get");

    let t = Instant::now();
    std::fs::copy(&src, dir.path().join("copy"))?;
    let copy = rate(t.elapsed().as_secs_f64());
    let t = Instant::now();
    sha256_file(&src)?;
    let hash = rate(t.elapsed().as_secs_f64());
    println!(
        "{:<28} {:>9.0} {:>9.0}",
        "floor: fs::copy / sha256", copy, hash
    );

    let _server;
    let url = match std::env::var("FERRY_BENCH_PG_URL") {
        Ok(u) => u,
        Err(_) => {
            let s = ferry_testkit::PgServer::start()?;
            let u = s.url();
            _server = s;
            u
        }
    };
    let key = ServerKey::generate();
    let dir_plain: Arc<dyn ArtifactStore> = Arc::new(DirArtifactStore::new(&dir.path().join("d1")));
    let dir_inner: Arc<dyn ArtifactStore> = Arc::new(DirArtifactStore::new(&dir.path().join("d2")));
    let pg: Arc<dyn ArtifactStore> = Arc::new(PgArtifactStore::connect(&url)?);
    let stores: Vec<(&str, Arc<dyn ArtifactStore>)> = vec![
        ("directory, plain", dir_plain),
        (
            "directory, sealed",
            Arc::new(
                SealedArtifacts::new(dir_inner, key.clone())
                    .with_scratch_dir(&dir.path().join("s")),
            ),
        ),
        ("postgres, plain", pg.clone()),
        (
            "postgres, sealed",
            Arc::new(SealedArtifacts::new(pg, key).with_scratch_dir(&dir.path().join("s"))),
        ),
    ];
    for (i, (name, store)) in stores.iter().enumerate() {
        // Plain and sealed postgres share a table; the kinds keep their rows apart.
        let kind = if i == 2 {
            ArtifactKind::PlanFile
        } else {
            ArtifactKind::PlanJson
        };
        let (put, get) = pass(
            store.as_ref(),
            kind,
            &hex,
            &src,
            &dir.path().join(format!("out{i}")),
        )?;
        println!("{name:<28} {:>9.0} {:>9.0}", rate(put), rate(get));
    }
    Ok(())
}

fn pass(
    store: &dyn ArtifactStore,
    kind: ArtifactKind,
    hex: &str,
    src: &Path,
    out: &Path,
) -> Fallible<(f64, f64)> {
    let t = Instant::now();
    store.put_file(kind, hex, src)?;
    let put = t.elapsed().as_secs_f64();
    let t = Instant::now();
    store.fetch_to(kind, hex, out)?;
    let get = t.elapsed().as_secs_f64();
    if sha256_file(out)? != hex {
        return Err("fetched bytes differ".into());
    }
    Ok((put, get))
}
