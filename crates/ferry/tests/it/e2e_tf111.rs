//! The review on real plans written by today's Terraform (1.11, at /usr/local/bin/terraform),
//! selected through `[engine] binary`/`version`: moved, removed, import, replace reasons,
//! create_before_destroy, sensitive values, check blocks, and prod-vs-staging explanations.
//! Projects use the built-in `terraform_data` only, so no provider is needed.
//!
//! Where Terraform 1.11 is not there the tests say so on stderr and pass over it (the pinned
//! 1.0.3 tests still run); `FERRY_REQUIRE_TF111=1` makes its absence a failure.

use crate::common::Project;
use serde_json::{json, Value};

const TF: &str = "/usr/local/bin/terraform";

/// The version of the Terraform 1.11 at [`TF`], or `None` (said plainly) when it is not there.
fn tf111() -> Option<String> {
    let version = std::process::Command::new(TF)
        .arg("version")
        .env("CHECKPOINT_DISABLE", "1")
        .output()
        .ok()
        .and_then(|o| {
            String::from_utf8_lossy(&o.stdout)
                .lines()
                .next()
                .and_then(|l| l.strip_prefix("Terraform v"))
                .map(str::to_string)
        })
        .filter(|v| v.starts_with("1.11."));
    if version.is_none() {
        let why = format!("Terraform 1.11 not found at {TF}");
        if std::env::var("FERRY_REQUIRE_TF111").is_ok_and(|v| v == "1") {
            panic!("{why}; FERRY_REQUIRE_TF111=1 requires it");
        }
        eprintln!("skipped: {why}");
    }
    version
}

const CONFIG: &str = r#"[engine]
binary = "/usr/local/bin/terraform"
version = ">= 1.11, < 1.12"

[project]
root = "infra"

[[environment]]
name = "dev"
var_files = ["infra/environments/dev.tfvars"]
auto_apply = true

[[environment]]
name = "staging"
var_files = ["infra/environments/staging.tfvars"]
from = "dev"

[[environment]]
name = "prod"
var_files = ["infra/environments/prod.tfvars"]
from = "staging"
"#;

/// A project of `main.tf` (and more infra files) with empty var files, on Terraform 1.11.
fn project(extra_config: &str, files: &[(&str, &str)]) -> Project {
    let config = format!("{CONFIG}{extra_config}");
    let mut all = vec![
        ("ferry.toml", config.as_str()),
        ("infra/environments/dev.tfvars", ""),
        ("infra/environments/staging.tfvars", ""),
        ("infra/environments/prod.tfvars", ""),
    ];
    all.extend_from_slice(files);
    Project::from_files(&all)
}

/// (kind, severity, address, attribute, message) of every finding, in output order.
fn findings(review: &Value) -> Vec<(String, String, String, Value, String)> {
    review["findings"]
        .as_array()
        .unwrap_or_else(|| panic!("no findings in {review}"))
        .iter()
        .map(|f| {
            (
                f["kind"].as_str().unwrap().into(),
                f["severity"].as_str().unwrap().into(),
                f["address"].as_str().unwrap().into(),
                f["attribute"].clone(),
                f["message"].as_str().unwrap().into(),
            )
        })
        .collect()
}

fn f(
    kind: &str,
    sev: &str,
    addr: &str,
    attr: Value,
    msg: &str,
) -> (String, String, String, Value, String) {
    (kind.into(), sev.into(), addr.into(), attr, msg.into())
}

/// `ferry --format json review --env ENV`: exit code and the review.
fn review(p: &Project, env: &str) -> (i32, Value) {
    let (code, out, err) = p.run(&["--format", "json", "review", "--env", env]);
    let v = serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out}{err}"));
    (code, v)
}

/// `ferry --format json plan --env ENV`: exit code, the plan view, stdout and stderr.
fn plan(p: &Project, env: &str) -> (i32, Value, String) {
    let (code, out, err) = p.run(&["--format", "json", "plan", "--env", env]);
    let v = serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out}{err}"));
    (code, v, format!("{out}{err}"))
}

fn state_list(p: &Project, env: &str) -> Vec<String> {
    let out = std::process::Command::new(TF)
        .args(["state", "list", "-state"])
        .arg(p.data().join("state").join(env).join("terraform.tfstate"))
        .env("CHECKPOINT_DISABLE", "1")
        .env("TF_CLI_CONFIG_FILE", "/dev/null")
        .current_dir(p.dir.path())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(str::to_string)
        .collect()
}

const MOVES_V1: &str = r#"resource "terraform_data" "a" { input = "a" }
resource "terraform_data" "gone" { input = "g" }
"#;

const MOVES_V2: &str = r#"resource "terraform_data" "b" { input = "a" }
moved {
  from = terraform_data.a
  to   = terraform_data.b
}
removed {
  from = terraform_data.gone
  lifecycle { destroy = false }
}
import {
  to = terraform_data.imp
  id = "existing-1234"
}
resource "terraform_data" "imp" {}
"#;

/// A `moved` block, a `removed` block with `destroy = false` and an `import` block: reported as
/// a move, a forget and an import (info, the verdict passes), never as a delete or a create;
/// after the apply the state has the new names and no longer the forgotten object.
#[test]
fn moved_removed_and_import_blocks_are_not_destructive() {
    let Some(_) = tf111() else { return };
    let p = project("", &[("infra/main.tf", MOVES_V1)]);
    p.release();
    p.ok(&["promote", "--to", "dev"]);
    p.write("infra/main.tf", MOVES_V2);
    p.commit("rename a, forget gone, import imp");
    p.release();
    let (code, view, out) = plan(&p, "dev");
    assert_eq!(code, 0, "{out}");
    let r = &view["review"];
    assert_eq!(r["verdict"], "pass");
    assert_eq!(
        r["summary"],
        json!({"create": 0, "update": 0, "replace": 0, "delete": 0, "read": 0, "no_op": 2, "forget": 1})
    );
    assert_eq!(
        findings(r),
        vec![
            f("forget", "info", "terraform_data.gone", Value::Null,
              "terraform_data.gone will be removed from the state but not destroyed: the real object stays, unmanaged; a removed block with destroy = false says so."),
            f("moved", "info", "terraform_data.b", Value::Null,
              "terraform_data.b was terraform_data.a: a moved block renames it in the state; the object is kept, not destroyed and created again."),
            f("import", "info", "terraform_data.imp", Value::Null,
              "terraform_data.imp will be imported: an existing object (id \"existing-1234\") comes under management; no new object is created."),
        ]
    );
    // the stored review says the same
    let (code, stored) = review(&p, "dev");
    assert_eq!(code, 0);
    assert_eq!(findings(&stored), findings(r));
    p.ok(&["promote", "--to", "dev"]);
    assert_eq!(
        state_list(&p, "dev"),
        vec!["terraform_data.b", "terraform_data.imp"]
    );
}

/// The human review of the same plan, as a reviewer reads it (ids replaced by placeholders).
#[test]
fn moved_removed_and_import_human_review() {
    let Some(version) = tf111() else { return };
    let p = project("", &[("infra/main.tf", MOVES_V1)]);
    p.release();
    p.ok(&["promote", "--to", "dev"]);
    p.write("infra/main.tf", MOVES_V2);
    p.commit("rename a, forget gone, import imp");
    let release = p.release();
    p.ok(&["plan", "--env", "dev"]);
    let plan_id = p.pending_plan("dev");
    let (code, out, err) = p.run(&["review", "--env", "dev"]);
    assert_eq!(code, 0, "{err}");
    let short = |id: &str| id.trim_start_matches("sha256:")[..12].to_string();
    let text = out
        .replace(&plan_id, "<plan>")
        .replace(&short(&release), "<release>")
        .replace(&version, "<1.11.x>");
    insta::assert_snapshot!("tf111_moved_removed_import_human", text);
}

const REPLACES: &str = r#"variable "ver" { default = "1" }
resource "terraform_data" "src" { input = var.ver }
resource "terraform_data" "dep" {
  input = "d"
  lifecycle { replace_triggered_by = [terraform_data.src] }
}
resource "terraform_data" "trig" { triggers_replace = var.ver }
resource "terraform_data" "cbd" {
  triggers_replace = var.ver
  lifecycle { create_before_destroy = true }
}
resource "terraform_data" "db" { triggers_replace = var.ver }
"#;

/// `replace_triggered_by` and `triggers_replace` replace with their reason, create_before_destroy
/// says the order, and `triggers_replace` on a resource marked stateful is a hard block.
#[test]
fn replace_reasons_and_order_on_terraform_1_11() {
    let Some(_) = tf111() else { return };
    let p = project(
        "\n[review]\nstateful = [\"terraform_data.db\"]\n",
        &[("infra/main.tf", REPLACES)],
    );
    p.release();
    p.ok(&["promote", "--to", "dev"]);
    p.edit("infra/main.tf", "default = \"1\"", "default = \"2\"");
    p.commit("ver 2");
    p.release();
    let (code, view, out) = plan(&p, "dev");
    assert_eq!(code, 0, "{out}");
    let r = &view["review"];
    assert_eq!(r["verdict"], "block");
    assert_eq!(
        r["summary"],
        json!({"create": 0, "update": 1, "replace": 4, "delete": 0, "read": 0, "no_op": 0, "forget": 0})
    );
    assert_eq!(
        findings(r),
        vec![
            f("stateful-replace", "block", "terraform_data.db", json!("triggers_replace"),
              "terraform_data.db will be replaced (destroy, then create: it does not exist in between) because a change to triggers_replace forces it: the new object starts empty and the data of the current one is destroyed ([review] stateful pattern 'terraform_data.db'); an attribute that cannot change in place changed."),
            f("replace", "warn", "terraform_data.cbd", json!("triggers_replace"),
              "terraform_data.cbd will be replaced (create before destroy) because a change to triggers_replace forces it; an attribute that cannot change in place changed."),
            f("replace", "warn", "terraform_data.dep", Value::Null,
              "terraform_data.dep will be replaced (destroy, then create: it does not exist in between); replace_triggered_by fired."),
            f("replace", "warn", "terraform_data.trig", json!("triggers_replace"),
              "terraform_data.trig will be replaced (destroy, then create: it does not exist in between) because a change to triggers_replace forces it; an attribute that cannot change in place changed."),
        ]
    );
    // the block holds: dev is auto_apply, and still nothing is applied
    let (code, _, err) = p.run(&["promote", "--to", "dev"]);
    assert_eq!(code, 3, "{err}");
}

const SECRET: &str = "hunter2-0ddly-specific";
const SECRET_PROD: &str = "correct-horse-7fb1e2";

const SENSITIVE: &str = r#"variable "secret" {
  type      = string
  sensitive = true
}
resource "terraform_data" "pw" { input = var.secret }
output "pw" {
  value     = terraform_data.pw.output
  sensitive = true
}
variable "ready" { default = false }
check "ready" {
  assert {
    condition     = var.ready
    error_message = "the service is not marked ready"
  }
}
"#;

/// A sensitive variable and output: the value appears in no output (JSON, human, markdown,
/// stderr) and no ledger row, and the prod-only change of it is shown masked. A failing `check`
/// block is a check-failed warning.
#[test]
fn sensitive_values_stay_hidden_and_a_failing_check_warns() {
    let Some(_) = tf111() else { return };
    let p = project(
        "\n[audit.variables]\nsecret = \"quantity\"\n",
        &[("infra/main.tf", SENSITIVE)],
    );
    for env in ["dev", "staging", "prod"] {
        p.write(
            &format!("infra/environments/{env}.tfvars"),
            &format!("secret = \"{SECRET}\"\n"),
        );
    }
    p.commit("secrets");
    let mut seen = String::new();
    p.release();
    let (code, view, out) = plan(&p, "dev");
    seen.push_str(&out);
    assert_eq!(code, 0, "{out}");
    assert_eq!(
        findings(&view["review"]),
        vec![f("check-failed", "warn", "check.ready", Value::Null,
               "check.ready failed at plan time; the engine only warns about it and applies anyway: the service is not marked ready.")]
    );
    for args in [
        &["promote", "--to", "dev"][..],
        &["promote", "--to", "staging", "--yes"],
        &["promote", "--to", "prod", "--yes"],
    ] {
        let (code, out, err) = p.run(args);
        assert_eq!(code, 0, "{args:?}: {out}{err}");
        seen.push_str(&out);
        seen.push_str(&err);
    }
    // prod's secret changes, staging's does not: an update only prod has, its values masked
    p.write(
        "infra/environments/prod.tfvars",
        &format!("secret = \"{SECRET_PROD}\"\n"),
    );
    p.commit("rotate prod's secret");
    p.release();
    p.ok(&["promote", "--to", "dev"]);
    p.ok(&["promote", "--to", "staging", "--yes"]);
    let (code, view, out) = plan(&p, "prod");
    seen.push_str(&out);
    assert_eq!(code, 0, "{out}");
    let nib: Vec<_> = findings(&view["review"])
        .into_iter()
        .filter(|x| x.0 == "not-in-baseline")
        .collect();
    assert_eq!(
        nib,
        vec![f("not-in-baseline", "info", "terraform_data.pw", Value::Null,
               "update of terraform_data.pw (1 instance, e.g. terraform_data.pw) is not in the baseline plan, which has no change for it. It changes input ((sensitive value) → (sensitive value)), output ((sensitive value) → (known after apply)). Explained by inputs that differ between the environments: var.secret ((sensitive value) in staging, (sensitive value) in prod).")]
    );
    for args in [
        &["review", "--env", "prod"][..],
        &["--format", "json", "review", "--env", "prod"],
        &["--format", "markdown", "review", "--env", "prod"],
        &["--format", "json", "status"],
        &["--format", "json", "history"],
    ] {
        let (_, out, err) = p.run(args);
        seen.push_str(&out);
        seen.push_str(&err);
    }
    for secret in [SECRET, SECRET_PROD] {
        assert!(!seen.contains(secret), "{secret} leaked:\n{seen}");
        let ledger = std::fs::read(p.data().join("ledger.db")).unwrap();
        assert!(
            !ledger.windows(secret.len()).any(|w| w == secret.as_bytes()),
            "{secret} is in the ledger"
        );
    }
}

const PAIR: &str = r#"variable "environment" { type = string }
variable "replicas" { type = number }
variable "subnet_ids" { type = list(string) }
resource "terraform_data" "replica" {
  count = var.replicas
  input = "replica-${count.index}"
}
module "database" {
  source      = "./modules/database"
  environment = var.environment
  subnet_ids  = var.subnet_ids
}
"#;

const DATABASE: &str = r#"variable "environment" { type = string }
variable "subnet_ids" { type = list(string) }
resource "terraform_data" "subnet_group" {
  input = {
    name    = "db-${var.environment}"
    subnets = var.subnet_ids
  }
}
"#;

fn tfvars(env: &str, replicas: u32) -> String {
    format!("environment = \"{env}\"\nreplicas    = {replicas}\nsubnet_ids  = [\"{env}-a\", \"{env}-b\"]\n")
}

/// Prod against staging. The extra replica prod gets from `count = var.replicas` is explained by
/// var.replicas (info); the subnet group prod re-creates because its state was removed by hand
/// is not, and the message names the variables its `input` uses (through the module call) and
/// why none of them explains a creation.
#[test]
fn prod_differences_are_explained_only_by_inputs_that_produce_them() {
    let Some(_) = tf111() else { return };
    let p = project(
        "\n[audit.variables]\nsubnet_ids = \"quantity\"\n",
        &[
            ("infra/main.tf", PAIR),
            ("infra/modules/database/main.tf", DATABASE),
        ],
    );
    for (env, n) in [("dev", 1), ("staging", 2), ("prod", 2)] {
        p.write(&format!("infra/environments/{env}.tfvars"), &tfvars(env, n));
    }
    p.commit("inputs");
    p.release();
    p.ok(&["promote", "--to", "dev"]);
    p.ok(&["promote", "--to", "staging", "--yes"]);
    p.ok(&["promote", "--to", "prod", "--yes"]);

    p.write("infra/environments/prod.tfvars", &tfvars("prod", 3));
    p.commit("prod needs a third replica");
    p.release();
    p.ok(&["promote", "--to", "dev"]);
    p.ok(&["promote", "--to", "staging", "--yes"]);
    let (code, view, out) = plan(&p, "prod");
    assert_eq!(code, 0, "{out}");
    let r = &view["review"];
    assert_eq!(r["verdict"], "pass");
    assert_eq!(r["summary"]["create"], 1);
    assert_eq!(
        findings(r),
        vec![f("not-in-baseline", "info", "terraform_data.replica", Value::Null,
               "create of terraform_data.replica (1 instance, e.g. terraform_data.replica[2]) is not in the baseline plan, which has no change for it. Explained by inputs that differ between the environments: var.replicas (2 in staging, 3 in prod), which adds instances the baseline does not have (it has 2 instances).")]
    );
    assert_eq!(r["findings"][0]["explained_by"], json!(["var.replicas"]));
    p.ok(&["promote", "--to", "prod", "--yes"]);

    // someone removes the subnet group and a replica from prod's state by hand
    let out = std::process::Command::new(TF)
        .args(["state", "rm", "-state"])
        .arg(p.data().join("state/prod/terraform.tfstate"))
        .args([
            "module.database.terraform_data.subnet_group",
            "terraform_data.replica[0]",
        ])
        .env("CHECKPOINT_DISABLE", "1")
        .env("TF_CLI_CONFIG_FILE", "/dev/null")
        .current_dir(p.dir.path())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let (code, view, out) = plan(&p, "prod");
    assert_eq!(code, 0, "{out}");
    let r = &view["review"];
    assert_eq!(r["verdict"], "warn");
    assert_eq!(r["summary"]["create"], 2);
    assert_eq!(
        findings(r),
        vec![
            f("not-in-baseline", "warn", "module.database.terraform_data.subnet_group", Value::Null,
              "create of module.database.terraform_data.subnet_group (1 instance, e.g. module.database.terraform_data.subnet_group) is not in the baseline plan, which has no change for it. Not explained: its count and for_each depend on no input variable; its attributes depend on var.environment (\"staging\" in staging, \"prod\" in prod), var.subnet_ids ([\"staging-a\",\"staging-b\"] in staging, [\"prod-a\",\"prod-b\"] in prod), but different input values change an existing object, they do not create one: when the baseline keeps this object unchanged, it is usually missing from this environment's state (removed by hand, or never applied)."),
            f("not-in-baseline", "warn", "terraform_data.replica", Value::Null,
              "create of terraform_data.replica (1 instance, e.g. terraform_data.replica[0]) is not in the baseline plan, which has no change for it. Not explained: its count and for_each depend on var.replicas (2 in staging, 3 in prod), but terraform_data.replica[0] is an instance the baseline has too (it has 2 instances; an instance the baseline keeps unchanged is usually missing from this environment's state: removed by hand, or never applied), so a different count or for_each does not explain this creation."),
        ]
    );
    assert!(r["findings"]
        .as_array()
        .unwrap()
        .iter()
        .all(|x| x["explained_by"] == json!([])));
}

/// `[engine] binary`/`version` choose the engine; each plan says which binary and version made
/// it (JSON plan view, human output, stored review), and a version the binary does not meet
/// is refused, naming both.
#[test]
fn the_engine_is_chosen_by_config_and_named_on_every_plan() {
    let Some(version) = tf111() else { return };
    let p = project("", &[("infra/main.tf", MOVES_V1)]);
    p.release();
    let (code, view, out) = plan(&p, "dev");
    assert_eq!(code, 0, "{out}");
    let engine = format!("Terraform {version} ({TF})");
    assert_eq!(view["engine"], json!(engine));
    let (code, out, err) = p.run(&["review", "--env", "dev"]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains(&format!("made with {engine}\n")), "{out}");
    let (code, out, _) = p.run(&["plan", "--env", "dev"]);
    assert_eq!(code, 0);
    assert!(out.contains(&format!("made with {engine}\n")), "{out}");

    p.edit(
        "ferry.toml",
        "version = \">= 1.11, < 1.12\"",
        "version = \"1.0.3\"",
    );
    p.commit("pin 1.0.3");
    p.release();
    let (code, out, err) = p.run(&["--format", "json", "plan", "--env", "dev"]);
    assert_eq!(code, 1, "{out}{err}");
    let doc: Value = serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out}{err}"));
    let msg = doc.to_string();
    assert!(
        msg.contains(TF) && msg.contains(&version) && msg.contains("1.0.3"),
        "{msg}"
    );
}
