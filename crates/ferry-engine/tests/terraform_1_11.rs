//! Today's Terraform (1.11, /usr/local/bin/terraform when present): `[engine] version` is
//! honoured, the engine says which binary and version made a plan, and a plan's JSON is
//! streamed into a file.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use ferry_engine::{Engine, EngineError, EngineKind, Progress, RunOptions, StateBackend};
use std::path::{Path, PathBuf};

const TF: &str = "/usr/local/bin/terraform";

fn engine_or_skip() -> Option<PathBuf> {
    if Path::new(TF).is_file() {
        Some(PathBuf::from(TF))
    } else {
        eprintln!("SKIPPED: no Terraform 1.11 at {TF}; the pinned 1.0.3 tests still run");
        None
    }
}

#[test]
fn engine_version_is_checked_and_reported() {
    let Some(tf) = engine_or_skip() else { return };
    let tf = tf.to_string_lossy().into_owned();
    let e = Engine::locate_matching(Some(&tf), Some(">= 1.11, < 2")).unwrap();
    let info = e.info();
    assert_eq!(info.kind, EngineKind::Terraform);
    assert_eq!(info.path, PathBuf::from(TF));
    assert!(info.version.starts_with("1.11."), "{}", info.version);
    assert_eq!(
        serde_json::to_value(&info).unwrap()["kind"],
        serde_json::json!("terraform")
    );
    let exact = Engine::locate_matching(Some(&tf), Some(&info.version)).unwrap();
    assert_eq!(exact.version, info.version);
    match Engine::locate_matching(Some(&tf), Some("1.0.3")) {
        Err(EngineError::WrongVersion {
            found, required, ..
        }) => {
            assert_eq!(found, info.version);
            assert_eq!(required, "1.0.3");
        }
        other => panic!("{other:?}"),
    }
    assert!(matches!(
        Engine::locate_matching(Some(&tf), Some("newest")),
        Err(EngineError::BadVersionRequirement { .. })
    ));
}

#[test]
fn show_json_streams_the_plan_into_a_file() {
    let Some(tf) = engine_or_skip() else { return };
    let engine = Engine::at(tf).unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let work = tmp.path().join("work");
    std::fs::create_dir(&work).unwrap();
    std::fs::write(
        work.join("main.tf"),
        "resource \"terraform_data\" \"a\" {\n  input = \"hello\"\n}\n",
    )
    .unwrap();
    let opts = RunOptions {
        progress: Progress::Quiet,
        ..RunOptions::new("t")
    };
    let state = StateBackend::Local {
        path: tmp.path().join("terraform.tfstate"),
    };
    engine.init(&work, &state, &opts).unwrap();
    let plan = tmp.path().join("p.tfplan");
    engine.plan(&work, &[], &plan, &opts).unwrap();
    let dest = tmp.path().join("out/plan.json");
    std::fs::create_dir(tmp.path().join("out")).unwrap();
    engine.show_json_to(&work, &plan, &dest, &opts).unwrap();
    let doc: serde_json::Value = serde_json::from_slice(&std::fs::read(&dest).unwrap()).unwrap();
    assert_eq!(doc["resource_changes"][0]["address"], "terraform_data.a");
    assert_eq!(doc["resource_changes"][0]["change"]["actions"][0], "create");
    let leftovers: Vec<_> = std::fs::read_dir(tmp.path().join("out")).unwrap().collect();
    assert_eq!(leftovers.len(), 1, "only the finished file remains");
    // A plan file that does not exist: an error, and nothing written at dest.
    let dest2 = tmp.path().join("out/missing.json");
    assert!(engine
        .show_json_to(&work, &tmp.path().join("nope.tfplan"), &dest2, &opts)
        .is_err());
    assert!(!dest2.exists());
    assert_eq!(
        std::fs::read_dir(tmp.path().join("out")).unwrap().count(),
        1
    );
}
