//! Rollback rehearsal: after a release is deployed to an environment marked `rehearse_rollback`
//! (or on demand), plan the previous known-good release against the environment's new state and
//! review it. "Rollback readiness" — would the rollback work without destroying stateful
//! resources, and what would it change — is stored with the release and shown when the next
//! environment's plan is reviewed and approved.

use crate::cli::RehearseArgs;
use crate::output::{print_json, Format};
use crate::session::{now, Session};
use anyhow::{Context as _, Result};
use ferry_core::{Severity, Verdict};
use ferry_store::{Ledger, RehearsalRecord};
use std::path::Path;

pub fn run(dir: Option<&Path>, format: Format, args: RehearseArgs) -> Result<()> {
    let session = Session::open(dir)?;
    session.env(&args.env)?;
    let _lock = session.lock(&args.env, "rehearsal")?;
    rehearse(&session, format, &args.env, args.apply)
}

pub fn rehearse(session: &Session, format: Format, env_name: &str, apply: bool) -> Result<()> {
    let env = session.env(env_name)?;
    let current = session.current(env_name)?.with_context(|| {
        format!("'{env_name}' has no verified deployment to rehearse a rollback from")
    })?;
    let Some(target) = crate::commands::promote::previous_known_good(session, env_name)? else {
        eprintln!(
            "rollback rehearsal in '{env_name}': no earlier known-good release to roll back to"
        );
        return Ok(());
    };
    let current_release = session
        .ledger
        .release(&current.release)?
        .context("current release missing from the ledger")?;
    eprintln!(
        "rehearsing the rollback of '{env_name}' from {} to {}",
        current.release.short(),
        target.id.short()
    );
    let ev = crate::workflow::evaluate(
        session,
        env,
        &target,
        &format!("{env_name}-rehearsal"),
        None,
    )?;
    let review = &ev.assessment.review;
    let denies: Vec<String> = ev
        .assessment
        .policy
        .denies()
        .map(|d| d.message.clone())
        .collect();
    let blocking: Vec<String> = review
        .findings
        .iter()
        .filter(|f| f.severity == Severity::Block)
        .map(|f| format!("{} {}", f.kind.as_str(), f.address))
        .collect();
    let ready = review.verdict != Verdict::Block && denies.is_empty();
    let record = RehearsalRecord {
        env: env_name.to_string(),
        release: current.release.clone(),
        target: target.id.clone(),
        at: now(),
        ready,
        verdict: review.verdict,
        summary: review.summary,
        detail: serde_json::json!({"blocking": blocking, "policy_denies": denies, "findings": review.findings}),
    };
    session.ledger.record_rehearsal(&record)?;
    session.event(
        Some(env_name),
        "rehearsal",
        Some(&current.release),
        None,
        readiness_line(&record),
    )?;
    if format == Format::Json {
        print_json(&record)?;
    } else {
        println!("{}", readiness_line(&record));
    }
    if apply && ready {
        eprintln!(
            "rehearsal: applying the rollback to {} and rolling forward to {} again",
            target.id.short(),
            current.release.short()
        );
        crate::commands::promote::promote(session, format, env_name, &target, true, "rehearsal")?;
        crate::commands::promote::promote(
            session,
            format,
            env_name,
            &current_release,
            true,
            "rehearsal",
        )?;
        println!("rehearsal in '{env_name}': rolled back and forward again successfully");
    }
    Ok(())
}

/// One line a person reads before approving the next environment.
pub fn readiness_line(r: &RehearsalRecord) -> String {
    let s = &r.summary;
    let changes = format!(
        "{} to create, {} to update, {} to replace, {} to delete",
        s.create, s.update, s.replace, s.delete
    );
    if r.ready {
        format!("rollback readiness (rehearsed in '{}' at {}): READY — rolling back to {} would: {changes}", r.env, r.at, r.target.short())
    } else {
        let blocking: Vec<&str> = r.detail["blocking"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|v| v.as_str())
            .collect();
        let denies: Vec<&str> = r.detail["policy_denies"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|v| v.as_str())
            .collect();
        format!(
            "rollback readiness (rehearsed in '{}' at {}): NOT READY — rolling back to {} would be blocked: {}",
            r.env,
            r.at,
            r.target.short(),
            blocking.iter().chain(denies.iter()).copied().collect::<Vec<_>>().join("; ")
        )
    }
}
