//! Human renderings of the database-side reports (the review's are in [`crate::check::render`]).
//! Pure functions; the CLI prints them, and `--format json` serialises the reports themselves.
//! Nothing here can print a URL: the reports hold database names, never addresses.

use crate::apply::ApplyReport;
use crate::rehearse::RehearsalReport;
use crate::rollback::RollbackReadiness;
use crate::status::{MigrationPlan, MigrationState, StatusReport};
use std::fmt::Write;

pub fn status_human(report: &StatusReport) -> String {
    let mut out = format!(
        "migration set '{}' on database '{}'\n",
        report.set, report.database
    );
    for m in &report.migrations {
        let state = match &m.state {
            MigrationState::Applied {
                applied_at,
                applied_by,
                ..
            } => format!("applied {applied_at} by {applied_by}"),
            MigrationState::Pending { last_failure: None } => "pending".to_string(),
            MigrationState::Pending {
                last_failure: Some(e),
            } => format!("pending (last attempt failed: {e})"),
            MigrationState::Changed { applied_checksum } => format!(
                "CHANGED since it was applied ({applied_checksum} → {}): refused",
                m.checksum
            ),
        };
        let _ = writeln!(out, "  {:<40} {:<11} {state}", m.name, m.class.as_str());
    }
    for u in &report.unknown {
        let _ = writeln!(
            out,
            "  {:<40} {:<11} applied {} but not in this release",
            u.name,
            u.class.map_or("?", |c| c.as_str()),
            u.applied_at
        );
    }
    let pending = report.pending().count();
    let _ = writeln!(
        out,
        "{} applied, {pending} pending",
        report.applied().count()
    );
    out
}

pub fn plan_human(plan: &MigrationPlan) -> String {
    let mut out = format!(
        "{} pending migration{} in set '{}' (digest {})\n",
        plan.pending.len(),
        if plan.pending.len() == 1 { "" } else { "s" },
        plan.set,
        plan.digest
    );
    for p in &plan.pending {
        let _ = writeln!(
            out,
            "  {:<40} {:<11} {}",
            p.name,
            p.class.as_str(),
            if p.transactional {
                "in a transaction"
            } else {
                "statement by statement (no transaction)"
            }
        );
    }
    out
}

pub fn apply_human(report: &ApplyReport) -> String {
    let mut out = String::new();
    for a in &report.applied {
        let _ = writeln!(out, "applied {} ({} ms)", a.name, a.duration_ms);
    }
    if let Some(f) = &report.failed {
        let _ = writeln!(out, "FAILED {}:{}: {}", f.name, f.line, f.message);
        if f.partially_applied {
            let _ = writeln!(
                out,
                "  it ran outside a transaction: statements before line {} stay applied",
                f.line
            );
        }
    }
    for n in &report.not_run {
        let _ = writeln!(out, "not run {n}");
    }
    let _ = writeln!(
        out,
        "{} applied to database '{}' (set '{}')",
        report.applied.len(),
        report.database,
        report.set
    );
    out
}

pub fn rehearsal_human(report: &RehearsalReport) -> String {
    let mut out =
        format!(
        "rehearsed {} migration{} of set '{}' against a copy of database '{}' ({} compat quer{})\n",
        report.migrations.len(),
        if report.migrations.len() == 1 { "" } else { "s" },
        report.set,
        report.database,
        report.queries,
        if report.queries == 1 { "y" } else { "ies" }
    );
    for f in &report.findings {
        let after = f
            .migration
            .as_deref()
            .map_or("before any migration".to_string(), |m| format!("after {m}"));
        match (&f.release, &f.query) {
            (Some(release), Some(q)) => {
                let _ = writeln!(
                    out,
                    "  block: {after}, {release} query {}:{} fails: {}\n    {}",
                    q.file, q.line, f.message, q.statement
                );
            }
            _ => {
                let _ = writeln!(out, "  block: {after}: {}", f.message);
            }
        }
    }
    let _ = writeln!(out, "verdict: {}", report.verdict.as_str());
    out
}

/// For the prod plan review and the approval page: migration readiness beside rollback
/// readiness.
pub fn readiness_markdown(
    rehearsal: Option<&RehearsalReport>,
    rollback: Option<&RollbackReadiness>,
) -> String {
    let mut out = String::from("| check | verdict | details |\n|---|---|---|\n");
    if let Some(r) = rehearsal {
        let details = if r.findings.is_empty() {
            format!(
                "{} migrations, {} compat queries pass",
                r.migrations.len(),
                r.queries
            )
        } else {
            r.findings
                .iter()
                .map(|f| {
                    let q = f
                        .query
                        .as_ref()
                        .map_or(String::new(), |q| format!(" `{}:{}`", q.file, q.line));
                    format!(
                        "{}{q}: {}",
                        f.migration.as_deref().unwrap_or("current schema"),
                        f.message
                    )
                })
                .collect::<Vec<_>>()
                .join("<br>")
        };
        let _ = writeln!(
            out,
            "| migration rehearsal | **{}** | {} |",
            r.verdict.as_str(),
            details.replace('|', "\\|")
        );
    }
    if let Some(r) = rollback {
        let reasons = r.reasons();
        let details = if reasons.is_empty() {
            "the rollback target works against the current schema".to_string()
        } else {
            reasons.join("<br>")
        };
        let _ = writeln!(
            out,
            "| rollback readiness | **{}** | {} |",
            r.verdict.as_str(),
            details.replace('|', "\\|")
        );
    }
    out
}
