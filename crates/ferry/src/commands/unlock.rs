//! `ferry unlock --env ENV --reason TEXT`: clear a stale environment lock, on the record.

use crate::cli::UnlockArgs;
use crate::output::{print_json, Format};
use crate::session::Session;
use anyhow::Result;
use ferry_store::Ledger;
use std::path::Path;

pub fn run(dir: Option<&Path>, format: Format, args: UnlockArgs) -> Result<()> {
    let session = Session::open(dir)?;
    session.env(&args.env)?;
    let held = session.ledger.force_unlock(&args.env)?;
    let msg = match &held {
        Some(l) => format!(
            "unlocked '{}' (held by {} since {} for {}): {}",
            args.env, l.holder, l.since, l.purpose, args.reason
        ),
        None => format!("'{}' was not locked", args.env),
    };
    if held.is_some() {
        session.event(Some(&args.env), "lock.forced", None, None, msg.clone())?;
    }
    if format == Format::Json {
        return print_json(&serde_json::json!({"env": args.env, "released": held}));
    }
    println!("{msg}");
    Ok(())
}
