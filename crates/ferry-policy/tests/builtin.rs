#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! The built-in rules configured in `[policy]`, each on its own, with no Rego directory.

use ferry_core::{Finding, FindingKind, Review, Summary};
use ferry_policy::{BuiltinConfig, FerryContext, Level, PolicyResult, PolicySet};
use serde_json::{json, Value};

fn run(toml_text: &str, env: Option<&str>, plan: &Value, ctx: &FerryContext) -> Vec<PolicyResult> {
    let table: toml::Table = toml::from_str(toml_text).unwrap();
    let builtin = BuiltinConfig::from_table(&table, env).unwrap();
    let set = PolicySet::load(None, &builtin, &Default::default()).unwrap();
    set.evaluate(plan, ctx).results
}

fn reviewed(findings: Vec<Finding>) -> FerryContext {
    FerryContext {
        review: Some(Review::new(Summary::default(), findings)),
        ..FerryContext::new("prod")
    }
}

fn finding(kind: FindingKind, address: &str) -> Finding {
    Finding {
        kind,
        severity: kind.default_severity(),
        address: address.into(),
        attribute: None,
        message: String::new(),
        explained_by: vec![],
    }
}

fn deny(rule: &str, message: &str) -> PolicyResult {
    PolicyResult {
        level: Level::Deny,
        source: "builtin".into(),
        rule: rule.into(),
        line: None,
        message: message.into(),
    }
}

fn change(address: &str, rtype: &str, actions: &[&str], after: Value) -> Value {
    json!({"address": address, "type": rtype, "change": {"actions": actions, "after": after, "after_unknown": {}}})
}

fn plan(changes: Vec<Value>) -> Value {
    json!({"format_version": "1.2", "resource_changes": changes})
}

#[test]
fn stateful_findings_deny_by_default() {
    let ctx = reviewed(vec![
        finding(FindingKind::StatefulReplace, "null_resource.db"),
        finding(FindingKind::StatefulDelete, "aws_db_instance.old"),
        finding(FindingKind::Delete, "aws_instance.web"),
    ]);
    assert_eq!(
        run("", Some("prod"), &plan(vec![]), &ctx),
        vec![
            deny(
                "protect_stateful",
                "stateful resource null_resource.db would be replaced (deleted and re-created)"
            ),
            deny(
                "protect_stateful",
                "stateful resource aws_db_instance.old would be deleted"
            ),
        ]
    );
    assert_eq!(
        run("protect_stateful = false", None, &plan(vec![]), &ctx),
        vec![]
    );
}

#[test]
fn without_a_review_stateful_protection_says_it_could_not_run() {
    let got = run("", None, &plan(vec![]), &FerryContext::new("dev"));
    assert_eq!(got.len(), 1);
    assert_eq!(
        (got[0].level, got[0].rule.as_str()),
        (Level::Warn, "protect_stateful")
    );
}

#[test]
fn max_deletes_counts_replacements_and_is_per_environment() {
    let p = plan(vec![
        change("a.one", "a", &["delete"], Value::Null),
        change("a.two", "a", &["create", "delete"], json!({})),
        change("a.three", "a", &["update"], json!({})),
    ]);
    let cfg = "protect_stateful = false\nmax_deletes = 2\n[env.prod]\nmax_deletes = 1\n";
    let ctx = FerryContext::new("x");
    assert_eq!(run(cfg, Some("staging"), &p, &ctx), vec![]);
    assert_eq!(
        run(cfg, Some("prod"), &p, &ctx),
        vec![deny("max_deletes", "the plan deletes 2 resources (replacements included), more than max_deletes = 1: a.one, a.two")]
    );
}

#[test]
fn forbidden_types_block_creates_and_updates_not_deletes() {
    let p = plan(vec![
        change("aws_iam_user.bob", "aws_iam_user", &["create"], json!({})),
        change("aws_iam_user.old", "aws_iam_user", &["delete"], Value::Null),
        change("aws_instance.web", "aws_instance", &["update"], json!({})),
    ]);
    let cfg = "protect_stateful = false\n[env.prod]\nforbidden_types = [\"aws_iam_*\"]\n";
    let ctx = FerryContext::new("prod");
    assert_eq!(
        run(cfg, Some("prod"), &p, &ctx),
        vec![deny(
            "forbidden_types",
            "aws_iam_user.bob: resource type aws_iam_user is forbidden in this environment"
        )]
    );
    assert_eq!(run(cfg, Some("dev"), &p, &ctx), vec![]);
}

#[test]
fn required_tags_on_created_taggable_resources() {
    let p = plan(vec![
        change(
            "aws_s3_bucket.ok",
            "aws_s3_bucket",
            &["create"],
            json!({"tags": {"owner": "a"}, "tags_all": {"owner": "a", "cost": "1"}}),
        ),
        change(
            "aws_s3_bucket.bad",
            "aws_s3_bucket",
            &["create"],
            json!({"tags": {"owner": "a"}, "tags_all": {"owner": "a"}}),
        ),
        change(
            "aws_s3_bucket.none",
            "aws_s3_bucket",
            &["create"],
            json!({"tags": null, "tags_all": {}}),
        ),
        change(
            "null_resource.untaggable",
            "null_resource",
            &["create"],
            json!({"triggers": {}}),
        ),
        change(
            "aws_s3_bucket.old",
            "aws_s3_bucket",
            &["update"],
            json!({"tags": {}}),
        ),
    ]);
    let cfg = "protect_stateful = false\nrequired_tags = [\"owner\", \"cost\"]";
    assert_eq!(
        run(cfg, None, &p, &FerryContext::new("x")),
        vec![
            deny(
                "required_tags",
                "aws_s3_bucket.bad: created without required tag(s) cost"
            ),
            deny(
                "required_tags",
                "aws_s3_bucket.none: created without required tag(s) owner, cost"
            ),
        ]
    );
}

#[test]
fn allowed_addresses_deny_changes_outside_the_list() {
    let p = plan(vec![
        change(
            "module.app.aws_instance.web[0]",
            "aws_instance",
            &["update"],
            json!({}),
        ),
        change("aws_vpc.main", "aws_vpc", &["no-op"], json!({})),
        change("data.aws_ami.x", "aws_ami", &["read"], json!({})),
        change(
            "aws_route53_record.www",
            "aws_route53_record",
            &["create"],
            json!({}),
        ),
    ]);
    let cfg = "protect_stateful = false\nallowed_addresses = [\"module.app.*\"]";
    assert_eq!(
        run(cfg, None, &p, &FerryContext::new("x")),
        vec![deny("allowed_addresses", "aws_route53_record.www: the plan changes it (create), but it is outside allowed_addresses")]
    );
}

#[test]
fn unknown_keys_are_rejected() {
    let table: toml::Table = toml::from_str("protect_statefull = false").unwrap();
    let err = BuiltinConfig::from_table(&table, None)
        .unwrap_err()
        .to_string();
    assert!(
        err.starts_with("ferry.toml [policy]: unknown field `protect_statefull`"),
        "{err}"
    );
}
