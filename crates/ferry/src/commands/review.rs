//! `ferry review PLAN.json [--baseline LOWER.json]` and `ferry review --env ENV`.

use crate::cli::ReviewArgs;
use crate::output::Format;
use anyhow::{bail, Result};
use std::path::Path;

pub fn run(_dir: Option<&Path>, _format: Format, _args: ReviewArgs) -> Result<()> {
    bail!("ferry review is not implemented yet")
}
