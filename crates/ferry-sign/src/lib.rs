//! Signed approvals. An approval is only as strong as the proof of who gave it: in local mode
//! identities are self-asserted, so an environment may require that each approval carries an SSH
//! signature (SSHSIG, namespace `ferry`, the format `ssh-keygen -Y sign` writes and git uses for
//! commit signing) over a statement naming the plan, environment, release and decision, made with
//! a key that the release's OpenSSH `allowed_signers` file lists for that person.
//!
//! Signing uses the key natively when it is an unencrypted ed25519, ECDSA P-256 or RSA key, and
//! otherwise runs `ssh-keygen -Y sign` (which asks for a passphrase or uses the ssh agent when
//! given a `.pub` file). Verification is always native and never trusts the ledger's word.

mod allowed;
mod statement;

pub use allowed::{AllowedSigners, SignerEntry};
pub use statement::Statement;

use ferry_core::promotion::SignatureCheck;
use ssh_key::{HashAlg, LineEnding, PrivateKey, SshSig};
use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};

/// The SSHSIG namespace of ferry's approval statements.
pub const NAMESPACE: &str = "ferry";

#[derive(Debug, thiserror::Error)]
pub enum SignError {
    #[error("{path}:{line}: {message}")]
    AllowedSigners {
        path: String,
        line: usize,
        message: String,
    },
    #[error("cannot read the signing key {path}: {message}")]
    Key { path: String, message: String },
    #[error("ssh-keygen could not sign with {path}: {message}")]
    SshKeygen { path: String, message: String },
}

/// Signs `statement` with the key at `key_path` and returns the armored signature.
pub fn sign(key_path: &Path, statement: &Statement) -> Result<String, SignError> {
    let text = statement.text();
    let key_err = |message: String| SignError::Key {
        path: key_path.display().to_string(),
        message,
    };
    let data = std::fs::read_to_string(key_path).map_err(|e| key_err(e.to_string()))?;
    match PrivateKey::from_openssh(&data) {
        Ok(key) if !key.is_encrypted() => {
            let sig = key
                .sign(NAMESPACE, HashAlg::Sha512, text.as_bytes())
                .map_err(|e| key_err(e.to_string()))?;
            sig.to_pem(LineEnding::LF)
                .map_err(|e| key_err(e.to_string()))
        }
        // An encrypted key, a public key (agent), or a type this build cannot sign with.
        _ => sign_with_ssh_keygen(key_path, &text),
    }
}

fn sign_with_ssh_keygen(key_path: &Path, text: &str) -> Result<String, SignError> {
    let fail = |message: String| SignError::SshKeygen {
        path: key_path.display().to_string(),
        message,
    };
    let mut child = Command::new("ssh-keygen")
        .args(["-q", "-Y", "sign", "-n", NAMESPACE, "-f"])
        .arg(key_path)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| fail(format!("cannot run ssh-keygen: {e}")))?;
    if let Some(mut stdin) = child.stdin.take() {
        stdin
            .write_all(text.as_bytes())
            .map_err(|e| fail(e.to_string()))?;
    }
    let out = child.wait_with_output().map_err(|e| fail(e.to_string()))?;
    if !out.status.success() {
        return Err(fail(
            String::from_utf8_lossy(&out.stderr).trim().to_string(),
        ));
    }
    String::from_utf8(out.stdout).map_err(|e| fail(e.to_string()))
}

/// Checks `armored` as a signature over `statement` by a key `signers` lists, at `now`
/// (`valid-after`/`valid-before` are honoured). `who` resolves wildcard principals: a pattern
/// that matches `who` counts as `who`.
pub fn verify(
    signers: &AllowedSigners,
    statement: &Statement,
    armored: Option<&str>,
    who: &str,
    now: jiff::Timestamp,
) -> SignatureCheck {
    let Some(armored) = armored else {
        return SignatureCheck::Missing;
    };
    let sig = match SshSig::from_pem(armored.trim()) {
        Ok(sig) => sig,
        Err(e) => {
            return SignatureCheck::Invalid {
                reason: format!("not an SSH signature ({e})"),
            }
        }
    };
    if sig.namespace() != NAMESPACE {
        return SignatureCheck::Invalid {
            reason: format!(
                "signed for namespace '{}', not '{NAMESPACE}'",
                sig.namespace()
            ),
        };
    }
    let candidates: Vec<&SignerEntry> = signers.for_key(sig.public_key(), NAMESPACE, now).collect();
    if candidates.is_empty() {
        return SignatureCheck::Invalid {
            reason: format!(
                "the signing key ({}) is not in allowed_signers for namespace '{NAMESPACE}' now",
                sig.public_key().fingerprint(HashAlg::Sha256)
            ),
        };
    }
    let text = statement.text();
    let mut principals = Vec::new();
    for entry in candidates {
        if entry.key.verify(NAMESPACE, text.as_bytes(), &sig).is_ok() {
            principals.extend(entry.principals_for(who));
        }
    }
    if principals.is_empty() {
        return SignatureCheck::Invalid {
            reason: format!(
                "it is not a signature over this approval ({})",
                statement.summary()
            ),
        };
    }
    SignatureCheck::Valid { principals }
}
