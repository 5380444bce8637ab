//! What a viewer may read: who am I, status, history (a page at a time), releases and their
//! bundles, plans and their JSON, the ledger's verification.

use crate::auth::Caller;
use crate::error::{ApiError, ErrorBody};
use crate::roles::Role;
use crate::routes::{bytes, hex_of, ok};
use crate::state::ServerState;
use axum::extract::{Path, Query, State};
use axum::response::Response;
use ferry_store::ArtifactKind;
use serde::Deserialize;
use serde_json::json;

#[utoipa::path(get, path = "/api/v1/whoami", tag = "read",
    responses((status = 200, body = serde_json::Value), (status = 401, body = ErrorBody)))]
pub async fn whoami(caller: Caller) -> Response {
    let roles: Vec<String> = caller.grants.iter().map(ToString::to_string).collect();
    ok(&json!({"user": caller.user, "roles": roles, "via": caller.via.as_str()}))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct EnvQuery {
    pub env: Option<String>,
}

#[utoipa::path(get, path = "/api/v1/status", tag = "read", params(EnvQuery),
    responses((status = 200, description = "StatusView, as `ferry status --format json`", body = serde_json::Value),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 503, body = ErrorBody)))]
pub async fn status(
    State(st): State<ServerState>,
    caller: Caller,
    Query(q): Query<EnvQuery>,
) -> Result<Response, ApiError> {
    caller.require(Role::Viewer, q.env.as_deref())?;
    let v = st.op(move |app| app.status(q.env.as_deref())).await?;
    Ok(ok(&v))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct HistoryQuery {
    pub env: Option<String>,
    /// At most this many events (default 100, at most 1000).
    pub limit: Option<usize>,
    /// Only events older than this sequence number (the next page).
    pub before: Option<i64>,
}

#[utoipa::path(get, path = "/api/v1/history", tag = "read", params(HistoryQuery),
    responses((status = 200, description = "Events, newest first", body = serde_json::Value),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 503, body = ErrorBody)))]
pub async fn history(
    State(st): State<ServerState>,
    caller: Caller,
    Query(q): Query<HistoryQuery>,
) -> Result<Response, ApiError> {
    caller.require(Role::Viewer, q.env.as_deref())?;
    let limit = q.limit.unwrap_or(100).min(1000);
    let v = st
        .op(move |app| app.history_page(q.env.as_deref(), limit, q.before))
        .await?;
    Ok(ok(&v))
}

#[utoipa::path(get, path = "/api/v1/releases", tag = "read",
    responses((status = 200, body = serde_json::Value), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn releases(State(st): State<ServerState>, caller: Caller) -> Result<Response, ApiError> {
    caller.require(Role::Viewer, None)?;
    Ok(ok(&st.op(|app| app.release_list()).await?))
}

#[utoipa::path(get, path = "/api/v1/releases/{id}", tag = "read",
    params(("id" = String, Path, description = "release id or unique prefix")),
    responses((status = 200, body = serde_json::Value), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn release_show(
    State(st): State<ServerState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    caller.require(Role::Viewer, None)?;
    Ok(ok(&st.op(move |app| app.release_show(&id)).await?))
}

#[utoipa::path(get, path = "/api/v1/releases/{id}/bundle", tag = "read",
    params(("id" = String, Path, description = "full release id")),
    responses((status = 200, description = "the zstd bundle, verified", content_type = "application/octet-stream"),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn release_bundle(
    State(st): State<ServerState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    caller.require(Role::Viewer, None)?;
    let hex = hex_of(&id)?;
    let b = st
        .op(move |app| {
            let id = ferry_core::ReleaseId::from_hex(&hex)?;
            app.release(&id)?;
            Ok(app.releases.bundle_bytes(&id)?)
        })
        .await?;
    Ok(bytes(b))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct PlanQuery {
    /// A plan id (or unique prefix); default: the pending plan.
    pub id: Option<String>,
}

#[utoipa::path(get, path = "/api/v1/envs/{env}/plan", tag = "read",
    params(("env" = String, Path), PlanQuery),
    responses((status = 200, description = "PlanView", body = serde_json::Value), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn env_plan(
    State(st): State<ServerState>,
    caller: Caller,
    Path(env): Path<String>,
    Query(q): Query<PlanQuery>,
) -> Result<Response, ApiError> {
    caller.require(Role::Viewer, Some(&env))?;
    let v = st
        .op(move |app| app.plan_view(&env, q.id.as_deref()))
        .await?;
    Ok(ok(&v))
}

#[utoipa::path(get, path = "/api/v1/plans/{id}/json", tag = "read",
    params(("id" = String, Path, description = "full plan id")),
    responses((status = 200, description = "the plan JSON, verified", content_type = "application/json"),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn plan_json(
    State(st): State<ServerState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let hex = hex_of(&id)?;
    let h = hex.clone();
    let plan = st
        .op(move |app| {
            app.ledger
                .plan(&ferry_core::PlanId::from_hex(&h)?)?
                .ok_or_else(|| ferry_app::AppError::NotFound(format!("no plan {h}")))
        })
        .await?;
    caller.require(Role::Viewer, Some(&plan.env))?;
    let sha = plan
        .plan_json_sha256
        .clone()
        .ok_or_else(|| ApiError::not_found("the plan has no stored JSON"))?;
    let b = st
        .op(move |app| Ok(app.artifacts.get_bytes(ArtifactKind::PlanJson, &sha)?))
        .await?;
    Ok(bytes(b))
}

#[utoipa::path(get, path = "/api/v1/ledger/verify", tag = "read",
    responses((status = 200, description = "LedgerVerifyView (ok false: the chain is broken)", body = serde_json::Value),
        (status = 401, body = ErrorBody), (status = 503, body = ErrorBody)))]
pub async fn ledger_verify(
    State(st): State<ServerState>,
    caller: Caller,
) -> Result<Response, ApiError> {
    caller.require(Role::Viewer, None)?;
    Ok(ok(&st.op(|app| app.ledger_verify()).await?))
}
