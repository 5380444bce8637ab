//! Human and markdown renderings of the database-side reports (fixtures written by hand).

use ferry_migrate::apply::{AppliedMigration, FailedMigration};
use ferry_migrate::check::{Class, Verdict};
use ferry_migrate::rehearse::{QueryRef, RehearsalFinding};
use ferry_migrate::render;
use ferry_migrate::status::{MigrationState, MigrationStatus, UnknownMigration};
use ferry_migrate::{ApplyReport, RehearsalReport, RollbackReadiness, SchemaSource, StatusReport};

fn status_report() -> StatusReport {
    let m = |name: &str, class, state| MigrationStatus {
        name: name.into(),
        checksum: format!("sha256:{name}"),
        class,
        transactional: true,
        state,
    };
    StatusReport {
        set: "app".into(),
        database: "app".into(),
        set_digest: "sha256:set".into(),
        migrations: vec![
            m(
                "V0001__accounts.sql",
                Class::Expand,
                MigrationState::Applied {
                    applied_at: "2026-01-02T03:04:05Z".into(),
                    applied_by: "alice@example.com".into(),
                    release: Some("sha256:r1".into()),
                },
            ),
            m(
                "V0002__nickname.sql",
                Class::Expand,
                MigrationState::Pending {
                    last_failure: Some("lock timeout (SQLSTATE 55P03)".into()),
                },
            ),
            m(
                "V0003__drop_email.sql",
                Class::Contract,
                MigrationState::Pending { last_failure: None },
            ),
        ],
        unknown: vec![UnknownMigration {
            name: "V0009__future.sql".into(),
            checksum: "sha256:f".into(),
            class: Some(Class::Contract),
            applied_at: "2026-01-03T00:00:00Z".into(),
        }],
    }
}

fn rehearsal() -> RehearsalReport {
    RehearsalReport {
        set: "app".into(),
        database: "app".into(),
        verdict: Verdict::Block,
        source: SchemaSource::PgDump,
        plan_digest: "sha256:plan".into(),
        scratch_database: "ferry_rehearse_1_0".into(),
        migrations: vec!["V0002__nickname.sql".into(), "V0003__drop_email.sql".into()],
        queries: 2,
        findings: vec![RehearsalFinding {
            migration: Some("V0003__drop_email.sql".into()),
            release: Some("deployed release sha256:r1".into()),
            query: Some(QueryRef {
                file: "accounts.sql".into(),
                line: 2,
                statement: "SELECT id, email FROM accounts WHERE id = $1".into(),
            }),
            message: "column \"email\" does not exist (SQLSTATE 42703)".into(),
        }],
    }
}

#[test]
fn reports_render_for_people() {
    let status = status_report();
    let apply = ApplyReport {
        set: "app".into(),
        database: "app".into(),
        plan_digest: "sha256:plan".into(),
        applied: vec![AppliedMigration {
            name: "V0002__nickname.sql".into(),
            checksum: "sha256:x".into(),
            class: Class::Expand,
            transactional: true,
            duration_ms: 12,
        }],
        failed: Some(FailedMigration {
            name: "V0003__index.sql".into(),
            checksum: "sha256:y".into(),
            line: 4,
            message: "deadlock detected (SQLSTATE 40P01)".into(),
            duration_ms: 30,
            partially_applied: true,
        }),
        not_run: vec!["V0004__more.sql".into()],
    };
    let rollback = RollbackReadiness {
        set: "app".into(),
        database: "app".into(),
        verdict: Verdict::Block,
        predates: status.unknown.clone(),
        findings: vec![],
    };
    let text = [
        render::status_human(&status),
        render::plan_human(&status.plan()),
        render::apply_human(&apply),
        render::rehearsal_human(&rehearsal()),
        render::readiness_markdown(Some(&rehearsal()), Some(&rollback)),
    ]
    .join("\n");
    insta::assert_snapshot!("reports", text);
}
