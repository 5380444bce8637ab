//! `ferry apply --env ENV [--plan ID]`.

use crate::cli::ApplyArgs;
use crate::output::{print_json, Format};
use crate::session::Session;
use crate::workflow::apply_plan;
use anyhow::Result;
use ferry_store::DeploymentRecord;
use std::path::Path;

pub fn run(dir: Option<&Path>, format: Format, args: ApplyArgs) -> Result<()> {
    let session = Session::open(dir)?;
    session.env(&args.env)?;
    let plan = session.resolve_plan(&args.env, args.plan.as_deref())?;
    let _lock = session.lock(&args.env, "apply")?;
    let deployment = apply_plan(&session, &plan, "deploy")?;
    print_deployment(format, &deployment)
}

pub fn print_deployment(format: Format, d: &DeploymentRecord) -> Result<()> {
    if format == Format::Json {
        return print_json(d);
    }
    println!(
        "deployed release {} to '{}' (deployment #{}, plan {}){}",
        d.release.short(),
        d.env,
        d.id,
        d.plan.short(),
        if d.verified { ", verified" } else { "" }
    );
    Ok(())
}
