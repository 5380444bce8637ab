//! The conformance suite every [`Ledger`] must pass: the behaviour promotion safety depends on
//! (a plan applied once, a finished deployment never rewritten, a rejection that sticks, leases,
//! atomic multi-row writes) and the tamper evidence of the chain (a row edited, inserted or
//! deleted behind the ledger's back is found).
//!
//! A backend's test supplies a [`Harness`] and asserts that [`run_all`] reports no failure. Cases
//! return errors instead of panicking so the suite can live in the library, next to the trait.

use crate::records::*;
use crate::{Ledger, StoreError};
use ferry_core::{PlanId, ReleaseId, Summary, Verdict};
use std::sync::Arc;

/// Runs SQL against the database behind the ledger's back.
pub type Tamper = Box<dyn Fn(&str) -> Result<(), String>>;
/// Opens another handle on the same database.
pub type Reopen = Box<dyn Fn() -> Arc<dyn Ledger> + Send + Sync>;

/// One fresh, empty ledger for one case.
pub struct Fixture {
    pub ledger: Arc<dyn Ledger>,
    /// Another handle on the same database, as a second process would open it.
    pub reopen: Reopen,
    /// Runs SQL against the database behind the ledger's back (the forger's tool).
    pub tamper: Tamper,
}

pub trait Harness {
    fn fresh(&self) -> Fixture;
}

type Case = fn(&Fixture) -> Result<(), String>;

/// Every case by name.
pub const CASES: &[(&str, Case)] = &[
    ("releases_are_recorded_once", releases_are_recorded_once),
    (
        "a_new_plan_supersedes_and_carries_atomically",
        a_new_plan_supersedes_and_carries_atomically,
    ),
    (
        "approvals_only_while_pending_and_rejections_stick",
        approvals_only_while_pending_and_rejections_stick,
    ),
    (
        "a_plan_is_claimed_exactly_once",
        a_plan_is_claimed_exactly_once,
    ),
    (
        "a_deployment_finishes_once_from_running",
        a_deployment_finishes_once_from_running,
    ),
    (
        "only_succeeded_deployments_are_verified",
        only_succeeded_deployments_are_verified,
    ),
    (
        "leases_name_their_holder_expire_and_renew",
        leases_name_their_holder_expire_and_renew,
    ),
    (
        "events_are_chained_newest_first",
        events_are_chained_newest_first,
    ),
    ("edited_rows_are_found", tamper::edited_rows_are_found),
    (
        "inserted_and_deleted_rows_are_found",
        tamper::inserted_and_deleted_rows_are_found,
    ),
    (
        "edited_and_deleted_events_are_found",
        tamper::edited_and_deleted_events_are_found,
    ),
    ("events_page_newest_first", pages::events_page_newest_first),
    (
        "plan_transitions_follow_the_lifecycle",
        plan_transitions_follow_the_lifecycle,
    ),
    (
        "advice_is_chained_and_changes_no_gate",
        advice::advice_is_chained_and_changes_no_gate,
    ),
    (
        "migration_rows_are_recorded_and_chained",
        migrations::migration_rows_are_recorded_and_chained,
    ),
];

/// Runs every case on a fresh fixture; the names of failed cases with their errors.
pub fn run_all(h: &dyn Harness) -> Vec<(String, String)> {
    CASES
        .iter()
        .filter_map(|(name, case)| case(&h.fresh()).err().map(|e| (name.to_string(), e)))
        .collect()
}

macro_rules! ensure {
    ($cond:expr, $($msg:tt)+) => {
        if !$cond {
            return Err(format!($($msg)+));
        }
    };
}

// After `ensure!`, so the cases in them can use the macro.
mod advice;
mod pages;
mod tamper;
use tamper::tampered;

fn ok<T>(r: crate::Result<T>, what: &str) -> Result<T, String> {
    r.map_err(|e| format!("{what}: {e}"))
}

/// A release id made of one repeated hex digit (`c` must be one).
#[allow(clippy::expect_used)]
pub fn rid(c: char) -> ReleaseId {
    ReleaseId::from_hex(&c.to_string().repeat(64)).expect("a hex digit")
}

/// A plan id made of one repeated hex digit (`c` must be one).
#[allow(clippy::expect_used)]
pub fn pid(c: char) -> PlanId {
    PlanId::from_hex(&c.to_string().repeat(64)).expect("a hex digit")
}

pub fn event(kind: &str, env: Option<&str>) -> NewEvent {
    NewEvent {
        at: "2026-01-01T00:00:00Z".into(),
        env: env.map(str::to_string),
        kind: kind.into(),
        actor: "tester".into(),
        release: None,
        plan: None,
        message: format!("{kind} happened"),
    }
}

pub fn release(id: ReleaseId) -> ReleaseRecord {
    ReleaseRecord {
        id,
        commit: "c".repeat(40),
        dirty: false,
        subject: "s".into(),
        author: "a@x".into(),
        created_by: "me".into(),
        created_at: "2026-01-01T00:00:00Z".into(),
        abandoned: None,
    }
}

pub fn plan(id: PlanId, env: &str, release: ReleaseId) -> PlanRecord {
    PlanRecord {
        id,
        env: env.into(),
        release,
        created_by: "me".into(),
        created_at: "2026-01-01T00:00:00Z".into(),
        status: PlanStatus::Pending,
        purpose: PlanPurpose::Deploy,
        summary: Summary {
            create: 2,
            ..Summary::default()
        },
        verdict: Verdict::Block,
        review: serde_json::json!({"verdict": "block"}),
        policy: serde_json::json!({"results": []}),
        policy_denied: false,
        state_lineage: Some("lin".into()),
        state_serial: Some(3),
        baseline: None,
        change_digest: Some("d".into()),
        plan_json_sha256: Some("e".repeat(64)),
        engine: Some("terraform 1.0.3".into()),
    }
}

pub fn approval(plan: &PlanId, by: &str, decision: Decision) -> ApprovalRecord {
    ApprovalRecord {
        plan: plan.clone(),
        env: "prod".into(),
        by: by.into(),
        at: "2026-01-01T00:00:00Z".into(),
        decision,
        reason: None,
        acknowledged_warnings: false,
        source: "cli".into(),
        via: "FERRY_USER".into(),
        signature: None,
    }
}

pub fn deployment(plan: PlanId, release: ReleaseId, env: &str) -> NewDeployment {
    NewDeployment {
        env: env.into(),
        release,
        plan,
        by: "me".into(),
        at: "2026-01-01T00:00:00Z".into(),
        kind: DeploymentKind::Deploy,
        replaces: None,
    }
}

fn outcome(status: DeploymentStatus) -> DeploymentOutcome {
    DeploymentOutcome {
        status,
        at: "2026-01-01T00:01:00Z".into(),
        error: None,
        log: "applied".into(),
    }
}

/// A release and a pending prod plan of it.
fn seed(l: &dyn Ledger) -> Result<(ReleaseId, PlanId), String> {
    let r = rid('a');
    ok(
        l.record_release(&release(r.clone()), &event("release.created", None)),
        "record_release",
    )?;
    let p = pid('1');
    ok(
        l.record_plan(
            &plan(p.clone(), "prod", r.clone()),
            &[],
            &[event("plan.created", Some("prod"))],
        ),
        "record_plan",
    )?;
    Ok((r, p))
}

fn releases_are_recorded_once(f: &Fixture) -> Result<(), String> {
    let l = &*f.ledger;
    let r = rid('a');
    ensure!(
        ok(
            l.record_release(&release(r.clone()), &event("release.created", None)),
            "first"
        )?,
        "a new release is recorded"
    );
    ensure!(
        !ok(
            l.record_release(&release(r.clone()), &event("release.created", None)),
            "second"
        )?,
        "a known release is not recorded twice"
    );
    ensure!(
        ok(l.events(None), "events")?.len() == 1,
        "the second record wrote no event"
    );
    ensure!(
        ok(l.releases_by_prefix("aaaaaaaa"), "prefix")?.len() == 1,
        "prefix lookup"
    );
    let how = Abandonment {
        by: "me".into(),
        at: "t".into(),
        reason: "bad".into(),
    };
    ok(
        l.abandon_release(&r, &how, &event("release.abandoned", None)),
        "abandon",
    )?;
    ensure!(
        matches!(
            l.abandon_release(&r, &how, &event("release.abandoned", None)),
            Err(StoreError::Conflict(_))
        ),
        "abandoning twice is a conflict"
    );
    ensure!(
        ok(l.release(&r), "release")?
            .and_then(|r| r.abandoned)
            .is_some_and(|a| a.reason == "bad"),
        "abandonment stored"
    );
    Ok(())
}

fn a_new_plan_supersedes_and_carries_atomically(f: &Fixture) -> Result<(), String> {
    let l = &*f.ledger;
    let (r, p1) = seed(l)?;
    ok(
        l.record_approval(
            &approval(&p1, "lead", Decision::Approve),
            &event("approval", Some("prod")),
        ),
        "approve",
    )?;
    let p2 = pid('2');
    let carried = approval(&p2, "lead", Decision::Approve);
    ok(
        l.record_plan(
            &plan(p2.clone(), "prod", r.clone()),
            &[carried],
            &[
                event("plan.created", Some("prod")),
                event("approvals.carried", Some("prod")),
            ],
        ),
        "replan",
    )?;
    ensure!(
        ok(l.plan(&p1), "p1")?.is_some_and(|p| p.status == PlanStatus::Superseded),
        "the old plan is superseded"
    );
    ensure!(
        ok(l.pending_plan("prod"), "pending")?.is_some_and(|p| p.id == p2),
        "the new plan is pending"
    );
    ensure!(
        ok(l.approvals(&p2), "approvals")?.len() == 1,
        "the approval was carried"
    );
    // The same plan id again is refused and changes nothing.
    let before = ok(l.events(None), "events")?.len();
    ensure!(
        l.record_plan(
            &plan(p2.clone(), "prod", r),
            &[],
            &[event("plan.created", Some("prod"))]
        )
        .is_err(),
        "a duplicate plan is refused"
    );
    ensure!(
        ok(l.pending_plan("prod"), "pending")?.is_some_and(|p| p.id == p2),
        "a refused write changed nothing"
    );
    ensure!(
        ok(l.events(None), "events")?.len() == before,
        "a refused write appended no event"
    );
    let stored = ok(l.plan(&p2), "plan")?.ok_or("plan missing")?;
    ensure!(
        stored == plan(p2, "prod", rid('a')),
        "the plan reads back as written: {stored:?}"
    );
    Ok(())
}

fn approvals_only_while_pending_and_rejections_stick(f: &Fixture) -> Result<(), String> {
    let l = &*f.ledger;
    let (r, p) = seed(l)?;
    let mut rej = approval(&p, "lead", Decision::Reject);
    rej.reason = Some("not now".into());
    ok(
        l.reject_plan(&rej, &event("rejection", Some("prod"))),
        "reject",
    )?;
    ensure!(
        ok(l.plan(&p), "plan")?.is_some_and(|p| p.status == PlanStatus::Rejected),
        "rejected"
    );
    ensure!(
        matches!(
            l.record_approval(
                &approval(&p, "other", Decision::Approve),
                &event("approval", Some("prod"))
            ),
            Err(StoreError::Conflict(_))
        ),
        "a rejected plan cannot be approved"
    );
    ensure!(
        matches!(
            l.begin_deployment(
                &deployment(p.clone(), r.clone(), "prod"),
                &event("deployment.started", Some("prod"))
            ),
            Err(StoreError::Conflict(_))
        ),
        "a rejected plan cannot be applied"
    );
    // A reject racing an apply: once claimed, the reject is refused, never lost.
    let p2 = pid('2');
    ok(
        l.record_plan(
            &plan(p2.clone(), "prod", r.clone()),
            &[],
            &[event("plan.created", Some("prod"))],
        ),
        "plan 2",
    )?;
    ok(
        l.begin_deployment(
            &deployment(p2.clone(), r, "prod"),
            &event("deployment.started", Some("prod")),
        ),
        "claim",
    )?;
    ensure!(
        matches!(
            l.reject_plan(
                &approval(&p2, "lead", Decision::Reject),
                &event("rejection", Some("prod"))
            ),
            Err(StoreError::Conflict(_))
        ),
        "a plan being applied cannot be rejected"
    );
    ensure!(
        ok(l.approvals(&p2), "approvals")?.is_empty(),
        "the refused rejection left no row"
    );
    Ok(())
}

fn a_plan_is_claimed_exactly_once(f: &Fixture) -> Result<(), String> {
    let (r, p) = seed(&*f.ledger)?;
    let handles: Vec<_> = (0..8)
        .map(|_| {
            let l = (f.reopen)();
            let (p, r) = (p.clone(), r.clone());
            std::thread::spawn(move || {
                l.begin_deployment(
                    &deployment(p, r, "prod"),
                    &event("deployment.started", Some("prod")),
                )
                .is_ok()
            })
        })
        .collect();
    let wins = handles
        .into_iter()
        .map(|h| h.join())
        .filter(|r| matches!(r, Ok(true)))
        .count();
    ensure!(
        wins == 1,
        "exactly one of 8 concurrent claims wins, got {wins}"
    );
    ensure!(
        ok(f.ledger.deployments(Some("prod")), "deployments")?.len() == 1,
        "one deployment row"
    );
    ensure!(
        ok(f.ledger.verify(), "verify")?.ok(),
        "the chain stays intact under concurrency"
    );
    Ok(())
}

fn a_deployment_finishes_once_from_running(f: &Fixture) -> Result<(), String> {
    let l = &*f.ledger;
    let (r, p) = seed(l)?;
    let id = ok(
        l.begin_deployment(
            &deployment(p.clone(), r, "prod"),
            &event("deployment.started", Some("prod")),
        ),
        "begin",
    )?;
    ensure!(
        ok(l.running_deployments(), "running")?.len() == 1,
        "running"
    );
    ok(
        l.mark_interrupted(id, "t", &event("deployment.interrupted", Some("prod"))),
        "interrupt",
    )?;
    ensure!(
        matches!(
            l.finish_deployment(
                id,
                &outcome(DeploymentStatus::Succeeded),
                &event("deployment.succeeded", Some("prod"))
            ),
            Err(StoreError::Conflict(_))
        ),
        "an interrupted deployment is never finished as a success"
    );
    let d = ok(l.deployment(id), "deployment")?.ok_or("missing")?;
    ensure!(
        d.status == DeploymentStatus::Interrupted,
        "still interrupted"
    );
    ensure!(
        ok(l.plan(&p), "plan")?.is_some_and(|p| p.status == PlanStatus::Failed),
        "its plan failed"
    );
    ensure!(
        l.finish_deployment(id, &outcome(DeploymentStatus::Running), &event("x", None))
            .is_err(),
        "finishing as running is refused"
    );
    Ok(())
}

fn only_succeeded_deployments_are_verified(f: &Fixture) -> Result<(), String> {
    let l = &*f.ledger;
    let (r, p) = seed(l)?;
    let id = ok(
        l.begin_deployment(
            &deployment(p.clone(), r.clone(), "prod"),
            &event("deployment.started", Some("prod")),
        ),
        "begin",
    )?;
    let report = serde_json::json!({"passed": true});
    ensure!(
        l.record_verification(
            id,
            true,
            &report,
            "t",
            &event("verification.passed", Some("prod"))
        )
        .is_err(),
        "a running deployment is not verified"
    );
    ok(
        l.finish_deployment(
            id,
            &outcome(DeploymentStatus::Succeeded),
            &event("deployment.succeeded", Some("prod")),
        ),
        "finish",
    )?;
    ok(
        l.record_verification(
            id,
            true,
            &report,
            "2026-01-01T00:02:00Z",
            &event("verification.passed", Some("prod")),
        ),
        "verify",
    )?;
    let d = ok(l.deployment(id), "deployment")?.ok_or("missing")?;
    ensure!(
        d.known_good() && d.verified_at.as_deref() == Some("2026-01-01T00:02:00Z"),
        "known-good with its time"
    );
    ensure!(
        ok(l.plan(&p), "plan")?.is_some_and(|p| p.status == PlanStatus::Applied),
        "plan applied"
    );
    Ok(())
}

fn lock(env: &str, token: &str, expires: &str) -> LockRecord {
    LockRecord {
        env: env.into(),
        holder: format!("holder-{token}"),
        token: token.into(),
        purpose: "promote".into(),
        since: "2026-01-01T00:00:00Z".into(),
        expires_at: expires.into(),
    }
}

fn leases_name_their_holder_expire_and_renew(f: &Fixture) -> Result<(), String> {
    let l = &*f.ledger;
    let now = "2026-01-01T00:00:30Z";
    ensure!(
        ok(
            l.acquire_lock(&lock("prod", "a", "2026-01-01T00:01:00Z"), now),
            "first"
        )? == LockTaken::Fresh,
        "fresh"
    );
    match l.acquire_lock(&lock("prod", "b", "2026-01-01T00:02:00Z"), now) {
        Err(StoreError::Locked(h)) => ensure!(h.holder == "holder-a", "names the holder"),
        other => return Err(format!("a second holder is refused, got {other:?}")),
    }
    ensure!(
        l.renew_lock("prod", "b", "2026-01-01T00:05:00Z").is_err(),
        "only the owner renews"
    );
    ok(l.renew_lock("prod", "a", "2026-01-01T00:03:00Z"), "renew")?;
    ensure!(
        l.acquire_lock(&lock("prod", "b", "x"), "2026-01-01T00:02:00Z")
            .is_err(),
        "a renewed lease holds"
    );
    match ok(
        l.acquire_lock(
            &lock("prod", "b", "2026-01-01T00:09:00Z"),
            "2026-01-01T00:04:00Z",
        ),
        "takeover",
    )? {
        LockTaken::TookOver(prev) => ensure!(prev.token == "a", "the expired lease is reported"),
        LockTaken::Fresh => return Err("an expired lease is taken over and reported".into()),
    }
    ok(l.release_lock("prod", "a"), "stale release")?;
    ensure!(
        ok(l.lock("prod"), "lock")?.is_some_and(|h| h.token == "b"),
        "a stale token releases nothing"
    );
    ensure!(
        ok(
            l.acquire_lock(&lock("dev", "c", "2026-01-01T00:09:00Z"), now),
            "other env"
        )? == LockTaken::Fresh,
        "locks are per environment"
    );
    let held = ok(
        l.force_unlock("prod", &event("lock.forced", Some("prod"))),
        "force",
    )?;
    ensure!(
        held.is_some_and(|h| h.token == "b"),
        "force_unlock returns the holder"
    );
    ensure!(
        ok(l.events(Some("prod")), "events")?
            .first()
            .is_some_and(|e| e.kind == "lock.forced"),
        "force_unlock is on the record"
    );
    Ok(())
}

fn events_are_chained_newest_first(f: &Fixture) -> Result<(), String> {
    let l = &*f.ledger;
    seed(l)?;
    ok(l.record_event(&event("note", Some("dev"))), "note")?;
    let all = ok(l.events(None), "events")?;
    ensure!(
        all.len() == 3 && all[0].kind == "note",
        "newest first: {all:?}"
    );
    ensure!(
        all.windows(2).all(|w| w[0].seq > w[1].seq),
        "descending seq"
    );
    ensure!(
        ok(l.events(Some("prod")), "prod")?.len() == 1,
        "filtered by environment"
    );
    let report = ok(l.verify(), "verify")?;
    ensure!(
        report.ok() && report.events == 3 && report.head.as_deref() == Some(all[0].hash.as_str()),
        "an untouched ledger verifies: {report:?}"
    );
    Ok(())
}

fn plan_transitions_follow_the_lifecycle(f: &Fixture) -> Result<(), String> {
    let l = &*f.ledger;
    let (_, p) = seed(l)?;
    ensure!(
        l.transition_plan(
            &p,
            PlanStatus::Applied,
            PlanStatus::Pending,
            &event("x", None)
        )
        .is_err(),
        "no going back"
    );
    ok(
        l.transition_plan(
            &p,
            PlanStatus::Pending,
            PlanStatus::Superseded,
            &event("plan.stale", Some("prod")),
        ),
        "stale",
    )?;
    ensure!(
        matches!(
            l.transition_plan(
                &p,
                PlanStatus::Pending,
                PlanStatus::Superseded,
                &event("x", None)
            ),
            Err(StoreError::Conflict(_))
        ),
        "a second move from pending is a conflict"
    );
    ensure!(ok(l.verify(), "verify")?.ok(), "transitions are chained");
    Ok(())
}

#[path = "conformance_migrations.rs"]
mod migrations;
