//! `ferry apply --env ENV [--plan ID]`.

use crate::cli::ApplyArgs;
use crate::front::Ctx;
use crate::output::{json, Format};
use anyhow::Result;

pub fn run(ctx: &Ctx, args: ApplyArgs) -> Result<()> {
    let app = ctx.app()?;
    let who = ctx.claim(&app.project.root)?;
    let d = app.apply(&who, &args.env, args.plan.as_deref())?;
    match ctx.format {
        Format::Json => json(&d),
        _ => crate::render::deployment(&d),
    }
    Ok(())
}
