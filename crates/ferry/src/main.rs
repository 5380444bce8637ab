//! The `ferry` command line: parses arguments, finds the project, calls one command, prints its
//! result and maps the outcome to the documented exit codes (0 ok, 1 error, 2 usage, 3 blocked).
//! Decisions live in `ferry-core`; I/O lives in the adapter crates. This binary only wires them.

mod assess;
mod cli;
mod commands;
mod context;
mod exit;
mod gates;
mod output;
mod session;
mod verify;
mod workflow;

use clap::Parser;
use std::process::ExitCode;

fn main() -> ExitCode {
    let cli = cli::Cli::parse();
    output::init_logging(cli.verbose);
    match commands::run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => exit::report(&err),
    }
}
