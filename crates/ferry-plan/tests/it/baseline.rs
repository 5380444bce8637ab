//! The baseline comparison: quantity is not a difference, kind is; differences explained by
//! inputs that differ between environments are info, others warn and say why.

use crate::common::{fixture, row, rows};
use ferry_core::{FindingKind, Verdict};
use ferry_plan::{review_files, ActionKind, ReviewConfig};

#[test]
fn prod_against_staging() {
    let outcome = review_files(
        &fixture("baseline_prod.json"),
        Some(&fixture("baseline_staging.json")),
        &ReviewConfig::default(),
    )
    .unwrap();
    let review = &outcome.review;
    assert_eq!(
        rows(review),
        vec![
            row("delete", "warn", "aws_security_group.edge", None),
            row(
                "downtime-update",
                "warn",
                "module.app.aws_instance.old[0]",
                Some("instance_type")
            ),
            row("not-in-baseline", "warn", "aws_security_group.edge", None),
            row(
                "not-in-baseline",
                "warn",
                "module.app.aws_instance.old",
                Some("tags.Owner")
            ),
            row(
                "not-in-baseline",
                "info",
                "module.app.aws_instance.old",
                Some("instance_type")
            ),
        ]
    );
    assert_eq!(review.verdict, Verdict::Warn);
    let nib: Vec<_> = review
        .findings
        .iter()
        .filter(|f| f.kind == FindingKind::NotInBaseline)
        .collect();
    assert_eq!(
        nib[0].message,
        "delete of aws_security_group.edge (1 instance, e.g. aws_security_group.edge) is not in the baseline plan, which has no change for it. Not explained: it depends on no input variable."
    );
    assert_eq!(
        nib[1].message,
        "tags.Owner of module.app.aws_instance.old changes here (\"ops\" → \"platform\") but not in the baseline plan. Not explained: it goes through local.tags, which ferry cannot follow (the plan JSON records no value for locals, data sources or other resources): check it by hand."
    );
    assert_eq!(
        nib[2].message,
        "instance_type of module.app.aws_instance.old changes here (\"m5.large\" → \"m5.xlarge\") but not in the baseline plan. Explained by inputs that differ between the environments: var.instance_type (baseline: \"t3.small\", this plan: \"m5.xlarge\")."
    );
    assert_eq!(nib[2].explained_by, vec!["var.instance_type"]);
    assert!(nib[0].explained_by.is_empty() && nib[1].explained_by.is_empty());

    let cmp = outcome.comparison.unwrap();
    assert_eq!(
        cmp.differing_variables,
        vec![
            "var.db_password",
            "var.env",
            "var.instance_type",
            "var.replicas"
        ]
    );
    let web = cmp
        .resources
        .iter()
        .find(|r| r.address == "module.app.aws_instance.web")
        .unwrap();
    assert_eq!((web.instances, web.baseline_instances), (6, 2));
    assert_eq!(web.actions, vec![ActionKind::Create]);
    assert!(web.new_actions.is_empty() && web.new_attributes.is_empty());
    let old = cmp
        .resources
        .iter()
        .find(|r| r.address == "module.app.aws_instance.old")
        .unwrap();
    assert_eq!(
        old.attributes,
        vec!["instance_type", "tags.Owner", "tags.Version"]
    );
    assert_eq!(old.baseline_attributes, vec!["tags.Version"]);
    assert_eq!(old.new_attributes, vec!["instance_type", "tags.Owner"]);
    let json = serde_json::to_value(&cmp).unwrap();
    assert_eq!(json["resources"][0]["address"], "aws_security_group.edge");
    assert_eq!(
        json["resources"][0]["new_actions"],
        serde_json::json!(["delete"])
    );
}

#[test]
fn the_same_plan_as_its_own_baseline_has_no_differences() {
    let p = fixture("baseline_prod.json");
    let outcome = review_files(&p, Some(&p), &ReviewConfig::default()).unwrap();
    assert!(outcome
        .review
        .findings
        .iter()
        .all(|f| f.kind != FindingKind::NotInBaseline));
    assert!(outcome.comparison.unwrap().differing_variables.is_empty());
}

#[test]
fn a_configured_severity_overrides_the_explained_info() {
    let table: toml::Table = "severity = { not-in-baseline = \"block\" }"
        .parse()
        .unwrap();
    let config = ReviewConfig::from_table(&table).unwrap();
    let outcome = review_files(
        &fixture("baseline_prod.json"),
        Some(&fixture("baseline_staging.json")),
        &config,
    )
    .unwrap();
    assert_eq!(outcome.review.verdict, Verdict::Block);
    assert!(outcome
        .review
        .findings
        .iter()
        .filter(|f| f.kind == FindingKind::NotInBaseline)
        .all(|f| f.severity == ferry_core::Severity::Block));
}

/// Prod re-creates `module.database.terraform_data.subnet_group` (its state was removed by
/// hand) while staging keeps it: the inputs its `input` uses differ between the environments,
/// but a different value does not create an object, so the change is not explained, and the
/// message says which variables were considered and why.
#[test]
fn a_create_the_baseline_does_not_have_is_not_explained_by_attribute_inputs() {
    let plan = |env: &str, subnets: &str, actions: &str| {
        format!(
            r#"{{"format_version":"1.2","variables":{{"environment":{{"value":"{env}"}},"subnet_ids":{{"value":{subnets}}}}},
            "planned_values":{{}},
            "resource_changes":[{{"address":"module.database.terraform_data.subnet_group","module_address":"module.database",
              "mode":"managed","type":"terraform_data","name":"subnet_group",
              "change":{{"actions":{actions},"before":null,"after":{{"input":"x"}},"after_unknown":{{"id":true}}}}}}],
            "configuration":{{"root_module":{{"variables":{{"environment":{{}},"subnet_ids":{{}}}},
              "module_calls":{{"database":{{"source":"./modules/database",
                "expressions":{{"environment":{{"references":["var.environment"]}},"subnet_ids":{{"references":["var.subnet_ids"]}}}},
                "module":{{"variables":{{"environment":{{}},"subnet_ids":{{}}}},"resources":[{{"address":"terraform_data.subnet_group",
                  "mode":"managed","type":"terraform_data","name":"subnet_group",
                  "expressions":{{"input":{{"references":["var.environment","var.subnet_ids"]}}}}}}]}}}}}}}}}}}}"#
        )
        .into_bytes()
    };
    let prod = plan("prod", r#"["subnet-a","subnet-b"]"#, r#"["create"]"#);
    let staging = plan("staging", r#"["subnet-c"]"#, r#"["no-op"]"#);
    let outcome =
        ferry_plan::review_bytes(&prod, Some(&staging), &ReviewConfig::default()).unwrap();
    let f = outcome
        .review
        .findings
        .iter()
        .find(|f| f.kind == FindingKind::NotInBaseline)
        .unwrap();
    assert_eq!(f.address, "module.database.terraform_data.subnet_group");
    assert_eq!(format!("{:?}", f.severity), "Warn");
    assert!(f.explained_by.is_empty(), "{:?}", f.explained_by);
    assert_eq!(
        f.message,
        "create of module.database.terraform_data.subnet_group (1 instance, e.g. module.database.terraform_data.subnet_group) is not in the baseline plan, which has no change for it. Not explained: its count and for_each depend on no input variable; its attributes depend on var.environment (baseline: \"staging\", this plan: \"prod\"), var.subnet_ids (baseline: [\"subnet-c\"], this plan: [\"subnet-a\",\"subnet-b\"]), but different input values change an existing object, they do not create one: when the baseline keeps this object unchanged, it is usually missing from this environment's state (removed by hand, or never applied)."
    );
}

/// `count = var.replicas`: 2 in staging, 3 in prod. An instance beyond the baseline's count is
/// what the difference produces (explained, info); an instance the baseline has too is not
/// (its state is missing here), whatever the variable says.
#[test]
fn a_count_difference_explains_only_instances_beyond_the_baseline() {
    let plan = |replicas: u32, changes: &[(u32, &str)]| {
        let entries: Vec<String> = changes
            .iter()
            .map(|(i, action)| {
                format!(
                    r#"{{"address":"terraform_data.replica[{i}]","mode":"managed","type":"terraform_data","name":"replica","index":{i},
                    "change":{{"actions":["{action}"],"before":null,"after":{{"input":"r"}},"after_unknown":{{}}}}}}"#
                )
            })
            .collect();
        format!(
            r#"{{"format_version":"1.2","variables":{{"replicas":{{"value":{replicas}}}}},"planned_values":{{}},
            "resource_changes":[{}],
            "configuration":{{"root_module":{{"variables":{{"replicas":{{}}}},"resources":[{{"address":"terraform_data.replica",
              "mode":"managed","type":"terraform_data","name":"replica","count_expression":{{"references":["var.replicas"]}},
              "expressions":{{"input":{{"constant_value":"r"}}}}}}]}}}}}}"#,
            entries.join(",")
        )
        .into_bytes()
    };
    let staging = plan(2, &[(0, "no-op"), (1, "no-op")]);
    let config = ReviewConfig::default().with_environments("prod", "staging");
    let grown = plan(3, &[(0, "no-op"), (1, "no-op"), (2, "create")]);
    let outcome = ferry_plan::review_bytes(&grown, Some(&staging), &config).unwrap();
    let found: Vec<_> = outcome
        .review
        .findings
        .iter()
        .map(|f| {
            (
                f.kind,
                f.severity,
                f.address.as_str(),
                f.message.as_str(),
                f.explained_by.clone(),
            )
        })
        .collect();
    assert_eq!(
        found,
        vec![(
            FindingKind::NotInBaseline,
            ferry_core::Severity::Info,
            "terraform_data.replica",
            "create of terraform_data.replica (1 instance, e.g. terraform_data.replica[2]) is not in the baseline plan, which has no change for it. Explained by inputs that differ between the environments: var.replicas (2 in staging, 3 in prod), which adds instances the baseline does not have (it has 2 instances).",
            vec!["var.replicas".to_string()]
        )]
    );
    let lost = plan(3, &[(0, "create"), (1, "no-op"), (2, "create")]);
    let outcome = ferry_plan::review_bytes(&lost, Some(&staging), &config).unwrap();
    let found: Vec<_> = outcome
        .review
        .findings
        .iter()
        .map(|f| {
            (
                f.kind,
                f.severity,
                f.address.as_str(),
                f.message.as_str(),
                f.explained_by.clone(),
            )
        })
        .collect();
    assert_eq!(
        found,
        vec![(
            FindingKind::NotInBaseline,
            ferry_core::Severity::Warn,
            "terraform_data.replica",
            "create of terraform_data.replica (2 instances, e.g. terraform_data.replica[0]) is not in the baseline plan, which has no change for it. Not explained: its count and for_each depend on var.replicas (2 in staging, 3 in prod), but terraform_data.replica[0] is an instance the baseline has too (it has 2 instances; an instance the baseline keeps unchanged is usually missing from this environment's state: removed by hand, or never applied), so a different count or for_each does not explain this creation.",
            vec![]
        )]
    );
}
