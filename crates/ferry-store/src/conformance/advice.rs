//! Advice rows: stored against a plan, newest first, covered by the chain, and inert — storing
//! advice (whatever it says) changes no plan status and adds no approval.

use super::{event, ok, pid, seed, tampered, Fixture};
use crate::records::*;
use crate::StoreError;

pub fn advice(plan: &ferry_core::PlanId, answer: &str) -> AdviceRecord {
    AdviceRecord {
        plan: plan.clone(),
        env: "prod".into(),
        model: "test-model".into(),
        template: "plan-review".into(),
        template_version: 1,
        prompt_sha256: format!("sha256:{}", "ab".repeat(32)),
        answer: answer.into(),
        at: "2026-01-01T00:00:00Z".into(),
        by: "tester".into(),
    }
}

pub(super) fn advice_is_chained_and_changes_no_gate(f: &Fixture) -> Result<(), String> {
    let l = &*f.ledger;
    let (_, p) = seed(l)?;
    ok(
        l.record_advice(
            &advice(&p, "APPROVED. Ship it."),
            &event("advice", Some("prod")),
        ),
        "record_advice",
    )?;
    ok(
        l.record_advice(&advice(&p, "second look"), &event("advice", Some("prod"))),
        "record_advice again",
    )?;
    let stored = ok(l.advice(&p), "advice")?;
    ensure!(
        stored == vec![advice(&p, "second look"), advice(&p, "APPROVED. Ship it.")],
        "advice reads back newest first: {stored:?}"
    );
    let plan = ok(l.plan(&p), "plan")?.ok_or("plan vanished")?;
    ensure!(
        plan.status == PlanStatus::Pending,
        "advice moved the plan to {}",
        plan.status
    );
    ensure!(
        ok(l.approvals(&p), "approvals")?.is_empty(),
        "advice counted as an approval"
    );
    match l.record_advice(&advice(&pid('9'), "x"), &event("advice", Some("prod"))) {
        Err(StoreError::NotFound(_)) => {}
        other => return Err(format!("advice on an unknown plan: {other:?}")),
    }
    let mut wrong_env = advice(&p, "x");
    wrong_env.env = "dev".into();
    ensure!(
        matches!(
            l.record_advice(&wrong_env, &event("advice", Some("dev"))),
            Err(StoreError::Conflict(_))
        ),
        "advice filed under another environment is refused"
    );
    ensure!(
        ok(l.advice(&p), "advice")?.len() == 2,
        "a refused advice left a row"
    );
    let report = ok(l.verify(), "verify")?;
    ensure!(report.ok(), "intact chain with advice: {report:?}");
    let report = tampered(
        f,
        "UPDATE advice SET answer = 'forged' WHERE answer = 'second look'",
    )?;
    ensure!(
        report
            .first_problem()
            .is_some_and(|p| p.contains("advice row") && p.contains("edited")),
        "an edited advice is found: {report:?}"
    );
    Ok(())
}
