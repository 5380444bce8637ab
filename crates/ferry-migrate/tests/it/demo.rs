//! The demo's migration story (tests/demo/README.md) through dev, staging and prod databases,
//! with the library calls ferry-app makes at each gate.

use crate::pg::{database, history};
use ferry_migrate::check::{Class, Severity, Verdict};
use ferry_migrate::config::MigrationConfig;
use ferry_migrate::{
    apply, rehearse, rollback_readiness, status, ApplyOptions, CompatRelease, DatabaseUrl,
    MigrationSet, RehearseOptions, Selection, When,
};
use std::path::PathBuf;

fn release(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/demo")
        .join(name)
}

fn config() -> MigrationConfig {
    let table: toml::Table =
        toml::from_str("name = \"app\"\ndir = \"db/migrations\"\ncompat = \"db/compat\"").unwrap();
    MigrationConfig::from_tables(&[table]).unwrap()
}

fn set(name: &str) -> MigrationSet {
    MigrationSet::load(&release(name), &config().sets[0]).unwrap()
}

fn compat(label: &str, name: &str) -> CompatRelease {
    let dir = release(name).join(config().sets[0].compat.as_deref().unwrap());
    CompatRelease {
        label: format!("{label} {name}"),
        dir,
    }
}

/// One promotion step: plan, apply the before-infra part, (infra apply + verify), the rest.
fn promote(url: &DatabaseUrl, set: &MigrationSet, release: &str) -> Vec<String> {
    let plan = status(url, set).unwrap().plan();
    let mut opts = ApplyOptions::new("demo@example.com");
    opts.release = Some(release);
    opts.approved = Some(&plan);
    opts.selection = Selection::BeforeInfra(When::Auto);
    let mut applied: Vec<String> = apply(url, set, &opts)
        .unwrap()
        .applied
        .into_iter()
        .map(|a| a.name)
        .collect();
    opts.selection = Selection::All;
    applied.extend(
        apply(url, set, &opts)
            .unwrap()
            .applied
            .into_iter()
            .map(|a| a.name),
    );
    applied
}

#[test]
fn the_demo_story_expand_promoted_contract_blocked_then_acknowledged_rollback_guarded() {
    let envs: Vec<(DatabaseUrl, String)> = ["dev", "staging", "prod"]
        .iter()
        .map(|e| database(&format!("demo_{e}")))
        .collect();

    // r2: expand migrations pass the review and go through the chain.
    let r2 = set("r2");
    assert_eq!(r2.check_report().verdict, Verdict::Pass);
    for (url, _) in &envs {
        assert_eq!(
            promote(url, &r2, "r2"),
            ["V0001__accounts.sql", "V0002__display_name.sql"]
        );
    }

    // r3-drop: dropping a column the running release reads is blocked by the review…
    let r3_drop = set("r3-drop");
    let review = r3_drop.check_report_for(&["V0003__drop_legacy_flags.sql"]);
    assert_eq!(review.verdict, Verdict::Block);
    assert_eq!(review.findings[0].rule, "drop-column");
    // …and, acknowledged or not, by rehearsal against the deployed release's queries.
    let staging = &envs[1].0;
    let rehearsal = rehearse(
        staging,
        &r3_drop,
        &[compat("deployed release", "r2")],
        &RehearseOptions::default(),
    )
    .unwrap();
    assert_eq!(rehearsal.verdict, Verdict::Block);
    let f = &rehearsal.findings[0];
    assert_eq!(f.migration.as_deref(), Some("V0003__drop_legacy_flags.sql"));
    assert_eq!(f.release.as_deref(), Some("deployed release r2"));
    assert_eq!(f.query.as_ref().map(|q| q.line), Some(2));
    assert_eq!(
        f.message,
        "column \"legacy_flags\" does not exist (SQLSTATE 42703)"
    );

    // r3: the application stops using the column; no migration to run.
    let r3 = set("r3");
    for (url, _) in &envs {
        assert!(promote(url, &r3, "r3").is_empty());
    }

    // r4: the acknowledged drop warns, needs its own approval, and runs after verification.
    let r4 = set("r4");
    let review = r4.check_report_for(&["V0003__drop_legacy_flags.sql"]);
    assert_eq!(review.verdict, Verdict::Warn);
    assert!(review.needs_approval);
    assert_eq!(review.findings[0].severity, Severity::Warn);
    let plan = status(staging, &r4).unwrap().plan();
    assert_eq!(
        plan.before_count(When::Auto),
        0,
        "a contract migration waits for verification"
    );
    assert_eq!(plan.pending[0].class, Class::Contract);
    let rehearsal = rehearse(
        staging,
        &r4,
        &[
            compat("deployed release", "r3"),
            compat("rollback target", "r3"),
        ],
        &RehearseOptions::default(),
    )
    .unwrap();
    assert_eq!(rehearsal.verdict, Verdict::Pass, "{:?}", rehearsal.findings);
    for (url, _) in &envs {
        assert_eq!(promote(url, &r4, "r4"), ["V0003__drop_legacy_flags.sql"]);
    }
    let prod = &envs[2];
    assert_eq!(history(&prod.1).len(), 3);

    // Rolling prod back past the applied contract migration is blocked, with the reasons.
    let back_to_r2 = rollback_readiness(
        &prod.0,
        &r2,
        Some(&compat("rollback target", "r2")),
        &RehearseOptions::default(),
    )
    .unwrap();
    assert_eq!(back_to_r2.verdict, Verdict::Block);
    assert_eq!(
        back_to_r2.reasons(),
        [
            "the database has applied contract migration V0003__drop_legacy_flags.sql (set 'app'), which the release predates",
            "its query app.sql:2 fails against the current schema: column \"legacy_flags\" does not exist (SQLSTATE 42703)",
            "its query app.sql:3 fails against the current schema: column \"legacy_flags\" of relation \"accounts\" does not exist (SQLSTATE 42703)",
        ]
    );
    let back_to_r3 = rollback_readiness(
        &prod.0,
        &r3,
        Some(&compat("rollback target", "r3")),
        &RehearseOptions::default(),
    )
    .unwrap();
    assert_eq!(back_to_r3.verdict, Verdict::Block);
    assert_eq!(back_to_r3.findings, []);
    assert_eq!(back_to_r3.predates.len(), 1);
}
