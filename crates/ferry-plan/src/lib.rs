//! Reads Terraform/OpenTofu plan JSON (`show -json`) as a stream and reviews it: destructive and
//! stateful changes, downtime updates, drift, and what a plan holds that its baseline (the lower
//! environment's plan of the same release) did not.
//!
//! This is the review a person reads before saying yes to prod, so it must hold up on any input:
//! gigabyte plans in bounded memory, hostile or broken files refused with the file, line and what
//! was expected, and sensitive values never shown.
//!
//! # API
//!
//! ```no_run
//! use ferry_plan::{review_files, render_human, ReviewConfig};
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let table: toml::Table = "stateful = [\"null_resource.db\"]".parse()?; // ferry.toml's [review]
//! let config = ReviewConfig::from_table(&table)?;
//! let outcome = review_files("prod.json".as_ref(), Some("staging.json".as_ref()), &config)?;
//! print!("{}", render_human(&outcome.review, false));
//! // outcome.review: the JSON contract (ferry_core::Review); outcome.comparison: plan vs baseline,
//! // serializable, for policies; outcome.plan: format version, errored, entry counts.
//! # Ok(()) }
//! ```
//!
//! - [`review_files`] / [`review_bytes`]: review a plan, optionally against a baseline.
//! - [`ReviewConfig::from_table`]: the `[review]` table of ferry.toml (`ReviewConfig::default()`
//!   without one).
//! - [`render_human`], [`render_markdown`], [`render_json`]: the three renderings;
//!   [`render_json_to`] streams the JSON (every finding), [`render_human_to`] and
//!   [`render_markdown_capped`] take the `--max-findings` cap and say what they left out.
//!
//! Modules: `scan` (chunked validating JSON scanner) → `parse` (plan document, streams entries) →
//! `entry` + `json` (one entry checked and read in place) →
//! `digest` (per-plan findings and aggregates) → `compare` + `explain` (baseline) → `engine`
//! (threads, scrubbing, order) → `render`.

mod address;
mod catalog;
mod compare;
mod config;
mod diff;
mod digest;
mod engine;
mod entry;
mod error;
mod explain;
mod fast;
mod json;
mod model;
mod parse;
mod render;
mod scan;

pub use address::{config_address, AddressGlob};
pub use catalog::{is_stateful_type, DOWNTIME_UPDATES, STATEFUL_TYPES};
pub use compare::{BaselineComparison, ResourceComparison};
pub use config::ReviewConfig;
pub use diff::SENSITIVE_MARKER;
pub use engine::{PlanInfo, ReviewOutcome};
pub use error::{PlanError, ReviewConfigError};
pub use model::ActionKind;
pub use render::{
    render_human, render_human_to, render_json, render_json_to, render_markdown,
    render_markdown_capped, DEFAULT_MAX_FINDINGS, MARKDOWN_LIMIT,
};

use engine::Input;
use std::path::Path;

/// Reviews the plan JSON at `plan`, comparing it with `baseline` (the lower environment's plan of
/// the same release) when given. The two files are read in parallel, each as a stream.
pub fn review_files(
    plan: &Path,
    baseline: Option<&Path>,
    config: &ReviewConfig,
) -> Result<ReviewOutcome, PlanError> {
    engine::review(Input::File(plan), baseline.map(Input::File), config)
}

/// Like [`review_files`] for documents already in memory; errors name them `<plan>` and
/// `<baseline>`.
pub fn review_bytes(
    plan: &[u8],
    baseline: Option<&[u8]>,
    config: &ReviewConfig,
) -> Result<ReviewOutcome, PlanError> {
    engine::review(
        Input::Bytes(plan, "<plan>"),
        baseline.map(|b| Input::Bytes(b, "<baseline>")),
        config,
    )
}
