//! Conformance cases for the `ferry migrate` rows: runs and approvals read back as written,
//! newest run first, approvals only for their exact plan, and both covered by the chain.

use super::{event, ok, rid, tampered, Fixture};
use crate::records::*;

fn run(env: &str, digest: &str) -> MigrationRunRecord {
    MigrationRunRecord {
        env: env.into(),
        set: "app".into(),
        database: "app".into(),
        release: rid('a'),
        plan_digest: digest.into(),
        by: "dev@x".into(),
        at: "2026-01-01T00:00:00Z".into(),
        applied: vec![AppliedMigrationRecord {
            name: "V1__a.sql".into(),
            checksum: "sha256:11".into(),
            class: "expand".into(),
        }],
        failed: None,
        error: None,
    }
}

pub(super) fn migration_rows_are_recorded_and_chained(f: &Fixture) -> Result<(), String> {
    let l = &*f.ledger;
    ok(
        l.record_migration_run(
            &run("dev", "sha256:d1"),
            &event("migration.applied", Some("dev")),
        ),
        "run 1",
    )?;
    ok(
        l.record_migration_run(
            &run("staging", "sha256:d2"),
            &event("migration.applied", Some("staging")),
        ),
        "run 2",
    )?;
    let all = ok(l.migration_runs(None), "runs")?;
    ensure!(
        all.len() == 2 && all[0].env == "staging" && all[1] == run("dev", "sha256:d1"),
        "runs read back newest first: {all:?}"
    );
    ensure!(
        ok(l.migration_runs(Some("dev")), "dev runs")?.len() == 1,
        "runs filter by environment"
    );
    let approval = MigrationApprovalRecord {
        env: "prod".into(),
        set: "app".into(),
        digest: "sha256:d3".into(),
        release: rid('a'),
        by: "lead@x".into(),
        at: "2026-01-01T00:00:00Z".into(),
        acknowledged_contract: true,
        source: "cli".into(),
        via: "FERRY_USER".into(),
    };
    ok(
        l.record_migration_approval(&approval, &event("migration.approval", Some("prod"))),
        "approval",
    )?;
    ensure!(
        ok(
            l.migration_approvals("prod", "app", "sha256:d3"),
            "approvals"
        )? == vec![approval],
        "the approval reads back"
    );
    ensure!(
        ok(
            l.migration_approvals("prod", "app", "sha256:other"),
            "other"
        )?
        .is_empty(),
        "an approval counts for its digest only"
    );
    ensure!(ok(l.verify(), "verify")?.ok(), "intact before");
    let report = tampered(
        f,
        "UPDATE migration_approvals SET record = replace(record, 'lead@x', 'eve@x')",
    )?;
    ensure!(
        report
            .first_problem()
            .is_some_and(|p| p.contains("migration_approvals row") && p.contains("edited")),
        "an edited migration approval is found: {report:?}"
    );
    Ok(())
}
