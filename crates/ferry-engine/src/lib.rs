//! Runs the real `terraform` or `tofu` binary (init, plan, show -json, apply) in a work directory,
//! streaming and capturing its output, with timeouts. The only crate that spawns the engine.
//!
//! ferry never re-implements Terraform: it drives the user's engine and keeps everything the
//! engine said, so a ledger row can show exactly what happened. Callers own the work directory
//! (unpacked from a release) and decide what to do with the results; this crate only runs
//! commands and turns their outcome into typed values or [`EngineError`]s.

mod backend;
mod commands;
mod error;
mod locate;
mod options;
mod runner;
mod signal;
mod sink;

pub use backend::{StateBackend, BACKEND_OVERRIDE_FILE};
pub use commands::StateIdentity;
pub use error::EngineError;
pub use locate::{Engine, EngineKind, ENGINE_ENV_VAR};
pub use options::{Progress, RunLog, RunOptions};
pub use runner::INTERRUPT_GRACE;
