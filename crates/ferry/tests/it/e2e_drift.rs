//! `ferry drift`, speculative plans and the review comment, end to end on the pinned Terraform.

use crate::common::Project;

/// The example plus a resource built from a data file outside the release (under the simulated
/// infrastructure), as a seed file or an operator-edited setting would be.
fn with_seed_file() -> Project {
    let p = Project::example();
    let main = p.root().join("infra/main.tf");
    let mut text = std::fs::read_to_string(&main).unwrap();
    text.push_str(
        r#"
resource "null_resource" "seed" {
  triggers = {
    seed = fileexists("${var.sim_root}/seed-${var.environment}.txt") ? file("${var.sim_root}/seed-${var.environment}.txt") : ""
  }
}
"#,
    );
    std::fs::write(main, text).unwrap();
    p.commit("seed data");
    std::fs::create_dir_all(p.sim()).unwrap();
    std::fs::write(p.sim().join("seed-dev.txt"), "v1\n").unwrap();
    p
}

#[test]
fn a_data_file_changed_behind_the_engines_back_is_drift_recorded_in_the_ledger() {
    let p = with_seed_file();
    let id = p.release();
    p.ok(&["promote", "--to", "dev"]);

    let v = p.json(&["drift", "--env", "dev"]);
    assert_eq!(v["drift"], false);
    assert_eq!(v["release"], id.as_str());
    assert_eq!(v["deployment"], 1);
    assert_eq!(v["changed_outside"], serde_json::json!([]));
    assert_eq!(v["corrections"], serde_json::json!([]));

    std::fs::write(p.sim().join("seed-dev.txt"), "edited by hand\n").unwrap();
    let (code, out, err) = p.run(&["--format", "json", "drift", "--env", "dev"]);
    assert_eq!(code, 3, "{out}\n{err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["drift"], true);
    assert_eq!(
        v["corrections"],
        serde_json::json!([{
            "address": "null_resource.seed",
            "action": "replace",
            "attributes": ["triggers"],
        }])
    );
    assert!(err.contains("'dev' drifted from release"), "{err}");
    // No value of the file reaches the report.
    assert!(!out.contains("edited by hand"));

    let events = p.json(&["history", "--env", "dev"]);
    let kinds: Vec<&str> = events
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].as_str().unwrap())
        .collect();
    assert_eq!(&kinds[..2], ["drift.found", "drift.none"], "{kinds:?}");
    let found = &events[0];
    assert!(found["message"]
        .as_str()
        .unwrap()
        .contains("null_resource.seed (would replace)"));
    // The drift check touched neither the deployment record nor the pending plans.
    let status = p.json(&["status", "--env", "dev"]);
    assert!(status["environments"][0]["pending_plan"].is_null());
    assert_eq!(p.ok(&["ledger", "verify"]).lines().count(), 1);

    // Markdown for the CI job summary, human for a terminal.
    let (code, md, _) = p.run(&["--format", "markdown", "drift", "--env", "dev"]);
    assert_eq!(code, 3);
    assert!(
        md.starts_with("### 🛑 ferry drift for `dev`: **drift**\n"),
        "{md}"
    );
    assert!(
        md.contains("- `null_resource.seed` — replace (`triggers`)"),
        "{md}"
    );
    let (_, human, _) = p.run(&["drift", "--env", "dev"]);
    assert!(
        human.starts_with("DRIFT: 'dev' no longer matches deployment #1"),
        "{human}"
    );

    // Promoting the release again converges; drift is gone.
    p.ok(&["promote", "--to", "dev", "--release", &id]);
    assert_eq!(p.run(&["drift", "--env", "dev"]).0, 0);
}

#[test]
fn state_edited_behind_the_engines_back_is_drift_and_nothing_deployed_is_an_error() {
    let p = Project::example();
    let (code, _, err) = p.run(&["drift", "--env", "dev"]);
    assert_eq!(code, 1);
    assert!(err.contains("'dev' has no successful deployment"), "{err}");
    p.release();
    p.ok(&["promote", "--to", "dev"]);
    let state = p.data().join("state/dev/terraform.tfstate");
    let mut doc: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&state).unwrap()).unwrap();
    for r in doc["resources"].as_array_mut().unwrap() {
        if r["name"] == "db" {
            r["instances"][0]["attributes"]["triggers"]["storage_gb"] = "999".into();
        }
    }
    std::fs::write(&state, serde_json::to_string(&doc).unwrap()).unwrap();
    let (code, out, _) = p.run(&["--format", "json", "drift", "--env", "dev"]);
    assert_eq!(code, 3);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["corrections"][0]["address"], "null_resource.db");
    assert_eq!(v["corrections"][0]["action"], "replace");
}

#[test]
fn speculative_plans_compare_down_the_chain_and_are_never_approvable() {
    let p = Project::example();
    let id = p.release();
    let short = id[7..19].to_string();
    let dev = p.json(&["plan", "--env", "dev", "--release", &id, "--speculative"]);
    assert_eq!(dev["status"], "speculative");
    assert!(dev["baseline"].is_null());
    let staging = p.json(&[
        "plan",
        "--env",
        "staging",
        "--release",
        &id,
        "--speculative",
    ]);
    assert_eq!(staging["status"], "speculative");
    assert_eq!(
        staging["baseline"], dev["plan"],
        "staging compares with dev's speculative plan"
    );
    assert_eq!(staging["upstream"], "dev");
    assert!(staging["approve_command"].is_null());

    // prod has approvals, yet its speculative plan is not pending and cannot be approved.
    let (code, md, err) = p.run(&[
        "--format",
        "markdown",
        "plan",
        "--env",
        "prod",
        "--release",
        &id,
        "--speculative",
    ]);
    assert_eq!(code, 0, "{err}");
    assert!(
        md.starts_with("### ✅ ferry plan for `prod`: **pass**"),
        "{md}"
    );
    assert!(md.contains("| Environment | `prod` |"), "{md}");
    assert!(
        md.contains(&format!("| Release | `{short}` (commit `")),
        "{md}"
    );
    assert!(
        md.contains("| Compared with | the plan of the same release in `staging` ("),
        "{md}"
    );
    assert!(md.contains("never approved or applied"), "{md}");
    let status = p.json(&["status"]);
    for env in status["environments"].as_array().unwrap() {
        assert!(env["pending_plan"].is_null(), "{env}");
    }
    let (code, _, err) = p.run_as("lead@example.com", &["approve", "--env", "prod"]);
    assert_eq!(code, 1, "{err}");
}

#[test]
fn the_review_comment_names_environment_release_plan_baseline_and_the_approve_command() {
    let p = Project::example();
    let id = p.to_staging();
    p.ok(&["plan", "--env", "prod"]);
    let plan = p.pending_plan("prod");
    let (code, md, err) = p.run(&["--format", "markdown", "review", "--env", "prod"]);
    assert!(code == 0 || code == 3, "{err}");
    let first = md.lines().next().unwrap();
    assert!(
        first.starts_with("### ") && first.contains("ferry plan for `prod`"),
        "{md}"
    );
    assert!(md.contains("| Environment | `prod` |"));
    assert!(
        md.contains(&format!("| Release | `{}` (commit `", &id[7..19])),
        "{md}"
    );
    assert!(
        md.contains(&format!("| Plan | `{}` (pending) |", &plan[7..19])),
        "{md}"
    );
    assert!(
        md.contains(
            "| Compared with | the plan of the same release applied and verified in `staging` ("
        ),
        "{md}"
    );
    assert!(
        md.contains(&format!(
            "**To approve this exact plan:** `ferry approve --env prod --plan {plan}"
        )),
        "{md}"
    );
    // The changes prod would get that staging did not come before the rest.
    let not_in = md
        .find("would get that `staging` did not")
        .or_else(|| md.find("Nothing here that `staging` did not get."));
    let table = md.find("| create | update |").unwrap();
    assert!(not_in.unwrap() > table, "{md}");
}

#[test]
fn an_engine_other_than_the_pinned_version_is_refused_naming_both() {
    let p = Project::example();
    p.release();
    p.edit(
        "ferry.toml",
        "binary = \"terraform\"",
        "binary = \"terraform\"\nversion = \">= 1.5\"",
    );
    let (code, _, err) = p.run(&["plan", "--env", "dev"]);
    assert_eq!(code, 1, "{err}");
    assert!(
        err.contains("is Terraform 1.0.3, but `[engine] version` requires >= 1.5"),
        "{err}"
    );
    p.edit("ferry.toml", "version = \">= 1.5\"", "version = \"1.0.3\"");
    let v = p.json(&["plan", "--env", "dev"]);
    assert!(
        v["engine"]
            .as_str()
            .unwrap()
            .starts_with("Terraform 1.0.3 ("),
        "{v}"
    );
}
