//! [`Ledger`] for SQLite. Each write is one IMMEDIATE transaction that changes its rows, re-reads
//! them, and appends the chained event naming their new digests.

use super::rows;
use super::SqliteLedger;
use crate::chain::{self, ChainReport, RowRef};
use crate::error::{Result, StoreError};
use crate::ledger::Ledger;
use crate::records::*;
use ferry_core::{PlanId, ReleaseId};
use rusqlite::{params, Connection, OptionalExtension};

fn hex_prefix(prefix: &str) -> String {
    let hex: String = prefix.chars().filter(|c| c.is_ascii_hexdigit()).collect();
    format!("sha256:{hex}%")
}

impl SqliteLedger {
    fn plan_ref(&self, conn: &Connection, id: &str) -> Result<RowRef> {
        let p = rows::plans(conn, "WHERE id = ?1", &[&id])
            .map_err(|e| self.read(e))?
            .into_iter()
            .next()
            .ok_or_else(|| StoreError::NotFound(format!("plan {id} is not in the ledger")))?;
        Ok(RowRef {
            table: "plans".into(),
            key: id.to_string(),
            digest: chain::row_digest(&p),
        })
    }

    fn deployment_ref(&self, conn: &Connection, id: i64) -> Result<RowRef> {
        let d = rows::deployments(conn, "WHERE id = ?1", &[&id])
            .map_err(|e| self.read(e))?
            .into_iter()
            .next()
            .ok_or_else(|| {
                StoreError::NotFound(format!("deployment #{id} is not in the ledger"))
            })?;
        Ok(RowRef {
            table: "deployments".into(),
            key: id.to_string(),
            digest: chain::row_digest(&d),
        })
    }

    fn release_ref(&self, conn: &Connection, id: &str) -> Result<RowRef> {
        let r = rows::releases(conn, "WHERE id = ?1", &[&id])
            .map_err(|e| self.read(e))?
            .into_iter()
            .next()
            .ok_or_else(|| StoreError::NotFound(format!("release {id} is not in the ledger")))?;
        Ok(RowRef {
            table: "releases".into(),
            key: id.to_string(),
            digest: chain::row_digest(&r),
        })
    }

    fn insert_approval(&self, conn: &Connection, a: &ApprovalRecord) -> Result<RowRef> {
        conn.execute(
            "INSERT INTO approvals (plan_id, env, by_whom, at, decision, reason, acknowledged_warnings, source, via, signature) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
            params![a.plan.to_string(), a.env, a.by, a.at, a.decision.as_str(), a.reason, a.acknowledged_warnings, a.source, a.via, a.signature],
        )
        .map_err(|e| self.sql(e))?;
        let seq = conn.last_insert_rowid();
        let (_, stored) = rows::approvals(conn, "WHERE seq = ?1", &[&seq])
            .map_err(|e| self.read(e))?
            .into_iter()
            .next()
            .ok_or_else(|| StoreError::NotFound("approval vanished".into()))?;
        Ok(RowRef {
            table: "approvals".into(),
            key: seq.to_string(),
            digest: chain::row_digest(&stored),
        })
    }

    fn plan_status(&self, conn: &Connection, id: &str) -> Result<Option<PlanStatus>> {
        let status: Option<String> = conn
            .query_row("SELECT status FROM plans WHERE id = ?1", [id], |r| r.get(0))
            .optional()
            .map_err(|e| self.sql(e))?;
        Ok(status.and_then(|s| PlanStatus::parse(&s)))
    }

    fn not_pending(&self, id: &PlanId, env: &str, status: Option<PlanStatus>) -> StoreError {
        StoreError::Conflict(match status {
            None => format!("plan {id} is not in the ledger"),
            Some(PlanStatus::Applied) => format!("plan {} was applied already; a plan is applied once — run `ferry plan --env {env}` for a new one", id.short()),
            Some(PlanStatus::Applying) => format!("plan {} is being applied (or its apply was interrupted; see `ferry status --env {env}`)", id.short()),
            Some(other) => format!("plan {} is {other}, not pending; run `ferry plan --env {env}` for a new one", id.short()),
        })
    }
}

impl Ledger for SqliteLedger {
    fn record_release(&self, r: &ReleaseRecord, event: &NewEvent) -> Result<bool> {
        self.write(|tx| {
            let n = tx
                .execute(
                    "INSERT OR IGNORE INTO releases (id, git_commit, dirty, subject, author, created_by, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                    params![r.id.to_string(), r.commit, r.dirty, r.subject, r.author, r.created_by, r.created_at],
                )
                .map_err(|e| self.sql(e))?;
            if n == 1 {
                let rr = self.release_ref(tx, &r.id.to_string())?;
                self.append(tx, event, vec![rr])?;
            }
            Ok(n == 1)
        })
    }

    fn release(&self, id: &ReleaseId) -> Result<Option<ReleaseRecord>> {
        let conn = self.conn();
        Ok(rows::releases(&conn, "WHERE id = ?1", &[&id.to_string()])
            .map_err(|e| self.read(e))?
            .into_iter()
            .next())
    }

    fn releases_by_prefix(&self, prefix: &str) -> Result<Vec<ReleaseRecord>> {
        let conn = self.conn();
        rows::releases(
            &conn,
            "WHERE id LIKE ?1 ORDER BY rowid DESC",
            &[&hex_prefix(prefix)],
        )
        .map_err(|e| self.read(e))
    }

    fn releases(&self) -> Result<Vec<ReleaseRecord>> {
        let conn = self.conn();
        rows::releases(&conn, "ORDER BY rowid DESC", &[]).map_err(|e| self.read(e))
    }

    fn abandon_release(&self, id: &ReleaseId, how: &Abandonment, event: &NewEvent) -> Result<()> {
        self.write(|tx| {
            let n = tx
                .execute(
                    "UPDATE releases SET abandoned_by = ?2, abandoned_at = ?3, abandoned_reason = ?4 WHERE id = ?1 AND abandoned_at IS NULL",
                    params![id.to_string(), how.by, how.at, how.reason],
                )
                .map_err(|e| self.sql(e))?;
            if n == 0 {
                return Err(StoreError::Conflict(format!(
                    "release {} is unknown or already abandoned",
                    id.short()
                )));
            }
            let rr = self.release_ref(tx, &id.to_string())?;
            self.append(tx, event, vec![rr])
        })
    }

    fn record_plan(
        &self,
        p: &PlanRecord,
        carried: &[ApprovalRecord],
        events: &[NewEvent],
    ) -> Result<()> {
        self.write(|tx| {
            let superseded: Vec<String> = {
                let mut stmt = tx
                    .prepare("SELECT id FROM plans WHERE env = ?1 AND status = 'pending'")
                    .map_err(|e| self.sql(e))?;
                let ids = stmt
                    .query_map([&p.env], |r| r.get(0))
                    .map_err(|e| self.sql(e))?
                    .collect::<rusqlite::Result<Vec<String>>>()
                    .map_err(|e| self.sql(e))?;
                ids
            };
            tx.execute(
                "UPDATE plans SET status = 'superseded' WHERE env = ?1 AND status = 'pending'",
                [&p.env],
            )
            .map_err(|e| self.sql(e))?;
            let seq: i64 = tx
                .query_row("SELECT COALESCE(MAX(seq), 0) + 1 FROM plans", [], |r| r.get(0))
                .map_err(|e| self.sql(e))?;
            let json = |v: &serde_json::Value| v.to_string();
            let summary = serde_json::to_string(&p.summary).unwrap_or_default();
            let purpose = serde_json::to_string(&p.purpose).unwrap_or_default();
            tx.execute(
                &format!("INSERT INTO plans ({}, seq) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19)", rows::PLAN_COLUMNS),
                params![
                    p.id.to_string(),
                    p.env,
                    p.release.to_string(),
                    p.created_by,
                    p.created_at,
                    p.status.as_str(),
                    summary,
                    p.verdict.as_str(),
                    json(&p.review),
                    json(&p.policy),
                    p.policy_denied,
                    p.state_lineage,
                    p.state_serial.map(|s| s as i64),
                    p.baseline.as_ref().map(|b| b.to_string()),
                    p.change_digest,
                    purpose,
                    p.plan_json_sha256,
                    p.engine,
                    seq
                ],
            )
            .map_err(|e| match e {
                rusqlite::Error::SqliteFailure(f, _) if f.code == rusqlite::ErrorCode::ConstraintViolation => {
                    StoreError::Conflict(format!("plan {} is already in the ledger (the same plan file was planned twice)", p.id.short()))
                }
                e => self.sql(e),
            })?;
            let mut refs = vec![self.plan_ref(tx, &p.id.to_string())?];
            for id in &superseded {
                refs.push(self.plan_ref(tx, id)?);
            }
            for a in carried {
                refs.push(self.insert_approval(tx, a)?);
            }
            let (first, rest) = match events.split_first() {
                Some(split) => split,
                None => return Err(StoreError::Conflict("a plan is recorded with an event".into())),
            };
            self.append(tx, first, refs)?;
            for e in rest {
                self.append(tx, e, vec![])?;
            }
            Ok(())
        })
    }

    fn plan(&self, id: &PlanId) -> Result<Option<PlanRecord>> {
        let conn = self.conn();
        Ok(rows::plans(&conn, "WHERE id = ?1", &[&id.to_string()])
            .map_err(|e| self.read(e))?
            .into_iter()
            .next())
    }

    fn plans_by_prefix(&self, prefix: &str) -> Result<Vec<PlanRecord>> {
        let conn = self.conn();
        rows::plans(
            &conn,
            "WHERE id LIKE ?1 ORDER BY seq DESC",
            &[&hex_prefix(prefix)],
        )
        .map_err(|e| self.read(e))
    }

    fn pending_plan(&self, env: &str) -> Result<Option<PlanRecord>> {
        let conn = self.conn();
        Ok(rows::plans(
            &conn,
            "WHERE env = ?1 AND status = 'pending' ORDER BY seq DESC LIMIT 1",
            &[&env],
        )
        .map_err(|e| self.read(e))?
        .into_iter()
        .next())
    }

    fn latest_plan(&self, env: &str) -> Result<Option<PlanRecord>> {
        let conn = self.conn();
        Ok(
            rows::plans(&conn, "WHERE env = ?1 ORDER BY seq DESC LIMIT 1", &[&env])
                .map_err(|e| self.read(e))?
                .into_iter()
                .next(),
        )
    }

    fn transition_plan(
        &self,
        id: &PlanId,
        from: PlanStatus,
        to: PlanStatus,
        event: &NewEvent,
    ) -> Result<()> {
        if !from.can_become(to) {
            return Err(StoreError::Conflict(format!(
                "a plan cannot go from {from} to {to}"
            )));
        }
        self.write(|tx| {
            let n = tx
                .execute(
                    "UPDATE plans SET status = ?3 WHERE id = ?1 AND status = ?2",
                    params![id.to_string(), from.as_str(), to.as_str()],
                )
                .map_err(|e| self.sql(e))?;
            if n == 0 {
                let now = self.plan_status(tx, &id.to_string())?;
                return Err(StoreError::Conflict(match now {
                    None => format!("plan {id} is not in the ledger"),
                    Some(s) => format!("plan {} is {s}, not {from}", id.short()),
                }));
            }
            let r = self.plan_ref(tx, &id.to_string())?;
            self.append(tx, event, vec![r])
        })
    }

    fn record_approval(&self, a: &ApprovalRecord, event: &NewEvent) -> Result<()> {
        self.write(|tx| {
            let status = self.plan_status(tx, &a.plan.to_string())?;
            if status != Some(PlanStatus::Pending) {
                return Err(self.not_pending(&a.plan, &a.env, status));
            }
            let r = self.insert_approval(tx, a)?;
            self.append(tx, event, vec![r])
        })
    }

    fn reject_plan(&self, a: &ApprovalRecord, event: &NewEvent) -> Result<()> {
        self.write(|tx| {
            let n = tx
                .execute(
                    "UPDATE plans SET status = 'rejected' WHERE id = ?1 AND status = 'pending'",
                    [a.plan.to_string()],
                )
                .map_err(|e| self.sql(e))?;
            if n == 0 {
                let status = self.plan_status(tx, &a.plan.to_string())?;
                return Err(self.not_pending(&a.plan, &a.env, status));
            }
            let r = self.insert_approval(tx, a)?;
            let p = self.plan_ref(tx, &a.plan.to_string())?;
            self.append(tx, event, vec![r, p])
        })
    }

    fn approvals(&self, plan: &PlanId) -> Result<Vec<ApprovalRecord>> {
        let conn = self.conn();
        Ok(rows::approvals(
            &conn,
            "WHERE plan_id = ?1 ORDER BY seq",
            &[&plan.to_string()],
        )
        .map_err(|e| self.read(e))?
        .into_iter()
        .map(|(_, a)| a)
        .collect())
    }

    fn begin_deployment(&self, d: &NewDeployment, event: &NewEvent) -> Result<i64> {
        self.write(|tx| {
            let claimed = tx
                .execute(
                    "UPDATE plans SET status = 'applying' WHERE id = ?1 AND status = 'pending'",
                    [d.plan.to_string()],
                )
                .map_err(|e| self.sql(e))?;
            if claimed == 0 {
                let status = self.plan_status(tx, &d.plan.to_string())?;
                return Err(self.not_pending(&d.plan, &d.env, status));
            }
            tx.execute(
                "INSERT INTO deployments (env, release_id, plan_id, kind, by_whom, started_at, status, replaces) VALUES (?1, ?2, ?3, ?4, ?5, ?6, 'running', ?7)",
                params![d.env, d.release.to_string(), d.plan.to_string(), d.kind.as_str(), d.by, d.at, d.replaces.as_ref().map(|r| r.to_string())],
            )
            .map_err(|e| self.sql(e))?;
            let id = tx.last_insert_rowid();
            let refs = vec![self.deployment_ref(tx, id)?, self.plan_ref(tx, &d.plan.to_string())?];
            self.append(tx, event, refs)?;
            Ok(id)
        })
    }

    fn finish_deployment(&self, id: i64, o: &DeploymentOutcome, event: &NewEvent) -> Result<()> {
        if !DeploymentStatus::Running.can_become(o.status) {
            return Err(StoreError::Conflict(format!(
                "a deployment cannot finish as {}",
                o.status
            )));
        }
        self.write(|tx| {
            let n = tx
                .execute(
                    "UPDATE deployments SET status = ?2, finished_at = ?3, error = ?4, log = ?5 WHERE id = ?1 AND status = 'running'",
                    params![id, o.status.as_str(), o.at, o.error, o.log],
                )
                .map_err(|e| self.sql(e))?;
            if n == 0 {
                return Err(StoreError::Conflict(format!(
                    "deployment #{id} is no longer running (it was recorded as interrupted or finished by someone else); its outcome was not written"
                )));
            }
            let plan_status = match o.status {
                DeploymentStatus::Succeeded => "applied",
                _ => "failed",
            };
            tx.execute(
                "UPDATE plans SET status = ?2 WHERE id = (SELECT plan_id FROM deployments WHERE id = ?1) AND status = 'applying'",
                params![id, plan_status],
            )
            .map_err(|e| self.sql(e))?;
            let plan: String = tx
                .query_row("SELECT plan_id FROM deployments WHERE id = ?1", [id], |r| r.get(0))
                .map_err(|e| self.sql(e))?;
            let refs = vec![self.deployment_ref(tx, id)?, self.plan_ref(tx, &plan)?];
            self.append(tx, event, refs)
        })
    }

    fn record_verification(
        &self,
        id: i64,
        verified: bool,
        report: &serde_json::Value,
        at: &str,
        event: &NewEvent,
    ) -> Result<()> {
        self.write(|tx| {
            let n = tx
                .execute(
                    "UPDATE deployments SET verified = ?2, verification = ?3, verified_at = CASE WHEN ?2 THEN ?4 ELSE NULL END WHERE id = ?1 AND status = 'succeeded'",
                    params![id, verified, report.to_string(), at],
                )
                .map_err(|e| self.sql(e))?;
            if n == 0 {
                return Err(StoreError::Conflict(format!(
                    "deployment #{id} did not succeed; only a succeeded deployment is verified"
                )));
            }
            let r = self.deployment_ref(tx, id)?;
            self.append(tx, event, vec![r])
        })
    }

    fn mark_interrupted(&self, id: i64, at: &str, event: &NewEvent) -> Result<()> {
        self.write(|tx| {
            let n = tx
                .execute(
                    "UPDATE deployments SET status = 'interrupted', finished_at = ?2, error = 'ferry was interrupted during apply' WHERE id = ?1 AND status = 'running'",
                    params![id, at],
                )
                .map_err(|e| self.sql(e))?;
            if n == 0 {
                return Err(StoreError::Conflict(format!("deployment #{id} is no longer running")));
            }
            tx.execute(
                "UPDATE plans SET status = 'failed' WHERE id = (SELECT plan_id FROM deployments WHERE id = ?1) AND status = 'applying'",
                params![id],
            )
            .map_err(|e| self.sql(e))?;
            let plan: String = tx
                .query_row("SELECT plan_id FROM deployments WHERE id = ?1", [id], |r| r.get(0))
                .map_err(|e| self.sql(e))?;
            let refs = vec![self.deployment_ref(tx, id)?, self.plan_ref(tx, &plan)?];
            self.append(tx, event, refs)
        })
    }

    fn deployment(&self, id: i64) -> Result<Option<DeploymentRecord>> {
        let conn = self.conn();
        Ok(rows::deployments(&conn, "WHERE id = ?1", &[&id])
            .map_err(|e| self.read(e))?
            .into_iter()
            .next())
    }

    fn deployments(&self, env: Option<&str>) -> Result<Vec<DeploymentRecord>> {
        let conn = self.conn();
        match env {
            Some(env) => rows::deployments(&conn, "WHERE env = ?1 ORDER BY id DESC", &[&env]),
            None => rows::deployments(&conn, "ORDER BY id DESC", &[]),
        }
        .map_err(|e| self.read(e))
    }

    fn running_deployments(&self) -> Result<Vec<DeploymentRecord>> {
        let conn = self.conn();
        rows::deployments(&conn, "WHERE status = 'running' ORDER BY id", &[])
            .map_err(|e| self.read(e))
    }

    fn acquire_lock(&self, lock: &LockRecord, now: &str) -> Result<LockTaken> {
        self.write(|tx| {
            let held = rows::lock(tx, &lock.env).map_err(|e| self.read(e))?;
            let taken = match held {
                Some(h) if h.expires_at.as_str() > now => {
                    return Err(StoreError::Locked(Box::new(h)))
                }
                Some(h) => {
                    tx.execute("DELETE FROM locks WHERE env = ?1", [&lock.env])
                        .map_err(|e| self.sql(e))?;
                    LockTaken::TookOver(h)
                }
                None => LockTaken::Fresh,
            };
            tx.execute(
                &format!(
                    "INSERT INTO locks ({}) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                    rows::LOCK_COLUMNS
                ),
                params![
                    lock.env,
                    lock.holder,
                    lock.token,
                    lock.purpose,
                    lock.since,
                    lock.expires_at
                ],
            )
            .map_err(|e| self.sql(e))?;
            Ok(taken)
        })
    }

    fn renew_lock(&self, env: &str, token: &str, expires_at: &str) -> Result<()> {
        self.write(|tx| {
            let n = tx
                .execute(
                    "UPDATE locks SET expires_at = ?3 WHERE env = ?1 AND token = ?2",
                    params![env, token, expires_at],
                )
                .map_err(|e| self.sql(e))?;
            if n == 0 {
                return Err(StoreError::Conflict(format!(
                    "the lock of '{env}' is no longer held by this process (it expired and was taken over, or someone ran `ferry unlock`)"
                )));
            }
            Ok(())
        })
    }

    fn release_lock(&self, env: &str, token: &str) -> Result<()> {
        self.write(|tx| {
            tx.execute(
                "DELETE FROM locks WHERE env = ?1 AND token = ?2",
                params![env, token],
            )
            .map_err(|e| self.sql(e))?;
            Ok(())
        })
    }

    fn lock(&self, env: &str) -> Result<Option<LockRecord>> {
        let conn = self.conn();
        rows::lock(&conn, env).map_err(|e| self.read(e))
    }

    fn force_unlock(&self, env: &str, event: &NewEvent) -> Result<Option<LockRecord>> {
        self.write(|tx| {
            let held = rows::lock(tx, env).map_err(|e| self.read(e))?;
            if held.is_some() {
                tx.execute("DELETE FROM locks WHERE env = ?1", [env])
                    .map_err(|e| self.sql(e))?;
                self.append(tx, event, vec![])?;
            }
            Ok(held)
        })
    }

    fn record_rehearsal(&self, r: &RehearsalRecord, event: &NewEvent) -> Result<()> {
        self.write(|tx| {
            tx.execute(
                "INSERT INTO rehearsals (env, release_id, target_id, at, ready, verdict, summary, detail) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
                params![
                    r.env,
                    r.release.to_string(),
                    r.target.to_string(),
                    r.at,
                    r.ready,
                    r.verdict.as_str(),
                    serde_json::to_string(&r.summary).unwrap_or_default(),
                    r.detail.to_string()
                ],
            )
            .map_err(|e| self.sql(e))?;
            let seq = tx.last_insert_rowid();
            let (_, stored) = rows::rehearsals(tx, "WHERE seq = ?1", &[&seq])
                .map_err(|e| self.read(e))?
                .into_iter()
                .next()
                .ok_or_else(|| StoreError::NotFound("rehearsal vanished".into()))?;
            let rr = RowRef {
                table: "rehearsals".into(),
                key: seq.to_string(),
                digest: chain::row_digest(&stored),
            };
            self.append(tx, event, vec![rr])
        })
    }

    fn latest_rehearsal(&self, release: &ReleaseId) -> Result<Option<RehearsalRecord>> {
        let conn = self.conn();
        Ok(rows::rehearsals(
            &conn,
            "WHERE release_id = ?1 ORDER BY seq DESC LIMIT 1",
            &[&release.to_string()],
        )
        .map_err(|e| self.read(e))?
        .into_iter()
        .next()
        .map(|(_, r)| r))
    }

    fn record_advice(&self, advice: &AdviceRecord, event: &NewEvent) -> Result<()> {
        self.insert_advice(advice, event)
    }

    fn advice(&self, plan: &PlanId) -> Result<Vec<AdviceRecord>> {
        self.advice_of(plan)
    }

    fn record_migration_run(&self, run: &MigrationRunRecord, event: &NewEvent) -> Result<i64> {
        self.insert_migration_run(run, event)
    }

    fn migration_runs(&self, env: Option<&str>) -> Result<Vec<MigrationRunRecord>> {
        self.select_migration_runs(env)
    }

    fn record_migration_approval(
        &self,
        a: &MigrationApprovalRecord,
        event: &NewEvent,
    ) -> Result<()> {
        self.insert_migration_approval(a, event)
    }

    fn migration_approvals(
        &self,
        env: &str,
        set: &str,
        digest: &str,
    ) -> Result<Vec<MigrationApprovalRecord>> {
        self.select_migration_approvals(env, set, digest)
    }

    fn record_event(&self, event: &NewEvent) -> Result<()> {
        self.write(|tx| self.append(tx, event, vec![]))
    }

    fn events(&self, env: Option<&str>) -> Result<Vec<Event>> {
        let conn = self.conn();
        let stored = rows::stored_events(
            &conn,
            "WHERE ?1 IS NULL OR env = ?1 ORDER BY seq DESC",
            &[&env],
        )
        .map_err(|e| self.read(e))?;
        let what = self.path.display().to_string();
        stored.into_iter().map(|e| e.into_event(&what)).collect()
    }

    fn events_page(
        &self,
        env: Option<&str>,
        limit: usize,
        before: Option<i64>,
    ) -> Result<Vec<Event>> {
        let conn = self.conn();
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let stored = rows::stored_events(
            &conn,
            "WHERE (?1 IS NULL OR env = ?1) AND (?2 IS NULL OR seq < ?2) ORDER BY seq DESC LIMIT ?3",
            &[&env, &before, &limit],
        )
        .map_err(|e| self.read(e))?;
        let what = self.path.display().to_string();
        stored.into_iter().map(|e| e.into_event(&what)).collect()
    }

    fn verify(&self) -> Result<ChainReport> {
        // One read transaction, so a concurrent writer cannot show a half-moved picture.
        let mut conn = self.conn();
        let tx = conn.transaction().map_err(|e| self.sql(e))?;
        let events = rows::stored_events(&tx, "ORDER BY seq", &[]).map_err(|e| self.read(e))?;
        let rows = self.covered_rows(&tx)?;
        Ok(chain::verify(&events, &rows))
    }
}
