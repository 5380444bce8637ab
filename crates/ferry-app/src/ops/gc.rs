//! Plan retention and `ferry gc`: plan files and plan JSON hold variable values in clear and
//! grow with every plan, so beyond each environment's newest `[project] keep_plans` (default 20)
//! they are removed. What later steps read is always kept: a pending or applying plan (apply
//! re-derives its verdict from the JSON), and the plan of every known-good or running
//! deployment (the baseline of the next environment, the record of what was deployed). The
//! ledger rows stay; the hash chain covers rows, not artifacts.

use crate::context::{App, Claim};
use crate::error::Result;
use ferry_core::promotion::PlanStatus;
use ferry_store::ArtifactKind;
use serde::Serialize;
use std::collections::BTreeSet;

pub const DEFAULT_KEEP_PLANS: u32 = 20;

#[derive(Debug, Clone, Default, Serialize, PartialEq, Eq)]
pub struct GcView {
    /// Plans whose artifacts were removed.
    pub plans_removed: usize,
    /// Plans whose artifacts are kept.
    pub plans_kept: usize,
    pub bytes_freed: u64,
}

impl App {
    fn keep_plans(&self) -> usize {
        self.project
            .config
            .project
            .keep_plans
            .unwrap_or(DEFAULT_KEEP_PLANS) as usize
    }

    /// Removes the artifacts of `env`'s plans beyond retention (the caller holds its lock).
    pub(crate) fn retain_plans(&self, env: &str) -> Result<GcView> {
        // Newest first.
        let plans: Vec<_> = self
            .ledger
            .plans_by_prefix("")?
            .into_iter()
            .filter(|p| p.env == env)
            .collect();
        let needed: BTreeSet<String> = self
            .ledger
            .deployments(Some(env))?
            .into_iter()
            .filter(|d| {
                d.known_good() || d.status == ferry_core::promotion::DeploymentStatus::Running
            })
            .map(|d| d.plan.to_string())
            .collect();
        let keep = self.keep_plans();
        let (kept, old): (Vec<_>, Vec<_>) = plans.into_iter().enumerate().partition(|(i, p)| {
            *i < keep
                || matches!(p.status, PlanStatus::Pending | PlanStatus::Applying)
                || needed.contains(&p.id.to_string())
        });
        // A plan JSON two plans share stays while either is kept.
        let kept_json: BTreeSet<String> = kept
            .iter()
            .filter_map(|(_, p)| p.plan_json_sha256.clone())
            .collect();
        let mut view = GcView {
            plans_kept: kept.len(),
            ..GcView::default()
        };
        for (_, p) in old {
            let mut freed = self.artifacts.remove(ArtifactKind::PlanFile, p.id.hex())?;
            if let Some(sha) = p
                .plan_json_sha256
                .as_deref()
                .filter(|s| !kept_json.contains(*s))
            {
                freed += self.artifacts.remove(ArtifactKind::PlanJson, sha)?;
            }
            if freed > 0 {
                view.plans_removed += 1;
                view.bytes_freed += freed;
            }
        }
        Ok(view)
    }

    /// `ferry gc`: retention for every environment, each under its lock.
    pub fn gc(&self, who: &Claim) -> Result<GcView> {
        let mut total = GcView::default();
        let envs: Vec<String> = self.chain().iter().map(|e| e.name().to_string()).collect();
        for env in envs {
            let _lock = self.lock(&env, "gc", who.as_str())?;
            let v = self.retain_plans(&env)?;
            total.plans_removed += v.plans_removed;
            total.plans_kept += v.plans_kept;
            total.bytes_freed += v.bytes_freed;
        }
        if total.plans_removed > 0 {
            self.step(&format!(
                "removed the artifacts of {} old plan(s), {} bytes",
                total.plans_removed, total.bytes_freed
            ));
        }
        Ok(total)
    }
}
