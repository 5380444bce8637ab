#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! `run_tests`: Rego `test_*` rules and fixture pairs, on the demo's policies and on broken ones.

use ferry_policy::{run_tests, PolicyOptions};
use std::path::{Path, PathBuf};

fn demo_policy() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/demo/policy")
}

#[test]
fn the_demo_policy_tests_pass() {
    let report = run_tests(&demo_policy(), &PolicyOptions::default()).unwrap();
    let failures: Vec<_> = report.failures().collect();
    assert!(failures.is_empty(), "{failures:#?}");
    let kinds = |k: &str| report.tests.iter().filter(|t| t.kind == k).count();
    assert_eq!((kinds("rego"), kinds("fixture")), (6, 4));
    assert!(report.passed());
}

#[test]
fn wrong_expectations_and_false_tests_fail_with_reasons() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("policy");
    std::fs::create_dir_all(dir.join("tests")).unwrap();
    std::fs::write(
        dir.join("p.rego"),
        "package main\nimport rego.v1\ndeny contains \"no\" if input.x\n",
    )
    .unwrap();
    std::fs::write(
        dir.join("p_test.rego"),
        "package main\nimport rego.v1\ntest_ok if { deny[\"no\"] with input as {\"x\": true} }\ntest_bad if { count(deny) == 1 with input as {\"x\": false} }\n",
    )
    .unwrap();
    std::fs::write(dir.join("tests/a.plan.json"), r#"{"x": true}"#).unwrap();
    std::fs::write(dir.join("tests/a.expect.json"), r#"{"deny": ["yes"]}"#).unwrap();
    let report = run_tests(&dir, &PolicyOptions::default()).unwrap();
    assert!(!report.passed());
    let summary: Vec<(String, bool, Option<String>)> = report
        .tests
        .iter()
        .map(|t| (t.name.clone(), t.passed, t.message.clone()))
        .collect();
    assert_eq!(
        summary,
        vec![
            ("main.test_ok".into(), true, None),
            (
                "main.test_bad".into(),
                false,
                Some("undefined: a condition in the test was not met".into())
            ),
            (
                "a".into(),
                false,
                Some("expected deny not produced: \"yes\"; unexpected deny: \"no\"".into())
            ),
        ]
    );
}

#[test]
fn a_broken_policy_fails_the_suite_and_an_empty_suite_does_not_pass() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("policy");
    std::fs::create_dir_all(&dir).unwrap();
    let empty = run_tests(&dir, &PolicyOptions::default()).unwrap();
    assert!(!empty.passed());
    std::fs::write(dir.join("bad.rego"), "package main\ndeny contains if {\n").unwrap();
    let report = run_tests(&dir, &PolicyOptions::default()).unwrap();
    assert!(!report.passed());
    assert_eq!(report.tests[0].kind, "load");
    assert_eq!(report.tests[0].source, "policy/bad.rego");
    assert!(run_tests(&tmp.path().join("missing"), &PolicyOptions::default()).is_err());
}
