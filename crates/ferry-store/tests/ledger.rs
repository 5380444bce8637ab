#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! Behaviour of the SQLite ledger that promotion safety depends on.

use ferry_core::{PlanId, ReleaseId, Summary, Verdict};
use ferry_store::*;

fn rid(c: char) -> ReleaseId {
    ReleaseId::from_hex(&c.to_string().repeat(64)).unwrap()
}
fn pid(c: char) -> PlanId {
    PlanId::from_hex(&c.to_string().repeat(64)).unwrap()
}

fn release(id: ReleaseId) -> ReleaseRecord {
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

fn plan(id: PlanId, env: &str, release: ReleaseId) -> PlanRecord {
    PlanRecord {
        id,
        env: env.into(),
        release,
        created_by: "me".into(),
        created_at: "2026-01-01T00:00:00Z".into(),
        status: PlanStatus::Pending,
        summary: Summary {
            create: 2,
            ..Summary::default()
        },
        verdict: Verdict::Pass,
        review: serde_json::json!({"verdict": "pass"}),
        policy: serde_json::json!([]),
        policy_denied: false,
        state_lineage: Some("lin".into()),
        state_serial: Some(3),
        baseline: None,
        change_digest: Some("d".into()),
    }
}

fn deployment(plan: PlanId, release: ReleaseId) -> NewDeployment {
    NewDeployment {
        env: "dev".into(),
        release,
        plan,
        by: "me".into(),
        at: "t".into(),
        kind: "deploy".into(),
    }
}

#[test]
fn reopening_keeps_data_and_schema() {
    let dir = tempfile::tempdir().unwrap();
    {
        let l = SqliteLedger::open(dir.path()).unwrap();
        assert!(l.record_release(&release(rid('a'))).unwrap());
        assert!(
            !l.record_release(&release(rid('a'))).unwrap(),
            "same release twice is one row"
        );
    }
    let l = SqliteLedger::open(dir.path()).unwrap();
    assert_eq!(l.releases().unwrap().len(), 1);
    assert_eq!(l.releases_by_prefix("aaaaaaaa").unwrap().len(), 1);
    assert_eq!(l.releases_by_prefix("bbbbbbbb").unwrap().len(), 0);
}

#[test]
fn a_new_plan_supersedes_the_pending_one() {
    let dir = tempfile::tempdir().unwrap();
    let l = SqliteLedger::open(dir.path()).unwrap();
    l.record_release(&release(rid('a'))).unwrap();
    l.record_plan(&plan(pid('1'), "dev", rid('a'))).unwrap();
    l.record_plan(&plan(pid('2'), "dev", rid('a'))).unwrap();
    assert_eq!(l.pending_plan("dev").unwrap().unwrap().id, pid('2'));
    assert_eq!(
        l.plan(&pid('1')).unwrap().unwrap().status,
        PlanStatus::Superseded
    );
    let stored = l.plan(&pid('2')).unwrap().unwrap();
    assert_eq!(stored, plan(pid('2'), "dev", rid('a')));
}

#[test]
fn a_plan_is_applied_once() {
    let dir = tempfile::tempdir().unwrap();
    let l = SqliteLedger::open(dir.path()).unwrap();
    l.record_release(&release(rid('a'))).unwrap();
    l.record_plan(&plan(pid('1'), "dev", rid('a'))).unwrap();
    let id = l.begin_deployment(&deployment(pid('1'), rid('a'))).unwrap();
    let second = l
        .begin_deployment(&deployment(pid('1'), rid('a')))
        .unwrap_err();
    assert!(second.to_string().contains("being applied"), "{second}");
    assert_eq!(l.interrupted_deployments().unwrap().len(), 1);
    l.finish_deployment(
        id,
        &DeploymentOutcome {
            status: DeploymentStatus::Succeeded,
            at: "t2".into(),
            verified: true,
            error: None,
            log: String::new(),
        },
    )
    .unwrap();
    assert_eq!(
        l.plan(&pid('1')).unwrap().unwrap().status,
        PlanStatus::Applied
    );
    let third = l
        .begin_deployment(&deployment(pid('1'), rid('a')))
        .unwrap_err();
    assert!(third.to_string().contains("applied already"), "{third}");
    let deps = l.deployments(Some("dev")).unwrap();
    assert_eq!(deps.len(), 1);
    assert!(deps[0].known_good());
    assert!(l.interrupted_deployments().unwrap().is_empty());
}

#[test]
fn a_failed_apply_is_never_success() {
    let dir = tempfile::tempdir().unwrap();
    let l = SqliteLedger::open(dir.path()).unwrap();
    l.record_release(&release(rid('a'))).unwrap();
    l.record_plan(&plan(pid('1'), "dev", rid('a'))).unwrap();
    let id = l.begin_deployment(&deployment(pid('1'), rid('a'))).unwrap();
    l.finish_deployment(
        id,
        &DeploymentOutcome {
            status: DeploymentStatus::Failed,
            at: "t2".into(),
            verified: false,
            error: Some("boom".into()),
            log: "x".into(),
        },
    )
    .unwrap();
    let d = &l.deployments(None).unwrap()[0];
    assert_eq!(d.status, DeploymentStatus::Failed);
    assert!(!d.known_good());
    assert_eq!(
        l.plan(&pid('1')).unwrap().unwrap().status,
        PlanStatus::Failed
    );
}

#[test]
fn approvals_and_events_round_trip() {
    let dir = tempfile::tempdir().unwrap();
    let l = SqliteLedger::open(dir.path()).unwrap();
    l.record_release(&release(rid('a'))).unwrap();
    l.record_plan(&plan(pid('1'), "prod", rid('a'))).unwrap();
    let a = ApprovalRecord {
        plan: pid('1'),
        env: "prod".into(),
        by: "alice".into(),
        at: "t".into(),
        decision: "approve".into(),
        reason: None,
        acknowledged_warnings: true,
        source: "cli".into(),
    };
    l.record_approval(&a).unwrap();
    assert_eq!(l.approvals(&pid('1')).unwrap(), vec![a]);
    assert!(l.approvals(&pid('2')).unwrap().is_empty());
    let e = Event {
        at: "t".into(),
        env: Some("prod".into()),
        kind: "approval".into(),
        actor: "alice".into(),
        release: None,
        plan: Some(pid('1')),
        message: "ok".into(),
    };
    l.record_event(&e).unwrap();
    assert_eq!(l.events(Some("prod")).unwrap(), vec![e]);
    assert!(l.events(Some("dev")).unwrap().is_empty());
    assert_eq!(l.events(None).unwrap().len(), 1);
}

#[test]
fn abandoning_is_recorded_once() {
    let dir = tempfile::tempdir().unwrap();
    let l = SqliteLedger::open(dir.path()).unwrap();
    l.record_release(&release(rid('a'))).unwrap();
    l.abandon_release(&rid('a'), "me", "t", "broken").unwrap();
    assert_eq!(
        l.release(&rid('a'))
            .unwrap()
            .unwrap()
            .abandoned
            .unwrap()
            .reason,
        "broken"
    );
    assert!(l.abandon_release(&rid('a'), "me", "t", "again").is_err());
}

#[test]
fn one_lock_per_environment() {
    let dir = tempfile::tempdir().unwrap();
    let l = SqliteLedger::open(dir.path()).unwrap();
    let lock = LockRecord {
        env: "prod".into(),
        holder: "alice (pid 1)".into(),
        token: "t1".into(),
        purpose: "promote".into(),
        since: "t".into(),
    };
    l.acquire_lock(&lock).unwrap();
    let other = LockRecord {
        holder: "bob".into(),
        token: "t2".into(),
        ..lock.clone()
    };
    let err = l.acquire_lock(&other).unwrap_err();
    assert!(err.to_string().contains("locked by alice (pid 1)"), "{err}");
    l.release_lock("prod", "t2").unwrap();
    assert!(
        l.lock("prod").unwrap().is_some(),
        "only the holder's token releases it"
    );
    l.release_lock("prod", "t1").unwrap();
    l.acquire_lock(&other).unwrap();
    assert_eq!(l.force_unlock("prod").unwrap().unwrap().holder, "bob");
    assert!(l.lock("prod").unwrap().is_none());
}

#[test]
fn verification_makes_known_good_and_interruption_is_recorded() {
    let dir = tempfile::tempdir().unwrap();
    let l = SqliteLedger::open(dir.path()).unwrap();
    l.record_release(&release(rid('a'))).unwrap();
    l.record_plan(&plan(pid('1'), "dev", rid('a'))).unwrap();
    let id = l.begin_deployment(&deployment(pid('1'), rid('a'))).unwrap();
    l.finish_deployment(
        id,
        &DeploymentOutcome {
            status: DeploymentStatus::Succeeded,
            at: "t2".into(),
            verified: false,
            error: None,
            log: String::new(),
        },
    )
    .unwrap();
    assert!(!l.deployments(None).unwrap()[0].known_good());
    l.record_verification(id, true, &serde_json::json!({"passed": true}), "t3")
        .unwrap();
    let d = &l.deployments(None).unwrap()[0];
    assert!(d.known_good());
    assert_eq!(d.verified_at.as_deref(), Some("t3"));

    l.record_plan(&plan(pid('2'), "dev", rid('a'))).unwrap();
    let id2 = l.begin_deployment(&deployment(pid('2'), rid('a'))).unwrap();
    l.mark_interrupted(id2, "t4").unwrap();
    assert!(l.interrupted_deployments().unwrap().is_empty());
    assert_eq!(
        l.deployments(None).unwrap()[0].status,
        DeploymentStatus::Interrupted
    );
    assert_eq!(
        l.plan(&pid('2')).unwrap().unwrap().status,
        PlanStatus::Failed
    );
}
