//! Human rendering of a stored plan's review and policy results, for the promotion commands.

use crate::output::{color_stdout, Format};
use anyhow::Result;
use ferry_core::Review;

pub fn print_review(review: &Review, _format: Format) -> Result<()> {
    print!("{}", ferry_plan::render_human(review, color_stdout()));
    Ok(())
}

pub fn print_policy(policy: &serde_json::Value) {
    for r in policy["results"].as_array().into_iter().flatten() {
        println!(
            "  policy {}: {} ({} {})",
            r["level"].as_str().unwrap_or("?"),
            r["message"].as_str().unwrap_or(""),
            r["source"].as_str().unwrap_or(""),
            r["rule"].as_str().unwrap_or("")
        );
    }
}

/// `ferry review --env ENV`: the stored review of the environment's pending plan (else its
/// newest), in any format; exit 3 when its verdict is block or a policy denies it.
pub fn review_env(dir: Option<&std::path::Path>, format: Format, env: &str) -> Result<()> {
    use ferry_store::Ledger;
    let session = crate::session::Session::open(dir)?;
    session.env(env)?;
    let plan = match session.ledger.pending_plan(env)? {
        Some(p) => p,
        None => session.ledger.latest_plan(env)?.ok_or_else(|| {
            anyhow::anyhow!("'{env}' has no plan yet; run `ferry plan --env {env}`")
        })?,
    };
    let review: Review = serde_json::from_value(plan.review.clone())?;
    match format {
        Format::Json => println!("{}", ferry_plan::render_json(&review)),
        Format::Markdown => print!("{}", ferry_plan::render_markdown(&review)),
        Format::Human => {
            println!(
                "plan {} for '{env}' (release {}, {})",
                plan.id,
                plan.release.short(),
                plan.status.as_str()
            );
            print_review(&review, format)?;
            print_policy(&plan.policy);
            if let Some(r) = session.ledger.latest_rehearsal(&plan.release)? {
                println!("{}", crate::commands::rehearse::readiness_line(&r));
            }
        }
    }
    let (denials, _) = crate::assess::policy_counts(&plan.policy);
    if review.verdict == ferry_core::Verdict::Block || denials > 0 {
        return Err(crate::exit::Blocked(format!(
            "plan {} for '{env}': review verdict {}, {denials} policy denial(s)",
            plan.id.short(),
            review.verdict
        ))
        .into());
    }
    Ok(())
}
