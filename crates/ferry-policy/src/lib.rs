//! Policy as code: built-in rules configured in ferry.toml and Rego policies (conftest-compatible,
//! via regorus) evaluated on every plan, failing closed.
//!
//! # Use
//!
//! ```no_run
//! use ferry_policy::{BuiltinConfig, FerryContext, PolicyOptions, PolicySet, PolicyReport};
//! # fn main() -> Result<(), ferry_policy::PolicyError> {
//! let table = toml::Table::new(); // ferry_core::Config.policy
//! let builtin = BuiltinConfig::from_table(&table, Some("prod"))?;
//! let opts = PolicyOptions::from_table(&table, Some("prod"))?;
//! let plan: serde_json::Value = serde_json::json!({"resource_changes": []});
//! let report = match PolicySet::load(Some(std::path::Path::new("policy")), &builtin, &opts) {
//!     Ok(set) => set.evaluate(&plan, &FerryContext::new("prod")),
//!     Err(e) => PolicyReport::from_error(&e), // fail closed: an unloadable policy set denies
//! };
//! assert!(report.passed());
//! # Ok(()) }
//! ```
//!
//! # One pass for promotion
//!
//! [`assess_plan`] reviews a plan file, evaluates the policies and computes its change digest
//! in one streaming pass; see [`assess`](crate::assess_plan) for what `input` holds on very
//! large plans.
//!
//! # Rules
//!
//! * Rego: every `*.rego` file under the policy directory except `*_test.rego` and the `tests/`
//!   directory. Each file may be Rego v1 or v0 (detected per file). Rules named `deny`,
//!   `violation`, `warn` or `deny_*`, `violation_*`, `warn_*` in the selected packages (default
//!   `main`) yield messages: strings, or objects with `msg`. `input` is the plan JSON as the engine
//!   printed it; `data.ferry` is [`FerryContext`]; `*.json` files in the directory are merged into
//!   `data`.
//! * Built-in: see [`config`] for the `[policy]` keys.
//! * Fail closed: a file that does not parse or compile, a bad data file, an evaluation error or a
//!   rule exceeding [`PolicyOptions::timeout`] each yield a deny naming the file, line and rule.
//!   A missing directory is an error when [`PolicyOptions::require_dir`] is set.
//!
//! # Tests
//!
//! [`run_tests`] runs Rego `test_*` rules and fixture pairs `tests/<name>.plan.json` +
//! `tests/<name>.expect.json` (see [`testing`]).

mod assess;
mod builtin;
pub mod config;
mod context;
mod error;
mod glob;
mod rego;
mod report;
mod set;
pub mod testing;

pub use assess::{assess_plan, Assessment, DOCUMENT_BYTES};
pub use config::{BuiltinConfig, PolicyConfig, PolicyOptions};
pub use context::FerryContext;
pub use error::PolicyError;
pub use report::{Level, PolicyReport, PolicyResult};
pub use set::{resolve_dir, PolicySet};
pub use testing::{run_tests, TestOutcome, TestReport};
