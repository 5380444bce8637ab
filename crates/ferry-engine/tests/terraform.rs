//! Drives the real pinned Terraform 1.0.3 over the example project: the exact sequence ferry
//! uses (init, plan in one work dir, apply the saved plan from another) must hold up against
//! the engine, not against a mock.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use std::path::PathBuf;
use std::time::{Duration, Instant};

use ferry_engine::{Engine, EngineError, EngineKind, StateBackend, BACKEND_OVERRIDE_FILE};
use support::{changes, Sandbox};

#[test]
fn plan_apply_and_replan_across_fresh_work_dirs() {
    let sb = Sandbox::new();
    let opts = sb.opts("dev");
    let state = sb.state("dev");
    let dev = vec![PathBuf::from("environments/dev.tfvars")];
    assert_eq!(sb.engine.kind, EngineKind::Terraform);

    // Plan in one work dir; init twice because ferry may re-run it.
    let w1 = sb.workdir("plan-v1");
    sb.engine.init(&w1, &state, &opts).unwrap();
    let log = sb.engine.init(&w1, &state, &opts).unwrap();
    assert!(
        log.output.contains("successfully initialized"),
        "{}",
        log.output
    );
    assert!(log
        .command
        .starts_with("terraform init -input=false -no-color"));
    assert_eq!(sb.engine.state_identity(&w1, &opts).unwrap(), None);

    let plan = sb.path().join("v1.tfplan");
    let log = sb.engine.plan(&w1, &dev, &plan, &opts).unwrap();
    assert_eq!(log.exit_code, 0);
    assert!(log.output.contains("Plan: 2 to add"), "{}", log.output);
    let json = sb.engine.show_json(&w1, &plan, &opts).unwrap();
    let mut planned = changes(&json);
    planned.sort();
    assert_eq!(
        planned,
        vec![
            (
                "module.web.null_resource.replica[0]".into(),
                vec!["create".into()]
            ),
            ("null_resource.db".into(), vec!["create".into()]),
        ]
    );

    // Apply the saved plan from a different, freshly initialised copy of the same files.
    let w2 = sb.workdir("apply-v1");
    sb.engine.init(&w2, &state, &opts).unwrap();
    let log = sb.engine.apply(&w2, &plan, &opts).unwrap();
    assert!(log.output.contains("Apply complete!"), "{}", log.output);
    let db = sb.sim_root().join("dev/db");
    assert!(
        db.join("data.db").is_file(),
        "the simulated database exists"
    );
    assert!(sb.sim_root().join("dev/web/replica-0/app.conf").is_file());
    match &state {
        StateBackend::Local { path } => assert!(path.is_file(), "state kept at the given path"),
        StateBackend::Configured { .. } => unreachable!(),
    }
    let after_v1 = sb.engine.state_identity(&w2, &opts).unwrap().unwrap();

    let outputs = sb.engine.outputs(&w2, &opts).unwrap();
    assert_eq!(
        outputs["db_data_dir"]["value"],
        db.to_string_lossy().as_ref()
    );
    assert_eq!(outputs["db_data_dir"]["sensitive"], false);

    // Re-planning the same inputs anywhere is a no-op.
    let w3 = sb.workdir("replan");
    sb.engine.init(&w3, &state, &opts).unwrap();
    let noop = sb.path().join("noop.tfplan");
    sb.engine.plan(&w3, &dev, &noop, &opts).unwrap();
    let json = sb.engine.show_json(&w3, &noop, &opts).unwrap();
    assert!(changes(&json)
        .iter()
        .all(|(_, actions)| actions == &vec!["no-op".to_string()]));
    assert_eq!(
        sb.engine.state_identity(&w3, &opts).unwrap().unwrap(),
        after_v1
    );

    // A v2 change (new app version) replaces the web replica and moves the serial on.
    let w4 = sb.workdir("plan-v2");
    std::fs::write(w4.join("v2.auto.tfvars"), "app_version = \"1.1.0\"\n").unwrap();
    sb.engine.init(&w4, &state, &opts).unwrap();
    let v2 = sb.path().join("v2.tfplan");
    sb.engine.plan(&w4, &dev, &v2, &opts).unwrap();
    let w5 = sb.workdir("apply-v2");
    std::fs::copy(w4.join("v2.auto.tfvars"), w5.join("v2.auto.tfvars")).unwrap();
    sb.engine.init(&w5, &state, &opts).unwrap();
    sb.engine.apply(&w5, &v2, &opts).unwrap();
    let conf = std::fs::read_to_string(sb.sim_root().join("dev/web/replica-0/app.conf")).unwrap();
    assert!(conf.contains("app_version=1.1.0"), "{conf}");
    let after_v2 = sb.engine.state_identity(&w5, &opts).unwrap().unwrap();
    assert_eq!(after_v2.lineage, after_v1.lineage);
    assert!(
        after_v2.serial > after_v1.serial,
        "{after_v2:?} vs {after_v1:?}"
    );
    assert!(db.join("data.db").is_file(), "v2 leaves the database alone");
}

#[test]
fn replacing_the_database_loses_its_data() {
    let sb = Sandbox::new();
    let opts = sb.opts("staging");
    let state = sb.state("staging");
    let staging = vec![PathBuf::from("environments/staging.tfvars")];
    let w = sb.workdir("w");
    sb.engine.init(&w, &state, &opts).unwrap();
    let p1 = sb.path().join("p1");
    sb.engine.plan(&w, &staging, &p1, &opts).unwrap();
    sb.engine.apply(&w, &p1, &opts).unwrap();
    let db = sb.sim_root().join("staging/db");
    assert!(sb.sim_root().join("staging/web/replica-1").is_dir());
    std::fs::write(db.join("customers.db"), "precious").unwrap();

    let upgrade = sb.path().join("upgrade.tfvars");
    std::fs::write(&upgrade, "db_engine_version = \"15.4\"\n").unwrap();
    let p2 = sb.path().join("p2");
    sb.engine
        .plan(&w, &[staging[0].clone(), upgrade], &p2, &opts)
        .unwrap();
    let json = sb.engine.show_json(&w, &p2, &opts).unwrap();
    let db_change = changes(&json)
        .into_iter()
        .find(|(a, _)| a == "null_resource.db")
        .unwrap();
    assert_eq!(
        db_change.1,
        vec!["delete".to_string(), "create".to_string()]
    );

    sb.engine.apply(&w, &p2, &opts).unwrap();
    assert!(db.join("data.db").is_file(), "a new, empty database");
    assert!(!db.join("customers.db").exists(), "the old data is gone");
}

#[test]
fn hcl_error_in_var_file_fails_naming_the_file() {
    let sb = Sandbox::new();
    let opts = sb.opts("dev");
    let w = sb.workdir("w");
    sb.engine.init(&w, &sb.state("dev"), &opts).unwrap();
    let bad = sb.path().join("broken.tfvars");
    std::fs::write(&bad, "web_replicas = = 3\n").unwrap();
    let err = sb
        .engine
        .plan(&w, &[bad], &sb.path().join("p"), &opts)
        .unwrap_err();
    match &err {
        EngineError::Failed {
            command,
            exit_code,
            stderr,
            ..
        } => {
            assert!(command.contains("terraform plan"), "{command}");
            assert_ne!(*exit_code, 0);
            assert!(stderr.contains("broken.tfvars"), "{stderr}");
        }
        other => panic!("expected Failed, got {other:?}"),
    }
    let msg = err.to_string();
    assert!(
        msg.contains("terraform plan") && msg.contains("broken.tfvars"),
        "{msg}"
    );
}

#[test]
fn apply_that_outlives_its_timeout_is_interrupted() {
    let sb = Sandbox::new();
    let opts = sb.opts("dev");
    let w = sb.path().join("slow");
    std::fs::create_dir_all(&w).unwrap();
    std::fs::write(
        w.join("main.tf"),
        r#"
terraform {
  required_providers {
    null = { source = "hashicorp/null", version = "2.1.2" }
  }
}
resource "null_resource" "slow" {
  provisioner "local-exec" {
    command = "echo working; sleep 120"
  }
}
"#,
    )
    .unwrap();
    sb.engine.init(&w, &sb.state("slow"), &opts).unwrap();
    let plan = sb.path().join("slow.tfplan");
    sb.engine.plan(&w, &[], &plan, &opts).unwrap();

    let short = ferry_engine::RunOptions {
        timeout: Duration::from_secs(2),
        ..opts
    };
    let start = Instant::now();
    let err = sb.engine.apply(&w, &plan, &short).unwrap_err();
    let took = start.elapsed();
    match &err {
        EngineError::Timeout {
            command,
            after,
            output,
        } => {
            assert!(command.contains("terraform apply"), "{command}");
            assert_eq!(*after, Duration::from_secs(2));
            // SIGINT reached Terraform, which shut down gracefully.
            assert!(output.contains("Interrupt received"), "{output}");
        }
        other => panic!("expected Timeout, got {other:?}"),
    }
    assert!(took < Duration::from_secs(12), "stopping took {took:?}");
}

#[test]
fn a_missing_engine_says_how_to_install_one() {
    let err = Engine::locate(Some("/nonexistent/bin/terraform")).unwrap_err();
    assert!(matches!(err, EngineError::NotFound { .. }), "{err:?}");
    assert!(err.to_string().contains("scripts/install-terraform"));

    let err = Engine::locate(Some("ferry-no-such-engine")).unwrap_err();
    assert!(err.to_string().contains("`ferry-no-such-engine`"), "{err}");
}

#[test]
fn a_configured_path_is_used_as_is() {
    let engine = Engine::locate(Some(support::pinned_binary().to_str().unwrap())).unwrap();
    assert_eq!(engine.kind, EngineKind::Terraform);
    assert_eq!(engine.version, "1.0.3");
}

#[test]
fn init_writes_the_local_backend_override() {
    let sb = Sandbox::new();
    let w = sb.workdir("w");
    sb.engine
        .init(&w, &sb.state("prod"), &sb.opts("prod"))
        .unwrap();
    assert!(w.join(BACKEND_OVERRIDE_FILE).is_file());
    assert!(sb.path().join("state/prod").is_dir());
}

#[test]
fn a_saved_plan_against_existing_state_cannot_be_applied_twice() {
    let sb = Sandbox::new();
    let opts = sb.opts("dev");
    let w = sb.workdir("w");
    sb.engine.init(&w, &sb.state("dev"), &opts).unwrap();
    let dev = vec![PathBuf::from("environments/dev.tfvars")];
    let first = sb.path().join("first");
    sb.engine.plan(&w, &dev, &first, &opts).unwrap();
    sb.engine.apply(&w, &first, &opts).unwrap();

    std::fs::write(w.join("v2.auto.tfvars"), "app_version = \"2.0.0\"\n").unwrap();
    let second = sb.path().join("second");
    sb.engine.plan(&w, &dev, &second, &opts).unwrap();
    sb.engine.apply(&w, &second, &opts).unwrap();
    let err = sb.engine.apply(&w, &second, &opts).unwrap_err();
    match &err {
        EngineError::Failed { stderr, .. } => {
            assert!(stderr.to_lowercase().contains("stale"), "{stderr}")
        }
        other => panic!("expected Failed, got {other:?}"),
    }
}

/// Terraform 1.0.3 skips its stale-plan check when the plan was made against *no* state, so
/// re-applying an environment's first plan would create everything again and orphan the first
/// copies. ferry must compare the state identity recorded at plan time with the current one
/// before every apply; this shows that comparison catches it.
#[test]
fn state_identity_exposes_a_first_plan_that_was_already_applied() {
    let sb = Sandbox::new();
    let opts = sb.opts("dev");
    let w = sb.workdir("w");
    sb.engine.init(&w, &sb.state("dev"), &opts).unwrap();
    let at_plan = sb.engine.state_identity(&w, &opts).unwrap();
    assert_eq!(at_plan, None);
    let plan = sb.path().join("p");
    let dev = vec![PathBuf::from("environments/dev.tfvars")];
    sb.engine.plan(&w, &dev, &plan, &opts).unwrap();
    sb.engine.apply(&w, &plan, &opts).unwrap();
    let now = sb.engine.state_identity(&w, &opts).unwrap();
    assert!(now.is_some() && now != at_plan);
}
