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
mod canon;
mod catalog;
mod compare;
mod config;
mod diff;
mod digest;
mod drift;
mod engine;
mod entry;
mod error;
mod explain;
mod fast;
mod json;
mod model;
mod parse;
mod record;
mod render;
mod scan;

pub use address::{config_address, AddressGlob};
pub use catalog::{is_stateful_type, DOWNTIME_UPDATES, STATEFUL_TYPES};
pub use compare::{BaselineComparison, ResourceComparison};
pub use config::ReviewConfig;
pub use diff::SENSITIVE_MARKER;
pub use drift::{drift_report, DriftReport, DriftedResource};
pub use engine::{PlanInfo, ReviewOutcome};
pub use error::{PlanError, ReviewConfigError};
pub use model::ActionKind;
pub use render::{
    render_human, render_human_to, render_json, render_json_to, render_markdown,
    render_markdown_capped, render_markdown_comment, Comment, DEFAULT_MAX_FINDINGS, MARKDOWN_LIMIT,
};

use engine::Input;
use std::path::{Path, PathBuf};

/// Reviews the plan JSON at `plan`, comparing it with `baseline` (the lower environment's plan of
/// the same release) when given. The two files are read in parallel, each as a stream.
pub fn review_files(
    plan: &Path,
    baseline: Option<&Path>,
    config: &ReviewConfig,
) -> Result<ReviewOutcome, PlanError> {
    engine::review(Input::File(plan), baseline.map(Input::File), config, false).map(|r| r.0)
}

/// [`review_files`], keeping in the same pass what the policy gate and the approval binding
/// need from the plan (not the baseline): its change digest and the places of its large
/// sections, from which [`RecordedPlan::documents`] rebuilds the plan for policies in windows.
/// Memory: 12 bytes per resource change and per planned/prior resource, plus the small
/// sections (configuration, variables, outputs) as text.
pub fn review_and_record(
    plan: &Path,
    baseline: Option<&Path>,
    config: &ReviewConfig,
) -> Result<(ReviewOutcome, RecordedPlan), PlanError> {
    let (outcome, rec) =
        engine::review(Input::File(plan), baseline.map(Input::File), config, true)?;
    let rec = rec.unwrap_or_default();
    Ok((
        outcome,
        RecordedPlan {
            path: plan.to_path_buf(),
            change_digest: rec.change_digest(),
            rec,
        },
    ))
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
        false,
    )
    .map(|r| r.0)
}

/// A plan reviewed by [`review_and_record`]: its change digest, and the plan as documents
/// for policies.
#[derive(Debug)]
pub struct RecordedPlan {
    path: PathBuf,
    rec: record::Recorder,
    change_digest: String,
}

impl RecordedPlan {
    /// A digest of what the plan would change, the same for two plans of the same change made
    /// at different times: every resource change's address, deposed key, actions, before,
    /// after, after_unknown and replace_paths (in any order), `output_changes`, each root
    /// variable's value (hashed on its own: no value is kept in clear) and the
    /// `configuration` section. Timestamps, the prior state and the engine version are left out.
    pub fn change_digest(&self) -> &str {
        &self.change_digest
    }

    /// The plan as JSON documents for policies. Every document holds the plan's small
    /// sections whole (format and engine version, `variables`, `output_changes`,
    /// `configuration`, `checks`, `timestamp`...) and a slice of at most `max_bytes` of one
    /// large collection: `resource_changes`, `resource_drift`, or the resources of
    /// `planned_values` or `prior_state` (their module tree kept, other members whole); the
    /// other large collections are empty in it. Every element appears in exactly one document.
    /// A plan whose large collections fit in `max_bytes` is one document: the plan as written.
    pub fn documents(&self, max_bytes: u64) -> Result<PlanDocuments<'_>, PlanError> {
        let windows = record::Windows::new(&self.rec, &self.path, max_bytes).map_err(|source| {
            PlanError::Io {
                path: self.path.clone(),
                source,
            }
        })?;
        Ok(PlanDocuments {
            windows,
            path: &self.path,
        })
    }

    /// Number of resource changes recorded.
    pub fn resource_changes(&self) -> usize {
        self.rec.changes.len()
    }
}

/// The documents of [`RecordedPlan::documents`], read from the plan file one at a time.
#[derive(Debug)]
pub struct PlanDocuments<'r> {
    windows: record::Windows<'r>,
    path: &'r Path,
}

impl PlanDocuments<'_> {
    /// Whether the plan is one document (its large collections fit in one window).
    pub fn whole(&self) -> bool {
        self.windows.single()
    }
}

impl Iterator for PlanDocuments<'_> {
    type Item = Result<Vec<u8>, PlanError>;
    fn next(&mut self) -> Option<Self::Item> {
        self.windows.next_window().map(|r| {
            r.map_err(|source| PlanError::Io {
                path: self.path.to_path_buf(),
                source,
            })
        })
    }
}
