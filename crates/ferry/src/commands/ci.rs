//! `ferry ci generate --provider github|gitlab [--out PATH] [--check]` and `ferry ci check`.
//!
//! `generate` writes the file and prints its path; `--check` and `check` write nothing and exit 3
//! with the diff when the committed pipeline is not what ferry.toml generates now.

use crate::cli::CiCommand;
use crate::exit::Blocked;
use crate::front::Ctx;
use crate::output::{json, line, out, Format};
use anyhow::Result;
use ferry_app::ops::ci::{ci_check_committed, ci_check_path, ci_generate, ci_write};
use ferry_ci::{CheckOutcome, Provider};

const VERSION: &str = env!("CARGO_PKG_VERSION");

fn slash(p: &std::path::Path) -> String {
    p.components()
        .map(|c| c.as_os_str().to_string_lossy())
        .collect::<Vec<_>>()
        .join("/")
}

fn outcome_json(o: &CheckOutcome) -> serde_json::Value {
    serde_json::json!({
        "provider": o.provider.as_str(),
        "path": slash(&o.path),
        "up_to_date": o.up_to_date,
        "diff": o.diff,
    })
}

/// Reports the outcomes; exit 3 naming the stale files when any is.
fn report(ctx: &Ctx, outcomes: &[CheckOutcome]) -> Result<()> {
    match ctx.format {
        Format::Json => json(&serde_json::json!({
            "up_to_date": outcomes.iter().all(|o| o.up_to_date),
            "pipelines": outcomes.iter().map(outcome_json).collect::<Vec<_>>(),
        })),
        _ => {
            for o in outcomes {
                if o.up_to_date {
                    line(format!(
                        "{} is up to date with ferry.toml ({})",
                        slash(&o.path),
                        o.provider
                    ));
                } else {
                    out(&o.diff);
                }
            }
        }
    }
    let stale: Vec<String> = outcomes
        .iter()
        .filter(|o| !o.up_to_date)
        .map(|o| {
            let mut cmd = format!("ferry ci generate --provider {}", o.provider);
            if slash(&o.path) != o.provider.default_path() {
                cmd.push_str(&format!(" --out {}", slash(&o.path)));
            }
            format!("{} (run `{cmd}`)", slash(&o.path))
        })
        .collect();
    if !stale.is_empty() {
        return Err(Blocked(format!(
            "the pipeline differs from what ferry.toml generates: {}",
            stale.join(", ")
        ))
        .into());
    }
    Ok(())
}

pub fn run(ctx: &Ctx, cmd: CiCommand) -> Result<()> {
    let project = ctx.project()?;
    match cmd {
        CiCommand::Generate {
            provider,
            out: path,
            check,
        } => {
            let provider: Provider = provider.parse().map_err(ferry_app::AppError::from)?;
            if check {
                let o = ci_check_path(&project, provider, path.as_deref(), VERSION)?;
                return report(ctx, std::slice::from_ref(&o));
            }
            let generated = ci_generate(&project, provider, path.as_deref(), VERSION)?;
            for w in &generated.warnings {
                crate::say!("warning: {w}");
            }
            ci_write(&project, &generated)?;
            match ctx.format {
                Format::Json => json(&serde_json::json!({
                    "provider": provider.as_str(),
                    "path": slash(&generated.path),
                    "warnings": generated.warnings,
                })),
                _ => line(slash(&generated.path)),
            }
            Ok(())
        }
        CiCommand::Check => {
            let outcomes = ci_check_committed(&project, VERSION)?;
            report(ctx, &outcomes)
        }
    }
}
