//! ferry's operations layer: every operation — release create/list/show/abandon, plan, review,
//! approve, reject, apply, promote, rollback, rehearse, unlock, status, history, audit, policy
//! eval, ledger verify — as a function with typed inputs, an acting [`Claim`], a [`Clock`] and an
//! [`Observer`] for progress, returning a typed view (serializable: the CLI renders it as text or
//! JSON, the server returns it) or a typed [`AppError`].
//!
//! It exists so the command line, the HTTP server and the web pages run one workflow. Nothing
//! here prints, reads stdin or the process environment, or knows about exit codes: front ends
//! parse, establish who is acting, call, and render. Rules live in `ferry-core`; adapters
//! (engine, store, plan review, policy, audit, verification, signatures) do the I/O.
//!
//! Every gate is read from the ferry.toml inside the release being promoted (the work tree may
//! only tighten it), every approval is re-judged at apply (approver list, separation of duties by
//! person, signature where required), and apply re-derives the review and policy from the
//! hash-bound stored plan and refuses a ledger whose hash chain does not verify.
//!
//! See `docs/architecture.md` for the path of one promotion through the crates.

pub mod clock;
pub mod context;
pub mod error;
pub mod ledger_url;
pub mod lock;
pub mod observer;
pub mod ops;
pub mod project;
pub mod remote;
pub mod views;

mod steps;

pub use clock::{Clock, SystemClock};
pub use context::{App, Claim, ReleaseConfigs};
pub use error::{AppError, Result};
pub use ledger_url::LedgerUrl;
pub use observer::{Note, Observer, Silent};
pub use project::{find_root, Project, CONFIG_FILE};
