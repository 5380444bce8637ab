//! Runs the real `terraform` or `tofu` binary (init, plan, show -json, apply) in a work directory,
//! streaming and capturing its output, with timeouts. The only crate that spawns the engine.
//!
//! ferry never re-implements Terraform: it drives the user's engine and keeps everything the
//! engine said, so a ledger row can show exactly what happened. Callers own the work directory
//! (unpacked from a release) and decide what to do with the results; this crate only runs
//! commands and turns their outcome into typed values or [`EngineError`]s.
//!
//! ```no_run
//! # use std::path::{Path, PathBuf};
//! # use ferry_engine::*;
//! # fn main() -> Result<(), EngineError> {
//! let engine = Engine::locate(Some("terraform"))?;
//! let opts = RunOptions {
//!     env: vec![("TF_VAR_sim_root".into(), "/abs/sim".into())],
//!     ..RunOptions::new("dev")
//! };
//! let work = Path::new("/tmp/work/dev");
//! let state = StateBackend::Local { path: PathBuf::from("/repo/.ferry/state/dev/terraform.tfstate") };
//! engine.init(work, &state, &opts)?;
//! let before = engine.state_identity(work, &opts)?;
//! engine.plan(work, &[PathBuf::from("environments/dev.tfvars")], Path::new("/tmp/dev.tfplan"), &opts)?;
//! let plan_json = engine.show_json(work, Path::new("/tmp/dev.tfplan"), &opts)?;
//! // later, possibly in a fresh copy of the same files:
//! engine.init(work, &state, &opts)?;
//! assert_eq!(engine.state_identity(work, &opts)?, before); // refuse the apply otherwise
//! engine.apply(work, Path::new("/tmp/dev.tfplan"), &opts)?;
//! # let _ = plan_json; Ok(()) }
//! ```

mod backend;
mod cancel;
mod commands;
mod error;
mod guard;
mod locate;
mod options;
mod redact;
mod runner;
mod sink;
mod version_cache;

pub use backend::{local_state_resources, StateBackend, BACKEND_OVERRIDE_FILE};
pub use cancel::{signal_name, Cancel, CancelGuard};
pub use commands::{init_key, init_once_at, StateIdentity, INIT_MARKER};
pub use error::EngineError;
pub use locate::{Engine, EngineInfo, EngineKind, ENGINE_ENV_VAR};
pub use options::{LineObserver, Progress, RunLog, RunOptions};
pub use redact::{inherited_env, user_plugin_cache, var_from_environment, Redactor, REDACTED};
pub use runner::INTERRUPT_GRACE;
