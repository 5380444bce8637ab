//! `ferry serve`: team mode's server. One process (or several on one PostgreSQL database) owns
//! the ledger and the artifacts; CI runners and people are its authenticated clients. It speaks
//! HTTP JSON under `/api/v1` (described by the OpenAPI document at `/api/openapi.json`, built
//! from the same handler list as the router), runs every operation of `ferry-app` on a blocking
//! worker thread, judges runners' plans itself, and never takes an identity from a request body.
//!
//! This crate only authenticates, authorises (roles per environment), maps errors to statuses
//! and serves; the workflow is `ferry-app`'s (`ops/team.rs` for what runners ask of it).

pub mod auth;
pub mod body;
pub mod error;
pub mod proxy;
pub mod roles;
pub mod routes;
pub mod serve;
pub mod state;
pub mod tokens;

pub use auth::{JwtVerifier, VerifiedIdentity};
pub use serve::{run, ServeOptions, ServerError};
pub use state::ServerState;

use utoipa::OpenApi;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "ferry",
        description = "ferry's team server: releases, plans judged by the server, approvals bound to a plan, leases, claims and deployments."
    ),
    components(schemas(error::ErrorBody, error::ErrorDetail)),
    modifiers(&BearerAuth)
)]
struct ApiDoc;

struct BearerAuth;

impl utoipa::Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

/// Every route with its documentation.
fn api() -> OpenApiRouter<ServerState> {
    use routes::{health, read, runner, write};
    OpenApiRouter::with_openapi(ApiDoc::openapi())
        .routes(routes!(health::healthz))
        .routes(routes!(health::readyz))
        .routes(routes!(read::whoami))
        .routes(routes!(read::status))
        .routes(routes!(read::history))
        .routes(routes!(read::releases))
        .routes(routes!(read::release_show))
        .routes(routes!(read::release_bundle, write::put_release))
        .routes(routes!(read::env_plan))
        .routes(routes!(read::plan_json))
        .routes(routes!(read::ledger_verify))
        .routes(routes!(write::put_blob))
        .routes(routes!(write::approve))
        .routes(routes!(write::reject))
        .routes(routes!(runner::take_lease, runner::renew_lease))
        .routes(routes!(runner::drop_lease))
        .routes(routes!(runner::prepare))
        .routes(routes!(runner::submit_plan))
        .routes(routes!(runner::claim))
        .routes(routes!(runner::plan_file))
        .routes(routes!(runner::outcome))
        .routes(routes!(runner::verification))
}

/// The OpenAPI document the server serves at `/api/openapi.json`.
pub fn openapi() -> utoipa::openapi::OpenApi {
    api().split_for_parts().1
}

/// The whole HTTP surface over `state`.
pub fn router(state: ServerState) -> axum::Router {
    let (router, doc) = api().split_for_parts();
    let doc = std::sync::Arc::new(doc);
    router
        .route(
            "/api/openapi.json",
            axum::routing::get(move || {
                let doc = doc.clone();
                async move { axum::Json((*doc).clone()) }
            }),
        )
        .fallback(|| async {
            error::ApiError::not_found("no such route; the API is described at /api/openapi.json")
        })
        .with_state(state)
}
