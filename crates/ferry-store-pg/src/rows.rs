//! Reading PostgreSQL rows into records. Every reader takes any client (a connection or a
//! transaction), so the digests written inside a transaction and the ones `verify` recomputes
//! come from the very same code. Columns are read with `try_get`: a column of an unexpected type
//! is a corrupt ledger, never a panic.

use ferry_store::chain::StoredEvent;
use ferry_store::*;
use postgres::types::{FromSql, ToSql};
use postgres::{GenericClient, Row};

pub(crate) const RELEASE_COLUMNS: &str = "id, git_commit, dirty, subject, author, created_by, created_at, abandoned_by, abandoned_at, abandoned_reason";
pub(crate) const PLAN_COLUMNS: &str = "id, env, release_id, created_by, created_at, status, summary, verdict, review, policy, \
     policy_denied, state_lineage, state_serial, baseline_id, change_digest, purpose, plan_json_sha256, engine";
const APPROVAL_COLUMNS: &str =
    "seq, plan_id, env, by_whom, at, decision, reason, acknowledged_warnings, source, via, signature";
const DEPLOYMENT_COLUMNS: &str = "id, env, release_id, plan_id, kind, by_whom, started_at, finished_at, status, verified, error, verification, verified_at, replaces";
const REHEARSAL_COLUMNS: &str =
    "seq, env, release_id, target_id, at, ready, verdict, summary, detail";
const ADVICE_COLUMNS: &str =
    "seq, plan_id, env, model, template, template_version, prompt_sha256, answer, at, by_whom";
pub(crate) const LOCK_COLUMNS: &str = "env, holder, token, purpose, since, expires_at";
const EVENT_COLUMNS: &str =
    "seq, at, env, kind, actor, release_id, plan_id, message, refs, prev_hash, hash";

pub(crate) type Params<'a> = &'a [&'a (dyn ToSql + Sync)];

pub(crate) enum ReadError {
    Sql(postgres::Error),
    /// A row that exists but does not make sense (bad id, unknown status, wrong column type).
    Bad {
        item: String,
        message: String,
    },
}

impl From<postgres::Error> for ReadError {
    fn from(e: postgres::Error) -> Self {
        ReadError::Sql(e)
    }
}

pub(crate) type Read<T> = std::result::Result<T, ReadError>;

fn bad(item: &str, message: impl ToString) -> ReadError {
    ReadError::Bad {
        item: item.to_string(),
        message: message.to_string(),
    }
}

fn get<'a, T: FromSql<'a>>(r: &'a Row, i: usize, item: &str) -> Read<T> {
    r.try_get(i).map_err(|e| bad(item, e))
}

fn parse<T: std::str::FromStr>(item: &str, s: &str) -> Read<T>
where
    T::Err: std::fmt::Display,
{
    s.parse().map_err(|e: T::Err| bad(item, e))
}

pub(crate) fn json<T: serde::de::DeserializeOwned>(item: &str, s: &str) -> Read<T> {
    serde_json::from_str(s).map_err(|e| bad(item, e))
}

fn opt<T: std::str::FromStr>(item: &str, s: Option<String>) -> Read<Option<T>>
where
    T::Err: std::fmt::Display,
{
    s.map(|s| parse(item, &s)).transpose()
}

/// A status-like column: text that must name a known value.
fn word<T>(item: &str, s: &str, f: impl FnOnce(&str) -> Option<T>) -> Read<T> {
    f(s).ok_or_else(|| bad(item, s))
}

/// A verdict-like column stored as its serde name.
fn serde_word<T: serde::de::DeserializeOwned>(item: &str, s: String) -> Read<T> {
    serde_json::from_value(serde_json::Value::String(s.clone())).map_err(|_| bad(item, s))
}

pub(crate) fn query<C: GenericClient, T>(
    c: &mut C,
    sql: &str,
    params: Params<'_>,
    map: impl Fn(&Row) -> Read<T>,
) -> Read<Vec<T>> {
    c.query(sql, params)?.iter().map(map).collect()
}

fn release_row(r: &Row) -> Read<ReleaseRecord> {
    let abandoned = match (
        get::<Option<String>>(r, 7, "release")?,
        get::<Option<String>>(r, 8, "release")?,
        get::<Option<String>>(r, 9, "release")?,
    ) {
        (Some(by), Some(at), Some(reason)) => Some(Abandonment { by, at, reason }),
        _ => None,
    };
    Ok(ReleaseRecord {
        id: parse("release id", get::<&str>(r, 0, "release id")?)?,
        commit: get(r, 1, "release commit")?,
        dirty: get(r, 2, "release dirty")?,
        subject: get(r, 3, "release subject")?,
        author: get(r, 4, "release author")?,
        created_by: get(r, 5, "release created_by")?,
        created_at: get(r, 6, "release created_at")?,
        abandoned,
    })
}

pub(crate) fn releases<C: GenericClient>(
    c: &mut C,
    where_: &str,
    params: Params<'_>,
) -> Read<Vec<ReleaseRecord>> {
    let sql = format!("SELECT {RELEASE_COLUMNS} FROM releases {where_}");
    query(c, &sql, params, release_row)
}

fn plan_row(r: &Row) -> Read<PlanRecord> {
    let item = "plan";
    Ok(PlanRecord {
        id: parse("plan id", get::<&str>(r, 0, item)?)?,
        env: get(r, 1, item)?,
        release: parse("plan release", get::<&str>(r, 2, item)?)?,
        created_by: get(r, 3, item)?,
        created_at: get(r, 4, item)?,
        status: word("plan status", get::<&str>(r, 5, item)?, PlanStatus::parse)?,
        summary: json("plan summary", get::<&str>(r, 6, item)?)?,
        verdict: serde_word("plan verdict", get::<String>(r, 7, item)?)?,
        review: json("plan review", get::<&str>(r, 8, item)?)?,
        policy: json("plan policy", get::<&str>(r, 9, item)?)?,
        policy_denied: get(r, 10, item)?,
        state_lineage: get(r, 11, item)?,
        state_serial: get::<Option<i64>>(r, 12, item)?.map(|s| s.max(0) as u64),
        baseline: opt("plan baseline", get(r, 13, item)?)?,
        change_digest: get(r, 14, item)?,
        purpose: json("plan purpose", get::<&str>(r, 15, item)?)?,
        plan_json_sha256: get(r, 16, item)?,
        engine: get(r, 17, item)?,
    })
}

pub(crate) fn plans<C: GenericClient>(
    c: &mut C,
    where_: &str,
    params: Params<'_>,
) -> Read<Vec<PlanRecord>> {
    let sql = format!("SELECT {PLAN_COLUMNS} FROM plans {where_}");
    query(c, &sql, params, plan_row)
}

fn approval_row(r: &Row) -> Read<(i64, ApprovalRecord)> {
    let item = "approval";
    Ok((
        get(r, 0, item)?,
        ApprovalRecord {
            plan: parse("approval plan", get::<&str>(r, 1, item)?)?,
            env: get(r, 2, item)?,
            by: get(r, 3, item)?,
            at: get(r, 4, item)?,
            decision: word(
                "approval decision",
                get::<&str>(r, 5, item)?,
                Decision::parse,
            )?,
            reason: get(r, 6, item)?,
            acknowledged_warnings: get(r, 7, item)?,
            source: get(r, 8, item)?,
            via: get(r, 9, item)?,
            signature: get(r, 10, item)?,
        },
    ))
}

pub(crate) fn approvals<C: GenericClient>(
    c: &mut C,
    where_: &str,
    params: Params<'_>,
) -> Read<Vec<(i64, ApprovalRecord)>> {
    let sql = format!("SELECT {APPROVAL_COLUMNS} FROM approvals {where_}");
    query(c, &sql, params, approval_row)
}

fn deployment_row(r: &Row) -> Read<DeploymentRecord> {
    let item = "deployment";
    Ok(DeploymentRecord {
        id: get(r, 0, item)?,
        env: get(r, 1, item)?,
        release: parse("deployment release", get::<&str>(r, 2, item)?)?,
        plan: parse("deployment plan", get::<&str>(r, 3, item)?)?,
        kind: word(
            "deployment kind",
            get::<&str>(r, 4, item)?,
            DeploymentKind::parse,
        )?,
        by: get(r, 5, item)?,
        started_at: get(r, 6, item)?,
        finished_at: get(r, 7, item)?,
        status: word(
            "deployment status",
            get::<&str>(r, 8, item)?,
            DeploymentStatus::parse,
        )?,
        verified: get(r, 9, item)?,
        error: get(r, 10, item)?,
        verification: get::<Option<&str>>(r, 11, item)?
            .map(|v| json("deployment verification", v))
            .transpose()?,
        verified_at: get(r, 12, item)?,
        replaces: opt("deployment replaces", get(r, 13, item)?)?,
    })
}

pub(crate) fn deployments<C: GenericClient>(
    c: &mut C,
    where_: &str,
    params: Params<'_>,
) -> Read<Vec<DeploymentRecord>> {
    let sql = format!("SELECT {DEPLOYMENT_COLUMNS} FROM deployments {where_}");
    query(c, &sql, params, deployment_row)
}

fn rehearsal_row(r: &Row) -> Read<(i64, RehearsalRecord)> {
    let item = "rehearsal";
    Ok((
        get(r, 0, item)?,
        RehearsalRecord {
            env: get(r, 1, item)?,
            release: parse("rehearsal release", get::<&str>(r, 2, item)?)?,
            target: parse("rehearsal target", get::<&str>(r, 3, item)?)?,
            at: get(r, 4, item)?,
            ready: get(r, 5, item)?,
            verdict: serde_word("rehearsal verdict", get::<String>(r, 6, item)?)?,
            summary: json("rehearsal summary", get::<&str>(r, 7, item)?)?,
            detail: json("rehearsal detail", get::<&str>(r, 8, item)?)?,
        },
    ))
}

pub(crate) fn rehearsals<C: GenericClient>(
    c: &mut C,
    where_: &str,
    params: Params<'_>,
) -> Read<Vec<(i64, RehearsalRecord)>> {
    let sql = format!("SELECT {REHEARSAL_COLUMNS} FROM rehearsals {where_}");
    query(c, &sql, params, rehearsal_row)
}

fn advice_row(r: &Row) -> Read<(i64, AdviceRecord)> {
    let item = "advice";
    let version: i64 = get(r, 5, item)?;
    Ok((
        get(r, 0, item)?,
        AdviceRecord {
            plan: parse("advice plan", get::<&str>(r, 1, item)?)?,
            env: get(r, 2, item)?,
            model: get(r, 3, item)?,
            template: get(r, 4, item)?,
            template_version: u32::try_from(version)
                .map_err(|_| bad("advice template_version", version))?,
            prompt_sha256: get(r, 6, item)?,
            answer: get(r, 7, item)?,
            at: get(r, 8, item)?,
            by: get(r, 9, item)?,
        },
    ))
}

pub(crate) fn advice<C: GenericClient>(
    c: &mut C,
    where_: &str,
    params: Params<'_>,
) -> Read<Vec<(i64, AdviceRecord)>> {
    let sql = format!("SELECT {ADVICE_COLUMNS} FROM advice {where_}");
    query(c, &sql, params, advice_row)
}

/// Rows of a table that keeps each record whole as JSON (`seq, record`).
pub(crate) fn whole<C: GenericClient, T: serde::de::DeserializeOwned>(
    c: &mut C,
    table: &str,
    item: &'static str,
    where_: &str,
    params: Params<'_>,
) -> Read<Vec<(i64, T)>> {
    let sql = format!("SELECT seq, record FROM {table} {where_}");
    query(c, &sql, params, |r| {
        Ok((get(r, 0, item)?, json(item, get::<&str>(r, 1, item)?)?))
    })
}

fn lock_row(r: &Row) -> Read<LockRecord> {
    let item = "lock";
    Ok(LockRecord {
        env: get(r, 0, item)?,
        holder: get(r, 1, item)?,
        token: get(r, 2, item)?,
        purpose: get(r, 3, item)?,
        since: get(r, 4, item)?,
        expires_at: get(r, 5, item)?,
    })
}

pub(crate) fn lock<C: GenericClient>(c: &mut C, env: &str) -> Read<Option<LockRecord>> {
    let sql = format!("SELECT {LOCK_COLUMNS} FROM locks WHERE env = $1");
    Ok(query(c, &sql, &[&env], lock_row)?.into_iter().next())
}

pub(crate) fn stored_events<C: GenericClient>(
    c: &mut C,
    where_: &str,
    params: Params<'_>,
) -> Read<Vec<StoredEvent>> {
    let sql = format!("SELECT {EVENT_COLUMNS} FROM events {where_}");
    query(c, &sql, params, |r| {
        let item = "event";
        Ok(StoredEvent {
            seq: get(r, 0, item)?,
            at: get(r, 1, item)?,
            env: get(r, 2, item)?,
            kind: get(r, 3, item)?,
            actor: get(r, 4, item)?,
            release: get(r, 5, item)?,
            plan: get(r, 6, item)?,
            message: get(r, 7, item)?,
            refs: json("event refs", get::<&str>(r, 8, item)?)?,
            prev_hash: get(r, 9, item)?,
            hash: get(r, 10, item)?,
        })
    })
}
