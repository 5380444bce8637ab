//! `ferry review PLAN.json [--baseline LOWER.json] [--config ferry.toml]` and `ferry review --env ENV`.
//!
//! The file form works without a project: it reads any plan JSON, applies the `[review]` settings
//! of `--config` (else of the project's ferry.toml when there is one, else the built-in defaults),
//! prints the review on stdout and exits 3 when the verdict is block.

use crate::cli::ReviewArgs;
use crate::context::{find_root, start_dir, CONFIG_FILE};
use crate::exit::Blocked;
use crate::output::{color_stdout, Format};
use anyhow::{bail, Result};
use ferry_core::Verdict;
use ferry_plan::{render_human, render_json, render_markdown, review_files, ReviewConfig};
use std::path::{Path, PathBuf};

pub fn run(dir: Option<&Path>, format: Format, args: ReviewArgs) -> Result<()> {
    if let Some(env) = &args.env {
        return crate::commands::report::review_env(dir, format, env);
    }
    let Some(plan) = args.plan else {
        bail!("nothing to review: pass a plan JSON file (`ferry review PLAN.json`) or `--env ENV`");
    };
    let config = review_config(dir, args.config.as_deref())?;
    let outcome = review_files(&plan, args.baseline.as_deref(), &config)?;
    let review = &outcome.review;
    match format {
        Format::Human => print!("{}", render_human(review, color_stdout())),
        Format::Json => println!("{}", render_json(review)),
        Format::Markdown => print!("{}", render_markdown(review)),
    }
    if review.verdict == Verdict::Block {
        let blocking = review
            .findings
            .iter()
            .filter(|f| f.severity == ferry_core::Severity::Block)
            .count();
        return Err(Blocked(format!(
            "review verdict is block ({blocking} blocking finding(s)) for {}",
            plan.display()
        ))
        .into());
    }
    Ok(())
}

/// `[review]` of `--config`, else of the project's ferry.toml if one is found, else defaults.
/// Only the `[review]` table is read, so a plan can be reviewed with a half-written ferry.toml.
fn review_config(dir: Option<&Path>, explicit: Option<&Path>) -> Result<ReviewConfig> {
    let path: Option<PathBuf> = match explicit {
        Some(p) => Some(p.to_path_buf()),
        None => start_dir(dir)
            .ok()
            .and_then(|d| find_root(&d))
            .map(|root| root.join(CONFIG_FILE)),
    };
    match path {
        Some(path) => Ok(ReviewConfig::from_file(&path)?),
        None => Ok(ReviewConfig::default()),
    }
}
