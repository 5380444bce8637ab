//! `ferry policy test` and `ferry policy eval`.

use crate::cli::PolicyCommand;
use crate::output::Format;
use anyhow::{bail, Result};
use std::path::Path;

pub fn run(_dir: Option<&Path>, _format: Format, _cmd: PolicyCommand) -> Result<()> {
    bail!("ferry policy is not implemented yet")
}
