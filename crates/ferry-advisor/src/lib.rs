//! ferry's AI advisor. The article's rule is that AI makes a person's yes better informed and
//! never replaces it; this crate is everything ferry needs to ask and nothing that could answer
//! for a person.
//!
//! - [`template`]: the prompt library — versioned templates shipped in the binary (plan review
//!   with the baseline comparison, environment audit, migration safety, rollback readiness),
//!   overridden or extended by a release's `prompts/` directory.
//! - [`fill`]: filling a template from typed inputs (a [`ferry_core::Review`], an audit, a
//!   migration check, a rehearsal), redacted ([`redact`]) and size-bounded with the most
//!   important findings first and a note of what was cut.
//! - [`client`]: an OpenAI-compatible chat-completions client (plain and streamed answers,
//!   bounded retries on 429, typed errors), configured by `[advisor]` ([`config`]).
//! - [`sanitize`]: model text is untrusted; escape sequences and control characters are
//!   removed before it is shown or stored.
//!
//! Nothing here decides anything: the operations layer stores an answer as advice attached to a
//! plan, and no gate reads advice.

pub mod client;
pub mod config;
mod error;
pub mod fill;
mod fill_rollback;
pub mod redact;
pub mod sanitize;
pub mod template;

pub use client::{Answer, Client};
pub use config::{AdvisorConfig, Endpoint};
pub use error::AdvisorError;
pub use fill::{
    fill, AuditInput, Filled, Input, MigrationFinding, MigrationInput, PlanInput, RollbackInput,
};
pub use redact::Redactor;
pub use sanitize::untrusted_text;
pub use template::{InputKind, Library, Source, Template};
