//! What people and runners write outside a lease: a release's bundle (once), a plan's files
//! (by hash, before the plan is submitted), approvals and rejections — always under the
//! token's identity, never one named in the body.

use crate::auth::Caller;
use crate::body::{JsonBody, Upload};
use crate::error::{ApiError, ErrorBody};
use crate::roles::Role;
use crate::routes::{hex_of, ok, with_status};
use crate::state::ServerState;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use ferry_app::ops::approve::{ApproveInput, RejectInput, Signer};
use ferry_store::ArtifactKind;
use serde::Deserialize;

#[utoipa::path(put, path = "/api/v1/releases/{id}/bundle", tag = "write",
    params(("id" = String, Path, description = "full release id: the sha256 of the decompressed bundle")),
    request_body(content = Vec<u8>, content_type = "application/octet-stream"),
    responses((status = 201, description = "ReleaseCreated", body = serde_json::Value),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 413, body = ErrorBody)))]
pub async fn put_release(
    State(st): State<ServerState>,
    caller: Caller,
    Path(id): Path<String>,
    Upload(body): Upload,
) -> Result<Response, ApiError> {
    caller.require(Role::Planner, None)?;
    let hex = hex_of(&id)?;
    let who = caller.claim();
    let v = st
        .op(move |app| {
            let id = ferry_core::ReleaseId::from_hex(&hex)?;
            app.release_receive(&who, &id, &body)
        })
        .await?;
    Ok(with_status(StatusCode::CREATED, &v))
}

fn blob_kind(kind: &str) -> Result<ArtifactKind, ApiError> {
    match kind {
        "plan-file" => Ok(ArtifactKind::PlanFile),
        "plan-json" => Ok(ArtifactKind::PlanJson),
        other => Err(ApiError::invalid(
            "kind",
            format!("unknown blob kind '{other}' (plan-file or plan-json)"),
        )),
    }
}

#[utoipa::path(put, path = "/api/v1/blobs/{kind}/{sha256}", tag = "write",
    params(("kind" = String, Path, description = "plan-file or plan-json"), ("sha256" = String, Path)),
    request_body(content = Vec<u8>, content_type = "application/octet-stream"),
    responses((status = 204, description = "stored (or already there)"),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 413, body = ErrorBody)))]
pub async fn put_blob(
    State(st): State<ServerState>,
    caller: Caller,
    Path((kind, sha)): Path<(String, String)>,
    Upload(body): Upload,
) -> Result<Response, ApiError> {
    caller.require(Role::Planner, None)?;
    let kind = blob_kind(&kind)?;
    let hex = hex_of(&sha)?;
    {
        use sha2::Digest as _;
        if hex::encode(sha2::Sha256::digest(&body)) != hex {
            return Err(ApiError::invalid(
                "sha256",
                "the uploaded bytes do not hash to the id in the path: refused, nothing stored",
            ));
        }
    }
    st.op(move |app| Ok(app.artifacts.put_bytes(kind, &hex, &body)?))
        .await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ApproveBody {
    /// Approving despite warnings is said explicitly.
    #[serde(default)]
    pub acknowledge_warnings: bool,
    /// An SSHSIG signature of the approval statement, armored (where signatures are required).
    pub signature: Option<String>,
    pub note: Option<String>,
}

#[utoipa::path(post, path = "/api/v1/envs/{env}/plans/{id}/approve", tag = "write",
    params(("env" = String, Path), ("id" = String, Path, description = "the exact plan id the approver read")),
    request_body = ApproveBody,
    responses((status = 200, description = "ApprovalView", body = serde_json::Value),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn approve(
    State(st): State<ServerState>,
    caller: Caller,
    Path((env, id)): Path<(String, String)>,
    JsonBody(body): JsonBody<ApproveBody>,
) -> Result<Response, ApiError> {
    caller.require(Role::Approver, Some(&env))?;
    let who = caller.claim();
    let input = ApproveInput {
        env,
        plan: Some(id),
        acknowledge_warnings: body.acknowledge_warnings,
        signer: match body.signature {
            Some(s) => Signer::Signature(s),
            None => Signer::Unsigned,
        },
    };
    Ok(ok(&st.op(move |app| app.approve(&who, &input)).await?))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RejectBody {
    pub reason: String,
}

#[utoipa::path(post, path = "/api/v1/envs/{env}/plans/{id}/reject", tag = "write",
    params(("env" = String, Path), ("id" = String, Path)),
    request_body = RejectBody,
    responses((status = 200, description = "the rejection", body = serde_json::Value),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn reject(
    State(st): State<ServerState>,
    caller: Caller,
    Path((env, id)): Path<(String, String)>,
    JsonBody(body): JsonBody<RejectBody>,
) -> Result<Response, ApiError> {
    caller.require(Role::Approver, Some(&env))?;
    if body.reason.trim().is_empty() {
        return Err(ApiError::invalid("reason", "a rejection says why"));
    }
    let who = caller.claim();
    let input = RejectInput {
        env,
        plan: Some(id),
        reason: body.reason,
    };
    Ok(ok(&st.op(move |app| app.reject(&who, &input)).await?))
}
