//! Where release bundles, saved plan files and plan JSON live: content-addressed, written once,
//! re-verified on every read. [`DirArtifactStore`] keeps them under the data directory; a server
//! keeps them in its own store behind the same trait.
//!
//! Plan files and plan JSON hold variable values in clear, so the directory store writes them
//! owner-only (0600 in 0700 directories).

use crate::error::{Result, StoreError};
use sha2::{Digest, Sha256};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ArtifactKind {
    /// A release bundle (zstd-compressed canonical tar). Its id hashes the *decompressed*
    /// bytes, so ferry-release verifies it after reading; the store checks what it can.
    ReleaseBundle,
    /// The engine's saved plan file; its sha256 is the plan id.
    PlanFile,
    /// The plan's `show -json` rendering; its sha256 is stored on the plan row.
    PlanJson,
    /// An opaque blob whose integrity its holder proves (the server's encrypted plan files and
    /// plan JSON: see [`crate::sealed`]); the store does not hash-check it.
    Sealed,
}

impl ArtifactKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ArtifactKind::ReleaseBundle => "release bundle",
            ArtifactKind::PlanFile => "plan file",
            ArtifactKind::PlanJson => "plan JSON",
            ArtifactKind::Sealed => "sealed artifact",
        }
    }

    /// Whether the store can check the content against the key itself.
    fn self_verifying(self) -> bool {
        !matches!(self, ArtifactKind::ReleaseBundle | ArtifactKind::Sealed)
    }
}

pub trait ArtifactStore: Send + Sync {
    /// Stores `bytes` under `hex` once; an existing artifact is kept (and must be equal).
    fn put_bytes(&self, kind: ArtifactKind, hex: &str, bytes: &[u8]) -> Result<()>;
    /// Stores the file at `source` under `hex` once, streaming it.
    fn put_file(&self, kind: ArtifactKind, hex: &str, source: &Path) -> Result<()>;
    /// The verified bytes.
    fn get_bytes(&self, kind: ArtifactKind, hex: &str) -> Result<Vec<u8>>;
    /// Writes the verified artifact to `dest` (owner-only).
    fn fetch_to(&self, kind: ArtifactKind, hex: &str, dest: &Path) -> Result<()>;
    fn exists(&self, kind: ArtifactKind, hex: &str) -> Result<bool>;
    /// A local path holding the artifact after checking it, for readers that stream from disk.
    /// Stores that are not on this disk return `None`; use [`ArtifactStore::fetch_to`].
    fn verified_path(&self, kind: ArtifactKind, hex: &str) -> Result<Option<PathBuf>>;
    /// Removes the artifact (retention); returns the bytes freed, 0 when it was not there. A
    /// store that keeps everything may leave the default.
    fn remove(&self, _kind: ArtifactKind, _hex: &str) -> Result<u64> {
        Ok(0)
    }
}

/// sha256 of a file, streamed.
pub fn sha256_file(path: &Path) -> Result<String> {
    let mut file = std::fs::File::open(path).map_err(|source| StoreError::Artifact {
        path: path.display().to_string(),
        source,
    })?;
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let n = file.read(&mut buf).map_err(|source| StoreError::Artifact {
            path: path.display().to_string(),
            source,
        })?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
    }
    Ok(hex::encode(hasher.finalize()))
}

/// Content-addressed files under a data directory:
/// `releases/<hex>.tar.zst`, `artifacts/plan-files/<hex>`, `artifacts/plan-json/<hex>`.
#[derive(Debug, Clone)]
pub struct DirArtifactStore {
    root: PathBuf,
}

fn io(path: &Path) -> impl Fn(std::io::Error) -> StoreError + '_ {
    move |source| StoreError::Artifact {
        path: path.display().to_string(),
        source,
    }
}

fn valid_hex(hex: &str) -> bool {
    hex.len() == 64 && hex.bytes().all(|b| b.is_ascii_hexdigit())
}

impl DirArtifactStore {
    pub fn new(data_dir: &Path) -> DirArtifactStore {
        DirArtifactStore {
            root: data_dir.to_path_buf(),
        }
    }

    pub fn path_of(&self, kind: ArtifactKind, hex: &str) -> PathBuf {
        match kind {
            ArtifactKind::ReleaseBundle => {
                self.root.join("releases").join(format!("{hex}.tar.zst"))
            }
            ArtifactKind::PlanFile => self.root.join("artifacts/plan-files").join(hex),
            ArtifactKind::PlanJson => self.root.join("artifacts/plan-json").join(hex),
            ArtifactKind::Sealed => self.root.join("artifacts/sealed").join(hex),
        }
    }

    fn checked_path(&self, kind: ArtifactKind, hex: &str) -> Result<PathBuf> {
        if !valid_hex(hex) {
            return Err(StoreError::NotFound(format!(
                "'{hex}' is not an artifact id"
            )));
        }
        Ok(self.path_of(kind, hex))
    }

    fn verify_file(&self, kind: ArtifactKind, hex: &str, path: &Path) -> Result<()> {
        if !path.is_file() {
            return Err(StoreError::NotFound(format!(
                "{} {hex} is not in the artifact store ({})",
                kind.as_str(),
                path.display()
            )));
        }
        if kind.self_verifying() && sha256_file(path)? != hex {
            return Err(StoreError::Tampered {
                kind: kind.as_str().to_string(),
                id: hex.to_string(),
            });
        }
        Ok(())
    }

    /// Writes via a synced temp file and a no-clobber rename: readers never see a partial file.
    fn write_new(
        &self,
        path: &Path,
        fill: impl FnOnce(&mut std::fs::File) -> std::io::Result<()>,
    ) -> Result<()> {
        let dir = path.parent().unwrap_or(&self.root);
        create_private_dir(dir)?;
        if path.exists() {
            return Ok(());
        }
        let mut tmp = tempfile::Builder::new()
            .prefix(".incoming-")
            .tempfile_in(dir)
            .map_err(io(dir))?;
        fill(tmp.as_file_mut()).map_err(io(path))?;
        set_mode(tmp.as_file(), path, 0o400)?;
        tmp.as_file().sync_all().map_err(io(path))?;
        match tmp.persist_noclobber(path) {
            Ok(_) => Ok(()),
            Err(e) if e.error.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
            Err(e) => Err(io(path)(e.error)),
        }
    }
}

/// Refuses a path (or its directory) that is a symbolic link: ferry never writes through a link
/// under its data directory, where a planted one would point its writes at any file the user
/// can write.
pub fn refuse_link(path: &Path) -> Result<()> {
    for p in [Some(path), path.parent()].into_iter().flatten() {
        if std::fs::symlink_metadata(p).is_ok_and(|m| m.file_type().is_symlink()) {
            return Err(StoreError::Artifact {
                path: p.display().to_string(),
                source: std::io::Error::other(
                    "is a symbolic link; ferry does not write through links in its data directory (remove the link)",
                ),
            });
        }
    }
    Ok(())
}

/// Creates `dir` and its missing parents owner-only.
pub fn create_private_dir(dir: &Path) -> Result<()> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        builder.mode(0o700);
    }
    builder.create(dir).map_err(io(dir))
}

#[cfg(unix)]
fn set_mode(file: &std::fs::File, path: &Path, mode: u32) -> Result<()> {
    use std::os::unix::fs::PermissionsExt;
    file.set_permissions(std::fs::Permissions::from_mode(mode))
        .map_err(io(path))
}

#[cfg(not(unix))]
fn set_mode(_file: &std::fs::File, _path: &Path, _mode: u32) -> Result<()> {
    Ok(())
}

impl ArtifactStore for DirArtifactStore {
    fn put_bytes(&self, kind: ArtifactKind, hex: &str, bytes: &[u8]) -> Result<()> {
        let path = self.checked_path(kind, hex)?;
        if kind.self_verifying() && hex::encode(Sha256::digest(bytes)) != hex {
            return Err(StoreError::Tampered {
                kind: kind.as_str().to_string(),
                id: hex.to_string(),
            });
        }
        self.write_new(&path, |f| f.write_all(bytes))?;
        self.verify_file(kind, hex, &path)
    }

    fn remove(&self, kind: ArtifactKind, hex: &str) -> Result<u64> {
        let path = self.checked_path(kind, hex)?;
        let size = match std::fs::symlink_metadata(&path) {
            Ok(m) => m.len(),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(0),
            Err(e) => return Err(io(&path)(e)),
        };
        match std::fs::remove_file(&path) {
            Ok(()) => Ok(size),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(0),
            Err(e) => Err(io(&path)(e)),
        }
    }

    fn put_file(&self, kind: ArtifactKind, hex: &str, source: &Path) -> Result<()> {
        let path = self.checked_path(kind, hex)?;
        if kind.self_verifying() && sha256_file(source)? != hex {
            return Err(StoreError::Tampered {
                kind: kind.as_str().to_string(),
                id: hex.to_string(),
            });
        }
        self.write_new(&path, |f| {
            let mut src = std::fs::File::open(source)?;
            std::io::copy(&mut src, f).map(|_| ())
        })?;
        self.verify_file(kind, hex, &path)
    }

    fn get_bytes(&self, kind: ArtifactKind, hex: &str) -> Result<Vec<u8>> {
        let path = self.checked_path(kind, hex)?;
        if !path.is_file() {
            return Err(StoreError::NotFound(format!(
                "{} {hex} is not in the artifact store",
                kind.as_str()
            )));
        }
        let bytes = std::fs::read(&path).map_err(io(&path))?;
        if kind.self_verifying() && hex::encode(Sha256::digest(&bytes)) != hex {
            return Err(StoreError::Tampered {
                kind: kind.as_str().to_string(),
                id: hex.to_string(),
            });
        }
        Ok(bytes)
    }

    fn fetch_to(&self, kind: ArtifactKind, hex: &str, dest: &Path) -> Result<()> {
        let path = self.checked_path(kind, hex)?;
        self.verify_file(kind, hex, &path)?;
        if let Some(parent) = dest.parent() {
            create_private_dir(parent)?;
        }
        refuse_link(dest)?;
        let mut opts = std::fs::OpenOptions::new();
        opts.write(true).create(true).truncate(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            opts.mode(0o600);
        }
        let mut out = opts.open(dest).map_err(io(dest))?;
        let mut src = std::fs::File::open(&path).map_err(io(&path))?;
        std::io::copy(&mut src, &mut out).map_err(io(dest))?;
        out.sync_all().map_err(io(dest))
    }

    fn exists(&self, kind: ArtifactKind, hex: &str) -> Result<bool> {
        Ok(self.checked_path(kind, hex)?.is_file())
    }

    fn verified_path(&self, kind: ArtifactKind, hex: &str) -> Result<Option<PathBuf>> {
        let path = self.checked_path(kind, hex)?;
        self.verify_file(kind, hex, &path)?;
        Ok(Some(path))
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn content_addressed_and_verified_on_read() {
        let dir = tempfile::tempdir().unwrap();
        let store = DirArtifactStore::new(dir.path());
        let bytes = b"plan bytes";
        let hex = hex::encode(Sha256::digest(bytes));
        assert!(matches!(
            store.put_bytes(ArtifactKind::PlanFile, &"0".repeat(64), bytes),
            Err(StoreError::Tampered { .. })
        ));
        store
            .put_bytes(ArtifactKind::PlanFile, &hex, bytes)
            .unwrap();
        assert_eq!(
            store.get_bytes(ArtifactKind::PlanFile, &hex).unwrap(),
            bytes
        );
        let path = store.path_of(ArtifactKind::PlanFile, &hex);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode, 0o400);
            let dmode = std::fs::metadata(path.parent().unwrap())
                .unwrap()
                .permissions()
                .mode()
                & 0o777;
            assert_eq!(dmode, 0o700);
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
        }
        std::fs::write(&path, b"edited").unwrap();
        assert!(matches!(
            store.get_bytes(ArtifactKind::PlanFile, &hex),
            Err(StoreError::Tampered { .. })
        ));
        assert!(store
            .fetch_to(ArtifactKind::PlanFile, &hex, &dir.path().join("x"))
            .is_err());
        assert!(matches!(
            store.get_bytes(ArtifactKind::PlanJson, "../../etc/passwd"),
            Err(StoreError::NotFound(_))
        ));
    }
}
