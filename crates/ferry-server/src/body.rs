//! Request bodies with the contract's limits: JSON up to 1 MiB, naming the bad field in a 400;
//! raw uploads up to `--max-upload`. Over the limit is 413 `too_large`, decided from
//! Content-Length before reading when the client sends it.

use crate::error::ApiError;
use crate::state::{ServerState, JSON_LIMIT};
use axum::body::{Body, Bytes};
use axum::extract::{FromRequest, Request};
use serde::de::DeserializeOwned;

async fn read_limited(
    body: Body,
    headers: &axum::http::HeaderMap,
    limit: u64,
) -> Result<Bytes, ApiError> {
    let declared = headers
        .get(axum::http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > limit) {
        return Err(ApiError::too_large(limit));
    }
    let cap = usize::try_from(limit).unwrap_or(usize::MAX);
    axum::body::to_bytes(body, cap).await.map_err(|e| {
        let over = std::error::Error::source(&e)
            .and_then(|s| s.downcast_ref::<http_body_util::LengthLimitError>())
            .is_some();
        if over {
            ApiError::too_large(limit)
        } else {
            ApiError::invalid("body", format!("the body could not be read: {e}"))
        }
    })
}

/// A JSON body of `T`; an empty body reads as `{}` (for bodies whose fields are all optional).
#[derive(Debug)]
pub struct JsonBody<T>(pub T);

impl<T: DeserializeOwned> FromRequest<ServerState> for JsonBody<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, _: &ServerState) -> Result<Self, ApiError> {
        let (parts, body) = req.into_parts();
        let bytes = read_limited(body, &parts.headers, JSON_LIMIT as u64).await?;
        let bytes: &[u8] = if bytes.iter().all(u8::is_ascii_whitespace) {
            b"{}"
        } else {
            &bytes
        };
        parse_json(bytes).map(JsonBody)
    }
}

/// Deserializes `bytes`, naming the field that is wrong or missing.
pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    let de = &mut serde_json::Deserializer::from_slice(bytes);
    serde_path_to_error::deserialize(de).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        let text = inner.to_string();
        // A missing field is reported at its parent; serde names it in backticks.
        let missing = text
            .strip_prefix("missing field `")
            .and_then(|r| r.split('`').next())
            .map(str::to_string);
        let field = match (missing, path.as_str()) {
            (Some(m), "." | "") => m,
            (Some(m), p) => format!("{p}.{m}"),
            (None, "." | "") => "body".to_string(),
            (None, p) => p.to_string(),
        };
        ApiError::invalid(
            &field,
            format!("the JSON body is not valid: {field}: {text}"),
        )
    })
}

/// Raw bytes up to the server's `--max-upload`.
#[derive(Debug)]
pub struct Upload(pub Bytes);

impl FromRequest<ServerState> for Upload {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &ServerState) -> Result<Self, ApiError> {
        let (parts, body) = req.into_parts();
        read_limited(body, &parts.headers, state.max_upload)
            .await
            .map(Upload)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
    use super::*;

    #[derive(Debug, serde::Deserialize)]
    #[allow(dead_code)]
    struct B {
        reason: String,
        inner: Option<I>,
    }
    #[derive(Debug, serde::Deserialize)]
    #[allow(dead_code)]
    struct I {
        n: u32,
    }

    fn field(json: &str) -> String {
        parse_json::<B>(json.as_bytes()).unwrap_err().extra["field"]
            .as_str()
            .unwrap()
            .to_string()
    }

    #[test]
    fn the_bad_or_missing_field_is_named() {
        assert_eq!(field("{}"), "reason");
        assert_eq!(field(r#"{"reason": 3}"#), "reason");
        assert_eq!(
            field(r#"{"reason": "x", "inner": {"n": "many"}}"#),
            "inner.n"
        );
        assert_eq!(field(r#"{"reason": "x", "inner": {}}"#), "inner.n");
        assert_eq!(field("not json"), "body");
        assert!(parse_json::<B>(br#"{"reason": "ok"}"#).is_ok());
    }
}
