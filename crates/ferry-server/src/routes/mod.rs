//! The routes of `/api/v1`, one module per audience: what anyone may read, what people and
//! runners write, and the runner's lease-bound steps. Each handler authenticates (the
//! [`Caller`] extractor), checks the role for the environment it touches, and runs one
//! operation on a blocking thread. The same list builds the router and the OpenAPI document.

pub mod health;
pub mod read;
pub mod runner;
pub mod write;

use crate::error::ApiError;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

/// A JSON answer with status 200.
pub fn ok<T: Serialize>(v: &T) -> Response {
    match serde_json::to_value(v) {
        Ok(v) => (StatusCode::OK, axum::Json(v)).into_response(),
        Err(e) => ApiError::internal(&e).into_response(),
    }
}

/// A JSON answer with `status`.
pub fn with_status<T: Serialize>(status: StatusCode, v: &T) -> Response {
    match serde_json::to_value(v) {
        Ok(v) => (status, axum::Json(v)).into_response(),
        Err(e) => ApiError::internal(&e).into_response(),
    }
}

/// Raw bytes.
pub fn bytes(b: Vec<u8>) -> Response {
    (
        StatusCode::OK,
        [(header::CONTENT_TYPE, "application/octet-stream")],
        b,
    )
        .into_response()
}

/// A release or plan id in a path: full (`sha256:…`) or bare hex.
pub fn hex_of(id: &str) -> Result<String, ApiError> {
    let hex = id.strip_prefix("sha256:").unwrap_or(id);
    if hex.len() == 64 && hex.bytes().all(|b| b.is_ascii_hexdigit()) {
        Ok(hex.to_ascii_lowercase())
    } else {
        Err(ApiError::invalid(
            "id",
            format!("'{id}' is not a full sha256 id (64 hex digits)"),
        ))
    }
}
