//! `ferry drift --env ENV [--release ID]`: exit 3 when the environment drifted from the release
//! it runs.

use crate::cli::DriftArgs;
use crate::exit::Blocked;
use crate::front::Ctx;
use crate::output::{json, out, Format};
use anyhow::Result;

pub fn run(ctx: &Ctx, args: DriftArgs) -> Result<()> {
    let app = ctx.app()?;
    let who = ctx.claim(&app.project.root)?;
    let v = app.drift(&who, &args.env, args.release.as_deref())?;
    match ctx.format {
        Format::Json => json(&v),
        Format::Markdown => out(&crate::comment::drift(&v)),
        Format::Human => crate::render::drift(&v),
    }
    if v.drift {
        return Err(Blocked(format!(
            "'{}' drifted from release {}: {} resource(s) changed outside IaC, {} change(s) to bring it back",
            v.env,
            v.release.short(),
            v.changed_outside.len(),
            v.corrections.len()
        ))
        .into());
    }
    Ok(())
}
