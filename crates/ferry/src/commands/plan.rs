//! `ferry plan --env ENV [--release ID]`.

use crate::cli::PlanArgs;
use crate::front::Ctx;
use crate::output::{json, Format};
use anyhow::Result;

pub fn run(ctx: &Ctx, args: PlanArgs) -> Result<()> {
    let app = ctx.app()?;
    let who = ctx.claim(&app.project.root)?;
    let v = app.plan(&who, &args.env, args.release.as_deref())?;
    match ctx.format {
        Format::Json => json(&v),
        _ => crate::render::plan(&v),
    }
    Ok(())
}
