//! Gates nobody can relax, spoof or forge (issue 9): one test per way around them that worked
//! before, each on the real binary and the pinned Terraform.

use crate::common::{self, Project};
use serde_json::Value;

const LEAD: &str = "lead@example.com";

fn pending(p: &Project, env: &str) -> Value {
    p.json(&["status", "--env", env])["environments"][0]["pending_plan"].clone()
}

#[test]
fn an_alias_of_the_planner_is_self_approval_and_one_person_counts_once() {
    let p = Project::example();
    p.edit("ferry.toml", "approvals = 1", "approvals = 2");
    p.append_config("\n[people]\nlead = [\"lead@example.com\", \"github:the-boss\"]\n");
    p.commit("two approvals, and who is who");
    p.to_staging();
    assert_eq!(p.run(&["promote", "--to", "prod"]).0, 3);
    let plan = p.pending_plan("prod");

    // the planner under other spellings: a CI login, an upper-case email
    let mut cmd = p.ferry(&["approve", "--env", "prod", "--plan", &plan]);
    cmd.env_remove("FERRY_USER").env("GITHUB_ACTOR", "dev");
    let (code, _, err) = common::run(cmd);
    assert_eq!(code, 3, "{err}");
    assert!(
        err.contains("github:dev cut the release and ran the plan")
            && err.contains("forbid_self_approval"),
        "{err}"
    );
    let (code, _, err) = p.run_as(
        "DEV@Example.com",
        &["approve", "--env", "prod", "--plan", &plan],
    );
    assert_eq!(code, 3, "{err}");
    assert!(err.contains("forbid_self_approval"), "{err}");

    // one person under two identities counts once
    assert_eq!(p.approve(LEAD, "prod", &[]).0, 0);
    let mut cmd = p.ferry(&["approve", "--env", "prod", "--plan", &plan]);
    cmd.env_remove("FERRY_USER").env("GITHUB_ACTOR", "the-boss");
    let (code, _, err) = common::run(cmd);
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("already approved"), "{err}");
    let pend = pending(&p, "prod");
    assert_eq!(pend["approvals_counted"], serde_json::json!(["lead"]));
    assert_eq!(
        p.run(&["apply", "--env", "prod"]).0,
        3,
        "one person is not two approvals"
    );
    assert_eq!(p.approve("ops@example.com", "prod", &[]).0, 0);
    p.ok(&["apply", "--env", "prod"]);
}

#[test]
fn a_work_tree_cannot_loosen_a_gate() {
    let p = Project::example();
    p.to_staging();
    // not committed, not released
    p.edit("ferry.toml", "approvals = 1", "approvals = 0");
    let (code, _, err) = p.run(&["promote", "--to", "prod", "--yes"]);
    assert_eq!(code, 3, "{err}");
    assert!(err.contains("needs 1 approval"), "{err}");
    assert!(
        err.contains(
            "ignored: the work tree's ferry.toml sets approvals = 0 for 'prod', the release says 1"
        ),
        "{err}"
    );
    assert!(!p.sim().join("prod").exists(), "nothing applied to prod");
    // tightening is honoured and said
    p.edit("ferry.toml", "approvals = 0", "approvals = 2");
    let (code, _, err) = p.run(&["plan", "--env", "prod"]);
    assert_eq!(code, 0, "{err}");
    assert!(err.contains("tightens 'prod': approvals = 2"), "{err}");
    assert_eq!(pending(&p, "prod")["approvals_needed"], 2);
}

#[test]
fn an_edited_verdict_is_refused_and_ledger_verify_names_it() {
    let p = Project::example();
    p.release();
    p.ok(&["promote", "--to", "dev"]);
    p.edit("infra/variables.tf", "\"14.9\"", "\"15.4\"");
    p.commit("replace the database");
    p.release();
    assert_eq!(
        p.run(&["promote", "--to", "dev"]).0,
        3,
        "blocked: stateful replace"
    );
    assert_eq!(p.run(&["ledger", "verify"]).0, 0);
    p.sql("UPDATE plans SET verdict = 'pass', policy_denied = 0, policy = '{\"results\":[]}', review = '{\"verdict\":\"pass\",\"summary\":{\"create\":0,\"update\":0,\"replace\":1,\"delete\":0,\"read\":0,\"no_op\":0,\"forget\":0},\"findings\":[]}' WHERE status = 'pending'");
    let (code, _, err) = p.run(&["apply", "--env", "dev"]);
    assert_eq!(code, 3, "{err}");
    assert!(
        err.contains("ledger does not verify") && err.contains("edited outside ferry"),
        "{err}"
    );
    let (code, out, _) = p.run(&["--format", "json", "ledger", "verify"]);
    assert_eq!(code, 3);
    let v: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["ok"], false);
    assert!(
        v["first_problem"].as_str().unwrap().contains("plans row"),
        "{v}"
    );
    assert!(v["problems"][0]["event"].as_i64().is_some(), "{v}");
    let data = std::fs::read_to_string(p.sim().join("dev/db/data.db")).unwrap();
    assert!(
        data.contains("initial rows"),
        "the database was not replaced"
    );
}

#[test]
fn a_forged_approval_or_verification_counts_for_nothing() {
    let p = Project::example();
    p.to_staging();
    assert_eq!(p.run(&["promote", "--to", "prod"]).0, 3);
    let plan = p.pending_plan("prod");
    p.sql(&format!(
        "INSERT INTO approvals (plan_id, env, by_whom, at, decision, acknowledged_warnings, source, via) VALUES ('{plan}', 'prod', 'lead@example.com', '2026-01-01T00:00:00Z', 'approve', 0, 'cli', 'FERRY_USER')"
    ));
    let (code, _, err) = p.run(&["apply", "--env", "prod"]);
    assert_eq!(code, 3, "{err}");
    assert!(err.contains("inserted outside ferry"), "{err}");
    assert!(!p.sim().join("prod").exists());

    // a release made known-good by hand does not go on
    let q = Project::example();
    q.edit(
        "ferry.toml",
        "auto_apply = true",
        "auto_apply = true\n\n[[environment.verify]]\nname = \"smoke\"\ncommand = \"exit 1\"\n",
    );
    q.commit("a failing check");
    q.release();
    assert_eq!(
        q.run(&["promote", "--to", "dev"]).0,
        1,
        "verification fails"
    );
    q.sql("UPDATE deployments SET verified = 1, verified_at = '2026-01-01T00:00:00Z'");
    let (code, _, err) = q.run(&["plan", "--env", "staging"]);
    assert_eq!(code, 3, "{err}");
    assert!(
        err.contains("ledger does not verify") && err.contains("deployments row"),
        "{err}"
    );
    assert_eq!(q.run(&["ledger", "verify"]).0, 3);
}

#[test]
fn the_baseline_is_the_plan_applied_and_verified_upstream() {
    let p = Project::example();
    p.release();
    p.ok(&["promote", "--to", "dev"]);
    let staged = p.json(&["promote", "--to", "staging", "--yes"]);
    let applied = staged["deployment"]["plan"].as_str().unwrap().to_string();
    // a newer staging plan of the same release that was never applied
    let mut cmd = p.ferry(&["plan", "--env", "staging"]);
    cmd.env("TF_VAR_sim_root", p.dir.path().join("elsewhere"));
    assert_eq!(common::run(cmd).0, 0);
    assert_ne!(p.pending_plan("staging"), applied);
    let (code, out, err) = p.run(&["--format", "json", "promote", "--to", "prod"]);
    assert_eq!(code, 3, "{err}");
    let v: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["plan"]["baseline"], applied.as_str(), "{v}");
    assert_eq!(v["deployment"], Value::Null);
    assert_eq!(v["error"]["kind"], "blocked");
    assert_eq!(v["unmet_gates"][0]["gate"], "approvals-missing", "{v}");
    assert_eq!(v["error"]["unmet_gates"][0]["need"], 1, "{v}");
}

#[test]
fn an_approval_names_the_exact_plan_its_approver_read() {
    let p = Project::example();
    p.to_staging();
    let (code, out, err) = p.run(&["promote", "--to", "prod"]);
    assert_eq!(code, 3);
    let first = p.pending_plan("prod");
    let command = format!("ferry approve --env prod --plan {first}");
    assert!(
        out.contains(&command) && err.contains(&command),
        "{out}{err}"
    );
    let (code, _, err) = p.run_as(LEAD, &["approve", "--env", "prod"]);
    assert_eq!(code, 1, "{err}");
    assert!(err.contains(&command), "{err}");
    // re-planned since the approver read it
    let mut cmd = p.ferry(&["plan", "--env", "prod"]);
    cmd.env("TF_VAR_sim_root", p.dir.path().join("elsewhere"));
    assert_eq!(common::run(cmd).0, 0);
    let (code, _, err) = p.run_as(LEAD, &["approve", "--env", "prod", "--plan", &first]);
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("superseded, not pending"), "{err}");
    assert_eq!(p.approve(LEAD, "prod", &[]).0, 0);
}

#[test]
fn carried_approvals_need_the_same_variables_outputs_and_an_eligible_approver() {
    let p = Project::example();
    std::fs::write(
        p.root().join("infra/banner.tf"),
        "variable \"banner\" {\n  type    = string\n  default = \"hello\"\n}\n\noutput \"banner\" {\n  value = var.banner\n}\n",
    )
    .unwrap();
    p.commit("an output-only input");
    p.to_staging();
    assert_eq!(p.run(&["promote", "--to", "prod"]).0, 3);
    assert_eq!(p.approve(LEAD, "prod", &[]).0, 0);
    // the resources are the same, the output is not: the approval is void
    let mut cmd = p.ferry(&["plan", "--env", "prod"]);
    cmd.env("TF_VAR_banner", "goodbye");
    assert_eq!(common::run(cmd).0, 0);
    assert_eq!(pending(&p, "prod")["approvals"], serde_json::json!([]));
    assert_eq!(
        p.json(&["history", "--env", "prod"])[0]["kind"],
        "approvals.voided"
    );
    // the approver re-plans the same thing: they ran that plan, so their approval is not carried
    let mut cmd = p.ferry(&["plan", "--env", "prod"]);
    cmd.env("TF_VAR_banner", "goodbye");
    assert_eq!(common::run(cmd).0, 0);
    assert_eq!(p.approve(LEAD, "prod", &[]).0, 0);
    let mut cmd = p.ferry_as(LEAD, &["plan", "--env", "prod"]);
    cmd.env("TF_VAR_banner", "goodbye");
    let (code, _, err) = common::run(cmd);
    assert_eq!(code, 0, "{err}");
    assert!(
        err.contains("not carried") && err.contains("ran the plan"),
        "{err}"
    );
    assert_eq!(pending(&p, "prod")["approvals"], serde_json::json!([]));
}

#[test]
fn a_bad_verify_table_fails_before_anything_is_planned() {
    for (bad, needle) in [
        ("comand = \"true\"", "comand"),
        ("command = \"true\"\ntimout = \"5s\"", "timout"),
        ("http = \"https://example.com/health\"", "https"),
    ] {
        let p = Project::example();
        p.edit(
            "ferry.toml",
            "approvals = 1",
            &format!("approvals = 1\n\n[[environment.verify]]\nname = \"health\"\n{bad}\n"),
        );
        p.commit("a verify check");
        for args in [
            &["status"][..],
            &["plan", "--env", "dev"],
            &["release", "create"],
        ] {
            let (code, _, err) = p.run(args);
            assert_eq!(code, 1, "{args:?}: {err}");
            assert!(
                err.contains(needle) && err.contains("ferry.toml"),
                "{args:?}: {err}"
            );
        }
        assert!(!p.sim().exists(), "nothing planned or applied");
    }
}

#[test]
fn a_rollback_is_a_rollback_however_it_is_applied_and_never_goes_back_to_what_it_left() {
    let p = Project::example();
    let v1 = p.to_staging();
    assert_eq!(p.run(&["promote", "--to", "prod"]).0, 3);
    assert_eq!(p.approve(LEAD, "prod", &[]).0, 0);
    p.ok(&["apply", "--env", "prod"]);
    p.edit("infra/variables.tf", "\"1.0.0\"", "\"1.1.0\"");
    p.commit("v2");
    let v2 = p.to_staging();
    assert_eq!(p.run(&["promote", "--to", "prod"]).0, 3);
    assert_eq!(p.approve(LEAD, "prod", &["--acknowledge-warnings"]).0, 0);
    p.ok(&["apply", "--env", "prod"]);

    // the rollback waits for a person, then is applied with `apply`
    let (code, _, err) = p.run(&["rollback", "--env", "prod"]);
    assert_eq!(code, 3, "{err}");
    assert!(err.contains(&format!("back from {}", &v2[7..19])), "{err}");
    assert_eq!(p.approve(LEAD, "prod", &["--acknowledge-warnings"]).0, 0);
    let d = p.json(&["apply", "--env", "prod"]);
    assert_eq!(d["kind"], "rollback", "{d}");
    assert_eq!(d["release"], v1.as_str());
    assert_eq!(d["replaces"], v2.as_str());
    // a second rollback does not return to the release just rolled back from
    let (code, _, err) = p.run(&["rollback", "--env", "prod"]);
    assert_eq!(code, 1, "{err}");
    assert!(
        err.contains("no known-good release before the current one"),
        "{err}"
    );
}

#[test]
fn a_kind_difference_from_upstream_blocks_the_prod_review() {
    let p = Project::example();
    p.edit(
        "infra/variables.tf",
        "variable \"app_version\" {",
        "variable \"db_engine\" {\n  type    = string\n  default = \"postgres\"\n}\n\nvariable \"app_version\" {",
    );
    p.edit(
        "infra/main.tf",
        "db_engine = \"postgres\"",
        "db_engine = var.db_engine",
    );
    for (env, engine) in [
        ("dev", "postgres"),
        ("staging", "postgres"),
        ("prod", "mysql"),
    ] {
        let path = p.root().join(format!("infra/environments/{env}.tfvars"));
        let text = std::fs::read_to_string(&path).unwrap()
            + &format!("db_engine         = \"{engine}\"\n");
        std::fs::write(path, text).unwrap();
    }
    p.commit("prod on mysql");
    p.to_staging();
    let (code, out, _) = p.run(&["--format", "json", "promote", "--to", "prod"]);
    assert_eq!(code, 3);
    let v: Value = serde_json::from_str(&out).unwrap();
    let findings = v["plan"]["review"]["findings"].as_array().unwrap();
    let kind = findings
        .iter()
        .find(|f| f["kind"] == "kind-difference")
        .unwrap_or_else(|| panic!("{v}"));
    assert_eq!(kind["severity"], "block");
    assert_eq!(kind["address"], "var.db_engine");
    assert_eq!(v["plan"]["review"]["verdict"], "block");
    assert!(
        v["unmet_gates"]
            .as_array()
            .unwrap()
            .iter()
            .any(|g| g["gate"] == "review-blocked"),
        "{v}"
    );
}

#[test]
fn every_command_answers_json_and_markdown_only_where_it_exists() {
    let dir = tempfile::tempdir().unwrap();
    let mut cmd = assert_cmd::Command::cargo_bin("ferry").unwrap();
    cmd.args(["--format", "json", "-C"])
        .arg(dir.path())
        .arg("status");
    let (code, out, _) = common::run(cmd);
    assert_eq!(code, 1);
    let v: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["error"]["kind"], "not-found");
    assert!(v["error"]["message"]
        .as_str()
        .unwrap()
        .contains("no ferry.toml"));
    let p = Project::example();
    for args in [&["status"][..], &["history"], &["promote", "--to", "dev"]] {
        let mut full = vec!["--format", "markdown"];
        full.extend_from_slice(args);
        let (code, _, err) = p.run(&full);
        assert_eq!(code, 2, "{args:?}: {err}");
        assert!(
            err.contains(
                "markdown is available for `review`, `plan`, `drift`, `audit` and `migrate check`"
            ),
            "{err}"
        );
    }
    let (code, out, _) = p.run(&["--format", "json", "plan", "--env", "prod"]);
    assert_eq!(code, 1, "no release yet");
    let v: Value = serde_json::from_str(&out).unwrap();
    assert!(
        v["error"]["message"]
            .as_str()
            .unwrap()
            .contains("no releases yet"),
        "{v}"
    );
}

fn keygen(dir: &std::path::Path, name: &str) -> std::path::PathBuf {
    let key = dir.join(name);
    let out = std::process::Command::new("ssh-keygen")
        .args(["-q", "-t", "ed25519", "-N", "", "-C", name, "-f"])
        .arg(&key)
        .output()
        .expect("ssh-keygen");
    assert!(out.status.success());
    key
}

#[test]
fn signed_approvals_count_only_from_an_allowed_signer() {
    let p = Project::example();
    let keys = tempfile::tempdir().unwrap();
    let lead = keygen(keys.path(), "lead");
    let mallory = keygen(keys.path(), "mallory");
    let lead_pub = std::fs::read_to_string(lead.with_extension("pub")).unwrap();
    std::fs::write(
        p.root().join("allowed_signers"),
        format!("{LEAD} namespaces=\"ferry\" {lead_pub}"),
    )
    .unwrap();
    p.edit(
        "ferry.toml",
        "approvals = 1",
        "approvals = 1\nrequire_signed_approvals = true\nallowed_signers = \"allowed_signers\"",
    );
    p.commit("prod approvals are signed");
    p.to_staging();
    assert_eq!(p.run(&["promote", "--to", "prod"]).0, 3);
    let plan = p.pending_plan("prod");

    // FERRY_USER alone proves nothing here
    let (code, _, err) = p.run_as(LEAD, &["approve", "--env", "prod", "--plan", &plan]);
    assert_eq!(code, 3, "{err}");
    assert!(err.contains("not signed"), "{err}");
    let key = mallory.display().to_string();
    let (code, _, err) = p.run_as(
        LEAD,
        &[
            "approve",
            "--env",
            "prod",
            "--plan",
            &plan,
            "--sign-key",
            &key,
        ],
    );
    assert_eq!(code, 3, "{err}");
    assert!(err.contains("not in allowed_signers"), "{err}");
    assert!(pending(&p, "prod")["approvals"]
        .as_array()
        .unwrap()
        .is_empty());

    let key = lead.display().to_string();
    let (code, out, err) = p.run_as(
        LEAD,
        &[
            "--format",
            "json",
            "approve",
            "--env",
            "prod",
            "--plan",
            &plan,
            "--sign-key",
            &key,
        ],
    );
    assert_eq!(code, 0, "{err}");
    let v: Value = serde_json::from_str(&out).unwrap();
    let sig = v["approval"]["signature"].as_str().unwrap();
    // ssh-keygen accepts the signature ferry stored
    let statement = format!(
        "ferry approval statement v1\nplan: {plan}\nenvironment: prod\nrelease: {}\ndecision: approve\n",
        pending(&p, "prod")["release"].as_str().unwrap()
    );
    let sig_file = keys.path().join("approval.sig");
    std::fs::write(&sig_file, sig).unwrap();
    let mut verify = std::process::Command::new("ssh-keygen")
        .args(["-Y", "verify", "-n", "ferry", "-I", LEAD, "-f"])
        .arg(p.root().join("allowed_signers"))
        .arg("-s")
        .arg(&sig_file)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write;
    verify
        .stdin
        .take()
        .unwrap()
        .write_all(statement.as_bytes())
        .unwrap();
    let out = verify.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    p.ok(&["apply", "--env", "prod"]);
}
