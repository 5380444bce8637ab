//! Builds, stores and verifies releases: deterministic, content-addressed bundles of the committed
//! IaC tree, read from git, verified by hash on every use.
//!
//! A release must be the same bytes in every environment, so everything here is arranged so that
//! the bytes depend only on the committed content: the tree is read from git objects (not the work
//! tree), entries are sorted and carry no timestamps or owners, and the id is the hash of the
//! uncompressed canonical tar (compression settings can change without changing ids).

mod bundle;
mod error;
mod git;
mod manifest;
mod paths;
mod store;
mod tree;
mod unpack;

pub use error::ReleaseError;
pub use ferry_core::ReleaseId;
pub use manifest::{Manifest, FORMAT, MANIFEST_NAME};
pub use store::{BuiltRelease, ReleaseStore};
