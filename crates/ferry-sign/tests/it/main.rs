#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! Signatures both ways with the real `ssh-keygen`: ferry's verify with `ssh-keygen -Y verify`,
//! ssh-keygen's are accepted by ferry, and a signature over anything else is refused.

use ferry_core::promotion::{Decision, SignatureCheck};
use ferry_core::{PlanId, ReleaseId};
use ferry_sign::{sign, verify, AllowedSigners, Statement, NAMESPACE};
use std::path::{Path, PathBuf};
use std::process::Command;

fn keygen(dir: &Path, name: &str) -> PathBuf {
    let key = dir.join(name);
    let out = Command::new("ssh-keygen")
        .args(["-q", "-t", "ed25519", "-N", "", "-C", name, "-f"])
        .arg(&key)
        .output()
        .expect("ssh-keygen is needed for these tests");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    key
}

fn pubkey(key: &Path) -> String {
    std::fs::read_to_string(key.with_extension("pub"))
        .unwrap()
        .trim()
        .to_string()
}

fn statement(plan: char) -> Statement {
    Statement {
        plan: PlanId::from_hex(&plan.to_string().repeat(64)).unwrap(),
        env: "prod".into(),
        release: ReleaseId::from_hex(&"b".repeat(64)).unwrap(),
        decision: Decision::Approve,
    }
}

fn now() -> jiff::Timestamp {
    jiff::Timestamp::now()
}

#[test]
fn ssh_keygen_verifies_ferrys_signature() {
    let dir = tempfile::tempdir().unwrap();
    let key = keygen(dir.path(), "lead");
    let st = statement('1');
    let sig = sign(&key, &st).unwrap();
    assert!(sig.starts_with("-----BEGIN SSH SIGNATURE-----"), "{sig}");
    let signers = dir.path().join("allowed_signers");
    std::fs::write(&signers, format!("lead@corp.example {}\n", pubkey(&key))).unwrap();
    let sig_path = dir.path().join("stmt.sig");
    std::fs::write(&sig_path, &sig).unwrap();
    let mut child = Command::new("ssh-keygen")
        .args([
            "-Y",
            "verify",
            "-n",
            NAMESPACE,
            "-I",
            "lead@corp.example",
            "-f",
        ])
        .arg(&signers)
        .arg("-s")
        .arg(&sig_path)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write;
    child
        .stdin
        .take()
        .unwrap()
        .write_all(st.text().as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn ferry_accepts_ssh_keygens_signature_and_refuses_others() {
    let dir = tempfile::tempdir().unwrap();
    let lead = keygen(dir.path(), "lead");
    let stranger = keygen(dir.path(), "stranger");
    let st = statement('1');
    let msg = dir.path().join("msg");
    std::fs::write(&msg, st.text()).unwrap();
    let out = Command::new("ssh-keygen")
        .args(["-q", "-Y", "sign", "-n", NAMESPACE, "-f"])
        .arg(&lead)
        .arg(&msg)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let theirs = std::fs::read_to_string(msg.with_extension("sig")).unwrap();
    let signers = AllowedSigners::parse(
        &format!(
            "lead@corp.example,*@leads.example namespaces=\"ferry\" {}\n",
            pubkey(&lead)
        ),
        "allowed_signers",
    )
    .unwrap();

    let check = verify(&signers, &st, Some(&theirs), "lead@corp.example", now());
    assert_eq!(
        check,
        SignatureCheck::Valid {
            principals: vec!["lead@corp.example".into(), "*@leads.example".into()]
        }
    );
    let wild = verify(&signers, &st, Some(&theirs), "ann@leads.example", now());
    assert!(
        matches!(&wild, SignatureCheck::Valid { principals } if principals.contains(&"ann@leads.example".to_string())),
        "{wild:?}"
    );

    // the same signature does not cover another plan
    let other = verify(
        &signers,
        &statement('2'),
        Some(&theirs),
        "lead@corp.example",
        now(),
    );
    assert!(
        matches!(&other, SignatureCheck::Invalid { reason } if reason.contains("not a signature over this approval")),
        "{other:?}"
    );
    // a key that is not an allowed signer
    let forged = sign(&stranger, &st).unwrap();
    let check = verify(&signers, &st, Some(&forged), "lead@corp.example", now());
    assert!(
        matches!(&check, SignatureCheck::Invalid { reason } if reason.contains("not in allowed_signers")),
        "{check:?}"
    );
    // garbage and missing
    assert!(matches!(
        verify(&signers, &st, Some("hello"), "x", now()),
        SignatureCheck::Invalid { .. }
    ));
    assert_eq!(
        verify(&signers, &st, None, "x", now()),
        SignatureCheck::Missing
    );
    // another namespace (a git commit signature with the same key) does not count
    std::fs::remove_file(msg.with_extension("sig")).unwrap();
    let out = Command::new("ssh-keygen")
        .args(["-q", "-Y", "sign", "-n", "git", "-f"])
        .arg(&lead)
        .arg(&msg)
        .output()
        .unwrap();
    assert!(out.status.success());
    let git_sig = std::fs::read_to_string(msg.with_extension("sig")).unwrap();
    assert!(matches!(
        verify(&signers, &st, Some(&git_sig), "lead@corp.example", now()),
        SignatureCheck::Invalid { .. }
    ));
}

#[test]
fn expired_signers_and_encrypted_keys() {
    let dir = tempfile::tempdir().unwrap();
    let lead = keygen(dir.path(), "lead");
    let st = statement('1');
    let sig = sign(&lead, &st).unwrap();
    let signers = AllowedSigners::parse(
        &format!(
            "lead@corp.example valid-before=\"20200101\" {}\n",
            pubkey(&lead)
        ),
        "s",
    )
    .unwrap();
    assert!(matches!(
        verify(&signers, &st, Some(&sig), "lead@corp.example", now()),
        SignatureCheck::Invalid { .. }
    ));
    // an encrypted key goes through ssh-keygen, which cannot ask for a passphrase here: a clear error
    let enc = dir.path().join("enc");
    let out = Command::new("ssh-keygen")
        .args(["-q", "-t", "ed25519", "-N", "secret-passphrase", "-f"])
        .arg(&enc)
        .output()
        .unwrap();
    assert!(out.status.success());
    let err = sign(&enc, &st).unwrap_err().to_string();
    assert!(
        err.contains("ssh-keygen") && !err.contains("secret-passphrase"),
        "{err}"
    );
}
