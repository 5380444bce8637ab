#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! Rego evaluation through the public API: conftest v0 and v1 policies, attribution, fail-closed.

use ferry_policy::{
    BuiltinConfig, FerryContext, Level, PolicyError, PolicyOptions, PolicyReport, PolicyResult,
    PolicySet,
};
use serde_json::{json, Value};
use std::path::Path;
use std::time::Duration;

fn dir(files: &[(&str, &str)]) -> tempfile::TempDir {
    let tmp = tempfile::Builder::new().prefix("pol").tempdir().unwrap();
    let root = tmp.path().join("policy");
    for (name, text) in files {
        let p = root.join(name);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    }
    tmp
}

fn no_builtin() -> BuiltinConfig {
    BuiltinConfig {
        protect_stateful: false,
        ..BuiltinConfig::default()
    }
}

fn eval_with(tmp: &tempfile::TempDir, opts: &PolicyOptions, plan: &Value) -> PolicyReport {
    let set = PolicySet::load(Some(&tmp.path().join("policy")), &no_builtin(), opts).unwrap();
    set.evaluate(plan, &FerryContext::new("prod"))
}

fn eval(tmp: &tempfile::TempDir, plan: &Value) -> PolicyReport {
    eval_with(tmp, &PolicyOptions::default(), plan)
}

fn plan(address: &str, rtype: &str, actions: &[&str]) -> Value {
    let name = address.rsplit('.').next().unwrap();
    json!({"format_version": "1.2", "resource_changes": [
        {"address": address, "type": rtype, "name": name, "change": {"actions": actions}}
    ]})
}

const V0: &str = r#"package main

deny[msg] {
  rc := input.resource_changes[_]
  rc.type == "aws_db_instance"
  rc.change.actions[_] == "delete"
  msg := sprintf("%s: database deletion is not allowed", [rc.address])
}
"#;

const V1: &str = r#"package main

import rego.v1

deny contains msg if {
	some rc in input.resource_changes
	rc.type == "aws_db_instance"
	"delete" in rc.change.actions
	msg := sprintf("%s: database deletion is not allowed", [rc.address])
}

warn contains {"msg": sprintf("%s is deleted", [rc.address]), "details": 1} if {
	some rc in input.resource_changes
	"delete" in rc.change.actions
}
"#;

fn deny(source: &str, rule: &str, line: u32, message: &str) -> PolicyResult {
    PolicyResult {
        level: Level::Deny,
        source: source.into(),
        rule: rule.into(),
        line: Some(line),
        message: message.into(),
    }
}

#[test]
fn conftest_v0_policy_blocks_database_delete_and_passes_harmless_plan() {
    let tmp = dir(&[("terraform.rego", V0)]);
    let report = eval(
        &tmp,
        &plan(
            "aws_db_instance.main",
            "aws_db_instance",
            &["delete", "create"],
        ),
    );
    assert_eq!(
        report.results,
        vec![deny(
            "policy/terraform.rego",
            "deny",
            3,
            "aws_db_instance.main: database deletion is not allowed"
        )]
    );
    assert!(!report.passed());
    let ok = eval(&tmp, &plan("aws_instance.web", "aws_instance", &["delete"]));
    assert_eq!(ok.results, vec![]);
    assert!(ok.passed());
}

#[test]
fn v1_policy_blocks_database_delete_and_warns_with_msg_objects() {
    let tmp = dir(&[("db.rego", V1)]);
    let report = eval(
        &tmp,
        &plan("aws_db_instance.main", "aws_db_instance", &["delete"]),
    );
    assert_eq!(report.denies().count(), 1);
    assert_eq!(
        report.results[0],
        deny(
            "policy/db.rego",
            "deny",
            5,
            "aws_db_instance.main: database deletion is not allowed"
        )
    );
    let warn = report.warnings().next().unwrap();
    assert_eq!(
        (warn.rule.as_str(), warn.line, warn.message.as_str()),
        ("warn", Some(12), "aws_db_instance.main is deleted")
    );

    let harmless = eval(&tmp, &plan("aws_instance.web", "aws_instance", &["delete"]));
    assert!(harmless.passed());
    assert_eq!(
        harmless
            .warnings()
            .map(|w| w.message.as_str())
            .collect::<Vec<_>>(),
        vec!["aws_instance.web is deleted"]
    );
    let create = eval(&tmp, &plan("aws_instance.web", "aws_instance", &["create"]));
    assert_eq!(create.results, vec![]);
}

#[test]
fn same_rule_in_two_files_is_attributed_to_each_file() {
    let tmp = dir(&[("a_v0.rego", V0), ("b_v1.rego", V1)]);
    let report = eval(
        &tmp,
        &plan("aws_db_instance.main", "aws_db_instance", &["delete"]),
    );
    let denies: Vec<(&str, Option<u32>)> = report
        .denies()
        .map(|d| (d.source.as_str(), d.line))
        .collect();
    assert_eq!(
        denies,
        vec![("policy/a_v0.rego", Some(3)), ("policy/b_v1.rego", Some(5))]
    );
}

#[test]
fn suffixed_rules_violations_and_namespaces() {
    let tmp = dir(&[
        ("x.rego", "package main\n\nviolation_size contains \"too big\" if input.size > 1\n\ndeny_never contains \"no\" if false\n"),
        ("other.rego", "package team.rules\n\ndeny contains \"team says no\" if true\n"),
    ]);
    let report = eval(&tmp, &json!({"size": 2}));
    let got: Vec<(&str, &str)> = report
        .results
        .iter()
        .map(|r| (r.rule.as_str(), r.message.as_str()))
        .collect();
    assert_eq!(got, vec![("violation_size", "too big")]);

    let all = PolicyOptions {
        namespaces: vec!["*".into()],
        ..PolicyOptions::default()
    };
    let report = eval_with(&tmp, &all, &json!({"size": 0}));
    assert_eq!(
        report.results,
        vec![deny("policy/other.rego", "deny", 3, "team says no")]
    );
}

#[test]
fn data_ferry_and_data_files_reach_policies() {
    let tmp = dir(&[
        ("env.rego", "package main\nimport rego.v1\n\ndeny contains sprintf(\"%s in %s\", [data.ferry.environment, data.limits.region]) if data.ferry.review.verdict == \"block\"\n"),
        ("limits.json", r#"{"limits": {"region": "eu"}}"#),
    ]);
    let set = PolicySet::load(
        Some(&tmp.path().join("policy")),
        &no_builtin(),
        &PolicyOptions::default(),
    )
    .unwrap();
    let mut ctx = FerryContext::new("prod");
    ctx.review = Some(ferry_core::Review::new(
        ferry_core::Summary::default(),
        vec![ferry_core::Finding {
            kind: ferry_core::FindingKind::StatefulDelete,
            severity: ferry_core::Severity::Block,
            address: "a.b".into(),
            attribute: None,
            message: String::new(),
            explained_by: vec![],
        }],
    ));
    let report = set.evaluate(&json!({}), &ctx);
    assert_eq!(
        report.results,
        vec![deny("policy/env.rego", "deny", 4, "prod in eu")]
    );
    assert!(set
        .evaluate(&json!({}), &FerryContext::new("prod"))
        .passed());
}

#[test]
fn syntax_error_denies_naming_file_and_line_while_other_files_still_run() {
    let tmp = dir(&[
        (
            "broken.rego",
            "package main\nimport rego.v1\n\ndeny contains msg if {\n  msg := \n}\n",
        ),
        ("db.rego", V1),
    ]);
    let report = eval(&tmp, &plan("aws_instance.web", "aws_instance", &["create"]));
    assert!(!report.passed());
    let d: Vec<&PolicyResult> = report.denies().collect();
    assert_eq!(d.len(), 1, "{report:?}");
    assert_eq!(
        (d[0].source.as_str(), d[0].rule.as_str()),
        ("policy/broken.rego", "parse")
    );
    assert!(matches!(d[0].line, Some(5 | 6)), "{:?}", d[0]);
    assert!(
        d[0].message.starts_with("policy/broken.rego:"),
        "{}",
        d[0].message
    );
}

#[test]
fn v0_syntax_error_reports_the_v0_error() {
    let tmp = dir(&[(
        "old.rego",
        "package main\n\ndeny[msg] {\n  msg := sprintf(\"%s\", [input.x]\n}\n",
    )]);
    let report = eval(&tmp, &json!({}));
    let d = report.denies().next().unwrap();
    // The v0 parser's complaint (an unclosed body), not v1's "`if` keyword is required".
    assert_eq!((d.rule.as_str(), d.line), ("parse", Some(3)));
    assert_eq!(d.message, "policy/old.rego:3: syntax error: expecting }");
}

#[test]
fn evaluation_error_denies_with_rule_and_line() {
    let tmp = dir(&[("err.rego", "package main\nimport rego.v1\n\ndeny contains msg if {\n  msg := sprintf(\"%d\", [1/0])\n}\n")]);
    let report = eval(&tmp, &json!({}));
    let d = report.denies().next().expect("an error must deny");
    assert_eq!(
        (d.source.as_str(), d.rule.as_str()),
        ("policy/err.rego", "deny")
    );
    assert!(d.line.is_some());
}

#[test]
fn runaway_rule_is_stopped_by_the_time_limit_and_denies() {
    let runaway = "package main\nimport rego.v1\n\ndeny contains msg if {\n  some i in numbers.range(1, 100000)\n  some j in numbers.range(1, 100000)\n  i + j < 0\n  msg := \"never\"\n}\n";
    let tmp = dir(&[("loop.rego", runaway)]);
    let opts = PolicyOptions {
        timeout: Duration::from_millis(200),
        ..PolicyOptions::default()
    };
    let started = std::time::Instant::now();
    let report = eval_with(&tmp, &opts, &json!({}));
    assert!(
        started.elapsed() < Duration::from_secs(20),
        "took {:?}",
        started.elapsed()
    );
    assert_eq!(
        report.results,
        vec![deny(
            "policy/loop.rego",
            "deny",
            4,
            "policy/loop.rego:4: rule deny: evaluation exceeded the time limit of 200 ms"
        )]
    );
}

#[test]
fn explicit_missing_dir_is_an_error_that_reports_as_deny() {
    let opts = PolicyOptions {
        require_dir: true,
        ..PolicyOptions::default()
    };
    let err =
        PolicySet::load(Some(Path::new("/nonexistent/policy")), &no_builtin(), &opts).unwrap_err();
    assert!(matches!(err, PolicyError::DirNotFound { .. }));
    let report = PolicyReport::from_error(&err);
    assert!(!report.passed());
    assert_eq!(
        report.results[0].message,
        "policy directory /nonexistent/policy does not exist"
    );

    // The default directory may be absent: no Rego policies, built-in rules only.
    let set = PolicySet::load(
        Some(Path::new("/nonexistent/policy")),
        &no_builtin(),
        &PolicyOptions::default(),
    )
    .unwrap();
    assert_eq!(
        set.evaluate(&json!({}), &FerryContext::new("dev")).results,
        vec![]
    );
}

#[test]
fn bad_data_json_denies() {
    let tmp = dir(&[("db.rego", V1), ("data.json", "{\"a\": ")]);
    let report = eval(&tmp, &plan("aws_instance.web", "aws_instance", &["create"]));
    let d: Vec<&PolicyResult> = report.denies().collect();
    assert_eq!(d.len(), 1);
    assert_eq!(
        (d[0].source.as_str(), d[0].rule.as_str()),
        ("policy/data.json", "data")
    );
    assert!(
        d[0].message.contains("invalid JSON at line 1"),
        "{}",
        d[0].message
    );

    let reserved = dir(&[("data.json", r#"{"ferry": {}}"#)]);
    assert!(!eval(&reserved, &json!({})).passed());
}

#[test]
fn undefined_function_is_a_compile_deny() {
    let tmp = dir(&[(
        "u.rego",
        "package main\nimport rego.v1\n\ndeny contains msg if {\n  msg := no_such_fn(1)\n}\n",
    )]);
    let report = eval(&tmp, &json!({}));
    assert!(!report.passed(), "{report:?}");
    assert_eq!(report.results[0].source, "policy/u.rego");
}

#[test]
fn tests_dir_and_test_files_are_not_policies() {
    let tmp = dir(&[
        ("db.rego", V1),
        (
            "db_test.rego",
            "package main\nimport rego.v1\ndeny contains \"from a test file\" if true\n",
        ),
        ("tests/x.plan.json", "{}"),
        ("tests/bad.json", "not json"),
    ]);
    assert_eq!(eval(&tmp, &json!({})).results, vec![]);
}

#[test]
fn evaluate_text_matches_evaluate_and_denies_non_json() {
    let tmp = dir(&[("a_v0.rego", V0), ("b_v1.rego", V1)]);
    let set = PolicySet::load(
        Some(&tmp.path().join("policy")),
        &no_builtin(),
        &PolicyOptions::default(),
    )
    .unwrap();
    let p = plan("aws_db_instance.main", "aws_db_instance", &["delete"]);
    let ctx = FerryContext::new("prod");
    assert_eq!(
        set.evaluate_text(&p.to_string(), &ctx),
        set.evaluate(&p, &ctx)
    );
    assert_eq!(set.evaluate(&p, &ctx).results.len(), 3);

    let bad = set.evaluate_text("{\"resource_changes\": [", &ctx);
    assert_eq!(bad.results.len(), 1);
    assert_eq!(
        (bad.results[0].level, bad.results[0].rule.as_str()),
        (Level::Deny, "input")
    );
    let builtin_only = PolicySet::load(None, &no_builtin(), &PolicyOptions::default()).unwrap();
    assert!(!builtin_only.evaluate_text("nope", &ctx).passed());
    assert!(builtin_only.evaluate_text("{}", &ctx).passed());
}
