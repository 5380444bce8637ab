//! `drift`: resources changed outside IaC between releases. The environment's running release is
//! planned again, unchanged, with the inputs it was applied with, against its state: the engine's
//! refresh reports what changed outside (`resource_drift`), and anything it would change to
//! bring the environment back is drift too, because the code and inputs did not move. The plan
//! is never recorded as a plan and never applied; the check is recorded in the ledger.

use crate::context::{App, Claim};
use crate::error::{AppError, Result};
use crate::views::DriftView;

/// How many addresses the ledger event names before it counts the rest.
const EVENT_ADDRESSES: usize = 20;

impl App {
    /// Checks `env` for drift from `release` (default: the release it runs).
    pub fn drift(&self, who: &Claim, env: &str, release: Option<&str>) -> Result<DriftView> {
        self.env(env)?;
        let release = match release {
            Some(text) => self.resolve_release(text)?,
            None => match self.running_release(env)? {
                Some(id) => self.release(&id)?,
                None => {
                    return Err(AppError::NotFound(format!(
                        "'{env}' has no successful deployment to check for drift; deploy a release first, or name one with --release"
                    )))
                }
            },
        };
        let deployment = self
            .ledger
            .deployments(Some(env))?
            .into_iter()
            .find(|d| {
                d.status == ferry_core::promotion::DeploymentStatus::Succeeded
                    && d.release == release.id
            })
            .map(|d| d.id);
        let _lock = self.lock(env, "drift", who.as_str())?;
        let s = self.settings(env, &release.id)?;
        self.step(&format!(
            "checking '{env}' for drift from release {}",
            release.id.short()
        ));
        let wd = self.prepare(&s, &release, &format!("{env}-drift"), false)?;
        let plan_file = wd.module_dir.join("ferry-drift.tfplan");
        wd.engine
            .plan(&wd.module_dir, &wd.var_files, &plan_file, &wd.opts)?;
        let plan_json = wd.module_dir.join("ferry-drift.json");
        wd.engine
            .show_json_to(&wd.module_dir, &plan_file, &plan_json, &wd.opts)?;
        let report = ferry_plan::drift_report(&plan_json)?;
        let plan = ferry_store::sha256_file(&plan_file)?;
        let info = wd.engine.info();
        let view = DriftView {
            env: env.to_string(),
            release: release.id.clone(),
            release_commit: Some(release.commit.clone()),
            deployment,
            plan,
            checked_at: self.now(),
            drift: report.has_drift(),
            changed_outside: report.changed_outside,
            corrections: report.corrections,
            engine: format!(
                "{} {}",
                info.kind,
                crate::steps::plan::version_of(&info, &plan_json)
            ),
        };
        self.ledger.record_event(&self.event(
            who.as_str(),
            Some(env),
            if view.drift {
                "drift.found"
            } else {
                "drift.none"
            },
            Some(&release.id),
            None,
            event_message(&view),
        ))?;
        // The work dir holds a plan of this environment: nothing to keep once it is read.
        let _ = std::fs::remove_dir_all(&wd.root);
        Ok(view)
    }
}

fn event_message(v: &DriftView) -> String {
    if !v.drift {
        return format!(
            "no drift: '{}' matches release {}",
            v.env,
            v.release.short()
        );
    }
    let mut names: Vec<String> = v
        .changed_outside
        .iter()
        .map(|r| format!("{} ({} outside IaC)", r.address, r.action))
        .chain(
            v.corrections
                .iter()
                .map(|r| format!("{} (would {})", r.address, r.action)),
        )
        .collect();
    let total = names.len();
    names.truncate(EVENT_ADDRESSES);
    let more = if total > EVENT_ADDRESSES {
        format!(" and {} more", total - EVENT_ADDRESSES)
    } else {
        String::new()
    };
    format!(
        "drift: {} resource(s) changed outside IaC, {} change(s) to bring '{}' back to release {}: {}{more}",
        v.changed_outside.len(),
        v.corrections.len(),
        v.env,
        v.release.short(),
        names.join(", ")
    )
}
