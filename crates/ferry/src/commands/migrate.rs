//! `ferry migrate check|status|plan|approve|apply|rehearse`.
//!
//! `check` works without a project, like `ferry review PLAN.json`: it prints the review and exits
//! 3 on block; a file that does not parse is an error naming the file and line (exit 1). The
//! others act on a project's environment through ferry-app and never print a database URL: the
//! reports name databases by their ferry.toml name.

use crate::cli::{MigrateApproveArgs, MigrateCommand, MigrateTarget};
use crate::exit::Blocked;
use crate::front::Ctx;
use crate::output::{json, line, out, Format};
use anyhow::Result;
use ferry_app::ops::migrate::{MigrateApproveInput, MigrateInput, MigrateView};
use ferry_migrate::check::{render as check_render, Verdict};
use ferry_migrate::render as db_render;

fn input(t: MigrateTarget) -> MigrateInput {
    MigrateInput {
        env: t.env,
        release: t.release,
        set: t.set,
    }
}

pub fn run(ctx: &Ctx, cmd: MigrateCommand) -> Result<()> {
    match cmd {
        MigrateCommand::Check {
            paths,
            prompt: false,
            ..
        } => check(ctx, &paths),
        MigrateCommand::Check {
            paths, template, ..
        } => check_prompt(ctx, &paths, template.as_deref()),
        MigrateCommand::Status(t) => status(ctx, t, false),
        MigrateCommand::Plan(t) => status(ctx, t, true),
        MigrateCommand::Approve(args) => approve(ctx, args),
        MigrateCommand::Apply(t) => apply(ctx, t),
        MigrateCommand::Rehearse(t) => rehearse(ctx, t),
    }
}

fn check(ctx: &Ctx, paths: &[std::path::PathBuf]) -> Result<()> {
    let report = ferry_app::ops::migrate::check_paths(paths)?;
    match ctx.format {
        Format::Json => line(check_render::json(&report)),
        Format::Human => out(&check_render::human(&report)),
        Format::Markdown => out(&check_render::markdown(&report)),
    }
    if report.verdict == Verdict::Block {
        let blocking = report
            .findings
            .iter()
            .filter(|f| f.severity == ferry_migrate::check::Severity::Block)
            .count();
        return Err(Blocked(format!(
            "migration check verdict is block ({blocking} blocking finding(s))"
        ))
        .into());
    }
    Ok(())
}

/// The filled migration-safety prompt of the check: advice for a person and their assistant,
/// not a gate, so it exits 0 whatever the verdict (a file that does not parse is still exit 1).
fn check_prompt(ctx: &Ctx, paths: &[std::path::PathBuf], template: Option<&str>) -> Result<()> {
    let report = ferry_app::ops::migrate::check_paths(paths)?;
    let start = ctx.start().ok();
    let project = start
        .as_deref()
        .and_then(|s| ferry_app::Project::discover(s, None).ok());
    let (_, secrets) = ctx.advisor_secrets(project.as_ref());
    let filled = ferry_app::ops::advise::migration_check_prompt(
        &report,
        start.as_deref(),
        template,
        &secrets,
    )?;
    match ctx.format {
        Format::Json => json(&filled),
        _ => out(&filled.text),
    }
    Ok(())
}

fn render_view(v: &MigrateView, plan: bool) {
    line(format!(
        "migrations of release {} for '{}'",
        v.release.short(),
        v.env
    ));
    for s in &v.sets {
        if plan {
            out(&db_render::plan_human(&s.plan));
            if !s.plan.pending.is_empty() {
                out(&check_render::human(&s.review));
            }
        } else {
            out(&db_render::status_human(&s.status));
        }
        if !s.plan.pending.is_empty() {
            line(format!(
                "migration approvals: {} of {} ({})",
                s.approvals.len(),
                s.approvals_needed,
                if s.approvals.is_empty() {
                    "none".to_string()
                } else {
                    s.approvals.join(", ")
                }
            ));
            for g in &s.unmet_gates {
                line(format!("  unmet: {g}"));
            }
        }
    }
}

fn status(ctx: &Ctx, t: MigrateTarget, plan: bool) -> Result<()> {
    let app = ctx.app()?;
    let v = app.migrate_status(&input(t))?;
    match ctx.format {
        Format::Json => json(&v),
        _ => render_view(&v, plan),
    }
    Ok(())
}

fn approve(ctx: &Ctx, args: MigrateApproveArgs) -> Result<()> {
    let app = ctx.app()?;
    let who = ctx.claim(&app.project.root)?;
    let v = app.migrate_approve(
        &who,
        &MigrateApproveInput {
            target: input(args.target),
            plan: args.plan,
            acknowledge_contract: args.acknowledge_contract,
        },
    )?;
    match ctx.format {
        Format::Json => json(&v),
        _ => line(format!(
            "approved migration plan {} of set '{}' for '{}' as {} ({} of {} approval(s))",
            v.approval.digest, v.approval.set, v.approval.env, v.approval.by, v.approvals, v.needed
        )),
    }
    Ok(())
}

fn apply(ctx: &Ctx, t: MigrateTarget) -> Result<()> {
    let app = ctx.app()?;
    let who = ctx.claim(&app.project.root)?;
    let v = app.migrate_apply(&who, &input(t))?;
    match ctx.format {
        Format::Json => json(&v),
        _ => {
            for r in &v.reports {
                out(&db_render::apply_human(r));
            }
            if v.reports.is_empty() {
                line(format!("nothing to apply in '{}'", v.env));
            }
        }
    }
    Ok(())
}

fn rehearse(ctx: &Ctx, t: MigrateTarget) -> Result<()> {
    let app = ctx.app()?;
    let who = ctx.claim(&app.project.root)?;
    // A blocked rehearsal's reasons (migration, release, query) are the error's unmet gates.
    let v = app.migrate_rehearse(&who, &input(t))?;
    match ctx.format {
        Format::Json => json(&v),
        _ => {
            for r in &v.reports {
                out(&db_render::rehearsal_human(r));
            }
        }
    }
    Ok(())
}
