//! The API's errors, always `{"error": {"kind", "message", ...}}` with the status of the
//! contract (docs: api-v1), and the one mapping from the operations layer's [`AppError`].

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use ferry_app::AppError;
use ferry_release::ReleaseError;
use ferry_store::StoreError;
use serde::Serialize;
use serde_json::{json, Map, Value};
use utoipa::ToSchema;

/// An error response: a status, a stable kind, a message and the kind's extra fields.
#[derive(Debug, Clone)]
pub struct ApiError {
    pub status: StatusCode,
    pub kind: &'static str,
    pub message: String,
    pub extra: Map<String, Value>,
}

/// The body of every error response.
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorDetail {
    /// invalid, unauthenticated, forbidden, not_found, conflict, locked, too_large, blocked,
    /// unavailable, internal.
    pub kind: String,
    pub message: String,
    /// The bad field (invalid).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    /// The role needed (forbidden), e.g. `approver:prod`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub role: Option<String>,
    /// Who holds the lock (locked).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>)]
    pub holder: Option<Value>,
    /// The headline of a refusal, without the gates (blocked).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub headline: Option<String>,
    /// The unmet gates (blocked).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Vec<Object>>)]
    pub gates: Option<Value>,
    /// What the operation had got to (blocked).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>)]
    pub view: Option<Value>,
    /// The plan waiting for a person's yes (needs_confirmation).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub plan: Option<String>,
    /// The command that confirms it (needs_confirmation).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub command: Option<String>,
}

impl ApiError {
    pub fn new(status: StatusCode, kind: &'static str, message: impl Into<String>) -> ApiError {
        ApiError {
            status,
            kind,
            message: message.into(),
            extra: Map::new(),
        }
    }

    pub fn with(mut self, key: &str, value: impl Into<Value>) -> ApiError {
        self.extra.insert(key.to_string(), value.into());
        self
    }

    pub fn invalid(field: &str, message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::BAD_REQUEST, "invalid", message).with("field", field)
    }

    pub fn unauthenticated(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::UNAUTHORIZED, "unauthenticated", message)
    }

    pub fn forbidden(role: &str, user: &str) -> ApiError {
        ApiError::new(
            StatusCode::FORBIDDEN,
            "forbidden",
            format!("{user} does not have the role {role}"),
        )
        .with("role", role)
    }

    pub fn not_found(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::NOT_FOUND, "not_found", message)
    }

    pub fn too_large(limit: u64) -> ApiError {
        ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "too_large",
            format!("the body is larger than this server accepts ({limit} bytes)"),
        )
    }

    pub fn unavailable(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::SERVICE_UNAVAILABLE, "unavailable", message)
    }

    /// Anything unexpected: logged in full, answered without detail.
    pub fn internal(detail: &dyn std::fmt::Display) -> ApiError {
        tracing::error!("internal error: {detail}");
        ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "internal error; the server's log has the detail",
        )
    }
}

impl From<AppError> for ApiError {
    fn from(e: AppError) -> ApiError {
        from_app(&e)
    }
}

/// The one mapping from an operation's error to the contract's status and kind.
pub fn from_app(e: &AppError) -> ApiError {
    let message = e.to_string();
    match e.root() {
        AppError::Blocked { headline, .. } => {
            let mut err = ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "blocked", message)
                .with("headline", headline.clone())
                .with(
                    "gates",
                    serde_json::to_value(e.gates()).unwrap_or(json!([])),
                );
            if let Some(v) = e.context_view() {
                err = err.with("view", v.clone());
            }
            err
        }
        AppError::NeedsConfirmation {
            env, plan, command, ..
        } => ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "needs_confirmation",
            message,
        )
        .with("env", env.clone())
        .with("plan", plan.clone())
        .with("command", command.clone()),
        AppError::Conflict(_) | AppError::Store(StoreError::Conflict(_)) => {
            ApiError::new(StatusCode::CONFLICT, "conflict", message)
        }
        AppError::Store(StoreError::Locked(lock)) => {
            // The owner token proves the holder: never sent to anyone else.
            let mut holder = (**lock).clone();
            holder.token = "(hidden)".into();
            ApiError::new(StatusCode::CONFLICT, "locked", message).with(
                "holder",
                serde_json::to_value(&holder).unwrap_or(Value::Null),
            )
        }
        AppError::NotFound(_)
        | AppError::Store(StoreError::NotFound(_))
        | AppError::Release(ReleaseError::NotFound { .. } | ReleaseError::NoMatch { .. }) => {
            ApiError::not_found(message)
        }
        AppError::Invalid(_)
        | AppError::Release(
            ReleaseError::Ambiguous { .. }
            | ReleaseError::BadId(_)
            | ReleaseError::Malformed { .. },
        ) => ApiError::new(StatusCode::BAD_REQUEST, "invalid", message),
        AppError::Store(StoreError::Unavailable { .. }) => ApiError::unavailable(message),
        _ => ApiError::internal(&message),
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut detail = self.extra;
        detail.insert("kind".into(), Value::from(self.kind));
        detail.insert("message".into(), Value::from(self.message));
        (self.status, axum::Json(json!({ "error": detail }))).into_response()
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
    use super::*;

    #[test]
    fn every_app_error_kind_gets_its_contract_status() {
        let cases: Vec<(AppError, u16, &str)> = vec![
            (AppError::Invalid("bad".into()), 400, "invalid"),
            (AppError::NotFound("x".into()), 404, "not_found"),
            (AppError::Conflict("x".into()), 409, "conflict"),
            (AppError::blocked("no", vec![]), 422, "blocked"),
            (
                AppError::Store(StoreError::Unavailable {
                    what: "db".into(),
                    message: "down".into(),
                }),
                503,
                "unavailable",
            ),
            (
                AppError::Store(StoreError::Backend {
                    what: "db".into(),
                    message: "secret detail".into(),
                }),
                500,
                "internal",
            ),
            (
                AppError::NotFound("y".into()).context("while reading"),
                404,
                "not_found",
            ),
        ];
        for (e, status, kind) in cases {
            let api = from_app(&e);
            assert_eq!((api.status.as_u16(), api.kind), (status, kind), "{e}");
        }
        let internal = from_app(&AppError::Store(StoreError::Backend {
            what: "db".into(),
            message: "secret detail".into(),
        }));
        assert!(!internal.message.contains("secret"));
    }
}
