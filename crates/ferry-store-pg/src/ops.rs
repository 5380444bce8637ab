//! [`Ledger`] for PostgreSQL. Each write is one transaction (holding the ledger's write lock)
//! that changes its rows, re-reads them, and appends the chained event naming their new digests
//! — the SQLite ledger's rules, in PostgreSQL's dialect.

use crate::rows;
use crate::steps::one;
use crate::PgLedger;
use ferry_core::{PlanId, ReleaseId};
use ferry_store::chain::{self, ChainReport};
use ferry_store::*;
use postgres::error::SqlState;
use postgres::IsolationLevel;

fn hex_prefix(prefix: &str) -> String {
    let hex: String = prefix.chars().filter(|c| c.is_ascii_hexdigit()).collect();
    format!("sha256:{hex}%")
}

impl Ledger for PgLedger {
    fn record_release(&self, r: &ReleaseRecord, event: &NewEvent) -> Result<bool> {
        let id = r.id.to_string();
        self.write(|tx| {
            let n = tx
                .execute(
                    "INSERT INTO releases (id, git_commit, dirty, subject, author, created_by, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (id) DO NOTHING",
                    &[&id, &r.commit, &r.dirty, &r.subject, &r.author, &r.created_by, &r.created_at],
                )
                .map_err(|e| self.sql(e))?;
            if n == 1 {
                let rr = self.release_ref(tx, &id)?;
                self.append(tx, event, vec![rr])?;
            }
            Ok(n == 1)
        })
    }

    fn release(&self, id: &ReleaseId) -> Result<Option<ReleaseRecord>> {
        let id = id.to_string();
        self.with(|c| rows::releases(c, "WHERE id = $1", &[&id]).map(one))
    }

    fn releases_by_prefix(&self, prefix: &str) -> Result<Vec<ReleaseRecord>> {
        let like = hex_prefix(prefix);
        self.with(|c| rows::releases(c, "WHERE id LIKE $1 ORDER BY seq DESC", &[&like]))
    }

    fn releases(&self) -> Result<Vec<ReleaseRecord>> {
        self.with(|c| rows::releases(c, "ORDER BY seq DESC", &[]))
    }

    fn abandon_release(&self, id: &ReleaseId, how: &Abandonment, event: &NewEvent) -> Result<()> {
        let key = id.to_string();
        self.write(|tx| {
            let n = tx
                .execute(
                    "UPDATE releases SET abandoned_by = $2, abandoned_at = $3, abandoned_reason = $4 WHERE id = $1 AND abandoned_at IS NULL",
                    &[&key, &how.by, &how.at, &how.reason],
                )
                .map_err(|e| self.sql(e))?;
            if n == 0 {
                return Err(StoreError::Conflict(format!(
                    "release {} is unknown or already abandoned",
                    id.short()
                )));
            }
            let rr = self.release_ref(tx, &key)?;
            self.append(tx, event, vec![rr])
        })
    }

    fn record_plan(
        &self,
        p: &PlanRecord,
        carried: &[ApprovalRecord],
        events: &[NewEvent],
    ) -> Result<()> {
        let (first, rest) = events
            .split_first()
            .ok_or_else(|| StoreError::Conflict("a plan is recorded with an event".into()))?;
        let id = p.id.to_string();
        let release = p.release.to_string();
        let summary = self.to_json("plan summary", &p.summary)?;
        let purpose = self.to_json("plan purpose", &p.purpose)?;
        let review = p.review.to_string();
        let policy = p.policy.to_string();
        let serial =
            match p.state_serial {
                Some(s) => Some(i64::try_from(s).map_err(|_| {
                    StoreError::Conflict(format!("state serial {s} is out of range"))
                })?),
                None => None,
            };
        let baseline = p.baseline.as_ref().map(|b| b.to_string());
        self.write(|tx| {
            let superseded: Vec<String> = tx
                .query(
                    "UPDATE plans SET status = 'superseded' WHERE env = $1 AND status = 'pending' RETURNING id",
                    &[&p.env],
                )
                .map_err(|e| self.sql(e))?
                .iter()
                .map(|r| r.try_get(0))
                .collect::<std::result::Result<_, _>>()
                .map_err(|e| self.sql(e))?;
            let seq: i64 = tx
                .query_one("SELECT COALESCE(MAX(seq), 0) + 1 FROM plans", &[])
                .and_then(|r| r.try_get(0))
                .map_err(|e| self.sql(e))?;
            tx.execute(
                &format!("INSERT INTO plans ({}, seq) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19)", rows::PLAN_COLUMNS),
                &[
                    &id,
                    &p.env,
                    &release,
                    &p.created_by,
                    &p.created_at,
                    &p.status.as_str(),
                    &summary,
                    &p.verdict.as_str(),
                    &review,
                    &policy,
                    &p.policy_denied,
                    &p.state_lineage,
                    &serial,
                    &baseline,
                    &p.change_digest,
                    &purpose,
                    &p.plan_json_sha256,
                    &p.engine,
                    &seq,
                ],
            )
            .map_err(|e| match e.code() {
                Some(c) if *c == SqlState::UNIQUE_VIOLATION => StoreError::Conflict(format!(
                    "plan {} is already in the ledger (the same plan file was planned twice)",
                    p.id.short()
                )),
                _ => self.sql(e),
            })?;
            let mut refs = vec![self.plan_ref(tx, &id)?];
            for old in &superseded {
                refs.push(self.plan_ref(tx, old)?);
            }
            for a in carried {
                refs.push(self.insert_approval(tx, a)?);
            }
            self.append(tx, first, refs)?;
            for e in rest {
                self.append(tx, e, vec![])?;
            }
            Ok(())
        })
    }

    fn plan(&self, id: &PlanId) -> Result<Option<PlanRecord>> {
        let id = id.to_string();
        self.with(|c| rows::plans(c, "WHERE id = $1", &[&id]).map(one))
    }

    fn plans_by_prefix(&self, prefix: &str) -> Result<Vec<PlanRecord>> {
        let like = hex_prefix(prefix);
        self.with(|c| rows::plans(c, "WHERE id LIKE $1 ORDER BY seq DESC", &[&like]))
    }

    fn pending_plan(&self, env: &str) -> Result<Option<PlanRecord>> {
        self.with(|c| {
            rows::plans(
                c,
                "WHERE env = $1 AND status = 'pending' ORDER BY seq DESC LIMIT 1",
                &[&env],
            )
            .map(one)
        })
    }

    fn latest_plan(&self, env: &str) -> Result<Option<PlanRecord>> {
        self.with(|c| rows::plans(c, "WHERE env = $1 ORDER BY seq DESC LIMIT 1", &[&env]).map(one))
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
        let key = id.to_string();
        self.write(|tx| {
            let n = tx
                .execute(
                    "UPDATE plans SET status = $3 WHERE id = $1 AND status = $2",
                    &[&key, &from.as_str(), &to.as_str()],
                )
                .map_err(|e| self.sql(e))?;
            if n == 0 {
                let now = self.plan_status(tx, &key)?;
                return Err(StoreError::Conflict(match now {
                    None => format!("plan {id} is not in the ledger"),
                    Some(s) => format!("plan {} is {s}, not {from}", id.short()),
                }));
            }
            let r = self.plan_ref(tx, &key)?;
            self.append(tx, event, vec![r])
        })
    }

    fn record_approval(&self, a: &ApprovalRecord, event: &NewEvent) -> Result<()> {
        let plan = a.plan.to_string();
        self.write(|tx| {
            // Row lock: a concurrent claim of this plan waits for (or has already beaten) us.
            tx.execute("SELECT 1 FROM plans WHERE id = $1 FOR UPDATE", &[&plan])
                .map_err(|e| self.sql(e))?;
            let status = self.plan_status(tx, &plan)?;
            if status != Some(PlanStatus::Pending) {
                return Err(self.not_pending(&a.plan, &a.env, status));
            }
            let r = self.insert_approval(tx, a)?;
            self.append(tx, event, vec![r])
        })
    }

    fn reject_plan(&self, a: &ApprovalRecord, event: &NewEvent) -> Result<()> {
        let plan = a.plan.to_string();
        self.write(|tx| {
            let n = tx
                .execute(
                    "UPDATE plans SET status = 'rejected' WHERE id = $1 AND status = 'pending'",
                    &[&plan],
                )
                .map_err(|e| self.sql(e))?;
            if n == 0 {
                let status = self.plan_status(tx, &plan)?;
                return Err(self.not_pending(&a.plan, &a.env, status));
            }
            let r = self.insert_approval(tx, a)?;
            let p = self.plan_ref(tx, &plan)?;
            self.append(tx, event, vec![r, p])
        })
    }

    fn approvals(&self, plan: &PlanId) -> Result<Vec<ApprovalRecord>> {
        let plan = plan.to_string();
        self.with(|c| rows::approvals(c, "WHERE plan_id = $1 ORDER BY seq", &[&plan]))
            .map(|v| v.into_iter().map(|(_, a)| a).collect())
    }

    fn begin_deployment(&self, d: &NewDeployment, event: &NewEvent) -> Result<i64> {
        let plan = d.plan.to_string();
        let release = d.release.to_string();
        let replaces = d.replaces.as_ref().map(|r| r.to_string());
        self.write(|tx| {
            let claimed = tx
                .execute(
                    "UPDATE plans SET status = 'applying' WHERE id = $1 AND status = 'pending'",
                    &[&plan],
                )
                .map_err(|e| self.sql(e))?;
            if claimed == 0 {
                let status = self.plan_status(tx, &plan)?;
                return Err(self.not_pending(&d.plan, &d.env, status));
            }
            let id: i64 = tx
                .query_one(
                    "INSERT INTO deployments (env, release_id, plan_id, kind, by_whom, started_at, status, replaces) VALUES ($1, $2, $3, $4, $5, $6, 'running', $7) RETURNING id",
                    &[&d.env, &release, &plan, &d.kind.as_str(), &d.by, &d.at, &replaces],
                )
                .and_then(|r| r.try_get(0))
                .map_err(|e| self.sql(e))?;
            let refs = vec![self.deployment_ref(tx, id)?, self.plan_ref(tx, &plan)?];
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
                    "UPDATE deployments SET status = $2, finished_at = $3, error = $4, log = $5 WHERE id = $1 AND status = 'running'",
                    &[&id, &o.status.as_str(), &o.at, &o.error, &o.log],
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
            self.settle_plan(tx, id, plan_status, event)
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
        let report = report.to_string();
        let verified_at = verified.then_some(at);
        self.write(|tx| {
            let n = tx
                .execute(
                    "UPDATE deployments SET verified = $2, verification = $3, verified_at = $4 WHERE id = $1 AND status = 'succeeded'",
                    &[&id, &verified, &report, &verified_at],
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
                    "UPDATE deployments SET status = 'interrupted', finished_at = $2, error = 'ferry was interrupted during apply' WHERE id = $1 AND status = 'running'",
                    &[&id, &at],
                )
                .map_err(|e| self.sql(e))?;
            if n == 0 {
                return Err(StoreError::Conflict(format!(
                    "deployment #{id} is no longer running"
                )));
            }
            self.settle_plan(tx, id, "failed", event)
        })
    }

    fn deployment(&self, id: i64) -> Result<Option<DeploymentRecord>> {
        self.with(|c| rows::deployments(c, "WHERE id = $1", &[&id]).map(one))
    }

    fn deployments(&self, env: Option<&str>) -> Result<Vec<DeploymentRecord>> {
        self.with(|c| {
            rows::deployments(
                c,
                "WHERE $1::TEXT IS NULL OR env = $1 ORDER BY id DESC",
                &[&env],
            )
        })
    }

    fn running_deployments(&self) -> Result<Vec<DeploymentRecord>> {
        self.with(|c| rows::deployments(c, "WHERE status = 'running' ORDER BY id", &[]))
    }

    fn acquire_lock(&self, lock: &LockRecord, now: &str) -> Result<LockTaken> {
        self.write(|tx| {
            let held = rows::lock(tx, &lock.env).map_err(|e| self.read(e))?;
            let taken = match held {
                Some(h) if h.expires_at.as_str() > now => {
                    return Err(StoreError::Locked(Box::new(h)))
                }
                Some(h) => {
                    tx.execute("DELETE FROM locks WHERE env = $1", &[&lock.env])
                        .map_err(|e| self.sql(e))?;
                    LockTaken::TookOver(h)
                }
                None => LockTaken::Fresh,
            };
            tx.execute(
                &format!(
                    "INSERT INTO locks ({}) VALUES ($1, $2, $3, $4, $5, $6)",
                    rows::LOCK_COLUMNS
                ),
                &[
                    &lock.env,
                    &lock.holder,
                    &lock.token,
                    &lock.purpose,
                    &lock.since,
                    &lock.expires_at,
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
                    "UPDATE locks SET expires_at = $3 WHERE env = $1 AND token = $2",
                    &[&env, &token, &expires_at],
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
                "DELETE FROM locks WHERE env = $1 AND token = $2",
                &[&env, &token],
            )
            .map_err(|e| self.sql(e))?;
            Ok(())
        })
    }

    fn lock(&self, env: &str) -> Result<Option<LockRecord>> {
        self.with(|c| rows::lock(c, env))
    }

    fn force_unlock(&self, env: &str, event: &NewEvent) -> Result<Option<LockRecord>> {
        self.write(|tx| {
            let held = rows::lock(tx, env).map_err(|e| self.read(e))?;
            if held.is_some() {
                tx.execute("DELETE FROM locks WHERE env = $1", &[&env])
                    .map_err(|e| self.sql(e))?;
                self.append(tx, event, vec![])?;
            }
            Ok(held)
        })
    }

    fn record_rehearsal(&self, r: &RehearsalRecord, event: &NewEvent) -> Result<()> {
        let release = r.release.to_string();
        let target = r.target.to_string();
        let summary = self.to_json("rehearsal summary", &r.summary)?;
        let detail = r.detail.to_string();
        self.write(|tx| {
            let (_, rr) = self.insert_seq(
                tx,
                "rehearsals",
                "INSERT INTO rehearsals (env, release_id, target_id, at, ready, verdict, summary, detail) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING seq",
                &[&r.env, &release, &target, &r.at, &r.ready, &r.verdict.as_str(), &summary, &detail],
                |tx, seq| Ok(one(rows::rehearsals(tx, "WHERE seq = $1", &[&seq])?).map(|(_, h)| h)),
            )?;
            self.append(tx, event, vec![rr])
        })
    }

    fn latest_rehearsal(&self, release: &ReleaseId) -> Result<Option<RehearsalRecord>> {
        let release = release.to_string();
        self.with(|c| {
            rows::rehearsals(
                c,
                "WHERE release_id = $1 ORDER BY seq DESC LIMIT 1",
                &[&release],
            )
            .map(|v| one(v).map(|(_, r)| r))
        })
    }

    fn record_advice(&self, a: &AdviceRecord, event: &NewEvent) -> Result<()> {
        let plan = a.plan.to_string();
        let version = i64::from(a.template_version);
        self.write(|tx| {
            let known: Option<String> = tx
                .query_opt("SELECT env FROM plans WHERE id = $1", &[&plan])
                .and_then(|r| r.map(|r| r.try_get(0)).transpose())
                .map_err(|e| self.sql(e))?;
            match known {
                None => {
                    return Err(StoreError::NotFound(format!(
                        "plan {} is not in the ledger",
                        a.plan
                    )))
                }
                Some(env) if env != a.env => {
                    return Err(StoreError::Conflict(format!(
                        "plan {} belongs to '{env}', not '{}'",
                        a.plan.short(),
                        a.env
                    )))
                }
                Some(_) => {}
            }
            let (_, r) = self.insert_seq(
                tx,
                "advice",
                "INSERT INTO advice (plan_id, env, model, template, template_version, prompt_sha256, answer, at, by_whom) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING seq",
                &[&plan, &a.env, &a.model, &a.template, &version, &a.prompt_sha256, &a.answer, &a.at, &a.by],
                |tx, seq| Ok(one(rows::advice(tx, "WHERE seq = $1", &[&seq])?).map(|(_, a)| a)),
            )?;
            self.append(tx, event, vec![r])
        })
    }

    fn advice(&self, plan: &PlanId) -> Result<Vec<AdviceRecord>> {
        let plan = plan.to_string();
        self.with(|c| rows::advice(c, "WHERE plan_id = $1 ORDER BY seq DESC", &[&plan]))
            .map(|v| v.into_iter().map(|(_, a)| a).collect())
    }

    fn record_migration_run(&self, run: &MigrationRunRecord, event: &NewEvent) -> Result<i64> {
        let json = self.to_json("migration run", run)?;
        self.write(|tx| {
            let (seq, r) = self.insert_seq(
                tx,
                "migration_runs",
                "INSERT INTO migration_runs (env, set_name, record) VALUES ($1, $2, $3) RETURNING seq",
                &[&run.env, &run.set, &json],
                |tx, seq| {
                    Ok(one(rows::whole::<_, MigrationRunRecord>(tx, "migration_runs", "migration run", "WHERE seq = $1", &[&seq])?).map(|(_, r)| r))
                },
            )?;
            self.append(tx, event, vec![r])?;
            Ok(seq)
        })
    }

    fn migration_runs(&self, env: Option<&str>) -> Result<Vec<MigrationRunRecord>> {
        self.whole(
            "migration_runs",
            "migration run",
            "WHERE $1::TEXT IS NULL OR env = $1 ORDER BY seq DESC",
            &[&env],
        )
    }

    fn record_migration_approval(
        &self,
        a: &MigrationApprovalRecord,
        event: &NewEvent,
    ) -> Result<()> {
        let json = self.to_json("migration approval", a)?;
        self.write(|tx| {
            let (_, r) = self.insert_seq(
                tx,
                "migration_approvals",
                "INSERT INTO migration_approvals (env, set_name, digest, record) VALUES ($1, $2, $3, $4) RETURNING seq",
                &[&a.env, &a.set, &a.digest, &json],
                |tx, seq| {
                    Ok(one(rows::whole::<_, MigrationApprovalRecord>(tx, "migration_approvals", "migration approval", "WHERE seq = $1", &[&seq])?).map(|(_, r)| r))
                },
            )?;
            self.append(tx, event, vec![r])
        })
    }

    fn migration_approvals(
        &self,
        env: &str,
        set: &str,
        digest: &str,
    ) -> Result<Vec<MigrationApprovalRecord>> {
        self.whole(
            "migration_approvals",
            "migration approval",
            "WHERE env = $1 AND set_name = $2 AND digest = $3 ORDER BY seq",
            &[&env, &set, &digest],
        )
    }

    fn record_event(&self, event: &NewEvent) -> Result<()> {
        self.write(|tx| self.append(tx, event, vec![]))
    }

    fn events(&self, env: Option<&str>) -> Result<Vec<Event>> {
        let stored = self.with(|c| {
            rows::stored_events(
                c,
                "WHERE $1::TEXT IS NULL OR env = $1 ORDER BY seq DESC",
                &[&env],
            )
        })?;
        stored.into_iter().map(|e| self.event(e)).collect()
    }

    fn events_page(
        &self,
        env: Option<&str>,
        limit: usize,
        before: Option<i64>,
    ) -> Result<Vec<Event>> {
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let stored = self.with(|c| {
            rows::stored_events(
                c,
                "WHERE ($1::TEXT IS NULL OR env = $1) AND ($2::BIGINT IS NULL OR seq < $2) ORDER BY seq DESC LIMIT $3",
                &[&env, &before, &limit],
            )
        })?;
        stored.into_iter().map(|e| self.event(e)).collect()
    }

    fn verify(&self) -> Result<ChainReport> {
        // One snapshot, so a concurrent writer cannot show a half-moved picture.
        let mut guard = self.client()?;
        let client = guard.as_mut().ok_or_else(|| StoreError::Unavailable {
            what: self.what().to_string(),
            message: "no connection".into(),
        })?;
        let out = (|| {
            let mut tx = client
                .build_transaction()
                .isolation_level(IsolationLevel::RepeatableRead)
                .read_only(true)
                .start()
                .map_err(|e| self.sql(e))?;
            let events =
                rows::stored_events(&mut tx, "ORDER BY seq", &[]).map_err(|e| self.read(e))?;
            let rows = self.covered_rows(&mut tx).map_err(|e| self.read(e))?;
            tx.commit().map_err(|e| self.sql(e))?;
            Ok(chain::verify(&events, &rows))
        })();
        crate::forget_if_broken(&mut guard, &out);
        out
    }
}
