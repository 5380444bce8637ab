//! `ferry demo`.
use crate::cli::DemoArgs;
use crate::output::Format;
pub fn run(_f: Format, _a: DemoArgs) -> anyhow::Result<()> { anyhow::bail!("demo not ready") }
