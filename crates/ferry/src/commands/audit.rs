//! `ferry audit`.

use crate::cli::AuditArgs;
use crate::output::Format;
use anyhow::{bail, Result};
use std::path::Path;

pub fn run(_dir: Option<&Path>, _format: Format, _args: AuditArgs) -> Result<()> {
    bail!("ferry audit is not implemented yet")
}
