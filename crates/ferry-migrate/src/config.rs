//! `[[migration]]` sets and each environment's `[environment.databases]`, validated from the
//! raw tables ferry-core keeps. Database URLs never appear in ferry.toml: an environment names
//! the *variable* that holds the URL, and anything that looks like a URL in the file is refused
//! without being echoed.
//!
//! ```toml
//! [[migration]]
//! name = "app"                 # required; letters, digits, '-', '_'
//! dir = "db/migrations"        # required; SQL files in the release, applied in file-name order
//! engine = "postgres"          # the only engine (default)
//! when = "before"              # or "after"; default: expand files before the infra apply,
//!                              # the rest after verification (see `MigrationPlan::split`)
//! compat = "db/compat"         # optional: queries the deployed application runs
//! database = "app"             # optional: which [environment.databases] entry; default the
//!                              # only one, else the entry named like the set
//!
//! [environment.databases]
//! app = { url_env = "PROD_APP_DB_URL", scratch_url_env = "PROD_SCRATCH_DB_URL" }
//! ```
//!
//! `scratch_url_env` (optional) names a server where rehearsal may create its scratch database;
//! by default it uses the environment's own server through `url_env`.

use crate::error::MigrateError;
use crate::url::DatabaseUrl;
use std::path::{Component, Path};

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{key}: {message}")]
pub struct ConfigError {
    /// Where in ferry.toml, e.g. `[[migration]] #2 (app).dir`.
    pub key: String,
    pub message: String,
}

fn err(key: impl Into<String>, message: impl Into<String>) -> ConfigError {
    ConfigError {
        key: key.into(),
        message: message.into(),
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Engine {
    Postgres,
}

/// When a set runs relative to the infra apply of a promotion.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum When {
    /// Expand files before the infra apply, the rest after verification.
    Auto,
    Before,
    After,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MigrationSetConfig {
    pub name: String,
    pub dir: String,
    pub engine: Engine,
    pub when: When,
    pub compat: Option<String>,
    pub database: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct MigrationConfig {
    pub sets: Vec<MigrationSetConfig>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DatabaseConfig {
    pub name: String,
    pub url_env: String,
    pub scratch_url_env: Option<String>,
}

/// One environment's `[environment.databases]`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct EnvironmentDatabases {
    pub environment: String,
    pub databases: Vec<DatabaseConfig>,
}

fn is_name(s: &str) -> bool {
    !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

fn is_env_var(s: &str) -> bool {
    let mut chars = s.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_uppercase() || c == '_')
        && chars.all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_')
}

fn relative_path(key: &str, value: &str) -> Result<String, ConfigError> {
    let path = Path::new(value);
    if value.is_empty()
        || path.is_absolute()
        || path
            .components()
            .any(|c| !matches!(c, Component::Normal(_) | Component::CurDir))
    {
        return Err(err(
            key,
            format!("'{value}' must be a relative path inside the release, without '..'"),
        ));
    }
    Ok(value.trim_end_matches('/').to_string())
}

fn string(key: &str, value: &toml::Value) -> Result<String, ConfigError> {
    value
        .as_str()
        .map(str::to_string)
        .ok_or_else(|| err(key, format!("must be a string, not {}", value.type_str())))
}

impl MigrationConfig {
    /// Validates the `[[migration]]` tables (ferry-core's `Config::migrations`).
    pub fn from_tables(tables: &[toml::Table]) -> Result<MigrationConfig, ConfigError> {
        let mut sets: Vec<MigrationSetConfig> = Vec::new();
        for (i, table) in tables.iter().enumerate() {
            let label = match table.get("name").and_then(|v| v.as_str()) {
                Some(name) => format!("[[migration]] #{} ({name})", i + 1),
                None => format!("[[migration]] #{}", i + 1),
            };
            let key = |k: &str| format!("{label}.{k}");
            let mut name = None;
            let mut dir = None;
            let mut set = MigrationSetConfig {
                name: String::new(),
                dir: String::new(),
                engine: Engine::Postgres,
                when: When::Auto,
                compat: None,
                database: None,
            };
            for (k, v) in table {
                match k.as_str() {
                    "name" => {
                        let n = string(&key(k), v)?;
                        if !is_name(&n) {
                            return Err(err(key(k), "use letters, digits, '-' or '_'"));
                        }
                        name = Some(n);
                    }
                    "dir" => dir = Some(relative_path(&key(k), &string(&key(k), v)?)?),
                    "engine" => match string(&key(k), v)?.as_str() {
                        "postgres" => set.engine = Engine::Postgres,
                        other => {
                            return Err(err(
                                key(k),
                                format!("unknown engine '{other}'; the only one is \"postgres\""),
                            ))
                        }
                    },
                    "when" => {
                        set.when = match string(&key(k), v)?.as_str() {
                            "before" => When::Before,
                            "after" => When::After,
                            other => {
                                return Err(err(
                                    key(k),
                                    format!(
                                        "'{other}': use \"before\" or \"after\" (or leave it out)"
                                    ),
                                ))
                            }
                        }
                    }
                    "compat" => set.compat = Some(relative_path(&key(k), &string(&key(k), v)?)?),
                    "database" => {
                        let d = string(&key(k), v)?;
                        if !is_name(&d) {
                            return Err(err(key(k), "use letters, digits, '-' or '_'"));
                        }
                        set.database = Some(d);
                    }
                    _ => {
                        return Err(err(
                            key(k),
                            "unknown key (known: name, dir, engine, when, compat, database)",
                        ))
                    }
                }
            }
            set.name = name.ok_or_else(|| err(key("name"), "is required"))?;
            set.dir = dir.ok_or_else(|| err(key("dir"), "is required"))?;
            if sets.iter().any(|s| s.name == set.name) {
                return Err(err(
                    key("name"),
                    format!("set '{}' is defined twice", set.name),
                ));
            }
            sets.push(set);
        }
        Ok(MigrationConfig { sets })
    }

    pub fn set(&self, name: &str) -> Option<&MigrationSetConfig> {
        self.sets.iter().find(|s| s.name == name)
    }

    /// Checks that every set resolves to a database in every environment that declares any.
    pub fn check_environments(&self, envs: &[EnvironmentDatabases]) -> Result<(), ConfigError> {
        for env in envs.iter().filter(|e| !e.databases.is_empty()) {
            for set in &self.sets {
                set.database_in(env)?;
            }
        }
        Ok(())
    }
}

impl EnvironmentDatabases {
    /// Validates one environment's raw `databases` table (ferry-core's
    /// `EnvironmentConfig::databases`).
    pub fn from_table(
        environment: &str,
        table: &toml::Table,
    ) -> Result<EnvironmentDatabases, ConfigError> {
        let mut databases = Vec::new();
        for (name, value) in table {
            let key = format!("environment '{environment}' databases.{name}");
            if !is_name(name) {
                return Err(err(
                    key,
                    "use letters, digits, '-' or '_' for database names",
                ));
            }
            let Some(entry) = value.as_table() else {
                // Never echo the value: it may well be the URL itself.
                return Err(err(
                    key,
                    "must be a table like { url_env = \"PROD_APP_DB_URL\" }: the URL goes in \
                     that environment variable, never in ferry.toml",
                ));
            };
            let mut url_env = None;
            let mut scratch_url_env = None;
            for (k, v) in entry {
                let sub = format!("{key}.{k}");
                match k.as_str() {
                    "url_env" | "scratch_url_env" => {
                        let var = v.as_str().filter(|s| is_env_var(s)).ok_or_else(|| {
                            err(
                                &sub,
                                "must be the name of an environment variable (A-Z, 0-9, '_')",
                            )
                        })?;
                        if k == "url_env" {
                            url_env = Some(var.to_string());
                        } else {
                            scratch_url_env = Some(var.to_string());
                        }
                    }
                    "url" | "password" | "scratch_url" => {
                        return Err(err(
                            sub,
                            "URLs and passwords never go in ferry.toml; put the URL in an \
                             environment variable and name it with url_env",
                        ))
                    }
                    _ => return Err(err(sub, "unknown key (known: url_env, scratch_url_env)")),
                }
            }
            databases.push(DatabaseConfig {
                name: name.clone(),
                url_env: url_env.ok_or_else(|| err(format!("{key}.url_env"), "is required"))?,
                scratch_url_env,
            });
        }
        Ok(EnvironmentDatabases {
            environment: environment.to_string(),
            databases,
        })
    }
}

impl MigrationSetConfig {
    /// The database this set migrates in `env`: `database` when given, else the only one, else
    /// the one named like the set.
    pub fn database_in<'e>(
        &self,
        env: &'e EnvironmentDatabases,
    ) -> Result<&'e DatabaseConfig, ConfigError> {
        let key = format!("[[migration]] ({}).database", self.name);
        let names = || {
            env.databases
                .iter()
                .map(|d| d.name.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        };
        if env.databases.is_empty() {
            return Err(err(
                key,
                format!(
                    "environment '{}' has no [environment.databases]; add one naming the URL's \
                     variable, e.g. app = {{ url_env = \"DB_URL\" }}",
                    env.environment
                ),
            ));
        }
        let wanted = match &self.database {
            Some(d) => d.as_str(),
            None if env.databases.len() == 1 => return Ok(&env.databases[0]),
            None => self.name.as_str(),
        };
        env.databases
            .iter()
            .find(|d| d.name == wanted)
            .ok_or_else(|| {
                err(
                    key,
                    format!(
                        "environment '{}' has no database '{wanted}' (it has: {}); set `database`",
                        env.environment,
                        names()
                    ),
                )
            })
    }
}

impl DatabaseConfig {
    /// The URL from `url_env`, looked up with `lookup` (normally `std::env::var`). An unset or
    /// empty variable is an error naming the variable, never the value.
    pub fn url(
        &self,
        lookup: impl Fn(&str) -> Option<String>,
    ) -> Result<DatabaseUrl, MigrateError> {
        resolve(&self.name, &self.url_env, lookup)
    }

    /// The scratch server's URL when `scratch_url_env` is set.
    pub fn scratch_url(
        &self,
        lookup: impl Fn(&str) -> Option<String>,
    ) -> Result<Option<DatabaseUrl>, MigrateError> {
        self.scratch_url_env
            .as_deref()
            .map(|var| resolve(&self.name, var, lookup))
            .transpose()
    }
}

fn resolve(
    database: &str,
    var: &str,
    lookup: impl Fn(&str) -> Option<String>,
) -> Result<DatabaseUrl, MigrateError> {
    match lookup(var).filter(|v| !v.trim().is_empty()) {
        Some(url) => DatabaseUrl::new(url),
        None => Err(MigrateError::UrlUnset {
            database: database.to_string(),
            var: var.to_string(),
        }),
    }
}
