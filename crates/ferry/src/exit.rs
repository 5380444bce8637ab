//! Exit codes of the command-line contract, and errors as the person or the JSON reader sees
//! them. `0` ok, `1` error, `2` usage (clap's), `3` blocked (a review verdict, a policy deny, an
//! unmet gate). With `--format json` every failure also writes one JSON document on stdout:
//! `{"error": {"kind", "message", "unmet_gates"}}`, merged into what the operation had got to
//! (e.g. the plan a blocked promote made).

use crate::output::{json, Format};
use ferry_app::AppError;
use std::process::ExitCode;

/// A gate said no after the command already printed its document (a review with verdict block,
/// an audit with kind differences, a policy deny).
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct Blocked(pub String);

/// The command printed its document and then failed (a policy test that failed): exit 1
/// without a second JSON document.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct Failed(pub String);

pub const BLOCKED: u8 = 3;

fn app_error(err: &anyhow::Error) -> Option<&AppError> {
    err.chain().find_map(|e| e.downcast_ref::<AppError>())
}

pub fn report(err: &anyhow::Error, format: Format) -> ExitCode {
    if let Some(b) = err.downcast_ref::<Blocked>() {
        crate::say!("blocked: {b}");
        return ExitCode::from(BLOCKED);
    }
    if let Some(f) = err.downcast_ref::<Failed>() {
        crate::say!("error: {f}");
        return ExitCode::from(1);
    }
    let app = app_error(err);
    let blocked = app.is_some_and(AppError::is_blocked);
    if format == Format::Json {
        let mut doc = app
            .and_then(AppError::context_view)
            .cloned()
            .filter(serde_json::Value::is_object)
            .unwrap_or_else(|| serde_json::json!({}));
        let message = format!("{err:#}");
        doc["error"] = serde_json::json!({
            "kind": app.map_or(if blocked { "blocked" } else { "error" }, AppError::kind),
            "message": message,
            "unmet_gates": app.map(AppError::gates).unwrap_or_default(),
        });
        json(&doc);
    }
    if let Some(signal) = app.and_then(AppError::interrupted_by) {
        crate::say!("{err:#}");
        return ExitCode::from(u8::try_from(128 + signal).unwrap_or(1));
    }
    if blocked {
        crate::say!("blocked: {err}");
        return ExitCode::from(BLOCKED);
    }
    crate::say!("error: {err}");
    for cause in err.chain().skip(1) {
        crate::say!("  caused by: {cause}");
    }
    ExitCode::from(1)
}
