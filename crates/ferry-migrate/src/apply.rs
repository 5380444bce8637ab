//! `ferry migrate apply`: pending migrations in order under a PostgreSQL advisory lock, each in
//! its own transaction together with its history row — or, for a file PostgreSQL refuses to run
//! in a transaction block (CONCURRENTLY, VACUUM, …), statement by statement, recorded after its
//! last statement. A failure stops the set, is recorded as failed and never as applied.

use crate::check::{source::line_of, Class};
use crate::error::MigrateError;
use crate::history::{self, pg_message, Record};
use crate::set::{MigrationFile, MigrationSet};
use crate::status::{self, MigrationPlan};
use crate::url::DatabaseUrl;
use serde::Serialize;
use std::time::{Duration, Instant};

/// `pg_advisory_lock` key shared by every ferry apply against one database ("ferrymig").
const LOCK_KEY: i64 = 0x6665_7272_796d_6967;

/// Which pending migrations an apply runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Selection {
    /// Every pending migration.
    All,
    /// Those that run before the infra apply (`MigrationPlan::before_count` for `when`).
    BeforeInfra(crate::config::When),
}

#[derive(Debug, Clone)]
pub struct ApplyOptions<'a> {
    /// Who applies (the normalised identity), recorded in the history.
    pub who: &'a str,
    /// The release the set came from, recorded in the history.
    pub release: Option<&'a str>,
    pub selection: Selection,
    /// The approved plan: the pending migrations must still be (a tail of) exactly these.
    pub approved: Option<&'a MigrationPlan>,
    /// How long to wait for another apply's lock; zero refuses at once.
    pub lock_wait: Duration,
}

impl<'a> ApplyOptions<'a> {
    pub fn new(who: &'a str) -> ApplyOptions<'a> {
        ApplyOptions {
            who,
            release: None,
            selection: Selection::All,
            approved: None,
            lock_wait: Duration::ZERO,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AppliedMigration {
    pub name: String,
    pub checksum: String,
    pub class: Class,
    pub transactional: bool,
    pub duration_ms: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FailedMigration {
    pub name: String,
    pub checksum: String,
    /// 1-based line in the migration file where the failing statement (or the error) is.
    pub line: usize,
    pub message: String,
    pub duration_ms: i64,
    /// True when the file ran outside a transaction: statements before `line` stay applied.
    pub partially_applied: bool,
}

/// What an apply did, for the ledger. The history table holds the same rows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ApplyReport {
    pub set: String,
    pub database: String,
    /// Digest of the pending list this apply started from.
    pub plan_digest: String,
    pub applied: Vec<AppliedMigration>,
    pub failed: Option<FailedMigration>,
    /// Pending migrations this apply did not run (not selected, or after a failure).
    pub not_run: Vec<String>,
}

/// Applies the selected pending migrations of `set` to `url`'s database.
pub fn apply(
    url: &DatabaseUrl,
    set: &MigrationSet,
    opts: &ApplyOptions<'_>,
) -> Result<ApplyReport, MigrateError> {
    let mut client = url.connect()?;
    lock(&mut client, url, opts.lock_wait)?;
    let result = apply_locked(&mut client, url, set, opts);
    // Also released when the connection closes; an error here changes nothing.
    let _ = client.execute("SELECT pg_advisory_unlock($1)", &[&LOCK_KEY]);
    result
}

fn lock(
    client: &mut postgres::Client,
    url: &DatabaseUrl,
    wait: Duration,
) -> Result<(), MigrateError> {
    let deadline = Instant::now() + wait;
    loop {
        let got: bool = client
            .query_one("SELECT pg_try_advisory_lock($1)", &[&LOCK_KEY])
            .and_then(|row| row.try_get(0))
            .map_err(|e| history::db_error(url, "taking the migration lock", &e))?;
        if got {
            return Ok(());
        }
        if Instant::now() >= deadline {
            return Err(MigrateError::Busy {
                database: url.label().to_string(),
            });
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

fn apply_locked(
    client: &mut postgres::Client,
    url: &DatabaseUrl,
    set: &MigrationSet,
    opts: &ApplyOptions<'_>,
) -> Result<ApplyReport, MigrateError> {
    let status = status::status_with(client, url, set)?;
    if let Some(refusal) = status.refusal() {
        return Err(refusal);
    }
    let plan = status.plan();
    if let Some(approved) = opts.approved {
        check_approved(approved, &plan)?;
    }
    let count = match opts.selection {
        Selection::All => plan.pending.len(),
        Selection::BeforeInfra(when) => plan.before_count(when),
    };
    let mut report = ApplyReport {
        set: set.name.clone(),
        database: url.label().to_string(),
        plan_digest: plan.digest.clone(),
        applied: Vec::new(),
        failed: None,
        not_run: plan.pending[count..]
            .iter()
            .map(|p| p.name.clone())
            .collect(),
    };
    for (i, planned) in plan.pending[..count].iter().enumerate() {
        let Some(file) = set.file(&planned.name) else {
            continue; // status lists only the set's files
        };
        let record = Recording {
            who: opts.who,
            release: opts.release,
            set: &set.name,
        };
        match run_file(client, url, file, Some(&record))? {
            Ok(duration_ms) => report.applied.push(AppliedMigration {
                name: file.name.clone(),
                checksum: file.checksum.clone(),
                class: file.class(),
                transactional: file.transactional(),
                duration_ms,
            }),
            Err(failure) => {
                let rest = plan.pending[i + 1..count].iter().map(|p| p.name.clone());
                report.not_run.splice(0..0, rest);
                let (name, line, message) =
                    (file.name.clone(), failure.line, failure.message.clone());
                report.failed = Some(FailedMigration {
                    name: file.name.clone(),
                    checksum: file.checksum.clone(),
                    line: failure.line,
                    message: failure.message,
                    duration_ms: failure.duration_ms,
                    partially_applied: failure.partial,
                });
                return Err(MigrateError::MigrationFailed {
                    name,
                    line,
                    message,
                    report: Box::new(report),
                });
            }
        }
    }
    Ok(report)
}

/// The current pending list must be the approved one, or its tail once the before-infra part
/// ran: the same names and checksums in the same order.
fn check_approved(approved: &MigrationPlan, current: &MigrationPlan) -> Result<(), MigrateError> {
    let expected = crate::set::digest_of(
        &approved.set,
        approved
            .pending
            .iter()
            .map(|p| (p.name.as_str(), p.checksum.as_str())),
    );
    let n = current.pending.len();
    let tail_matches = expected == approved.digest
        && approved.set == current.set
        && n <= approved.pending.len()
        && approved.pending[approved.pending.len() - n..] == current.pending[..];
    if tail_matches {
        Ok(())
    } else {
        Err(MigrateError::PlanChanged {
            expected: approved.digest.clone(),
            actual: current.digest.clone(),
        })
    }
}

pub(crate) struct Recording<'a> {
    pub who: &'a str,
    pub release: Option<&'a str>,
    pub set: &'a str,
}

pub(crate) struct Failure {
    pub line: usize,
    pub message: String,
    pub duration_ms: i64,
    pub partial: bool,
}

fn elapsed_ms(start: Instant) -> i64 {
    i64::try_from(start.elapsed().as_millis()).unwrap_or(i64::MAX)
}

/// Runs one migration file; records it when `record` is given. The outer error is for the
/// database (history table unreachable, …), the inner one for the migration's own failure
/// (already recorded as failed).
pub(crate) fn run_file(
    client: &mut postgres::Client,
    url: &DatabaseUrl,
    file: &MigrationFile,
    record: Option<&Recording<'_>>,
) -> Result<Result<i64, Failure>, MigrateError> {
    let start = Instant::now();
    let transactional = file.transactional();
    let outcome = if transactional {
        let mut tx = client
            .transaction()
            .map_err(|e| history::db_error(url, "starting a transaction", &e))?;
        match run_statements(&mut tx, url, file) {
            Ok(()) => {
                if record.is_some() {
                    history::record(
                        &mut tx,
                        url,
                        &row(file, record, elapsed_ms(start), true, None),
                    )?;
                }
                tx.commit().map_err(|e| Failure {
                    line: file.check.statements.first().map_or(1, |s| s.line),
                    message: url.scrub(&pg_message(&e)),
                    duration_ms: 0,
                    partial: false,
                })
            }
            Err(f) => Err(f), // dropping `tx` rolls it back
        }
    } else {
        run_statements(client, url, file).and_then(|()| {
            if record.is_some() {
                history::record(
                    client,
                    url,
                    &row(file, record, elapsed_ms(start), true, None),
                )
                .map_err(|e| Failure {
                    line: 1,
                    message: e.to_string(),
                    duration_ms: 0,
                    partial: true,
                })?;
            }
            Ok(())
        })
    };
    let duration_ms = elapsed_ms(start);
    match outcome {
        Ok(()) => Ok(Ok(duration_ms)),
        Err(mut failure) => {
            failure.duration_ms = duration_ms;
            failure.partial = !transactional && failure.line > first_line(file);
            if record.is_some() {
                history::record(
                    client,
                    url,
                    &row(file, record, duration_ms, false, Some(&failure.message)),
                )?;
            }
            Ok(Err(failure))
        }
    }
}

fn row<'a>(
    file: &'a MigrationFile,
    record: Option<&'a Recording<'a>>,
    duration_ms: i64,
    success: bool,
    error: Option<&'a str>,
) -> Record<'a> {
    Record {
        set: record.map_or("", |r| r.set),
        name: &file.name,
        checksum: &file.checksum,
        class: file.class().as_str(),
        who: record.map_or("", |r| r.who),
        duration_ms,
        success,
        release: record.and_then(|r| r.release),
        error,
    }
}

fn first_line(file: &MigrationFile) -> usize {
    file.check.statements.first().map_or(1, |s| s.line)
}

fn run_statements(
    client: &mut impl postgres::GenericClient,
    url: &DatabaseUrl,
    file: &MigrationFile,
) -> Result<(), Failure> {
    for st in &file.check.statements {
        let sql = file.sql.get(st.start..st.end).unwrap_or("");
        if let Err(e) = client.batch_execute(sql) {
            let offset = e
                .as_db_error()
                .and_then(|db| db.position())
                .and_then(|p| match p {
                    postgres::error::ErrorPosition::Original(pos) => Some(*pos as usize),
                    postgres::error::ErrorPosition::Internal { .. } => None,
                })
                .map_or(0, |pos| {
                    let byte = sql
                        .char_indices()
                        .nth(pos.saturating_sub(1))
                        .map_or(sql.len(), |(b, _)| b);
                    line_of(sql, byte) - 1
                });
            return Err(Failure {
                line: st.line + offset,
                message: url.scrub(&pg_message(&e)),
                duration_ms: 0,
                partial: false,
            });
        }
    }
    Ok(())
}
