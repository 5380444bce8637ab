//! The policy benchmark of docs/benchmarks-policy.md. Two questions:
//!
//! 1. What do the built-in rules cost next to the review, and what does the same stateful
//!    protection cost written in Rego? On a synthetic plan of 200k resource changes (written
//!    here, compact: the rules only read addresses, types, actions and tags).
//! 2. Can a typical 5-rule conftest policy set evaluate a 100 MB plan in ≤ 2 s? On a plan from
//!    ferry-plan's generator (`gen_plan --size-mb 100`), which has real plans' bulk.
//!
//! ```text
//! cargo run --release -p ferry-plan --example gen_plan -- --size-mb 100 --env prod --out /tmp/plan-100mb.json
//! cargo run --release -p ferry-policy --example bench_policy -- --changes 200000 --plan /tmp/plan-100mb.json
//! ```

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use ferry_policy::{BuiltinConfig, FerryContext, PolicyOptions, PolicySet};
use std::fmt::Write as _;
use std::path::Path;
use std::time::{Duration, Instant};

/// The review's own catalog (exact types and `prefix*` globs), so both sides find the same
/// resources.
fn stateful_rego() -> String {
    let quote = |t: &&str| format!("{:?}", t.trim_end_matches('*'));
    let exact: Vec<String> = ferry_plan::STATEFUL_TYPES
        .iter()
        .filter(|t| !t.ends_with('*'))
        .map(quote)
        .collect();
    let prefixes: Vec<String> = ferry_plan::STATEFUL_TYPES
        .iter()
        .filter(|t| t.ends_with('*'))
        .map(quote)
        .collect();
    format!(
        "package main\n\nimport rego.v1\n\nstateful_types := {{{}}}\n\nstateful_prefixes := [{}]\n\n\
         stateful(rc) if stateful_types[rc.type]\n\n\
         stateful(rc) if {{\n\tsome p in stateful_prefixes\n\tstartswith(rc.type, p)\n}}\n\n{STATEFUL_RULE}",
        exact.join(", "),
        prefixes.join(", ")
    )
}

const STATEFUL_RULE: &str = r#"deny contains msg if {
	some rc in input.resource_changes
	stateful(rc)
	"delete" in rc.change.actions
	msg := sprintf("%s: stateful resource would be deleted or replaced", [rc.address])
}
"#;

const EMPTY_REGO: &str = "package main\n\nimport rego.v1\n\ndeny contains \"never\" if false\n";

/// A typical conftest set for Terraform: one v0 file, one v1 file, five rules between them.
const FIVE_RULES_V1: &str = r#"package main

import rego.v1

stateful_types := {"aws_db_instance", "aws_rds_cluster", "aws_dynamodb_table", "aws_s3_bucket"}

allowed_instance_types := {"t3.micro", "t3.small", "t3.medium", "m6i.large", "m6i.xlarge", "m6i.2xlarge"}

deny contains msg if {
	some rc in input.resource_changes
	stateful_types[rc.type]
	"delete" in rc.change.actions
	msg := sprintf("%s: stateful resource would be deleted or replaced", [rc.address])
}

deny_instance_type contains msg if {
	some rc in input.resource_changes
	rc.type == "aws_instance"
	"create" in rc.change.actions
	not allowed_instance_types[rc.change.after.instance_type]
	msg := sprintf("%s: instance type %s is not allowed", [rc.address, rc.change.after.instance_type])
}

warn contains msg if {
	deletes := [rc | some rc in input.resource_changes; "delete" in rc.change.actions]
	count(deletes) > 10
	msg := sprintf("the plan deletes %d resources", [count(deletes)])
}
"#;

const FIVE_RULES_V0: &str = r#"package main

warn_tags[msg] {
	rc := input.resource_changes[_]
	rc.change.actions[_] == "create"
	not rc.change.after.tags.owner
	msg := sprintf("%s: no owner tag", [rc.address])
}

deny_public_bucket[msg] {
	rc := input.resource_changes[_]
	rc.type == "aws_s3_bucket"
	rc.change.after.acl == "public-read"
	msg := sprintf("%s: public bucket", [rc.address])
}
"#;

fn policy_dir(files: &[(&str, &str)]) -> tempfile::TempDir {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::create_dir(tmp.path().join("policy")).unwrap();
    for (name, text) in files {
        std::fs::write(tmp.path().join("policy").join(name), text).unwrap();
    }
    tmp
}

/// 200k changes shaped like a large refactor: every action kind, a few stateful types.
fn compact_plan(changes: usize) -> String {
    const TYPES: [&str; 6] = [
        "aws_instance",
        "aws_security_group",
        "aws_db_instance",
        "aws_s3_bucket",
        "aws_iam_role",
        "aws_lambda_function",
    ];
    const ACTIONS: [&str; 6] = [
        r#"["no-op"]"#,
        r#"["update"]"#,
        r#"["create"]"#,
        r#"["delete","create"]"#,
        r#"["delete"]"#,
        r#"["no-op"]"#,
    ];
    let mut s =
        String::from(r#"{"format_version":"1.2","terraform_version":"1.9.0","resource_changes":["#);
    for i in 0..changes {
        if i > 0 {
            s.push(',');
        }
        let t = TYPES[i % TYPES.len()];
        let a = ACTIONS[(i / TYPES.len()) % ACTIONS.len()];
        let m = i / 12;
        let _ = write!(
            s,
            r#"{{"address":"module.svc[\"s{m}\"].{t}.r{i}","module_address":"module.svc[\"s{m}\"]","mode":"managed","type":"{t}","name":"r{i}","provider_name":"registry.terraform.io/hashicorp/aws","change":{{"actions":{a},"before":{{"id":"id-{i}","tags":{{"owner":"team-{m}"}}}},"after":{{"id":"id-{i}","tags":{{"owner":"team-{m}","env":"prod"}}}},"after_unknown":{{}}}}}}"#
        );
    }
    s.push_str("]}");
    s
}

fn time<T>(runs: u32, mut f: impl FnMut() -> T) -> (Duration, T) {
    let mut best = Duration::MAX;
    let mut last = None;
    for _ in 0..runs {
        let start = Instant::now();
        let v = f();
        best = best.min(start.elapsed());
        last = Some(v);
    }
    (best, last.unwrap())
}

fn ms(d: Duration) -> String {
    format!("{:.0} ms", d.as_secs_f64() * 1000.0)
}

fn main() {
    let mut changes = 200_000usize;
    let mut plan_100mb: Option<String> = None;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--changes" => changes = args.next().unwrap().parse().unwrap(),
            "--plan" => plan_100mb = args.next(),
            other => panic!("unknown argument {other}; use --changes N --plan FILE"),
        }
    }
    let runs = 3;

    println!("## 1. stateful protection, {changes} resource changes");
    let text = compact_plan(changes);
    println!("plan: {:.1} MB", text.len() as f64 / 1e6);
    let (t_review, outcome) = time(runs, || {
        ferry_plan::review_bytes(text.as_bytes(), None, &ferry_plan::ReviewConfig::default())
            .unwrap()
    });
    println!(
        "review (ferry-plan, streaming): {} ({} findings)",
        ms(t_review),
        outcome.review.findings.len()
    );
    let (t_parse, plan) = time(runs, || {
        serde_json::from_str::<serde_json::Value>(&text).unwrap()
    });
    println!(
        "serde_json parse (shared by all policy evaluation): {}",
        ms(t_parse)
    );
    let ctx = FerryContext {
        review: Some(outcome.review),
        ..FerryContext::new("prod")
    };

    let none = Path::new("/nonexistent");
    let stateful_only = BuiltinConfig::default();
    let set = PolicySet::load(None, &stateful_only, &PolicyOptions::default()).unwrap();
    let (t, report) = time(runs, || set.evaluate(&plan, &ctx));
    println!(
        "built-in protect_stateful: {} ({} denies)",
        ms(t),
        report.denies().count()
    );
    let all_builtin = BuiltinConfig {
        protect_stateful: true,
        max_deletes: Some(u64::MAX),
        forbidden_types: vec!["aws_iam_user".into(), "aws_iam_access_key".into()],
        required_tags: vec!["owner".into()],
        allowed_addresses: vec!["module.svc*".into()],
    };
    let set = PolicySet::load(Some(none), &all_builtin, &PolicyOptions::default()).unwrap();
    let (t_all, report) = time(runs, || set.evaluate(&plan, &ctx));
    println!(
        "all five built-in rules: {} ({} denies) = {:.1}% of review time",
        ms(t_all),
        report.denies().count(),
        100.0 * t_all.as_secs_f64() / t_review.as_secs_f64()
    );
    let no_builtin = BuiltinConfig {
        protect_stateful: false,
        ..BuiltinConfig::default()
    };
    let dir = policy_dir(&[("empty.rego", EMPTY_REGO)]);
    let set = PolicySet::load(
        Some(&dir.path().join("policy")),
        &no_builtin,
        &PolicyOptions::default(),
    )
    .unwrap();
    let (t_empty, _) = time(runs, || set.evaluate(&plan, &ctx));
    println!(
        "Rego, empty rule (input conversion + engine setup): {}",
        ms(t_empty)
    );
    let stateful = stateful_rego();
    let dir = policy_dir(&[("stateful.rego", &stateful)]);
    let set = PolicySet::load(
        Some(&dir.path().join("policy")),
        &no_builtin,
        &PolicyOptions::default(),
    )
    .unwrap();
    for p in set.problems() {
        eprintln!("{p}");
    }
    let (t_rego, report) = time(runs, || set.evaluate(&plan, &ctx));
    println!(
        "Rego stateful rule: {} ({} denies)",
        ms(t_rego),
        report.denies().count()
    );

    let (t_text, _) = time(runs, || set.evaluate_text(&text, &ctx));
    println!(
        "Rego stateful rule via evaluate_text (parse included): {}",
        ms(t_text)
    );

    if let Some(path) = plan_100mb {
        println!("\n## 2. five-rule policy set, {path}");
        let bytes = std::fs::read(&path).unwrap();
        println!("plan: {:.1} MB", bytes.len() as f64 / 1e6);
        let (t_parse, plan) = time(runs, || {
            serde_json::from_slice::<serde_json::Value>(&bytes).unwrap()
        });
        let n = plan["resource_changes"].as_array().map_or(0, Vec::len);
        println!("serde_json parse: {} ({n} resource changes)", ms(t_parse));
        let ctx = FerryContext::new("prod");
        let dir = policy_dir(&[
            ("terraform.rego", FIVE_RULES_V1),
            ("conftest.rego", FIVE_RULES_V0),
        ]);
        let set = PolicySet::load(
            Some(&dir.path().join("policy")),
            &no_builtin,
            &PolicyOptions::default(),
        )
        .unwrap();
        let (t, report) = time(runs, || set.evaluate(&plan, &ctx));
        println!(
            "Rego, 5 rules in 2 files (v1 + v0): {} ({} denies, {} warnings)",
            ms(t),
            report.denies().count(),
            report.warnings().count()
        );
        println!("serde_json parse + evaluate: {}", ms(t_parse + t));
        let text = String::from_utf8(bytes).unwrap();
        let (t, _) = time(runs, || set.evaluate_text(&text, &ctx));
        println!("evaluate_text (parse included): {}", ms(t));
    }
}
