//! `ferry ledger verify`: exit 0 with the event count and head hash when the chain holds, exit 3
//! naming the first event that does not match when it does not.

use crate::cli::LedgerCommand;
use crate::exit::Blocked;
use crate::front::Ctx;
use crate::output::{json, line, Format};
use anyhow::Result;

pub fn run(ctx: &Ctx, cmd: LedgerCommand) -> Result<()> {
    match cmd {
        LedgerCommand::Verify(args) => {
            let v = match args.ledger {
                Some(url) => {
                    let ledger = ferry_app::LedgerUrl::parse(&url)?.open(true)?;
                    ferry_app::ops::ledger::verify_ledger(&*ledger)?
                }
                None => ctx.app()?.ledger_verify()?,
            };
            match ctx.format {
                Format::Json => json(&v),
                _ if v.ok => line(format!(
                    "ledger verified: {} event(s), {} row(s) covered, head {}",
                    v.events,
                    v.rows,
                    v.head.as_deref().unwrap_or("(empty)")
                )),
                _ => {
                    line(format!(
                        "ledger does NOT verify: {} problem(s)",
                        v.problems.len()
                    ));
                    for p in &v.problems {
                        match p.event {
                            Some(seq) => line(format!("  event #{seq}: {}", p.message)),
                            None => line(format!("  {}", p.message)),
                        }
                    }
                }
            }
            if let Some(first) = v.first_problem {
                return Err(
                    Blocked(format!("the ledger was changed outside ferry: {first}")).into(),
                );
            }
            Ok(())
        }
    }
}
