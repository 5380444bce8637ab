//! Release bundles, plan files and plan JSON in the ledger's PostgreSQL database, for a server
//! whose processes share no disk. Content-addressed like the directory store: one header row per
//! (kind, id), the bytes in 4 MiB chunk rows written in one transaction (a put either lands
//! whole or not at all; putting the same content again is a no-op), and every read hashes the
//! bytes again before handing them out.
//!
//! Plan kinds must hash to their id. A bundle's id hashes its *decompressed* bytes, which only
//! ferry-release can check, so the header also keeps the sha256 of the stored bytes and reads
//! check every kind against it: a chunk edited behind the store's back is refused either way.
//!
//! The store has its own connection (not the ledger's), and takes no ledger write lock: a 1 GB
//! upload never holds up approvals.

use crate::{forget_if_broken, PgLedger};
use ferry_store::artifacts::{create_private_dir, refuse_link};
use ferry_store::{ArtifactKind, ArtifactStore, Result, StoreError};
use postgres::{Client, IsolationLevel};
use sha2::{Digest, Sha256};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

/// Bytes per chunk row.
pub const CHUNK: usize = 4 << 20;

/// Artifacts in a PostgreSQL database (the same one as [`PgLedger`]).
pub struct PgArtifactStore {
    db: PgLedger,
}

impl std::fmt::Debug for PgArtifactStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PgArtifactStore")
            .field("what", &self.db.what())
            .finish()
    }
}

fn kind_key(kind: ArtifactKind) -> &'static str {
    match kind {
        ArtifactKind::ReleaseBundle => "bundle",
        ArtifactKind::PlanFile => "plan-file",
        ArtifactKind::PlanJson => "plan-json",
        ArtifactKind::Sealed => "sealed",
    }
}

fn hashes_to_id(kind: ArtifactKind) -> bool {
    !matches!(kind, ArtifactKind::ReleaseBundle | ArtifactKind::Sealed)
}

fn tampered(kind: ArtifactKind, hex: &str) -> StoreError {
    StoreError::Tampered {
        kind: kind.as_str().to_string(),
        id: hex.to_string(),
    }
}

fn io_at(path: &Path) -> impl Fn(std::io::Error) -> StoreError + '_ {
    move |source| StoreError::Artifact {
        path: path.display().to_string(),
        source,
    }
}

fn checked(hex: &str) -> Result<()> {
    if hex.len() == 64 && hex.bytes().all(|b| b.is_ascii_hexdigit()) {
        Ok(())
    } else {
        Err(StoreError::NotFound(format!(
            "'{hex}' is not an artifact id"
        )))
    }
}

impl PgArtifactStore {
    /// Connects to the database at `url` (as [`PgLedger::connect`]: the same schema migrations,
    /// the password never in an error).
    pub fn connect(url: &str) -> Result<PgArtifactStore> {
        Ok(PgArtifactStore {
            db: PgLedger::connect(url)?,
        })
    }

    /// The database, named without credentials.
    pub fn what(&self) -> &str {
        self.db.what()
    }

    fn run<T>(&self, f: impl FnOnce(&mut Client) -> Result<T>) -> Result<T> {
        let mut guard = self.db.client()?;
        let client = guard.as_mut().ok_or_else(|| StoreError::Unavailable {
            what: self.db.what().to_string(),
            message: "no connection".into(),
        })?;
        let out = f(client);
        forget_if_broken(&mut guard, &out);
        out
    }

    /// Streams `input` into chunk rows in one transaction. An artifact already there is kept;
    /// a concurrent put of the same one waits on the header's key and then finds it.
    fn put_stream(
        &self,
        kind: ArtifactKind,
        hex: &str,
        input: &mut dyn Read,
        at: &Path,
    ) -> Result<()> {
        checked(hex)?;
        let sql = |e| self.db.sql(e);
        self.run(|client| {
            let mut tx = client.transaction().map_err(sql)?;
            let fresh = tx
                .execute(
                    "INSERT INTO artifacts (kind, id, size, sha256, chunks) VALUES ($1, $2, 0, '', 0) ON CONFLICT DO NOTHING",
                    &[&kind_key(kind), &hex],
                )
                .map_err(sql)?;
            if fresh == 0 {
                return Ok(());
            }
            let insert = tx
                .prepare("INSERT INTO artifact_chunks (kind, id, n, data) VALUES ($1, $2, $3, $4)")
                .map_err(sql)?;
            let mut hasher = Sha256::new();
            let mut buf = Vec::with_capacity(CHUNK);
            let (mut size, mut chunks) = (0i64, 0i64);
            loop {
                buf.clear();
                (&mut *input)
                    .take(CHUNK as u64)
                    .read_to_end(&mut buf)
                    .map_err(io_at(at))?;
                if buf.is_empty() {
                    break;
                }
                hasher.update(&buf);
                tx.execute(&insert, &[&kind_key(kind), &hex, &chunks, &buf.as_slice()])
                    .map_err(sql)?;
                size += buf.len() as i64;
                chunks += 1;
                if buf.len() < CHUNK {
                    break;
                }
            }
            let sha = hex::encode(hasher.finalize());
            if hashes_to_id(kind) && sha != hex {
                // Dropping `tx` rolls the header and chunks back.
                return Err(tampered(kind, hex));
            }
            tx.execute(
                "UPDATE artifacts SET size = $3, sha256 = $4, chunks = $5 WHERE kind = $1 AND id = $2",
                &[&kind_key(kind), &hex, &size, &sha, &chunks],
            )
            .map_err(sql)?;
            tx.commit().map_err(sql)
        })
    }

    /// Streams the artifact's chunks to `out` from one snapshot, then checks the hash. `out`
    /// has received unverified bytes when this fails: callers keep them only on `Ok`.
    fn read_stream(
        &self,
        kind: ArtifactKind,
        hex: &str,
        out: &mut dyn Write,
        at: &Path,
    ) -> Result<()> {
        checked(hex)?;
        let sql = |e| self.db.sql(e);
        self.run(|client| {
            let mut tx = client
                .build_transaction()
                .read_only(true)
                .isolation_level(IsolationLevel::RepeatableRead)
                .start()
                .map_err(sql)?;
            let head = tx
                .query_opt(
                    "SELECT size, sha256, chunks FROM artifacts WHERE kind = $1 AND id = $2",
                    &[&kind_key(kind), &hex],
                )
                .map_err(sql)?
                .ok_or_else(|| {
                    StoreError::NotFound(format!(
                        "{} {hex} is not in the artifact store ({})",
                        kind.as_str(),
                        self.db.what()
                    ))
                })?;
            let size: i64 = head.try_get(0).map_err(sql)?;
            let stored_sha: String = head.try_get(1).map_err(sql)?;
            let chunks: i64 = head.try_get(2).map_err(sql)?;
            let select = tx
                .prepare("SELECT data FROM artifact_chunks WHERE kind = $1 AND id = $2 AND n = $3")
                .map_err(sql)?;
            let mut hasher = Sha256::new();
            let mut total = 0i64;
            for n in 0..chunks {
                let row = tx
                    .query_opt(&select, &[&kind_key(kind), &hex, &n])
                    .map_err(sql)?
                    .ok_or_else(|| tampered(kind, hex))?;
                let data: &[u8] = row.try_get(0).map_err(sql)?;
                hasher.update(data);
                total += data.len() as i64;
                out.write_all(data).map_err(io_at(at))?;
            }
            let sha = hex::encode(hasher.finalize());
            if total != size || sha != stored_sha || (hashes_to_id(kind) && sha != hex) {
                return Err(tampered(kind, hex));
            }
            tx.commit().map_err(sql)
        })
    }
}

impl ArtifactStore for PgArtifactStore {
    fn put_bytes(&self, kind: ArtifactKind, hex: &str, bytes: &[u8]) -> Result<()> {
        if hashes_to_id(kind) && hex::encode(Sha256::digest(bytes)) != hex {
            return Err(tampered(kind, hex));
        }
        self.put_stream(kind, hex, &mut &bytes[..], Path::new("memory"))
    }

    fn put_file(&self, kind: ArtifactKind, hex: &str, source: &Path) -> Result<()> {
        let mut file = std::fs::File::open(source).map_err(io_at(source))?;
        self.put_stream(kind, hex, &mut file, source)
    }

    fn get_bytes(&self, kind: ArtifactKind, hex: &str) -> Result<Vec<u8>> {
        let mut out = Vec::new();
        self.read_stream(kind, hex, &mut out, Path::new("memory"))?;
        Ok(out)
    }

    /// Streams into a temp file beside `dest` (owner-only) and renames it over `dest` only once
    /// the hash checked out: `dest` is never left holding part of an artifact.
    fn fetch_to(&self, kind: ArtifactKind, hex: &str, dest: &Path) -> Result<()> {
        let dir = match dest.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
            _ => PathBuf::from("."),
        };
        create_private_dir(&dir)?;
        refuse_link(dest)?;
        let mut tmp = tempfile::Builder::new()
            .prefix(".incoming-")
            .tempfile_in(&dir)
            .map_err(io_at(&dir))?;
        self.read_stream(kind, hex, tmp.as_file_mut(), dest)?;
        tmp.as_file().sync_all().map_err(io_at(dest))?;
        tmp.persist(dest).map_err(|e| io_at(dest)(e.error))?;
        Ok(())
    }

    fn exists(&self, kind: ArtifactKind, hex: &str) -> Result<bool> {
        checked(hex)?;
        let sql = |e| self.db.sql(e);
        self.run(|client| {
            Ok(client
                .query_opt(
                    "SELECT 1 FROM artifacts WHERE kind = $1 AND id = $2",
                    &[&kind_key(kind), &hex],
                )
                .map_err(sql)?
                .is_some())
        })
    }

    /// Always `None`: nothing of this store is on the local disk (no cache, so no second copy
    /// of a plan file to protect); readers use [`ArtifactStore::fetch_to`].
    fn verified_path(&self, _kind: ArtifactKind, hex: &str) -> Result<Option<PathBuf>> {
        checked(hex)?;
        Ok(None)
    }

    fn remove(&self, kind: ArtifactKind, hex: &str) -> Result<u64> {
        checked(hex)?;
        let sql = |e| self.db.sql(e);
        self.run(|client| {
            let row = client
                .query_opt(
                    "DELETE FROM artifacts WHERE kind = $1 AND id = $2 RETURNING size",
                    &[&kind_key(kind), &hex],
                )
                .map_err(sql)?;
            Ok(match row {
                Some(r) => r.try_get::<_, i64>(0).map_err(sql)?.max(0) as u64,
                None => 0,
            })
        })
    }
}
