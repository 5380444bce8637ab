//! Peak memory of the promotion path against the review alone (docs/benchmarks-policy.md):
//! run it twice under `/usr/bin/time -v`, once with `--review-only`.
//!
//! ```text
//! cargo run --release -p ferry-plan --example gen_plan -- --size-mb 100 --env prod --out /tmp/plan-100mb.json
//! /usr/bin/time -v target/release/examples/assess_plan /tmp/plan-100mb.json --review-only
//! /usr/bin/time -v target/release/examples/assess_plan /tmp/plan-100mb.json
//! ```
//!
//! The policy set is the benchmark's five rules in two files (`bench_policy.rs`), plus the
//! built-in stateful and max_deletes rules.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use ferry_plan::ReviewConfig;
use ferry_policy::{assess_plan, BuiltinConfig, FerryContext, PolicyOptions, PolicySet};
use std::path::PathBuf;
use std::time::Instant;

const V1: &str = r#"package main

import rego.v1

stateful_types := {"aws_db_instance", "aws_rds_cluster", "aws_dynamodb_table", "aws_s3_bucket"}

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
	not rc.change.after.instance_type in {"t3.medium", "m5.large"}
	msg := sprintf("%s: instance type %s is not allowed", [rc.address, rc.change.after.instance_type])
}

warn contains msg if {
	some m in input.planned_values.root_module.child_modules
	some r in m.resources
	r.type == "aws_s3_bucket"
	not r.values.versioning
	msg := sprintf("%s: bucket without versioning", [r.address])
}
"#;

const V0: &str = r#"package main

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

fn main() {
    let mut args = std::env::args().skip(1);
    let plan = PathBuf::from(
        args.next()
            .expect("usage: assess_plan PLAN.json [--review-only]"),
    );
    let review_only = args.next().as_deref() == Some("--review-only");
    let start = Instant::now();
    if review_only {
        let outcome = ferry_plan::review_files(&plan, None, &ReviewConfig::default()).unwrap();
        eprintln!(
            "review only: {} findings in {:.2} s",
            outcome.review.findings.len(),
            start.elapsed().as_secs_f64()
        );
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    std::fs::create_dir(tmp.path().join("policy")).unwrap();
    std::fs::write(tmp.path().join("policy/v1.rego"), V1).unwrap();
    std::fs::write(tmp.path().join("policy/v0.rego"), V0).unwrap();
    let builtin = BuiltinConfig {
        max_deletes: Some(100),
        ..BuiltinConfig::default()
    };
    let set = PolicySet::load(
        Some(&tmp.path().join("policy")),
        &builtin,
        &PolicyOptions::default(),
    )
    .unwrap();
    let a = assess_plan(
        &plan,
        None,
        &ReviewConfig::default(),
        Ok(&set),
        &FerryContext::new("prod"),
    )
    .unwrap();
    eprintln!(
        "review + policies + digest: {} findings, {} denies, {} warnings, digest {} in {:.2} s",
        a.outcome.review.findings.len(),
        a.policy.denies().count(),
        a.policy.warnings().count(),
        &a.change_digest[..12],
        start.elapsed().as_secs_f64()
    );
}
