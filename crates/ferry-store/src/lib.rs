//! The ledger: the append-only record of releases, plans, approvals and deployments, and the
//! store of the artifacts they name. Promotion decisions are only as good as this record, so
//! every write is one transaction, a deployment is recorded as `running` before the engine starts
//! and finished only with its real outcome, and every row a gate reads is covered by a hash chain
//! (see [`chain`]) that `ferry ledger verify` recomputes.
//!
//! [`Ledger`] and [`ArtifactStore`] are the traits the operations layer codes against;
//! [`SqliteLedger`] and [`DirArtifactStore`] are the embedded implementations. Any other ledger
//! (PostgreSQL for teams) must pass [`conformance`], the same suite the SQLite ledger passes.

pub mod accounts;
pub mod artifacts;
pub mod chain;
pub mod conformance;
mod error;
mod ledger;
mod records;
pub mod sealed;
mod sqlite;

pub use accounts::{Accounts, TokenRecord};
pub use artifacts::{sha256_file, ArtifactKind, ArtifactStore, DirArtifactStore};
pub use chain::{ChainReport, Problem};
pub use error::{Result, StoreError};
pub use ledger::Ledger;
pub use records::*;
pub use sealed::{KeyError, SealedArtifacts, ServerKey};
pub use sqlite::{SqliteLedger, LEDGER_FILE};

/// The SQLite schema migrations, for tests that build an old ledger.
#[doc(hidden)]
pub fn schema_sql() -> &'static [&'static str] {
    sqlite::MIGRATIONS
}
