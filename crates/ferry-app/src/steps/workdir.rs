//! An unpacked, initialised release in a work directory, ready for the engine: the release's
//! bytes (hash-verified on unpack), the environment's var files from the release, the engine
//! located from the project's settings, and engine output routed to the observer.

use crate::context::App;
use crate::error::{AppError, Result};
use crate::observer::Note;
use ferry_core::settings::GateSettings;
use ferry_engine::{Engine, LineObserver, Progress, RunOptions, StateBackend};
use ferry_store::ReleaseRecord;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

#[derive(Clone)]
pub struct Workdir {
    /// The unpacked release (the project root inside the bundle).
    pub root: PathBuf,
    pub module_dir: PathBuf,
    pub var_files: Vec<PathBuf>,
    pub engine: Engine,
    pub opts: RunOptions,
    pub backend: StateBackend,
}

impl App {
    pub(crate) fn state_backend(&self, s: &GateSettings) -> StateBackend {
        if s.backend_config.is_empty() {
            StateBackend::Local {
                path: self
                    .project
                    .data_dir
                    .join("state")
                    .join(&s.env)
                    .join("terraform.tfstate"),
            }
        } else {
            StateBackend::Configured {
                settings: s.backend_config.clone(),
            }
        }
    }

    /// The engine `[engine] binary` names, checked against `[engine] version`: a plan made with
    /// another engine than the one the project pins is refused, naming both.
    pub(crate) fn engine(&self) -> Result<Engine> {
        let cfg = &self.project.config.engine;
        // The binary's `version` answer is kept across commands (a plan, then its apply).
        let cache = self.project.data_dir.join("engine-versions.json");
        Ok(Engine::locate_matching_cached(
            cfg.binary.as_deref(),
            cfg.version.as_deref(),
            Some(&cache),
        )?)
    }

    pub(crate) fn run_options(&self, env: &str, apply: bool) -> RunOptions {
        let cfg = &self.project.config.engine;
        let (limit, default) = if apply {
            (&cfg.apply_timeout, 3600)
        } else {
            (&cfg.plan_timeout, 1800)
        };
        let mut opts = RunOptions::new(env);
        opts.timeout = limit
            .as_ref()
            .map_or(Duration::from_secs(default), |d| d.duration());
        opts.progress = Progress::Quiet;
        let observer = self.observer.clone();
        let label = env.to_string();
        opts.on_line = Some(LineObserver(Arc::new(move |line: &str| {
            observer.note(Note::Engine { env: &label, line })
        })));
        opts.env = vec![("FERRY_ENV".to_string(), env.to_string())];
        // One provider download per machine, not per plan and apply: a cache shared by every
        // work dir, unless the user keeps their own.
        if !ferry_engine::user_plugin_cache(&opts.env) {
            let cache = self.project.data_dir.join("plugin-cache");
            if ferry_store::artifacts::create_private_dir(&cache).is_ok() {
                opts.env.push((
                    "TF_PLUGIN_CACHE_DIR".to_string(),
                    cache.to_string_lossy().into_owned(),
                ));
            }
        }
        opts.cancel = Some(self.cancel.clone());
        opts.redact = Some(self.redactor.clone());
        opts
    }

    /// Unpacks `release` into the work dir `work_name` (fresh, hash-verified).
    pub(crate) fn unpack(
        &self,
        s: &GateSettings,
        release: &ReleaseRecord,
        work_name: &str,
    ) -> Result<Unpacked> {
        let work = self.project.data_dir.join("work").join(work_name);
        self.redactor.map_locations(&work);
        if let Ok(mut k) = self.kept_workdir.lock() {
            // About to be replaced.
            if k.as_ref().is_some_and(|(_, _, wd)| wd.root == work) {
                *k = None;
            }
        }
        let config = self.release_config(&release.id)?;
        self.redactor.map_module_dir(&config.project.root);
        let module_dir = work.join(&config.project.root);
        let key = crate::steps::keep::init_key(&s.env, &release.id);
        let aside = self.set_init_aside(work_name, &module_dir, &key);
        if work.exists() {
            std::fs::remove_dir_all(&work)
                .map_err(|e| AppError::io(format!("cannot clear {}", work.display()), e))?;
        }
        ferry_store::artifacts::create_private_dir(&work)?;
        self.releases.unpack(&release.id, &work)?;
        self.restore_init(aside, &module_dir);
        if !module_dir.is_dir() {
            return Err(AppError::Invalid(format!(
                "release {} has no root module directory '{}' ([project] root in its ferry.toml)",
                release.id.short(),
                config.project.root
            )));
        }
        let mut var_files = Vec::new();
        for v in &s.var_files {
            let path = work.join(v);
            if !path.is_file() {
                return Err(AppError::Invalid(format!(
                    "environment '{}': var file '{v}' is not in release {} (is it committed?)",
                    s.env,
                    release.id.short()
                )));
            }
            var_files.push(path);
        }
        self.learn_config_secrets(
            &module_dir,
            &var_files,
            &self.run_options(&s.env, false).env,
        );
        Ok(Unpacked {
            root: work,
            module_dir,
            var_files,
            release: release.id.clone(),
        })
    }

    /// Initialises the engine in an unpacked release. `init` needs only the binary, so the
    /// engine's version is asked (or read from the data dir) at the same time; the
    /// `[engine] version` pin is checked before anything else runs.
    pub(crate) fn init(&self, s: &GateSettings, u: Unpacked, apply: bool) -> Result<Workdir> {
        self.check_state_location(s)?;
        let cfg = &self.project.config.engine;
        let binary = Engine::find(cfg.binary.as_deref())?;
        let mut opts = self.run_options(&s.env, apply);
        opts.env
            .push(("FERRY_RELEASE".to_string(), u.release.to_string()));
        let backend = self.state_backend(s);
        let key = crate::steps::keep::init_key(&s.env, &u.release);
        if cfg.version.is_none() {
            // No pin to check before planning: the version is taken from the plan the engine
            // writes (or an earlier answer), not asked with a call of its own.
            let cache = self.project.data_dir.join("engine-versions.json");
            let engine = Engine::known_or_unasked(binary.clone(), Some(&cache));
            ferry_engine::init_once_at(&binary, &u.module_dir, &backend, &opts, &key)?;
            return Ok(Workdir {
                backend,
                root: u.root,
                module_dir: u.module_dir,
                var_files: u.var_files,
                engine,
                opts,
            });
        }
        let (engine, initialised) = std::thread::scope(|scope| {
            let located = scope.spawn(|| self.engine());
            let initialised =
                ferry_engine::init_once_at(&binary, &u.module_dir, &backend, &opts, &key);
            (located.join(), initialised)
        });
        let engine = engine.map_err(|_| {
            AppError::Invalid("asking the engine for its version failed unexpectedly".to_string())
        })??;
        if engine.binary != binary {
            return Err(AppError::Invalid(format!(
                "the engine changed while ferry was starting it ({} then {}): run the command again",
                binary.display(),
                engine.binary.display()
            )));
        }
        initialised?;
        Ok(Workdir {
            backend,
            root: u.root,
            module_dir: u.module_dir,
            var_files: u.var_files,
            engine,
            opts,
        })
    }

    /// The work dir this process planned `release` for `env` in, initialised, when it is still
    /// there: the apply that follows in the same command uses it instead of unpacking and
    /// initialising again (the plan file is fetched and hash-checked into it all the same).
    pub(crate) fn reuse_workdir(
        &self,
        env: &str,
        release: &ferry_core::ReleaseId,
        apply: bool,
    ) -> Option<Workdir> {
        let kept = self.kept_workdir.lock().ok()?.clone()?;
        let (k_env, k_release, mut wd) = kept;
        if k_env != env || &k_release != release || !wd.module_dir.is_dir() {
            return None;
        }
        let mut opts = self.run_options(env, apply);
        opts.env
            .push(("FERRY_RELEASE".to_string(), release.to_string()));
        wd.opts = opts;
        Some(wd)
    }

    pub(crate) fn keep_workdir(&self, env: &str, release: &ferry_core::ReleaseId, wd: &Workdir) {
        if let Ok(mut k) = self.kept_workdir.lock() {
            *k = Some((env.to_string(), release.clone(), wd.clone()));
        }
    }

    /// [`App::unpack`] then [`App::init`].
    pub(crate) fn prepare(
        &self,
        s: &GateSettings,
        release: &ReleaseRecord,
        work_name: &str,
        apply: bool,
    ) -> Result<Workdir> {
        let u = self.unpack(s, release, work_name)?;
        self.init(s, u, apply)
    }
}

/// A release unpacked for one environment, before the engine runs.
pub struct Unpacked {
    pub root: PathBuf,
    pub module_dir: PathBuf,
    pub var_files: Vec<PathBuf>,
    pub release: ferry_core::ReleaseId,
}
