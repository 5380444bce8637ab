//! Planning one release for one environment: the entry gates, the engine's plan against the
//! environment's state, the assessment against the plan that was applied and verified upstream,
//! the artifacts, and the ledger row — with approvals carried over from the pending plan only
//! when nothing a reviewer saw has changed.

use super::assess::{self, Assessment, Subject, Upstream};
use super::workdir::Workdir;
use crate::context::{App, Claim};
use crate::error::{AppError, Result};
use ferry_core::promotion::{
    carry, eligibility, entry_gates, Carry, Decision, EntryFacts, Makers, PlanPurpose, PlanShape,
    PlanStatus, UnmetGate,
};
use ferry_core::schedule::{parse_instant, soaking};
use ferry_core::settings::GateSettings;
use ferry_core::{PlanId, Review};
use ferry_engine::StateIdentity;
use ferry_store::{ApprovalRecord, ArtifactKind, NewEvent, PlanRecord, ReleaseRecord};
use std::path::PathBuf;

/// A plan as recorded, with its review, and the assessment when it was made in this process.
pub struct Planned {
    pub record: PlanRecord,
    pub review: Review,
    pub fresh: Option<Assessment>,
}

/// An engine plan and its assessment, not yet in the ledger.
pub struct Evaluated {
    pub plan_file: PathBuf,
    pub plan_json: PathBuf,
    pub identity: Option<StateIdentity>,
    pub assessment: Assessment,
    /// Which engine made the plan: kind, version and binary.
    pub engine: String,
}

/// What the engine made for one plan, before anyone judged it.
pub struct EnginePlan {
    pub plan_file: PathBuf,
    pub plan_json: PathBuf,
    pub identity: Option<StateIdentity>,
    /// Which engine made the plan: kind, version and binary.
    pub engine: String,
}

/// The plan applied and verified upstream for a release: its id and its verified JSON on disk.
pub struct Baseline {
    pub plan: PlanId,
    pub json: PathBuf,
}

impl App {
    /// Why `release` may not enter `s.env` now (empty when it may).
    pub(crate) fn entry_gates(
        &self,
        s: &GateSettings,
        release: &ReleaseRecord,
    ) -> Result<Vec<UnmetGate>> {
        let config = self.release_config(&release.id)?;
        let first = config
            .first_environment()
            .map_or(s.env.as_str(), |e| e.name());
        let upstream_deploy = match &s.from {
            Some(up) => self.known_good(up, &release.id)?,
            None => None,
        };
        let soak = match &upstream_deploy {
            Some(d) => {
                let at = d.verified_at.as_deref().or(d.finished_at.as_deref());
                let at = at
                    .map(parse_instant)
                    .transpose()
                    .map_err(AppError::Invalid)?;
                soaking(s.soak.as_ref(), at, self.clock.now())
            }
            None => None,
        };
        Ok(entry_gates(&EntryFacts {
            env: &s.env,
            upstream: s.from.as_deref(),
            first,
            dirty: release.dirty,
            abandoned: release.abandoned.as_ref().map(|a| a.reason.as_str()),
            upstream_known_good: s.from.is_none() || upstream_deploy.is_some(),
            soaking: soak,
        }))
    }

    /// The plan of `release` that was applied and verified in the upstream environment: of its
    /// known-good deployments there, the newest that changed something (a later no-op re-apply
    /// says nothing about what the release brings).
    pub(crate) fn baseline(
        &self,
        s: &GateSettings,
        release: &ReleaseRecord,
    ) -> Result<Option<Baseline>> {
        let Some(up) = &s.from else {
            return Ok(None);
        };
        let mut chosen: Option<PlanRecord> = None;
        for d in self
            .ledger
            .deployments(Some(up))?
            .into_iter()
            .filter(|d| d.known_good() && d.release == release.id)
        {
            let Some(p) = self.ledger.plan(&d.plan)? else {
                continue;
            };
            let changed = p.summary.has_changes();
            if chosen.is_none() || changed {
                chosen = Some(p);
            }
            if changed {
                break;
            }
        }
        let Some(p) = chosen else {
            return Ok(None);
        };
        let Some(sha) = &p.plan_json_sha256 else {
            return Ok(None);
        };
        let json = match self.artifacts.verified_path(ArtifactKind::PlanJson, sha)? {
            Some(path) => path,
            None => {
                let dest = self
                    .project
                    .data_dir
                    .join("work")
                    .join(format!("{}-baseline.json", s.env));
                self.artifacts
                    .fetch_to(ArtifactKind::PlanJson, sha, &dest)?;
                dest
            }
        };
        Ok(Some(Baseline { plan: p.id, json }))
    }

    /// The assessment subject of `s` for an unpacked release at `root`.
    pub(crate) fn subject<'a>(
        &self,
        s: &'a GateSettings,
        release: &'a str,
        root: &'a std::path::Path,
        config: &'a ferry_core::Config,
    ) -> Subject<'a> {
        Subject {
            env: &s.env,
            release,
            release_root: root,
            config,
            var_files: s.var_files.iter().map(|v| root.join(v)).collect(),
            policy_dir: s.policy_dir.as_deref(),
        }
    }

    /// Runs the engine's plan of `release` for `s.env` in work dir `work_name` and assesses it
    /// against `baseline`, without touching the ledger.
    pub(crate) fn evaluate(
        &self,
        s: &GateSettings,
        release: &ReleaseRecord,
        work_name: &str,
        baseline: Option<&Baseline>,
    ) -> Result<Evaluated> {
        let (made, wd) = self.engine_plan(s, release, work_name)?;
        let assessment = self.assess_made(s, &release.id, &wd.root, &made.plan_json, baseline)?;
        if work_name == s.env {
            self.keep_workdir(&s.env, &release.id, &wd);
        }
        Ok(Evaluated {
            plan_file: made.plan_file,
            plan_json: made.plan_json,
            identity: made.identity,
            assessment,
            engine: made.engine,
        })
    }

    /// The engine's half of a plan: unpack, init, the state identity, `plan -out`, `show -json`
    /// (streamed to disk). What a runner does in team mode before it uploads the result.
    pub(crate) fn engine_plan(
        &self,
        s: &GateSettings,
        release: &ReleaseRecord,
        work_name: &str,
    ) -> Result<(EnginePlan, Workdir)> {
        self.check_state_location(s)?;
        let wd = self.prepare(s, release, work_name, false)?;
        self.say_state_start(s)?;
        let identity = wd
            .engine
            .state_identity_of(&wd.backend, &wd.module_dir, &wd.opts)?;
        let plan_file = wd.module_dir.join("ferry.tfplan");
        wd.engine
            .plan(&wd.module_dir, &wd.var_files, &plan_file, &wd.opts)?;
        // Streamed to disk: a gigabyte plan is never held in memory.
        let plan_json = wd.module_dir.join("ferry-plan.json");
        wd.engine
            .show_json_to(&wd.module_dir, &plan_file, &plan_json, &wd.opts)?;
        self.learn_plan_secrets(&plan_json);
        let info = wd.engine.info();
        let version = version_of(&info, &plan_json);
        Ok((
            EnginePlan {
                plan_file,
                plan_json,
                identity,
                engine: format!("{} {} ({})", info.kind, version, info.path.display()),
            },
            wd,
        ))
    }

    /// The judging half: the review, audit and policies of a plan JSON of `release` unpacked at
    /// `root`, against `baseline`. The server runs this itself on what a runner uploaded.
    pub(crate) fn assess_made(
        &self,
        s: &GateSettings,
        release: &ferry_core::ReleaseId,
        root: &std::path::Path,
        plan_json: &std::path::Path,
        baseline: Option<&Baseline>,
    ) -> Result<Assessment> {
        let config = self.release_config(release)?;
        let release_text = release.to_string();
        let subject = self.subject(s, &release_text, root, &config);
        let upstream_settings = match &s.from {
            Some(up) => Some(self.settings(up, release)?),
            None => None,
        };
        let upstream = upstream_settings.as_ref().map(|u| Upstream {
            env: &u.env,
            var_files: u.var_files.iter().map(|v| root.join(v)).collect(),
            plan_json: baseline.map(|b| b.json.as_path()),
        });
        assess::assess(&subject, plan_json, upstream.as_ref())
    }

    /// The ledger row of the plan `ev` made (pending; no plan JSON recorded yet), its review and
    /// policy results redacted like everything stored.
    pub(crate) fn plan_record(
        &self,
        who: &Claim,
        env: &str,
        release: &ReleaseRecord,
        purpose: PlanPurpose,
        ev: &Evaluated,
        baseline: Option<PlanId>,
    ) -> Result<PlanRecord> {
        let review = &ev.assessment.review;
        Ok(PlanRecord {
            // A plan is named by its saved plan file's bytes.
            id: PlanId::from_hex(&ferry_store::sha256_file(&ev.plan_file)?)?,
            env: env.to_string(),
            release: release.id.clone(),
            created_by: who.as_str().to_string(),
            created_at: self.now(),
            status: PlanStatus::Pending,
            purpose,
            summary: review.summary,
            verdict: review.verdict,
            review: self.redact_json(serde_json::to_value(review).unwrap_or_default()),
            policy: self.redact_json(ev.assessment.policy_json()),
            policy_denied: ev.assessment.denials() > 0,
            state_lineage: ev.identity.as_ref().map(|i| i.lineage.clone()),
            state_serial: ev.identity.as_ref().map(|i| i.serial),
            baseline,
            change_digest: Some(ev.assessment.change_digest.clone()),
            plan_json_sha256: None,
            engine: Some(ev.engine.clone()),
        })
    }

    /// Plans `release` for `env` and records it (the caller holds the environment's lock).
    pub(crate) fn plan_release(
        &self,
        who: &Claim,
        env: &str,
        release: &ReleaseRecord,
        purpose: PlanPurpose,
    ) -> Result<Planned> {
        let s = self.settings(env, &release.id)?;
        let mut gates = self.entry_gates(&s, release)?;
        // "Known-good upstream" is read from the ledger: a forged verification must not count.
        gates.extend(self.ledger_gate()?);
        if !gates.is_empty() {
            return Err(AppError::blocked(
                format!("release {} may not enter '{env}':", release.id.short()),
                gates,
            ));
        }
        self.step(&format!(
            "planning release {} for '{env}'",
            release.id.short()
        ));
        let baseline = self.baseline(&s, release)?;
        let ev = self
            .evaluate(&s, release, env, baseline.as_ref())
            .map_err(|e| match e.interrupted_by() {
                Some(signal) => AppError::Interrupted {
                    signal,
                    message: format!(
                        "stopped while planning release {} for '{env}'. Nothing was applied: the state of '{env}' is as it was, and no plan was recorded. To continue: run the same command again (e.g. `ferry promote --to {env}`)",
                        release.id.short()
                    ),
                },
                None => e,
            })?;
        self.check_interrupt(|| {
            format!(
                "stopped after planning release {} for '{env}'. Nothing was applied: the state of '{env}' is as it was, and no plan was recorded. To continue: run the same command again (e.g. `ferry promote --to {env}`)",
                release.id.short()
            )
        })?;
        self.record_made(who, &s, release, purpose, ev, baseline.map(|b| b.plan))
    }

    /// Records a plan that was made and assessed: artifacts, the plan row, approvals carried
    /// from the pending plan, the events — one ledger transaction. A byte-identical plan file
    /// means nothing changed: the pending plan stands.
    pub(crate) fn record_made(
        &self,
        who: &Claim,
        s: &GateSettings,
        release: &ReleaseRecord,
        purpose: PlanPurpose,
        ev: Evaluated,
        baseline: Option<PlanId>,
    ) -> Result<Planned> {
        let env = s.env.as_str();
        let mut record = self.plan_record(who, env, release, purpose, &ev, baseline)?;
        let plan_id = record.id.clone();
        // The engine wrote a byte-identical plan file: nothing changed since that plan.
        if let Some(same) = self.ledger.plan(&plan_id)? {
            if same.env == env && same.status == PlanStatus::Pending {
                self.step(&format!(
                    "nothing changed since plan {} of '{env}': it is still the pending plan (its approvals stand)",
                    plan_id.short()
                ));
                return Ok(Planned {
                    record: same,
                    review: ev.assessment.review.clone(),
                    fresh: Some(ev.assessment),
                });
            }
            return Err(AppError::Conflict(format!(
                "the engine produced plan {} again, byte for byte, but that plan is {} in '{}'; a plan is recorded once. Change something (or wait for the state to move) and plan again",
                plan_id.short(),
                same.status,
                same.env
            )));
        }
        let json_sha = ferry_store::sha256_file(&ev.plan_json)?;
        self.artifacts
            .put_file(ArtifactKind::PlanFile, plan_id.hex(), &ev.plan_file)?;
        self.artifacts
            .put_file(ArtifactKind::PlanJson, &json_sha, &ev.plan_json)?;
        let review = ev.assessment.review.clone();
        record.plan_json_sha256 = Some(json_sha);
        let s_ = &record.summary;
        let mut events = vec![self.event(
            who.as_str(),
            Some(env),
            "plan.created",
            Some(&release.id),
            Some(&plan_id),
            format!(
                "planned: {} to create, {} to update, {} to replace, {} to delete; review {}",
                s_.create, s_.update, s_.replace, s_.delete, record.verdict
            ),
        )];
        let carried = match self.ledger.pending_plan(env)? {
            Some(prev) => self.carry_over(who, s, release, &prev, &record, &mut events)?,
            None => vec![],
        };
        self.ledger.record_plan(&record, &carried, &events)?;
        // Retention is housekeeping: a failure is said, never fails the plan.
        if let Err(e) = self.retain_plans(env) {
            self.warn(&format!(
                "warning: could not remove old plans of '{env}': {e}"
            ));
        }
        Ok(Planned {
            record,
            review,
            fresh: Some(ev.assessment),
        })
    }

    /// Approvals name one plan. A re-plan keeps them only when it is the same release for the
    /// same purpose and its change digest is identical, and only those whose approver may still
    /// approve the new plan (the new planner, for one, may not). Signed approvals are never
    /// carried: a signature names one plan.
    fn carry_over(
        &self,
        who: &Claim,
        s: &GateSettings,
        release: &ReleaseRecord,
        prev: &PlanRecord,
        new: &PlanRecord,
        events: &mut Vec<NewEvent>,
    ) -> Result<Vec<ApprovalRecord>> {
        let approvals: Vec<ApprovalRecord> = self
            .ledger
            .approvals(&prev.id)?
            .into_iter()
            .filter(|a| a.decision == Decision::Approve)
            .collect();
        if approvals.is_empty() {
            return Ok(vec![]);
        }
        fn shape(p: &PlanRecord) -> PlanShape<'_> {
            PlanShape {
                release: &p.release,
                purpose: &p.purpose,
                digest: p.change_digest.as_deref(),
            }
        }
        let decision = match carry(&shape(prev), &shape(new)) {
            Carry::Keep if s.require_signed_approvals => Carry::Void {
                reason: "signed approvals are required, and a signature names one plan: approvers sign the new plan",
            },
            d => d,
        };
        let mut event = |kind: &str, msg: String| {
            events.push(self.event(
                who.as_str(),
                Some(&new.env),
                kind,
                Some(&new.release),
                Some(&new.id),
                msg,
            ));
        };
        let reason = match decision {
            Carry::Void { reason } => {
                let msg = format!(
                    "{} approval(s) of plan {} voided: {reason}",
                    approvals.len(),
                    prev.id.short()
                );
                self.warn(&msg);
                event("approvals.voided", msg);
                return Ok(vec![]);
            }
            Carry::Keep => format!(
                "carried over from plan {} (identical change set)",
                prev.id.short()
            ),
        };
        let makers = Makers {
            release_author: &release.author,
            release_creator: &release.created_by,
            planner: &new.created_by,
        };
        let mut carried = Vec::new();
        for a in approvals {
            match eligibility(s, &makers, &a.by) {
                Ok(()) => carried.push(ApprovalRecord {
                    plan: new.id.clone(),
                    source: reason.clone(),
                    at: self.now(),
                    ..a
                }),
                Err(refusal) => {
                    let msg = format!(
                        "approval by {} not carried to plan {}: {refusal}",
                        a.by,
                        new.id.short()
                    );
                    self.warn(&msg);
                    event("approvals.voided", msg);
                }
            }
        }
        if !carried.is_empty() {
            let msg = format!(
                "{} approval(s) carried over from plan {}: the change set is identical",
                carried.len(),
                prev.id.short()
            );
            self.step(&msg);
            event("approvals.carried", msg);
        }
        Ok(carried)
    }
}

/// The engine's version: what it answered when asked, else what it wrote into the plan
/// (`terraform_version`, the first member after `format_version` in `show -json` output).
pub(crate) fn version_of(info: &ferry_engine::EngineInfo, plan_json: &std::path::Path) -> String {
    if !info.version.is_empty() {
        return info.version.clone();
    }
    use std::io::Read as _;
    let mut head = Vec::with_capacity(4096);
    let read = std::fs::File::open(plan_json)
        .and_then(|f| f.take(4096).read_to_end(&mut head))
        .is_ok();
    let text = String::from_utf8_lossy(&head);
    const KEY: &str = "\"terraform_version\":\"";
    read.then(|| text.find(KEY))
        .flatten()
        .and_then(|i| {
            let rest = &text[i + KEY.len()..];
            rest.find('"').map(|end| rest[..end].to_string())
        })
        .filter(|v| {
            !v.is_empty()
                && v.len() < 64
                && v.chars()
                    .all(|c| c.is_ascii_alphanumeric() || ".-+".contains(c))
        })
        .unwrap_or_else(|| "(version unknown)".to_string())
}
