//! `plan`: plan a release (the newest eligible by default) for an environment, holding its lock.

use crate::context::{App, Claim};
use crate::error::{AppError, Result};
use crate::views::PlanView;
use ferry_core::promotion::PlanPurpose;
use ferry_store::ReleaseRecord;

impl App {
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

    pub fn plan(&self, who: &Claim, env: &str, release: Option<&str>) -> Result<PlanView> {
        self.env(env)?;
        let release = self.release_for(env, release)?;
        let _lock = self.lock(env, "plan", who.as_str())?;
        let planned = self.plan_release(who, env, &release, PlanPurpose::Deploy)?;
        self.planned_view(&planned)
    }
}
