//! Remote mode, the runner's side: the same commands as local mode, with the team server
//! deciding and recording. The runner holds the environment's lease (renewed while it works),
//! fetches the release by id (verified before use), runs the engine, uploads the plan file and
//! plan JSON, and applies only a plan the server let it claim — reporting the engine's real
//! outcome and its verification back.

use crate::context::{App, Claim};
use crate::error::{AppError, Result};
use crate::ops::promote::{PromoteInput, RollbackInput};
use crate::ops::team::{
    ClaimRequest, LeaseView, OutcomeReport, PrepareRequest, UploadedPlan, VerificationReport,
};
use crate::remote::TeamServer;
use crate::steps::workdir::Workdir;
use crate::views::{PlanView, PromoteView, ReleaseCreated, StateView};
use ferry_core::settings::GateSettings;
use ferry_engine::StateBackend;
use ferry_store::{ArtifactKind, DeploymentRecord, DeploymentStatus, ReleaseRecord};
use std::sync::mpsc::{self, RecvTimeoutError, Sender};
use std::sync::Arc;
use std::time::Duration;

/// How often a lease is renewed: a quarter of its length (so three renewals can fail before
/// it lapses), at most every 30 s.
fn renew_every(lease: &LeaseView) -> Duration {
    let parse = |t: &str| ferry_core::schedule::parse_instant(t).ok();
    let length = match (parse(&lease.since), parse(&lease.expires_at)) {
        (Some(a), Some(b)) => b.duration_since(a).unsigned_abs(),
        _ => Duration::from_secs(120),
    };
    (length / 4).clamp(Duration::from_millis(200), Duration::from_secs(30))
}

/// An environment's lease on the server, renewed by a thread until dropped.
pub struct RemoteLease {
    server: Arc<dyn TeamServer>,
    pub lease: LeaseView,
    stop: Option<Sender<()>>,
    renewer: Option<std::thread::JoinHandle<()>>,
    /// Tells the front end's signal handling that an interrupt must stop the engine and be
    /// reported to the server before exit.
    _busy: ferry_engine::CancelGuard,
}

impl std::fmt::Debug for RemoteLease {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RemoteLease")
            .field("env", &self.lease.env)
            .finish()
    }
}

impl Drop for RemoteLease {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(t) = self.renewer.take() {
            let _ = t.join();
        }
        // Not given back, it expires on its own.
        if let Err(e) = self.server.drop_lease(&self.lease.env, &self.lease.token) {
            tracing::warn!(env = %self.lease.env, error = %e, "could not give the lease back");
        }
    }
}

/// Takes `env`'s lease and renews it until dropped. When the server says the lease is no
/// longer ours (it lapsed and someone took it over), the engine is stopped: a runner without
/// the lease must not go on changing the environment.
fn take_lease(
    server: &Arc<dyn TeamServer>,
    env: &str,
    purpose: &str,
    cancel: &ferry_engine::Cancel,
) -> Result<RemoteLease> {
    let lease = server.take_lease(env, purpose)?;
    let every = renew_every(&lease);
    let (stop, rx) = mpsc::channel::<()>();
    let (srv, env_s, token) = (server.clone(), env.to_string(), lease.token.clone());
    let cancel_guard = cancel.guard();
    let cancel = cancel.clone();
    let renewer = std::thread::spawn(move || loop {
        match rx.recv_timeout(every) {
            Err(RecvTimeoutError::Timeout) => match srv.renew_lease(&env_s, &token) {
                Ok(_) => {}
                Err(e @ AppError::Conflict(_)) => {
                    tracing::error!(env = %env_s, error = %e, "the lease is lost: stopping the engine");
                    cancel.raise(15);
                    return;
                }
                Err(e) => tracing::warn!(env = %env_s, error = %e, "could not renew the lease"),
            },
            _ => return,
        }
    });
    Ok(RemoteLease {
        _busy: cancel_guard,
        server: server.clone(),
        lease,
        stop: Some(stop),
        renewer: Some(renewer),
    })
}

fn state_view(identity: Option<&ferry_engine::StateIdentity>) -> Option<StateView> {
    identity.map(|i| StateView {
        lineage: Some(i.lineage.clone()),
        serial: Some(i.serial),
    })
}

impl App {
    /// Builds the release here (from git, as locally) and uploads its bundle once.
    pub fn remote_release_create(
        &self,
        server: &dyn TeamServer,
        commit: Option<&str>,
        allow_dirty: bool,
    ) -> Result<ReleaseCreated> {
        let built = self
            .releases
            .create(&self.project.root, commit, allow_dirty)?;
        // Its own configuration must load here too: a broken ferry.toml is caught before upload.
        self.release_config(&built.id)?;
        let bytes = self.releases.bundle_bytes(&built.id)?;
        server.upload_release(&built.id, &bytes)
    }

    /// The release's bundle in this runner's artifact store, fetched from the server when
    /// missing; its bytes are checked against the id before they are kept.
    fn fetch_release(&self, server: &dyn TeamServer, id: &ferry_core::ReleaseId) -> Result<()> {
        if self.releases.verify(id).is_ok() {
            return Ok(());
        }
        self.step(&format!(
            "fetching release {} from {}",
            id.short(),
            server.url()
        ));
        let bytes = server.release_bundle(id)?;
        self.releases.import(id, &bytes)?;
        Ok(())
    }

    /// State lives in the team's backend: a runner never plans against a local state file that
    /// the next runner would not have.
    fn team_state_only(&self, s: &GateSettings) -> Result<()> {
        if matches!(self.state_backend(s), StateBackend::Local { .. }) {
            return Err(AppError::Invalid(format!(
                "environment '{}' keeps its state in a local file, but in team mode (FERRY_SERVER) state lives in the team's backend: set backend_config for '{}' in ferry.toml (e.g. the pg or s3 backend)",
                s.env, s.env
            )));
        }
        Ok(())
    }

    /// `ferry promote --to ENV` through the server.
    pub fn remote_promote(
        &self,
        who: &Claim,
        server: &Arc<dyn TeamServer>,
        input: &PromoteInput,
    ) -> Result<PromoteView> {
        let req = PrepareRequest {
            rollback: false,
            release: input.release.clone(),
        };
        self.remote_drive(who, server, &input.to, &req, input.confirmed)
    }

    /// `ferry rollback --env ENV [--to R]` through the server: the same path, the server
    /// choosing the rollback target.
    pub fn remote_rollback(
        &self,
        who: &Claim,
        server: &Arc<dyn TeamServer>,
        input: &RollbackInput,
    ) -> Result<PromoteView> {
        let req = PrepareRequest {
            rollback: true,
            release: input.to.clone(),
        };
        self.remote_drive(who, server, &input.env, &req, input.confirmed)
    }

    fn remote_drive(
        &self,
        who: &Claim,
        server: &Arc<dyn TeamServer>,
        env: &str,
        req: &PrepareRequest,
        confirmed: bool,
    ) -> Result<PromoteView> {
        let lease = take_lease(
            server,
            env,
            if req.rollback { "rollback" } else { "promote" },
            &self.cancel,
        )?;
        let prepared = server.prepare(env, req)?;
        let release = prepared.release;
        self.fetch_release(server.as_ref(), &release.id)?;
        let s = self.settings(env, &release.id)?;
        self.team_state_only(&s)?;
        self.step(&format!(
            "planning release {} for '{env}' (judged by {})",
            release.id.short(),
            server.url()
        ));
        let (made, wd) = self.engine_plan(&s, &release, env)?;
        let plan_id = ferry_store::sha256_file(&made.plan_file)?;
        let json_sha = ferry_store::sha256_file(&made.plan_json)?;
        server.put_blob(ArtifactKind::PlanFile, &plan_id, &made.plan_file)?;
        server.put_blob(ArtifactKind::PlanJson, &json_sha, &made.plan_json)?;
        let judged = server.submit_plan(
            env,
            &UploadedPlan {
                lease: lease.lease.token.clone(),
                release: release.id.clone(),
                purpose: prepared.purpose,
                plan_file: plan_id,
                plan_json_sha256: json_sha,
                state: state_view(made.identity.as_ref()),
                engine: made.engine.clone(),
            },
        )?;
        let view = |plan: &PlanView, gates| PromoteView {
            plan: plan.clone(),
            deployment: None,
            unmet_gates: gates,
            rehearsal: None,
        };
        if !judged.unmet_gates.is_empty() {
            let gates = judged.unmet_gates.clone();
            return Err(AppError::blocked(
                format!(
                    "plan {} may not be applied to '{env}':",
                    judged.plan.plan.short()
                ),
                gates.clone(),
            )
            .with_view(&view(&judged.plan, gates)));
        }
        if judged.confirm && !confirmed {
            return Err(AppError::NeedsConfirmation {
                env: env.to_string(),
                plan: judged.plan.plan.short().to_string(),
                command: format!("ferry apply --env {env} --plan {}", judged.plan.plan),
                context: None,
            }
            .with_view(&view(&judged.plan, vec![])));
        }
        let deployment = self.remote_apply_planned(
            who,
            server.as_ref(),
            &lease,
            &s,
            &release,
            &judged.plan,
            wd,
            true,
        )?;
        let mut plan = judged.plan;
        plan.status = "applied".into();
        Ok(PromoteView {
            plan,
            deployment: Some(deployment),
            unmet_gates: vec![],
            rehearsal: None,
        })
    }

    /// `ferry apply --env ENV [--plan ID]` through the server: the pending plan (or the one
    /// named), claimed, applied here, reported and verified.
    pub fn remote_apply(
        &self,
        who: &Claim,
        server: &Arc<dyn TeamServer>,
        env: &str,
        plan: Option<&str>,
    ) -> Result<DeploymentRecord> {
        let lease = take_lease(server, env, "apply", &self.cancel)?;
        let view = server.plan(env, plan)?;
        let release = server
            .releases()?
            .into_iter()
            .find(|r| r.release.id == view.release)
            .map(|r| r.release)
            .ok_or_else(|| {
                AppError::NotFound(format!(
                    "release {} of plan {} is not on the server",
                    view.release.short(),
                    view.plan.short()
                ))
            })?;
        self.fetch_release(server.as_ref(), &release.id)?;
        let s = self.settings(env, &release.id)?;
        self.team_state_only(&s)?;
        let u = self.unpack(&s, &release, env)?;
        let wd = self.init(&s, u, true)?;
        self.remote_apply_planned(who, server.as_ref(), &lease, &s, &release, &view, wd, true)
    }

    #[allow(clippy::too_many_arguments)]
    fn remote_apply_planned(
        &self,
        _who: &Claim,
        server: &dyn TeamServer,
        lease: &RemoteLease,
        s: &GateSettings,
        release: &ReleaseRecord,
        plan: &PlanView,
        mut wd: Workdir,
        confirmed: bool,
    ) -> Result<DeploymentRecord> {
        let env = s.env.as_str();
        wd.opts = self.run_options(env, true);
        wd.opts
            .env
            .push(("FERRY_RELEASE".to_string(), release.id.to_string()));
        let identity = wd
            .engine
            .state_identity_of(&wd.backend, &wd.module_dir, &wd.opts)?;
        let token = lease.lease.token.clone();
        let d = server.claim(
            env,
            &plan.plan,
            &ClaimRequest {
                lease: token.clone(),
                state: state_view(identity.as_ref()),
                confirmed,
            },
        )?;
        let local_plan = wd.module_dir.join("ferry.tfplan");
        if let Err(e) = server.plan_file(&plan.plan, &local_plan) {
            let report = OutcomeReport {
                lease: token.clone(),
                status: DeploymentStatus::Failed,
                error: Some(format!("the runner could not fetch the plan file: {e}")),
                log: String::new(),
            };
            server.report_outcome(d.id, &report)?;
            return Err(e);
        }
        self.step(&format!(
            "applying plan {} (release {}) to '{env}'",
            plan.plan.short(),
            release.id.short()
        ));
        let result = wd.engine.apply(&wd.module_dir, &local_plan, &wd.opts);
        use crate::steps::apply::tail;
        let report = match &result {
            Ok(log) => OutcomeReport {
                lease: token.clone(),
                status: DeploymentStatus::Succeeded,
                error: None,
                log: self.redact(&tail(&log.output)),
            },
            Err(e) => OutcomeReport {
                lease: token.clone(),
                status: if e.interrupted_by().is_some() {
                    DeploymentStatus::Interrupted
                } else {
                    DeploymentStatus::Failed
                },
                error: Some(self.redact(&e.to_string())),
                log: self.redact(&tail(e.output().unwrap_or_default())),
            },
        };
        server.report_outcome(d.id, &report)?;
        if let Err(e) = result {
            return Err(AppError::Engine(e).context(format!(
                "apply of plan {} to '{env}' failed; recorded as failed on the server",
                plan.plan.short()
            )));
        }
        let verification = self.run_verification(s, release, &wd)?;
        let d = server.report_verification(
            d.id,
            &VerificationReport {
                lease: token,
                report: verification,
            },
        )?;
        if !d.verified {
            return Err(AppError::VerificationFailed {
                env: env.to_string(),
                deployment: d.id,
                detail: d
                    .error
                    .clone()
                    .unwrap_or_else(|| "a check failed (see `ferry history`)".into()),
                outcome: None,
            });
        }
        Ok(d)
    }
}
