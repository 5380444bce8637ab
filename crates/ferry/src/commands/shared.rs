//! Lookups several commands share.

use crate::context::Project;
use anyhow::Result;
use std::path::PathBuf;

/// The JSON rendering (`show -json`) of the newest plan stored for `env`, if any.
pub fn stored_plan_json(_project: &Project, _env: &str) -> Result<Option<PathBuf>> {
    Ok(None)
}
