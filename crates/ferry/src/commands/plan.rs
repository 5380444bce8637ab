//! `ferry plan --env ENV [--release ID]`.

use crate::cli::PlanArgs;
use crate::output::{print_json, Format};
use crate::session::Session;
use crate::workflow::{plan_env, Planned};
use anyhow::Result;
use ferry_store::Ledger;
use std::path::Path;

pub fn run(dir: Option<&Path>, format: Format, args: PlanArgs) -> Result<()> {
    let session = Session::open(dir)?;
    let env = session.env(&args.env)?;
    let release = match &args.release {
        Some(id) => session.resolve_release(id)?,
        None => session.newest_eligible(env)?,
    };
    let _lock = session.lock(&args.env, "plan")?;
    let planned = plan_env(&session, &args.env, &release)?;
    print_planned(&session, format, &planned)
}

/// The JSON of a planned result (contract of `ferry plan --format json`).
pub fn planned_json(planned: &Planned) -> serde_json::Value {
    let p = &planned.record;
    serde_json::json!({
        "plan": p.id,
        "env": p.env,
        "release": p.release,
        "baseline": p.baseline,
        "state": {"lineage": p.state_lineage, "serial": p.state_serial},
        "review": planned.review,
        "policy": p.policy,
    })
}

pub fn print_planned(session: &Session, format: Format, planned: &Planned) -> Result<()> {
    let p = &planned.record;
    if format == Format::Json {
        return print_json(&planned_json(planned));
    }
    println!(
        "plan {} for '{}' (release {})",
        p.id,
        p.env,
        p.release.short()
    );
    match &p.baseline {
        Some(b) => println!(
            "compared with the plan of the same release in '{}' ({})",
            session.env(&p.env)?.from_env().unwrap_or("?"),
            b.short()
        ),
        None => {
            if let Some(up) = session.env(&p.env)?.from_env() {
                println!("no plan of this release in '{up}' to compare with");
            }
        }
    }
    crate::commands::report::print_review(&planned.review, format)?;
    if let Some(up) = session.env(&p.env)?.from_env() {
        match session.ledger.latest_rehearsal(&p.release)? {
            Some(r) => println!("{}", crate::commands::rehearse::readiness_line(&r)),
            None if session.env(up)?.rehearse_rollback => {
                println!("rollback readiness: not rehearsed in '{up}' for this release")
            }
            None => {}
        }
    }
    crate::commands::report::print_policy(&p.policy);
    Ok(())
}
