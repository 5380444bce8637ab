//! Exit codes of the command-line contract. Commands return `anyhow::Error`; a [`Blocked`] inside
//! it means "a gate said no" (exit 3), anything else is an error (exit 1). Usage errors (exit 2)
//! are clap's.

use std::process::ExitCode;

/// A promotion was stopped by a review verdict, a policy deny or an unmet gate.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct Blocked(pub String);

pub const BLOCKED: u8 = 3;

pub fn report(err: &anyhow::Error) -> ExitCode {
    if let Some(blocked) = err.downcast_ref::<Blocked>() {
        eprintln!("blocked: {blocked}");
        return ExitCode::from(BLOCKED);
    }
    eprintln!("error: {err}");
    for cause in err.chain().skip(1) {
        eprintln!("  caused by: {cause}");
    }
    ExitCode::from(1)
}
