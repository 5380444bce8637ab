//! `ferry policy eval` and `ferry policy test` through the binary: exact JSON reports, the human
//! listing, and exit codes 0 (pass), 1 (failing tests, errors) and 3 (deny).

use assert_cmd::Command;
use serde_json::{json, Value};
use std::path::{Path, PathBuf};

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn demo_policy() -> PathBuf {
    repo().join("examples/demo/policy")
}

fn demo_plan(name: &str) -> String {
    demo_policy()
        .join("tests")
        .join(format!("{name}.plan.json"))
        .display()
        .to_string()
}

fn fixture(name: &str) -> String {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/policy")
        .join(name)
        .display()
        .to_string()
}

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

fn run_in(dir: &Path, args: &[&str]) -> Run {
    let out = Command::cargo_bin("ferry")
        .unwrap()
        .env("NO_COLOR", "1")
        .env_remove("FERRY_LOG")
        .current_dir(dir)
        .args(args)
        .output()
        .unwrap();
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8(out.stdout).unwrap(),
        stderr: String::from_utf8(out.stderr).unwrap(),
    }
}

/// In an empty directory: no ferry.toml above it.
fn run(args: &[&str]) -> Run {
    let dir = tempfile::tempdir().unwrap();
    run_in(dir.path(), args)
}

fn json_of(r: &Run) -> Value {
    serde_json::from_str(&r.stdout).unwrap_or_else(|e| panic!("{e}: {}\n{}", r.stdout, r.stderr))
}

fn result(level: &str, source: &str, rule: &str, line: Option<u32>, message: &str) -> Value {
    json!({"level": level, "source": source, "rule": rule, "line": line, "message": message})
}

#[test]
fn eval_denies_a_database_replacement_with_both_demo_policies() {
    let policy = demo_policy().display().to_string();
    let r = run(&[
        "policy",
        "eval",
        &demo_plan("db-replace"),
        "--policy",
        &policy,
        "--format",
        "json",
    ]);
    assert_eq!(r.code, 3, "{}", r.stderr);
    assert_eq!(
        json_of(&r),
        json!({"results": [
            result("deny", "policy/conftest_database.rego", "deny_db_destroy", Some(10),
                "null_resource.db: the database may not be destroyed (actions: delete,create)"),
            result("deny", "policy/database.rego", "deny", Some(14),
                "null_resource.db: replacing the database would destroy its data"),
        ]})
    );
    assert!(
        r.stderr.contains("blocked: 2 policy deny(s)"),
        "{}",
        r.stderr
    );
}

#[test]
fn eval_passes_a_harmless_plan_and_reports_warnings() {
    let policy = demo_policy().display().to_string();
    let r = run(&[
        "policy",
        "eval",
        &demo_plan("web-scale-up"),
        "--policy",
        &policy,
        "--format",
        "json",
    ]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(json_of(&r), json!({"results": []}));

    let r = run(&[
        "policy",
        "eval",
        &demo_plan("web-scale-down"),
        "--policy",
        &policy,
    ]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(
        r.stdout,
        "warn  policy/database.rego:30 [warn]: module.web.null_resource.replica[2] will be deleted\npolicy: 0 deny, 1 warn\n"
    );
}

#[test]
fn eval_human_output_names_file_line_and_rule() {
    let policy = demo_policy().display().to_string();
    let r = run(&[
        "policy",
        "eval",
        &demo_plan("db-delete"),
        "--policy",
        &policy,
    ]);
    assert_eq!(r.code, 3);
    assert_eq!(
        r.stdout,
        "deny  policy/conftest_database.rego:10 [deny_db_destroy]: null_resource.db: the database may not be destroyed (actions: delete)\n\
         deny  policy/database.rego:14 [deny]: null_resource.db: deleting the database would destroy its data\n\
         policy: 2 deny, 0 warn\n"
    );
}

#[test]
fn eval_in_a_project_applies_builtin_rules_with_the_review() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    std::fs::write(
        root.join("ferry.toml"),
        "[[environment]]\nname = \"prod\"\nvar_files = []\n\n[review]\nstateful = [\"null_resource.db\"]\n\n\
         [policy]\nprotect_stateful = true\n[policy.env.prod]\nmax_deletes = 0\n",
    )
    .unwrap();
    let plan = demo_plan("db-delete");
    let r = run_in(
        root,
        &["policy", "eval", &plan, "--env", "prod", "--format", "json"],
    );
    assert_eq!(r.code, 3, "{}", r.stderr);
    let report = json_of(&r);
    let got: Vec<(&str, &str)> = report["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| (r["source"].as_str().unwrap(), r["rule"].as_str().unwrap()))
        .collect();
    // No policy/ directory in this project: built-in rules only, and that is not an error.
    assert_eq!(
        got,
        vec![("builtin", "protect_stateful"), ("builtin", "max_deletes")]
    );
    assert_eq!(
        report["results"][1]["message"],
        "the plan deletes 1 resources (replacements included), more than max_deletes = 0: null_resource.db"
    );
}

#[test]
fn eval_fails_closed_on_a_broken_policy_and_a_missing_dir() {
    let r = run(&[
        "policy",
        "eval",
        &demo_plan("web-scale-up"),
        "--policy",
        &fixture("broken"),
        "--format",
        "json",
    ]);
    assert_eq!(r.code, 3, "{}", r.stderr);
    assert_eq!(
        json_of(&r),
        json!({"results": [result("deny", "broken/broken.rego", "parse", Some(6),
            "broken/broken.rego:6: syntax error: expecting `}` while parsing set")]})
    );

    let r = run(&[
        "policy",
        "eval",
        &demo_plan("web-scale-up"),
        "--policy",
        "no-such-dir",
        "--format",
        "json",
    ]);
    assert_eq!(r.code, 3, "{}", r.stderr);
    assert_eq!(
        json_of(&r),
        json!({"results": [result("deny", "no-such-dir", "load", None, "policy directory no-such-dir does not exist")]})
    );
}

#[test]
fn eval_of_a_file_that_is_not_a_plan_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("x.json"), "{\"resource_changes\": [").unwrap();
    let r = run_in(
        dir.path(),
        &[
            "policy",
            "eval",
            "x.json",
            "--policy",
            &demo_policy().display().to_string(),
        ],
    );
    assert_eq!(r.code, 1, "{}", r.stderr);
}

#[test]
fn policy_test_runs_the_demo_tests() {
    // `-C` goes before the subcommand until cli.rs gives `policy test DIR` its own arg id.
    let r = run_in(&repo(), &["-C", "examples/demo", "policy", "test"]);
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    assert!(r.stdout.ends_with("10 passed, 0 failed\n"), "{}", r.stdout);
    assert!(
        r.stdout
            .contains("PASS  db-replace (policy/tests/db-replace.plan.json)\n"),
        "{}",
        r.stdout
    );

    let r = run(&[
        "policy",
        "test",
        &demo_policy().display().to_string(),
        "--format",
        "json",
    ]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let report = json_of(&r);
    assert_eq!(report["tests"].as_array().unwrap().len(), 10);
    assert_eq!(
        report["tests"][0],
        json!({"name": "main.test_conftest_policy_denies_db_replace", "kind": "rego",
               "source": "policy/conftest_database_test.rego", "line": 3, "passed": true, "message": null})
    );
}

#[test]
fn policy_test_exits_1_when_a_test_fails() {
    let r = run(&["policy", "test", &fixture("failing"), "--format", "json"]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert_eq!(
        json_of(&r),
        json!({"tests": [{"name": "quiet", "kind": "fixture", "source": "failing/tests/quiet.plan.json",
            "line": null, "passed": false, "message": "unexpected deny: \"always\""}]})
    );
    assert!(
        r.stderr.contains("1 of 1 policy test(s) failed"),
        "{}",
        r.stderr
    );
}
