//! Environment leases held by remote runners. The lease is the ledger's lock row (holder, owner
//! token, expiry), so one environment has one promotion at a time whichever server process a
//! runner talks to; the runner renews it while it works. There is no process to watch on the
//! server: a lease is alive while it is unexpired, and a runner that stops renewing loses it —
//! its running deployment is recorded as interrupted when the lease is taken over or swept.

use super::views::LeaseView;
use crate::context::{App, Claim};
use crate::error::{AppError, Result};
use ferry_store::{LockRecord, LockTaken, StoreError};

/// A fresh, unguessable lease token.
fn lease_token() -> Result<String> {
    let mut bytes = [0u8; 24];
    getrandom::getrandom(&mut bytes)
        .map_err(|e| AppError::Invalid(format!("no randomness for a lease token: {e}")))?;
    Ok(format!("lease:{}", hex::encode(bytes)))
}

fn view(l: &LockRecord) -> LeaseView {
    LeaseView {
        env: l.env.clone(),
        token: l.token.clone(),
        holder: l.holder.clone(),
        purpose: l.purpose.clone(),
        since: l.since.clone(),
        expires_at: l.expires_at.clone(),
    }
}

impl App {
    fn lease_expiry(&self) -> String {
        let t = self.clock.now();
        let lease = jiff::SignedDuration::from_secs(self.lease.as_secs().max(1) as i64);
        ferry_core::schedule::format_instant(t.checked_add(lease).unwrap_or(t))
    }

    /// Takes `env`'s lease for `who`; refused (naming the holder) while someone else's lease
    /// is alive. An expired lease is taken over and its running deployment recorded as
    /// interrupted.
    pub fn team_take_lease(&self, who: &Claim, env: &str, purpose: &str) -> Result<LeaseView> {
        if !self.release_configs_know_env(env)? {
            return Err(AppError::NotFound(format!(
                "no release in the ledger has an environment '{env}'"
            )));
        }
        let record = LockRecord {
            env: env.to_string(),
            holder: format!("{} ({})", who.as_str(), who.origin),
            token: lease_token()?,
            purpose: purpose.chars().take(200).collect(),
            since: self.now(),
            expires_at: self.lease_expiry(),
        };
        if let LockTaken::TookOver(prev) = self.ledger.acquire_lock(&record, &self.now())? {
            self.interrupt_running(env, &prev.holder, "its lease expired")?;
        }
        Ok(view(&record))
    }

    /// Extends the lease `token` of `env` (held by `who`).
    pub fn team_renew_lease(&self, who: &Claim, env: &str, token: &str) -> Result<LeaseView> {
        let mut l = self.check_lease(who, env, token)?;
        l.expires_at = self.lease_expiry();
        self.ledger.renew_lock(env, token, &l.expires_at)?;
        Ok(view(&l))
    }

    /// Gives the lease back.
    pub fn team_drop_lease(&self, who: &Claim, env: &str, token: &str) -> Result<()> {
        self.check_lease(who, env, token)?;
        self.ledger.release_lock(env, token)?;
        Ok(())
    }

    /// The lease of `env`, when it is `token`'s, unexpired and held by `who`.
    pub(crate) fn check_lease(&self, who: &Claim, env: &str, token: &str) -> Result<LockRecord> {
        let gone = |why: String| {
            AppError::Conflict(format!(
                "the lease of '{env}' is not yours: {why}. Nothing was recorded; take the lease again (run the command again)"
            ))
        };
        let Some(l) = self.ledger.lock(env)? else {
            return Err(gone("no one holds it (it expired or was released)".into()));
        };
        if l.token != token {
            return Err(AppError::Store(StoreError::Locked(Box::new(l))));
        }
        if l.expires_at.as_str() <= self.now().as_str() {
            return Err(gone(format!("it expired at {}", l.expires_at)));
        }
        if !l.holder.starts_with(&format!("{} (", who.as_str())) {
            return Err(gone(format!("it is held by {}", l.holder)));
        }
        Ok(l)
    }

    /// Records the running deployments of environments whose lease expired as interrupted
    /// and removes the lease: a runner that died never leaves a deployment `running`.
    pub fn team_sweep(&self) -> Result<usize> {
        let now = self.now();
        let mut swept = 0;
        let mut envs: Vec<String> = self
            .ledger
            .running_deployments()?
            .into_iter()
            .map(|d| d.env)
            .collect();
        envs.dedup();
        for env in envs {
            let lease = self.ledger.lock(&env)?;
            if lease
                .as_ref()
                .is_some_and(|l| l.expires_at.as_str() > now.as_str())
            {
                continue;
            }
            let holder = match lease {
                Some(l) => {
                    let ev = self.event(
                        "ferry",
                        Some(&env),
                        "lock.stale",
                        None,
                        None,
                        format!(
                            "lease of '{env}' held by {} since {} for {} expired at {}",
                            l.holder, l.since, l.purpose, l.expires_at
                        ),
                    );
                    self.ledger.force_unlock(&env, &ev)?;
                    l.holder
                }
                None => "its runner".to_string(),
            };
            self.interrupt_running(&env, &holder, "its lease expired")?;
            swept += 1;
        }
        Ok(swept)
    }

    /// Whether any release in the ledger defines `env` (the server has no work tree to ask).
    fn release_configs_know_env(&self, env: &str) -> Result<bool> {
        Ok(self.ledger.releases()?.iter().any(|r| {
            self.release_config(&r.id)
                .is_ok_and(|c| c.environment(env).is_some())
        }))
    }
}
