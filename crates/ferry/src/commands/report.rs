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
