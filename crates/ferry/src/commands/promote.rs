//! `ferry promote --to ENV`, `ferry rollback --env ENV` and `ferry rehearse --env ENV`. A person
//! at a terminal is asked to confirm where an apply needs a yes and no approval gate covers it.

use crate::cli::{PromoteArgs, RehearseArgs, RollbackArgs};
use crate::front::Ctx;
use crate::output::{json, Format};
use anyhow::{Context as _, Result};
use ferry_app::ops::promote::{PromoteInput, RollbackInput};
use ferry_app::views::PromoteView;
use ferry_app::AppError;
use std::io::{BufRead, IsTerminal, Write};

/// Shows what a blocked or waiting promotion got to, before the reason is reported.
fn show_partial(ctx: &Ctx, err: &AppError) {
    if ctx.format == Format::Human {
        if let Some(v) = err.context_view().and_then(|v| {
            serde_json::from_value::<ferry_app::views::PlanView>(v["plan"].clone()).ok()
        }) {
            crate::render::plan(&v);
        }
    }
}

fn ask(env: &str, plan: &str) -> Result<bool> {
    let stdin = std::io::stdin();
    if !stdin.is_terminal() {
        return Ok(false);
    }
    crate::output::note_raw(&format!("apply plan {plan} to '{env}'? [y/N] "));
    std::io::stderr().flush().ok();
    let mut answer = String::new();
    stdin
        .lock()
        .read_line(&mut answer)
        .context("cannot read the answer")?;
    Ok(matches!(answer.trim(), "y" | "Y" | "yes"))
}

/// Runs `op`; when it needs confirmation, asks on a terminal and runs it again confirmed.
fn confirmed(
    ctx: &Ctx,
    yes: bool,
    op: impl Fn(bool) -> ferry_app::Result<PromoteView>,
) -> Result<()> {
    let result = match op(yes) {
        Err(AppError::NeedsConfirmation { env, plan, .. }) if ask(&env, &plan)? => op(true),
        other => other,
    };
    match result {
        Ok(v) => {
            match ctx.format {
                Format::Json => json(&v),
                _ => crate::render::promoted(&v),
            }
            Ok(())
        }
        Err(e) => {
            show_partial(ctx, &e);
            Err(e.into())
        }
    }
}

pub fn promote(ctx: &Ctx, args: PromoteArgs) -> Result<()> {
    let app = ctx.app()?;
    let who = ctx.claim(&app.project.root)?;
    confirmed(ctx, args.yes, |yes| {
        app.promote(
            &who,
            &PromoteInput {
                to: args.to.clone(),
                release: args.release.clone(),
                confirmed: yes,
            },
        )
    })
}

pub fn rollback(ctx: &Ctx, args: RollbackArgs) -> Result<()> {
    let app = ctx.app()?;
    if args.prompt {
        // Read-only: no lock, no plan, nothing rolled back.
        let (_, secrets) = ctx.advisor_secrets(Some(&app.project));
        let v = app.rollback_prompt(
            &args.env,
            args.to.as_deref(),
            args.template.as_deref(),
            &secrets,
        )?;
        match ctx.format {
            Format::Json => json(&v),
            _ => crate::output::out(&v.prompt.text),
        }
        return Ok(());
    }
    let who = ctx.claim(&app.project.root)?;
    confirmed(ctx, args.yes, |yes| {
        app.rollback(
            &who,
            &RollbackInput {
                env: args.env.clone(),
                to: args.to.clone(),
                confirmed: yes,
            },
        )
    })
}

pub fn rehearse(ctx: &Ctx, args: RehearseArgs) -> Result<()> {
    let app = ctx.app()?;
    let who = ctx.claim(&app.project.root)?;
    let r = app.rehearse(&who, &args.env, args.apply)?;
    match (ctx.format, &r) {
        (Format::Json, _) => json(&r),
        (_, Some(r)) => crate::output::line(crate::render::readiness(r)),
        (_, None) => {}
    }
    Ok(())
}
