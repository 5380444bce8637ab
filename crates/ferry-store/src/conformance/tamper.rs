//! Tamper evidence: a row edited, inserted or deleted, or an event edited or deleted, behind the
//! ledger's back (with SQL, as a forger would) is found by `verify`, naming where.

use super::{deployment, event, ok, outcome, seed, Fixture};
use crate::records::*;

pub(super) fn tampered(f: &Fixture, sql: &str) -> Result<crate::ChainReport, String> {
    (f.tamper)(sql).map_err(|e| format!("tamper `{sql}`: {e}"))?;
    ok(f.ledger.verify(), "verify")
}

pub(super) fn edited_rows_are_found(f: &Fixture) -> Result<(), String> {
    let l = &*f.ledger;
    let (r, p) = seed(l)?;
    let id = ok(
        l.begin_deployment(
            &deployment(p, r, "prod"),
            &event("deployment.started", Some("prod")),
        ),
        "begin",
    )?;
    ok(
        l.finish_deployment(
            id,
            &outcome(DeploymentStatus::Succeeded),
            &event("deployment.succeeded", Some("prod")),
        ),
        "finish",
    )?;
    ensure!(ok(l.verify(), "verify")?.ok(), "intact before");
    let report = tampered(f, "UPDATE plans SET verdict = 'pass'")?;
    ensure!(
        !report.ok()
            && report
                .first_problem()
                .is_some_and(|p| p.contains("plans row") && p.contains("edited")),
        "an edited verdict is found: {report:?}"
    );
    let report = tampered(
        f,
        &format!("UPDATE deployments SET verified = TRUE WHERE id = {id}"),
    )?;
    ensure!(
        report
            .problems
            .iter()
            .any(|p| p.message.contains("deployments row")),
        "a forged verification is found: {report:?}"
    );
    Ok(())
}

pub(super) fn inserted_and_deleted_rows_are_found(f: &Fixture) -> Result<(), String> {
    let l = &*f.ledger;
    let (_, p) = seed(l)?;
    let report = tampered(f, &format!(
        "INSERT INTO approvals (plan_id, env, by_whom, at, decision, acknowledged_warnings, source, via) VALUES ('{p}', 'prod', 'lead', 't', 'approve', FALSE, 'cli', '')"
    ))?;
    ensure!(
        report
            .first_problem()
            .is_some_and(|m| m.contains("approvals row") && m.contains("inserted")),
        "an inserted approval is found: {report:?}"
    );
    let report = tampered(f, "DELETE FROM approvals")?;
    ensure!(
        report.ok(),
        "removing the forged row restores the ledger: {report:?}"
    );
    let report = tampered(f, "DELETE FROM plans")?;
    ensure!(
        report
            .first_problem()
            .is_some_and(|m| m.contains("deleted")),
        "a deleted plan is found: {report:?}"
    );
    Ok(())
}

pub(super) fn edited_and_deleted_events_are_found(f: &Fixture) -> Result<(), String> {
    let l = &*f.ledger;
    seed(l)?;
    ok(l.record_event(&event("note", None)), "note")?;
    let report = tampered(
        f,
        "UPDATE events SET message = 'nothing to see' WHERE seq = 2",
    )?;
    ensure!(
        report.problems.first().is_some_and(|p| p.event == Some(2)),
        "the edited event is named: {report:?}"
    );
    let report = tampered(f, "DELETE FROM events WHERE seq = 2")?;
    ensure!(
        report.problems.first().is_some_and(|p| p.event == Some(3)),
        "the gap is found at the next event: {report:?}"
    );
    Ok(())
}
