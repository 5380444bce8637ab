//! A database URL as a secret: parsed once, never displayed, and scrubbed from every message
//! that leaves this crate. Connections use the parsed form so the URL is never rebuilt as text,
//! and client tools (`pg_dump`, `psql`) get it through `PG*` environment variables, never argv
//! (which other users can read in /proc).

use crate::error::MigrateError;
use postgres::config::Host;
use std::str::FromStr;
use std::time::Duration;

const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

#[derive(Clone)]
pub struct DatabaseUrl {
    raw: String,
    config: postgres::Config,
    /// How messages name this database: its ferry.toml name, never its address.
    label: String,
}

impl std::fmt::Debug for DatabaseUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "DatabaseUrl({}, <redacted>)", self.label)
    }
}

impl DatabaseUrl {
    /// Parses a `postgres://` URL or a `key=value` connection string.
    pub fn new(raw: String) -> Result<DatabaseUrl, MigrateError> {
        let mut config =
            postgres::Config::from_str(&raw).map_err(|e| MigrateError::InvalidUrl {
                message: scrub(&e.to_string(), &raw, None),
            })?;
        if config.get_connect_timeout().is_none() {
            config.connect_timeout(DEFAULT_CONNECT_TIMEOUT);
        }
        config.application_name("ferry migrate");
        Ok(DatabaseUrl {
            raw,
            config,
            label: "database".into(),
        })
    }

    /// Names the database in messages (its `[environment.databases]` key).
    pub fn with_label(mut self, label: impl Into<String>) -> DatabaseUrl {
        self.label = label.into();
        self
    }

    pub fn label(&self) -> &str {
        &self.label
    }

    /// The database name the URL connects to.
    pub fn dbname(&self) -> Option<&str> {
        self.config.get_dbname()
    }

    /// The same server and credentials on another database.
    pub(crate) fn on_database(&self, dbname: &str) -> DatabaseUrl {
        let mut config = self.config.clone();
        config.dbname(dbname);
        DatabaseUrl {
            raw: self.raw.clone(),
            config,
            label: format!("{} (scratch)", self.label),
        }
    }

    pub(crate) fn connect(&self) -> Result<postgres::Client, MigrateError> {
        self.config
            .connect(postgres::NoTls)
            .map_err(|e| MigrateError::Unreachable {
                database: self.label.clone(),
                message: self.scrub(&connect_message(&e)),
            })
    }

    /// Removes the URL and the password from `text`.
    pub fn scrub(&self, text: &str) -> String {
        let password = self
            .config
            .get_password()
            .map(|p| String::from_utf8_lossy(p).into_owned());
        scrub(text, &self.raw, password.as_deref())
    }

    /// `PGHOST`, `PGPORT`, `PGUSER`, `PGPASSWORD`, `PGDATABASE` for client tools.
    pub(crate) fn pg_env(&self) -> Vec<(&'static str, String)> {
        let mut env = Vec::new();
        let hosts: Vec<String> = self
            .config
            .get_hosts()
            .iter()
            .map(|h| match h {
                Host::Tcp(name) => name.clone(),
                Host::Unix(path) => path.display().to_string(),
            })
            .collect();
        if !hosts.is_empty() {
            env.push(("PGHOST", hosts.join(",")));
        }
        let ports = self.config.get_ports();
        if !ports.is_empty() {
            let ports: Vec<String> = ports.iter().map(u16::to_string).collect();
            env.push(("PGPORT", ports.join(",")));
        }
        if let Some(user) = self.config.get_user() {
            env.push(("PGUSER", user.to_string()));
        }
        if let Some(p) = self.config.get_password() {
            env.push(("PGPASSWORD", String::from_utf8_lossy(p).into_owned()));
        }
        if let Some(db) = self.config.get_dbname() {
            env.push(("PGDATABASE", db.to_string()));
        }
        env.push(("PGCONNECT_TIMEOUT", "10".to_string()));
        env
    }
}

/// A connect error in words: tokio-postgres's Display of a server error is just "db error".
fn connect_message(e: &postgres::Error) -> String {
    match e.as_db_error() {
        Some(db) => db.message().to_string(),
        None => {
            let text = e.to_string();
            if text.contains("TLS") {
                format!("{text}: ferry connects without TLS; use sslmode=disable or prefer")
            } else {
                text
            }
        }
    }
}

fn scrub(text: &str, raw: &str, password: Option<&str>) -> String {
    let mut out = text.to_string();
    if !raw.is_empty() {
        out = out.replace(raw, "<database URL>");
    }
    if let Some(p) = password.filter(|p| !p.is_empty()) {
        out = out.replace(p, "***");
    }
    out
}
