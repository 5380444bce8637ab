//! The runner's steps, all bound to the environment's lease: take/renew/give back the lease,
//! ask what to plan, submit a plan (the server judges it), claim it, fetch its plan file, and
//! report the engine's outcome and the verification. The role each needs is the one a person
//! would need for the same command: planner to plan, applier to apply.

use crate::auth::Caller;
use crate::body::JsonBody;
use crate::error::{ApiError, ErrorBody};
use crate::roles::Role;
use crate::routes::{bytes, hex_of, ok, with_status};
use crate::state::ServerState;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use ferry_app::ops::team::{
    ClaimRequest, OutcomeReport, PrepareRequest, UploadedPlan, VerificationReport,
};
use ferry_core::promotion::PlanStatus;
use ferry_store::ArtifactKind;
use serde::Deserialize;

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LeaseRequest {
    /// promote, rollback or apply.
    pub purpose: String,
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LeaseToken {
    pub token: String,
}

fn role_for(purpose: &str) -> Result<Role, ApiError> {
    match purpose {
        "promote" | "rollback" | "plan" => Ok(Role::Planner),
        "apply" => Ok(Role::Applier),
        other => Err(ApiError::invalid(
            "purpose",
            format!("unknown purpose '{other}' (promote, rollback, plan or apply)"),
        )),
    }
}

#[utoipa::path(post, path = "/api/v1/envs/{env}/lease", tag = "runner",
    params(("env" = String, Path)), request_body = LeaseRequest,
    responses((status = 201, description = "LeaseView: keep the token secret, renew before expires_at", body = serde_json::Value),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, description = "locked: the holder is named", body = ErrorBody),
        (status = 503, body = ErrorBody)))]
pub async fn take_lease(
    State(st): State<ServerState>,
    caller: Caller,
    Path(env): Path<String>,
    JsonBody(body): JsonBody<LeaseRequest>,
) -> Result<Response, ApiError> {
    caller.require(role_for(&body.purpose)?, Some(&env))?;
    let who = caller.claim();
    let v = st
        .op(move |app| app.team_take_lease(&who, &env, &body.purpose))
        .await?;
    Ok(with_status(StatusCode::CREATED, &v))
}

#[utoipa::path(put, path = "/api/v1/envs/{env}/lease", tag = "runner",
    params(("env" = String, Path)), request_body = LeaseToken,
    responses((status = 200, description = "LeaseView", body = serde_json::Value),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn renew_lease(
    State(st): State<ServerState>,
    caller: Caller,
    Path(env): Path<String>,
    JsonBody(body): JsonBody<LeaseToken>,
) -> Result<Response, ApiError> {
    caller.require(Role::Viewer, Some(&env))?;
    let who = caller.claim();
    let v = st
        .op(move |app| app.team_renew_lease(&who, &env, &body.token))
        .await?;
    Ok(ok(&v))
}

#[utoipa::path(post, path = "/api/v1/envs/{env}/lease/release", tag = "runner",
    params(("env" = String, Path)), request_body = LeaseToken,
    responses((status = 200, description = "given back", body = serde_json::Value),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn drop_lease(
    State(st): State<ServerState>,
    caller: Caller,
    Path(env): Path<String>,
    JsonBody(body): JsonBody<LeaseToken>,
) -> Result<Response, ApiError> {
    caller.require(Role::Viewer, Some(&env))?;
    let who = caller.claim();
    st.op(move |app| app.team_drop_lease(&who, &env, &body.token))
        .await?;
    Ok(ok(&serde_json::json!({"released": true})))
}

#[utoipa::path(post, path = "/api/v1/envs/{env}/prepare", tag = "runner",
    params(("env" = String, Path)), request_body(content = serde_json::Value, description = "PrepareRequest: {rollback, release}"),
    responses((status = 200, description = "Prepared: the release to plan and its purpose", body = serde_json::Value),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 422, description = "blocked: it may not enter", body = ErrorBody)))]
pub async fn prepare(
    State(st): State<ServerState>,
    caller: Caller,
    Path(env): Path<String>,
    JsonBody(body): JsonBody<PrepareRequest>,
) -> Result<Response, ApiError> {
    caller.require(Role::Planner, Some(&env))?;
    Ok(ok(&st.op(move |app| app.team_prepare(&env, &body)).await?))
}

#[utoipa::path(post, path = "/api/v1/envs/{env}/plans", tag = "runner",
    params(("env" = String, Path)), request_body(content = serde_json::Value, description = "UploadedPlan"),
    responses((status = 201, description = "TeamPlanView: the plan as the server judged it, with the unmet gates", body = serde_json::Value),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn submit_plan(
    State(st): State<ServerState>,
    caller: Caller,
    Path(env): Path<String>,
    JsonBody(body): JsonBody<UploadedPlan>,
) -> Result<Response, ApiError> {
    caller.require(Role::Planner, Some(&env))?;
    let who = caller.claim();
    let v = st
        .op(move |app| app.team_receive_plan(&who, &env, &body))
        .await?;
    Ok(with_status(StatusCode::CREATED, &v))
}

#[utoipa::path(post, path = "/api/v1/envs/{env}/plans/{id}/claim", tag = "runner",
    params(("env" = String, Path), ("id" = String, Path)), request_body(content = serde_json::Value, description = "ClaimRequest"),
    responses((status = 200, description = "the running DeploymentRecord", body = serde_json::Value),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, description = "claimed already, stale, or the lease is not yours", body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn claim(
    State(st): State<ServerState>,
    caller: Caller,
    Path((env, id)): Path<(String, String)>,
    JsonBody(body): JsonBody<ClaimRequest>,
) -> Result<Response, ApiError> {
    caller.require(Role::Applier, Some(&env))?;
    let who = caller.claim();
    Ok(ok(&st
        .op(move |app| app.team_claim(&who, &env, &id, &body))
        .await?))
}

#[utoipa::path(get, path = "/api/v1/plans/{id}/file", tag = "runner",
    params(("id" = String, Path, description = "full plan id")),
    responses((status = 200, description = "the saved plan file (it holds secrets): only to the runner applying it", content_type = "application/octet-stream"),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody)))]
pub async fn plan_file(
    State(st): State<ServerState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let hex = hex_of(&id)?;
    let user = caller.user.clone();
    let (env, status, by) = {
        let h = hex.clone();
        st.op(move |app| {
            let plan_id = ferry_core::PlanId::from_hex(&h)?;
            let plan = app
                .ledger
                .plan(&plan_id)?
                .ok_or_else(|| ferry_app::AppError::NotFound(format!("no plan {h}")))?;
            let by = app
                .ledger
                .running_deployments()?
                .into_iter()
                .find(|d| d.plan == plan_id)
                .map(|d| d.by);
            Ok((plan.env, plan.status, by))
        })
        .await?
    };
    caller.require(Role::Applier, Some(&env))?;
    if status != PlanStatus::Applying || by.as_deref() != Some(user.as_str()) {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            "conflict",
            format!("plan {} is {status}: its plan file goes only to the runner that claimed it, while it applies", &hex[..12]),
        ));
    }
    let b = st
        .op(move |app| Ok(app.artifacts.get_bytes(ArtifactKind::PlanFile, &hex)?))
        .await?;
    Ok(bytes(b))
}

#[utoipa::path(post, path = "/api/v1/deployments/{id}/outcome", tag = "runner",
    params(("id" = i64, Path)), request_body(content = serde_json::Value, description = "OutcomeReport"),
    responses((status = 200, description = "DeploymentRecord", body = serde_json::Value),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn outcome(
    State(st): State<ServerState>,
    caller: Caller,
    Path(id): Path<i64>,
    JsonBody(body): JsonBody<OutcomeReport>,
) -> Result<Response, ApiError> {
    caller.require(Role::Applier, None)?;
    let who = caller.claim();
    Ok(ok(&st
        .op(move |app| app.team_outcome(&who, id, &body))
        .await?))
}

#[utoipa::path(post, path = "/api/v1/deployments/{id}/verification", tag = "runner",
    params(("id" = i64, Path)), request_body(content = serde_json::Value, description = "VerificationReport"),
    responses((status = 200, description = "DeploymentRecord (verified true or false)", body = serde_json::Value),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn verification(
    State(st): State<ServerState>,
    caller: Caller,
    Path(id): Path<i64>,
    JsonBody(body): JsonBody<VerificationReport>,
) -> Result<Response, ApiError> {
    caller.require(Role::Applier, None)?;
    let who = caller.claim();
    Ok(ok(&st
        .op(move |app| app.team_verification(&who, id, &body))
        .await?))
}
