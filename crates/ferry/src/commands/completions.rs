//! `ferry completions SHELL` and `ferry schema`: what a CLI user wires into a shell and an
//! editor. Both print to stdout and need no project.

use crate::cli::{Cli, CompletionsArgs};
use crate::output::{out, stream};
use anyhow::Result;
use clap::CommandFactory;

pub fn completions(args: CompletionsArgs) -> Result<()> {
    let mut cmd = Cli::command();
    stream(|w| {
        clap_complete::generate(args.shell, &mut cmd, "ferry", w);
        Ok(())
    });
    Ok(())
}

pub fn schema() -> Result<()> {
    let mut text = serde_json::to_string_pretty(&ferry_core::config_schema())?;
    text.push('\n');
    out(&text);
    Ok(())
}
