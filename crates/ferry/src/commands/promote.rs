//! `ferry promote --to ENV` and `ferry rollback --env ENV`: one path for both. Plan (or reuse the
//! pending plan of the same release), review, check every gate, ask when a person must say yes,
//! apply, verify — holding the environment's lock throughout. A failed verification on an
//! `auto_rollback` environment promotes the previous known-good release back, through the same
//! gates (bar the approval count); a rehearsal follows deployments to `rehearse_rollback`
//! environments.

use crate::cli::{PromoteArgs, RollbackArgs};
use crate::exit::Blocked;
use crate::output::Format;
use crate::session::Session;
use crate::verify::VerificationFailed;
use crate::workflow::{apply_plan, check_apply_gates, plan_env, Planned};
use anyhow::{bail, Context as _, Result};
use ferry_core::Review;
use ferry_store::{Ledger, ReleaseRecord};
use std::io::{BufRead, IsTerminal, Write};
use std::path::Path;

pub fn run(dir: Option<&Path>, format: Format, args: PromoteArgs) -> Result<()> {
    let session = Session::open(dir)?;
    let env = session.env(&args.to)?;
    let release = match &args.release {
        Some(id) => session.resolve_release(id)?,
        None => session.newest_eligible(env)?,
    };
    let _lock = session.lock(&args.to, "promote")?;
    promote(&session, format, &args.to, &release, args.yes, "deploy")
}

pub fn rollback(dir: Option<&Path>, format: Format, args: RollbackArgs) -> Result<()> {
    let session = Session::open(dir)?;
    session.env(&args.env)?;
    let target = match &args.to {
        Some(id) => {
            let r = session.resolve_release(id)?;
            if let Some(a) = &r.abandoned {
                return Err(Blocked(format!(
                    "release {} was abandoned ({}); it cannot be rolled back to",
                    r.id.short(),
                    a.reason
                ))
                .into());
            }
            r
        }
        None => previous_known_good(&session, &args.env)?.with_context(|| {
            format!(
                "'{}' has no known-good release before the current one to roll back to",
                args.env
            )
        })?,
    };
    let _lock = session.lock(&args.env, "rollback")?;
    eprintln!(
        "rolling '{}' back to release {} (\"{}\")",
        args.env,
        target.id.short(),
        target.subject
    );
    promote(&session, format, &args.env, &target, args.yes, "rollback")
}

/// The newest known-good release of `env` other than the one deployed last, not abandoned.
pub fn previous_known_good(session: &Session, env: &str) -> Result<Option<ReleaseRecord>> {
    let deployments = session.ledger.deployments(Some(env))?;
    let Some(current) = deployments.first().map(|d| d.release.clone()) else {
        return Ok(None);
    };
    for d in deployments
        .iter()
        .filter(|d| d.known_good() && d.release != current)
    {
        if let Some(r) = session.ledger.release(&d.release)? {
            if r.abandoned.is_none() {
                return Ok(Some(r));
            }
        }
    }
    Ok(None)
}

/// The shared path; the caller holds the environment's lock.
pub fn promote(
    session: &Session,
    format: Format,
    to: &str,
    release: &ReleaseRecord,
    yes: bool,
    kind: &str,
) -> Result<()> {
    let env = session.env(to)?;
    // A pending plan of the same release keeps its approvals; anything else is planned afresh.
    let planned = match session.ledger.pending_plan(to)? {
        Some(p) if p.release == release.id => {
            eprintln!(
                "using the pending plan {} of release {} for '{to}'",
                p.id.short(),
                release.id.short()
            );
            let review: Review =
                serde_json::from_value(p.review.clone()).context("stored review is unreadable")?;
            Planned { record: p, review }
        }
        _ => plan_env(session, to, release)?,
    };
    // Only what the person asked for reaches stdout, as one document in JSON mode; automatic
    // rollbacks and rehearsals narrate on stderr.
    let show = matches!(kind, "deploy" | "rollback");
    let json = format == Format::Json;
    if show && !json {
        crate::commands::plan::print_planned(session, format, &planned)?;
    }
    let print_result = |deployment: Option<&ferry_store::DeploymentRecord>| -> Result<()> {
        match (show, json, deployment) {
            (true, true, d) => crate::output::print_json(&serde_json::json!({
                "plan": crate::commands::plan::planned_json(&planned),
                "deployment": d,
            })),
            (true, false, Some(d)) => crate::commands::apply::print_deployment(format, d),
            _ => Ok(()),
        }
    };
    let auto = kind == "auto-rollback";
    if let Err(e) = check_apply_gates(session, &planned.record, auto) {
        print_result(None)?;
        if kind.contains("rollback") && planned.review.verdict == ferry_core::Verdict::Block {
            return Err(Blocked(format!(
                "the rollback of '{to}' to release {} is blocked: it would destroy or replace stateful resources (see the review above). \
                 A rollback never destroys data silently; fix forward, or restore data first and relax the rule in a new release.\n{e}",
                release.id.short()
            ))
            .into());
        }
        return Err(e);
    }
    let needs_confirmation = !env.auto_apply && env.approvals == 0 && !auto;
    if needs_confirmation && !yes {
        if let Err(e) = confirm(to, &planned) {
            print_result(None)?;
            return Err(e);
        }
    }
    match apply_plan(session, &planned.record, kind) {
        Ok(deployment) => {
            print_result(Some(&deployment))?;
            if env.rehearse_rollback && !kind.contains("rollback") && kind != "rehearsal" {
                if let Err(e) = crate::commands::rehearse::rehearse(session, format, to, false) {
                    eprintln!("warning: the rollback rehearsal in '{to}' could not run: {e:#}");
                }
            }
            Ok(())
        }
        Err(e)
            if e.downcast_ref::<VerificationFailed>().is_some() && env.auto_rollback && !auto =>
        {
            eprintln!("{e}");
            let Some(target) = previous_known_good(session, to)? else {
                bail!("{e}; auto_rollback found no earlier known-good release of '{to}' to roll back to");
            };
            eprintln!(
                "auto_rollback: promoting the previous known-good release {} back into '{to}'",
                target.id.short()
            );
            session.event(
                Some(to),
                "rollback.automatic",
                Some(&target.id),
                None,
                format!("verification failed; rolling back to {}", target.id.short()),
            )?;
            match promote(session, format, to, &target, true, "auto-rollback") {
                Ok(()) => Err(e.context(format!(
                    "'{to}' was rolled back automatically to release {}",
                    target.id.short()
                ))),
                Err(rb) => Err(e.context(format!(
                    "the automatic rollback to release {} failed too: {rb:#}",
                    target.id.short()
                ))),
            }
        }
        Err(e) => {
            print_result(None)?;
            Err(e)
        }
    }
}

fn confirm(env: &str, planned: &Planned) -> Result<()> {
    let stdin = std::io::stdin();
    if !stdin.is_terminal() {
        return Err(Blocked(format!(
            "'{env}' is not auto_apply and has no approval gate: confirm with --yes (or run `ferry apply --env {env} --plan {}`)",
            planned.record.id.short()
        ))
        .into());
    }
    eprint!(
        "apply plan {} to '{env}'? [y/N] ",
        planned.record.id.short()
    );
    std::io::stderr().flush().ok();
    let mut answer = String::new();
    stdin
        .lock()
        .read_line(&mut answer)
        .context("cannot read the answer")?;
    if matches!(answer.trim(), "y" | "Y" | "yes") {
        Ok(())
    } else {
        Err(Blocked(format!("not applied to '{env}': not confirmed")).into())
    }
}
