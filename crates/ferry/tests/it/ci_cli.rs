//! `ferry ci generate|check`, `ferry schema` and `ferry completions` through the binary: what a
//! team wires into its repository, its editor and its shell. No engine needed.

use crate::common::{repo_root, Project};
use std::path::PathBuf;
use std::process::Command as Std;

fn code(p: &Project, args: &[&str]) -> (i32, String, String) {
    p.run(args)
}

#[test]
fn a_generated_pipeline_is_checked_stale_after_a_hand_edit_and_fresh_after_regeneration() {
    let p = Project::example();
    let (c, out, _) = code(&p, &["ci", "generate", "--provider", "github"]);
    assert_eq!(c, 0);
    assert_eq!(out, ".github/workflows/ferry.yml\n");
    let file = p.root().join(".github/workflows/ferry.yml");
    let text = std::fs::read_to_string(&file).unwrap();
    assert!(text.starts_with("# "), "a header comes first");
    assert!(text.contains("ferry ci generate --provider github"));
    assert_eq!(code(&p, &["ci", "check"]).0, 0);

    // One line edited by hand: exit 3, the diff names the line, and the fix.
    let edited = text.replacen("name: ferry", "name: ferry (edited)", 1);
    assert_ne!(edited, text);
    std::fs::write(&file, &edited).unwrap();
    let (c, out, err) = code(&p, &["ci", "check"]);
    assert_eq!(c, 3, "{out}\n{err}");
    assert!(out.contains("-name: ferry (edited)"), "{out}");
    assert!(out.contains("+name: ferry"), "{out}");
    assert!(
        err.contains("run `ferry ci generate --provider github`"),
        "{err}"
    );
    let (c, out, _) = code(
        &p,
        &[
            "--format",
            "json",
            "ci",
            "generate",
            "--provider",
            "github",
            "--check",
        ],
    );
    assert_eq!(c, 3);
    let doc: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(doc["up_to_date"], false);
    assert_eq!(doc["pipelines"][0]["path"], ".github/workflows/ferry.yml");
    assert_eq!(doc["pipelines"][0]["provider"], "github");

    // Regenerated: fresh again, byte for byte what was first written.
    assert_eq!(code(&p, &["ci", "generate", "--provider", "github"]).0, 0);
    assert_eq!(std::fs::read_to_string(&file).unwrap(), text);
    let (c, out, _) = code(&p, &["--format", "json", "ci", "check"]);
    assert_eq!(c, 0);
    let doc: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(doc["up_to_date"], true);
    assert_eq!(doc["pipelines"][0]["diff"], "");
}

#[test]
fn gitlab_generation_leaves_hand_written_files_alone_and_checks_only_its_own() {
    let p = Project::example();
    let mine = p.root().join(".github/workflows/lint.yml");
    std::fs::create_dir_all(mine.parent().unwrap()).unwrap();
    std::fs::write(&mine, "name: lint\non: push\n").unwrap();
    assert_eq!(code(&p, &["ci", "generate", "--provider", "gitlab"]).0, 0);
    assert_eq!(
        std::fs::read_to_string(&mine).unwrap(),
        "name: lint\non: push\n"
    );
    let (c, out, _) = code(&p, &["--format", "json", "ci", "check"]);
    assert_eq!(c, 0, "{out}");
    let doc: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(doc["pipelines"].as_array().unwrap().len(), 1);
    assert_eq!(doc["pipelines"][0]["path"], ".gitlab-ci.yml");
}

#[test]
fn bad_ci_requests_are_clear_errors() {
    let p = Project::example();
    let (c, _, err) = code(&p, &["ci", "generate", "--provider", "jenkins"]);
    assert_eq!(c, 1);
    assert!(
        err.contains(
            "unknown CI provider 'jenkins'; ferry generates pipelines for: github, gitlab"
        ),
        "{err}"
    );
    let (c, _, err) = code(
        &p,
        &[
            "ci",
            "generate",
            "--provider",
            "gitlab",
            "--out",
            "../elsewhere.yml",
        ],
    );
    assert_eq!(c, 1);
    assert!(err.contains("is outside the repository"), "{err}");
    assert!(!p.dir.path().join("elsewhere.yml").exists());
    // Nothing generated yet: a check with nothing to check is not a pass.
    let (c, _, err) = code(&p, &["ci", "check"]);
    assert_eq!(c, 1);
    assert!(
        err.contains("run `ferry ci generate --provider github|gitlab` first"),
        "{err}"
    );
    // A chain with a cycle never reaches the generator.
    p.edit(
        "ferry.toml",
        "name = \"dev\"",
        "name = \"dev\"\nfrom = \"prod\"",
    );
    let (c, _, err) = code(&p, &["ci", "generate", "--provider", "github"]);
    assert_eq!(c, 1);
    assert!(
        err.contains("cycle") || err.contains("first environment"),
        "{err}"
    );
}

#[test]
fn the_schema_describes_ferry_toml_and_rejects_unknown_keys() {
    let out = assert_cmd::Command::cargo_bin("ferry")
        .unwrap()
        .arg("schema")
        .output()
        .unwrap();
    assert!(out.status.success());
    let schema: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(schema["title"], "ferry.toml");
    assert_eq!(schema["additionalProperties"], false);
    let env = &schema["$defs"]["EnvironmentConfig"];
    assert_eq!(env["additionalProperties"], false);
    assert_eq!(env["required"], serde_json::json!(["name"]));
    for key in ["approvals", "from", "var_files", "soak", "freeze", "verify"] {
        assert!(env["properties"][key].is_object(), "no {key}");
    }
    assert_eq!(schema["$defs"]["Duration"]["type"], "string");
    assert!(schema["properties"]["environment"]["items"]["$ref"]
        .as_str()
        .unwrap()
        .ends_with("EnvironmentConfig"));

    // The example validates against it, and a typo does not (check-jsonschema, when installed).
    let Some(python) = check_jsonschema() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let schema_file = dir.path().join("ferry.schema.json");
    std::fs::write(&schema_file, &out.stdout).unwrap();
    let example = repo_root().join("examples/demo/ferry.toml");
    let run = |file: &std::path::Path| {
        Std::new("python3")
            .args(["-m", "check_jsonschema", "--schemafile"])
            .arg(&schema_file)
            .arg(file)
            .env("PYTHONPATH", &python)
            .output()
            .unwrap()
    };
    let ok = run(&example);
    assert!(
        ok.status.success(),
        "{}{}",
        String::from_utf8_lossy(&ok.stdout),
        String::from_utf8_lossy(&ok.stderr)
    );
    let typo = dir.path().join("ferry.toml");
    let text =
        std::fs::read_to_string(&example)
            .unwrap()
            .replacen("approvals = ", "aprovals = ", 1);
    std::fs::write(&typo, text).unwrap();
    let bad = run(&typo);
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stdout).contains("aprovals"));
}

/// check-jsonschema from scripts/install-ci-linters; skipped (said plainly) unless required.
fn check_jsonschema() -> Option<PathBuf> {
    let dir = std::env::var_os("FERRY_CI_LINTERS_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo_root().join(".tools/ci-linters"));
    let python = dir.join("python");
    if python.join("check_jsonschema").is_dir() {
        return Some(python);
    }
    let msg = format!(
        "check-jsonschema is not installed in {}: run scripts/install-ci-linters",
        dir.display()
    );
    if std::env::var("FERRY_REQUIRE_CI_LINTERS").is_ok_and(|v| v == "1") {
        panic!("FERRY_REQUIRE_CI_LINTERS=1: {msg}");
    }
    eprintln!("SKIPPED: {msg}");
    None
}

#[test]
fn completions_cover_every_command_for_each_shell() {
    for shell in ["bash", "zsh", "fish", "powershell"] {
        let out = assert_cmd::Command::cargo_bin("ferry")
            .unwrap()
            .args(["completions", shell])
            .output()
            .unwrap();
        assert!(out.status.success(), "{shell}");
        let text = String::from_utf8(out.stdout).unwrap();
        for cmd in ["promote", "drift", "ci", "schema", "rollback"] {
            assert!(text.contains(cmd), "{shell} completion lacks {cmd}");
        }
    }
    let out = assert_cmd::Command::cargo_bin("ferry")
        .unwrap()
        .args(["completions", "tcsh"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
}
