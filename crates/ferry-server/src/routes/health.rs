//! Liveness and readiness, unauthenticated: `/healthz` says the process answers, `/readyz`
//! that the ledger does (503 otherwise, so a load balancer stops sending requests).

use crate::routes::ok;
use crate::state::ServerState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::json;

#[utoipa::path(get, path = "/healthz", tag = "health",
    responses((status = 200, description = "The process answers", body = serde_json::Value)))]
pub async fn healthz() -> Response {
    ok(&json!({"status": "ok"}))
}

#[utoipa::path(get, path = "/readyz", tag = "health",
    responses(
        (status = 200, description = "The ledger answers", body = serde_json::Value),
        (status = 503, description = "The ledger does not", body = crate::error::ErrorBody)))]
pub async fn readyz(State(st): State<ServerState>) -> Response {
    let ledger = st.ledger.clone();
    let answer = tokio::task::spawn_blocking(move || ledger.lock("__readyz__")).await;
    match answer {
        Ok(Ok(_)) => ok(&json!({"status": "ready"})),
        Ok(Err(e)) => {
            crate::error::ApiError::unavailable(format!("the ledger does not answer: {e}"))
                .into_response()
        }
        Err(e) => (StatusCode::SERVICE_UNAVAILABLE, e.to_string()).into_response(),
    }
}
