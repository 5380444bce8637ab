//! A command's view of one project: its configuration, ledger, release store and engine, plus the
//! lookups every promotion command shares (resolve an id, find what is known-good upstream).

use crate::context::Project;
use crate::exit::Blocked;
use crate::output;
use anyhow::{anyhow, bail, Context as _, Result};
use ferry_core::promotion::{entry_gates, EntryFacts, UnmetGate};
use ferry_core::{EnvironmentConfig, PlanId, ReleaseId};
use ferry_engine::{Engine, Progress, RunOptions};
use ferry_release::ReleaseStore;
use ferry_store::{
    DeploymentRecord, Event, Ledger, LockRecord, PlanRecord, ReleaseRecord, SqliteLedger,
};
use std::path::{Path, PathBuf};
use std::time::Duration;

pub struct Session {
    pub project: Project,
    pub ledger: SqliteLedger,
    pub releases: ReleaseStore,
}

impl Session {
    pub fn open(dir: Option<&Path>) -> Result<Session> {
        let project = Project::discover(dir)?;
        let ledger = SqliteLedger::open(&project.data_dir)?;
        let releases = ReleaseStore::new(&project.data_dir);
        let session = Session {
            project,
            ledger,
            releases,
        };
        session.warn_interrupted()?;
        Ok(session)
    }

    /// A ferry that died mid-apply leaves a `running` deployment and its lock. When the lock's
    /// process is gone (or there is no lock), the deployment is recorded as interrupted — never as
    /// a success — the lock is cleared, and the person is told how to continue.
    fn warn_interrupted(&self) -> Result<()> {
        for d in self.ledger.interrupted_deployments()? {
            let lock = self.ledger.lock(&d.env)?;
            if lock.as_ref().is_some_and(|l| lock_alive(&l.token)) {
                continue;
            }
            self.ledger.mark_interrupted(d.id, &now())?;
            if lock.is_some() {
                self.ledger.force_unlock(&d.env)?;
            }
            self.event(
                Some(&d.env),
                "deployment.interrupted",
                Some(&d.release),
                Some(&d.plan),
                format!(
                    "deployment #{} was interrupted (ferry died during apply)",
                    d.id
                ),
            )?;
            eprintln!(
                "warning: deployment #{} of release {} to '{}' (plan {}), started {} by {}, was interrupted: ferry died during apply. \
                 It is recorded as interrupted, its plan can no longer be used, and the state of '{}' may be partly changed. \
                 To continue: `ferry plan --env {}` shows what the state is now, then promote again.",
                d.id,
                d.release.short(),
                d.env,
                d.plan.short(),
                d.started_at,
                d.by,
                d.env,
                d.env
            );
        }
        Ok(())
    }

    /// Takes `env`'s lock for this process; released when the guard drops.
    pub fn lock(&self, env: &str, purpose: &str) -> Result<LockGuard<'_>> {
        let token = format!("{}:{}:{}", hostname(), std::process::id(), now());
        let holder = format!(
            "{} (pid {} on {})",
            self.actor().unwrap_or_else(|_| "unknown".into()),
            std::process::id(),
            hostname()
        );
        let record = LockRecord {
            env: env.to_string(),
            holder,
            token: token.clone(),
            purpose: purpose.to_string(),
            since: now(),
        };
        match self.ledger.acquire_lock(&record) {
            Ok(()) => Ok(LockGuard {
                session: self,
                env: env.to_string(),
                token,
            }),
            Err(ferry_store::StoreError::Locked(held)) => {
                let gone = if lock_alive(&held.token) {
                    ""
                } else {
                    " (its process is gone: the lock is stale)"
                };
                Err(Blocked(format!(
                    "'{env}' is locked by {} since {} for {}{gone}; one promotion at a time. If it died: `ferry unlock --env {env} --reason ...`",
                    held.holder, held.since, held.purpose
                ))
                .into())
            }
            Err(e) => Err(e.into()),
        }
    }

    pub fn env(&self, name: &str) -> Result<&EnvironmentConfig> {
        self.project.env(name)
    }

    pub fn actor(&self) -> Result<String> {
        crate::context::identity(&self.project.root)
    }

    pub fn resolve_release(&self, text: &str) -> Result<ReleaseRecord> {
        let hex = ferry_core::ids::parse_id_prefix(text)?;
        let mut found = self.ledger.releases_by_prefix(&hex)?;
        match found.len() {
            0 => bail!("unknown release '{text}'; `ferry release list` shows the known ones"),
            1 => Ok(found.remove(0)),
            n => bail!("release prefix '{text}' matches {n} releases; give more digits"),
        }
    }

    pub fn resolve_plan(&self, env: &str, text: Option<&str>) -> Result<PlanRecord> {
        let plan = match text {
            None => match self.ledger.pending_plan(env)? {
                Some(p) => p,
                None => match self.ledger.latest_plan(env)? {
                    Some(last) => bail!(
                        "'{env}' has no pending plan: its last plan {} is {} (a plan is applied once); run `ferry plan --env {env}` for a new one",
                        last.id.short(),
                        last.status.as_str()
                    ),
                    None => bail!("'{env}' has no pending plan; run `ferry plan --env {env}` first"),
                },
            },
            Some(text) => {
                let hex = ferry_core::ids::parse_id_prefix(text)?;
                let mut found = self.ledger.plans_by_prefix(&hex)?;
                match found.len() {
                    0 => bail!("unknown plan '{text}'; `ferry status --env {env}` shows the pending plan"),
                    1 => found.remove(0),
                    n => bail!("plan prefix '{text}' matches {n} plans; give more digits"),
                }
            }
        };
        if plan.env != env {
            bail!(
                "plan {} belongs to environment '{}', not '{env}'",
                plan.id.short(),
                plan.env
            );
        }
        Ok(plan)
    }

    /// The newest deployment of `env` that succeeded and was verified.
    pub fn current(&self, env: &str) -> Result<Option<DeploymentRecord>> {
        Ok(self
            .ledger
            .deployments(Some(env))?
            .into_iter()
            .find(|d| d.known_good()))
    }

    pub fn known_good_in(&self, env: &str, release: &ReleaseId) -> Result<bool> {
        Ok(self
            .ledger
            .deployments(Some(env))?
            .iter()
            .any(|d| d.known_good() && &d.release == release))
    }

    pub fn entry_gates(
        &self,
        env: &EnvironmentConfig,
        release: &ReleaseRecord,
    ) -> Result<Vec<UnmetGate>> {
        let first = self
            .project
            .config
            .first_environment()
            .map_or(env.name(), |e| e.name());
        let upstream_deploy = match env.from_env() {
            Some(up) => self
                .ledger
                .deployments(Some(up))?
                .into_iter()
                .find(|d| d.known_good() && d.release == release.id),
            None => None,
        };
        let upstream_known_good = env.from_env().is_none() || upstream_deploy.is_some();
        let soaking = match &upstream_deploy {
            Some(d) => crate::gates::soaking(
                env,
                d.verified_at.as_deref().or(d.finished_at.as_deref()),
                crate::gates::now_ts()?,
            )?,
            None => None,
        };
        Ok(entry_gates(&EntryFacts {
            env: env.name(),
            upstream: env.from_env(),
            first,
            dirty: release.dirty,
            abandoned: release.abandoned.as_ref().map(|a| a.reason.as_str()),
            upstream_known_good,
            soaking,
        }))
    }

    /// The newest release that may enter `env` now.
    pub fn newest_eligible(&self, env: &EnvironmentConfig) -> Result<ReleaseRecord> {
        let releases = self.ledger.releases()?;
        if releases.is_empty() {
            bail!("no releases yet; run `ferry release create`");
        }
        for r in &releases {
            if self.entry_gates(env, r)?.is_empty() {
                return Ok(r.clone());
            }
        }
        let newest = &releases[0];
        let gates = self.entry_gates(env, newest)?;
        Err(blocked(
            &format!(
                "no release may enter '{}'; the newest, {}:",
                env.name(),
                newest.id.short()
            ),
            &gates,
        ))
    }

    pub fn event(
        &self,
        env: Option<&str>,
        kind: &str,
        release: Option<&ReleaseId>,
        plan: Option<&PlanId>,
        message: String,
    ) -> Result<()> {
        let actor = self.actor().unwrap_or_else(|_| "unknown".to_string());
        self.ledger.record_event(&Event {
            at: now(),
            env: env.map(str::to_string),
            kind: kind.to_string(),
            actor,
            release: release.cloned(),
            plan: plan.cloned(),
            message,
        })?;
        Ok(())
    }

    pub fn engine(&self) -> Result<Engine> {
        Ok(Engine::locate(
            self.project.config.engine.binary.as_deref(),
        )?)
    }

    pub fn run_options(&self, env: &str, apply: bool) -> Result<RunOptions> {
        let cfg = &self.project.config.engine;
        let (text, default) = if apply {
            (&cfg.apply_timeout, 3600)
        } else {
            (&cfg.plan_timeout, 1800)
        };
        let timeout = match text {
            Some(t) => ferry_core::config::parse_duration(t).map_err(|m| {
                anyhow!(
                    "{}: [engine] {}: {m}",
                    self.project.config_path.display(),
                    if apply {
                        "apply_timeout"
                    } else {
                        "plan_timeout"
                    }
                )
            })?,
            None => Duration::from_secs(default),
        };
        let mut opts = RunOptions::new(env);
        opts.timeout = timeout;
        opts.progress = match std::env::var("FERRY_PROGRESS").as_deref() {
            Ok("quiet") => Progress::Quiet,
            Ok("plain") => Progress::Plain,
            Ok("terminal") => Progress::Terminal,
            _ if output::interactive_stderr() => Progress::Terminal,
            _ => Progress::Plain,
        };
        opts.env = vec![("FERRY_ENV".to_string(), env.to_string())];
        Ok(opts)
    }

    pub fn plan_dir(&self, plan: &PlanId) -> PathBuf {
        self.project.data_dir.join("plans").join(plan.hex())
    }

    pub fn state_path(&self, env: &str) -> PathBuf {
        self.project
            .data_dir
            .join("state")
            .join(env)
            .join("terraform.tfstate")
    }

    /// A fresh work directory for `env`, holding the unpacked (and hash-verified) release.
    pub fn unpack_workdir(&self, name: &str, release: &ReleaseId) -> Result<PathBuf> {
        let work = self.project.data_dir.join("work").join(name);
        if work.exists() {
            std::fs::remove_dir_all(&work)
                .with_context(|| format!("cannot clear {}", work.display()))?;
        }
        std::fs::create_dir_all(&work)
            .with_context(|| format!("cannot create {}", work.display()))?;
        self.releases.unpack(release, &work)?;
        Ok(work)
    }
}

pub struct LockGuard<'a> {
    session: &'a Session,
    env: String,
    token: String,
}

impl Drop for LockGuard<'_> {
    fn drop(&mut self) {
        if let Err(e) = self.session.ledger.release_lock(&self.env, &self.token) {
            eprintln!("warning: could not release the lock of '{}': {e}", self.env);
        }
    }
}

fn hostname() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .or_else(|_| std::fs::read_to_string("/etc/hostname"))
        .map(|h| h.trim().to_string())
        .unwrap_or_else(|_| "localhost".to_string())
}

/// Whether the process that took a lock still runs. Only knowable on the same host; a lock from
/// another host counts as alive.
fn lock_alive(token: &str) -> bool {
    let mut parts = token.splitn(3, ':');
    let (Some(host), Some(pid)) = (parts.next(), parts.next()) else {
        return true;
    };
    if host != hostname() {
        return true;
    }
    Path::new("/proc").join(pid).exists()
}

/// A [`Blocked`] error listing unmet gates.
pub fn blocked(headline: &str, gates: &[UnmetGate]) -> anyhow::Error {
    let mut msg = headline.to_string();
    for g in gates {
        msg.push_str("\n  - ");
        msg.push_str(&g.to_string());
    }
    Blocked(msg).into()
}

/// The current time, RFC 3339 UTC. `FERRY_NOW` pins it (tests, reproducible demos).
pub fn now() -> String {
    if let Some(t) = std::env::var("FERRY_NOW").ok().filter(|t| !t.is_empty()) {
        return t;
    }
    time::OffsetDateTime::now_utc()
        .replace_nanosecond(0)
        .ok()
        .and_then(|t| {
            t.format(&time::format_description::well_known::Rfc3339)
                .ok()
        })
        .unwrap_or_else(|| "1970-01-01T00:00:00Z".to_string())
}

pub fn sha256_file(path: &Path) -> Result<String> {
    use sha2::{Digest, Sha256};
    let mut file =
        std::fs::File::open(path).with_context(|| format!("cannot open {}", path.display()))?;
    let mut hasher = Sha256::new();
    std::io::copy(&mut file, &mut hasher)
        .with_context(|| format!("cannot read {}", path.display()))?;
    Ok(hex::encode(hasher.finalize()))
}
