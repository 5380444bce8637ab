//! The rollback guard's evidence: would the release a rollback deploys still work against the
//! database as it is now? It would not when the database has applied a contract (or
//! destructive) migration that the release predates, or when the release's compat queries fail
//! against a copy of the current schema. ferry-app turns a `block` into a refused rollback.

use crate::check::{Class, Verdict};
use crate::error::MigrateError;
use crate::rehearse::{rehearse_inner, CompatRelease, RehearsalFinding, RehearseOptions};
use crate::set::MigrationSet;
use crate::status::{self, UnknownMigration};
use crate::url::DatabaseUrl;
use serde::Serialize;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RollbackReadiness {
    pub set: String,
    pub database: String,
    /// `block` when the target release must not be rolled back to.
    pub verdict: Verdict,
    /// Applied migrations the target release does not contain that are contract or destructive
    /// (or of no recorded class, which counts as contract): the release predates them.
    pub predates: Vec<UnknownMigration>,
    /// The target release's compat queries that fail against the current schema.
    pub findings: Vec<RehearsalFinding>,
}

impl RollbackReadiness {
    /// One sentence per reason, for the refusal message and the approval page.
    pub fn reasons(&self) -> Vec<String> {
        let mut out: Vec<String> = self
            .predates
            .iter()
            .map(|m| {
                format!(
                    "the database has applied {} migration {} (set '{}'), which the release predates",
                    m.class.map_or("an unclassified", Class::as_str),
                    m.name,
                    self.set
                )
            })
            .collect();
        out.extend(self.findings.iter().map(|f| match &f.query {
            Some(q) => format!(
                "its query {}:{} fails against the current schema: {}",
                q.file,
                q.line,
                f.message
                    .strip_prefix(crate::rehearse::ALREADY_BROKEN)
                    .unwrap_or(&f.message)
            ),
            None => f.message.clone(),
        }));
        out
    }
}

/// Judges a rollback to the release whose migration set is `target_set` (and whose compat
/// queries are `target_compat`, when it ships any) against `url`'s database.
pub fn rollback_readiness(
    url: &DatabaseUrl,
    target_set: &MigrationSet,
    target_compat: Option<&CompatRelease>,
    opts: &RehearseOptions,
) -> Result<RollbackReadiness, MigrateError> {
    let status = status::status(url, target_set)?;
    if let Some(refusal) = status.refusal() {
        return Err(refusal);
    }
    let predates: Vec<UnknownMigration> = status
        .unknown
        .iter()
        .filter(|m| m.class.is_none_or(|c| c >= Class::Contract))
        .cloned()
        .collect();
    let findings = match target_compat {
        Some(compat) => {
            rehearse_inner(url, target_set, std::slice::from_ref(compat), opts, false)?.findings
        }
        None => Vec::new(),
    };
    let verdict = if predates.is_empty() && findings.is_empty() {
        Verdict::Pass
    } else {
        Verdict::Block
    };
    Ok(RollbackReadiness {
        set: target_set.name.clone(),
        database: url.label().to_string(),
        verdict,
        predates,
        findings,
    })
}
