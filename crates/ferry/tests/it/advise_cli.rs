//! The prompt library through the binary, without a ledger: `ferry prompt list|show` with a
//! project's `prompts/` overriding and adding templates, and `ferry review PLAN --prompt`.

use assert_cmd::Command;
use std::path::{Path, PathBuf};

fn fixture(name: &str) -> String {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../ferry-plan/tests/it/fixtures")
        .join(name)
        .display()
        .to_string()
}

fn ferry(dir: &Path, args: &[&str]) -> (i32, String, String) {
    let out = Command::cargo_bin("ferry")
        .unwrap()
        .current_dir(dir)
        .args(args)
        .env("NO_COLOR", "1")
        .env_remove("FERRY_TOKEN")
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    )
}

fn project_with_prompts() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("ferry.toml"),
        "[[environment]]\nname = \"dev\"\n",
    )
    .unwrap();
    std::fs::create_dir(dir.path().join("prompts")).unwrap();
    std::fs::write(
        dir.path().join("prompts/plan-review.md"),
        "+++\nname = \"plan-review\"\nversion = 4\ninput = \"plan\"\ndescription = \"house rules\"\n+++\nVerdict {{verdict}}. Not in baseline:\n{{not_in_baseline}}\nOps on call: postgres://ops:PLANTED-pw@db.corp/main\n",
    )
    .unwrap();
    dir
}

#[test]
fn prompt_list_shows_built_ins_and_project_overrides() {
    let dir = project_with_prompts();
    let (code, out, err) = ferry(dir.path(), &["--format", "json", "prompt", "list"]);
    assert_eq!(code, 0, "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    let names: Vec<(String, u64, String)> = v
        .as_array()
        .unwrap()
        .iter()
        .map(|t| {
            (
                t["name"].as_str().unwrap().to_string(),
                t["version"].as_u64().unwrap(),
                t["source"]["kind"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(
        names,
        [
            ("environment-audit", 1, "builtin"),
            ("migration-safety", 1, "builtin"),
            ("plan-review", 4, "project"),
            ("rollback-readiness", 1, "builtin"),
        ]
        .map(|(n, v, s)| (n.to_string(), v, s.to_string()))
    );
    assert_eq!(
        v[2]["source"],
        serde_json::json!({"kind": "project", "path": "prompts/plan-review.md", "overrides": 1})
    );
    let (code, out, _) = ferry(dir.path(), &["prompt", "show", "plan-review"]);
    assert_eq!(code, 0);
    assert!(
        out.starts_with("+++\nname = \"plan-review\"\nversion = 4"),
        "{out}"
    );
}

#[test]
fn review_prompt_fills_the_project_template_redacted_and_exits_0() {
    let dir = project_with_prompts();
    let (code, out, err) = ferry(
        dir.path(),
        &["review", &fixture("all_actions.json"), "--prompt"],
    );
    // all_actions.json blocks as a review; as a prompt it is advice and exits 0.
    assert_eq!(code, 0, "{err}");
    assert_eq!(
        out,
        "Verdict block. Not in baseline:\n- (no baseline plan was given, so ferry could not compare)\nOps on call: [redacted database URL]\n"
    );
}

#[test]
fn a_broken_project_template_names_file_and_line() {
    let dir = project_with_prompts();
    std::fs::write(
        dir.path().join("prompts/extra.md"),
        "+++\nname = \"extra\"\nversion = 1\ninput = \"plan\"\n+++\n{{verdikt}}\n",
    )
    .unwrap();
    let (code, _, err) = ferry(dir.path(), &["prompt", "list"]);
    assert_eq!(code, 1);
    assert!(
        err.contains("prompts/extra.md:6: unknown placeholder {{verdikt}}"),
        "{err}"
    );
}
