//! One module per command. Each takes its parsed arguments and returns `Ok(())` or an error whose
//! type decides the exit code (see `exit.rs`).

mod apply;
mod approve;
mod audit;
mod demo;
mod init;
mod plan;
mod policy;
mod promote;
mod rehearse;
mod release;
mod report;
mod review;
pub mod shared;
mod status;
mod unlock;

use crate::cli::{Cli, Command};
use anyhow::Result;

pub fn run(cli: Cli) -> Result<()> {
    let dir = cli.dir.as_deref();
    let format = cli.format;
    match cli.command {
        Command::Init(args) => init::run(dir, format, args),
        Command::Release(cmd) => release::run(dir, format, cmd),
        Command::Plan(args) => plan::run(dir, format, args),
        Command::Review(args) => review::run(dir, format, args),
        Command::Approve(args) => approve::approve(dir, format, args),
        Command::Reject(args) => approve::reject(dir, format, args),
        Command::Apply(args) => apply::run(dir, format, args),
        Command::Promote(args) => promote::run(dir, format, args),
        Command::Status(args) => status::status(dir, format, args),
        Command::History(args) => status::history(dir, format, args),
        Command::Audit(args) => audit::run(dir, format, args),
        Command::Policy(cmd) => policy::run(dir, format, cmd),
        Command::Demo(args) => demo::run(format, args),
        Command::Rollback(args) => promote::rollback(dir, format, args),
        Command::Rehearse(args) => rehearse::run(dir, format, args),
        Command::Unlock(args) => unlock::run(dir, format, args),
    }
}
