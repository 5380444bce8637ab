//! Lookups several commands share.

use crate::context::Project;
use anyhow::Result;
use ferry_store::{Ledger, SqliteLedger};
use std::path::PathBuf;

/// The JSON rendering (`show -json`) of the newest plan stored for `env`, if any. Reads the
/// ledger only when one exists, so auditing a fresh checkout creates nothing.
pub fn stored_plan_json(project: &Project, env: &str) -> Result<Option<PathBuf>> {
    if !project.data_dir.join("ledger.db").is_file() {
        return Ok(None);
    }
    let ledger = SqliteLedger::open(&project.data_dir)?;
    Ok(ledger
        .latest_plan(env)?
        .map(|p| {
            project
                .data_dir
                .join("plans")
                .join(p.id.hex())
                .join("plan.json")
        })
        .filter(|p| p.is_file()))
}
