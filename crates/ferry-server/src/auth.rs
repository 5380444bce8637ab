//! Who is calling: every `/api/v1` request carries `Authorization: Bearer <token>` — an API
//! token (`ferry_` + 43 base64url characters, looked up by its sha256), or an OIDC ID token
//! (three dot-separated parts) checked by the configured [`JwtVerifier`] — or, only when the
//! trusted-proxy mode is on and the request comes from the proxy's address, a header naming the
//! user. Anything else is 401; a known caller without the role is 403 naming the role.

use crate::error::ApiError;
use crate::roles::{self, Grant, Role};
use crate::state::ServerState;
use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;
use base64::Engine;
use ferry_app::Claim;
use ferry_core::identity::IdentitySource;
use sha2::{Digest, Sha256};
use std::net::SocketAddr;

/// What a verified OIDC ID token says about its holder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifiedIdentity {
    pub user: String,
    /// Role grants as written (`applier:prod`).
    pub roles: Vec<String>,
    /// Where it was verified, for the record (e.g. `oidc https://token.actions.githubusercontent.com`).
    pub via: String,
}

/// Verifies a JWT-shaped bearer token (ferry-oidc implements it). The error is said to the
/// caller in a 401, so it names what failed, never a key or the token.
pub trait JwtVerifier: Send + Sync {
    fn verify(&self, token: &str) -> Result<VerifiedIdentity, String>;
}

pub const TOKEN_PREFIX: &str = "ferry_";

/// A fresh API token: `ferry_` + 32 random bytes in base64url (43 characters).
pub fn new_token() -> Result<String, getrandom::Error> {
    let mut bytes = [0u8; 32];
    getrandom::getrandom(&mut bytes)?;
    Ok(format!(
        "{TOKEN_PREFIX}{}",
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
    ))
}

/// What is stored for a token: its sha256, hex.
pub fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

fn looks_like_api_token(t: &str) -> bool {
    t.strip_prefix(TOKEN_PREFIX).is_some_and(|rest| {
        rest.len() == 43
            && rest
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    })
}

fn looks_like_jwt(t: &str) -> bool {
    let parts: Vec<&str> = t.split('.').collect();
    parts.len() == 3 && parts.iter().all(|p| !p.is_empty())
}

/// How the caller proved who they are.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Via {
    Token,
    Oidc,
    Proxy,
}

impl Via {
    pub fn as_str(self) -> &'static str {
        match self {
            Via::Token => "token",
            Via::Oidc => "oidc",
            Via::Proxy => "proxy",
        }
    }
}

/// The authenticated caller of a request.
#[derive(Debug, Clone)]
pub struct Caller {
    pub user: String,
    pub grants: Vec<Grant>,
    pub via: Via,
    /// For the record: `api`, `oidc ISSUER`, `proxy`.
    pub origin: String,
}

impl Caller {
    /// Ok when the caller has `role` on `env` (`None`: on some environment); else 403 naming it.
    pub fn require(&self, role: Role, env: Option<&str>) -> Result<(), ApiError> {
        if roles::allowed(&self.grants, role, env) {
            Ok(())
        } else {
            Err(ApiError::forbidden(&roles::needed(role, env), &self.user))
        }
    }

    /// The acting identity passed to the operations: the authenticated user, never a body field.
    pub fn claim(&self) -> Claim {
        let source = match self.via {
            Via::Token => IdentitySource::Token,
            Via::Oidc => IdentitySource::Oidc,
            Via::Proxy => IdentitySource::Proxy,
        };
        Claim::new(&self.user, source, self.origin.clone())
    }
}

fn bearer(parts: &Parts) -> Result<Option<&str>, ApiError> {
    let Some(value) = parts.headers.get(axum::http::header::AUTHORIZATION) else {
        return Ok(None);
    };
    let text = value
        .to_str()
        .map_err(|_| ApiError::unauthenticated("the Authorization header is not text"))?;
    match text.split_once(' ') {
        Some((scheme, token)) if scheme.eq_ignore_ascii_case("bearer") => Ok(Some(token.trim())),
        _ => Err(ApiError::unauthenticated(
            "the Authorization header must be `Bearer <token>`",
        )),
    }
}

impl FromRequestParts<ServerState> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &ServerState,
    ) -> Result<Caller, ApiError> {
        if let Some(proxy) = &state.proxy {
            let peer = parts
                .extensions
                .get::<ConnectInfo<SocketAddr>>()
                .map(|c| c.0.ip())
                .or_else(|| {
                    parts
                        .extensions
                        .get::<ConnectInfo<crate::serve::TlsPeer>>()
                        .map(|c| c.0 .0.ip())
                });
            if let Some(caller) = proxy.caller(&parts.headers, peer)? {
                return Ok(caller);
            }
        }
        let Some(token) = bearer(parts)? else {
            return Err(ApiError::unauthenticated(
                "no credentials: send `Authorization: Bearer <token>` (`ferry serve token create` makes one)",
            ));
        };
        if looks_like_api_token(token) {
            let token = token.to_string();
            let st = state.clone();
            return crate::state::blocking(move || st.token_caller(&token)).await;
        }
        if looks_like_jwt(token) {
            let Some(verifier) = state.jwt.clone() else {
                return Err(ApiError::unauthenticated(
                    "an ID token was sent but this server has no OIDC issuer configured",
                ));
            };
            let token = token.to_string();
            let id = crate::state::blocking(move || Ok(verifier.verify(&token))).await?;
            let id = id.map_err(|why| {
                ApiError::unauthenticated(format!("the ID token was refused: {why}"))
            })?;
            let grants = roles::parse_grants(&id.roles).map_err(|e| {
                ApiError::unauthenticated(format!("the ID token's roles are not valid: {e}"))
            })?;
            return Ok(Caller {
                user: id.user,
                grants,
                via: Via::Oidc,
                origin: id.via,
            });
        }
        Err(ApiError::unauthenticated(
            "the bearer token is neither a ferry API token nor an ID token",
        ))
    }
}

impl ServerState {
    /// The caller an API token names, when it is known, unexpired and not revoked.
    fn token_caller(&self, token: &str) -> Result<Caller, ApiError> {
        let bad = || ApiError::unauthenticated("the API token is not valid");
        let record = self
            .accounts
            .token_by_hash(&token_hash(token))
            .map_err(|e| crate::error::from_app(&e.into()))?
            .ok_or_else(bad)?;
        if record.revoked_at.is_some() {
            return Err(ApiError::unauthenticated("the API token was revoked"));
        }
        // Fail closed: an expiry that cannot be read is an expired token.
        let expires: jiff::Timestamp = record.expires_at.parse().map_err(|_| bad())?;
        if expires <= jiff::Timestamp::now() {
            return Err(ApiError::unauthenticated(format!(
                "the API token expired at {}",
                record.expires_at
            )));
        }
        let grants = roles::parse_grants(&record.roles).map_err(|_| bad())?;
        Ok(Caller {
            user: record.user,
            grants,
            via: Via::Token,
            origin: "api".into(),
        })
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
    use super::*;

    #[test]
    fn tokens_are_prefixed_43_base64url_chars_and_distinct() {
        let a = new_token().unwrap();
        let b = new_token().unwrap();
        assert!(looks_like_api_token(&a), "{a}");
        assert_eq!(a.len(), TOKEN_PREFIX.len() + 43);
        assert_ne!(a, b);
        assert_eq!(token_hash(&a).len(), 64);
        assert_ne!(token_hash(&a), token_hash(&b));
    }

    #[test]
    fn bearer_shapes_are_told_apart() {
        assert!(looks_like_jwt("aaa.bbb.ccc"));
        assert!(!looks_like_jwt("aaa.bbb"));
        assert!(!looks_like_jwt("aaa..ccc"));
        assert!(!looks_like_api_token("ferry_short"));
        assert!(!looks_like_api_token(&format!(
            "ferry_{}",
            "a".repeat(42) + "!"
        )));
    }
}
