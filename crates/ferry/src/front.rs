//! What only a front end knows: where the command runs (`-C`, the current directory,
//! `FERRY_DATA_DIR`), who is acting (`FERRY_USER`, the CI's actor, git's user.email), where the
//! request comes from, and how progress is shown on this terminal.

use crate::output::{interactive_stderr, Format};
use anyhow::{bail, Context as _, Result};
use ferry_app::{App, Claim, Note, Observer, Project, SystemClock};
use ferry_core::IdentitySource;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

pub struct Ctx {
    pub dir: Option<PathBuf>,
    pub format: Format,
    /// Set once [`Ctx::app`] chose remote mode: who acts is then the token's user.
    pub remote: std::cell::Cell<bool>,
}

impl Ctx {
    /// The directory to search from: `-C DIR` or the current directory.
    pub fn start(&self) -> Result<PathBuf> {
        match &self.dir {
            Some(d) => {
                if !d.is_dir() {
                    bail!("-C {}: no such directory", d.display());
                }
                Ok(d.clone())
            }
            None => std::env::current_dir().context("cannot read the current directory"),
        }
    }

    pub fn data_dir(&self) -> Option<PathBuf> {
        std::env::var_os("FERRY_DATA_DIR")
            .filter(|v| !v.is_empty())
            .map(PathBuf::from)
    }

    pub fn project(&self) -> Result<Project> {
        Ok(Project::discover(
            &self.start()?,
            self.data_dir().as_deref(),
        )?)
    }

    /// Remote mode: `FERRY_SERVER` (or the project's `[server] url`) names the team server,
    /// `FERRY_TOKEN` who we are to it.
    pub fn server(
        &self,
        project: &Project,
    ) -> Result<Option<Arc<dyn ferry_app::remote::TeamServer>>> {
        let configured = ferry_app::project::server_url(&project.config)
            .ok()
            .flatten();
        let Some(url) = var("FERRY_SERVER").or(configured) else {
            return Ok(None);
        };
        let token = var("FERRY_TOKEN").unwrap_or_default();
        Ok(Some(Arc::new(ferry_client::HttpServer::new(&url, &token)?)))
    }

    /// The project's operations context: local mode, or a runner of the team server when
    /// `FERRY_SERVER` is set.
    pub fn app(&self) -> Result<App> {
        let project = self.project()?;
        let observer = Arc::new(CliObserver::new());
        let app = match self.server(&project)? {
            Some(server) => {
                self.remote.set(true);
                App::open_runner(project, server, Arc::new(SystemClock), observer)?
            }
            None => App::open_local(project, Arc::new(SystemClock), observer)?,
        };
        let mut app = app.with_cancel(crate::signals::cancel());
        // Database URLs come from the variables ferry.toml names (`url_env`).
        app.vars = Arc::new(|name| std::env::var(name).ok());
        Ok(app)
    }

    /// The advisor's API key (the value of the variable `[advisor] api_key_env` names) and every
    /// other secret this process knows of, for the prompt's redaction. An unreadable `[advisor]`
    /// table yields no key here; the operation reports it.
    pub fn advisor_secrets(&self, project: Option<&Project>) -> (Option<String>, Vec<String>) {
        let key = project
            .and_then(|p| ferry_app::ops::advise::advisor_config(p).ok())
            .and_then(|c| c.endpoint)
            .and_then(|e| e.api_key_env)
            .and_then(|name| var(&name));
        let mut secrets: Vec<String> = ["FERRY_TOKEN", "OPENAI_API_KEY", "PGPASSWORD"]
            .into_iter()
            .filter_map(var)
            .collect();
        secrets.extend(key.clone());
        (key, secrets)
    }

    /// Who is acting. Self-asserted in local mode (see DESIGN.md's trust model).
    pub fn claim(&self, root: &Path) -> Result<Claim> {
        let origin = origin();
        // In remote mode the server acts as the token's user; nothing said here counts.
        if self.remote.get() || var("FERRY_SERVER").is_some() {
            return Ok(Claim::new(
                "(FERRY_TOKEN's user)",
                IdentitySource::Token,
                origin,
            ));
        }
        if let Some(v) = var("FERRY_USER") {
            return Ok(Claim::new(&v, IdentitySource::FerryUser, origin));
        }
        for (name, prefix) in [
            ("GITHUB_ACTOR", "github:"),
            ("GITLAB_USER_LOGIN", "gitlab:"),
            ("BUILDKITE_BUILD_CREATOR_EMAIL", ""),
            ("CIRCLE_USERNAME", "circleci:"),
            ("BUILD_REQUESTEDFOREMAIL", ""),
        ] {
            if let Some(v) = var(name) {
                return Ok(Claim::new(
                    &format!("{prefix}{v}"),
                    IdentitySource::CiActor,
                    origin,
                ));
            }
        }
        let out = std::process::Command::new("git")
            .args(["config", "user.email"])
            .current_dir(root)
            .output();
        if let Ok(out) = out {
            let email = String::from_utf8_lossy(&out.stdout).trim().to_string();
            if out.status.success() && !email.is_empty() {
                return Ok(Claim::new(&email, IdentitySource::GitConfig, origin));
            }
        }
        bail!("cannot tell who you are: set FERRY_USER, or `git config user.email`")
    }
}

fn var(name: &str) -> Option<String> {
    std::env::var(name)
        .ok()
        .map(|v| v.trim().to_string())
        .filter(|v| !v.is_empty())
}

/// Where a request comes from: the CI run when there is one, else the CLI.
fn origin() -> String {
    for (name, label) in [
        ("GITHUB_RUN_ID", "github-actions run"),
        ("CI_PIPELINE_URL", "gitlab pipeline"),
        ("BUILD_URL", "ci build"),
    ] {
        if let Some(v) = var(name) {
            return format!("{label} {v}");
        }
    }
    "cli".to_string()
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Progress {
    Terminal,
    Plain,
    Quiet,
}

/// Shows an operation's notes on stderr: steps and warnings always; engine and check output as
/// a spinner on an interactive terminal, as `[env] line` in CI and pipes, or not at all with
/// `FERRY_PROGRESS=quiet`.
pub struct CliObserver {
    progress: Progress,
    bar: Mutex<Option<ProgressBar>>,
}

impl CliObserver {
    pub fn new() -> CliObserver {
        let progress = match std::env::var("FERRY_PROGRESS").as_deref() {
            Ok("quiet") => Progress::Quiet,
            Ok("plain") => Progress::Plain,
            Ok("terminal") => Progress::Terminal,
            _ if interactive_stderr() => Progress::Terminal,
            _ => Progress::Plain,
        };
        CliObserver {
            progress,
            bar: Mutex::new(None),
        }
    }

    fn say(&self, text: &str) {
        match self.bar.lock().ok().and_then(|b| b.clone()) {
            Some(bar) => bar.suspend(|| crate::say!("{text}")),
            None => crate::say!("{text}"),
        }
    }

    fn live(&self, label: &str, line: &str) {
        match self.progress {
            Progress::Quiet => {}
            Progress::Plain => crate::say!("[{label}] {line}"),
            Progress::Terminal => {
                if line.trim().is_empty() {
                    return;
                }
                if let Ok(mut slot) = self.bar.lock() {
                    let bar = slot.get_or_insert_with(|| {
                        let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
                        if let Ok(style) = ProgressStyle::with_template("{spinner} {wide_msg}") {
                            bar.set_style(style);
                        }
                        bar.enable_steady_tick(std::time::Duration::from_millis(100));
                        bar
                    });
                    bar.set_message(format!("[{label}] {line}"));
                }
            }
        }
    }
}

impl Drop for CliObserver {
    fn drop(&mut self) {
        if let Some(bar) = self.bar.lock().ok().and_then(|mut b| b.take()) {
            bar.finish_and_clear();
        }
    }
}

impl Observer for CliObserver {
    fn note(&self, note: Note<'_>) {
        match note {
            Note::Step(text) | Note::Warning(text) => self.say(text),
            Note::Engine { env, line } | Note::Verify { env, line } => self.live(env, line),
        }
    }
}
