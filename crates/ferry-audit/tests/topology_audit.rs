//! The topology view of the audit through the public API: plans of two environments, read from
//! files or bytes, compared as multisets of resource types and module calls; environments without
//! a plan are skipped and said so, and plans that do not describe what would be built are refused.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use ferry_audit::{audit, AuditConfig, AuditInput, EnvSpec, PlanSource};
use serde_json::{json, Value};
use std::path::{Path, PathBuf};

fn plan(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/plans")
        .join(name)
}

/// A project whose two environments have identical inputs, so only topology can differ.
fn input(
    dir: &Path,
    staging: Option<PlanSource>,
    prod: Option<PlanSource>,
    config: &str,
) -> AuditInput {
    std::fs::create_dir_all(dir.join("infra")).unwrap();
    std::fs::write(
        dir.join("infra/main.tf"),
        "variable \"n\" {}\nresource \"null_resource\" \"x\" {\n  count = var.n\n}\n",
    )
    .unwrap();
    std::fs::write(dir.join("infra/staging.tfvars"), "n = 1\n").unwrap();
    std::fs::write(dir.join("infra/prod.tfvars"), "n = 1\n").unwrap();
    AuditInput {
        project_root: dir.to_path_buf(),
        root_module: dir.join("infra"),
        environments: vec![
            EnvSpec {
                name: "staging".into(),
                var_files: vec![dir.join("infra/staging.tfvars")],
                plan: staging,
                from: None,
            },
            EnvSpec {
                name: "prod".into(),
                var_files: vec![dir.join("infra/prod.tfvars")],
                plan: prod,
                from: Some("staging".into()),
            },
        ],
        pairs: vec![],
        config: AuditConfig::from_table(&toml::from_str(config).unwrap()).unwrap(),
    }
}

fn diffs(report: &ferry_audit::Report) -> Vec<Value> {
    report
        .differences
        .iter()
        .map(|d| {
            let v = serde_json::to_value(d).unwrap();
            json!([v["subject"], v["name"], v["class"], v["left"], v["right"]])
        })
        .collect()
}

#[test]
fn missing_types_and_modules_are_kind_counts_are_quantity() {
    let dir = tempfile::tempdir().unwrap();
    let bytes = std::fs::read(plan("prod.json")).unwrap();
    let input = input(
        dir.path(),
        Some(PlanSource::Path(plan("staging.json"))),
        Some(PlanSource::Bytes { name: "prod plan".into(), bytes }),
        "[[accept]]\nmodule = \"module.replica\"\nreason = \"replicas only pay off under prod load\"\n",
    );
    let result = audit(&input).unwrap();
    let r = &result.report;
    assert_eq!(
        diffs(r),
        vec![
            json!(["resource_type", "aws_db_instance", "quantity", 1, 2]),
            json!(["resource_type", "aws_instance", "quantity", 1, 3]),
            json!(["resource_type", "aws_wafv2_web_acl", "kind", 0, 1]),
            json!(["module", "module.replica", "accepted", 0, 1]),
        ]
    );
    let waf = &r.differences[2];
    assert_eq!(
        waf.why,
        "resource type only in prod: staging does not run what prod runs, so a deploy there predicts nothing about it"
    );
    assert_eq!(r.verdict, "blocked");
    assert!(r.topology_skipped.is_empty());
    assert_eq!(
        r.environments[0].plan.as_deref(),
        Some(plan("staging.json").to_str().unwrap())
    );
    assert_eq!(r.environments[1].plan.as_deref(), Some("prod plan"));
}

#[test]
fn real_tofu_plans() {
    let dir = tempfile::tempdir().unwrap();
    let same_types = input(
        dir.path(),
        Some(PlanSource::Path(plan("tofu-multi-resource-update.json"))),
        Some(PlanSource::Path(plan("tofu-basic-create.json"))),
        "",
    );
    let r = audit(&same_types).unwrap().report;
    assert_eq!(
        diffs(&r),
        vec![json!(["resource_type", "test_instance", "quantity", 2, 3])]
    );
    assert_eq!(r.verdict, "clean");

    let with_modules = input(
        dir.path(),
        Some(PlanSource::Path(plan("tofu-basic-create.json"))),
        Some(PlanSource::Path(plan("tofu-modules.json"))),
        "",
    );
    let r = audit(&with_modules).unwrap().report;
    let d = diffs(&r);
    assert!(
        d.contains(&json!(["module", "module.module_test_foo", "kind", 0, 1])),
        "{d:?}"
    );
    assert!(
        d.contains(&json!(["module", "module.module_test_bar", "kind", 0, 1])),
        "{d:?}"
    );
}

#[test]
fn no_plan_skips_topology_and_errored_plan_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let r = audit(&input(
        dir.path(),
        None,
        Some(PlanSource::Path(plan("prod.json"))),
        "",
    ))
    .unwrap()
    .report;
    assert!(r.differences.is_empty());
    assert_eq!(
        serde_json::to_value(&r.topology_skipped).unwrap(),
        json!([{"environment": "staging", "reason": "no stored plan"}])
    );
    assert_eq!(r.verdict, "clean");

    let err = audit(&input(
        dir.path(),
        Some(PlanSource::Path(plan("tofu-plan-error.json"))),
        None,
        "",
    ))
    .unwrap_err()
    .to_string();
    assert!(err.ends_with("not a plan or state JSON rendering: the plan errored (`\"errored\": true`), so it does not describe what would be built"), "{err}");
}
