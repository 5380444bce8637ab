//! Every action form and finding kind, over hand-written plans in the documented JSON format.

use crate::common::{fixture, row, rows};
use ferry_core::{FindingKind, Summary, Verdict};
use ferry_plan::{review_bytes, review_files, ReviewConfig};

#[test]
fn every_action_form_is_counted_and_every_finding_kind_raised() {
    let outcome =
        review_files(&fixture("all_actions.json"), None, &ReviewConfig::default()).unwrap();
    let review = &outcome.review;
    assert_eq!(
        review.summary,
        Summary {
            create: 2,
            update: 2,
            replace: 3,
            delete: 4,
            read: 1,
            no_op: 3,
            forget: 3
        }
    );
    assert_eq!(
        rows(review),
        vec![
            row("stateful-delete", "block", "aws_s3_bucket.logs", None),
            row(
                "stateful-replace",
                "block",
                "aws_db_instance.legacy",
                Some("engine")
            ),
            row("stateful-replace", "block", "aws_kms_key.k", None),
            row("delete", "warn", "aws_instance.cbd", None),
            row("delete", "warn", "aws_instance.fleet[0]", None),
            row("delete", "warn", "aws_security_group.old", None),
            row("replace", "warn", "aws_instance.swap", None),
            row("replace", "warn", "aws_instance.web", Some("ami")),
            row("replace", "warn", "aws_lb.front", None),
            row(
                "downtime-update",
                "warn",
                "aws_instance.api",
                Some("instance_type")
            ),
            row("drift", "warn", "aws_instance.api", Some("tags.Owner")),
            row("drift", "warn", "aws_sqs_queue.gone", None),
            row("forget", "info", "aws_iam_role.kept", None),
            row("forget", "info", "aws_instance.swap", None),
            row("forget", "info", "aws_kms_key.k", None),
            row("moved", "info", "aws_instance.renamed", None),
            row("import", "info", "aws_instance.imported", None),
        ]
    );
    assert_eq!(review.verdict, Verdict::Block);
    assert_eq!(outcome.plan.format_version, "1.2");
    assert_eq!(outcome.plan.resource_changes, 18);
    assert_eq!(outcome.plan.resource_drift, 2);
    assert!(outcome.comparison.is_none());

    let message = |kind: FindingKind, address: &str| {
        review
            .findings
            .iter()
            .find(|f| f.kind == kind && f.address == address)
            .map(|f| f.message.clone())
            .unwrap()
    };
    assert_eq!(
        message(FindingKind::StatefulDelete, "aws_s3_bucket.logs"),
        "aws_s3_bucket.logs will be destroyed and the data it holds with it (aws_s3_bucket is in the built-in stateful catalog)."
    );
    assert_eq!(
        message(FindingKind::Replace, "aws_instance.web"),
        "aws_instance.web will be replaced (destroy, then create: it does not exist in between) because a change to ami forces it; an attribute that cannot change in place changed."
    );
    assert_eq!(
        message(FindingKind::Replace, "aws_lb.front"),
        "aws_lb.front will be replaced (create before destroy) because a change to name, subnets.0 forces it."
    );
    assert_eq!(
        message(FindingKind::DowntimeUpdate, "aws_instance.api"),
        "aws_instance.api: the in-place update of instance_type (\"t3.small\" → \"t3.large\") stops and starts the instance."
    );
    assert_eq!(
        message(FindingKind::Drift, "aws_instance.api"),
        "aws_instance.api changed outside of Terraform/OpenTofu: tags.Owner (\"ops\" → \"someone-else\")."
    );
    assert_eq!(
        message(FindingKind::Drift, "aws_sqs_queue.gone"),
        "aws_sqs_queue.gone was deleted outside of Terraform/OpenTofu."
    );
    assert_eq!(
        message(FindingKind::Delete, "aws_instance.cbd"),
        "deposed object 00000001 of aws_instance.cbd will be destroyed."
    );
    assert_eq!(
        message(FindingKind::Delete, "aws_instance.fleet[0]"),
        "aws_instance.fleet[0] will be destroyed; the resource switched between count, for_each and neither."
    );
    assert_eq!(
        message(FindingKind::Forget, "aws_iam_role.kept"),
        "aws_iam_role.kept will be removed from the state but not destroyed: the real object stays, unmanaged."
    );
}

#[test]
fn a_moved_resource_is_not_a_delete() {
    let outcome =
        review_files(&fixture("all_actions.json"), None, &ReviewConfig::default()).unwrap();
    let about: Vec<_> = outcome
        .review
        .findings
        .iter()
        .filter(|f| f.address.contains("renamed") || f.address.contains("old_name"))
        .map(|f| (f.kind, f.severity))
        .collect();
    // reported as a move (info), never as a delete of the old address or a create of the new
    assert_eq!(
        about,
        vec![(FindingKind::Moved, ferry_core::Severity::Info)]
    );
}

fn plan_with(entries: &str) -> Vec<u8> {
    format!(r#"{{"format_version":"1.0","planned_values":{{}},"resource_changes":[{entries}]}}"#)
        .into_bytes()
}

#[test]
fn config_extends_and_narrows_the_stateful_catalog_module_aware() {
    let entry = |addr: &str, ty: &str| {
        format!(
            r#"{{"address":"{addr}","mode":"managed","type":"{ty}","name":"x","change":{{"actions":["delete"],"before":{{}},"after":null}}}}"#
        )
    };
    let plan = plan_with(
        &[
            entry("null_resource.db", "null_resource"),
            entry("module.data.null_resource.db", "null_resource"),
            entry("module.scratch.aws_s3_bucket.tmp", "aws_s3_bucket"),
            entry("aws_s3_bucket.keep", "aws_s3_bucket"),
        ]
        .join(","),
    );
    let table: toml::Table = r#"
        stateful = ["null_resource.db"]
        not_stateful = ["module.scratch.**"]
        severity = { delete = "info" }
    "#
    .parse()
    .unwrap();
    let config = ReviewConfig::from_table(&table).unwrap();
    let review = review_bytes(&plan, None, &config).unwrap().review;
    assert_eq!(
        rows(&review),
        vec![
            row("stateful-delete", "block", "aws_s3_bucket.keep", None),
            row("stateful-delete", "block", "null_resource.db", None),
            row("delete", "info", "module.data.null_resource.db", None),
            row("delete", "info", "module.scratch.aws_s3_bucket.tmp", None),
        ]
    );
    assert!(review.findings[1]
        .message
        .contains("[review] stateful pattern 'null_resource.db'"));
    // Without the config, null_resource is not stateful at all.
    let plain = review_bytes(&plan, None, &ReviewConfig::default())
        .unwrap()
        .review;
    assert_eq!(
        plain
            .findings
            .iter()
            .filter(|f| f.kind == FindingKind::StatefulDelete)
            .count(),
        2
    );
}

#[test]
fn downtime_knowledge_is_extensible_and_matches_nested_paths() {
    let plan = plan_with(
        r#"{"address":"custom_vm.a","mode":"managed","type":"custom_vm","name":"a","change":{"actions":["update"],
             "before":{"flavor":"s","disk":[{"size":1}]},"after":{"flavor":"l","disk":[{"size":2}]}}},
           {"address":"google_sql_database_instance.db","mode":"managed","type":"google_sql_database_instance","name":"db",
            "change":{"actions":["update"],"before":{"settings":[{"tier":"db-f1-micro","disk_size":10}]},
                      "after":{"settings":[{"tier":"db-custom-2","disk_size":10}]}}}"#,
    );
    let table: toml::Table = "[downtime]\ncustom_vm = [\"disk.size\"]".parse().unwrap();
    let review = review_bytes(&plan, None, &ReviewConfig::from_table(&table).unwrap())
        .unwrap()
        .review;
    assert_eq!(
        rows(&review),
        vec![
            row(
                "downtime-update",
                "warn",
                "custom_vm.a",
                Some("disk.0.size")
            ),
            row(
                "downtime-update",
                "warn",
                "google_sql_database_instance.db",
                Some("settings.0.tier")
            ),
        ]
    );
    assert_eq!(review.findings[1].message, "google_sql_database_instance.db: the in-place update of settings.0.tier (\"db-f1-micro\" → \"db-custom-2\") restarts the instance.");
}

#[test]
fn an_errored_plan_is_blocked_never_passed() {
    let plan = br#"{"format_version":"1.2","planned_values":{"root_module":{}},"errored":true}"#;
    let review = review_bytes(plan, None, &ReviewConfig::default())
        .unwrap()
        .review;
    assert_eq!(rows(&review), vec![row("plan-errored", "block", "*", None)]);
    assert_eq!(review.verdict, Verdict::Block);
}

#[test]
fn format_0_1_plans_are_read() {
    let plan = br#"{"format_version":"0.1","terraform_version":"0.12.31","planned_values":{"root_module":{}},
        "resource_changes":[{"address":"aws_rds_cluster.c","mode":"managed","type":"aws_rds_cluster","name":"c",
        "change":{"actions":["delete","create"],"before":{"id":"x"},"after":{},"after_unknown":{"id":true}}}]}"#;
    let outcome = review_bytes(plan, None, &ReviewConfig::default()).unwrap();
    assert_eq!(outcome.review.summary.replace, 1);
    assert_eq!(
        rows(&outcome.review),
        vec![row("stateful-replace", "block", "aws_rds_cluster.c", None)]
    );
}

#[test]
fn too_many_findings_are_counted_not_listed() {
    let entry = r#"{"address":"aws_instance.x[N]","mode":"managed","type":"aws_instance","name":"x","change":{"actions":["delete"],"before":{},"after":null}}"#;
    let entries: Vec<String> = (0..100_050)
        .map(|i| entry.replace('N', &i.to_string()))
        .collect();
    let review = review_bytes(
        &plan_with(&entries.join(",")),
        None,
        &ReviewConfig::default(),
    )
    .unwrap()
    .review;
    assert_eq!(review.summary.delete, 100_050);
    assert_eq!(review.findings.len(), 100_001);
    let last = review.findings.iter().find(|f| f.address == "*").unwrap();
    assert_eq!(
        last.message,
        "50 more delete findings are not listed (at most 100000 per kind are)"
    );
}

/// A `check` block that failed at plan time (Terraform 1.5+ `checks`): the engine only warns and
/// applies anyway, so the review says so; passing checks say nothing; secrets in the problem
/// text are masked like any other message.
#[test]
fn failing_check_blocks_are_findings_and_passing_ones_are_not() {
    let plan = br#"{"format_version":"1.2","terraform_version":"1.11.4",
      "variables":{"token":{"value":"tok-SECRET-123"}},
      "configuration":{"root_module":{"variables":{"token":{"sensitive":true}}}},
      "resource_changes":[],
      "checks":[
        {"address":{"kind":"check","name":"health","to_display":"check.health"},"status":"fail",
         "instances":[{"address":{"to_display":"check.health"},"status":"fail",
           "problems":[{"message":"endpoint down (token tok-SECRET-123)"}]}]},
        {"address":{"kind":"check","name":"ok","to_display":"check.ok"},"status":"pass",
         "instances":[{"address":{"to_display":"check.ok"},"status":"pass"}]},
        {"address":{"kind":"check","name":"later","to_display":"check.later"},"status":"unknown"}
      ]}"#;
    let outcome = review_bytes(plan, None, &ReviewConfig::default()).unwrap();
    let r = &outcome.review;
    assert_eq!(r.verdict, Verdict::Warn);
    let found: Vec<(FindingKind, &str, &str)> = r
        .findings
        .iter()
        .map(|f| (f.kind, f.address.as_str(), f.message.as_str()))
        .collect();
    assert_eq!(
        found,
        vec![
            (
                FindingKind::CheckFailed,
                "check.health",
                "check.health failed at plan time; the engine only warns about it and applies anyway: endpoint down (token (sensitive value))."
            ),
            (
                FindingKind::CheckFailed,
                "check.later",
                "check.later could not be decided at plan time (its values are known only after apply); the engine only warns about it and applies anyway."
            ),
        ]
    );
}
