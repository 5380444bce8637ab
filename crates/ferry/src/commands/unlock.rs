//! `ferry unlock --env ENV --reason TEXT`: clear a dead holder's lock, on the record.

use crate::cli::UnlockArgs;
use crate::front::Ctx;
use crate::output::{json, Format};
use anyhow::Result;

pub fn run(ctx: &Ctx, args: UnlockArgs) -> Result<()> {
    let app = ctx.app()?;
    let who = ctx.claim(&app.project.root)?;
    let v = app.unlock(&who, &args.env, &args.reason)?;
    match ctx.format {
        Format::Json => json(&v),
        _ => crate::render::unlocked(&v, &args.reason),
    }
    Ok(())
}
