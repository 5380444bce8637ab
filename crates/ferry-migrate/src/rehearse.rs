//! `ferry migrate rehearse`: proof instead of opinion. On a scratch database holding the
//! target's current schema (`pg_dump --schema-only`, or the applied migrations replayed), apply
//! the pending migrations one at a time and, after each, run the compat queries of the given
//! releases (the one deployed, the rollback target) inside transactions that are rolled back.
//! A query that fails names the migration after which it broke. The scratch database is dropped
//! afterwards, also when anything fails.

use crate::apply::run_file;
use crate::check::Verdict;
use crate::error::MigrateError;
use crate::history::{db_error, pg_message};
use crate::set::{load_compat, CompatQuery, MigrationSet};
use crate::status;
use crate::url::DatabaseUrl;
use serde::Serialize;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum SchemaSource {
    /// `pg_dump --schema-only` of the target, loaded with `psql`.
    PgDump,
    /// The set's migrations the target has applied, replayed on an empty database.
    Replay,
}

/// The compat queries of one release.
#[derive(Debug, Clone)]
pub struct CompatRelease {
    /// How findings name it, e.g. "deployed release sha256:…" or "rollback target sha256:…".
    pub label: String,
    /// The release's compat directory on disk.
    pub dir: PathBuf,
}

#[derive(Debug, Clone)]
pub struct RehearseOptions {
    pub source: SchemaSource,
    /// Where to create the scratch database; default the target's own server.
    pub scratch_server: Option<DatabaseUrl>,
    /// Directory with `pg_dump` and `psql`; default PATH.
    pub client_bin: Option<PathBuf>,
    /// `statement_timeout` for each compat query.
    pub query_timeout: Duration,
}

impl Default for RehearseOptions {
    fn default() -> Self {
        RehearseOptions {
            source: SchemaSource::PgDump,
            scratch_server: None,
            client_bin: None,
            query_timeout: Duration::from_secs(30),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct QueryRef {
    pub file: String,
    pub line: usize,
    pub statement: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RehearsalFinding {
    /// The migration after which the failure appeared (none: before any migration).
    pub migration: Option<String>,
    /// The release whose query failed (none: the migration itself failed).
    pub release: Option<String>,
    pub query: Option<QueryRef>,
    pub message: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RehearsalReport {
    pub set: String,
    pub database: String,
    /// `pass`, or `block` when anything failed.
    pub verdict: Verdict,
    pub source: SchemaSource,
    /// Digest of the pending migrations rehearsed (compare with the plan being approved).
    pub plan_digest: String,
    /// The scratch database used (and dropped), for logs.
    pub scratch_database: String,
    pub migrations: Vec<String>,
    pub queries: usize,
    pub findings: Vec<RehearsalFinding>,
}

/// Prefix of a finding for a query that fails before any migration ran.
pub(crate) const ALREADY_BROKEN: &str = "fails against the current schema already: ";

static SCRATCH_COUNTER: AtomicU32 = AtomicU32::new(0);

/// Rehearses the pending migrations of `set` against a copy of `target`'s schema.
pub fn rehearse(
    target: &DatabaseUrl,
    set: &MigrationSet,
    compat: &[CompatRelease],
    opts: &RehearseOptions,
) -> Result<RehearsalReport, MigrateError> {
    rehearse_inner(target, set, compat, opts, true)
}

/// With `apply_pending` false only the compat queries run, against the current schema: the
/// rollback guard's question.
pub(crate) fn rehearse_inner(
    target: &DatabaseUrl,
    set: &MigrationSet,
    compat: &[CompatRelease],
    opts: &RehearseOptions,
    apply_pending: bool,
) -> Result<RehearsalReport, MigrateError> {
    let status = status::status(target, set)?;
    if let Some(refusal) = status.refusal() {
        return Err(refusal);
    }
    let mut queries: Vec<(String, CompatQuery)> = Vec::new();
    for release in compat {
        for q in load_compat(&release.dir)? {
            queries.push((release.label.clone(), q));
        }
    }
    let server = opts.scratch_server.as_ref().unwrap_or(target);
    // Unique across processes and hosts sharing one server: pid, time and a counter.
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    let name = format!(
        "ferry_rehearse_{}_{nanos}_{}",
        std::process::id(),
        SCRATCH_COUNTER.fetch_add(1, Ordering::Relaxed)
    );
    let mut admin = server.connect()?;
    admin
        .batch_execute(&format!("CREATE DATABASE {name}"))
        .map_err(|e| {
            let mut err = db_error(server, "creating the scratch database", &e);
            if let MigrateError::Database { message, .. } = &mut err {
                message.push_str(
                    " (rehearsal needs a role that may CREATE DATABASE there; see scratch_url_env)",
                );
            }
            err
        })?;
    let scratch = server.on_database(&name);
    let result = rehearse_on(
        target,
        &scratch,
        set,
        &status,
        &queries,
        opts,
        apply_pending,
    );
    let dropped = admin
        .batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        .map_err(|e| db_error(server, &format!("dropping scratch database {name}"), &e));
    let report = result?;
    dropped?;
    Ok(report)
}

fn rehearse_on(
    target: &DatabaseUrl,
    scratch: &DatabaseUrl,
    set: &MigrationSet,
    status: &status::StatusReport,
    queries: &[(String, CompatQuery)],
    opts: &RehearseOptions,
    apply_pending: bool,
) -> Result<RehearsalReport, MigrateError> {
    let mut plan = status.plan();
    if !apply_pending {
        plan.pending.clear();
    }
    let mut report = RehearsalReport {
        set: set.name.clone(),
        database: target.label().to_string(),
        verdict: Verdict::Pass,
        source: opts.source,
        plan_digest: plan.digest.clone(),
        scratch_database: scratch.dbname().unwrap_or("").to_string(),
        migrations: plan.pending.iter().map(|p| p.name.clone()).collect(),
        queries: queries.len(),
        findings: Vec::new(),
    };
    if opts.source == SchemaSource::PgDump {
        copy_schema(target, scratch, opts.client_bin.as_deref())?;
    }
    let mut client = scratch.connect()?;
    if opts.source == SchemaSource::Replay {
        for applied in status.applied() {
            let Some(file) = set.file(&applied.name) else {
                continue;
            };
            if let Err(f) = run_file(&mut client, scratch, file, None)? {
                report.findings.push(migration_failed(
                    &file.name,
                    "replaying the applied migration",
                    &f,
                ));
                report.verdict = Verdict::Block;
                return Ok(report);
            }
        }
    }
    let mut broken = vec![false; queries.len()];
    run_queries(
        &mut client,
        scratch,
        queries,
        &mut broken,
        None,
        opts,
        &mut report,
    )?;
    for planned in &plan.pending {
        let Some(file) = set.file(&planned.name) else {
            continue;
        };
        if let Err(f) = run_file(&mut client, scratch, file, None)? {
            report
                .findings
                .push(migration_failed(&file.name, "the migration", &f));
            break;
        }
        run_queries(
            &mut client,
            scratch,
            queries,
            &mut broken,
            Some(&file.name),
            opts,
            &mut report,
        )?;
    }
    if !report.findings.is_empty() {
        report.verdict = Verdict::Block;
    }
    Ok(report)
}

fn migration_failed(name: &str, what: &str, f: &crate::apply::Failure) -> RehearsalFinding {
    RehearsalFinding {
        migration: Some(name.to_string()),
        release: None,
        query: None,
        message: format!("{what} fails at line {}: {}", f.line, f.message),
    }
}

/// Runs each query not yet broken; a failure becomes a finding and the query is not run again.
fn run_queries(
    client: &mut postgres::Client,
    scratch: &DatabaseUrl,
    queries: &[(String, CompatQuery)],
    broken: &mut [bool],
    after: Option<&str>,
    opts: &RehearseOptions,
    report: &mut RehearsalReport,
) -> Result<(), MigrateError> {
    for (i, (release, q)) in queries.iter().enumerate() {
        if broken[i] {
            continue;
        }
        if let Err(message) = run_query(client, scratch, &q.sql, opts.query_timeout)? {
            broken[i] = true;
            let message = match after {
                Some(_) => message,
                None => format!("{ALREADY_BROKEN}{message}"),
            };
            report.findings.push(RehearsalFinding {
                migration: after.map(str::to_string),
                release: Some(release.clone()),
                query: Some(QueryRef {
                    file: q.file.clone(),
                    line: q.line,
                    statement: q.statement.clone(),
                }),
                message,
            });
        }
    }
    Ok(())
}

/// Prepares the query (names and types must resolve) and, when it takes no parameters, runs it;
/// always rolled back.
fn run_query(
    client: &mut postgres::Client,
    scratch: &DatabaseUrl,
    sql: &str,
    timeout: Duration,
) -> Result<Result<(), String>, MigrateError> {
    let mut tx = client
        .transaction()
        .map_err(|e| db_error(scratch, "starting a compat query", &e))?;
    tx.batch_execute(&format!(
        "SET LOCAL statement_timeout = {}",
        timeout.as_millis()
    ))
    .map_err(|e| db_error(scratch, "setting statement_timeout", &e))?;
    let outcome = tx.prepare(sql).and_then(|stmt| {
        if stmt.params().is_empty() {
            tx.execute(&stmt, &[]).map(|_| ())
        } else {
            Ok(())
        }
    });
    let _ = tx.rollback();
    Ok(outcome.map_err(|e| scratch.scrub(&pg_message(&e))))
}

/// `pg_dump --schema-only` of `from`, piped into `psql` on `to`. Credentials travel in the
/// tools' environment, never on their command line.
fn copy_schema(
    from: &DatabaseUrl,
    to: &DatabaseUrl,
    bin: Option<&Path>,
) -> Result<(), MigrateError> {
    let tool = |name: &str| bin.map_or_else(|| PathBuf::from(name), |d| d.join(name));
    let spawn_err = |name: &str| {
        let name = name.to_string();
        move |e: std::io::Error| MigrateError::Tool {
            message: format!(
                "cannot run it ({e}); install the PostgreSQL client tools (Debian: \
                 postgresql-client) or rehearse with schema source `replay`"
            ),
            tool: name,
        }
    };
    let mut dump = Command::new(tool("pg_dump"));
    dump.args([
        "--schema-only",
        "--no-owner",
        "--no-privileges",
        "--exclude-table=ferry_schema_history",
    ])
    .envs(from.pg_env())
    .stdin(Stdio::null())
    .stdout(Stdio::piped())
    .stderr(Stdio::piped());
    let mut dump = dump.spawn().map_err(spawn_err("pg_dump"))?;
    let Some(dump_out) = dump.stdout.take() else {
        return Err(MigrateError::Tool {
            tool: "pg_dump".into(),
            message: "no output pipe".into(),
        });
    };
    let load = Command::new(tool("psql"))
        .args(["-X", "-q", "-v", "ON_ERROR_STOP=1", "-o", "/dev/null"])
        .envs(to.pg_env())
        .stdin(Stdio::from(dump_out))
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .output()
        .map_err(spawn_err("psql"))?;
    let dumped = dump.wait_with_output().map_err(spawn_err("pg_dump"))?;
    for (name, out) in [("pg_dump", &dumped), ("psql", &load)] {
        if !out.status.success() {
            let stderr = String::from_utf8_lossy(&out.stderr);
            return Err(MigrateError::Tool {
                tool: name.to_string(),
                message: format!(
                    "copying the schema failed ({}): {}",
                    out.status,
                    from.scrub(&to.scrub(stderr.trim()))
                ),
            });
        }
    }
    Ok(())
}
