//! One promotion at a time per environment.
//!
//! The lock is a lease in the ledger (holder, owner token, expiry), renewed by a background
//! thread while the holder works, plus — in local mode — an OS file lock on
//! `<data>/locks/<env>.lock` held for the life of the holding process. The OS lock is how a
//! second ferry on the same machine knows for certain whether the holder still runs (on every
//! platform, with no `/proc` or host names): when it can take the file lock, the holder is gone,
//! its lease is stale, and a deployment it left `running` was interrupted. A holder elsewhere
//! (another machine on a shared ledger) is judged by its lease alone.

use crate::context::App;
use crate::error::{AppError, Result};
use ferry_store::{Ledger, LockRecord, LockTaken, StoreError};
use std::fs::File;
use std::path::PathBuf;
use std::sync::mpsc::{self, RecvTimeoutError, Sender};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

/// How long a lease lasts without renewal.
pub const LEASE: Duration = Duration::from_secs(120);
/// How often the holder renews it.
const RENEW_EVERY: Duration = Duration::from_secs(30);
/// How long to keep trying for a file lock another short-lived check holds.
const FILE_LOCK_PATIENCE: Duration = Duration::from_millis(1500);

/// Held while an operation works on an environment; released on drop.
pub struct EnvLock {
    ledger: Arc<dyn Ledger>,
    env: String,
    token: String,
    _file: Option<File>,
    /// Tells the front end's signal handling that an interrupt must be recorded before exit.
    _busy: ferry_engine::CancelGuard,
    stop: Option<Sender<()>>,
    renewer: Option<JoinHandle<()>>,
}

impl std::fmt::Debug for EnvLock {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EnvLock").field("env", &self.env).finish()
    }
}

impl Drop for EnvLock {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(t) = self.renewer.take() {
            let _ = t.join();
        }
        // A failure here leaves a lease that expires on its own; nothing to do but say so in
        // the log.
        if let Err(e) = self.ledger.release_lock(&self.env, &self.token) {
            tracing::warn!(env = %self.env, error = %e, "could not release the lock");
        }
    }
}

/// This machine's name, for telling a lease taken here (where the OS lock is authoritative)
/// from one taken elsewhere (where only its expiry is).
pub(crate) fn host() -> String {
    let read = |p: &str| {
        std::fs::read_to_string(p)
            .ok()
            .map(|h| h.trim().to_string())
    };
    read("/proc/sys/kernel/hostname")
        .or_else(|| read("/etc/hostname"))
        .filter(|h| !h.is_empty())
        .or_else(|| {
            std::process::Command::new("hostname")
                .output()
                .ok()
                .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
                .filter(|h| !h.is_empty())
        })
        .unwrap_or_else(|| "localhost".to_string())
}

/// Whether a lease was taken on this machine (its token starts with this host's name).
fn taken_here(token: &str) -> bool {
    token.split_once(':').is_some_and(|(h, _)| h == host())
}

fn token() -> String {
    use sha2::{Digest, Sha256};
    let mut h = Sha256::new();
    h.update(std::process::id().to_le_bytes());
    h.update(format!("{:?}", std::time::SystemTime::now()).as_bytes());
    h.update(format!("{:?}", std::thread::current().id()).as_bytes());
    let stack = 0u8;
    h.update(format!("{:p}", &stack).as_bytes());
    format!("{}:{}", host(), hex::encode(&h.finalize()[..16]))
}

/// Whether an OS lock on `file` could be taken: `Some(file)` holding it, `None` when another
/// process holds it.
fn try_file_lock(path: &PathBuf, patience: Duration) -> Result<Option<File>> {
    ferry_store::artifacts::refuse_link(path)?;
    let mut opts = std::fs::OpenOptions::new();
    opts.create(true).truncate(false).write(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        opts.mode(0o600);
    }
    let file = opts
        .open(path)
        .map_err(|e| AppError::io(format!("cannot open the lock file {}", path.display()), e))?;
    let deadline = std::time::Instant::now() + patience;
    loop {
        match file.try_lock() {
            Ok(()) => return Ok(Some(file)),
            Err(std::fs::TryLockError::WouldBlock) if std::time::Instant::now() < deadline => {
                std::thread::sleep(Duration::from_millis(50));
            }
            Err(std::fs::TryLockError::WouldBlock) => return Ok(None),
            Err(std::fs::TryLockError::Error(e)) => {
                return Err(AppError::io(format!("cannot lock {}", path.display()), e))
            }
        }
    }
}

impl App {
    fn lock_file(&self, env: &str) -> Result<PathBuf> {
        let dir = self.project.data_dir.join("locks");
        ferry_store::artifacts::create_private_dir(&dir)?;
        Ok(dir.join(format!("{env}.lock")))
    }

    fn expiry(&self) -> String {
        let t = self.clock.now();
        let lease = jiff::SignedDuration::from_secs(LEASE.as_secs() as i64);
        ferry_core::schedule::format_instant(t.checked_add(lease).unwrap_or(t))
    }

    /// Takes `env`'s lock for `purpose` on behalf of `holder`.
    pub fn lock(&self, env: &str, purpose: &str, holder: &str) -> Result<EnvLock> {
        let path = self.lock_file(env)?;
        let Some(file) = try_file_lock(&path, FILE_LOCK_PATIENCE)? else {
            let held = self.ledger.lock(env)?;
            return Err(match held {
                Some(h) => AppError::Store(StoreError::Locked(Box::new(h))),
                None => AppError::blocked(
                    format!("'{env}' is locked by another ferry process on this machine; one promotion at a time"),
                    vec![],
                ),
            });
        };
        let token = token();
        let record = LockRecord {
            env: env.to_string(),
            holder: format!("{holder} (pid {} on {})", std::process::id(), host()),
            token: token.clone(),
            purpose: purpose.to_string(),
            since: self.now(),
            expires_at: self.expiry(),
        };
        match self.ledger.acquire_lock(&record, &self.now()) {
            Ok(LockTaken::Fresh) => {}
            Ok(LockTaken::TookOver(prev)) => {
                self.interrupt_running(env, &prev.holder, "its lease expired")?;
            }
            // We hold the OS lock, so a lease taken on this machine has no live holder.
            Err(StoreError::Locked(prev)) if taken_here(&prev.token) => {
                let ev = self.event(
                    holder,
                    Some(env),
                    "lock.stale",
                    None,
                    None,
                    format!(
                    "lock of '{env}' held by {} since {} for {} taken over: its process is gone",
                    prev.holder, prev.since, prev.purpose
                ),
                );
                self.ledger.force_unlock(env, &ev)?;
                self.interrupt_running(env, &prev.holder, "its process is gone")?;
                self.ledger.acquire_lock(&record, &self.now())?;
            }
            Err(e) => return Err(e.into()),
        }
        let (stop, rx) = mpsc::channel::<()>();
        let ledger = self.ledger.clone();
        let clock = self.clock.clone();
        let (env_s, token_s) = (env.to_string(), token.clone());
        let renewer = std::thread::spawn(move || loop {
            match rx.recv_timeout(RENEW_EVERY) {
                Err(RecvTimeoutError::Timeout) => {
                    let t = clock.now();
                    let lease = jiff::SignedDuration::from_secs(LEASE.as_secs() as i64);
                    let until =
                        ferry_core::schedule::format_instant(t.checked_add(lease).unwrap_or(t));
                    if let Err(e) = ledger.renew_lock(&env_s, &token_s, &until) {
                        tracing::warn!(env = %env_s, error = %e, "could not renew the lock");
                    }
                }
                _ => return,
            }
        });
        Ok(EnvLock {
            ledger: self.ledger.clone(),
            env: env.to_string(),
            token,
            _file: Some(file),
            _busy: self.cancel.guard(),
            stop: Some(stop),
            renewer: Some(renewer),
        })
    }

    /// Records `env`'s running deployments as interrupted: never as a success.
    pub(crate) fn interrupt_running(&self, env: &str, holder: &str, why: &str) -> Result<()> {
        for d in self
            .ledger
            .running_deployments()?
            .into_iter()
            .filter(|d| d.env == env)
        {
            let msg = format!(
                "deployment #{} of release {} to '{}' (plan {}), started {} by {}, was interrupted ({holder}: {why}). \
                 It is recorded as interrupted, its plan can no longer be used, and the state of '{}' may be partly changed. \
                 To continue: `ferry plan --env {}` shows what the state is now, then promote again.",
                d.id, d.release.short(), d.env, d.plan.short(), d.started_at, d.by, d.env, d.env
            );
            let ev = self.event(
                "ferry",
                Some(env),
                "deployment.interrupted",
                Some(&d.release),
                Some(&d.plan),
                msg.clone(),
            );
            match self.ledger.mark_interrupted(d.id, &self.now(), &ev) {
                Ok(()) => self.warn(&format!("warning: {msg}")),
                Err(StoreError::Conflict(_)) => {}
                Err(e) => return Err(e.into()),
            }
        }
        Ok(())
    }

    /// A ferry that died mid-apply leaves a `running` deployment and its lock. When its holder is
    /// provably gone (the OS lock is free, or the lease expired), the deployment is recorded as
    /// interrupted and the stale lease removed; a live holder is left alone.
    pub fn recover_interrupted(&self) -> Result<()> {
        let running = self.ledger.running_deployments()?;
        let mut envs: Vec<String> = running.into_iter().map(|d| d.env).collect();
        envs.dedup();
        for env in envs {
            let path = self.lock_file(&env)?;
            let Some(_file) = try_file_lock(&path, Duration::ZERO)? else {
                continue;
            };
            let lease = self.ledger.lock(&env)?;
            if lease.as_ref().is_some_and(|l| {
                !taken_here(&l.token) && l.expires_at.as_str() > self.now().as_str()
            }) {
                continue;
            }
            let holder = lease
                .as_ref()
                .map_or("its holder".to_string(), |l| l.holder.clone());
            if let Some(l) = &lease {
                let ev = self.event(
                    "ferry",
                    Some(&env),
                    "lock.stale",
                    None,
                    None,
                    format!(
                        "lock of '{env}' held by {} since {} for {} released: its process is gone",
                        l.holder, l.since, l.purpose
                    ),
                );
                self.ledger.force_unlock(&env, &ev)?;
            }
            self.interrupt_running(&env, &holder, "ferry died during apply")?;
        }
        Ok(())
    }

    /// Whether a live process on this machine holds `env`'s lock (for `unlock`, which refuses
    /// a live holder). A lease taken elsewhere cannot be checked from here.
    pub fn lock_holder_alive(&self, env: &str) -> Result<bool> {
        let path = self.lock_file(env)?;
        Ok(try_file_lock(&path, Duration::ZERO)?.is_none())
    }
}
