//! ferry-migrate: SQL schema migrations as their own gated step, proven backward-compatible
//! before they run, so an infra rollback never strands the data.
//!
//! ferry-app wires these pieces into `ferry migrate check|status|plan|apply|rehearse`, the
//! environment chain, `migration_approvals` and the rollback guard; this crate does the SQL and
//! the database I/O and decides no promotion rule.
//!
//! - [`check`]: the review — every statement classed `expand`, `lock`, `contract` or
//!   `destructive`, usable on plain files without a project; renderers in [`check::render`].
//! - [`config`]: `[[migration]]` sets and `[environment.databases]` from ferry-core's raw tables.
//! - [`MigrationSet`]: a set as it sits in a release on disk (ordered files, sha256 checksums,
//!   their review, the set digest).
//! - [`status()`] / [`StatusReport::plan`]: the set against the target's `ferry_schema_history`;
//!   the plan's digest is what a migration approval binds to.
//! - [`apply()`]: pending migrations in order, each in its own transaction where PostgreSQL
//!   allows it, under an advisory lock, recorded in the history table.
//! - [`rehearse()`]: the pending migrations on a scratch copy of the schema, then the compat
//!   queries of the deployed release and the rollback target.
//! - [`rollback_readiness()`]: the rollback guard's evidence — does the release a rollback
//!   would deploy predate an applied contract migration, or fail its compat queries now?
//!
//! # Why squawk's parser
//!
//! The review needs PostgreSQL's real grammar, not regexes, and it must build cheaply on two
//! cores. Three candidates were measured on this machine:
//!
//! - `pg_query` (PostgreSQL's own parser via libpg_query) is the reference grammar, but its
//!   build runs bindgen, which needs libclang (absent here: CI would need Debian's
//!   `libclang-dev`), and compiles ~100 C files (~28 s of C on two cores before any Rust),
//!   plus a large generated protobuf AST.
//! - `sqlparser` (pure Rust, 20 s clean build) is a generic SQL parser with a PostgreSQL
//!   dialect; it rejected 4 of 32 everyday migration statements (`DROP INDEX CONCURRENTLY`,
//!   `DO`, `REINDEX`, `CLUSTER`) and stops at the first error.
//! - `squawk-syntax` (pure Rust, 29 s clean build) is the PostgreSQL-only, lossless,
//!   error-tolerant parser that squawk itself lints with. It parsed all 32, reports errors with
//!   byte offsets (so a bad file fails with its line), and its typed syntax tree keeps exact
//!   text ranges, so findings point at the line where a statement starts.
//!
//! ferry uses `squawk-syntax` (pinned to 2.68.0, the newest that builds on Rust 1.95) and
//! writes its own rules on top: squawk's rules answer "is this safe to run", ferry's classes
//! answer "does the previous release still work", which squawk does not model (new tables in
//! the same file, DELETE without WHERE, acknowledged contracts). The corpus test runs the same
//! files through the squawk binary of the same version to keep ferry at least as strict.
//!
//! Database access uses the synchronous `postgres` crate without TLS (see [`DatabaseUrl`]).

pub mod apply;
pub mod check;
pub mod config;
pub mod error;
mod history;
pub mod rehearse;
pub mod render;
pub mod rollback;
pub mod set;
pub mod status;
mod url;

pub use apply::{apply, ApplyOptions, ApplyReport, Selection};
pub use config::{ConfigError, DatabaseConfig, EnvironmentDatabases, MigrationConfig, When};
pub use error::{MigrateError, SetError};
pub use history::HISTORY_TABLE;
pub use rehearse::{rehearse, CompatRelease, RehearsalReport, RehearseOptions, SchemaSource};
pub use rollback::{rollback_readiness, RollbackReadiness};
pub use set::{load_compat, MigrationFile, MigrationSet};
pub use status::{status, MigrationPlan, StatusReport};
pub use url::DatabaseUrl;
