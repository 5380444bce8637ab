//! State where it belongs (issue 16, item 5), on the real engine: a plan made in one checkout
//! applies against the state of the data dir it was moved to, never the first checkout's path;
//! a plan says plainly when it starts from nothing or ledger and state disagree; and a CI runner
//! (`CI=true`) refuses a gated environment whose state is local.

use crate::common::{run, Project};
use std::path::Path;

const TERRAFORM_1_11: &str = "/usr/local/bin/terraform";

fn resources(state: &Path) -> usize {
    let text = std::fs::read_to_string(state)
        .unwrap_or_else(|e| panic!("no state at {}: {e}", state.display()));
    let json: serde_json::Value = serde_json::from_str(&text).unwrap();
    json["resources"].as_array().unwrap().len()
}

/// Plans dev in checkout A, copies A (with its `.ferry/`) to B, moves A away and applies in B.
fn moved_plan_applies_in_the_new_place(engine: Option<&str>) {
    let a = Project::example();
    let ferry = |p: &Project, args: &[&str]| {
        let mut cmd = p.ferry(args);
        // The plan holds A's sim root; B's commands use the same one so only state differs.
        cmd.env("TF_VAR_sim_root", a.sim());
        if let Some(engine) = engine {
            cmd.env("FERRY_ENGINE", engine);
        }
        let (code, out, err) = run(cmd);
        assert_eq!(code, 0, "ferry {args:?} exited {code}:\n{out}\n{err}");
        out
    };
    ferry(&a, &["release", "create"]);
    ferry(&a, &["plan", "--env", "dev"]);
    let b = Project {
        dir: tempfile::tempdir().unwrap(),
    };
    let copied = std::process::Command::new("cp")
        .arg("-a")
        .arg(a.root())
        .arg(b.root())
        .status()
        .unwrap();
    assert!(copied.success());
    let gone = a.dir.path().join("repo-gone");
    std::fs::rename(a.root(), &gone).unwrap();

    ferry(&b, &["apply", "--env", "dev"]);
    assert_eq!(resources(&b.data().join("state/dev/terraform.tfstate")), 2);
    assert!(
        !a.root().exists(),
        "the engine wrote to the first checkout's path: {}",
        a.root().display()
    );
    assert!(!gone.join(".ferry/state/dev/terraform.tfstate").exists());

    // The ledger and B's state agree: dev runs the release, and a new plan changes nothing.
    let mut args = vec!["--format", "json"];
    args.extend(["plan", "--env", "dev"]);
    let plan: serde_json::Value = serde_json::from_str(&ferry(&b, &args)).unwrap();
    let summary = &plan["review"]["summary"];
    assert_eq!(
        (summary["create"].as_u64(), summary["no_op"].as_u64()),
        (Some(0), Some(2)),
        "{plan:#}"
    );
    assert!(plan["state"]["serial"].as_u64().is_some(), "{plan:#}");
    let status: serde_json::Value =
        serde_json::from_str(&ferry(&b, &["--format", "json", "status", "--env", "dev"])).unwrap();
    let env = &status["environments"][0];
    assert_eq!(env["current_release"], plan["release"], "{status:#}");
    assert_eq!(env["last_deployment"]["status"], "succeeded", "{status:#}");
}

#[test]
fn a_plan_moved_with_its_data_dir_applies_against_the_moved_state_1_0() {
    moved_plan_applies_in_the_new_place(None);
}

#[test]
fn a_plan_moved_with_its_data_dir_applies_against_the_moved_state_1_11() {
    assert!(
        Path::new(TERRAFORM_1_11).is_file(),
        "Terraform 1.11 is not installed at {TERRAFORM_1_11}"
    );
    moved_plan_applies_in_the_new_place(Some(TERRAFORM_1_11));
}

const FROM_NOTHING: &str = "dev: no state yet and no deployment in the ledger: starting from nothing — every resource will be created";

#[test]
fn a_plan_says_where_its_state_starts_from() {
    let p = Project::example();
    p.release();
    let (code, _, err) = p.run(&["plan", "--env", "dev"]);
    assert_eq!(code, 0, "{err}");
    assert!(err.contains(FROM_NOTHING), "{err}");

    p.ok(&["promote", "--to", "dev"]);
    let (_, _, err) = p.run(&["plan", "--env", "dev"]);
    assert!(!err.contains("dev: "), "state and ledger agree:\n{err}");

    // The state file is lost; the ledger still records the deployment.
    let state = p.data().join("state/dev/terraform.tfstate");
    let kept = std::fs::read(&state).unwrap();
    std::fs::remove_file(&state).unwrap();
    let (_, _, err) = p.run(&["plan", "--env", "dev"]);
    assert!(
        err.contains("dev: the ledger records deployment #1 (release ")
            && err.contains("but there is no state at .ferry/state/dev/terraform.tfstate"),
        "{err}"
    );

    // A new ledger over the deployed state (the state is back, the ledger is not).
    std::fs::write(&state, kept).unwrap();
    for f in ["ledger.db", "ledger.db-wal", "ledger.db-shm"] {
        let _ = std::fs::remove_file(p.data().join(f));
    }
    p.release();
    let (code, _, err) = p.run(&["plan", "--env", "dev"]);
    assert_eq!(code, 0, "{err}");
    assert!(
        err.contains("dev: the ledger records no deployment but the state (.ferry/state/dev/terraform.tfstate) already holds 2 resources"),
        "{err}"
    );
    assert!(!err.contains("starting from nothing"), "{err}");
}

#[test]
fn a_ci_runner_refuses_a_gated_environment_with_local_state() {
    let p = Project::example();
    let ci = |args: &[&str]| {
        let mut cmd = p.ferry(args);
        cmd.env("CI", "true");
        run(cmd)
    };
    let (code, _, err) = ci(&["release", "create"]);
    assert_eq!(code, 0, "{err}");
    // Ungated environments still work on a runner.
    for args in [
        &["promote", "--to", "dev"][..],
        &["promote", "--to", "staging", "--yes"],
    ] {
        let (code, _, err) = ci(args);
        assert_eq!(code, 0, "ferry {args:?}:\n{err}");
    }
    let expect = "environment 'prod' is gated (approvals = 1) but its state is local (in ferry's data dir) and this is a CI runner (CI=true)";
    let (code, out, err) = ci(&["promote", "--to", "prod"]);
    assert_eq!(code, 1, "{out}\n{err}");
    assert!(
        err.contains(expect) && err.contains("Use a remote backend for 'prod'"),
        "{err}"
    );
    let (code, out, _) = ci(&["--format", "json", "plan", "--env", "prod"]);
    assert_eq!(code, 1);
    let doc: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(doc["error"]["kind"], "invalid", "{doc:#}");
    assert!(
        doc["error"]["message"].as_str().unwrap().contains(expect),
        "{doc:#}"
    );
    assert!(p.json(&["status", "--env", "prod"])["environments"][0]["pending_plan"].is_null());

    // A plan made on a machine that keeps its state is not applied from a runner either.
    p.ok(&["plan", "--env", "prod"]);
    p.approve("ops@example.com", "prod", &[]);
    let (code, _, err) = ci(&["apply", "--env", "prod"]);
    assert_eq!(code, 1, "{err}");
    assert!(err.contains(expect), "{err}");
    assert!(!p.data().join("state/prod/terraform.tfstate").exists());
    // Off the runner it applies.
    p.ok(&["apply", "--env", "prod"]);
    assert_eq!(resources(&p.data().join("state/prod/terraform.tfstate")), 2);
}
