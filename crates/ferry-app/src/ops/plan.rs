//! `plan`: plan a release (the newest eligible by default) for an environment, holding its lock.

use crate::context::{App, Claim};
use crate::error::{AppError, Result};
use crate::steps::plan::Baseline;
use crate::views::{plan_view, PlanView};
use ferry_core::promotion::PlanPurpose;
use ferry_core::PlanId;
use ferry_store::ReleaseRecord;
use std::path::PathBuf;
impl App {
    pub fn plan(&self, who: &Claim, env: &str, release: Option<&str>) -> Result<PlanView> {
        self.env(env)?;
        let release = self.release_for(env, release)?;
        let _lock = self.lock(env, "plan", who.as_str())?;
        let planned = self.plan_release(who, env, &release, PlanPurpose::Deploy)?;
        self.planned_view(&planned)
    }

    /// A speculative plan: what `release` would do to `env`, for a pull request's comment. No
    /// entry gate applies (the release has not been anywhere yet), nothing is recorded as a plan,
    /// and it can never be approved or applied. Its baseline is the speculative plan of the same
    /// release upstream when one was just made (the pull request's chain), else the plan applied
    /// and verified upstream.
    pub fn plan_speculative(
        &self,
        who: &Claim,
        env: &str,
        release: Option<&str>,
    ) -> Result<PlanView> {
        self.env(env)?;
        let release = match release {
            Some(t) => self.resolve_release(t)?,
            None => self.ledger.releases()?.into_iter().next().ok_or_else(|| {
                AppError::NotFound("no releases yet; run `ferry release create`".into())
            })?,
        };
        let s = self.settings(env, &release.id)?;
        let _lock = self.lock(env, "speculative plan", who.as_str())?;
        self.step(&format!(
            "speculative plan of release {} for '{env}' (for review only)",
            release.id.short()
        ));
        let baseline = match &s.from {
            Some(up) => match self.speculative_baseline(up, &release)? {
                Some(b) => Some(b),
                None => self.baseline(&s, &release)?,
            },
            None => None,
        };
        let work = format!("{env}-speculative");
        let ev = self.evaluate(&s, &release, &work, baseline.as_ref())?;
        let review = ev.assessment.review.clone();
        let record = self.plan_record(
            who,
            env,
            &release,
            PlanPurpose::Deploy,
            &ev,
            baseline.map(|b| b.plan),
        )?;
        let plan_id = record.id.clone();
        let keep = self.speculative_dir(&release);
        ferry_store::artifacts::create_private_dir(&keep)?;
        let kept = keep.join(format!("{env}.json"));
        ferry_store::artifacts::refuse_link(&kept)?;
        ferry_store::artifacts::refuse_link(&keep.join(format!("{env}.id")))?;
        std::fs::copy(&ev.plan_json, &kept)
            .map_err(|e| AppError::io(format!("cannot keep {}", kept.display()), e))?;
        std::fs::write(keep.join(format!("{env}.id")), plan_id.hex())
            .map_err(|e| AppError::io(format!("cannot write in {}", keep.display()), e))?;
        self.ledger.record_event(&self.event(
            who.as_str(),
            Some(env),
            "plan.speculative",
            Some(&release.id),
            Some(&plan_id),
            format!(
                "speculative plan (review only, never approvable): review {}",
                record.verdict
            ),
        ))?;
        let _ = std::fs::remove_dir_all(self.project.data_dir.join("work").join(&work));
        let mut view = plan_view(&record, review, s.from.clone(), 0, None, false);
        view.status = "speculative".to_string();
        view.release_commit = Some(release.commit.clone());
        Ok(view)
    }

    fn speculative_dir(&self, release: &ReleaseRecord) -> PathBuf {
        self.project
            .data_dir
            .join("speculative")
            .join(release.id.hex())
    }

    /// The speculative plan of `release` made in `up`, when there is one.
    fn speculative_baseline(&self, up: &str, release: &ReleaseRecord) -> Result<Option<Baseline>> {
        let dir = self.speculative_dir(release);
        let json = dir.join(format!("{up}.json"));
        let Ok(id) = std::fs::read_to_string(dir.join(format!("{up}.id"))) else {
            return Ok(None);
        };
        if !json.is_file() {
            return Ok(None);
        }
        Ok(Some(Baseline {
            plan: PlanId::from_hex(id.trim())?,
            json,
        }))
    }
}
