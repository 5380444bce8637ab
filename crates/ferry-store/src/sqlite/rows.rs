//! Reading SQLite rows into records. Every reader takes a `Connection` (a transaction derefs to
//! one), so the digests written inside a transaction and the ones `verify` recomputes come from
//! the very same code.

use crate::records::*;
use rusqlite::{Connection, Row, ToSql};

pub(crate) const RELEASE_COLUMNS: &str = "id, git_commit, dirty, subject, author, created_by, created_at, abandoned_by, abandoned_at, abandoned_reason";
pub(crate) const PLAN_COLUMNS: &str = "id, env, release_id, created_by, created_at, status, summary, verdict, review, policy, \
     policy_denied, state_lineage, state_serial, baseline_id, change_digest, purpose, plan_json_sha256, engine";
pub(crate) const APPROVAL_COLUMNS: &str =
    "seq, plan_id, env, by_whom, at, decision, reason, acknowledged_warnings, source, via, signature";
pub(crate) const DEPLOYMENT_COLUMNS: &str = "id, env, release_id, plan_id, kind, by_whom, started_at, finished_at, status, verified, error, verification, verified_at, replaces";
pub(crate) const REHEARSAL_COLUMNS: &str =
    "seq, env, release_id, target_id, at, ready, verdict, summary, detail";
pub(crate) const ADVICE_COLUMNS: &str =
    "seq, plan_id, env, model, template, template_version, prompt_sha256, answer, at, by_whom";
pub(crate) const LOCK_COLUMNS: &str = "env, holder, token, purpose, since, expires_at";

/// A row that exists but does not make sense (bad id, unknown status): the ledger is corrupt.
pub(crate) type Bad = (String, String);

fn bad(item: &str, message: impl ToString) -> Bad {
    (item.to_string(), message.to_string())
}

pub(crate) enum ReadError {
    Sql(rusqlite::Error),
    Bad(Bad),
}

impl From<rusqlite::Error> for ReadError {
    fn from(e: rusqlite::Error) -> Self {
        ReadError::Sql(e)
    }
}

pub(crate) type Read<T> = std::result::Result<T, ReadError>;

fn parse<T: std::str::FromStr>(item: &str, s: &str) -> Read<T>
where
    T::Err: std::fmt::Display,
{
    s.parse().map_err(|e: T::Err| ReadError::Bad(bad(item, e)))
}

pub(crate) fn json<T: serde::de::DeserializeOwned>(item: &str, s: &str) -> Read<T> {
    serde_json::from_str(s).map_err(|e| ReadError::Bad(bad(item, e)))
}

fn opt<T: std::str::FromStr>(item: &str, s: Option<String>) -> Read<Option<T>>
where
    T::Err: std::fmt::Display,
{
    s.map(|s| parse(item, &s)).transpose()
}

pub(crate) fn query<T>(
    conn: &Connection,
    sql: &str,
    params: &[&dyn ToSql],
    map: impl Fn(&Row<'_>) -> Read<T>,
) -> Read<Vec<T>> {
    let mut stmt = conn.prepare_cached(sql)?;
    let mut rows = stmt.query(params)?;
    let mut out = Vec::new();
    while let Some(row) = rows.next()? {
        out.push(map(row)?);
    }
    Ok(out)
}

fn release_row(r: &Row<'_>) -> Read<ReleaseRecord> {
    let abandoned = match (
        r.get::<_, Option<String>>(7)?,
        r.get::<_, Option<String>>(8)?,
        r.get::<_, Option<String>>(9)?,
    ) {
        (Some(by), Some(at), Some(reason)) => Some(Abandonment { by, at, reason }),
        _ => None,
    };
    Ok(ReleaseRecord {
        id: parse("release id", &r.get::<_, String>(0)?)?,
        commit: r.get(1)?,
        dirty: r.get(2)?,
        subject: r.get(3)?,
        author: r.get(4)?,
        created_by: r.get(5)?,
        created_at: r.get(6)?,
        abandoned,
    })
}

pub(crate) fn releases(
    conn: &Connection,
    where_: &str,
    params: &[&dyn ToSql],
) -> Read<Vec<ReleaseRecord>> {
    let sql = format!("SELECT {RELEASE_COLUMNS} FROM releases {where_}");
    query(conn, &sql, params, release_row)
}

fn plan_row(r: &Row<'_>) -> Read<PlanRecord> {
    let status: String = r.get(5)?;
    let verdict: String = r.get(7)?;
    Ok(PlanRecord {
        id: parse("plan id", &r.get::<_, String>(0)?)?,
        env: r.get(1)?,
        release: parse("plan release", &r.get::<_, String>(2)?)?,
        created_by: r.get(3)?,
        created_at: r.get(4)?,
        status: PlanStatus::parse(&status)
            .ok_or_else(|| ReadError::Bad(bad("plan status", &status)))?,
        summary: json("plan summary", &r.get::<_, String>(6)?)?,
        verdict: serde_json::from_value(serde_json::Value::String(verdict.clone()))
            .map_err(|_| ReadError::Bad(bad("plan verdict", &verdict)))?,
        review: json("plan review", &r.get::<_, String>(8)?)?,
        policy: json("plan policy", &r.get::<_, String>(9)?)?,
        policy_denied: r.get(10)?,
        state_lineage: r.get(11)?,
        state_serial: r.get::<_, Option<i64>>(12)?.map(|s| s.max(0) as u64),
        baseline: opt("plan baseline", r.get(13)?)?,
        change_digest: r.get(14)?,
        purpose: json("plan purpose", &r.get::<_, String>(15)?)?,
        plan_json_sha256: r.get(16)?,
        engine: r.get(17)?,
    })
}

pub(crate) fn plans(
    conn: &Connection,
    where_: &str,
    params: &[&dyn ToSql],
) -> Read<Vec<PlanRecord>> {
    let sql = format!("SELECT {PLAN_COLUMNS} FROM plans {where_}");
    query(conn, &sql, params, plan_row)
}

fn approval_row(r: &Row<'_>) -> Read<(i64, ApprovalRecord)> {
    let decision: String = r.get(5)?;
    Ok((
        r.get(0)?,
        ApprovalRecord {
            plan: parse("approval plan", &r.get::<_, String>(1)?)?,
            env: r.get(2)?,
            by: r.get(3)?,
            at: r.get(4)?,
            decision: Decision::parse(&decision)
                .ok_or_else(|| ReadError::Bad(bad("approval decision", &decision)))?,
            reason: r.get(6)?,
            acknowledged_warnings: r.get(7)?,
            source: r.get(8)?,
            via: r.get(9)?,
            signature: r.get(10)?,
        },
    ))
}

pub(crate) fn approvals(
    conn: &Connection,
    where_: &str,
    params: &[&dyn ToSql],
) -> Read<Vec<(i64, ApprovalRecord)>> {
    let sql = format!("SELECT {APPROVAL_COLUMNS} FROM approvals {where_}");
    query(conn, &sql, params, approval_row)
}

fn deployment_row(r: &Row<'_>) -> Read<DeploymentRecord> {
    let kind: String = r.get(4)?;
    let status: String = r.get(8)?;
    Ok(DeploymentRecord {
        id: r.get(0)?,
        env: r.get(1)?,
        release: parse("deployment release", &r.get::<_, String>(2)?)?,
        plan: parse("deployment plan", &r.get::<_, String>(3)?)?,
        kind: DeploymentKind::parse(&kind)
            .ok_or_else(|| ReadError::Bad(bad("deployment kind", &kind)))?,
        by: r.get(5)?,
        started_at: r.get(6)?,
        finished_at: r.get(7)?,
        status: DeploymentStatus::parse(&status)
            .ok_or_else(|| ReadError::Bad(bad("deployment status", &status)))?,
        verified: r.get(9)?,
        error: r.get(10)?,
        verification: r
            .get::<_, Option<String>>(11)?
            .map(|v| json("deployment verification", &v))
            .transpose()?,
        verified_at: r.get(12)?,
        replaces: opt("deployment replaces", r.get(13)?)?,
    })
}

pub(crate) fn deployments(
    conn: &Connection,
    where_: &str,
    params: &[&dyn ToSql],
) -> Read<Vec<DeploymentRecord>> {
    let sql = format!("SELECT {DEPLOYMENT_COLUMNS} FROM deployments {where_}");
    query(conn, &sql, params, deployment_row)
}

fn rehearsal_row(r: &Row<'_>) -> Read<(i64, RehearsalRecord)> {
    let verdict: String = r.get(6)?;
    Ok((
        r.get(0)?,
        RehearsalRecord {
            env: r.get(1)?,
            release: parse("rehearsal release", &r.get::<_, String>(2)?)?,
            target: parse("rehearsal target", &r.get::<_, String>(3)?)?,
            at: r.get(4)?,
            ready: r.get(5)?,
            verdict: serde_json::from_value(serde_json::Value::String(verdict.clone()))
                .map_err(|_| ReadError::Bad(bad("rehearsal verdict", &verdict)))?,
            summary: json("rehearsal summary", &r.get::<_, String>(7)?)?,
            detail: json("rehearsal detail", &r.get::<_, String>(8)?)?,
        },
    ))
}

pub(crate) fn rehearsals(
    conn: &Connection,
    where_: &str,
    params: &[&dyn ToSql],
) -> Read<Vec<(i64, RehearsalRecord)>> {
    let sql = format!("SELECT {REHEARSAL_COLUMNS} FROM rehearsals {where_}");
    query(conn, &sql, params, rehearsal_row)
}

fn advice_row(r: &Row<'_>) -> Read<(i64, AdviceRecord)> {
    Ok((
        r.get(0)?,
        AdviceRecord {
            plan: parse("advice plan", &r.get::<_, String>(1)?)?,
            env: r.get(2)?,
            model: r.get(3)?,
            template: r.get(4)?,
            template_version: r.get(5)?,
            prompt_sha256: r.get(6)?,
            answer: r.get(7)?,
            at: r.get(8)?,
            by: r.get(9)?,
        },
    ))
}

pub(crate) fn advice(
    conn: &Connection,
    where_: &str,
    params: &[&dyn ToSql],
) -> Read<Vec<(i64, AdviceRecord)>> {
    let sql = format!("SELECT {ADVICE_COLUMNS} FROM advice {where_}");
    query(conn, &sql, params, advice_row)
}

fn lock_row(r: &Row<'_>) -> Read<LockRecord> {
    Ok(LockRecord {
        env: r.get(0)?,
        holder: r.get(1)?,
        token: r.get(2)?,
        purpose: r.get(3)?,
        since: r.get(4)?,
        expires_at: r.get(5)?,
    })
}

pub(crate) fn lock(conn: &Connection, env: &str) -> Read<Option<LockRecord>> {
    let sql = format!("SELECT {LOCK_COLUMNS} FROM locks WHERE env = ?1");
    Ok(query(conn, &sql, &[&env], lock_row)?.into_iter().next())
}

pub(crate) fn stored_events(
    conn: &Connection,
    where_: &str,
    params: &[&dyn ToSql],
) -> Read<Vec<crate::chain::StoredEvent>> {
    let sql = format!(
        "SELECT seq, at, env, kind, actor, release_id, plan_id, message, refs, prev_hash, hash FROM events {where_}"
    );
    query(conn, &sql, params, |r| {
        Ok(crate::chain::StoredEvent {
            seq: r.get(0)?,
            at: r.get(1)?,
            env: r.get(2)?,
            kind: r.get(3)?,
            actor: r.get(4)?,
            release: r.get(5)?,
            plan: r.get(6)?,
            message: r.get(7)?,
            refs: json("event refs", &r.get::<_, String>(8)?)?,
            prev_hash: r.get(9)?,
            hash: r.get(10)?,
        })
    })
}
