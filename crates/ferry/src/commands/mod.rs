//! One module per command. Each takes its parsed arguments and returns `Ok(())` or an error whose
//! type decides the exit code (see `exit.rs`).

mod audit;
mod policy;
mod review;
pub mod shared;

use crate::cli::{Cli, Command};
use anyhow::{bail, Result};

pub fn run(cli: Cli) -> Result<()> {
    let dir = cli.dir.as_deref();
    let format = cli.format;
    match cli.command {
        Command::Review(args) => review::run(dir, format, args),
        Command::Audit(args) => audit::run(dir, format, args),
        Command::Policy(cmd) => policy::run(dir, format, cmd),
        other => bail!("`{other:?}` is not implemented yet"),
    }
}
