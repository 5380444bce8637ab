//! The content-addressed release store under the data dir: `releases/<hex>.tar.zst`. Files are
//! written once, atomically, and never overwritten; every read re-hashes the decompressed bytes
//! against the id, so a modified artifact is refused wherever it is used.

use crate::bundle::{self, Origin};
use crate::error::ReleaseError;
use crate::git::Repo;
use crate::manifest::Manifest;
use crate::tree::{self, EntryKind, TreeEntry};
use ferry_core::ReleaseId;
use ferry_store::{ArtifactKind, ArtifactStore, DirArtifactStore, StoreError};
use std::path::{Component, Path, PathBuf};
use std::sync::Arc;

/// Fixed so that the same bundle always compresses to the same file; ids do not depend on it.
const ZSTD_LEVEL: i32 = 12;
const SUFFIX: &str = ".tar.zst";
/// How many dirty paths an error names; the rest are counted.
const DIRTY_SHOWN: usize = 10;

#[derive(Clone)]
pub struct ReleaseStore {
    /// The data directory: excluded from bundles when it lies inside the repository.
    root: PathBuf,
    artifacts: Arc<dyn ArtifactStore>,
    /// Set when the artifacts live in `root` (paths and listings are then meaningful).
    dir: Option<DirArtifactStore>,
}

impl std::fmt::Debug for ReleaseStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ReleaseStore")
            .field("root", &self.root)
            .finish()
    }
}

#[derive(Debug, Clone)]
pub struct BuiltRelease {
    pub id: ReleaseId,
    pub manifest: Manifest,
    pub size_compressed: u64,
    pub size_uncompressed: u64,
    /// True when the store already held this release (same content built before).
    pub already_existed: bool,
}

impl ReleaseStore {
    /// A store rooted at the project's data dir (`.ferry/` by default). Nothing is created until
    /// the first release is written.
    pub fn new(data_dir: &Path) -> Self {
        let dir = DirArtifactStore::new(data_dir);
        ReleaseStore {
            root: data_dir.to_path_buf(),
            artifacts: Arc::new(dir.clone()),
            dir: Some(dir),
        }
    }

    /// A store whose bundles live in `artifacts` (e.g. a server's); `data_dir` is still excluded
    /// from bundles built here.
    pub fn with_artifacts(data_dir: &Path, artifacts: Arc<dyn ArtifactStore>) -> Self {
        ReleaseStore {
            root: data_dir.to_path_buf(),
            artifacts,
            dir: None,
        }
    }

    fn releases_dir(&self) -> PathBuf {
        self.root.join("releases")
    }

    pub fn path_of(&self, id: &ReleaseId) -> PathBuf {
        self.releases_dir().join(format!("{}{SUFFIX}", id.hex()))
    }

    /// The stored (compressed) bundle, after verifying it: what a client uploads.
    pub fn bundle_bytes(&self, id: &ReleaseId) -> Result<Vec<u8>, ReleaseError> {
        let compressed = self.compressed(id)?;
        self.check(id, &compressed)?;
        Ok(compressed)
    }

    /// Stores a bundle received from elsewhere, only if it hashes to `id` and decodes safely.
    pub fn import(&self, id: &ReleaseId, compressed: &[u8]) -> Result<Manifest, ReleaseError> {
        let tar = self.check(id, compressed)?;
        let (manifest, _) = bundle::decode(&tar).map_err(|e| e.into_release_error(id))?;
        self.put(id, compressed)?;
        Ok(manifest)
    }

    fn put(&self, id: &ReleaseId, compressed: &[u8]) -> Result<(), ReleaseError> {
        self.artifacts
            .put_bytes(ArtifactKind::ReleaseBundle, id.hex(), compressed)
            .map_err(|e| store_error(id, &self.path_of(id), e))
    }

    fn compressed(&self, id: &ReleaseId) -> Result<Vec<u8>, ReleaseError> {
        self.artifacts
            .get_bytes(ArtifactKind::ReleaseBundle, id.hex())
            .map_err(|e| store_error(id, &self.path_of(id), e))
    }

    /// Decompresses and re-hashes `compressed` against `id`.
    fn check(&self, id: &ReleaseId, compressed: &[u8]) -> Result<Vec<u8>, ReleaseError> {
        let tampered = || ReleaseError::Tampered {
            id: id.clone(),
            path: self.path_of(id),
        };
        let tar = zstd::stream::decode_all(compressed).map_err(|_| tampered())?;
        if bundle::sha256_hex(&tar) != id.hex() {
            return Err(tampered());
        }
        Ok(tar)
    }

    /// Builds the release of `commit` (default HEAD) of the project at `project_root`.
    ///
    /// An explicit commit is read from git objects only, so the work tree's state is irrelevant.
    /// Without one, a dirty work tree is refused unless `allow_dirty`, in which case the work
    /// tree's files are bundled and the manifest says `dirty: true`; a clean tree gives the same
    /// release as the commit, whatever `allow_dirty` says.
    pub fn create(
        &self,
        project_root: &Path,
        commit: Option<&str>,
        allow_dirty: bool,
    ) -> Result<BuiltRelease, ReleaseError> {
        let root =
            std::fs::canonicalize(project_root).map_err(|e| ReleaseError::io(project_root, e))?;
        let repo = Repo::discover(&root)?;
        let data_dir = repo_relative(&repo.top, &self.root);
        let data_dir = data_dir.as_deref();
        let oid = repo.resolve_commit(commit.unwrap_or("HEAD"))?;
        let (entries, dirty) = match commit {
            Some(_) => (tree::from_commit(&repo, &oid, data_dir)?, false),
            None => {
                let changed = repo.changed_paths(data_dir)?;
                if changed.is_empty() {
                    (tree::from_commit(&repo, &oid, data_dir)?, false)
                } else if allow_dirty {
                    (tree::from_worktree(&repo, data_dir)?, true)
                } else {
                    let more = changed.len().saturating_sub(DIRTY_SHOWN);
                    let paths = changed.into_iter().take(DIRTY_SHOWN).collect();
                    return Err(ReleaseError::Dirty { paths, more });
                }
            }
        };
        let info = repo.commit_info(&oid)?;
        let origin = Origin {
            commit: oid,
            dirty,
            subject: info.subject,
            author: info.author,
        };
        let (manifest, tar) = bundle::build(origin, entries)?;
        let id = ReleaseId::from_hex(&bundle::sha256_hex(&tar))?;
        let path = self.path_of(&id);

        let already_existed = self
            .artifacts
            .exists(ArtifactKind::ReleaseBundle, id.hex())
            .map_err(|e| store_error(&id, &path, e))?;
        if !already_existed {
            let compressed =
                zstd::bulk::compress(&tar, ZSTD_LEVEL).map_err(|e| ReleaseError::io(&path, e))?;
            self.put(&id, &compressed)?;
        }
        // A bundle that was already there is evidence, not a cache entry to refresh: check it
        // and refuse (rather than silently replace) a modified one.
        let stored = self.compressed(&id)?;
        self.check(&id, &stored)?;
        let size_compressed = stored.len() as u64;
        Ok(BuiltRelease {
            id,
            manifest,
            size_compressed,
            size_uncompressed: tar.len() as u64,
            already_existed,
        })
    }

    /// Decompresses and re-hashes the stored bundle, returning the canonical tar bytes.
    fn load(&self, id: &ReleaseId) -> Result<Vec<u8>, ReleaseError> {
        let compressed = self.compressed(id)?;
        self.check(id, &compressed)
    }

    fn open(&self, id: &ReleaseId) -> Result<(Manifest, Vec<TreeEntry>), ReleaseError> {
        let tar = self.load(id)?;
        bundle::decode(&tar).map_err(|e| e.into_release_error(id))
    }

    /// Checks that the stored release still hashes to its id and is a well-formed, safe bundle.
    pub fn verify(&self, id: &ReleaseId) -> Result<Manifest, ReleaseError> {
        Ok(self.open(id)?.0)
    }

    /// Verifies the release, then extracts it into `dest` (created if missing). Nothing is
    /// written unless the whole bundle verified.
    pub fn unpack(&self, id: &ReleaseId, dest: &Path) -> Result<Manifest, ReleaseError> {
        let (manifest, entries) = self.open(id)?;
        crate::unpack::write_entries(&entries, dest)?;
        Ok(manifest)
    }

    /// The verified content of one regular file of a release (e.g. its `ferry.toml`), or `None`
    /// when the release has no such file.
    pub fn read_file(&self, id: &ReleaseId, path: &str) -> Result<Option<Vec<u8>>, ReleaseError> {
        let (_, entries) = self.open(id)?;
        Ok(entries
            .into_iter()
            .find(|e| e.path == path)
            .and_then(|e| match e.kind {
                EntryKind::File { data, .. } => Some(data),
                EntryKind::Symlink { .. } => None,
            }))
    }

    /// Ids of all stored releases, sorted. Only names the store itself writes are considered.
    pub fn list_ids(&self) -> Result<Vec<ReleaseId>, ReleaseError> {
        if self.dir.is_none() {
            return Ok(Vec::new());
        }
        let dir = self.releases_dir();
        let read = match std::fs::read_dir(&dir) {
            Ok(read) => read,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(ReleaseError::io(&dir, e)),
        };
        let mut ids = Vec::new();
        for item in read {
            let item = item.map_err(|e| ReleaseError::io(&dir, e))?;
            let name = item.file_name();
            let Some(hex) = name.to_str().and_then(|n| n.strip_suffix(SUFFIX)) else {
                continue;
            };
            if let Ok(id) = ReleaseId::from_hex(hex) {
                ids.push(id);
            }
        }
        ids.sort();
        Ok(ids)
    }

    /// Resolves a full id, bare hex or unique prefix of at least 8 digits to a stored release.
    pub fn resolve(&self, input: &str) -> Result<ReleaseId, ReleaseError> {
        let hex = ferry_core::ids::parse_id_prefix(input)?;
        let matches: Vec<ReleaseId> = self
            .list_ids()?
            .into_iter()
            .filter(|id| id.hex().starts_with(&hex))
            .collect();
        match matches.as_slice() {
            [one] => Ok(one.clone()),
            [] => Err(ReleaseError::NoMatch {
                prefix: input.to_string(),
            }),
            many => Err(ReleaseError::Ambiguous {
                prefix: input.to_string(),
                matches: many.iter().map(|id| id.short().to_string()).collect(),
            }),
        }
    }
}

fn store_error(id: &ReleaseId, path: &Path, e: StoreError) -> ReleaseError {
    match e {
        StoreError::NotFound(_) => ReleaseError::NotFound { id: id.clone() },
        StoreError::Tampered { .. } => ReleaseError::Tampered {
            id: id.clone(),
            path: path.to_path_buf(),
        },
        StoreError::Artifact { path, source } => ReleaseError::io(Path::new(&path), source),
        other => ReleaseError::io(path, std::io::Error::other(other.to_string())),
    }
}

/// `path` relative to the repository top, '/'-separated, or `None` when it lies outside the
/// repository. The data dir may not exist yet, so only its longest existing ancestor is
/// canonicalised (resolving symlinks the same way git resolved the top).
fn repo_relative(top: &Path, path: &Path) -> Option<String> {
    let absolute = if path.is_absolute() {
        path.to_path_buf()
    } else {
        std::env::current_dir().ok()?.join(path)
    };
    let mut existing = absolute.as_path();
    let mut rest = Vec::new();
    let canonical = loop {
        if let Ok(c) = std::fs::canonicalize(existing) {
            break c;
        }
        rest.push(existing.file_name()?.to_os_string());
        existing = existing.parent()?;
    };
    let full = rest.iter().rev().fold(canonical, |p, part| p.join(part));
    let rel = full.strip_prefix(top).ok()?;
    let parts: Option<Vec<&str>> = rel
        .components()
        .map(|c| match c {
            Component::Normal(s) => s.to_str(),
            _ => None,
        })
        .collect();
    // The data dir as the repository top itself would exclude everything; ignore such a setting.
    Some(parts?.join("/")).filter(|rel| !rel.is_empty())
}
