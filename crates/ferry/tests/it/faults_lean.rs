//! The engine driven lean across commands (issue 16, item 6): a `plan` then a separate `apply`
//! of the same release initialise the work dir once and ask the engine's version once (kept
//! under the data dir), a work dir whose record of its init is damaged is initialised again
//! (fail closed), and providers come from the shared cache, installed once.

use crate::common::{run, Project};
use std::os::unix::fs::MetadataExt as _;
use std::path::{Path, PathBuf};

const NULL: &str = "registry.terraform.io/hashicorp/null/2.1.2/linux_amd64";

/// The pinned CLI configuration without its own `plugin_cache_dir` (ferry's cache is used).
fn rc_without_cache(p: &Project) -> PathBuf {
    let (_, rc) = crate::common::tools();
    let text: String = std::fs::read_to_string(rc)
        .unwrap()
        .lines()
        .filter(|l| !l.starts_with("plugin_cache_dir"))
        .map(|l| format!("{l}\n"))
        .collect();
    let path = p.dir.path().join("terraformrc");
    std::fs::write(&path, text).unwrap();
    path
}

/// Runs `ferry -vv ARGS`; how many `init` and `version` calls it made.
fn calls(p: &Project, rc: &Path, args: &[&str]) -> (usize, usize) {
    let mut full = vec!["-vv"];
    full.extend_from_slice(args);
    let mut cmd = p.ferry(&full);
    cmd.env("TF_CLI_CONFIG_FILE", rc);
    let (code, out, err) = run(cmd);
    assert_eq!(code, 0, "ferry {args:?}:\n{out}\n{err}");
    (
        err.matches("running engine command=terraform init").count(),
        err.matches("running engine command=terraform version")
            .count(),
    )
}

/// The one provider package in ferry's cache: (inode, modification time) of its binary.
fn cached_provider(p: &Project) -> (u64, i64) {
    let dir = p.data().join("plugin-cache").join(NULL);
    let files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .flatten()
        .collect();
    assert_eq!(files.len(), 1, "one provider binary in {}", dir.display());
    let m = files[0].metadata().unwrap();
    let versions = std::fs::read_dir(dir.parent().unwrap().parent().unwrap())
        .unwrap()
        .count();
    assert_eq!(versions, 1, "one provider version in the cache");
    (m.ino(), m.mtime())
}

/// The example with `[engine] version` pinned, so the version is asked before planning.
fn pinned() -> Project {
    let p = Project::example();
    p.edit(
        "ferry.toml",
        "binary = \"terraform\"",
        "binary = \"terraform\"\nversion = \"1.0.3\"",
    );
    p.commit("pin the engine");
    p
}

#[test]
fn a_separate_plan_and_apply_initialise_once_and_ask_the_version_once() {
    let p = pinned();
    let rc = rc_without_cache(&p);
    p.release();
    assert_eq!(calls(&p, &rc, &["plan", "--env", "dev"]), (1, 1));
    let provider = cached_provider(&p);
    assert_eq!(
        calls(&p, &rc, &["apply", "--env", "dev"]),
        (0, 0),
        "the apply reuses the plan's init and the recorded engine version"
    );
    let state = std::fs::read_to_string(p.data().join("state/dev/terraform.tfstate")).unwrap();
    let state: serde_json::Value = serde_json::from_str(&state).unwrap();
    assert_eq!(state["resources"].as_array().unwrap().len(), 2);
    let versions = p.data().join("engine-versions.json");
    assert_eq!(
        std::fs::metadata(&versions).unwrap().mode() & 0o777,
        0o600,
        "{}",
        versions.display()
    );

    // Another release is initialised afresh (its modules and lock file may differ).
    p.edit(
        "infra/environments/dev.tfvars",
        "web_replicas      = 1",
        "web_replicas      = 2",
    );
    p.commit("v2");
    p.release();
    assert_eq!(calls(&p, &rc, &["plan", "--env", "dev"]), (1, 0));

    // A damaged record of the init is never trusted: the apply initialises again.
    let marker = p
        .data()
        .join("work/dev/infra/.terraform")
        .join(ferry_engine::INIT_MARKER);
    assert!(marker.is_file(), "{}", marker.display());
    std::fs::write(&marker, "{\"key\": \"something else\"}").unwrap();
    assert_eq!(calls(&p, &rc, &["apply", "--env", "dev"]), (1, 0));

    // No provider was installed again: the same cached file, linked from the work dir.
    assert_eq!(cached_provider(&p), provider);
    let link = std::fs::read_link(
        p.data()
            .join("work/dev/infra/.terraform/providers")
            .join(NULL),
    )
    .unwrap();
    assert!(
        link.starts_with(p.data().join("plugin-cache")),
        "{}",
        link.display()
    );
}

#[test]
fn an_engine_binary_replaced_between_plan_and_apply_is_asked_and_initialised_again() {
    let p = pinned();
    let rc = rc_without_cache(&p);
    let (bin, _) = crate::common::tools();
    let engine = p.dir.path().join("engine/terraform");
    std::fs::create_dir_all(engine.parent().unwrap()).unwrap();
    std::fs::copy(bin.join("terraform"), &engine).unwrap();
    let with_engine = |args: &[&str]| {
        let mut full = vec!["-vv"];
        full.extend_from_slice(args);
        let mut cmd = p.ferry(&full);
        cmd.env("TF_CLI_CONFIG_FILE", &rc).env(
            "PATH",
            format!("{}:/usr/bin:/bin", engine.parent().unwrap().display()),
        );
        let (code, out, err) = run(cmd);
        assert_eq!(code, 0, "ferry {args:?}:\n{out}\n{err}");
        (
            err.matches("running engine command=terraform init").count(),
            err.matches("running engine command=terraform version")
                .count(),
        )
    };
    p.release();
    assert_eq!(with_engine(&["plan", "--env", "dev"]), (1, 1));
    // The same file rewritten in place (an upgrade by copy keeps path and maybe size).
    let bytes = std::fs::read(&engine).unwrap();
    std::thread::sleep(std::time::Duration::from_millis(20));
    std::fs::write(&engine, bytes).unwrap();
    assert_eq!(with_engine(&["apply", "--env", "dev"]), (1, 1));
}

#[test]
fn without_a_version_pin_the_engine_is_not_asked_and_the_plan_names_its_version() {
    let p = Project::example();
    let rc = rc_without_cache(&p);
    p.release();
    // Nothing to check before planning: init, plan, show; the version comes from the plan.
    assert_eq!(calls(&p, &rc, &["plan", "--env", "dev"]), (1, 0));
    let mut cmd = p.ferry(&["--format", "json", "status", "--env", "dev"]);
    cmd.env("TF_CLI_CONFIG_FILE", &rc);
    let (code, _, err) = run(cmd);
    assert_eq!(code, 0, "{err}");
    let mut cmd = p.ferry(&["review", "--env", "dev"]);
    cmd.env("TF_CLI_CONFIG_FILE", &rc);
    let (code, out, err) = run(cmd);
    assert!(code == 0 || code == 3, "{out}{err}");
    let (bin, _) = crate::common::tools();
    let expected = format!(
        "made with Terraform 1.0.3 ({})",
        bin.join("terraform").canonicalize().unwrap().display()
    );
    assert!(
        out.contains(&expected) || err.contains(&expected),
        "{expected}\n{out}{err}"
    );
    assert_eq!(calls(&p, &rc, &["apply", "--env", "dev"]), (0, 0));
}
