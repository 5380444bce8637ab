//! A distinctive sensitive value, set through a `sensitive = true` variable from a var file on
//! Terraform 1.11, printed in clear by a provisioner (`nonsensitive`) and carried into a
//! derived value and a sensitive output: it appears in no output of any command (human, json,
//! markdown, -vv), in no byte of the ledger (WAL included), and in no file under `.ferry/`
//! that anyone but the owner can read.

use crate::common::{run, Project};
use std::os::unix::fs::PermissionsExt as _;
use std::path::Path;

const SECRET: &str = "Zebra-S3cr3t-4711-quartz";
const DERIVED: &str = "ZEBRA-S3CR3T-4711-QUARTZ";
const TERRAFORM_1_11: &str = "/usr/local/bin/terraform";

fn secret_project() -> Project {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("repo");
    std::fs::create_dir_all(root.join("infra/environments")).unwrap();
    std::fs::write(
        root.join("ferry.toml"),
        "[project]\nroot = \"infra\"\n\n[[environment]]\nname = \"dev\"\nvar_files = [\"infra/environments/dev.tfvars\"]\nauto_apply = true\n",
    )
    .unwrap();
    std::fs::write(
        root.join("infra/main.tf"),
        r#"variable "db_password" {
  type      = string
  sensitive = true
}

resource "terraform_data" "password" {
  input = var.db_password

  provisioner "local-exec" {
    command = "echo connecting with ${nonsensitive(var.db_password)}"
  }
}

resource "terraform_data" "derived" {
  input = upper(var.db_password)
}

output "connection" {
  value     = "postgres://app:${var.db_password}@db"
  sensitive = true
}
"#,
    )
    .unwrap();
    std::fs::write(
        root.join("infra/environments/dev.tfvars"),
        format!("db_password = \"{SECRET}\"\n"),
    )
    .unwrap();
    let p = Project { dir };
    p.git(&["init", "-q", "-b", "main"]);
    p.commit("v1");
    p
}

fn files(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap().flatten() {
        let path = e.path();
        let ft = e.file_type().unwrap();
        if ft.is_dir() {
            files(&path, out);
        }
        out.push(path);
    }
}

fn holds(bytes: &[u8], needle: &str) -> bool {
    bytes.windows(needle.len()).any(|w| w == needle.as_bytes())
}

#[test]
fn a_sensitive_value_appears_in_no_output_no_ledger_byte_and_no_readable_file() {
    assert!(
        Path::new(TERRAFORM_1_11).is_file(),
        "Terraform 1.11 is not installed at {TERRAFORM_1_11}"
    );
    let p = secret_project();
    let mut seen = String::new();
    let mut ferry = |args: &[&str]| {
        let mut cmd = p.ferry(args);
        cmd.env("FERRY_ENGINE", TERRAFORM_1_11)
            .env("FERRY_PROGRESS", "plain");
        let (code, out, err) = run(cmd);
        assert!(
            code == 0 || code == 3,
            "ferry {args:?} exited {code}:\n{out}\n{err}"
        );
        seen.push_str(&out);
        seen.push_str(&err);
        (out, err)
    };
    ferry(&["release", "create"]);
    // Held open so the WAL is not folded back and removed when ferry closes the ledger: its
    // bytes are checked as they were written.
    let keep = rusqlite::Connection::open(p.data().join("ledger.db")).unwrap();
    let _: i64 = keep
        .query_row("SELECT count(*) FROM sqlite_master", [], |r| r.get(0))
        .unwrap();
    let (_, err) = ferry(&["-vv", "promote", "--to", "dev"]);
    assert!(
        err.contains("connecting with (sensitive value)"),
        "the engine line is shown, cleaned:\n{err}"
    );
    ferry(&["plan", "--env", "dev"]);
    for format in ["human", "json", "markdown"] {
        ferry(&["--format", format, "review", "--env", "dev"]);
    }
    for format in ["human", "json"] {
        ferry(&["--format", format, "status"]);
        ferry(&["--format", format, "history"]);
        ferry(&["--format", format, "release", "list"]);
    }
    // One apply of the pending plan (a re-plan of an unchanged environment would be the same
    // plan file, which the ledger records once).
    ferry(&["--format", "json", "-vv", "apply", "--env", "dev"]);
    for s in [SECRET, DERIVED] {
        assert!(!seen.contains(s), "{s} leaked into output:\n{seen}");
    }

    let data = p.data();
    assert!(data.join("ledger.db-wal").is_file());
    let mut all = Vec::new();
    files(&data, &mut all);
    let mut ledger_files = 0;
    for path in &all {
        let meta = std::fs::symlink_metadata(path).unwrap();
        let mode = meta.permissions().mode() & 0o777;
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        if meta.is_dir() {
            assert_eq!(mode & 0o077, 0, "{} is mode {mode:o}", path.display());
            continue;
        }
        if !meta.is_file() {
            continue;
        }
        let bytes = std::fs::read(path).unwrap();
        if name.starts_with("ledger.db") {
            ledger_files += 1;
            for s in [SECRET, DERIVED] {
                assert!(!holds(&bytes, s), "{s} is in {}", path.display());
            }
        }
        if holds(&bytes, SECRET) || holds(&bytes, DERIVED) {
            assert_eq!(
                mode & 0o177,
                0,
                "{} holds the secret and is mode {mode:o}",
                path.display()
            );
        }
    }
    assert!(ledger_files >= 2, "the WAL was not looked at: {all:?}");
    drop(keep);
}
