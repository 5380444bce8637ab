//! `ferry approve` and `ferry reject`: a person's recorded yes or no for one exact plan.

use crate::cli::{ApproveArgs, RejectArgs};
use crate::front::Ctx;
use crate::output::{json, Format};
use anyhow::Result;
use ferry_app::ops::approve::{ApproveInput, RejectInput, Signer};

pub fn approve(ctx: &Ctx, args: ApproveArgs) -> Result<()> {
    let app = ctx.app()?;
    let who = ctx.claim(&app.project.root)?;
    let input = ApproveInput {
        env: args.env,
        plan: args.plan,
        acknowledge_warnings: args.acknowledge_warnings,
        signer: args.sign_key.map_or(Signer::Unsigned, Signer::KeyFile),
    };
    let v = app.approve(&who, &input)?;
    match ctx.format {
        Format::Json => json(&v),
        _ => crate::render::approved(&v),
    }
    Ok(())
}

pub fn reject(ctx: &Ctx, args: RejectArgs) -> Result<()> {
    let app = ctx.app()?;
    let who = ctx.claim(&app.project.root)?;
    let r = app.reject(
        &who,
        &RejectInput {
            env: args.env,
            plan: args.plan,
            reason: args.reason,
        },
    )?;
    match ctx.format {
        Format::Json => json(&r),
        _ => crate::render::rejected(&r),
    }
    Ok(())
}
