//! `ferry review PLAN.json [--baseline LOWER.json] [--config ferry.toml]` and
//! `ferry review --env ENV`.
//!
//! The file form works without a project: it reads any plan JSON, applies the `[review]` settings
//! of `--config` (else of the project's ferry.toml when there is one, else the built-in defaults),
//! prints the review on stdout and exits 3 when the verdict is block.

use crate::cli::ReviewArgs;
use crate::exit::Blocked;
use crate::front::Ctx;
use crate::output::{color_stdout, out, stream, Format};
use anyhow::{bail, Result};
use ferry_core::{Review, Severity, Verdict};

/// The review in `format`; JSON is streamed (every finding), people's listings are capped.
fn render(format: Format, review: &Review, max: Option<usize>) {
    match format {
        Format::Json => stream(|w| {
            ferry_plan::render_json_to(w, review)?;
            std::io::Write::write_all(w, b"\n")
        }),
        Format::Human => stream(|w| ferry_plan::render_human_to(w, review, color_stdout(), max)),
        Format::Markdown => out(&ferry_plan::render_markdown_capped(review, max)),
    }
}

pub fn run(ctx: &Ctx, args: ReviewArgs) -> Result<()> {
    if let Some(env) = &args.env {
        if args.prompt {
            return prompt_env(ctx, env, args.template.as_deref());
        }
        return review_env(ctx, env, args.max_findings);
    }
    let Some(plan) = args.plan else {
        bail!("nothing to review: pass a plan JSON file (`ferry review PLAN.json`) or `--env ENV`");
    };
    let start = ctx.start().ok();
    let config = ferry_app::ops::review::review_config(start.as_deref(), args.config.as_deref())?;
    let review = ferry_app::ops::review::review_file(&plan, args.baseline.as_deref(), &config)?;
    if args.prompt {
        // A prompt is advice for a person and their assistant, not a gate: it always exits 0.
        let project = start
            .as_deref()
            .and_then(|s| ferry_app::Project::discover(s, None).ok());
        let (_, secrets) = ctx.advisor_secrets(project.as_ref());
        let filled = ferry_app::ops::advise::file_review_prompt(
            &review,
            args.baseline.is_some(),
            start.as_deref(),
            args.template.as_deref(),
            &secrets,
        )?;
        out(&filled.text);
        return Ok(());
    }
    render(ctx.format, &review, args.max_findings);
    if review.verdict == Verdict::Block {
        let blocking = review
            .findings
            .iter()
            .filter(|f| f.severity == Severity::Block)
            .count();
        return Err(Blocked(format!(
            "review verdict is block ({blocking} blocking finding(s)) for {}",
            plan.display()
        ))
        .into());
    }
    Ok(())
}

/// The filled prompt for the environment's pending plan (else its newest); exit 0.
fn prompt_env(ctx: &Ctx, env: &str, template: Option<&str>) -> Result<()> {
    let app = ctx.app()?;
    let (_, secrets) = ctx.advisor_secrets(Some(&app.project));
    let (_, filled) = app.plan_prompt(env, None, template, &secrets)?;
    out(&filled.text);
    Ok(())
}

/// The stored review of the environment's pending plan (else its newest), in any format; exit 3
/// when its verdict is block or a policy denies it.
fn review_env(ctx: &Ctx, env: &str, max: Option<usize>) -> Result<()> {
    let app = ctx.app()?;
    let v = app.review_env(env)?;
    match ctx.format {
        Format::Human => {
            crate::render::plan(&v.plan);
            crate::render::advice(&v.advice, true);
        }
        Format::Markdown => out(&crate::comment::plan(&v.plan, max)),
        Format::Json => render(Format::Json, &v.plan.review, max),
    }
    if v.plan.review.verdict == Verdict::Block || v.denials > 0 {
        return Err(Blocked(format!(
            "plan {} for '{env}': review verdict {}, {} policy denial(s)",
            v.plan.plan.short(),
            v.plan.review.verdict,
            v.denials
        ))
        .into());
    }
    Ok(())
}
