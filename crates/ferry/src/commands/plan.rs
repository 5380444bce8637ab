//! `ferry plan --env ENV [--release ID] [--speculative]`.

use crate::cli::PlanArgs;
use crate::exit::Blocked;
use crate::front::Ctx;
use crate::output::{json, out, Format};
use anyhow::Result;

pub fn run(ctx: &Ctx, args: PlanArgs) -> Result<()> {
    let app = ctx.app()?;
    let who = ctx.claim(&app.project.root)?;
    let v = if args.speculative {
        app.plan_speculative(&who, &args.env, args.release.as_deref())?
    } else {
        app.plan(&who, &args.env, args.release.as_deref())?
    };
    match ctx.format {
        Format::Json => json(&v),
        Format::Markdown => out(&crate::comment::plan(&v, args.max_findings)),
        Format::Human => crate::render::plan(&v),
    }
    // A pull request's plan fails its check the way a blocked promotion would.
    let denials = v.policy["results"]
        .as_array()
        .map_or(0, |r| r.iter().filter(|r| r["level"] == "deny").count());
    if args.speculative && (v.review.verdict == ferry_core::Verdict::Block || denials > 0) {
        return Err(Blocked(format!(
            "speculative plan {} for '{}': review verdict {}, {denials} policy denial(s)",
            v.plan.short(),
            v.env,
            v.review.verdict
        ))
        .into());
    }
    Ok(())
}
