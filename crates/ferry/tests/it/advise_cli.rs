//! The prompt library through the binary, without a ledger: `ferry prompt list|show` with a
//! project's `prompts/` overriding and adding templates, `ferry review PLAN --prompt`, and
//! `ferry migrate check PATH... --prompt` (worst first, redacted, size-bounded with a note).

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
            ("rollback-readiness", 2, "builtin"),
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

/// Migrations covering every class, an acknowledged contract, a database URL in a string literal
/// and a password that is also in PGPASSWORD.
fn migrations(dir: &Path) {
    let m = dir.join("migrations");
    std::fs::create_dir_all(&m).unwrap();
    std::fs::write(
        m.join("V0001__accounts.sql"),
        "CREATE TABLE accounts (id bigint PRIMARY KEY, email text);\nALTER TABLE accounts ADD COLUMN plan text;\n",
    )
    .unwrap();
    std::fs::write(
        m.join("V0002__tighten.sql"),
        "CREATE INDEX accounts_email ON accounts (email);\n\
         -- ferry:contract release 2024.06 stopped reading legacy_ref\n\
         ALTER TABLE accounts DROP COLUMN legacy_ref;\n\
         DROP TABLE old_accounts;\n\
         INSERT INTO settings VALUES ('dsn', 'postgres://admin:PLANTED-pw@db.internal/prod');\n\
         ALTER ROLE app PASSWORD 'PLANTED-PGPASS-42';\n",
    )
    .unwrap();
}

fn migrate_check(dir: &Path, extra: &[&str]) -> (i32, String, String) {
    let mut args = vec!["migrate", "check", "migrations"];
    args.extend_from_slice(extra);
    let out = Command::cargo_bin("ferry")
        .unwrap()
        .current_dir(dir)
        .args(&args)
        .env("NO_COLOR", "1")
        .env("PGPASSWORD", "PLANTED-PGPASS-42")
        .env_remove("FERRY_TOKEN")
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    )
}

#[test]
fn migrate_check_prompt_fills_migration_safety_worst_first_redacted_and_exits_0() {
    let dir = tempfile::tempdir().unwrap();
    migrations(dir.path());
    // The check itself blocks (a dropped table) ...
    let (code, _, _) = migrate_check(dir.path(), &[]);
    assert_eq!(code, 3);
    // ... its prompt is advice and exits 0.
    let (code, prompt, err) = migrate_check(dir.path(), &["--prompt"]);
    assert_eq!(code, 0, "{err}");
    for planted in ["PLANTED", "postgres://", "db.internal"] {
        assert!(!prompt.contains(planted), "{planted} in {prompt}");
    }
    assert!(prompt.contains("[redacted database URL]"), "{prompt}");
    assert!(prompt.contains("ferry's check verdict: block."), "{prompt}");
    // Blocking findings come before warnings, warnings before info.
    let first = |s: &str| prompt.find(s).unwrap_or(usize::MAX);
    assert!(first("- [block]") < first("- [warn]"), "{prompt}");
    assert!(first("- [warn]") < first("- [info]"), "{prompt}");
    assert!(
        prompt.contains(
            "(acknowledged as a contract step: release 2024.06 stopped reading legacy_ref)"
        ),
        "{prompt}"
    );
    insta::assert_snapshot!("migrate_check_prompt", prompt);

    // JSON: the same text, the template and version, and its hash.
    let (code, json, _) = migrate_check(dir.path(), &["--prompt", "--format", "json"]);
    assert_eq!(code, 0);
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(v["template"], "migration-safety");
    assert_eq!(v["version"], 1);
    assert_eq!(v["source"], serde_json::json!({"kind": "builtin"}));
    assert_eq!(v["text"], prompt.as_str());
    assert_eq!(v["omitted"], 0);
}

#[test]
fn migrate_check_prompt_keeps_the_worst_findings_within_the_size_limit_and_notes_the_cut() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("ferry.toml"),
        "[[environment]]\nname = \"dev\"\n\n[advisor]\nmax_prompt_bytes = 1024\n",
    )
    .unwrap();
    std::fs::create_dir(dir.path().join("prompts")).unwrap();
    std::fs::write(
        dir.path().join("prompts/migration-safety.md"),
        "+++\nname = \"migration-safety\"\nversion = 7\ninput = \"migration\"\n+++\nVerdict {{verdict}}.\n{{findings}}\n{{omitted}}\n",
    )
    .unwrap();
    let m = dir.path().join("migrations");
    std::fs::create_dir(&m).unwrap();
    let mut sql: String = (0..30)
        .map(|i| format!("CREATE INDEX accounts_i{i} ON accounts (c{i});\n"))
        .collect();
    sql.push_str("DROP TABLE old_accounts;\n");
    std::fs::write(m.join("V0001__many.sql"), sql).unwrap();
    let (code, json, err) = migrate_check(dir.path(), &["--prompt", "--format", "json"]);
    assert_eq!(code, 0, "{err}");
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    let text = v["text"].as_str().unwrap();
    assert_eq!(v["version"], 7);
    assert!(text.len() <= 1024, "{}", text.len());
    assert!(
        text.starts_with("Verdict block.\n- [block] destructive migrations/V0001__many.sql:31 `DROP TABLE old_accounts"),
        "{text}"
    );
    let omitted = v["omitted"].as_u64().unwrap();
    assert!(omitted > 0 && v["included"].as_u64().unwrap() + omitted == 31);
    assert!(
        text.trim_end().ends_with(&format!(
            "{omitted} less important item(s) were cut: {omitted} lock finding(s). Everything above them was kept; `ferry migrate check` lists them all."
        )),
        "{text}"
    );
}

#[test]
fn a_template_of_another_input_names_the_command_that_fills_it() {
    let dir = tempfile::tempdir().unwrap();
    migrations(dir.path());
    let (code, _, err) = migrate_check(dir.path(), &["--prompt", "--template", "plan-review"]);
    assert_eq!(code, 1);
    assert!(
        err.contains("template 'plan-review' is filled from plan input, not migration; print it with `ferry review --env ENV --prompt --template plan-review`"),
        "{err}"
    );
}
