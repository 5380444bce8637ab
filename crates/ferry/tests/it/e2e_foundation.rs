//! End-to-end: the real pinned Terraform carries one release dev → staging → prod, and every bad
//! input of the foundation issue gets one clear message, the right exit code and a consistent ledger.

use crate::common::{self, Project};

#[test]
fn a_release_travels_dev_staging_prod_byte_for_byte() {
    let p = Project::example();
    let id = p.release();
    assert_eq!(p.release(), id, "same commit, same id");

    p.ok(&["promote", "--to", "dev"]);
    assert!(
        p.sim().join("dev/db/data.db").is_file(),
        "dev database created by the real engine"
    );

    // prod before staging: blocked, naming staging
    let (code, _, err) = p.run(&["promote", "--to", "prod", "--release", &id]);
    assert_eq!(code, 3, "{err}");
    assert!(err.contains("'staging'"), "{err}");

    p.ok(&["promote", "--to", "staging", "--yes"]);
    // prod needs an approval of the exact plan
    let (code, out, err) = p.run(&["promote", "--to", "prod"]);
    assert_eq!(code, 3, "{out}{err}");
    assert!(err.contains("needs 1 approval"), "{err}");
    assert!(
        out.contains(
            "compared with the plan of the same release applied and verified in 'staging'"
        ),
        "{out}"
    );

    let status = p.json(&["status", "--env", "prod"]);
    let pending = &status["environments"][0]["pending_plan"];
    assert_eq!(pending["release"], id.as_str());
    assert_eq!(pending["approvals_needed"], 1);
    assert_eq!(pending["approvals"], serde_json::json!([]));

    let (code, _, err) = p.approve("lead@example.com", "prod", &[]);
    assert_eq!(code, 0, "{err}");
    let (code, _, err) = p.approve("lead@example.com", "prod", &[]);
    assert_eq!(code, 1, "the same person cannot approve twice: {err}");
    let deployment = p.json(&["apply", "--env", "prod"]);
    assert_eq!(deployment["status"], "succeeded");
    assert_eq!(deployment["release"], id.as_str());
    assert!(
        p.sim().join("prod/web/replica-2").is_dir(),
        "prod has 3 replicas"
    );
    assert!(
        !p.sim().join("staging/web/replica-2").exists(),
        "staging has 2"
    );

    // a second apply of the same plan is refused
    let plan = deployment["plan"].as_str().unwrap();
    let (code, _, err) = p.run(&["apply", "--env", "prod", "--plan", plan]);
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("applied"), "{err}");

    let status = p.json(&["status"]);
    let envs = status["environments"].as_array().unwrap();
    let names: Vec<_> = envs.iter().map(|e| e["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["dev", "staging", "prod"]);
    for e in envs {
        assert_eq!(e["current_release"], id.as_str(), "{e}");
        assert_eq!(e["last_deployment"]["status"], "succeeded");
        assert_eq!(e["pending_plan"], serde_json::Value::Null);
    }
    let history = p.json(&["history", "--env", "prod"]);
    let kinds: Vec<_> = history
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].as_str().unwrap())
        .collect();
    // Every row a gate reads changes with a chained event: the claim, the outcome, the verification.
    assert_eq!(
        kinds,
        [
            "verification.passed",
            "deployment.succeeded",
            "deployment.started",
            "approval",
            "plan.created"
        ]
    );
}

#[test]
fn a_tampered_artifact_is_refused() {
    let p = Project::example();
    let id = p.release();
    let hex = id.strip_prefix("sha256:").unwrap();
    let artifact = p.data().join("releases").join(format!("{hex}.tar.zst"));
    let mut bytes = std::fs::read(&artifact).unwrap();
    let mid = bytes.len() / 2;
    bytes[mid] ^= 0x01;
    let mut perms = std::fs::metadata(&artifact).unwrap().permissions();
    #[allow(clippy::permissions_set_readonly_false)]
    perms.set_readonly(false);
    std::fs::set_permissions(&artifact, perms).unwrap();
    std::fs::write(&artifact, bytes).unwrap();
    let (code, _, err) = p.run(&["plan", "--env", "dev", "--release", &id]);
    assert_eq!(code, 1, "{err}");
    assert!(
        err.to_lowercase().contains("modified") || err.contains("tamper"),
        "{err}"
    );
    assert!(
        p.json(&["status"])["environments"][0]["pending_plan"].is_null(),
        "nothing recorded"
    );
}

#[test]
fn a_tampered_plan_file_is_not_applied() {
    let p = Project::example();
    p.release();
    let plan = p.json(&["plan", "--env", "dev"]);
    let hex = plan["plan"]
        .as_str()
        .unwrap()
        .strip_prefix("sha256:")
        .unwrap()
        .to_string();
    let file = p.data().join("artifacts/plan-files").join(&hex);
    let mut bytes = std::fs::read(&file).unwrap();
    std::fs::remove_file(&file).unwrap();
    bytes.push(0);
    std::fs::write(&file, bytes).unwrap();
    let (code, _, err) = p.run(&["apply", "--env", "dev"]);
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("modified"), "{err}");
    assert!(!p.sim().join("dev").exists(), "nothing applied");
    assert!(p.json(&["status", "--env", "dev"])["environments"][0]["last_deployment"].is_null());
}

#[test]
fn a_failing_apply_is_recorded_as_failed() {
    let p = Project::example();
    std::fs::write(
        p.root().join("infra/broken.tf"),
        "resource \"null_resource\" \"flaky\" {\n  provisioner \"local-exec\" {\n    command = \"echo disk full >&2; exit 7\"\n  }\n}\n",
    )
    .unwrap();
    p.commit("a resource whose creation fails");
    p.release();
    let (code, _, err) = p.run(&["promote", "--to", "dev"]);
    assert_eq!(code, 1, "{err}");
    assert!(
        err.contains("apply") && err.contains("disk full"),
        "the engine's stderr is shown: {err}"
    );
    let dev = &p.json(&["status", "--env", "dev"])["environments"][0];
    assert_eq!(dev["last_deployment"]["status"], "failed");
    assert_eq!(
        dev["current_release"],
        serde_json::Value::Null,
        "a failed deployment is never known-good"
    );
    let (code, _, err) = p.run(&["promote", "--to", "staging", "--yes"]);
    assert_eq!(code, 3, "{err}");
}

#[test]
fn a_var_file_with_an_hcl_error_names_the_file() {
    let p = Project::example();
    std::fs::write(
        p.root().join("infra/environments/dev.tfvars"),
        "web_replicas = = 2\n",
    )
    .unwrap();
    p.commit("broken dev inputs");
    p.release();
    let (code, _, err) = p.run(&["plan", "--env", "dev"]);
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("dev.tfvars"), "{err}");
    assert!(p.json(&["status", "--env", "dev"])["environments"][0]["pending_plan"].is_null());
}

#[test]
fn missing_terraform_is_a_clear_error() {
    let p = Project::example();
    p.release();
    let mut cmd = p.ferry(&["plan", "--env", "dev"]);
    cmd.env("PATH", "/nonexistent");
    let (code, _, err) = common::run(cmd);
    assert_eq!(code, 1, "{err}");
    assert!(
        err.contains("install-terraform") || err.contains("PATH"),
        "{err}"
    );
}

#[test]
fn dirty_trees_and_dirty_releases() {
    let p = Project::example();
    p.edit(
        "infra/environments/dev.tfvars",
        "web_replicas      = 1",
        "web_replicas      = 2",
    );
    let (code, _, err) = p.run(&["release", "create"]);
    assert_eq!(code, 1, "{err}");
    assert!(
        err.contains("dev.tfvars") && err.contains("--allow-dirty"),
        "{err}"
    );
    let dirty = p.json(&["release", "create", "--allow-dirty"]);
    assert_eq!(dirty["dirty"], true);
    let id = dirty["id"].as_str().unwrap();
    p.ok(&["promote", "--to", "dev", "--release", id]);
    assert!(
        p.sim().join("dev/web/replica-1").is_dir(),
        "the dirty inputs were used"
    );
    let (code, _, err) = p.run(&["plan", "--env", "staging", "--release", id]);
    assert_eq!(code, 3, "{err}");
    assert!(err.contains("dirty"), "{err}");
}

#[test]
fn bad_project_inputs() {
    let p = Project::example();
    // unknown release
    let (code, _, err) = p.run(&[
        "plan",
        "--env",
        "dev",
        "--release",
        "sha256:deadbeefdeadbeef",
    ]);
    assert_eq!(code, 1);
    assert!(err.contains("unknown release"), "{err}");
    // unknown environment
    let (code, _, err) = p.run(&["plan", "--env", "qa"]);
    assert_eq!(code, 1);
    assert!(
        err.contains("no environment 'qa'") && err.contains("dev, staging, prod"),
        "{err}"
    );
    // no ferry.toml
    let empty = tempfile::tempdir().unwrap();
    let (code, _, err) = common::run({
        let mut c = p.ferry(&["status"]);
        c.current_dir(empty.path());
        c.args(["-C", empty.path().to_str().unwrap()]);
        c
    });
    assert_eq!(code, 1);
    assert!(err.contains("no ferry.toml"), "{err}");
    // usage error
    let (code, _, _) = p.run(&["plan"]);
    assert_eq!(code, 2);
}

#[test]
fn not_a_git_repository() {
    let dir = tempfile::tempdir().unwrap();
    common::copy_dir(&common::repo_root().join("examples/demo"), dir.path());
    let mut cmd = assert_cmd::Command::cargo_bin("ferry").unwrap();
    cmd.arg("-C")
        .arg(dir.path())
        .args(["release", "create"])
        .env("FERRY_USER", "t");
    let (code, _, err) = common::run(cmd);
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("git"), "{err}");
}

#[test]
fn init_scaffolds_and_validates() {
    let dir = tempfile::tempdir().unwrap();
    common::copy_dir(
        &common::repo_root().join("examples/demo/infra"),
        &dir.path().join("infra"),
    );
    let mut cmd = assert_cmd::Command::cargo_bin("ferry").unwrap();
    cmd.arg("-C").arg(dir.path()).arg("init");
    let (code, out, err) = common::run(cmd);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("dev → staging → prod"), "{out}");
    let toml = std::fs::read_to_string(dir.path().join("ferry.toml")).unwrap();
    assert!(
        toml.contains("from = \"staging\"") && toml.contains("approvals = 1"),
        "{toml}"
    );
    assert!(std::fs::read_to_string(dir.path().join(".gitignore"))
        .unwrap()
        .contains("/.ferry/"));

    std::fs::write(
        dir.path().join("ferry.toml"),
        toml.replace(
            "infra/environments/prod.tfvars",
            "infra/environments/prd.tfvars",
        ),
    )
    .unwrap();
    let (code, _, err) = init_check(dir.path());
    assert_eq!(code, 1);
    assert!(
        err.contains("prd.tfvars") && err.contains("does not exist"),
        "{err}"
    );

    std::fs::write(
        dir.path().join("ferry.toml"),
        format!("{toml}\n[review]\nstatefull = [\"x\"]\n"),
    )
    .unwrap();
    let (code, _, err) = init_check(dir.path());
    assert_eq!(code, 1);
    assert!(
        err.contains("[review]") && err.contains("statefull"),
        "{err}"
    );

    std::fs::write(
        dir.path().join("ferry.toml"),
        toml.replace("auto_apply", "auto_aply"),
    )
    .unwrap();
    let (code, _, err) = init_check(dir.path());
    assert_eq!(code, 1);
    assert!(
        err.contains("ferry.toml") && err.contains("auto_aply"),
        "{err}"
    );
}

fn init_check(dir: &std::path::Path) -> (i32, String, String) {
    let mut cmd = assert_cmd::Command::cargo_bin("ferry").unwrap();
    cmd.arg("-C").arg(dir).args(["init", "--check"]);
    common::run(cmd)
}
