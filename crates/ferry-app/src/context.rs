//! The operations' shared context: one project, its ledger and artifact store, the clock and
//! the observer, plus the lookups every operation needs (resolve an id, the gates of an
//! environment for a release, what is known-good where).

use crate::clock::Clock;
use crate::error::{AppError, Result};
use crate::observer::{Note, Observer};
use crate::project::{parse_config, Project, CONFIG_FILE};
use ferry_core::identity::{Identity, IdentitySource};
use ferry_core::settings::{self, GateSettings, SettingNote};
use ferry_core::{Config, PlanId, ReleaseId};
use ferry_release::ReleaseStore;
use ferry_store::{
    ArtifactStore, DeploymentRecord, DirArtifactStore, Ledger, NewEvent, PlanRecord, ReleaseRecord,
    SqliteLedger,
};
use std::collections::{BTreeSet, HashMap};
use std::sync::{Arc, Mutex};

/// Who is acting, as the front end established it (`FERRY_USER`, the CI's actor, git's email, a
/// token). The person it maps to is decided per release, by that release's `[people]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Claim {
    pub identity: Identity,
    pub source: IdentitySource,
    /// Where the request came from, for the record ("cli", "github-actions run 42", "api").
    pub origin: String,
}

impl Claim {
    pub fn new(raw: &str, source: IdentitySource, origin: impl Into<String>) -> Claim {
        Claim {
            identity: Identity::new(raw),
            source,
            origin: origin.into(),
        }
    }

    pub fn as_str(&self) -> &str {
        self.identity.as_str()
    }
}

/// The parsed ferry.toml of each release, by id: releases are immutable, so a server shares
/// one cache between all its requests.
pub type ReleaseConfigs = Arc<Mutex<HashMap<ReleaseId, Arc<Config>>>>;

/// Looks up an environment variable by name (see [`App::vars`]).
pub type Vars = Arc<dyn Fn(&str) -> Option<String> + Send + Sync>;

pub struct App {
    pub project: Project,
    pub ledger: Arc<dyn Ledger>,
    pub artifacts: Arc<dyn ArtifactStore>,
    pub releases: ReleaseStore,
    pub clock: Arc<dyn Clock>,
    pub observer: Arc<dyn Observer>,
    /// This process's interrupts, which the front end raises on SIGINT/SIGTERM: running
    /// engines are stopped, nothing new starts, and what happened is recorded.
    pub cancel: ferry_engine::Cancel,
    /// Secrets known to this operation, removed from everything shown or stored; shared with
    /// the front end so its own output is cleaned too.
    pub redactor: ferry_engine::Redactor,
    /// Reads an environment variable by name: where database URLs come from
    /// (`[environment.databases] url_env`). The front end supplies it (the CLI: the process
    /// environment); by default every variable is unset.
    pub vars: Vars,
    release_configs: ReleaseConfigs,
    /// Remote mode: the team server that decides and records (`FERRY_SERVER`); `None` in
    /// local mode and on the server itself.
    pub remote: Option<Arc<dyn crate::remote::TeamServer>>,
    /// How long a lease lasts without renewal ([`crate::lock::LEASE`]; a server may set its
    /// own, e.g. shorter in tests of a runner that dies).
    pub lease: std::time::Duration,
    /// The work dir of the last plan this process made (env, release), for its apply.
    pub(crate) kept_workdir: Mutex<Option<(String, ReleaseId, crate::steps::workdir::Workdir)>>,
    said: Mutex<BTreeSet<String>>,
}

impl std::fmt::Debug for App {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("App")
            .field("project", &self.project.root)
            .finish()
    }
}

impl App {
    /// Local mode: the SQLite ledger and the artifact directory under the project's data dir.
    pub fn open_local(
        project: Project,
        clock: Arc<dyn Clock>,
        observer: Arc<dyn Observer>,
    ) -> Result<App> {
        ferry_store::artifacts::create_private_dir(&project.data_dir)?;
        let ledger: Arc<dyn Ledger> = Arc::new(SqliteLedger::open(&project.data_dir)?);
        let artifacts: Arc<dyn ArtifactStore> = Arc::new(DirArtifactStore::new(&project.data_dir));
        let app = App::with_backends(project, ledger, artifacts, clock, observer);
        app.recover_interrupted()?;
        Ok(app)
    }

    pub fn with_backends(
        project: Project,
        ledger: Arc<dyn Ledger>,
        artifacts: Arc<dyn ArtifactStore>,
        clock: Arc<dyn Clock>,
        observer: Arc<dyn Observer>,
    ) -> App {
        let releases = ReleaseStore::with_artifacts(&project.data_dir, artifacts.clone());
        App {
            project,
            ledger,
            artifacts,
            releases,
            clock,
            observer,
            cancel: ferry_engine::Cancel::new(),
            redactor: ferry_engine::Redactor::new(),
            vars: Arc::new(|_| None),
            release_configs: ReleaseConfigs::default(),
            remote: None,
            lease: crate::lock::LEASE,
            kept_workdir: Mutex::new(None),
            said: Mutex::new(BTreeSet::new()),
        }
    }

    /// The team server's app for one request: no work tree, so every gate is the release's;
    /// the environments it knows are the newest release's (what `status` lists); release
    /// configurations are parsed once per server (`configs`).
    pub fn open_server(
        data_dir: &std::path::Path,
        ledger: Arc<dyn Ledger>,
        artifacts: Arc<dyn ArtifactStore>,
        clock: Arc<dyn Clock>,
        observer: Arc<dyn Observer>,
        configs: ReleaseConfigs,
    ) -> Result<App> {
        let project = Project::for_server(data_dir)?;
        let mut app = App::with_backends(project, ledger, artifacts, clock, observer);
        app.release_configs = configs;
        if let Some(newest) = app.ledger.releases()?.first() {
            app.project.config = (*app.release_config(&newest.id)?).clone();
        }
        Ok(app)
    }

    /// Remote mode: a runner in `project` whose ledger is `server`'s. Releases and work dirs
    /// stay in the project's data dir; nothing is decided or recorded here.
    pub fn open_runner(
        project: Project,
        server: Arc<dyn crate::remote::TeamServer>,
        clock: Arc<dyn Clock>,
        observer: Arc<dyn Observer>,
    ) -> Result<App> {
        ferry_store::artifacts::create_private_dir(&project.data_dir)?;
        let artifacts: Arc<dyn ArtifactStore> = Arc::new(DirArtifactStore::new(&project.data_dir));
        let mut app = App::with_backends(
            project,
            Arc::new(crate::remote::ServersLedger),
            artifacts,
            clock,
            observer,
        );
        app.remote = Some(server);
        Ok(app)
    }

    /// Uses `cancel` (the front end's signal handling) for this process's interrupts.
    pub fn with_cancel(mut self, cancel: ferry_engine::Cancel) -> App {
        self.cancel = cancel;
        self
    }

    /// Uses `redactor` (shared with the front end's output) for this operation's secrets.
    pub fn with_redactor(mut self, redactor: ferry_engine::Redactor) -> App {
        self.redactor = redactor;
        self
    }

    /// Stops the operation when the process was interrupted before `what`; `state` says what
    /// state the environment is in at this point and how to continue.
    pub(crate) fn check_interrupt(&self, state: impl FnOnce() -> String) -> Result<()> {
        match self.cancel.signal() {
            Some(signal) => Err(AppError::Interrupted {
                signal,
                message: state(),
            }),
            None => Ok(()),
        }
    }

    /// Now, as the ledger stores it.
    pub fn now(&self) -> String {
        ferry_core::schedule::format_instant(self.clock.now())
    }

    pub fn step(&self, text: &str) {
        self.observer.note(Note::Step(&self.redact(text)));
    }

    pub fn warn(&self, text: &str) {
        self.observer.note(Note::Warning(&self.redact(text)));
    }

    /// Says `text` once per operation, however often the same situation is met.
    fn warn_once(&self, text: String) {
        let fresh = self
            .said
            .lock()
            .map(|mut s| s.insert(text.clone()))
            .unwrap_or(true);
        if fresh {
            self.warn(&text);
        }
    }

    /// An event by `who` about `env`, `release` and `plan`.
    pub fn event(
        &self,
        who: &str,
        env: Option<&str>,
        kind: &str,
        release: Option<&ReleaseId>,
        plan: Option<&PlanId>,
        message: String,
    ) -> NewEvent {
        NewEvent {
            at: self.now(),
            env: env.map(str::to_string),
            kind: kind.to_string(),
            actor: who.to_string(),
            release: release.cloned(),
            plan: plan.cloned(),
            message: self.redact(&message),
        }
    }

    /// The configuration inside `release`: gates are read from here, never from the work tree.
    pub fn release_config(&self, release: &ReleaseId) -> Result<Arc<Config>> {
        if let Some(c) = self
            .release_configs
            .lock()
            .ok()
            .and_then(|m| m.get(release).cloned())
        {
            return Ok(c);
        }
        let bytes = self.releases.read_file(release, CONFIG_FILE)?.ok_or_else(|| {
            AppError::Invalid(format!(
                "release {} has no {CONFIG_FILE}; every release carries the configuration its gates come from",
                release.short()
            ))
        })?;
        let text = String::from_utf8(bytes).map_err(|_| {
            AppError::Invalid(format!(
                "the {CONFIG_FILE} of release {} is not UTF-8",
                release.short()
            ))
        })?;
        let config = Arc::new(parse_config(
            &text,
            &format!("{CONFIG_FILE} of release {}", release.short()),
        )?);
        if let Ok(mut m) = self.release_configs.lock() {
            m.insert(release.clone(), config.clone());
        }
        Ok(config)
    }

    /// The work tree's configuration, where there is one (not on the server).
    pub fn work_tree_config(&self) -> Option<&Config> {
        self.project.has_work_tree.then_some(&self.project.config)
    }

    /// The gates of `env` for `release`: the release's settings, tightened by the work tree's.
    /// What the work tree tightened or tried to loosen is said once.
    pub fn settings(&self, env: &str, release: &ReleaseId) -> Result<GateSettings> {
        let config = self.release_config(release)?;
        let (s, notes) =
            settings::effective(&config, release.short(), self.work_tree_config(), env)?;
        for n in notes {
            let text = n.to_string();
            match n {
                SettingNote::Tightened { .. } | SettingNote::Ignored { .. } => self.warn_once(text),
            }
        }
        Ok(s)
    }

    /// A release by id or unique prefix.
    pub fn resolve_release(&self, text: &str) -> Result<ReleaseRecord> {
        let hex = ferry_core::ids::parse_id_prefix(text)?;
        let mut found = self.ledger.releases_by_prefix(&hex)?;
        match found.len() {
            0 => Err(AppError::NotFound(format!(
                "unknown release '{text}'; `ferry release list` shows the known ones"
            ))),
            1 => Ok(found.remove(0)),
            n => Err(AppError::Invalid(format!(
                "release prefix '{text}' matches {n} releases; give more digits"
            ))),
        }
    }

    /// A plan of `env` by id or unique prefix, or the pending one.
    pub fn resolve_plan(&self, env: &str, text: Option<&str>) -> Result<PlanRecord> {
        let plan = match text {
            None => match self.ledger.pending_plan(env)? {
                Some(p) => p,
                None => {
                    return Err(match self.ledger.latest_plan(env)? {
                        Some(last) => AppError::NotFound(format!(
                            "'{env}' has no pending plan: its last plan {} is {} (a plan is applied once); run `ferry plan --env {env}` for a new one",
                            last.id.short(),
                            last.status
                        )),
                        None => AppError::NotFound(format!(
                            "'{env}' has no pending plan; run `ferry plan --env {env}` first"
                        )),
                    })
                }
            },
            Some(text) => {
                let hex = ferry_core::ids::parse_id_prefix(text)?;
                let mut found = self.ledger.plans_by_prefix(&hex)?;
                match found.len() {
                    0 => {
                        return Err(AppError::NotFound(format!(
                            "unknown plan '{text}'; `ferry status --env {env}` shows the pending plan"
                        )))
                    }
                    1 => found.remove(0),
                    n => {
                        return Err(AppError::Invalid(format!(
                            "plan prefix '{text}' matches {n} plans; give more digits"
                        )))
                    }
                }
            }
        };
        if plan.env != env {
            return Err(AppError::Invalid(format!(
                "plan {} belongs to environment '{}', not '{env}'",
                plan.id.short(),
                plan.env
            )));
        }
        Ok(plan)
    }

    /// The release record of `id`, which the ledger must have.
    pub fn release(&self, id: &ReleaseId) -> Result<ReleaseRecord> {
        self.ledger
            .release(id)?
            .ok_or_else(|| AppError::NotFound(format!("release {id} is not in the ledger")))
    }

    /// The newest known-good deployment of `release` in `env`.
    pub fn known_good(&self, env: &str, release: &ReleaseId) -> Result<Option<DeploymentRecord>> {
        Ok(self
            .ledger
            .deployments(Some(env))?
            .into_iter()
            .find(|d| d.known_good() && &d.release == release))
    }

    /// The newest known-good deployment of `env`.
    pub fn current(&self, env: &str) -> Result<Option<DeploymentRecord>> {
        Ok(self
            .ledger
            .deployments(Some(env))?
            .into_iter()
            .find(|d| d.known_good()))
    }

    /// The work tree's environments in promotion order.
    pub fn chain(&self) -> Vec<&ferry_core::EnvironmentConfig> {
        self.project.config.chain_order()
    }

    /// The work tree's environment `name`, which must exist.
    pub fn env(&self, name: &str) -> Result<&ferry_core::EnvironmentConfig> {
        self.project.env(name)
    }

    /// The newest release that may enter `env` now.
    pub fn newest_eligible(&self, env: &str) -> Result<ReleaseRecord> {
        let releases = self.ledger.releases()?;
        let Some(newest) = releases.first() else {
            return Err(AppError::NotFound(
                "no releases yet; run `ferry release create`".into(),
            ));
        };
        for r in &releases {
            let Ok(s) = self.settings(env, &r.id) else {
                continue;
            };
            if self.entry_gates(&s, r)?.is_empty() {
                return Ok(r.clone());
            }
        }
        let s = self.settings(env, &newest.id)?;
        let gates = self.entry_gates(&s, newest)?;
        Err(AppError::blocked(
            format!(
                "no release may enter '{env}'; the newest, {}:",
                newest.id.short()
            ),
            gates,
        ))
    }

    /// The release `text` names, or the newest eligible for `env`.
    pub fn release_for(&self, env: &str, text: Option<&str>) -> Result<ReleaseRecord> {
        match text {
            Some(t) => self.resolve_release(t),
            None => self.newest_eligible(env),
        }
    }
}
