//! The embedded ledger: one SQLite file under the data dir, WAL mode so readers (status, a web
//! view) never block a running promotion, schema versioned with `PRAGMA user_version`.

use crate::records::*;
use crate::{Ledger, Result, StoreError};
use ferry_core::{PlanId, ReleaseId};
use rusqlite::{params, Connection, OptionalExtension, Row};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// Each entry moves the schema one version forward; never edit a shipped entry.
const MIGRATIONS: &[&str] = &[
    r#"
CREATE TABLE releases (
    id TEXT PRIMARY KEY,
    git_commit TEXT NOT NULL,
    dirty INTEGER NOT NULL,
    subject TEXT NOT NULL,
    author TEXT NOT NULL,
    created_by TEXT NOT NULL,
    created_at TEXT NOT NULL,
    abandoned_by TEXT,
    abandoned_at TEXT,
    abandoned_reason TEXT
);
CREATE TABLE plans (
    id TEXT PRIMARY KEY,
    env TEXT NOT NULL,
    release_id TEXT NOT NULL REFERENCES releases(id),
    created_by TEXT NOT NULL,
    created_at TEXT NOT NULL,
    status TEXT NOT NULL,
    summary TEXT NOT NULL,
    verdict TEXT NOT NULL,
    review TEXT NOT NULL,
    policy TEXT NOT NULL,
    policy_denied INTEGER NOT NULL,
    state_lineage TEXT,
    state_serial INTEGER,
    baseline_id TEXT,
    seq INTEGER NOT NULL
);
CREATE INDEX plans_env ON plans(env, seq);
CREATE TABLE approvals (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    plan_id TEXT NOT NULL REFERENCES plans(id),
    env TEXT NOT NULL,
    by_whom TEXT NOT NULL,
    at TEXT NOT NULL,
    decision TEXT NOT NULL,
    reason TEXT,
    acknowledged_warnings INTEGER NOT NULL,
    source TEXT NOT NULL
);
CREATE TABLE deployments (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    env TEXT NOT NULL,
    release_id TEXT NOT NULL REFERENCES releases(id),
    plan_id TEXT NOT NULL REFERENCES plans(id),
    kind TEXT NOT NULL,
    by_whom TEXT NOT NULL,
    started_at TEXT NOT NULL,
    finished_at TEXT,
    status TEXT NOT NULL,
    verified INTEGER NOT NULL DEFAULT 0,
    error TEXT,
    log TEXT
);
CREATE TABLE events (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    at TEXT NOT NULL,
    env TEXT,
    kind TEXT NOT NULL,
    actor TEXT NOT NULL,
    release_id TEXT,
    plan_id TEXT,
    message TEXT NOT NULL
);
"#,
    r#"
ALTER TABLE plans ADD COLUMN change_digest TEXT;
ALTER TABLE deployments ADD COLUMN verification TEXT;
ALTER TABLE deployments ADD COLUMN verified_at TEXT;
CREATE TABLE locks (
    env TEXT PRIMARY KEY,
    holder TEXT NOT NULL,
    token TEXT NOT NULL,
    purpose TEXT NOT NULL,
    since TEXT NOT NULL
);
CREATE TABLE rehearsals (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    env TEXT NOT NULL,
    release_id TEXT NOT NULL,
    target_id TEXT NOT NULL,
    at TEXT NOT NULL,
    ready INTEGER NOT NULL,
    verdict TEXT NOT NULL,
    summary TEXT NOT NULL,
    detail TEXT NOT NULL
);
"#,
];

pub struct SqliteLedger {
    conn: Connection,
    path: PathBuf,
}

impl std::fmt::Debug for SqliteLedger {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SqliteLedger")
            .field("path", &self.path)
            .finish()
    }
}

impl SqliteLedger {
    /// Opens (creating when absent) `<data_dir>/ledger.db` and brings its schema up to date.
    pub fn open(data_dir: &Path) -> Result<SqliteLedger> {
        std::fs::create_dir_all(data_dir).map_err(|source| StoreError::DataDir {
            path: data_dir.display().to_string(),
            source,
        })?;
        let path = data_dir.join("ledger.db");
        let conn = Connection::open(&path).map_err(|source| StoreError::Sqlite {
            path: path.display().to_string(),
            source,
        })?;
        let ledger = SqliteLedger { conn, path };
        ledger.setup()?;
        Ok(ledger)
    }

    fn err(&self) -> impl Fn(rusqlite::Error) -> StoreError + '_ {
        move |source| StoreError::Sqlite {
            path: self.path.display().to_string(),
            source,
        }
    }

    fn corrupt(&self, what: &str, message: impl ToString) -> StoreError {
        StoreError::Corrupt {
            path: self.path.display().to_string(),
            what: what.to_string(),
            message: message.to_string(),
        }
    }

    fn setup(&self) -> Result<()> {
        self.conn
            .busy_timeout(Duration::from_secs(10))
            .map_err(self.err())?;
        self.conn
            .execute_batch(
                "PRAGMA journal_mode = WAL; PRAGMA foreign_keys = ON; PRAGMA synchronous = FULL;",
            )
            .map_err(self.err())?;
        let version: i64 = self
            .conn
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .map_err(self.err())?;
        let known = MIGRATIONS.len() as i64;
        if version > known {
            return Err(StoreError::NewerSchema {
                path: self.path.display().to_string(),
                found: version,
                known,
            });
        }
        for (i, sql) in MIGRATIONS.iter().enumerate().skip(version as usize) {
            // IMMEDIATE: two ferry processes opening a fresh ledger must not both migrate.
            let tx = rusqlite::Transaction::new_unchecked(
                &self.conn,
                rusqlite::TransactionBehavior::Immediate,
            )
            .map_err(self.err())?;
            let current: i64 = tx
                .query_row("PRAGMA user_version", [], |r| r.get(0))
                .map_err(self.err())?;
            if current > i as i64 {
                continue;
            }
            tx.execute_batch(sql).map_err(self.err())?;
            tx.execute_batch(&format!("PRAGMA user_version = {}", i + 1))
                .map_err(self.err())?;
            tx.commit().map_err(self.err())?;
        }
        Ok(())
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    fn release_from_row(&self, row: &Row<'_>) -> rusqlite::Result<(String, ReleaseRecordRaw)> {
        Ok((
            row.get(0)?,
            ReleaseRecordRaw {
                commit: row.get(1)?,
                dirty: row.get(2)?,
                subject: row.get(3)?,
                author: row.get(4)?,
                created_by: row.get(5)?,
                created_at: row.get(6)?,
                abandoned_by: row.get(7)?,
                abandoned_at: row.get(8)?,
                abandoned_reason: row.get(9)?,
            },
        ))
    }

    fn query_releases(&self, sql: &str, param: &str) -> Result<Vec<ReleaseRecord>> {
        let mut stmt = self.conn.prepare(sql).map_err(self.err())?;
        let rows = stmt
            .query_map([param], |r| self.release_from_row(r))
            .map_err(self.err())?
            .collect::<rusqlite::Result<Vec<_>>>()
            .map_err(self.err())?;
        rows.into_iter()
            .map(|(id, raw)| {
                let id: ReleaseId = id.parse().map_err(|e| self.corrupt("release id", e))?;
                Ok(raw.into_record(id))
            })
            .collect()
    }

    fn query_plans(&self, sql: &str, params: &[&dyn rusqlite::ToSql]) -> Result<Vec<PlanRecord>> {
        let mut stmt = self.conn.prepare(sql).map_err(self.err())?;
        let rows = stmt
            .query_map(params, |r| {
                Ok(PlanRaw {
                    id: r.get(0)?,
                    env: r.get(1)?,
                    release: r.get(2)?,
                    created_by: r.get(3)?,
                    created_at: r.get(4)?,
                    status: r.get(5)?,
                    summary: r.get(6)?,
                    verdict: r.get(7)?,
                    review: r.get(8)?,
                    policy: r.get(9)?,
                    policy_denied: r.get(10)?,
                    state_lineage: r.get(11)?,
                    state_serial: r.get(12)?,
                    baseline: r.get(13)?,
                    change_digest: r.get(14)?,
                })
            })
            .map_err(self.err())?
            .collect::<rusqlite::Result<Vec<_>>>()
            .map_err(self.err())?;
        rows.into_iter()
            .map(|raw| raw.into_record().map_err(|m| self.corrupt("plan", m)))
            .collect()
    }

    fn query_deployments(
        &self,
        sql: &str,
        params: &[&dyn rusqlite::ToSql],
    ) -> Result<Vec<DeploymentRecord>> {
        let mut stmt = self.conn.prepare(sql).map_err(self.err())?;
        let rows = stmt
            .query_map(params, |r| {
                Ok((
                    r.get::<_, i64>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, String>(2)?,
                    r.get::<_, String>(3)?,
                    r.get::<_, String>(4)?,
                    r.get::<_, String>(5)?,
                    r.get::<_, String>(6)?,
                    r.get::<_, Option<String>>(7)?,
                    r.get::<_, String>(8)?,
                    r.get::<_, bool>(9)?,
                    r.get::<_, Option<String>>(10)?,
                    r.get::<_, Option<String>>(11)?,
                    r.get::<_, Option<String>>(12)?,
                ))
            })
            .map_err(self.err())?
            .collect::<rusqlite::Result<Vec<_>>>()
            .map_err(self.err())?;
        rows.into_iter()
            .map(
                |(
                    id,
                    env,
                    release,
                    plan,
                    kind,
                    by,
                    started_at,
                    finished_at,
                    status,
                    verified,
                    error,
                    verification,
                    verified_at,
                )| {
                    Ok(DeploymentRecord {
                        id,
                        env,
                        release: release
                            .parse()
                            .map_err(|e| self.corrupt("deployment release", e))?,
                        plan: plan
                            .parse()
                            .map_err(|e| self.corrupt("deployment plan", e))?,
                        kind,
                        by,
                        started_at,
                        finished_at,
                        status: DeploymentStatus::parse(&status)
                            .ok_or_else(|| self.corrupt("deployment status", &status))?,
                        verified,
                        error,
                        verification: verification.and_then(|v| serde_json::from_str(&v).ok()),
                        verified_at,
                    })
                },
            )
            .collect()
    }
}

struct ReleaseRecordRaw {
    commit: String,
    dirty: bool,
    subject: String,
    author: String,
    created_by: String,
    created_at: String,
    abandoned_by: Option<String>,
    abandoned_at: Option<String>,
    abandoned_reason: Option<String>,
}

impl ReleaseRecordRaw {
    fn into_record(self, id: ReleaseId) -> ReleaseRecord {
        let abandoned = match (self.abandoned_by, self.abandoned_at, self.abandoned_reason) {
            (Some(by), Some(at), Some(reason)) => Some(Abandonment { by, at, reason }),
            _ => None,
        };
        ReleaseRecord {
            id,
            commit: self.commit,
            dirty: self.dirty,
            subject: self.subject,
            author: self.author,
            created_by: self.created_by,
            created_at: self.created_at,
            abandoned,
        }
    }
}

struct PlanRaw {
    id: String,
    env: String,
    release: String,
    created_by: String,
    created_at: String,
    status: String,
    summary: String,
    verdict: String,
    review: String,
    policy: String,
    policy_denied: bool,
    state_lineage: Option<String>,
    state_serial: Option<i64>,
    baseline: Option<String>,
    change_digest: Option<String>,
}

impl PlanRaw {
    fn into_record(self) -> std::result::Result<PlanRecord, String> {
        Ok(PlanRecord {
            id: self.id.parse().map_err(|e| format!("{e}"))?,
            env: self.env,
            release: self.release.parse().map_err(|e| format!("{e}"))?,
            created_by: self.created_by,
            created_at: self.created_at,
            status: PlanStatus::parse(&self.status)
                .ok_or_else(|| format!("unknown status {}", self.status))?,
            summary: serde_json::from_str(&self.summary).map_err(|e| e.to_string())?,
            verdict: serde_json::from_value(serde_json::Value::String(self.verdict))
                .map_err(|e| e.to_string())?,
            review: serde_json::from_str(&self.review).map_err(|e| e.to_string())?,
            policy: serde_json::from_str(&self.policy).map_err(|e| e.to_string())?,
            policy_denied: self.policy_denied,
            state_lineage: self.state_lineage,
            state_serial: self.state_serial.map(|s| s.max(0) as u64),
            baseline: self
                .baseline
                .map(|b| b.parse())
                .transpose()
                .map_err(|e| format!("{e}"))?,
            change_digest: self.change_digest,
        })
    }
}

const PLAN_COLUMNS: &str =
    "id, env, release_id, created_by, created_at, status, summary, verdict, review, policy, \
     policy_denied, state_lineage, state_serial, baseline_id, change_digest";
const DEPLOYMENT_COLUMNS: &str =
    "id, env, release_id, plan_id, kind, by_whom, started_at, finished_at, status, verified, error, verification, verified_at";
const RELEASE_COLUMNS: &str = "id, git_commit, dirty, subject, author, created_by, created_at, abandoned_by, abandoned_at, abandoned_reason";

fn lock_from_row(r: &Row<'_>) -> rusqlite::Result<LockRecord> {
    Ok(LockRecord {
        env: r.get(0)?,
        holder: r.get(1)?,
        token: r.get(2)?,
        purpose: r.get(3)?,
        since: r.get(4)?,
    })
}

fn escape_like(prefix: &str) -> String {
    prefix.chars().filter(|c| c.is_ascii_hexdigit()).collect()
}

impl Ledger for SqliteLedger {
    fn record_release(&self, r: &ReleaseRecord) -> Result<bool> {
        let n = self
            .conn
            .execute(
                "INSERT OR IGNORE INTO releases (id, git_commit, dirty, subject, author, created_by, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                params![r.id.to_string(), r.commit, r.dirty, r.subject, r.author, r.created_by, r.created_at],
            )
            .map_err(self.err())?;
        Ok(n == 1)
    }

    fn release(&self, id: &ReleaseId) -> Result<Option<ReleaseRecord>> {
        let sql = format!("SELECT {RELEASE_COLUMNS} FROM releases WHERE id = ?1");
        Ok(self
            .query_releases(&sql, &id.to_string())?
            .into_iter()
            .next())
    }

    fn releases_by_prefix(&self, hex_prefix: &str) -> Result<Vec<ReleaseRecord>> {
        let sql =
            format!("SELECT {RELEASE_COLUMNS} FROM releases WHERE id LIKE ?1 ORDER BY rowid DESC");
        self.query_releases(&sql, &format!("sha256:{}%", escape_like(hex_prefix)))
    }

    fn releases(&self) -> Result<Vec<ReleaseRecord>> {
        let sql =
            format!("SELECT {RELEASE_COLUMNS} FROM releases WHERE ?1 = ?1 ORDER BY rowid DESC");
        self.query_releases(&sql, "")
    }

    fn abandon_release(&self, id: &ReleaseId, by: &str, at: &str, reason: &str) -> Result<()> {
        let n = self
            .conn
            .execute(
                "UPDATE releases SET abandoned_by = ?2, abandoned_at = ?3, abandoned_reason = ?4 WHERE id = ?1 AND abandoned_at IS NULL",
                params![id.to_string(), by, at, reason],
            )
            .map_err(self.err())?;
        if n == 0 {
            return Err(StoreError::Conflict(format!(
                "release {id} is unknown or already abandoned"
            )));
        }
        Ok(())
    }

    fn record_plan(&self, p: &PlanRecord) -> Result<()> {
        let tx = rusqlite::Transaction::new_unchecked(
            &self.conn,
            rusqlite::TransactionBehavior::Immediate,
        )
        .map_err(self.err())?;
        tx.execute(
            "UPDATE plans SET status = 'superseded' WHERE env = ?1 AND status = 'pending'",
            [&p.env],
        )
        .map_err(self.err())?;
        let seq: i64 = tx
            .query_row("SELECT COALESCE(MAX(seq), 0) + 1 FROM plans", [], |r| {
                r.get(0)
            })
            .map_err(self.err())?;
        let summary = serde_json::to_string(&p.summary).map_err(|e| self.corrupt("summary", e))?;
        tx.execute(
            &format!("INSERT INTO plans ({PLAN_COLUMNS}, seq) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16)"),
            params![
                p.id.to_string(),
                p.env,
                p.release.to_string(),
                p.created_by,
                p.created_at,
                p.status.as_str(),
                summary,
                p.verdict.as_str(),
                p.review.to_string(),
                p.policy.to_string(),
                p.policy_denied,
                p.state_lineage,
                p.state_serial.map(|s| s as i64),
                p.baseline.as_ref().map(|b| b.to_string()),
                p.change_digest,
                seq
            ],
        )
        .map_err(self.err())?;
        tx.commit().map_err(self.err())
    }

    fn plan(&self, id: &PlanId) -> Result<Option<PlanRecord>> {
        let sql = format!("SELECT {PLAN_COLUMNS} FROM plans WHERE id = ?1");
        Ok(self
            .query_plans(&sql, &[&id.to_string()])?
            .into_iter()
            .next())
    }

    fn plans_by_prefix(&self, hex_prefix: &str) -> Result<Vec<PlanRecord>> {
        let sql = format!("SELECT {PLAN_COLUMNS} FROM plans WHERE id LIKE ?1 ORDER BY seq DESC");
        self.query_plans(&sql, &[&format!("sha256:{}%", escape_like(hex_prefix))])
    }

    fn pending_plan(&self, env: &str) -> Result<Option<PlanRecord>> {
        let sql = format!("SELECT {PLAN_COLUMNS} FROM plans WHERE env = ?1 AND status = 'pending' ORDER BY seq DESC LIMIT 1");
        Ok(self.query_plans(&sql, &[&env])?.into_iter().next())
    }

    fn latest_plan_for(&self, env: &str, release: &ReleaseId) -> Result<Option<PlanRecord>> {
        let sql = format!("SELECT {PLAN_COLUMNS} FROM plans WHERE env = ?1 AND release_id = ?2 ORDER BY seq DESC LIMIT 1");
        Ok(self
            .query_plans(&sql, &[&env, &release.to_string()])?
            .into_iter()
            .next())
    }

    fn latest_plan(&self, env: &str) -> Result<Option<PlanRecord>> {
        let sql =
            format!("SELECT {PLAN_COLUMNS} FROM plans WHERE env = ?1 ORDER BY seq DESC LIMIT 1");
        Ok(self.query_plans(&sql, &[&env])?.into_iter().next())
    }

    fn set_plan_status(&self, id: &PlanId, status: PlanStatus) -> Result<()> {
        self.conn
            .execute(
                "UPDATE plans SET status = ?2 WHERE id = ?1",
                params![id.to_string(), status.as_str()],
            )
            .map_err(self.err())?;
        Ok(())
    }

    fn record_approval(&self, a: &ApprovalRecord) -> Result<()> {
        self.conn
            .execute(
                "INSERT INTO approvals (plan_id, env, by_whom, at, decision, reason, acknowledged_warnings, source) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
                params![a.plan.to_string(), a.env, a.by, a.at, a.decision, a.reason, a.acknowledged_warnings, a.source],
            )
            .map_err(self.err())?;
        Ok(())
    }

    fn approvals(&self, plan: &PlanId) -> Result<Vec<ApprovalRecord>> {
        let mut stmt = self
            .conn
            .prepare("SELECT plan_id, env, by_whom, at, decision, reason, acknowledged_warnings, source FROM approvals WHERE plan_id = ?1 ORDER BY seq")
            .map_err(self.err())?;
        let rows = stmt
            .query_map([plan.to_string()], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get(1)?,
                    r.get(2)?,
                    r.get(3)?,
                    r.get(4)?,
                    r.get(5)?,
                    r.get(6)?,
                    r.get(7)?,
                ))
            })
            .map_err(self.err())?
            .collect::<rusqlite::Result<Vec<_>>>()
            .map_err(self.err())?;
        rows.into_iter()
            .map(
                |(plan, env, by, at, decision, reason, acknowledged_warnings, source)| {
                    Ok(ApprovalRecord {
                        plan: plan.parse().map_err(|e| self.corrupt("approval plan", e))?,
                        env,
                        by,
                        at,
                        decision,
                        reason,
                        acknowledged_warnings,
                        source,
                    })
                },
            )
            .collect()
    }

    fn begin_deployment(&self, d: &NewDeployment) -> Result<i64> {
        let tx = rusqlite::Transaction::new_unchecked(
            &self.conn,
            rusqlite::TransactionBehavior::Immediate,
        )
        .map_err(self.err())?;
        let claimed = tx
            .execute(
                "UPDATE plans SET status = 'applying' WHERE id = ?1 AND status = 'pending'",
                [d.plan.to_string()],
            )
            .map_err(self.err())?;
        if claimed == 0 {
            let status: Option<String> = tx
                .query_row(
                    "SELECT status FROM plans WHERE id = ?1",
                    [d.plan.to_string()],
                    |r| r.get(0),
                )
                .optional()
                .map_err(self.err())?;
            return Err(StoreError::Conflict(match status.as_deref() {
                None => format!("plan {} is not in the ledger", d.plan),
                Some("applied") => format!("plan {} was applied already; a plan is applied once — run `ferry plan --env {}` for a new one", d.plan, d.env),
                Some("applying") => format!("plan {} is being applied by another ferry (or an apply was interrupted; see `ferry status --env {}`)", d.plan, d.env),
                Some(other) => format!("plan {} is {other}, not pending; run `ferry plan --env {}` for a new one", d.plan, d.env),
            }));
        }
        tx.execute(
            "INSERT INTO deployments (env, release_id, plan_id, kind, by_whom, started_at, status) VALUES (?1, ?2, ?3, ?4, ?5, ?6, 'running')",
            params![d.env, d.release.to_string(), d.plan.to_string(), d.kind, d.by, d.at],
        )
        .map_err(self.err())?;
        let id = tx.last_insert_rowid();
        tx.commit().map_err(self.err())?;
        Ok(id)
    }

    fn finish_deployment(&self, id: i64, o: &DeploymentOutcome) -> Result<()> {
        let tx = rusqlite::Transaction::new_unchecked(
            &self.conn,
            rusqlite::TransactionBehavior::Immediate,
        )
        .map_err(self.err())?;
        tx.execute(
            "UPDATE deployments SET status = ?2, finished_at = ?3, verified = ?4, error = ?5, log = ?6, verified_at = CASE WHEN ?4 THEN ?3 ELSE NULL END WHERE id = ?1",
            params![id, o.status.as_str(), o.at, o.verified, o.error, o.log],
        )
        .map_err(self.err())?;
        let plan_status = match o.status {
            DeploymentStatus::Succeeded => "applied",
            DeploymentStatus::Running => "applying",
            DeploymentStatus::Failed | DeploymentStatus::Interrupted => "failed",
        };
        tx.execute(
            "UPDATE plans SET status = ?2 WHERE id = (SELECT plan_id FROM deployments WHERE id = ?1)",
            params![id, plan_status],
        )
        .map_err(self.err())?;
        tx.commit().map_err(self.err())
    }

    fn deployments(&self, env: Option<&str>) -> Result<Vec<DeploymentRecord>> {
        match env {
            Some(env) => self.query_deployments(
                &format!(
                    "SELECT {DEPLOYMENT_COLUMNS} FROM deployments WHERE env = ?1 ORDER BY id DESC"
                ),
                &[&env],
            ),
            None => self.query_deployments(
                &format!("SELECT {DEPLOYMENT_COLUMNS} FROM deployments ORDER BY id DESC"),
                &[],
            ),
        }
    }

    fn interrupted_deployments(&self) -> Result<Vec<DeploymentRecord>> {
        self.query_deployments(
            &format!(
                "SELECT {DEPLOYMENT_COLUMNS} FROM deployments WHERE status = 'running' ORDER BY id"
            ),
            &[],
        )
    }

    fn record_verification(
        &self,
        id: i64,
        verified: bool,
        report: &serde_json::Value,
        at: &str,
    ) -> Result<()> {
        self.conn
            .execute(
                "UPDATE deployments SET verified = ?2, verification = ?3, verified_at = CASE WHEN ?2 THEN ?4 ELSE NULL END WHERE id = ?1",
                params![id, verified, report.to_string(), at],
            )
            .map_err(self.err())?;
        Ok(())
    }

    fn mark_interrupted(&self, id: i64, at: &str) -> Result<()> {
        let tx = rusqlite::Transaction::new_unchecked(
            &self.conn,
            rusqlite::TransactionBehavior::Immediate,
        )
        .map_err(self.err())?;
        tx.execute(
            "UPDATE deployments SET status = 'interrupted', finished_at = ?2, error = 'ferry was interrupted during apply' WHERE id = ?1 AND status = 'running'",
            params![id, at],
        )
        .map_err(self.err())?;
        tx.execute(
            "UPDATE plans SET status = 'failed' WHERE id = (SELECT plan_id FROM deployments WHERE id = ?1) AND status = 'applying'",
            params![id],
        )
        .map_err(self.err())?;
        tx.commit().map_err(self.err())
    }

    fn acquire_lock(&self, lock: &LockRecord) -> Result<()> {
        let tx = rusqlite::Transaction::new_unchecked(
            &self.conn,
            rusqlite::TransactionBehavior::Immediate,
        )
        .map_err(self.err())?;
        let held = tx
            .query_row(
                "SELECT env, holder, token, purpose, since FROM locks WHERE env = ?1",
                [&lock.env],
                lock_from_row,
            )
            .optional()
            .map_err(self.err())?;
        if let Some(held) = held {
            return Err(StoreError::Locked(held));
        }
        tx.execute(
            "INSERT INTO locks (env, holder, token, purpose, since) VALUES (?1, ?2, ?3, ?4, ?5)",
            params![lock.env, lock.holder, lock.token, lock.purpose, lock.since],
        )
        .map_err(self.err())?;
        tx.commit().map_err(self.err())
    }

    fn release_lock(&self, env: &str, token: &str) -> Result<()> {
        self.conn
            .execute(
                "DELETE FROM locks WHERE env = ?1 AND token = ?2",
                params![env, token],
            )
            .map_err(self.err())?;
        Ok(())
    }

    fn lock(&self, env: &str) -> Result<Option<LockRecord>> {
        self.conn
            .query_row(
                "SELECT env, holder, token, purpose, since FROM locks WHERE env = ?1",
                [env],
                lock_from_row,
            )
            .optional()
            .map_err(self.err())
    }

    fn force_unlock(&self, env: &str) -> Result<Option<LockRecord>> {
        let held = self.lock(env)?;
        self.conn
            .execute("DELETE FROM locks WHERE env = ?1", [env])
            .map_err(self.err())?;
        Ok(held)
    }

    fn record_rehearsal(&self, r: &RehearsalRecord) -> Result<()> {
        self.conn
            .execute(
                "INSERT INTO rehearsals (env, release_id, target_id, at, ready, verdict, summary, detail) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
                params![
                    r.env,
                    r.release.to_string(),
                    r.target.to_string(),
                    r.at,
                    r.ready,
                    r.verdict.as_str(),
                    serde_json::to_string(&r.summary).map_err(|e| self.corrupt("summary", e))?,
                    r.detail.to_string()
                ],
            )
            .map_err(self.err())?;
        Ok(())
    }

    fn latest_rehearsal(&self, release: &ReleaseId) -> Result<Option<RehearsalRecord>> {
        let row = self
            .conn
            .query_row(
                "SELECT env, release_id, target_id, at, ready, verdict, summary, detail FROM rehearsals WHERE release_id = ?1 ORDER BY seq DESC LIMIT 1",
                [release.to_string()],
                |r| {
                    Ok((
                        r.get::<_, String>(0)?,
                        r.get::<_, String>(1)?,
                        r.get::<_, String>(2)?,
                        r.get::<_, String>(3)?,
                        r.get::<_, bool>(4)?,
                        r.get::<_, String>(5)?,
                        r.get::<_, String>(6)?,
                        r.get::<_, String>(7)?,
                    ))
                },
            )
            .optional()
            .map_err(self.err())?;
        let Some((env, release, target, at, ready, verdict, summary, detail)) = row else {
            return Ok(None);
        };
        Ok(Some(RehearsalRecord {
            env,
            release: release
                .parse()
                .map_err(|e| self.corrupt("rehearsal release", e))?,
            target: target
                .parse()
                .map_err(|e| self.corrupt("rehearsal target", e))?,
            at,
            ready,
            verdict: serde_json::from_value(serde_json::Value::String(verdict))
                .map_err(|e| self.corrupt("rehearsal verdict", e))?,
            summary: serde_json::from_str(&summary)
                .map_err(|e| self.corrupt("rehearsal summary", e))?,
            detail: serde_json::from_str(&detail)
                .map_err(|e| self.corrupt("rehearsal detail", e))?,
        }))
    }

    fn record_event(&self, e: &Event) -> Result<()> {
        self.conn
            .execute(
                "INSERT INTO events (at, env, kind, actor, release_id, plan_id, message) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                params![
                    e.at,
                    e.env,
                    e.kind,
                    e.actor,
                    e.release.as_ref().map(|r| r.to_string()),
                    e.plan.as_ref().map(|p| p.to_string()),
                    e.message
                ],
            )
            .map_err(self.err())?;
        Ok(())
    }

    fn events(&self, env: Option<&str>) -> Result<Vec<Event>> {
        let mut stmt = self
            .conn
            .prepare("SELECT at, env, kind, actor, release_id, plan_id, message FROM events WHERE ?1 IS NULL OR env = ?1 ORDER BY seq DESC")
            .map_err(self.err())?;
        let rows = stmt
            .query_map([env], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, Option<String>>(1)?,
                    r.get::<_, String>(2)?,
                    r.get::<_, String>(3)?,
                    r.get::<_, Option<String>>(4)?,
                    r.get::<_, Option<String>>(5)?,
                    r.get::<_, String>(6)?,
                ))
            })
            .map_err(self.err())?
            .collect::<rusqlite::Result<Vec<_>>>()
            .map_err(self.err())?;
        rows.into_iter()
            .map(|(at, env, kind, actor, release, plan, message)| {
                Ok(Event {
                    at,
                    env,
                    kind,
                    actor,
                    release: release
                        .map(|r| r.parse())
                        .transpose()
                        .map_err(|e| self.corrupt("event release", e))?,
                    plan: plan
                        .map(|p| p.parse())
                        .transpose()
                        .map_err(|e| self.corrupt("event plan", e))?,
                    message,
                })
            })
            .collect()
    }
}
