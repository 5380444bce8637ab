//! Shared set-up for the integration tests: the pinned Terraform from `.tools` and throw-away
//! copies of the example project, so tests exercise exactly what users and the demo run.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, dead_code)]

use std::path::{Path, PathBuf};
use std::time::Duration;

use ferry_engine::{Engine, Progress, RunOptions, StateBackend};

pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn tools_dir() -> PathBuf {
    std::env::var_os("FERRY_TOOLS_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo_root().join(".tools"))
}

pub fn pinned_binary() -> PathBuf {
    tools_dir().join("terraform/bin/terraform")
}

fn cli_config() -> PathBuf {
    tools_dir().join("terraform/terraformrc")
}

/// The pinned engine. Missing tools are a failure, never a skip: a green run must mean the
/// real engine ran.
pub fn pinned_engine() -> Engine {
    let bin = pinned_binary();
    if !bin.is_file() || !cli_config().is_file() {
        panic!(
            "the pinned Terraform is not installed at {} — run `scripts/install-terraform` first",
            bin.display()
        );
    }
    let engine = Engine::at(bin).expect("pinned terraform runs");
    assert_eq!(engine.version, "1.0.3", "expected the pinned Terraform");
    engine
}

/// A sandbox: a temp dir holding work dirs, per-environment state and the simulated resources.
pub struct Sandbox {
    pub dir: tempfile::TempDir,
    pub engine: Engine,
}

impl Sandbox {
    pub fn new() -> Sandbox {
        Sandbox {
            dir: tempfile::tempdir().unwrap(),
            engine: pinned_engine(),
        }
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    pub fn sim_root(&self) -> PathBuf {
        self.path().join("sim")
    }

    pub fn state(&self, env: &str) -> StateBackend {
        StateBackend::Local {
            path: self.path().join(format!("state/{env}/terraform.tfstate")),
        }
    }

    pub fn opts(&self, label: &str) -> RunOptions {
        RunOptions {
            timeout: Duration::from_secs(180),
            env: vec![
                (
                    "TF_CLI_CONFIG_FILE".into(),
                    cli_config().to_string_lossy().into_owned(),
                ),
                (
                    "TF_VAR_sim_root".into(),
                    self.sim_root().to_string_lossy().into_owned(),
                ),
            ],
            progress: Progress::Quiet,
            label: label.into(),
            on_line: None,
            cancel: None,
            redact: None,
        }
    }

    /// A fresh work dir with the example's root module, as ferry unpacks a release.
    pub fn workdir(&self, name: &str) -> PathBuf {
        let dst = self.path().join("work").join(name);
        copy_dir(&repo_root().join("examples/demo/infra"), &dst);
        dst
    }
}

pub fn copy_dir(src: &Path, dst: &Path) {
    std::fs::create_dir_all(dst).unwrap();
    for entry in std::fs::read_dir(src).unwrap() {
        let entry = entry.unwrap();
        let name = entry.file_name();
        // A developer may have run terraform by hand in the example; never copy its leftovers.
        if name == ".terraform" {
            continue;
        }
        let target = dst.join(&name);
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}

/// `(address, actions)` of every resource change in a plan's JSON.
pub fn changes(plan_json: &[u8]) -> Vec<(String, Vec<String>)> {
    let v: serde_json::Value = serde_json::from_slice(plan_json).expect("plan JSON parses");
    v["resource_changes"]
        .as_array()
        .expect("plan JSON has resource_changes")
        .iter()
        .map(|rc| {
            let actions = rc["change"]["actions"]
                .as_array()
                .unwrap()
                .iter()
                .map(|a| a.as_str().unwrap().to_string())
                .collect();
            (rc["address"].as_str().unwrap().to_string(), actions)
        })
        .collect()
}
