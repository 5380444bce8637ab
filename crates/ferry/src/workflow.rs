//! The steps every promotion is made of, shared by `plan`, `apply`, `promote`, `rollback` and
//! `rehearse`: plan a release for an environment (engine plan + review + policy, stored in the
//! ledger), apply exactly one stored plan after re-checking every gate and every hash, and verify.

use crate::assess;
use crate::session::{blocked, now, sha256_file, Session};
use anyhow::{anyhow, bail, Context as _, Result};
use ferry_core::promotion::{apply_gates, ApplyFacts};
use ferry_core::{EnvironmentConfig, PlanId, Review};
use ferry_engine::{Engine, RunOptions, StateBackend};
use ferry_store::{
    ApprovalRecord, DeploymentOutcome, DeploymentRecord, DeploymentStatus, Ledger, NewDeployment,
    PlanRecord, PlanStatus, ReleaseRecord,
};
use std::path::{Path, PathBuf};

/// What `plan_env` produced.
pub struct Planned {
    pub record: PlanRecord,
    pub review: Review,
}

fn backend(session: &Session, env: &EnvironmentConfig) -> StateBackend {
    if env.backend_config.is_empty() {
        StateBackend::Local {
            path: session.state_path(env.name()),
        }
    } else {
        StateBackend::Configured {
            settings: env.backend_config.clone(),
        }
    }
}

/// An unpacked, initialised release ready for the engine.
pub struct Prepared {
    /// The unpacked release (project root inside the bundle).
    pub release_root: PathBuf,
    pub module_dir: PathBuf,
    pub var_files: Vec<PathBuf>,
    pub engine: Engine,
    pub opts: RunOptions,
}

/// Unpacks the release into work dir `work_name` and initialises the engine there.
pub fn prepare(
    session: &Session,
    env: &EnvironmentConfig,
    release: &ReleaseRecord,
    work_name: &str,
    apply: bool,
) -> Result<Prepared> {
    let engine = session.engine()?;
    let mut opts = session.run_options(env.name(), apply)?;
    opts.env
        .push(("FERRY_RELEASE".to_string(), release.id.to_string()));
    let work = session.unpack_workdir(work_name, &release.id)?;
    let module_dir = work.join(&session.project.config.project.root);
    if !module_dir.is_dir() {
        bail!(
            "release {} has no root module directory '{}' ([project] root in ferry.toml)",
            release.id.short(),
            session.project.config.project.root
        );
    }
    let mut var_files = Vec::new();
    for v in &env.var_files {
        let path = work.join(v);
        if !path.is_file() {
            bail!(
                "environment '{}': var file '{v}' is not in release {} (is it committed?)",
                env.name(),
                release.id.short()
            );
        }
        var_files.push(path);
    }
    engine.init(&module_dir, &backend(session, env), &opts)?;
    Ok(Prepared {
        release_root: work,
        module_dir,
        var_files,
        engine,
        opts,
    })
}

/// An engine plan of `release` for `env` in work dir `work_name`, reviewed (against `baseline`
/// when given) and evaluated by policy, without touching the ledger.
pub struct Evaluated {
    pub plan_file: PathBuf,
    pub plan_json: PathBuf,
    pub assessment: assess::Assessment,
    pub identity: Option<ferry_engine::StateIdentity>,
}

pub fn evaluate(
    session: &Session,
    env: &EnvironmentConfig,
    release: &ReleaseRecord,
    work_name: &str,
    baseline: Option<&Path>,
) -> Result<Evaluated> {
    let prepared = prepare(session, env, release, work_name, false)?;
    let identity = prepared
        .engine
        .state_identity(&prepared.module_dir, &prepared.opts)?;
    let plan_file = prepared.module_dir.join("ferry.tfplan");
    prepared.engine.plan(
        &prepared.module_dir,
        &prepared.var_files,
        &plan_file,
        &prepared.opts,
    )?;
    let json = prepared
        .engine
        .show_json(&prepared.module_dir, &plan_file, &prepared.opts)?;
    let plan_json = prepared.module_dir.join("ferry-plan.json");
    write_private(&plan_json, &json)?;
    let release_text = release.id.to_string();
    let assessment = assess::assess(
        &prepared.release_root,
        env.name(),
        Some(&release_text),
        &plan_json,
        baseline,
    )?;
    Ok(Evaluated {
        plan_file,
        plan_json,
        assessment,
        identity,
    })
}

/// Plans `release` for `env`: checks the entry gates, runs the engine, reviews against the
/// upstream plan of the same release, evaluates policy, stores everything, and carries approvals
/// over from the previous pending plan only when the change set is identical.
pub fn plan_env(session: &Session, env_name: &str, release: &ReleaseRecord) -> Result<Planned> {
    let env = session.env(env_name)?;
    let gates = session.entry_gates(env, release)?;
    if !gates.is_empty() {
        return Err(blocked(
            &format!("release {} may not enter '{env_name}':", release.id.short()),
            &gates,
        ));
    }
    eprintln!("planning release {} for '{env_name}'", release.id.short());
    let baseline = match env.from_env() {
        Some(up) => session.ledger.latest_plan_for(up, &release.id)?,
        None => None,
    };
    let baseline_json = baseline
        .as_ref()
        .map(|b| session.plan_dir(&b.id).join("plan.json"));
    let ev = evaluate(session, env, release, env_name, baseline_json.as_deref())?;

    let plan_id = PlanId::from_hex(&sha256_file(&ev.plan_file)?)?;
    let dir = session.plan_dir(&plan_id);
    std::fs::create_dir_all(&dir).with_context(|| format!("cannot create {}", dir.display()))?;
    std::fs::rename(&ev.plan_json, dir.join("plan.json"))
        .with_context(|| format!("cannot store the plan JSON in {}", dir.display()))?;
    std::fs::copy(&ev.plan_file, dir.join("plan.tfplan"))
        .with_context(|| format!("cannot store the plan file in {}", dir.display()))?;

    let previous = session.ledger.pending_plan(env_name)?;
    let review = ev.assessment.review.clone();
    let record = PlanRecord {
        id: plan_id.clone(),
        env: env_name.to_string(),
        release: release.id.clone(),
        created_by: session.actor()?,
        created_at: now(),
        status: PlanStatus::Pending,
        summary: review.summary,
        verdict: review.verdict,
        review: serde_json::to_value(&review)?,
        policy: ev.assessment.policy_json(),
        policy_denied: ev.assessment.policy.denies().next().is_some(),
        state_lineage: ev.identity.as_ref().map(|i| i.lineage.clone()),
        state_serial: ev.identity.as_ref().map(|i| i.serial),
        baseline: baseline.map(|b| b.id),
        change_digest: Some(ev.assessment.change_digest.clone()),
    };
    session.ledger.record_plan(&record)?;
    let s = &record.summary;
    session.event(
        Some(env_name),
        "plan.created",
        Some(&release.id),
        Some(&plan_id),
        format!(
            "planned: {} to create, {} to update, {} to replace, {} to delete; review {}",
            s.create, s.update, s.replace, s.delete, record.verdict
        ),
    )?;
    if let Some(prev) = previous {
        carry_or_void_approvals(session, &prev, &record)?;
    }
    Ok(Planned { record, review })
}

/// Approvals name one plan. A re-plan keeps them only when it is the same release and its
/// normalized change set is identical (nothing a reviewer saw has changed); the ledger says which.
fn carry_or_void_approvals(session: &Session, prev: &PlanRecord, new: &PlanRecord) -> Result<()> {
    let approvals: Vec<ApprovalRecord> = session
        .ledger
        .approvals(&prev.id)?
        .into_iter()
        .filter(|a| a.decision == "approve")
        .collect();
    if approvals.is_empty() {
        return Ok(());
    }
    let identical = prev.release == new.release
        && prev.change_digest.is_some()
        && prev.change_digest == new.change_digest;
    if identical {
        for a in &approvals {
            session.ledger.record_approval(&ApprovalRecord {
                plan: new.id.clone(),
                source: format!(
                    "carried over from plan {} (identical change set)",
                    prev.id.short()
                ),
                ..a.clone()
            })?;
        }
        let msg = format!(
            "{} approval(s) carried over from plan {}: the change set is identical",
            approvals.len(),
            prev.id.short()
        );
        eprintln!("{msg}");
        session.event(
            Some(&new.env),
            "approvals.carried",
            Some(&new.release),
            Some(&new.id),
            msg,
        )?;
    } else {
        let msg = format!(
            "{} approval(s) of plan {} voided: the new plan changes something else",
            approvals.len(),
            prev.id.short()
        );
        eprintln!("{msg}");
        session.event(
            Some(&new.env),
            "approvals.voided",
            Some(&new.release),
            Some(&new.id),
            msg,
        )?;
    }
    Ok(())
}

pub fn write_private(path: &Path, bytes: &[u8]) -> Result<()> {
    use std::io::Write;
    let tmp = path.with_extension("tmp");
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        // The plan JSON holds variable values in clear; keep it to the owner like Terraform's state.
        opts.mode(0o600);
    }
    let mut f = opts
        .open(&tmp)
        .with_context(|| format!("cannot write {}", tmp.display()))?;
    f.write_all(bytes)
        .and_then(|_| f.sync_all())
        .with_context(|| format!("cannot write {}", tmp.display()))?;
    std::fs::rename(&tmp, path).with_context(|| format!("cannot write {}", path.display()))?;
    Ok(())
}

/// Why `plan` may not be applied now, as a [`crate::exit::Blocked`] error, or `Ok` when every
/// gate is met. `auto_rollback` skips the approval count (ferry acts by itself on a failed
/// verification) but never a review block or a policy deny.
pub fn check_apply_gates(session: &Session, plan: &PlanRecord, auto_rollback: bool) -> Result<()> {
    let env = session.env(&plan.env)?;
    let release = session.ledger.release(&plan.release)?.ok_or_else(|| {
        anyhow!(
            "plan {} names release {} which is not in the ledger",
            plan.id.short(),
            plan.release
        )
    })?;
    let mut gates = session.entry_gates(env, &release)?;
    let approvals = session.ledger.approvals(&plan.id)?;
    let approvers: Vec<&str> = approvals
        .iter()
        .filter(|a| a.decision == "approve")
        .map(|a| a.by.as_str())
        .collect();
    let (denials, warnings) = assess::policy_counts(&plan.policy);
    let now = crate::gates::now_ts()?;
    gates.extend(apply_gates(&ApplyFacts {
        env: env.name(),
        verdict: plan.verdict,
        policy_denials: denials,
        policy_warnings: warnings,
        approvals_needed: if auto_rollback { 0 } else { env.approvals },
        approvers,
        warnings_acknowledged: approvals
            .iter()
            .any(|a| a.decision == "approve" && a.acknowledged_warnings),
        frozen: crate::gates::frozen(env, now)?,
        too_old: crate::gates::too_old(env, &plan.created_at, now)?,
    }));
    if gates.is_empty() {
        Ok(())
    } else {
        Err(blocked(
            &format!(
                "plan {} may not be applied to '{}':",
                plan.id.short(),
                plan.env
            ),
            &gates,
        ))
    }
}

/// Applies exactly `plan`: re-verifies the release and plan hashes, re-checks gates and the
/// state it was made against, records the deployment's real outcome, then verifies it.
pub fn apply_plan(session: &Session, plan: &PlanRecord, kind: &str) -> Result<DeploymentRecord> {
    if plan.status != PlanStatus::Pending {
        bail!(
            "plan {} is {}, not pending: a plan is applied once; run `ferry plan --env {}` for a new one",
            plan.id.short(),
            plan.status.as_str(),
            plan.env
        );
    }
    check_apply_gates(session, plan, kind == "auto-rollback")?;
    let env = session.env(&plan.env)?;
    let release = session
        .ledger
        .release(&plan.release)?
        .ok_or_else(|| anyhow!("release {} is not in the ledger", plan.release))?;

    let stored_plan = session.plan_dir(&plan.id).join("plan.tfplan");
    let actual = sha256_file(&stored_plan)?;
    if actual != plan.id.hex() {
        bail!(
            "the stored plan file {} does not match plan id {} (it hashes to sha256:{actual}); it was modified — refusing to apply. Run `ferry plan --env {}` again",
            stored_plan.display(),
            plan.id,
            plan.env
        );
    }
    let p = prepare(session, env, &release, &plan.env, true)?;
    // Terraform itself does not notice a plan made against an empty state being applied twice,
    // so ferry compares the state identity the plan was made against, before the engine runs.
    let identity = p.engine.state_identity(&p.module_dir, &p.opts)?;
    let planned = (plan.state_lineage.clone(), plan.state_serial);
    let current = (
        identity.as_ref().map(|i| i.lineage.clone()),
        identity.as_ref().map(|i| i.serial),
    );
    if planned != current {
        session
            .ledger
            .set_plan_status(&plan.id, PlanStatus::Superseded)?;
        bail!(
            "the state of '{}' changed since plan {} was made (serial {} then, {} now); the plan is stale. Run `ferry plan --env {}` again",
            plan.env,
            plan.id.short(),
            planned.1.map_or("none".to_string(), |s| s.to_string()),
            current.1.map_or("none".to_string(), |s| s.to_string()),
            plan.env
        );
    }
    let local_plan = p.module_dir.join("ferry.tfplan");
    std::fs::copy(&stored_plan, &local_plan)
        .with_context(|| format!("cannot copy the plan into {}", p.module_dir.display()))?;

    let by = session.actor()?;
    let deployment_id = session.ledger.begin_deployment(&NewDeployment {
        env: plan.env.clone(),
        release: plan.release.clone(),
        plan: plan.id.clone(),
        by: by.clone(),
        at: now(),
        kind: kind.to_string(),
    })?;
    eprintln!(
        "applying plan {} (release {}) to '{}'",
        plan.id.short(),
        release.id.short(),
        plan.env
    );
    let result = p.engine.apply(&p.module_dir, &local_plan, &p.opts);
    let outcome = match &result {
        Ok(log) => DeploymentOutcome {
            status: DeploymentStatus::Succeeded,
            at: now(),
            verified: false,
            error: None,
            log: tail(&log.output),
        },
        Err(e) => DeploymentOutcome {
            status: DeploymentStatus::Failed,
            at: now(),
            verified: false,
            error: Some(e.to_string()),
            log: tail(e.output().unwrap_or_default()),
        },
    };
    session.ledger.finish_deployment(deployment_id, &outcome)?;
    session.event(
        Some(&plan.env),
        if result.is_ok() {
            "deployment.succeeded"
        } else {
            "deployment.failed"
        },
        Some(&plan.release),
        Some(&plan.id),
        match &outcome.error {
            None => format!("deployed release {} ({kind})", release.id.short()),
            Some(e) => format!("apply failed: {}", e.lines().next().unwrap_or("")),
        },
    )?;
    result.with_context(|| {
        format!(
            "apply of plan {} to '{}' failed; recorded as failed in the ledger",
            plan.id.short(),
            plan.env
        )
    })?;

    crate::verify::verify_deployment(session, env, &release, deployment_id, &p)?;
    find_deployment(session, &plan.env, deployment_id)
}

pub fn find_deployment(session: &Session, env: &str, id: i64) -> Result<DeploymentRecord> {
    session
        .ledger
        .deployments(Some(env))?
        .into_iter()
        .find(|d| d.id == id)
        .ok_or_else(|| anyhow!("deployment #{id} vanished from the ledger"))
}

/// The last 200 lines of engine output: enough to diagnose, small enough for a ledger row.
fn tail(output: &str) -> String {
    let lines: Vec<&str> = output.lines().collect();
    lines[lines.len().saturating_sub(200)..].join("\n")
}
