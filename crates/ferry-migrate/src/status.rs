//! `ferry migrate status` and `plan`: the set compared with the target database's history.

use crate::check::Class;
use crate::config::When;
use crate::error::MigrateError;
use crate::history::{self, HistoryRow};
use crate::set::{digest_of, MigrationSet};
use crate::url::DatabaseUrl;
use serde::Serialize;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "state", rename_all = "lowercase")]
pub enum MigrationState {
    Applied {
        applied_at: String,
        applied_by: String,
        release: Option<String>,
    },
    /// Not applied yet; `last_failure` holds the error of the latest failed attempt, if any.
    Pending { last_failure: Option<String> },
    /// Applied with another checksum: refused until the file is restored.
    Changed { applied_checksum: String },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MigrationStatus {
    pub name: String,
    pub checksum: String,
    pub class: Class,
    pub transactional: bool,
    #[serde(flatten)]
    pub state: MigrationState,
}

/// A migration the database has applied that the set does not contain: the release is older
/// than the database's schema (or the file was renamed).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct UnknownMigration {
    pub name: String,
    pub checksum: String,
    /// Its class as recorded when it was applied.
    pub class: Option<Class>,
    pub applied_at: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StatusReport {
    pub set: String,
    pub database: String,
    pub set_digest: String,
    pub migrations: Vec<MigrationStatus>,
    pub unknown: Vec<UnknownMigration>,
}

impl StatusReport {
    pub fn pending(&self) -> impl Iterator<Item = &MigrationStatus> {
        self.migrations
            .iter()
            .filter(|m| matches!(m.state, MigrationState::Pending { .. }))
    }

    pub fn applied(&self) -> impl Iterator<Item = &MigrationStatus> {
        self.migrations
            .iter()
            .filter(|m| matches!(m.state, MigrationState::Applied { .. }))
    }

    /// The first changed migration as the error `apply` refuses with.
    pub fn refusal(&self) -> Option<MigrateError> {
        self.migrations.iter().find_map(|m| match &m.state {
            MigrationState::Changed { applied_checksum } => Some(MigrateError::Changed {
                set: self.set.clone(),
                name: m.name.clone(),
                applied: applied_checksum.clone(),
                file: m.checksum.clone(),
            }),
            _ => None,
        })
    }

    /// Everything applied, nothing changed, nothing unknown.
    pub fn is_clean(&self) -> bool {
        self.migrations
            .iter()
            .all(|m| matches!(m.state, MigrationState::Applied { .. }))
            && self.unknown.is_empty()
    }

    /// The pending migrations in order: what `apply` would run.
    pub fn plan(&self) -> MigrationPlan {
        let pending: Vec<PlannedMigration> = self
            .pending()
            .map(|m| PlannedMigration {
                name: m.name.clone(),
                checksum: m.checksum.clone(),
                class: m.class,
                transactional: m.transactional,
            })
            .collect();
        MigrationPlan {
            set: self.set.clone(),
            digest: digest_of(
                &self.set,
                pending
                    .iter()
                    .map(|p| (p.name.as_str(), p.checksum.as_str())),
            ),
            pending,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PlannedMigration {
    pub name: String,
    pub checksum: String,
    pub class: Class,
    pub transactional: bool,
}

/// The pending migrations of a set against one database, and their digest — what
/// `migration_approvals` bind to (the same files in the same order, byte for byte).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MigrationPlan {
    pub set: String,
    pub digest: String,
    pub pending: Vec<PlannedMigration>,
}

/// Which part of a plan to apply around the infra apply.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    All,
    /// Before the infra apply.
    Before,
    /// After the infra apply is verified.
    After,
}

impl MigrationPlan {
    /// How many leading pending migrations run before the infra apply: all for `before`, none
    /// for `after`; for the default, the leading files that keep the previous release working
    /// (expand or lock), stopping at the first contract or destructive one so order holds.
    pub fn before_count(&self, when: When) -> usize {
        match when {
            When::Before => self.pending.len(),
            When::After => 0,
            When::Auto => self
                .pending
                .iter()
                .take_while(|p| p.class <= Class::Lock)
                .count(),
        }
    }

    pub fn requires_approval_of_contract(&self) -> bool {
        self.pending.iter().any(|p| p.class >= Class::Contract)
    }
}

/// Compares `set` with the history in `url`'s database (creating the table if missing).
pub fn status(url: &DatabaseUrl, set: &MigrationSet) -> Result<StatusReport, MigrateError> {
    let mut client = url.connect()?;
    status_with(&mut client, url, set)
}

pub(crate) fn status_with(
    client: &mut postgres::Client,
    url: &DatabaseUrl,
    set: &MigrationSet,
) -> Result<StatusReport, MigrateError> {
    history::ensure_table(client, url)?;
    let rows = history::rows(client, url, &set.name)?;
    Ok(compare(url.label(), set, &rows))
}

fn compare(database: &str, set: &MigrationSet, rows: &[HistoryRow]) -> StatusReport {
    let migrations = set
        .files
        .iter()
        .map(|f| {
            let applied = rows.iter().rev().find(|r| r.success && r.name == f.name);
            let state = match applied {
                Some(r) if r.checksum != f.checksum => MigrationState::Changed {
                    applied_checksum: r.checksum.clone(),
                },
                Some(r) => MigrationState::Applied {
                    applied_at: r.applied_at.clone(),
                    applied_by: r.applied_by.clone(),
                    release: r.release.clone(),
                },
                None => MigrationState::Pending {
                    last_failure: rows
                        .iter()
                        .rev()
                        .find(|r| !r.success && r.name == f.name)
                        .and_then(|r| r.error.clone()),
                },
            };
            MigrationStatus {
                name: f.name.clone(),
                checksum: f.checksum.clone(),
                class: f.class(),
                transactional: f.transactional(),
                state,
            }
        })
        .collect();
    let mut unknown: Vec<UnknownMigration> = Vec::new();
    for r in rows.iter().filter(|r| r.success) {
        if set.file(&r.name).is_none() && !unknown.iter().any(|u| u.name == r.name) {
            unknown.push(UnknownMigration {
                name: r.name.clone(),
                checksum: r.checksum.clone(),
                class: r.class.as_deref().and_then(Class::parse),
                applied_at: r.applied_at.clone(),
            });
        }
    }
    StatusReport {
        set: set.name.clone(),
        database: database.to_string(),
        set_digest: set.digest(),
        migrations,
        unknown,
    }
}
