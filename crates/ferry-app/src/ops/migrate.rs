//! `ferry migrate check|status|plan|approve|apply|rehearse`: schema migrations as their own
//! gated step in the same chain as the infra.
//!
//! The migration files come from a release (its bytes, verified), never from the work tree. A
//! migration reaches an environment only after the environment it is promoted from applied the
//! very same file (same name, same checksum, per the ledger); the review of the pending files
//! must not block; `migration_approvals` (at least one where an acknowledged contract statement
//! is pending) count only approvals of the exact pending list, by its digest. Apply holds the
//! environment's lock, records every run (also a failed one) in the ledger, and the target
//! database records the same in `ferry_schema_history`.

use crate::context::{App, Claim};
use crate::error::{AppError, Result};
use crate::steps::migrations::LoadedSet;
use ferry_core::promotion::{
    eligibility, judge, migration_approvals_needed, migration_gates, Judged, Makers,
    MigrationFacts, RecordedApproval, SignatureCheck, UnmetGate,
};
use ferry_core::settings::GateSettings;
use ferry_core::ReleaseId;
use ferry_migrate::check::{CheckReport, Severity};
use ferry_migrate::{
    ApplyOptions, ApplyReport, CompatRelease, MigrateError, MigrationPlan, RehearsalReport,
    StatusReport,
};
use ferry_store::{
    AppliedMigrationRecord, MigrationApprovalRecord, MigrationRunRecord, ReleaseRecord,
};
use serde::Serialize;
use std::collections::BTreeSet;
use std::path::PathBuf;

/// `ferry migrate check PATH...`: the review of plain SQL files, without a project.
pub fn check_paths(paths: &[PathBuf]) -> Result<CheckReport> {
    let files = ferry_migrate::check::check_paths(paths)?;
    Ok(CheckReport::from_files(&files))
}

#[derive(Debug, Clone, Default)]
pub struct MigrateInput {
    pub env: String,
    /// The release whose migration files to use (default: the newest not abandoned).
    pub release: Option<String>,
    /// One `[[migration]]` set (default: all).
    pub set: Option<String>,
}

#[derive(Debug, Clone, Default)]
pub struct MigrateApproveInput {
    pub target: MigrateInput,
    /// The digest of the migration plan the approver read (`ferry migrate plan`).
    pub plan: String,
    /// The approver accepts the plan's acknowledged contract statements.
    pub acknowledge_contract: bool,
}

/// One set in one environment: its status, the pending plan, the review of the pending files
/// and the gates the plan has yet to pass.
#[derive(Debug, Clone, Serialize)]
pub struct MigrationSetView {
    pub set: String,
    pub database: String,
    pub status: StatusReport,
    pub plan: MigrationPlan,
    pub review: CheckReport,
    pub approvals: Vec<String>,
    pub approvals_needed: usize,
    pub unmet_gates: Vec<UnmetGate>,
}

#[derive(Debug, Clone, Serialize)]
pub struct MigrateView {
    pub env: String,
    pub release: ReleaseId,
    pub sets: Vec<MigrationSetView>,
}

#[derive(Debug, Clone, Serialize)]
pub struct MigrateApplyView {
    pub env: String,
    pub release: ReleaseId,
    pub reports: Vec<ApplyReport>,
}

#[derive(Debug, Clone, Serialize)]
pub struct MigrateRehearseView {
    pub env: String,
    pub release: ReleaseId,
    /// The releases whose compat queries ran, as labelled in findings.
    pub compat: Vec<String>,
    pub reports: Vec<RehearsalReport>,
}

#[derive(Debug, Clone, Serialize)]
pub struct MigrationApprovalView {
    pub approval: MigrationApprovalRecord,
    pub approvals: usize,
    pub needed: usize,
}

impl App {
    fn migration_release(&self, text: Option<&str>) -> Result<ReleaseRecord> {
        match text {
            Some(t) => self.resolve_release(t),
            None => self
                .ledger
                .releases()?
                .into_iter()
                .find(|r| r.abandoned.is_none())
                .ok_or_else(|| {
                    AppError::NotFound(
                        "no release to take migrations from; run `ferry release create`".into(),
                    )
                }),
        }
    }

    fn sets_for(&self, input: &MigrateInput) -> Result<(ReleaseRecord, Vec<LoadedSet>)> {
        self.env(&input.env)?;
        let release = self.migration_release(input.release.as_deref())?;
        let sets = self.load_sets(&input.env, &release, input.set.as_deref())?;
        if sets.is_empty() {
            return Err(AppError::NotFound(format!(
                "release {} has no [[migration]] set in its ferry.toml",
                release.id.short()
            )));
        }
        Ok((release, sets))
    }

    /// The view of one set: reads the target database's history.
    fn set_view(
        &self,
        s: &GateSettings,
        release: &ReleaseRecord,
        loaded: &LoadedSet,
    ) -> Result<MigrationSetView> {
        let url = self.database_url(&loaded.database)?;
        let status = ferry_migrate::status(&url, &loaded.set)?;
        let plan = status.plan();
        let names: Vec<&str> = plan.pending.iter().map(|p| p.name.as_str()).collect();
        let mut review = loaded.set.check_report_for(&names);
        // Findings name files as the release does, not by the unpacked work dir.
        for f in &mut review.findings {
            let file = f.file.rsplit('/').next().unwrap_or(&f.file).to_string();
            f.file = format!("{}/{file}", loaded.dir);
        }
        let approvals = self
            .ledger
            .migration_approvals(&s.env, &loaded.set.name, &plan.digest)?;
        let judged = judge_migration_approvals(s, release, &approvals);
        let missing_upstream = match &s.from {
            Some(up) => {
                let done: BTreeSet<(String, String)> = self
                    .ledger
                    .migration_runs(Some(up))?
                    .into_iter()
                    .filter(|r| r.set == loaded.set.name)
                    .flat_map(|r| r.applied)
                    .map(|a| (a.name, a.checksum))
                    .collect();
                plan.pending
                    .iter()
                    .filter(|p| !done.contains(&(p.name.clone(), p.checksum.clone())))
                    .map(|p| p.name.clone())
                    .collect()
            }
            None => Vec::new(),
        };
        let facts = MigrationFacts {
            env: &s.env,
            set: &loaded.set.name,
            digest: &plan.digest,
            upstream: s.from.as_deref(),
            missing_upstream,
            blocking: review
                .findings
                .iter()
                .filter(|f| f.severity == Severity::Block)
                .map(|f| format!("{}:{} {}", f.file, f.line, f.rule))
                .collect(),
            acknowledged_contract: review.needs_approval,
            approvals_needed: s.migration_approvals,
            approvals: &judged,
        };
        if let Some(refusal) = status.refusal() {
            return Err(refusal.into());
        }
        let unmet_gates = if plan.pending.is_empty() {
            Vec::new()
        } else {
            migration_gates(&facts)
        };
        Ok(MigrationSetView {
            set: loaded.set.name.clone(),
            database: loaded.database.name.clone(),
            approvals_needed: migration_approvals_needed(&facts),
            approvals: judged.counted.iter().map(|p| p.to_string()).collect(),
            status,
            plan,
            review,
            unmet_gates,
        })
    }

    /// `ferry migrate status` and `ferry migrate plan`: the sets against the target database.
    pub fn migrate_status(&self, input: &MigrateInput) -> Result<MigrateView> {
        let (release, sets) = self.sets_for(input)?;
        let s = self.settings(&input.env, &release.id)?;
        let sets = sets
            .iter()
            .map(|l| self.set_view(&s, &release, l))
            .collect::<Result<Vec<_>>>()?;
        Ok(MigrateView {
            env: input.env.clone(),
            release: release.id,
            sets,
        })
    }

    /// Records a person's yes for the exact pending list whose digest they read.
    pub fn migrate_approve(
        &self,
        who: &Claim,
        input: &MigrateApproveInput,
    ) -> Result<MigrationApprovalView> {
        let (release, sets) = self.sets_for(&input.target)?;
        let env = &input.target.env;
        let s = self.settings(env, &release.id)?;
        let mut found = None;
        for l in &sets {
            let v = self.set_view(&s, &release, l)?;
            if v.plan.digest == input.plan && !v.plan.pending.is_empty() {
                found = Some(v);
            }
        }
        let Some(v) = found else {
            return Err(AppError::Conflict(format!(
                "no pending migration plan of '{env}' has digest {}: the pending migrations changed, or the plan was applied; read the current one with `ferry migrate plan --env {env}`",
                input.plan
            )));
        };
        if v.unmet_gates
            .iter()
            .any(|g| matches!(g, UnmetGate::MigrationReviewBlocked { .. }))
        {
            return Err(AppError::blocked(
                format!(
                    "migration plan {} cannot be approved: its review blocks",
                    input.plan
                ),
                v.unmet_gates.clone(),
            ));
        }
        if v.review.needs_approval && !input.acknowledge_contract {
            return Err(AppError::blocked(
                format!(
                    "migration plan {} holds acknowledged contract statements (the previous release or a rollback may break); read them with `ferry migrate plan --env {env}` and approve with --acknowledge-contract",
                    input.plan
                ),
                vec![],
            ));
        }
        let makers = Makers {
            release_author: &release.author,
            release_creator: &release.created_by,
            planner: &release.created_by,
        };
        if let Err(refusal) = eligibility(&s, &makers, who.as_str()) {
            return Err(AppError::blocked(
                format!(
                    "{refusal}: someone else must approve migration plan {}",
                    input.plan
                ),
                vec![],
            ));
        }
        let person = s.people.person_of(&who.identity);
        if v.approvals.iter().any(|p| *p == person.to_string()) {
            return Err(AppError::Conflict(format!(
                "{person} already approved migration plan {}; a second approval must come from someone else",
                input.plan
            )));
        }
        let record = MigrationApprovalRecord {
            env: env.clone(),
            set: v.set.clone(),
            digest: v.plan.digest.clone(),
            release: release.id.clone(),
            by: who.as_str().to_string(),
            at: self.now(),
            acknowledged_contract: v.review.needs_approval && input.acknowledge_contract,
            source: who.origin.clone(),
            via: who.source.as_str().to_string(),
        };
        let e = self.event(
            who.as_str(),
            Some(env),
            "migration.approval",
            Some(&release.id),
            None,
            format!(
                "migration plan {} of set '{}' approved by {}",
                record.digest,
                record.set,
                who.as_str()
            ),
        );
        self.ledger.record_migration_approval(&record, &e)?;
        let approvals = self
            .ledger
            .migration_approvals(env, &v.set, &v.plan.digest)?;
        Ok(MigrationApprovalView {
            approvals: judge_migration_approvals(&s, &release, &approvals)
                .counted
                .len(),
            needed: v.approvals_needed,
            approval: record,
        })
    }

    /// Applies every set's pending migrations, each set only once all its gates pass.
    pub fn migrate_apply(&self, who: &Claim, input: &MigrateInput) -> Result<MigrateApplyView> {
        let (release, sets) = self.sets_for(input)?;
        let env = &input.env;
        let _lock = self.lock(env, "migrate", who.as_str())?;
        let s = self.settings(env, &release.id)?;
        let mut reports = Vec::new();
        for l in &sets {
            let v = self.set_view(&s, &release, l)?;
            if v.plan.pending.is_empty() {
                self.step(&format!(
                    "set '{}': nothing pending in database '{}'",
                    v.set, v.database
                ));
                continue;
            }
            let mut gates = v.unmet_gates.clone();
            gates.extend(self.ledger_gate()?);
            if !gates.is_empty() {
                return Err(AppError::blocked(
                    format!(
                        "migration plan {} (set '{}') may not be applied to '{env}':",
                        v.plan.digest, v.set
                    ),
                    gates,
                )
                .with_view(&v));
            }
            let url = self.database_url(&l.database)?;
            let release_text = release.id.to_string();
            let opts = ApplyOptions {
                release: Some(&release_text),
                approved: Some(&v.plan),
                ..ApplyOptions::new(who.as_str())
            };
            self.step(&format!(
                "applying {} migration(s) of set '{}' to database '{}' in '{env}'",
                v.plan.pending.len(),
                v.set,
                v.database
            ));
            match ferry_migrate::apply(&url, &l.set, &opts) {
                Ok(report) => {
                    self.record_run(who, env, &release, &v.plan, &report, None)?;
                    reports.push(report);
                }
                Err(MigrateError::MigrationFailed {
                    name,
                    line,
                    message,
                    report,
                }) => {
                    let error = format!("{name}:{line}: {message}");
                    self.record_run(who, env, &release, &v.plan, &report, Some(&error))?;
                    return Err(MigrateError::MigrationFailed {
                        name,
                        line,
                        message,
                        report,
                    }
                    .into());
                }
                Err(e) => return Err(e.into()),
            }
        }
        Ok(MigrateApplyView {
            env: env.clone(),
            release: release.id,
            reports,
        })
    }

    fn record_run(
        &self,
        who: &Claim,
        env: &str,
        release: &ReleaseRecord,
        plan: &MigrationPlan,
        report: &ApplyReport,
        error: Option<&str>,
    ) -> Result<()> {
        let run = MigrationRunRecord {
            env: env.to_string(),
            set: report.set.clone(),
            database: report.database.clone(),
            release: release.id.clone(),
            plan_digest: plan.digest.clone(),
            by: who.as_str().to_string(),
            at: self.now(),
            applied: report
                .applied
                .iter()
                .map(|a| AppliedMigrationRecord {
                    name: a.name.clone(),
                    checksum: a.checksum.clone(),
                    class: a.class.as_str().to_string(),
                })
                .collect(),
            failed: report.failed.as_ref().map(|f| f.name.clone()),
            error: error.map(str::to_string),
        };
        let names: Vec<&str> = run.applied.iter().map(|a| a.name.as_str()).collect();
        let (kind, message) = match &run.failed {
            None => (
                "migration.applied",
                format!("set '{}': applied {}", run.set, names.join(", ")),
            ),
            Some(f) => (
                "migration.failed",
                format!(
                    "set '{}': {f} failed (applied before it: {})",
                    run.set,
                    if names.is_empty() {
                        "none".to_string()
                    } else {
                        names.join(", ")
                    }
                ),
            ),
        };
        let e = self.event(
            who.as_str(),
            Some(env),
            kind,
            Some(&release.id),
            None,
            message,
        );
        self.ledger.record_migration_run(&run, &e)?;
        Ok(())
    }

    /// Rehearses every set's pending migrations on a scratch copy of the environment's schema,
    /// against the compat queries of the release deployed there and of its rollback target.
    /// Blocked when any query or migration fails.
    pub fn migrate_rehearse(
        &self,
        who: &Claim,
        input: &MigrateInput,
    ) -> Result<MigrateRehearseView> {
        let (release, sets) = self.sets_for(input)?;
        let env = &input.env;
        let mut others: Vec<(String, ReleaseRecord)> = Vec::new();
        if let Some(id) = self.running_release(env)? {
            others.push((
                format!("deployed release {}", id.short()),
                self.release(&id)?,
            ));
        }
        if let Some((target, _)) = self.rollback_target(env)? {
            others.push((format!("rollback target {}", target.id.short()), target));
        }
        let mut reports = Vec::new();
        let mut labels = Vec::new();
        for l in &sets {
            let mut compat = Vec::new();
            for (label, r) in &others {
                let loaded = self.load_sets(env, r, None)?;
                if let Some(dir) = loaded
                    .into_iter()
                    .find(|o| o.set.name == l.set.name)
                    .and_then(|o| o.compat)
                {
                    compat.push(CompatRelease {
                        label: label.clone(),
                        dir,
                    });
                    if !labels.contains(label) {
                        labels.push(label.clone());
                    }
                }
            }
            let url = self.database_url(&l.database)?;
            let opts = self.rehearse_options(&l.database)?;
            self.step(&format!(
                "rehearsing set '{}' on a scratch copy of database '{}' ({} release(s) of compat queries)",
                l.set.name,
                l.database.name,
                compat.len()
            ));
            reports.push(ferry_migrate::rehearse(&url, &l.set, &compat, &opts)?);
        }
        let view = MigrateRehearseView {
            env: env.clone(),
            release: release.id.clone(),
            compat: labels,
            reports,
        };
        let reasons: Vec<String> = view
            .reports
            .iter()
            .flat_map(|r| r.findings.iter().map(move |f| (r, f)))
            .map(|(r, f)| {
                let at = f.migration.as_deref().unwrap_or("the current schema");
                match (&f.release, &f.query) {
                    (Some(rel), Some(q)) => format!(
                        "set '{}': after {at}, the {rel} query {}:{} fails: {}",
                        r.set, q.file, q.line, f.message
                    ),
                    _ => format!("set '{}': {at}: {}", r.set, f.message),
                }
            })
            .collect();
        let e = self.event(
            who.as_str(),
            Some(env),
            "migration.rehearsal",
            Some(&release.id),
            None,
            if reasons.is_empty() {
                "migration rehearsal passed".to_string()
            } else {
                format!("migration rehearsal blocked: {}", reasons.join("; "))
            },
        );
        self.ledger.record_event(&e)?;
        if !reasons.is_empty() {
            let headline = format!(
                "the migration rehearsal in '{env}' blocks: the running application or the rollback target would break"
            );
            return Err(AppError::blocked(
                headline,
                vec![UnmetGate::MigrationRehearsalFailed { reasons }],
            )
            .with_view(&view));
        }
        Ok(view)
    }
}

fn judge_migration_approvals(
    s: &GateSettings,
    release: &ReleaseRecord,
    approvals: &[MigrationApprovalRecord],
) -> Judged {
    let makers = Makers {
        release_author: &release.author,
        release_creator: &release.created_by,
        planner: &release.created_by,
    };
    let recorded: Vec<RecordedApproval<'_>> = approvals
        .iter()
        .map(|a| RecordedApproval {
            by: &a.by,
            acknowledged_warnings: a.acknowledged_contract,
            // Migration approvals are not signed (yet): where signatures are required they do
            // not count, which fails closed.
            signature: SignatureCheck::Missing,
        })
        .collect();
    judge(s, &makers, &recorded)
}
