//! The domain core of ferry: the names of things (releases, plans, environments), the shape of
//! `ferry.toml`, the review vocabulary every adapter speaks, and the promotion rules that decide
//! whether a release may enter an environment.
//!
//! It exists so that the rules of promotion can be read and tested without a disk, a database or a
//! Terraform binary: every function here takes plain data and returns plain data. Adapters
//! (engine, store, plan parsing, policy) do the I/O and ask this crate what to do.

pub mod config;
pub mod identity;
pub mod ids;
pub mod promotion;
pub mod review;
pub mod schedule;
mod schema;
pub mod settings;
pub mod state;

pub use config::{Config, ConfigError, EnvironmentConfig};
pub use identity::{Actor, Identity, IdentitySource, People, Person};
pub use ids::{IdError, PlanId, ReleaseId};
pub use review::{Finding, FindingKind, Review, Severity, Summary, Verdict};
pub use schema::config_schema;
