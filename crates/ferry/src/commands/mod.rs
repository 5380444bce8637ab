//! One module per command: each parses its arguments into an operation's input, calls
//! `ferry-app`, and renders the view. No command module uses another; shared renderings live in
//! `crate::render`.

mod advise;
mod apply;
mod approve;
mod audit;
mod ci;
mod completions;
mod demo;
mod drift;
mod gc;
mod init;
mod ledger;
mod migrate;
mod plan;
mod policy;
mod promote;
mod prompt;
mod release;
mod review;
mod serve;
mod status;
mod unlock;

use crate::cli::{Cli, Command};
use crate::front::Ctx;
use crate::output::Format;
use anyhow::Result;

/// `--format markdown` only where a markdown rendering exists: a usage error (exit 2) elsewhere.
fn check_format(command: &Command, format: Format) {
    let markdown = matches!(
        command,
        Command::Review(_)
            | Command::Audit(_)
            | Command::Plan(_)
            | Command::Drift(_)
            | Command::Migrate(crate::cli::MigrateCommand::Check { .. })
    );
    if format == Format::Markdown && !markdown {
        use clap::CommandFactory;
        Cli::command()
            .error(
                clap::error::ErrorKind::InvalidValue,
                "--format markdown is available for `review`, `plan`, `drift`, `audit` and `migrate check`; use human or json here",
            )
            .exit();
    }
}

pub fn run(cli: Cli) -> Result<()> {
    check_format(&cli.command, cli.format);
    let ctx = Ctx {
        dir: cli.dir,
        format: cli.format,
        remote: std::cell::Cell::new(false),
    };
    match cli.command {
        Command::Init(args) => init::run(&ctx, args),
        Command::Release(cmd) => release::run(&ctx, cmd),
        Command::Plan(args) => plan::run(&ctx, args),
        Command::Review(args) => review::run(&ctx, args),
        Command::Approve(args) => approve::approve(&ctx, args),
        Command::Reject(args) => approve::reject(&ctx, args),
        Command::Apply(args) => apply::run(&ctx, args),
        Command::Promote(args) => promote::promote(&ctx, args),
        Command::Rollback(args) => promote::rollback(&ctx, args),
        Command::Rehearse(args) => promote::rehearse(&ctx, args),
        Command::Status(args) => status::status(&ctx, args),
        Command::History(args) => status::history(&ctx, args),
        Command::Audit(args) => audit::run(&ctx, args),
        Command::Policy(cmd) => policy::run(&ctx, cmd),
        Command::Demo(args) => demo::run(args),
        Command::Unlock(args) => unlock::run(&ctx, args),
        Command::Gc => gc::run(&ctx),
        Command::Ledger(cmd) => ledger::run(&ctx, cmd),
        Command::Serve(args) => serve::run(&ctx, args),
        Command::Ci(cmd) => ci::run(&ctx, cmd),
        Command::Drift(args) => drift::run(&ctx, args),
        Command::Advise(args) => advise::run(&ctx, args),
        Command::Prompt(cmd) => prompt::run(&ctx, cmd),
        Command::Completions(args) => completions::completions(args),
        Command::Schema => completions::schema(),
        Command::Migrate(cmd) => migrate::run(&ctx, cmd),
    }
}
