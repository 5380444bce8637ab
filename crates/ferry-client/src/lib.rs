//! The team server as the CLI reaches it: [`HttpServer`] implements
//! [`ferry_app::remote::TeamServer`] over `/api/v1` with a bearer token. It exists apart from
//! the binary so the front end only parses and renders, and apart from ferry-app so the
//! operations layer knows nothing of HTTP.
//!
//! The server's refusals come back as the same [`AppError`] kinds local mode raises (blocked
//! with its gates, conflict, not found, invalid), so `ferry promote` exits 3 on a blocked plan
//! whether the gate was judged here or there. A server that cannot be reached, or answers 503,
//! is `unavailable`: the promotion stops (fail closed).

use ferry_app::ops::team::{
    ClaimRequest, LeaseView, OutcomeReport, PrepareRequest, Prepared, TeamPlanView, UploadedPlan,
    VerificationReport,
};
use ferry_app::remote::TeamServer;
use ferry_app::views::{
    ApprovalView, HistoryView, PlanView, ReleaseCreated, ReleaseListed, StatusView,
};
use ferry_app::{AppError, Result};
use ferry_core::promotion::UnmetGate;
use ferry_core::{PlanId, ReleaseId};
use ferry_store::{ApprovalRecord, ArtifactKind, DeploymentRecord, StoreError};
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::{json, Value};
use std::io::{Read, Write};
use std::path::Path;
use std::time::Duration;

/// A team server at `url`, called with `token`.
pub struct HttpServer {
    base: String,
    token: String,
    agent: ureq::Agent,
}

impl std::fmt::Debug for HttpServer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never the token.
        f.debug_struct("HttpServer")
            .field("url", &self.base)
            .finish()
    }
}

fn percent(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

impl HttpServer {
    /// `url` is the server's base (`http://host:7700`); `token` a ferry API token or a CI OIDC
    /// ID token.
    pub fn new(url: &str, token: &str) -> Result<HttpServer> {
        let base = url.trim_end_matches('/').to_string();
        if !(base.starts_with("http://") || base.starts_with("https://")) {
            return Err(AppError::Invalid(format!(
                "FERRY_SERVER '{base}' is not an http:// or https:// URL"
            )));
        }
        if token.trim().is_empty() {
            return Err(AppError::Invalid(
                "FERRY_SERVER is set but FERRY_TOKEN is empty: create a token with `ferry serve token create --user NAME --role ROLE` on the server".into(),
            ));
        }
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_connect(Some(Duration::from_secs(10)))
            .max_redirects(0)
            .build()
            .into();
        Ok(HttpServer {
            base,
            token: token.trim().to_string(),
            agent,
        })
    }

    fn unreachable(&self, e: &ureq::Error) -> AppError {
        AppError::Store(StoreError::Unavailable {
            what: format!("the ferry server at {}", self.base),
            message: format!("{e}; is `ferry serve` running there and FERRY_SERVER right?"),
        })
    }

    /// The server's error document as the error local mode would raise.
    fn refusal(&self, status: u16, body: &[u8]) -> AppError {
        let v: Value = serde_json::from_slice(body).unwrap_or(Value::Null);
        let e = v.get("error").cloned().unwrap_or(Value::Null);
        let text = |k: &str| e.get(k).and_then(Value::as_str).map(str::to_string);
        let message = text("message").unwrap_or_else(|| {
            format!(
                "the ferry server at {} answered {status} without an error document",
                self.base
            )
        });
        match (status, text("kind").as_deref()) {
            (_, Some("blocked")) => {
                let gates: Vec<UnmetGate> = e
                    .get("gates")
                    .cloned()
                    .and_then(|g| serde_json::from_value(g).ok())
                    .unwrap_or_default();
                let headline = text("headline").unwrap_or(message);
                let err = AppError::blocked(headline, gates);
                match e.get("view") {
                    Some(view) if !view.is_null() => err.with_view(view),
                    _ => err,
                }
            }
            (_, Some("needs_confirmation")) => AppError::NeedsConfirmation {
                env: text("env").unwrap_or_default(),
                plan: text("plan").unwrap_or_default(),
                command: text("command").unwrap_or_default(),
                context: None,
            },
            (_, Some("conflict" | "locked")) | (409, _) => AppError::Conflict(message),
            (_, Some("not_found")) | (404, _) => AppError::NotFound(message),
            (503, _) | (_, Some("unavailable")) => AppError::Store(StoreError::Unavailable {
                what: format!("the ferry server at {}", self.base),
                message,
            }),
            (401, _) => AppError::Invalid(format!(
                "the ferry server at {} refused the token (FERRY_TOKEN): {message}",
                self.base
            )),
            _ => AppError::Invalid(message),
        }
    }

    fn finish(&self, response: ureq::http::Response<ureq::Body>) -> Result<Vec<u8>> {
        let status = response.status().as_u16();
        let mut bytes = Vec::new();
        response
            .into_body()
            .into_reader()
            .read_to_end(&mut bytes)
            .map_err(|e| {
                AppError::Store(StoreError::Unavailable {
                    what: format!("the ferry server at {}", self.base),
                    message: format!("the answer was cut off: {e}"),
                })
            })?;
        if (200..300).contains(&status) {
            Ok(bytes)
        } else {
            Err(self.refusal(status, &bytes))
        }
    }

    fn url(&self, path: &str) -> String {
        format!("{}/api/v1{path}", self.base)
    }

    fn auth(&self) -> String {
        format!("Bearer {}", self.token)
    }

    fn get<T: DeserializeOwned>(&self, path: &str) -> Result<T> {
        let r = self
            .agent
            .get(&self.url(path))
            .header("Authorization", self.auth())
            .call()
            .map_err(|e| self.unreachable(&e))?;
        self.decode(&self.finish(r)?)
    }

    fn post<B: Serialize, T: DeserializeOwned>(&self, path: &str, body: &B) -> Result<T> {
        self.send_json("POST", path, body)
    }

    fn send_json<B: Serialize, T: DeserializeOwned>(
        &self,
        method: &str,
        path: &str,
        body: &B,
    ) -> Result<T> {
        let text = serde_json::to_vec(body)
            .map_err(|e| AppError::Invalid(format!("cannot encode a request: {e}")))?;
        let url = self.url(path);
        let builder = match method {
            "PUT" => self.agent.put(&url),
            _ => self.agent.post(&url),
        };
        let r = builder
            .header("Authorization", self.auth())
            .header("Content-Type", "application/json")
            .send(&text[..])
            .map_err(|e| self.unreachable(&e))?;
        let bytes = self.finish(r)?;
        self.decode(if bytes.is_empty() { b"null" } else { &bytes })
    }

    fn decode<T: DeserializeOwned>(&self, bytes: &[u8]) -> Result<T> {
        serde_json::from_slice(bytes).map_err(|e| {
            AppError::Invalid(format!(
                "the ferry server at {} answered something this ferry cannot read ({e}); are client and server the same version?",
                self.base
            ))
        })
    }

    fn env_path(env: &str, rest: &str) -> String {
        format!("/envs/{}{rest}", percent(env))
    }
}

impl TeamServer for HttpServer {
    fn url(&self) -> String {
        self.base.clone()
    }

    fn upload_release(&self, id: &ReleaseId, bundle: &[u8]) -> Result<ReleaseCreated> {
        let r = self
            .agent
            .put(&self.url(&format!("/releases/{}/bundle", id.hex())))
            .header("Authorization", self.auth())
            .header("Content-Type", "application/octet-stream")
            .send(bundle)
            .map_err(|e| self.unreachable(&e))?;
        self.decode(&self.finish(r)?)
    }

    fn release_bundle(&self, id: &ReleaseId) -> Result<Vec<u8>> {
        let r = self
            .agent
            .get(&self.url(&format!("/releases/{}/bundle", id.hex())))
            .header("Authorization", self.auth())
            .call()
            .map_err(|e| self.unreachable(&e))?;
        self.finish(r)
    }

    fn releases(&self) -> Result<Vec<ReleaseListed>> {
        self.get("/releases")
    }

    fn prepare(&self, env: &str, req: &PrepareRequest) -> Result<Prepared> {
        self.post(&Self::env_path(env, "/prepare"), req)
    }

    fn take_lease(&self, env: &str, purpose: &str) -> Result<LeaseView> {
        self.post(
            &Self::env_path(env, "/lease"),
            &json!({ "purpose": purpose }),
        )
    }

    fn renew_lease(&self, env: &str, token: &str) -> Result<LeaseView> {
        self.send_json(
            "PUT",
            &Self::env_path(env, "/lease"),
            &json!({ "token": token }),
        )
    }

    fn drop_lease(&self, env: &str, token: &str) -> Result<()> {
        let _: Value = self.post(
            &Self::env_path(env, "/lease/release"),
            &json!({ "token": token }),
        )?;
        Ok(())
    }

    fn put_blob(&self, kind: ArtifactKind, sha256: &str, file: &Path) -> Result<()> {
        let f = std::fs::File::open(file)
            .map_err(|e| AppError::io(format!("cannot read {}", file.display()), e))?;
        let r = self
            .agent
            .put(&self.url(&format!(
                "/blobs/{}/{sha256}",
                match kind {
                    ArtifactKind::PlanFile => "plan-file",
                    ArtifactKind::PlanJson => "plan-json",
                    _ => "unsupported",
                }
            )))
            .header("Authorization", self.auth())
            .header("Content-Type", "application/octet-stream")
            .send(&f)
            .map_err(|e| self.unreachable(&e))?;
        self.finish(r)?;
        Ok(())
    }

    fn submit_plan(&self, env: &str, plan: &UploadedPlan) -> Result<TeamPlanView> {
        self.post(&Self::env_path(env, "/plans"), plan)
    }

    fn plan(&self, env: &str, plan: Option<&str>) -> Result<PlanView> {
        let q = plan
            .map(|p| format!("?id={}", percent(p)))
            .unwrap_or_default();
        self.get(&Self::env_path(env, &format!("/plan{q}")))
    }

    fn claim(&self, env: &str, plan: &PlanId, req: &ClaimRequest) -> Result<DeploymentRecord> {
        self.post(
            &Self::env_path(env, &format!("/plans/{}/claim", plan.hex())),
            req,
        )
    }

    fn plan_file(&self, plan: &PlanId, dest: &Path) -> Result<()> {
        let r = self
            .agent
            .get(&self.url(&format!("/plans/{}/file", plan.hex())))
            .header("Authorization", self.auth())
            .call()
            .map_err(|e| self.unreachable(&e))?;
        let bytes = self.finish(r)?;
        use sha2::Digest as _;
        if hex::encode(sha2::Sha256::digest(&bytes)) != plan.hex() {
            return Err(AppError::Invalid(format!(
                "the plan file the server sent does not hash to plan id {plan}: refusing to apply it"
            )));
        }
        let mut f = std::fs::File::create(dest)
            .map_err(|e| AppError::io(format!("cannot write {}", dest.display()), e))?;
        f.write_all(&bytes)
            .map_err(|e| AppError::io(format!("cannot write {}", dest.display()), e))?;
        Ok(())
    }

    fn report_outcome(&self, deployment: i64, report: &OutcomeReport) -> Result<DeploymentRecord> {
        self.post(&format!("/deployments/{deployment}/outcome"), report)
    }

    fn report_verification(
        &self,
        deployment: i64,
        report: &VerificationReport,
    ) -> Result<DeploymentRecord> {
        self.post(&format!("/deployments/{deployment}/verification"), report)
    }

    fn approve(&self, env: &str, plan: Option<&str>, note: Option<&str>) -> Result<ApprovalView> {
        let id = match plan {
            Some(p) => p.to_string(),
            None => self.plan(env, None)?.plan.hex().to_string(),
        };
        self.post(
            &Self::env_path(env, &format!("/plans/{}/approve", percent(&id))),
            &json!({ "note": note }),
        )
    }

    fn reject(&self, env: &str, plan: Option<&str>, reason: &str) -> Result<ApprovalRecord> {
        let id = match plan {
            Some(p) => p.to_string(),
            None => self.plan(env, None)?.plan.hex().to_string(),
        };
        self.post(
            &Self::env_path(env, &format!("/plans/{}/reject", percent(&id))),
            &json!({ "reason": reason }),
        )
    }

    fn status(&self, env: Option<&str>) -> Result<StatusView> {
        let q = env
            .map(|e| format!("?env={}", percent(e)))
            .unwrap_or_default();
        self.get(&format!("/status{q}"))
    }

    fn history(&self, env: Option<&str>) -> Result<HistoryView> {
        let q = env
            .map(|e| format!("?env={}", percent(e)))
            .unwrap_or_default();
        self.get(&format!("/history{q}"))
    }

    fn ledger_verify(&self) -> Result<Value> {
        self.get("/ledger/verify")
    }
}
