//! `ferry status` and `ferry history`: what is where, and how it got there.

use crate::cli::EnvFilter;
use crate::front::Ctx;
use crate::output::{json, Format};
use anyhow::Result;

pub fn status(ctx: &Ctx, args: EnvFilter) -> Result<()> {
    let app = ctx.app()?;
    let v = app.status(args.env.as_deref())?;
    match ctx.format {
        Format::Json => json(&v),
        _ => crate::render::status(&v),
    }
    Ok(())
}

pub fn history(ctx: &Ctx, args: EnvFilter) -> Result<()> {
    let app = ctx.app()?;
    let v = app.history(args.env.as_deref())?;
    match ctx.format {
        Format::Json => json(&v),
        _ => crate::render::history(&v.0),
    }
    Ok(())
}
