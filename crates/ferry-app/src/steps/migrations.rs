//! The migration sets of a release as ferry-migrate loads them — from the release's own bytes,
//! unpacked and hash-verified, never from the work tree — with the database each one targets in
//! an environment, and the rollback guard's question: would a release a rollback deploys still
//! work against the database as it is now?

use crate::context::App;
use crate::error::{AppError, Result};
use ferry_migrate::{
    CompatRelease, DatabaseConfig, DatabaseUrl, EnvironmentDatabases, MigrationConfig,
    MigrationSet, RehearseOptions,
};
use ferry_store::ReleaseRecord;
use std::path::PathBuf;

/// One `[[migration]]` set of a release, loaded, with its database in one environment.
pub(crate) struct LoadedSet {
    pub set: MigrationSet,
    /// The set's directory inside the release, as ferry.toml names it.
    pub dir: String,
    pub database: DatabaseConfig,
    /// The release's compat queries, when the set names a `compat` directory.
    pub compat: Option<PathBuf>,
}

impl App {
    /// The `[[migration]]` sets of `release`'s ferry.toml and `env`'s databases there.
    pub(crate) fn migration_config(
        &self,
        release: &ReleaseRecord,
        env: &str,
    ) -> Result<(MigrationConfig, EnvironmentDatabases)> {
        let config = self.release_config(&release.id)?;
        let where_ = |e: ferry_migrate::ConfigError| {
            AppError::Invalid(format!("ferry.toml of release {}: {e}", release.id.short()))
        };
        let sets = MigrationConfig::from_tables(&config.migrations).map_err(where_)?;
        let table = config
            .environment(env)
            .map(|e| e.databases.clone())
            .unwrap_or_default();
        let dbs = EnvironmentDatabases::from_table(env, &table).map_err(where_)?;
        Ok((sets, dbs))
    }

    /// Unpacks `release` (verified) into a work dir of its own and loads its migration sets for
    /// `env`: only `only` when given. A set directory missing from the release is an error
    /// naming it.
    pub(crate) fn load_sets(
        &self,
        env: &str,
        release: &ReleaseRecord,
        only: Option<&str>,
    ) -> Result<Vec<LoadedSet>> {
        let (config, dbs) = self.migration_config(release, env)?;
        if let Some(name) = only {
            if config.set(name).is_none() {
                return Err(AppError::NotFound(format!(
                    "release {} has no [[migration]] set '{name}'",
                    release.id.short()
                )));
            }
        }
        let chosen: Vec<_> = config
            .sets
            .iter()
            .filter(|s| only.is_none_or(|n| n == s.name))
            .collect();
        if chosen.is_empty() {
            return Ok(Vec::new());
        }
        let work = self
            .project
            .data_dir
            .join("work")
            .join(format!("migrate-{env}-{}", release.id.short()));
        if work.exists() {
            std::fs::remove_dir_all(&work)
                .map_err(|e| AppError::io(format!("cannot clear {}", work.display()), e))?;
        }
        ferry_store::artifacts::create_private_dir(&work)?;
        self.releases.unpack(&release.id, &work)?;
        let mut out = Vec::new();
        for c in chosen {
            let database = c.database_in(&dbs).map_err(|e| {
                AppError::Invalid(format!("ferry.toml of release {}: {e}", release.id.short()))
            })?;
            let set = MigrationSet::load(&work, c)
                .map_err(|e| AppError::Invalid(format!("release {}: {e}", release.id.short())))?;
            out.push(LoadedSet {
                set,
                dir: c.dir.clone(),
                database: database.clone(),
                compat: c.compat.as_ref().map(|d| work.join(d)),
            });
        }
        Ok(out)
    }

    /// The database URL from its variable (never shown), named by its ferry.toml name.
    pub(crate) fn database_url(&self, db: &DatabaseConfig) -> Result<DatabaseUrl> {
        Ok(db.url(|v| (self.vars)(v))?.with_label(db.name.clone()))
    }

    pub(crate) fn rehearse_options(&self, db: &DatabaseConfig) -> Result<RehearseOptions> {
        Ok(RehearseOptions {
            scratch_server: db.scratch_url(|v| (self.vars)(v))?,
            ..RehearseOptions::default()
        })
    }

    /// Why rolling `env` back to `target` would strand the data: for every set `env` has
    /// applied migrations of (per the ledger), the target predates an applied contract or
    /// destructive migration, or its compat queries fail against the current schema. Empty:
    /// nothing stands in the way. Errors (a URL variable unset, the database unreachable) are
    /// errors: the guard fails closed.
    pub(crate) fn migration_readiness(
        &self,
        env: &str,
        target: &ReleaseRecord,
    ) -> Result<Vec<String>> {
        let runs = self.ledger.migration_runs(Some(env))?;
        let mut sets: Vec<&str> = Vec::new();
        for r in runs.iter().filter(|r| !r.applied.is_empty()) {
            if !sets.contains(&r.set.as_str()) {
                sets.push(&r.set);
            }
        }
        if sets.is_empty() {
            return Ok(Vec::new());
        }
        // The database settings come from the release that applied the set most recently.
        let mut reasons = Vec::new();
        let (target_config, _) = self.migration_config(target, env)?;
        for name in sets {
            let Some(run) = runs.iter().find(|r| r.set == name) else {
                continue;
            };
            let applier = self.release(&run.release)?;
            let (_, dbs) = self.migration_config(&applier, env)?;
            let db = dbs
                .databases
                .iter()
                .find(|d| d.name == run.database)
                .ok_or_else(|| {
                    AppError::Invalid(format!(
                        "release {} no longer names database '{}' for '{env}'; the migration readiness of set '{name}' cannot be checked",
                        applier.id.short(),
                        run.database
                    ))
                })?
                .clone();
            let (set, compat) = if target_config.set(name).is_some() {
                let mut loaded = self.load_sets(env, target, Some(name))?;
                match loaded.pop() {
                    Some(l) => (l.set, l.compat),
                    None => continue,
                }
            } else {
                // The target predates the whole set.
                let set = MigrationSet {
                    name: name.to_string(),
                    dir: PathBuf::new(),
                    files: Vec::new(),
                };
                (set, None)
            };
            let url = self.database_url(&db)?;
            let compat = compat.map(|dir| CompatRelease {
                label: format!("rollback target {}", target.id.short()),
                dir,
            });
            let opts = self.rehearse_options(&db)?;
            let r = ferry_migrate::rollback_readiness(&url, &set, compat.as_ref(), &opts)?;
            reasons.extend(r.reasons());
        }
        Ok(reasons)
    }
}
