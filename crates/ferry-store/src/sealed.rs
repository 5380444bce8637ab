//! Plan files and plan JSON sealed at rest with the server's key. Both hold variable values in
//! clear (database passwords, tokens), and on a server they sit in a shared directory or database
//! that backups copy around; sealing them means a copy of the store alone reveals nothing.
//!
//! [`SealedArtifacts`] wraps any [`ArtifactStore`]. Release bundles pass through unchanged (they
//! are code, verified by their hash). Plan files and plan JSON are encrypted with
//! XChaCha20-Poly1305 in the STREAM construction (`aead::stream`, big-endian 32-bit counter and a
//! last-segment flag in the nonce) over 1 MiB segments, so a 1 GB plan JSON is sealed and opened in
//! constant memory. Every segment's associated data binds the header (format, key id, nonce
//! prefix), the artifact's kind and its id, so segments cannot be reordered, dropped from the end,
//! or moved between artifacts without the open failing. The id stays the sha256 of the
//! *plaintext*, checked again after opening.
//!
//! The trait's stores verify plan kinds by hashing the stored bytes, which ciphertext cannot
//! satisfy, so a sealed artifact is kept in the inner store as an opaque blob: kind
//! [`ArtifactKind::Sealed`] (which the store does not hash-check) under a derived id,
//! `sha256("ferry sealed v1\n" || kind || "\n" || id)`. The AEAD is then what proves integrity.

use crate::artifacts::{create_private_dir, refuse_link, ArtifactKind, ArtifactStore};
use crate::error::{Result, StoreError};
use base64::Engine as _;
use chacha20poly1305::aead::stream::{DecryptorBE32, EncryptorBE32};
use chacha20poly1305::aead::{rand_core::RngCore, KeyInit, OsRng};
use chacha20poly1305::XChaCha20Poly1305;
use sha2::{Digest, Sha256};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use zeroize::{Zeroize, Zeroizing};

/// Plaintext bytes per sealed segment.
pub const SEGMENT: usize = 1 << 20;
const TAG: usize = 16;
const MAGIC: &[u8; 14] = b"ferry-sealed\x00\x01";
const KEY_ID: usize = 8;
/// XChaCha20's 24-byte nonce minus STREAM's 4-byte counter and 1-byte last flag.
const PREFIX: usize = 19;
const HEADER: usize = MAGIC.len() + KEY_ID + PREFIX;

/// Why a server key could not be loaded or written. Never carries the key's text.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error("server key file {path}: {source}")]
    Io {
        path: String,
        source: std::io::Error,
    },
    #[error("server key file {path} is readable by group or others (mode {mode:03o}); run `chmod 600 {path}`")]
    Permissions { path: String, mode: u32 },
    #[error("server key from {source_name} is not 32 bytes written as 64 hex digits or base64 ({problem})")]
    Format {
        source_name: String,
        problem: String,
    },
    #[error("server key file {path} already exists; ferry never overwrites a key (artifacts sealed with it would be lost)")]
    Exists { path: String },
}

/// The 32-byte key that seals plan artifacts. `Debug` never shows it; it is zeroed on drop.
#[derive(Clone)]
pub struct ServerKey {
    bytes: Zeroizing<[u8; 32]>,
}

impl std::fmt::Debug for ServerKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ServerKey(<redacted>)")
    }
}

impl ServerKey {
    /// A new random key from the operating system's RNG.
    pub fn generate() -> ServerKey {
        let mut bytes = Zeroizing::new([0u8; 32]);
        OsRng.fill_bytes(bytes.as_mut());
        ServerKey { bytes }
    }

    /// Parses a key from text: 64 hex digits or base64 of 32 bytes, surrounding whitespace
    /// ignored. `source_name` says where it came from (`$FERRY_SERVER_KEY`) for the error.
    pub fn parse(source_name: &str, text: &str) -> std::result::Result<ServerKey, KeyError> {
        let text = text.trim();
        let bad = |problem: String| KeyError::Format {
            source_name: source_name.to_string(),
            problem,
        };
        let decoded = Zeroizing::new(
            if text.len() == 64 && text.bytes().all(|b| b.is_ascii_hexdigit()) {
                hex::decode(text).map_err(|e| bad(e.to_string()))?
            } else {
                base64::engine::general_purpose::STANDARD
                    .decode(text)
                    .map_err(|_| bad("neither hex nor valid base64".into()))?
            },
        );
        if decoded.len() != 32 {
            return Err(bad(format!("{} bytes", decoded.len())));
        }
        let mut bytes = Zeroizing::new([0u8; 32]);
        bytes.copy_from_slice(&decoded);
        Ok(ServerKey { bytes })
    }

    /// The value of an environment variable the caller read (`name` is only for messages).
    pub fn from_env_value(name: &str, value: &str) -> std::result::Result<ServerKey, KeyError> {
        ServerKey::parse(&format!("${name}"), value)
    }

    /// Reads a key file, refusing one that group or others can read (on unix).
    pub fn from_file(path: &Path) -> std::result::Result<ServerKey, KeyError> {
        let shown = path.display().to_string();
        let io = |source| KeyError::Io {
            path: shown.clone(),
            source,
        };
        let mut file = std::fs::File::open(path).map_err(io)?;
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = file.metadata().map_err(io)?.permissions().mode() & 0o777;
            if mode & 0o077 != 0 {
                return Err(KeyError::Permissions { path: shown, mode });
            }
        }
        let mut text = Zeroizing::new(String::new());
        file.read_to_string(&mut text).map_err(io)?;
        ServerKey::parse(&shown, &text)
    }

    /// Generates a key and writes it to a new file (0600, hex), refusing to replace one.
    pub fn write_new(path: &Path) -> std::result::Result<ServerKey, KeyError> {
        let shown = path.display().to_string();
        let io = |source| KeyError::Io {
            path: shown.clone(),
            source,
        };
        let key = ServerKey::generate();
        let mut opts = std::fs::OpenOptions::new();
        opts.write(true).create_new(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            opts.mode(0o600);
        }
        let mut file = match opts.open(path) {
            Ok(f) => f,
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                return Err(KeyError::Exists { path: shown })
            }
            Err(e) => return Err(io(e)),
        };
        let mut text = Zeroizing::new(hex::encode(key.bytes.as_ref()));
        text.push('\n');
        file.write_all(text.as_bytes()).map_err(io)?;
        file.sync_all().map_err(io)?;
        Ok(key)
    }

    /// A short public fingerprint (16 hex digits), so an error can say which key sealed what.
    pub fn id(&self) -> String {
        hex::encode(self.key_id())
    }

    fn key_id(&self) -> [u8; KEY_ID] {
        let mut h = Sha256::new();
        h.update(b"ferry server key id v1\n");
        h.update(self.bytes.as_ref());
        let digest = h.finalize();
        let mut id = [0u8; KEY_ID];
        id.copy_from_slice(&digest[..KEY_ID]);
        id
    }

    fn cipher(&self) -> XChaCha20Poly1305 {
        XChaCha20Poly1305::new(self.bytes.as_ref().into())
    }
}

/// An [`ArtifactStore`] that seals plan files and plan JSON before they reach `inner`.
pub struct SealedArtifacts {
    inner: Arc<dyn ArtifactStore>,
    key: ServerKey,
    scratch: Option<PathBuf>,
}

impl std::fmt::Debug for SealedArtifacts {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SealedArtifacts")
            .field("key", &self.key)
            .field("scratch", &self.scratch)
            .finish_non_exhaustive()
    }
}

fn sealed(kind: ArtifactKind) -> bool {
    matches!(kind, ArtifactKind::PlanFile | ArtifactKind::PlanJson)
}

/// Where the sealed form of `kind`/`hex` lives in the inner store.
pub fn sealed_id(kind: ArtifactKind, hex: &str) -> String {
    let mut h = Sha256::new();
    h.update(b"ferry sealed v1\n");
    h.update(kind.as_str().as_bytes());
    h.update(b"\n");
    h.update(hex.as_bytes());
    hex::encode(h.finalize())
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

/// Reads until `buf` holds `want` bytes or the input ends.
fn fill(r: &mut dyn Read, buf: &mut Vec<u8>, want: usize) -> std::io::Result<()> {
    buf.clear();
    r.take(want as u64).read_to_end(buf).map(|_| ())
}

fn aad(header: &[u8], kind: ArtifactKind, hex: &str) -> Vec<u8> {
    let mut a = header.to_vec();
    a.extend_from_slice(kind.as_str().as_bytes());
    a.push(b'\n');
    a.extend_from_slice(hex.as_bytes());
    a
}

impl SealedArtifacts {
    pub fn new(inner: Arc<dyn ArtifactStore>, key: ServerKey) -> SealedArtifacts {
        SealedArtifacts {
            inner,
            key,
            scratch: None,
        }
    }

    /// Where `put_file`/`fetch_to` keep the ciphertext between the inner store and the caller
    /// (the system temp dir by default). Only ciphertext is written there.
    pub fn with_scratch_dir(mut self, dir: &Path) -> SealedArtifacts {
        self.scratch = Some(dir.to_path_buf());
        self
    }

    fn scratch_file(&self) -> Result<tempfile::NamedTempFile> {
        let b = {
            let mut b = tempfile::Builder::new();
            b.prefix(".sealed-");
            b
        };
        match &self.scratch {
            Some(dir) => {
                create_private_dir(dir)?;
                b.tempfile_in(dir).map_err(io_at(dir))
            }
            None => b.tempfile().map_err(io_at(&std::env::temp_dir())),
        }
    }

    /// Seals `input` to `out`; returns the plaintext's sha256, which the caller checks against
    /// the id before anything is stored.
    fn seal(
        &self,
        kind: ArtifactKind,
        hex: &str,
        input: &mut dyn Read,
        out: &mut dyn Write,
        at: &Path,
    ) -> Result<String> {
        let mut header = Vec::with_capacity(HEADER);
        header.extend_from_slice(MAGIC);
        header.extend_from_slice(&self.key.key_id());
        let mut prefix = [0u8; PREFIX];
        OsRng.fill_bytes(&mut prefix);
        header.extend_from_slice(&prefix);
        let aad = aad(&header, kind, hex);
        out.write_all(&header).map_err(io_at(at))?;
        let mut enc = EncryptorBE32::from_aead(self.key.cipher(), prefix.as_slice().into());
        let mut hasher = Sha256::new();
        let (mut cur, mut next) = (
            Vec::with_capacity(SEGMENT + TAG),
            Vec::with_capacity(SEGMENT + TAG),
        );
        fill(input, &mut cur, SEGMENT).map_err(io_at(at))?;
        loop {
            hasher.update(&cur);
            fill(input, &mut next, SEGMENT).map_err(io_at(at))?;
            if next.is_empty() {
                enc.encrypt_last_in_place(&aad, &mut cur)
                    .map_err(|_| tampered(kind, hex))?;
                out.write_all(&cur).map_err(io_at(at))?;
                cur.zeroize();
                return Ok(hex::encode(hasher.finalize()));
            }
            enc.encrypt_next_in_place(&aad, &mut cur)
                .map_err(|_| tampered(kind, hex))?;
            out.write_all(&cur).map_err(io_at(at))?;
            std::mem::swap(&mut cur, &mut next);
        }
    }

    /// Opens sealed `input` into `out`, then checks the plaintext hashes to `hex`. `out` may
    /// have received plaintext when this fails: callers write to a buffer or temp file and only
    /// keep it on `Ok`.
    fn open(
        &self,
        kind: ArtifactKind,
        hex: &str,
        input: &mut dyn Read,
        out: &mut dyn Write,
        at: &Path,
    ) -> Result<()> {
        let mut header = Vec::with_capacity(HEADER);
        fill(input, &mut header, HEADER).map_err(io_at(at))?;
        if header.len() != HEADER || &header[..MAGIC.len()] != MAGIC {
            return Err(tampered(kind, hex));
        }
        let key_id = &header[MAGIC.len()..MAGIC.len() + KEY_ID];
        if key_id != self.key.key_id() {
            return Err(StoreError::Corrupt {
                what: "artifact store".into(),
                item: format!("{} {hex}", kind.as_str()),
                message: format!(
                    "it was sealed with another server key (key id {}; this server's key is {}): start the server with the key that sealed it",
                    hex::encode(key_id),
                    self.key.id()
                ),
            });
        }
        let aad = aad(&header, kind, hex);
        let prefix = &header[MAGIC.len() + KEY_ID..];
        let mut dec = DecryptorBE32::from_aead(self.key.cipher(), prefix.into());
        let mut hasher = Sha256::new();
        let (mut cur, mut next) = (
            Vec::with_capacity(SEGMENT + TAG),
            Vec::with_capacity(SEGMENT + TAG),
        );
        fill(input, &mut cur, SEGMENT + TAG).map_err(io_at(at))?;
        loop {
            fill(input, &mut next, SEGMENT + TAG).map_err(io_at(at))?;
            if next.is_empty() {
                dec.decrypt_last_in_place(&aad, &mut cur)
                    .map_err(|_| tampered(kind, hex))?;
                hasher.update(&cur);
                out.write_all(&cur).map_err(io_at(at))?;
                cur.zeroize();
                if hex::encode(hasher.finalize()) != hex {
                    return Err(tampered(kind, hex));
                }
                return Ok(());
            }
            dec.decrypt_next_in_place(&aad, &mut cur)
                .map_err(|_| tampered(kind, hex))?;
            hasher.update(&cur);
            out.write_all(&cur).map_err(io_at(at))?;
            cur.zeroize();
            std::mem::swap(&mut cur, &mut next);
        }
    }
}

impl ArtifactStore for SealedArtifacts {
    fn put_bytes(&self, kind: ArtifactKind, hex: &str, bytes: &[u8]) -> Result<()> {
        if !sealed(kind) {
            return self.inner.put_bytes(kind, hex, bytes);
        }
        let id = sealed_id(kind, hex);
        if self.inner.exists(ArtifactKind::Sealed, &id)? {
            return Ok(());
        }
        let mut ct = Vec::with_capacity(HEADER + bytes.len() + TAG * (bytes.len() / SEGMENT + 1));
        let sha = self.seal(kind, hex, &mut &bytes[..], &mut ct, Path::new("memory"))?;
        if sha != hex {
            return Err(tampered(kind, hex));
        }
        self.inner.put_bytes(ArtifactKind::Sealed, &id, &ct)
    }

    fn put_file(&self, kind: ArtifactKind, hex: &str, source: &Path) -> Result<()> {
        if !sealed(kind) {
            return self.inner.put_file(kind, hex, source);
        }
        let id = sealed_id(kind, hex);
        if self.inner.exists(ArtifactKind::Sealed, &id)? {
            return Ok(());
        }
        let mut src = std::io::BufReader::new(std::fs::File::open(source).map_err(io_at(source))?);
        let mut tmp = self.scratch_file()?;
        let tmp_path = tmp.path().to_path_buf();
        let sha = {
            let mut w = std::io::BufWriter::new(tmp.as_file_mut());
            let sha = self.seal(kind, hex, &mut src, &mut w, source)?;
            w.flush().map_err(io_at(&tmp_path))?;
            sha
        };
        if sha != hex {
            return Err(tampered(kind, hex));
        }
        self.inner.put_file(ArtifactKind::Sealed, &id, &tmp_path)
    }

    fn get_bytes(&self, kind: ArtifactKind, hex: &str) -> Result<Vec<u8>> {
        if !sealed(kind) {
            return self.inner.get_bytes(kind, hex);
        }
        let ct = self
            .inner
            .get_bytes(ArtifactKind::Sealed, &sealed_id(kind, hex))
            .map_err(|e| not_found_as(e, kind, hex))?;
        let mut out = Vec::with_capacity(ct.len().saturating_sub(HEADER));
        self.open(kind, hex, &mut &ct[..], &mut out, Path::new("memory"))?;
        Ok(out)
    }

    fn fetch_to(&self, kind: ArtifactKind, hex: &str, dest: &Path) -> Result<()> {
        if !sealed(kind) {
            return self.inner.fetch_to(kind, hex, dest);
        }
        let id = sealed_id(kind, hex);
        // A store on this disk hands out its own path; any other fetches into scratch.
        let (ct_path, _scratch) = match self
            .inner
            .verified_path(ArtifactKind::Sealed, &id)
            .map_err(|e| not_found_as(e, kind, hex))?
        {
            Some(p) => (p, None),
            None => {
                let tmp = self.scratch_file()?;
                self.inner
                    .fetch_to(ArtifactKind::Sealed, &id, tmp.path())
                    .map_err(|e| not_found_as(e, kind, hex))?;
                (tmp.path().to_path_buf(), Some(tmp))
            }
        };
        let dir = match dest.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
            _ => PathBuf::from("."),
        };
        create_private_dir(&dir)?;
        refuse_link(dest)?;
        let mut out = tempfile::Builder::new()
            .prefix(".incoming-")
            .tempfile_in(&dir)
            .map_err(io_at(&dir))?;
        let mut input =
            std::io::BufReader::new(std::fs::File::open(&ct_path).map_err(io_at(&ct_path))?);
        {
            let mut w = std::io::BufWriter::new(out.as_file_mut());
            self.open(kind, hex, &mut input, &mut w, dest)?;
            w.flush().map_err(io_at(dest))?;
        }
        out.as_file().sync_all().map_err(io_at(dest))?;
        out.persist(dest).map_err(|e| io_at(dest)(e.error))?;
        Ok(())
    }

    fn exists(&self, kind: ArtifactKind, hex: &str) -> Result<bool> {
        if !sealed(kind) {
            return self.inner.exists(kind, hex);
        }
        self.inner
            .exists(ArtifactKind::Sealed, &sealed_id(kind, hex))
    }

    /// Sealed kinds have no plaintext on disk to point at: `None`, use `fetch_to`.
    fn verified_path(&self, kind: ArtifactKind, hex: &str) -> Result<Option<PathBuf>> {
        if !sealed(kind) {
            return self.inner.verified_path(kind, hex);
        }
        if !self.exists(kind, hex)? {
            return Err(StoreError::NotFound(format!(
                "{} {hex} is not in the artifact store",
                kind.as_str()
            )));
        }
        Ok(None)
    }

    fn remove(&self, kind: ArtifactKind, hex: &str) -> Result<u64> {
        if !sealed(kind) {
            return self.inner.remove(kind, hex);
        }
        self.inner
            .remove(ArtifactKind::Sealed, &sealed_id(kind, hex))
    }
}

/// The inner store names the derived id and "release bundle"; say what the caller asked for.
fn not_found_as(e: StoreError, kind: ArtifactKind, hex: &str) -> StoreError {
    match e {
        StoreError::NotFound(_) => StoreError::NotFound(format!(
            "{} {hex} is not in the artifact store",
            kind.as_str()
        )),
        StoreError::Tampered { .. } => tampered(kind, hex),
        other => other,
    }
}
