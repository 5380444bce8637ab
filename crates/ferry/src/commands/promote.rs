//! `ferry promote --to ENV`: plan (or reuse the pending plan of the same release), review,
//! check every gate, ask when a person must say yes, apply, and record.

use crate::cli::PromoteArgs;
use crate::exit::Blocked;
use crate::output::Format;
use crate::session::Session;
use crate::workflow::{apply_plan, check_apply_gates, plan_env, Planned};
use anyhow::{Context as _, Result};
use ferry_core::Review;
use ferry_store::Ledger;
use std::io::{BufRead, IsTerminal, Write};
use std::path::Path;

pub fn run(dir: Option<&Path>, format: Format, args: PromoteArgs) -> Result<()> {
    let session = Session::open(dir)?;
    promote(&session, format, &args.to, args.release.as_deref(), args.yes, "deploy")
}

pub fn promote(session: &Session, format: Format, to: &str, release: Option<&str>, yes: bool, kind: &str) -> Result<()> {
    let env = session.env(to)?;
    let release = match release {
        Some(id) => session.resolve_release(id)?,
        None => session.newest_eligible(env)?,
    };
    // A pending plan of the same release keeps its approvals; anything else is planned afresh.
    let planned = match session.ledger.pending_plan(to)? {
        Some(p) if p.release == release.id => {
            eprintln!("using the pending plan {} of release {} for '{to}'", p.id.short(), release.id.short());
            let review: Review = serde_json::from_value(p.review.clone()).context("stored review is unreadable")?;
            Planned { record: p, review }
        }
        _ => plan_env(session, to, &release)?,
    };
    crate::commands::plan::print_planned(session, format, &planned)?;
    check_apply_gates(session, &planned.record)?;
    if !planned.review.summary.has_changes() {
        eprintln!("the plan changes nothing; applying it records release {} as deployed to '{to}'", release.id.short());
    }
    let needs_confirmation = !env.auto_apply && env.approvals == 0;
    if needs_confirmation && !yes {
        confirm(to, &planned)?;
    }
    let deployment = apply_plan(session, &planned.record, kind)?;
    crate::commands::apply::print_deployment(format, &deployment)
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
    eprint!("apply plan {} to '{env}'? [y/N] ", planned.record.id.short());
    std::io::stderr().flush().ok();
    let mut answer = String::new();
    stdin.lock().read_line(&mut answer).context("cannot read the answer")?;
    if matches!(answer.trim(), "y" | "Y" | "yes") {
        Ok(())
    } else {
        Err(Blocked(format!("not applied to '{env}': not confirmed")).into())
    }
}
