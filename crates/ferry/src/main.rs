//! The `ferry` command line: parses arguments, establishes the project and who is acting, calls
//! one operation of `ferry-app`, renders its view (human, JSON or markdown) and maps the outcome
//! to the documented exit codes (0 ok, 1 error, 2 usage, 3 blocked). Decisions live in
//! `ferry-core`, workflows in `ferry-app`; this binary only parses and renders
//! (see docs/architecture.md).

mod cli;
mod commands;
mod comment;
mod exit;
mod front;
mod output;
mod render;
mod signals;

use clap::Parser;
use std::process::ExitCode;

fn main() -> ExitCode {
    let cli = cli::Cli::parse();
    output::init_logging(cli.verbose);
    signals::install();
    let format = cli.format;
    match commands::run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => exit::report(&err, format),
    }
}
