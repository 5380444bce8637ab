//! The prompt library: each built-in filled from the fixture plan pair (snapshots), project
//! overrides and additions, load errors with file and line, redaction of planted secrets, and
//! the size bound cutting the least important findings with a note.

use ferry_advisor::fill::{InputText, DEFAULT_MAX_PROMPT_BYTES};
use ferry_advisor::template::{
    ENVIRONMENT_AUDIT, MIGRATION_SAFETY, PLAN_REVIEW, ROLLBACK_READINESS,
};
use ferry_advisor::{
    fill, AdvisorError, AuditInput, Input, Library, MigrationFinding, MigrationInput, PlanInput,
    Redactor, RollbackInput, Source,
};
use ferry_core::{Finding, FindingKind, Review, Severity, Summary};
use std::path::PathBuf;

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../ferry-plan/tests/it/fixtures")
        .join(name)
}

/// The prod plan reviewed against the staging plan, as `ferry review --baseline` does.
fn pair_review() -> Review {
    ferry_plan::review_files(
        &fixture("baseline_prod.json"),
        Some(&fixture("baseline_staging.json")),
        &ferry_plan::ReviewConfig::default(),
    )
    .unwrap()
    .review
}

fn plan_input(review: &Review) -> Input<'_> {
    Input::Plan(PlanInput {
        review,
        env: Some("prod".into()),
        baseline_env: Some("staging".into()),
        has_baseline: true,
        release: Some("sha256:1111111111111111".into()),
        plan: Some("sha256:2222222222222222".into()),
    })
}

fn filled(name: &str, input: &Input<'_>) -> String {
    let lib = Library::built_in();
    fill(
        lib.get(name).unwrap(),
        input,
        &Redactor::new(),
        DEFAULT_MAX_PROMPT_BYTES,
    )
    .unwrap()
    .text
}

#[test]
fn plan_review_lists_not_in_baseline_first() {
    let review = pair_review();
    let text = filled(PLAN_REVIEW, &plan_input(&review));
    let nib = text
        .find("## Changes that were not in the baseline")
        .unwrap();
    let other = text.find("## Other findings").unwrap();
    assert!(nib < other);
    assert!(text[nib..other].contains("not-in-baseline"), "{text}");
    insta::assert_snapshot!("plan_review", text);
}

#[test]
fn environment_audit_filled() {
    let input = Input::Audit(AuditInput {
        from_env: "staging".into(),
        to_env: "prod".into(),
        root_module: "infra".into(),
        findings: vec![
            "- kind input `db_engine` : postgres → mysql — a different engine".into(),
            "- structural input `enable_cdn` : (unset) → true — set in one environment only".into(),
        ],
        inputs: vec![
            InputText {
                env: "staging".into(),
                path: "infra/environments/staging.tfvars".into(),
                lang: "hcl",
                text: "db_engine = \"postgres\"\ndb_password = \"(sensitive)\"\n".into(),
            },
            InputText {
                env: "prod".into(),
                path: "infra/environments/prod.tfvars".into(),
                lang: "hcl",
                text: "db_engine = \"mysql\"\nenable_cdn = true\n".into(),
            },
        ],
    });
    insta::assert_snapshot!("environment_audit", filled(ENVIRONMENT_AUDIT, &input));
}

#[test]
fn migration_safety_filled_worst_first() {
    let f = |class: &str, severity, line, message: &str| MigrationFinding {
        file: "migrations/0002.sql".into(),
        line,
        class: class.into(),
        severity,
        rule: format!("{class}-rule"),
        statement: format!("statement at line {line}"),
        message: message.into(),
        fix: (class == "lock").then(|| "use CREATE INDEX CONCURRENTLY".to_string()),
        acknowledged: None,
    };
    let input = Input::Migration(MigrationInput {
        env: Some("prod".into()),
        verdict: "block".into(),
        findings: vec![
            f("expand", Severity::Info, 1, "adds a nullable column"),
            f(
                "lock",
                Severity::Warn,
                3,
                "builds an index while blocking writes",
            ),
            f(
                "destructive",
                Severity::Block,
                5,
                "drops column email with its data",
            ),
        ],
    });
    let text = filled(MIGRATION_SAFETY, &input);
    assert!(text.find("destructive").unwrap() < text.find("[info] expand").unwrap());
    insta::assert_snapshot!("migration_safety", text);
}

#[test]
fn rollback_readiness_filled_from_the_rehearsal_review() {
    // A rehearsed rollback plan that would delete and replace stateful resources.
    let review = ferry_plan::review_files(
        &fixture("all_actions.json"),
        None,
        &ferry_plan::ReviewConfig::default(),
    )
    .unwrap()
    .review;
    let input = Input::Rollback(RollbackInput {
        env: "prod".into(),
        current_release: "sha256:3333333333333333".into(),
        target_release: "sha256:4444444444444444".into(),
        ready: Some(false),
        rehearsed: Some("staging at 2026-12-02T10:00:00Z".into()),
        review: Some(&review),
        policy_denies: vec!["no deletes of buckets on a rollback".into()],
        migrations: Some(vec![
            "set 'app': contract migration 0003_drop_email.sql was applied after release sha256:4444444444444444; its compat query `SELECT email FROM users` fails: column \"email\" does not exist".into(),
        ]),
    });
    let text = filled(ROLLBACK_READINESS, &input);
    let at = |s: &str| text.find(s).unwrap();
    assert!(
        at("## Rollback readiness") < at("Policy denies")
            && at("## Migration readiness") < at("NOT READY: release sha256:4444")
            && at("NOT READY: release sha256:4444") < at("## What the rehearsed"),
        "{text}"
    );
    insta::assert_snapshot!("rollback_readiness", text);
}

#[test]
fn rollback_readiness_without_a_rehearsal_or_migrations_says_so() {
    let input = Input::Rollback(RollbackInput {
        env: "staging".into(),
        current_release: "sha256:5555".into(),
        target_release: "sha256:6666".into(),
        ready: None,
        rehearsed: None,
        review: None,
        policy_denies: vec![],
        migrations: None,
    });
    let text = filled(ROLLBACK_READINESS, &input);
    for want in [
        "## Rollback readiness\n\nThe rollback of staging to sha256:6666 has not been rehearsed: ferry has no plan of it",
        "## Migration readiness\n\nNo SQL migrations were applied in staging through ferry",
        "## What the rehearsed rollback plan would change\n\n- (no rehearsed rollback plan)\n",
    ] {
        assert!(text.contains(want), "{want}\n---\n{text}");
    }
}

#[test]
fn every_built_in_is_listed_with_its_version() {
    let lib = Library::built_in();
    let names: Vec<(String, u32, Source)> = lib
        .list()
        .map(|t| (t.name.clone(), t.version, t.source.clone()))
        .collect();
    assert_eq!(
        names,
        vec![
            ("environment-audit".into(), 1, Source::BuiltIn),
            ("migration-safety".into(), 1, Source::BuiltIn),
            ("plan-review".into(), 1, Source::BuiltIn),
            ("rollback-readiness".into(), 2, Source::BuiltIn),
        ]
    );
}

fn finding(kind: FindingKind, severity: Severity, address: &str, message: &str) -> Finding {
    Finding {
        kind,
        severity,
        address: address.into(),
        attribute: None,
        message: message.into(),
        explained_by: vec![],
    }
}

#[test]
fn planted_secrets_never_reach_the_prompt() {
    let key = "sk-live-PLANTED0123456789abcdef";
    let review = Review::new(
        Summary::default(),
        vec![finding(
            FindingKind::Replace,
            Severity::Warn,
            "null_resource.app",
            &format!("connection postgres://app:PLANTEDpw@db.internal/prod; token {key}; pass PLANTED-VALUE-42"),
        )],
    );
    let lib = Library::built_in();
    let redactor = Redactor::new().secret(key).secret("PLANTED-VALUE-42");
    let text = fill(
        lib.get(PLAN_REVIEW).unwrap(),
        &plan_input(&review),
        &redactor,
        65536,
    )
    .unwrap()
    .text;
    for planted in ["PLANTED", "db.internal", "postgres://"] {
        assert!(!text.contains(planted), "{planted} leaked:\n{text}");
    }
    assert!(
        text.contains("[redacted database URL]") && text.contains("token [redacted]"),
        "{text}"
    );
}

#[test]
fn an_oversize_prompt_keeps_the_most_important_findings_and_says_what_was_cut() {
    let mut findings = vec![];
    for i in 0..200 {
        findings.push(finding(
            FindingKind::Drift,
            Severity::Warn,
            &format!("null_resource.d{i}"),
            &"drifted ".repeat(10),
        ));
    }
    findings.push(finding(
        FindingKind::StatefulDelete,
        Severity::Block,
        "null_resource.db",
        "deletes the database",
    ));
    findings.push(finding(
        FindingKind::NotInBaseline,
        Severity::Warn,
        "null_resource.new",
        "not in staging",
    ));
    let review = Review::new(Summary::default(), findings);
    let lib = Library::built_in();
    let f = fill(
        lib.get(PLAN_REVIEW).unwrap(),
        &plan_input(&review),
        &Redactor::new(),
        8192,
    )
    .unwrap();
    assert!(f.text.len() <= 8192);
    assert!(f.omitted > 0 && f.included + f.omitted == 202);
    assert!(f.text.contains("null_resource.db") && f.text.contains("null_resource.new"));
    assert!(
        f.text.contains(&format!(
            "{} less important item(s) were cut: {} drift",
            f.omitted, f.omitted
        )),
        "{}",
        f.text
    );
    assert_eq!(f.sha256.len(), "sha256:".len() + 64);
    let err = fill(
        lib.get(PLAN_REVIEW).unwrap(),
        &plan_input(&review),
        &Redactor::new(),
        1024,
    )
    .unwrap_err();
    assert!(
        matches!(err, AdvisorError::PromptTooLarge { limit: 1024, .. }),
        "{err:?}"
    );
}

#[test]
fn project_templates_override_and_add_and_bad_ones_name_file_and_line() {
    let dir = tempfile::tempdir().unwrap();
    let prompts = dir.path().join("prompts");
    std::fs::create_dir(&prompts).unwrap();
    std::fs::write(
        prompts.join("plan-review.md"),
        "+++\nname = \"plan-review\"\nversion = 7\ninput = \"plan\"\ndescription = \"ours\"\n+++\nOur review of {{env}}: {{findings}}\n",
    )
    .unwrap();
    std::fs::write(
        prompts.join("cost-check.md"),
        "+++\nname = \"cost-check\"\nversion = 1\ninput = \"plan\"\n+++\nCost of {{summary}}?\n",
    )
    .unwrap();
    let lib = Library::with_dir(&prompts, "prompts").unwrap();
    let t = lib.get("plan-review").unwrap();
    assert_eq!(t.version, 7);
    assert_eq!(
        t.source,
        Source::Project {
            path: "prompts/plan-review.md".into(),
            overrides: Some(1)
        }
    );
    assert_eq!(
        lib.get("cost-check").unwrap().source,
        Source::Project {
            path: "prompts/cost-check.md".into(),
            overrides: None
        }
    );
    let review = Review::new(Summary::default(), vec![]);
    assert_eq!(
        fill(t, &plan_input(&review), &Redactor::new(), 4096)
            .unwrap()
            .text,
        "Our review of prod: - none\n"
    );
    // A plan template cannot be filled from an audit.
    let audit = Input::Audit(AuditInput {
        from_env: "a".into(),
        to_env: "b".into(),
        root_module: "m".into(),
        findings: vec![],
        inputs: vec![],
    });
    assert!(matches!(
        fill(t, &audit, &Redactor::new(), 4096),
        Err(AdvisorError::WrongInput { .. })
    ));

    for (file, text, want) in [
        (
            "prompts/x.md",
            "no front matter",
            "prompts/x.md:1: a prompt template starts with TOML front matter",
        ),
        (
            "prompts/x.md",
            "+++\nname = \"x\"\nversion = 1\ninput = \"plan\"\n+++\nline one\nHello {{envv}}\n",
            "prompts/x.md:7: unknown placeholder {{envv}}",
        ),
        (
            "prompts/x.md",
            "+++\nname = \"y\"\nversion = 1\ninput = \"plan\"\n+++\n",
            "call the file y.md",
        ),
        (
            "prompts/x.md",
            "+++\nname = \"x\"\nversion = 1\ninput = \"sql\"\n+++\n",
            "prompts/x.md:4: unknown variant `sql`",
        ),
        (
            "prompts/plan-review.md",
            "+++\nname = \"plan-review\"\nversion = 2\ninput = \"audit\"\n+++\n",
            "whose input is 'plan'",
        ),
    ] {
        let err = Library::with_project(&[(file.to_string(), text.to_string())]).unwrap_err();
        assert!(err.to_string().contains(want), "want {want:?}, got {err}");
    }
}
