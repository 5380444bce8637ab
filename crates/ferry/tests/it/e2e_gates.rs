//! End-to-end gates on the pinned Terraform: separation of duties, approvals bound to the plan,
//! locks, stale plans, watched rollouts with automatic rollback, rollbacks that refuse to destroy
//! data, freeze windows, and rollback rehearsal shown at the prod approval.

use crate::common::{self, Project};
use std::time::Duration;

const LEAD: &str = "lead@example.com";

fn approvals_of_pending(p: &Project, env: &str) -> serde_json::Value {
    p.json(&["status", "--env", env])["environments"][0]["pending_plan"]["approvals"].clone()
}

fn to_staging(p: &Project) -> String {
    let id = p.release();
    p.ok(&["promote", "--to", "dev"]);
    p.ok(&["promote", "--to", "staging", "--yes"]);
    id
}

#[test]
fn self_approval_is_refused_and_approvals_follow_the_change_set() {
    let p = Project::example();
    to_staging(&p);
    let (code, _, _) = p.run(&["promote", "--to", "prod"]);
    assert_eq!(code, 3);
    // dev@ cut the release and ran the plan: may not approve it
    let (code, _, err) = p.approve("dev@example.com", "prod", &[]);
    assert_eq!(code, 3, "{err}");
    assert!(
        err.contains("forbid_self_approval") && err.contains("ran the plan"),
        "{err}"
    );
    let (code, _, err) = p.approve(LEAD, "prod", &[]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(approvals_of_pending(&p, "prod"), serde_json::json!([LEAD]));

    // an identical re-plan keeps the approval, and the ledger says so
    p.ok(&["plan", "--env", "prod"]);
    assert_eq!(approvals_of_pending(&p, "prod"), serde_json::json!([LEAD]));
    let history = p.json(&["history", "--env", "prod"]);
    assert_eq!(history[0]["kind"], "approvals.carried", "{history}");

    // a re-plan that changes something else voids it
    let mut cmd = p.ferry(&["plan", "--env", "prod"]);
    cmd.env("TF_VAR_sim_root", p.dir.path().join("elsewhere"));
    let (code, _, err) = common::run(cmd);
    assert_eq!(code, 0, "{err}");
    assert_eq!(approvals_of_pending(&p, "prod"), serde_json::json!([]));
    assert_eq!(
        p.json(&["history", "--env", "prod"])[0]["kind"],
        "approvals.voided"
    );
    let (code, _, err) = p.run(&["apply", "--env", "prod"]);
    assert_eq!(code, 3, "{err}");
    assert!(err.contains("needs 1 approval"), "{err}");
}

#[test]
fn approvers_list_limits_who_may_approve() {
    let p = Project::example();
    p.edit(
        "ferry.toml",
        "approvals = 1",
        "approvals = 1\napprovers = [\"group:leads\"]",
    );
    std::fs::write(
        p.root().join("ferry.toml"),
        std::fs::read_to_string(p.root().join("ferry.toml")).unwrap()
            + "\n[groups]\nleads = [\"lead@example.com\"]\n",
    )
    .unwrap();
    p.commit("only leads approve prod");
    to_staging(&p);
    p.run(&["plan", "--env", "prod"]);
    let (code, _, err) = p.approve("intern@example.com", "prod", &[]);
    assert_eq!(code, 3, "{err}");
    assert!(
        err.contains("may not approve") && err.contains("group:leads"),
        "{err}"
    );
    let (code, _, err) = p.approve(LEAD, "prod", &[]);
    assert_eq!(code, 0, "{err}");
}

#[test]
fn a_second_promoter_is_refused_while_the_lock_is_held() {
    let p = Project::example();
    std::fs::write(
        p.root().join("infra/slow.tf"),
        "resource \"null_resource\" \"slow\" {\n  provisioner \"local-exec\" {\n    command = \"sleep 6\"\n  }\n}\n",
    )
    .unwrap();
    p.commit("a slow resource");
    p.release();
    let mut child = p.spawn(&["promote", "--to", "dev"]);
    std::thread::sleep(Duration::from_millis(2500));
    let (code, _, err) = p.run(&["plan", "--env", "dev"]);
    assert_eq!(code, 3, "{err}");
    assert!(
        err.contains("locked by dev@example.com") && err.contains("promote"),
        "{err}"
    );
    assert!(child.wait().unwrap().success());
    // released at the end: the next one gets through
    p.ok(&["plan", "--env", "dev"]);
}

#[test]
fn a_stale_plan_is_refused_before_the_engine_runs() {
    let p = Project::example();
    p.release();
    p.ok(&["promote", "--to", "dev"]);
    p.ok(&["plan", "--env", "dev"]);
    // someone changes dev's state outside this plan
    let state_path = p.data().join("state/dev/terraform.tfstate");
    let mut state: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&state_path).unwrap()).unwrap();
    state["serial"] = serde_json::json!(state["serial"].as_u64().unwrap() + 1);
    std::fs::write(&state_path, serde_json::to_string_pretty(&state).unwrap()).unwrap();
    let (code, _, err) = p.run(&["apply", "--env", "dev"]);
    assert_eq!(code, 1, "{err}");
    assert!(
        err.contains("stale") && err.contains("ferry plan --env dev"),
        "{err}"
    );
    assert_eq!(
        p.json(&["status", "--env", "dev"])["environments"][0]["last_deployment"]["id"],
        1,
        "no new deployment"
    );
}

#[test]
fn failed_verification_rolls_back_automatically() {
    let p = Project::example();
    p.edit(
        "ferry.toml",
        "auto_apply = true",
        "auto_apply = true\nauto_rollback = true\n\n[[environment.verify]]\nname = \"smoke\"\ncommand = \"test \\\"$TF_OUTPUT_WEB_APP_VERSION\\\" != 1.1.0 || { echo 'version 1.1.0 answers 500' >&2; exit 1; }\"\nretries = 2\ninterval = \"1s\"\n",
    );
    p.commit("dev verifies the web tier");
    let v1 = p.release();
    p.ok(&["promote", "--to", "dev"]);
    p.edit("infra/variables.tf", "\"1.0.0\"", "\"1.1.0\"");
    p.commit("v2");
    let v2 = p.release();
    let (code, _, err) = p.run(&["promote", "--to", "dev", "--release", &v2]);
    assert_eq!(code, 1, "{err}");
    assert!(
        err.contains("verification") && err.contains("rolled back automatically"),
        "{err}"
    );
    let deployments = p.json(&["history", "--env", "dev"]);
    let kinds: Vec<&str> = deployments
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].as_str().unwrap())
        .collect();
    assert!(
        kinds.contains(&"verification.failed") && kinds.contains(&"rollback.automatic"),
        "{kinds:?}"
    );
    let dev = &p.json(&["status", "--env", "dev"])["environments"][0];
    assert_eq!(
        dev["current_release"],
        v1.as_str(),
        "v1 is known-good again"
    );
    assert_eq!(dev["last_deployment"]["kind"], "auto-rollback");
    assert_eq!(dev["last_deployment"]["verified"], true);
    let conf = std::fs::read_to_string(p.sim().join("dev/web/replica-0/app.conf")).unwrap();
    assert!(conf.contains("1.0.0"), "{conf}");
    // v2 never became known-good, so it cannot go on
    let (code, _, err) = p.run(&["plan", "--env", "staging", "--release", &v2]);
    assert_eq!(code, 3, "{err}");
}

#[test]
fn a_rollback_that_would_replace_the_database_is_blocked() {
    let p = Project::example();
    let v1 = p.release();
    p.ok(&["promote", "--to", "dev"]);
    std::fs::write(p.sim().join("dev/db/data.db"), "precious rows\n").unwrap();
    // v2 upgrades the database engine and, deliberately and reviewed, relaxes the rules for it
    p.edit("infra/variables.tf", "\"14.9\"", "\"15.4\"");
    p.edit(
        "ferry.toml",
        "stateful = [\"null_resource.db\"]",
        "not_stateful = [\"null_resource.db\"]",
    );
    std::fs::remove_dir_all(p.root().join("policy")).unwrap();
    p.commit("v2: postgres 15, data migrated by hand");
    p.release();
    p.ok(&["promote", "--to", "dev"]);
    std::fs::write(p.sim().join("dev/db/data.db"), "migrated rows\n").unwrap();
    let (code, out, err) = p.run(&["rollback", "--env", "dev"]);
    assert_eq!(code, 3, "{out}{err}");
    assert!(
        err.contains("rollback") && err.contains("stateful"),
        "{err}"
    );
    assert!(
        out.contains("null_resource.db"),
        "the person is told what it would destroy: {out}"
    );
    assert_eq!(
        std::fs::read_to_string(p.sim().join("dev/db/data.db")).unwrap(),
        "migrated rows\n",
        "data untouched"
    );
    let dev = &p.json(&["status", "--env", "dev"])["environments"][0];
    assert_ne!(dev["current_release"], v1.as_str());
}

#[test]
fn abandoned_releases_are_never_rolled_back_to() {
    let p = Project::example();
    let v1 = p.release();
    p.ok(&["promote", "--to", "dev"]);
    p.edit("infra/variables.tf", "\"1.0.0\"", "\"1.1.0\"");
    p.commit("v2");
    p.release();
    p.ok(&["promote", "--to", "dev"]);
    p.ok(&["release", "abandon", &v1, "--reason", "leaks connections"]);
    let (code, _, err) = p.run(&["rollback", "--env", "dev"]);
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("no known-good release"), "{err}");
    let (code, _, err) = p.run(&["rollback", "--env", "dev", "--to", &v1]);
    assert_eq!(code, 3, "{err}");
    assert!(err.contains("abandoned"), "{err}");
}

/// A UTC local date-time `secs` from now, as freeze windows are written.
fn utc_in(secs: i64) -> String {
    let t = jiff::Timestamp::now() + jiff::SignedDuration::from_secs(secs);
    t.to_zoned(jiff::tz::TimeZone::UTC)
        .strftime("%Y-%m-%dT%H:%M:%S")
        .to_string()
}

#[test]
fn freeze_windows_are_respected_and_the_clock_cannot_be_moved() {
    let p = Project::example();
    let end = jiff::Timestamp::now() + jiff::SignedDuration::from_secs(20);
    p.edit(
        "ferry.toml",
        "auto_apply = true",
        &format!("auto_apply = true\n\n[[environment.freeze]]\nstart = \"{}\"\nend = \"{}\"\ntimezone = \"UTC\"\nreason = \"holidays\"\n", utc_in(-3600), utc_in(20)),
    );
    p.commit("holiday freeze");
    p.release();
    // FERRY_NOW moved the gates' clock in earlier versions; the shipped binary has no such knob.
    let mut cmd = p.ferry(&["promote", "--to", "dev"]);
    cmd.env("FERRY_NOW", "2030-01-01T00:00:00Z");
    let (code, _, err) = common::run(cmd);
    assert_eq!(code, 3, "{err}");
    assert!(err.contains("frozen: holidays"), "{err}");
    assert!(!p.sim().join("dev").exists());
    while jiff::Timestamp::now() < end + jiff::SignedDuration::from_secs(1) {
        std::thread::sleep(Duration::from_millis(250));
    }
    let (code, _, err) = p.run(&["promote", "--to", "dev"]);
    assert_eq!(code, 0, "{err}");
}

#[test]
fn rehearsal_in_staging_is_shown_at_the_prod_approval() {
    let p = Project::example();
    // examples/demo marks staging `rehearse_rollback = true`
    to_staging(&p);
    p.run(&["promote", "--to", "prod"]);
    p.approve(LEAD, "prod", &[]);
    p.ok(&["apply", "--env", "prod"]);

    p.edit("infra/variables.tf", "\"1.0.0\"", "\"1.1.0\"");
    p.commit("v2");
    p.release();
    p.ok(&["promote", "--to", "dev"]);
    let out = p.ok(&["promote", "--to", "staging", "--yes"]);
    assert!(
        out.contains("rollback readiness (rehearsed in 'staging'") && out.contains("READY"),
        "{out}"
    );
    let (code, out, _) = p.run(&["promote", "--to", "prod"]);
    assert_eq!(code, 3);
    assert!(
        out.contains("rollback readiness (rehearsed in 'staging'")
            && out.contains("READY — rolling back to"),
        "{out}"
    );
    let (code, out, err) = p.approve(LEAD, "prod", &["--acknowledge-warnings"]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("READY"), "{out}");
}

#[test]
fn an_interrupted_apply_is_reported_and_never_counted() {
    let p = Project::example();
    std::fs::write(
        p.root().join("infra/slow.tf"),
        "resource \"null_resource\" \"slow\" {\n  provisioner \"local-exec\" {\n    command = \"sleep 5\"\n  }\n}\n",
    )
    .unwrap();
    p.commit("a slow resource");
    p.release();
    p.ok(&["plan", "--env", "dev"]);
    let mut child = p.spawn(&["apply", "--env", "dev"]);
    std::thread::sleep(Duration::from_millis(3000));
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
    std::thread::sleep(Duration::from_millis(3500)); // let the orphaned engine finish
    let (code, out, err) = p.run(&["--format", "json", "status", "--env", "dev"]);
    assert_eq!(code, 0, "{err}");
    assert!(
        err.contains("was interrupted") && err.contains("ferry plan --env dev"),
        "{err}"
    );
    let status: serde_json::Value = serde_json::from_str(&out).unwrap();
    let dev = &status["environments"][0];
    assert_eq!(dev["last_deployment"]["status"], "interrupted");
    assert_eq!(dev["current_release"], serde_json::Value::Null);
    // the lock died with it; planning again works
    p.ok(&["plan", "--env", "dev"]);
}

#[test]
fn unlock_clears_a_stale_lock_on_the_record() {
    use ferry_store::Ledger;
    let p = Project::example();
    p.release();
    let ledger = ferry_store::SqliteLedger::open(&p.data()).unwrap();
    ledger
        .acquire_lock(
            &ferry_store::LockRecord {
                env: "dev".into(),
                holder: "ci-bot (pid 4242 on runner-7)".into(),
                token: "runner-7:4242:x".into(),
                purpose: "promote".into(),
                since: "2026-11-26T03:00:00Z".into(),
                expires_at: "2999-01-01T00:00:00Z".into(),
            },
            "2026-11-26T03:00:00Z",
        )
        .unwrap();
    drop(ledger);
    let (code, _, err) = p.run(&["plan", "--env", "dev"]);
    assert_eq!(code, 3, "{err}");
    assert!(
        err.contains("locked by ci-bot (pid 4242 on runner-7) since 2026-11-26T03:00:00Z"),
        "{err}"
    );
    let (code, out, err) = p.run(&[
        "unlock",
        "--env",
        "dev",
        "--reason",
        "runner-7 was recycled",
    ]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("unlocked 'dev' (held by ci-bot"), "{out}");
    assert_eq!(
        p.json(&["history", "--env", "dev"])[0]["kind"],
        "lock.forced"
    );
    p.ok(&["plan", "--env", "dev"]);
}

#[test]
fn approving_the_wrong_plan_is_refused() {
    let p = Project::example();
    p.release();
    let deployment = p.json(&["promote", "--to", "dev"]);
    let applied = deployment["deployment"]["plan"].as_str().unwrap();
    let (code, _, err) = p.run_as(LEAD, &["approve", "--env", "dev", "--plan", applied]);
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("applied, not pending"), "{err}");
    let (code, _, err) = p.run_as(LEAD, &["approve", "--env", "staging", "--plan", applied]);
    assert_eq!(code, 1, "{err}");
    assert!(
        err.contains("belongs to environment 'dev', not 'staging'"),
        "{err}"
    );
    let (code, _, err) = p.run_as(
        LEAD,
        &[
            "approve",
            "--env",
            "prod",
            "--plan",
            "sha256:0123456789abcdef",
        ],
    );
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("unknown plan"), "{err}");
    let (code, _, err) = p.run_as(LEAD, &["approve", "--env", "prod"]);
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("no pending plan"), "{err}");
}
