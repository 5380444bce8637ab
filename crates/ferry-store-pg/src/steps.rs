//! The PostgreSQL ledger's shared steps inside a write: re-reading a row for the digest its
//! event names, inserting with `RETURNING seq`, settling a deployment's plan, and the messages
//! for a plan that is not pending.

use crate::rows;
use crate::PgLedger;
use ferry_core::PlanId;
use ferry_store::chain::{self, RowRef};
use ferry_store::*;
use postgres::Transaction;

pub(crate) fn one<T>(v: Vec<T>) -> Option<T> {
    v.into_iter().next()
}

impl PgLedger {
    pub(crate) fn plan_ref(&self, tx: &mut Transaction<'_>, id: &str) -> Result<RowRef> {
        let p = one(rows::plans(tx, "WHERE id = $1", &[&id]).map_err(|e| self.read(e))?)
            .ok_or_else(|| StoreError::NotFound(format!("plan {id} is not in the ledger")))?;
        Ok(RowRef {
            table: "plans".into(),
            key: id.to_string(),
            digest: chain::row_digest(&p),
        })
    }

    pub(crate) fn deployment_ref(&self, tx: &mut Transaction<'_>, id: i64) -> Result<RowRef> {
        let d = one(rows::deployments(tx, "WHERE id = $1", &[&id]).map_err(|e| self.read(e))?)
            .ok_or_else(|| {
                StoreError::NotFound(format!("deployment #{id} is not in the ledger"))
            })?;
        Ok(RowRef {
            table: "deployments".into(),
            key: id.to_string(),
            digest: chain::row_digest(&d),
        })
    }

    pub(crate) fn release_ref(&self, tx: &mut Transaction<'_>, id: &str) -> Result<RowRef> {
        let r = one(rows::releases(tx, "WHERE id = $1", &[&id]).map_err(|e| self.read(e))?)
            .ok_or_else(|| StoreError::NotFound(format!("release {id} is not in the ledger")))?;
        Ok(RowRef {
            table: "releases".into(),
            key: id.to_string(),
            digest: chain::row_digest(&r),
        })
    }

    /// Inserts a row with `RETURNING seq` and re-reads it (so the digest is of what is stored,
    /// as `verify` will read it) with `reread`.
    pub(crate) fn insert_seq<T: serde::Serialize>(
        &self,
        tx: &mut Transaction<'_>,
        table: &str,
        sql: &str,
        params: rows::Params<'_>,
        reread: impl FnOnce(&mut Transaction<'_>, i64) -> rows::Read<Option<T>>,
    ) -> Result<(i64, RowRef)> {
        let seq: i64 = tx
            .query_one(sql, params)
            .and_then(|r| r.try_get(0))
            .map_err(|e| self.sql(e))?;
        let stored = reread(tx, seq)
            .map_err(|e| self.read(e))?
            .ok_or_else(|| StoreError::NotFound(format!("{table} row #{seq} vanished")))?;
        Ok((
            seq,
            RowRef {
                table: table.into(),
                key: seq.to_string(),
                digest: chain::row_digest(&stored),
            },
        ))
    }

    pub(crate) fn insert_approval(
        &self,
        tx: &mut Transaction<'_>,
        a: &ApprovalRecord,
    ) -> Result<RowRef> {
        let plan = a.plan.to_string();
        let (_, r) = self.insert_seq(
            tx,
            "approvals",
            "INSERT INTO approvals (plan_id, env, by_whom, at, decision, reason, acknowledged_warnings, source, via, signature) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING seq",
            &[&plan, &a.env, &a.by, &a.at, &a.decision.as_str(), &a.reason, &a.acknowledged_warnings, &a.source, &a.via, &a.signature],
            |tx, seq| Ok(one(rows::approvals(tx, "WHERE seq = $1", &[&seq])?).map(|(_, a)| a)),
        )?;
        Ok(r)
    }

    pub(crate) fn plan_status(
        &self,
        tx: &mut Transaction<'_>,
        id: &str,
    ) -> Result<Option<PlanStatus>> {
        let status: Option<String> = tx
            .query_opt("SELECT status FROM plans WHERE id = $1", &[&id])
            .and_then(|r| r.map(|r| r.try_get(0)).transpose())
            .map_err(|e| self.sql(e))?;
        Ok(status.and_then(|s| PlanStatus::parse(&s)))
    }

    pub(crate) fn not_pending(
        &self,
        id: &PlanId,
        env: &str,
        status: Option<PlanStatus>,
    ) -> StoreError {
        StoreError::Conflict(match status {
            None => format!("plan {id} is not in the ledger"),
            Some(PlanStatus::Applied) => format!("plan {} was applied already; a plan is applied once — run `ferry plan --env {env}` for a new one", id.short()),
            Some(PlanStatus::Applying) => format!("plan {} is being applied (or its apply was interrupted; see `ferry status --env {env}`)", id.short()),
            Some(other) => format!("plan {} is {other}, not pending; run `ferry plan --env {env}` for a new one", id.short()),
        })
    }

    pub(crate) fn deployment_plan(&self, tx: &mut Transaction<'_>, id: i64) -> Result<String> {
        tx.query_one("SELECT plan_id FROM deployments WHERE id = $1", &[&id])
            .and_then(|r| r.try_get(0))
            .map_err(|e| self.sql(e))
    }

    /// Moves the plan of deployment `id` out of `applying`, and appends `event` naming both rows.
    pub(crate) fn settle_plan(
        &self,
        tx: &mut Transaction<'_>,
        id: i64,
        plan_status: &str,
        event: &NewEvent,
    ) -> Result<()> {
        tx.execute(
            "UPDATE plans SET status = $2 WHERE id = (SELECT plan_id FROM deployments WHERE id = $1) AND status = 'applying'",
            &[&id, &plan_status],
        )
        .map_err(|e| self.sql(e))?;
        let plan = self.deployment_plan(tx, id)?;
        let refs = vec![self.deployment_ref(tx, id)?, self.plan_ref(tx, &plan)?];
        self.append(tx, event, refs)
    }

    pub(crate) fn whole<T: serde::de::DeserializeOwned>(
        &self,
        table: &str,
        item: &'static str,
        where_: &str,
        params: rows::Params<'_>,
    ) -> Result<Vec<T>> {
        self.with(|c| rows::whole(c, table, item, where_, params))
            .map(|v| v.into_iter().map(|(_, r)| r).collect())
    }

    pub(crate) fn to_json<T: serde::Serialize>(&self, item: &str, record: &T) -> Result<String> {
        serde_json::to_string(record).map_err(|e| StoreError::Corrupt {
            what: self.what().to_string(),
            item: item.to_string(),
            message: e.to_string(),
        })
    }
}
