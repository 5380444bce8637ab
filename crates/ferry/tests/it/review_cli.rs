//! `ferry review PLAN.json [--baseline] [--config]` through the binary: outputs (snapshots of the
//! human and markdown renderings, the exact JSON contract) and exit codes 0 / 1 / 3.

use assert_cmd::Command;
use std::path::PathBuf;

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../ferry-plan/tests/it/fixtures")
        .join(name)
}

fn ferry(dir: &std::path::Path) -> Command {
    let mut cmd = Command::cargo_bin("ferry").unwrap();
    cmd.env("NO_COLOR", "1")
        .env_remove("FERRY_LOG")
        .current_dir(dir);
    cmd
}

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

fn run(args: &[&str]) -> Run {
    // An empty directory: no ferry.toml above it to pick [review] settings from.
    let dir = tempfile::tempdir().unwrap();
    let out = ferry(dir.path()).args(args).output().unwrap();
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8(out.stdout).unwrap(),
        stderr: String::from_utf8(out.stderr).unwrap(),
    }
}

fn path(name: &str) -> String {
    fixture(name).display().to_string()
}

#[test]
fn human_output_of_every_finding_kind_exits_3() {
    let r = run(&["review", &path("all_actions.json")]);
    assert_eq!(r.code, 3, "{}", r.stderr);
    assert!(
        r.stderr
            .starts_with("blocked: review verdict is block (3 blocking finding(s))"),
        "{}",
        r.stderr
    );
    insta::assert_snapshot!("human_all_actions", r.stdout);
}

#[test]
fn markdown_output_of_every_finding_kind() {
    let r = run(&["review", "--format", "markdown", &path("all_actions.json")]);
    assert_eq!(r.code, 3);
    insta::assert_snapshot!("markdown_all_actions", r.stdout);
}

#[test]
fn human_and_markdown_output_against_a_baseline() {
    let r = run(&[
        "review",
        &path("baseline_prod.json"),
        "--baseline",
        &path("baseline_staging.json"),
    ]);
    assert_eq!(r.code, 0, "warn passes with exit 0: {}", r.stderr);
    insta::assert_snapshot!("human_baseline", r.stdout);
    let r = run(&[
        "review",
        "--format",
        "markdown",
        &path("baseline_prod.json"),
        "--baseline",
        &path("baseline_staging.json"),
    ]);
    assert_eq!(r.code, 0);
    insta::assert_snapshot!("markdown_baseline", r.stdout);
}

#[test]
fn json_output_is_the_contract() {
    let r = run(&[
        "review",
        "--format",
        "json",
        &path("baseline_prod.json"),
        "--baseline",
        &path("baseline_staging.json"),
    ]);
    assert_eq!(r.code, 0);
    let v: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    // The contract's field order, as written.
    let at = |k: &str| r.stdout.find(&format!("\"{k}\":")).unwrap();
    assert!(
        at("verdict") < at("summary") && at("summary") < at("findings"),
        "{}",
        r.stdout
    );
    assert_eq!(v.as_object().unwrap().len(), 3);
    assert_eq!(v["verdict"], "warn");
    assert_eq!(
        v["summary"],
        serde_json::json!({"create": 6, "update": 1, "replace": 0, "delete": 1, "read": 0, "no_op": 1, "forget": 0})
    );
    assert_eq!(
        v["findings"][4],
        serde_json::json!({
            "kind": "not-in-baseline", "severity": "info", "address": "module.app.aws_instance.old",
            "attribute": "instance_type",
            "message": "instance_type of module.app.aws_instance.old changes here (\"m5.large\" → \"m5.xlarge\") but not in the baseline plan. Explained by inputs that differ between the environments: var.instance_type (baseline: \"t3.small\", this plan: \"m5.xlarge\").",
            "explained_by": ["var.instance_type"]
        })
    );
    assert_eq!(v["findings"][0]["attribute"], serde_json::Value::Null);
    assert_eq!(v["findings"][0]["explained_by"], serde_json::json!([]));
}

#[test]
fn a_passing_plan_exits_0() {
    let dir = tempfile::tempdir().unwrap();
    let plan = dir.path().join("plan.json");
    std::fs::write(&plan, r#"{"format_version":"1.1","planned_values":{},"resource_changes":[{"address":"a.b","type":"a","name":"b","mode":"managed","change":{"actions":["create"],"before":null,"after":{}}}]}"#).unwrap();
    let out = ferry(dir.path())
        .args(["review", "--format", "json"])
        .arg(&plan)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        v,
        serde_json::json!({"verdict": "pass", "summary": {"create": 1, "update": 0, "replace": 0, "delete": 0, "read": 0, "no_op": 0, "forget": 0}, "findings": []})
    );
}

#[test]
fn bad_input_exits_1_with_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let plan = dir.path().join("plan.txt");
    std::fs::write(&plan, "Terraform will perform the following actions:\n").unwrap();
    let out = ferry(dir.path()).arg("review").arg(&plan).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(out.stdout.is_empty());
    let err = String::from_utf8(out.stderr).unwrap();
    assert_eq!(
        err,
        format!("error: {}: not JSON (starts with 'T'); this looks like the human-readable `terraform plan` output: save the plan with `terraform plan -out=PLANFILE` and pass `terraform show -json PLANFILE`\n", plan.display())
    );
}

#[test]
fn config_review_table_applies_and_is_validated() {
    let dir = tempfile::tempdir().unwrap();
    let plan = dir.path().join("plan.json");
    std::fs::write(&plan, r#"{"format_version":"1.0","planned_values":{},"resource_changes":[{"address":"null_resource.db","type":"null_resource","name":"db","mode":"managed","change":{"actions":["delete","create"],"before":{},"after":{}}}]}"#).unwrap();
    let toml = dir.path().join("ferry.toml");
    std::fs::write(&toml, "[review]\nstateful = [\"null_resource.db\"]\n").unwrap();
    let out = ferry(dir.path())
        .args(["review", "--format", "json"])
        .arg(&plan)
        .arg("--config")
        .arg(&toml)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["findings"][0]["kind"], "stateful-replace");

    // Found upward without --config, like any project command.
    let out = ferry(dir.path())
        .args(["review", "--format", "json"])
        .arg(&plan)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3));

    std::fs::write(&toml, "[review]\nstatefull = [\"null_resource.db\"]\n").unwrap();
    let out = ferry(dir.path()).arg("review").arg(&plan).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8(out.stderr).unwrap();
    assert_eq!(
        err,
        format!("error: {}: [review] statefull: unknown key; expected one of: stateful, not_stateful, downtime, severity\n", toml.display())
    );
}
