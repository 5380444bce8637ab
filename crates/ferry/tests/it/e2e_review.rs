//! The review on real plans written by the pinned Terraform from the example: replacing the
//! simulated database, deleting replicas, create_before_destroy, and the prod-vs-staging baseline.

use crate::common::Project;
use serde_json::{json, Value};

/// (kind, severity, address) of every finding, in output order.
fn rows(review: &Value) -> Vec<(String, String, String)> {
    review["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["kind"].as_str().unwrap().into(),
                f["severity"].as_str().unwrap().into(),
                f["address"].as_str().unwrap().into(),
            )
        })
        .collect()
}

fn row(kind: &str, sev: &str, addr: &str) -> (String, String, String) {
    (kind.into(), sev.into(), addr.into())
}

fn review_env(p: &Project, env: &str) -> (i32, Value) {
    let (code, out, err) = p.run(&["--format", "json", "review", "--env", env]);
    (
        code,
        serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out}{err}")),
    )
}

#[test]
fn replacing_the_database_is_a_hard_block_and_nothing_is_destroyed() {
    let p = Project::example();
    p.release();
    p.ok(&["promote", "--to", "dev"]);
    p.edit("infra/variables.tf", "\"14.9\"", "\"15.4\"");
    p.commit("postgres 15");
    p.release();
    let (code, _, err) = p.run(&["promote", "--to", "dev"]);
    assert_eq!(code, 3, "{err}");
    let (code, review) = review_env(&p, "dev");
    assert_eq!(code, 3);
    assert_eq!(review["verdict"], "block");
    assert_eq!(
        review["summary"],
        json!({"create": 0, "update": 0, "replace": 1, "delete": 0, "read": 0, "no_op": 1, "forget": 0})
    );
    assert_eq!(
        rows(&review),
        vec![row("stateful-replace", "block", "null_resource.db")]
    );
    assert!(
        p.sim().join("dev/db/data.db").is_file(),
        "the data is still there"
    );
    let status = p.json(&["status", "--env", "dev"]);
    assert!(
        status["environments"][0]["pending_plan"]["unmet_gates"]
            .to_string()
            .contains("policy denial"),
        "{status}"
    );
}

#[test]
fn scaling_down_deletes_replicas_with_a_warning() {
    let p = Project::example();
    p.release();
    p.ok(&["promote", "--to", "dev"]);
    p.edit(
        "infra/environments/dev.tfvars",
        "web_replicas      = 1",
        "web_replicas      = 0",
    );
    p.commit("dev needs no web tier");
    p.release();
    p.ok(&["plan", "--env", "dev"]);
    let (code, review) = review_env(&p, "dev");
    assert_eq!(code, 0);
    assert_eq!(review["verdict"], "warn");
    assert_eq!(review["summary"]["delete"], 1);
    assert_eq!(
        rows(&review),
        vec![row("delete", "warn", "module.web.null_resource.replica[0]")]
    );
}

#[test]
fn create_before_destroy_is_a_replace_in_the_other_order() {
    let p = Project::example();
    std::fs::write(
        p.root().join("infra/cache.tf"),
        "variable \"cache_size\" {\n  default = \"1\"\n}\nresource \"null_resource\" \"cache\" {\n  triggers = { size = var.cache_size }\n  lifecycle {\n    create_before_destroy = true\n  }\n}\n",
    )
    .unwrap();
    p.commit("a cache");
    p.release();
    p.ok(&["promote", "--to", "dev"]);
    p.edit("infra/cache.tf", "default = \"1\"", "default = \"2\"");
    p.commit("bigger cache");
    p.release();
    p.ok(&["plan", "--env", "dev"]);
    let plan_json = std::fs::read_dir(p.data().join("artifacts/plan-json"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .map(|f| serde_json::from_str::<Value>(&std::fs::read_to_string(f).unwrap()).unwrap())
        .find(|v| {
            v["resource_changes"]
                .as_array()
                .unwrap()
                .iter()
                .any(|rc| rc["change"]["actions"] == json!(["create", "delete"]))
        });
    assert!(
        plan_json.is_some(),
        "Terraform wrote a create-before-destroy replace"
    );
    let (_, review) = review_env(&p, "dev");
    assert_eq!(review["summary"]["replace"], 1);
    assert_eq!(
        rows(&review),
        vec![row("replace", "warn", "null_resource.cache")]
    );
    let msg = review["findings"][0]["message"].as_str().unwrap();
    assert!(msg.contains("create") && msg.contains("before"), "{msg}");
}

#[test]
fn prod_is_reviewed_against_the_staging_plan() {
    let p = Project::example();
    p.release();
    p.ok(&["promote", "--to", "dev"]);
    p.ok(&["promote", "--to", "staging", "--yes"]);
    let (code, _, _) = p.run(&["promote", "--to", "prod"]);
    assert_eq!(code, 3);
    let (code, review) = review_env(&p, "prod");
    assert_eq!(code, 0);
    // prod creates 3 replicas where staging created 2: quantity, not a difference
    assert_eq!(review["summary"]["create"], 4);
    assert!(
        rows(&review).iter().all(|(k, _, _)| k != "not-in-baseline"),
        "{review}"
    );
    // the markdown rendering is a PR comment
    let (code, md, _) = p.run(&["--format", "markdown", "review", "--env", "prod"]);
    assert_eq!(code, 0);
    assert!(md.len() < 65_536 && md.contains("pass"), "{md}");
}

#[test]
fn topology_audit_reads_the_stored_plans() {
    let p = Project::example();
    p.release();
    p.ok(&["promote", "--to", "dev"]);
    p.ok(&["promote", "--to", "staging", "--yes"]);
    let audit = p.json(&["audit", "--pair", "dev:staging"]);
    let diffs = audit["differences"].as_array().unwrap();
    let topo: Vec<&Value> = diffs
        .iter()
        .filter(|d| d["subject"] == "resource_type")
        .collect();
    assert_eq!(topo.len(), 1, "{audit}");
    assert_eq!(topo[0]["name"], "null_resource");
    assert_eq!(topo[0]["class"], "quantity");
}
