//! `ferry gc`: remove old plans' artifacts beyond retention, now.

use crate::front::Ctx;
use crate::output::{json, Format};
use anyhow::Result;

pub fn run(ctx: &Ctx) -> Result<()> {
    let app = ctx.app()?;
    let who = ctx.claim(&app.project.root)?;
    let v = app.gc(&who)?;
    match ctx.format {
        Format::Json => json(&v),
        _ => crate::out!(
            "removed the artifacts of {} plan(s) ({} bytes); {} kept",
            v.plans_removed,
            v.bytes_freed,
            v.plans_kept
        ),
    }
    Ok(())
}
