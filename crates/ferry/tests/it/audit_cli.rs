//! `ferry audit` end to end: each class of difference, pins and acceptances, every output format,
//! the review prompt, copy-paste detection, the example repository, and the exit-code contract
//! (0 clean, 3 unaccepted kind/structural difference, 1 bad input).

use assert_cmd::Command;
use serde_json::{json, Value};
use std::path::{Path, PathBuf};

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/audit")
        .join(name)
}

fn ferry(dir: &Path) -> Command {
    let mut cmd = Command::cargo_bin("ferry").unwrap();
    cmd.env("NO_COLOR", "1")
        .env_remove("FERRY_DATA_DIR")
        .arg("-C")
        .arg(dir);
    cmd
}

fn stdout(out: &std::process::Output) -> String {
    String::from_utf8(out.stdout.clone()).unwrap()
}

fn stderr(out: &std::process::Output) -> String {
    String::from_utf8(out.stderr.clone()).unwrap()
}

fn json_report(dir: &Path, extra: &[&str]) -> (Value, i32) {
    let out = ferry(dir)
        .args(["--format", "json", "audit"])
        .args(extra)
        .output()
        .unwrap();
    (
        serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}: {}", stderr(&out))),
        out.status.code().unwrap(),
    )
}

fn difference<'a>(report: &'a Value, pair: Option<&str>, name: &str) -> &'a Value {
    report["differences"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["pair"].as_str() == pair && d["name"] == name)
        .unwrap_or_else(|| panic!("no difference {name} in {pair:?}"))
}

#[test]
fn drift_fixture_human_report_blocks() {
    let out = ferry(&fixture("drift")).arg("audit").output().unwrap();
    assert_eq!(out.status.code(), Some(3));
    assert!(stderr(&out).contains(
        "blocked: audit found 9 unaccepted kind or structural difference(s) (5 structural, 4 kind)"
    ));
    insta::assert_snapshot!("drift_human", stdout(&out));
}

#[test]
fn drift_fixture_markdown() {
    let out = ferry(&fixture("drift"))
        .args(["--format", "markdown", "audit", "--pair", "staging:prod"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3));
    insta::assert_snapshot!("drift_markdown", stdout(&out));
}

#[test]
fn drift_fixture_json_classes() {
    let (r, code) = json_report(&fixture("drift"), &[]);
    assert_eq!(code, 3);
    assert_eq!(r["verdict"], "blocked");
    assert_eq!(r["pairs"], json!(["dev:staging", "staging:prod"]));
    assert_eq!(
        r["summary"],
        json!({"structural": 5, "kind": 4, "quantity": 16, "accepted": 1, "blocking": 9})
    );
    assert_eq!(
        r["topology_skipped"],
        json!([
            {"environment": "dev", "reason": "no stored plan"},
            {"environment": "staging", "reason": "no stored plan"},
            {"environment": "prod", "reason": "no stored plan"}
        ])
    );
    assert_eq!(r["copy_paste"], json!([]));
    assert_eq!(
        difference(&r, Some("staging:prod"), "db_instance_class"),
        &json!({
            "pair": "staging:prod", "subject": "variable", "name": "db_instance_class",
            "class": "kind", "classified_as": "kind", "pinned": false, "accepted_reason": null,
            "left": "db.t4g.medium", "right": "db.r6g.large",
            "left_source": "infra/environments/staging.tfvars:7",
            "right_source": "infra/environments/prod.tfvars.json:8",
            "why": "\"db.t4g.medium\" vs \"db.r6g.large\": different machine family (db.t4g vs db.r6g), not just a size"
        })
    );
    let class = |pair: Option<&str>, name: &str| {
        difference(&r, pair, name)["class"]
            .as_str()
            .unwrap()
            .to_string()
    };
    let sp = Some("staging:prod");
    for name in [
        "web_instance_type",
        "gke_machine_type",
        "vm_size",
        "disk_size",
        "replicas",
        "environment",
        "db_password",
    ] {
        assert_eq!(class(sp, name), "quantity", "{name}");
    }
    for name in ["db_instance_class", "region", "buckets"] {
        assert_eq!(class(sp, name), "kind", "{name}");
    }
    for name in ["subnets", "feature_x"] {
        assert_eq!(class(sp, name), "structural", "{name}");
    }
    assert_eq!(
        class(Some("dev:staging"), "db_engine_version"),
        "structural"
    );
    assert_eq!(class(Some("dev:staging"), "old_setting"), "structural");
    assert_eq!(class(None, "legacy_flag"), "structural");

    let pinned = difference(&r, sp, "cache_node_type");
    assert_eq!(
        (pinned["class"].clone(), pinned["pinned"].clone()),
        (json!("quantity"), json!(true))
    );
    let accepted = difference(&r, sp, "enable_waf");
    assert_eq!(accepted["class"], "accepted");
    assert_eq!(accepted["classified_as"], "structural");
    assert_eq!(
        accepted["accepted_reason"],
        "WAF rules are exercised by the weekly prod smoke test; staging traffic is synthetic"
    );
    assert_eq!(accepted["left_source"], "default");

    let secret = difference(&r, sp, "db_password");
    assert_eq!(
        (secret["left"].clone(), secret["right"].clone()),
        (json!("(sensitive)"), json!("(sensitive)"))
    );
    assert!(!r.to_string().contains("secret-do-not-leak"));
}

#[test]
fn pair_option_selects_environments() {
    let (r, _) = json_report(&fixture("drift"), &["--pair", "dev:prod"]);
    assert_eq!(r["pairs"], json!(["dev:prod"]));
    assert!(r["differences"]
        .as_array()
        .unwrap()
        .iter()
        .all(|d| d["pair"] == "dev:prod" || d["pair"].is_null()));
    let out = ferry(&fixture("drift"))
        .args(["audit", "--pair", "dev:qa"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("pair 'dev:qa': no environment 'qa'; known: dev, staging, prod"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn prompt_redacts_secrets_and_asks_the_question() {
    let out = ferry(&fixture("drift"))
        .args(["audit", "--prompt"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let text = stdout(&out);
    assert!(text.contains(
        "Question: what structural (not size) differences exist between staging and prod, and which could cause a deploy to succeed in staging but fail in prod?"
    ));
    for value in ["dev-secret", "staging-secret", "prod-secret-do-not-leak"] {
        assert!(!text.contains(value), "sensitive value leaked:\n{text}");
    }
    assert!(text.contains("db_password       = \"(sensitive)\""));
    insta::assert_snapshot!("drift_prompt", text);
}

#[test]
fn copy_pasted_environment_directories_block() {
    let dir = fixture("copypaste");
    let (r, code) = json_report(&dir, &[]);
    assert_eq!(code, 3);
    assert_eq!(
        r["copy_paste"],
        json!([
            {"kind": "env_directory", "paths": ["envs/dev"], "files": ["main.tf"], "similarity": null,
             "diverging": [], "diverging_total": 0, "class": "structural", "accepted_reason": null},
            {"kind": "env_directory", "paths": ["envs/prod"], "files": ["main.tf"], "similarity": null,
             "diverging": [], "diverging_total": 0, "class": "structural", "accepted_reason": null},
            {"kind": "near_duplicate", "paths": ["envs/dev", "envs/prod"], "files": [], "similarity": 0.96,
             "diverging": ["@@ main.tf", "+ backup = \"daily\""], "diverging_total": 2,
             "class": "structural", "accepted_reason": null}
        ])
    );
    assert!(r["recommended_layout"]
        .as_str()
        .unwrap()
        .contains("    ├── dev.tfvars\n    └── prod.tfvars\n"));
    let out = ferry(&dir).arg("audit").output().unwrap();
    insta::assert_snapshot!("copypaste_human", stdout(&out));
}

#[test]
fn example_repository_audits_clean() {
    let demo = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/demo");
    if !demo.join("ferry.toml").is_file() {
        panic!("examples/demo/ferry.toml is missing");
    }
    let (r, code) = json_report(&demo, &[]);
    assert_eq!(code, 0, "{r:#}");
    assert_eq!(r["verdict"], "clean");
    assert_eq!(r["summary"]["blocking"], 0);
    assert!(r["differences"]
        .as_array()
        .unwrap()
        .iter()
        .all(|d| d["class"] == "quantity"));
    assert_eq!(r["copy_paste"], json!([]));
}

/// A minimal project in a temporary directory, for the bad-input cases.
fn project(files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let base = [
        (
            "ferry.toml",
            "[[environment]]\nname = \"staging\"\nvar_files = [\"infra/staging.tfvars\"]\n\n[[environment]]\nname = \"prod\"\nvar_files = [\"infra/prod.tfvars\"]\nfrom = \"staging\"\n",
        ),
        ("infra/main.tf", "variable \"size\" {\n  type = number\n}\n\nresource \"null_resource\" \"x\" {\n  count = var.size\n}\n"),
        ("infra/staging.tfvars", "size = 1\n"),
        ("infra/prod.tfvars", "size = 2\n"),
    ];
    for (path, text) in base.iter().chain(files) {
        let p = dir.path().join(path);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    }
    dir
}

fn fails_with(files: &[(&str, &str)], message: &str) {
    let dir = project(files);
    let out = ferry(dir.path()).arg("audit").output().unwrap();
    assert_eq!(out.status.code(), Some(1), "stdout: {}", stdout(&out));
    assert!(
        stderr(&out).contains(message),
        "expected {message:?} in:\n{}",
        stderr(&out)
    );
    assert_eq!(stdout(&out), "");
}

#[test]
fn minimal_project_is_clean() {
    let dir = project(&[]);
    let out = ferry(dir.path()).arg("audit").output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
}

#[test]
fn bad_inputs_exit_1_with_location() {
    fails_with(
        &[("infra/prod.tfvars", "size = 2\nname = = \"x\"\n")],
        "infra/prod.tfvars:2:8: HCL syntax error: invalid expression",
    );
    fails_with(
        &[("infra/main.tf", "variable \"size\" {\n  type = number\n")],
        "infra/main.tf:2:17: HCL syntax error",
    );
    fails_with(
        &[
            ("ferry.toml", "[[environment]]\nname = \"staging\"\nvar_files = [\"infra/staging.tfvars\"]\n\n[[environment]]\nname = \"prod\"\nvar_files = [\"infra/prod.tfvars.json\"]\nfrom = \"staging\"\n"),
            ("infra/prod.tfvars.json", "{\n  \"size\": [2]\n}\n"),
        ],
        "infra/prod.tfvars.json:2: variable `size` is declared as number (infra/main.tf:1) but is a list here",
    );
    fails_with(
        &[("ferry.toml", "[[environment]]\nname = \"staging\"\nvar_files = [\"infra/staging.tfvars\"]\n\n[[environment]]\nname = \"prod\"\nfrom = \"staging\"\n")],
        "environment 'prod' has no input files",
    );
    fails_with(
        &[("ferry.toml", "[[environment]]\nname = \"staging\"\nvar_files = [\"infra/staging.tfvars\"]\n\n[[environment]]\nname = \"prod\"\nvar_files = [\"infra/missing.tfvars\"]\nfrom = \"staging\"\n")],
        "cannot read",
    );
    fails_with(
        &[("ferry.toml", "[[environment]]\nname = \"staging\"\nvar_files = [\"infra/staging.tfvars\"]\n\n[[environment]]\nname = \"prod\"\nvar_files = [\"infra/prod.tfvars\"]\nfrom = \"staging\"\n\n[audit]\npair = \"staging:prod\"\n")],
        "[audit] in ferry.toml: unknown key `pair`; known keys: pairs, similarity, variables, accept",
    );
}
