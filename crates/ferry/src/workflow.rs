//! The two steps every promotion is made of, shared by `plan`, `apply`, `promote` and `rollback`:
//! plan a release for an environment (engine plan + review + policy, stored in the ledger), and
//! apply exactly one stored plan after re-checking every gate and every hash.

use crate::assess;
use crate::session::{blocked, now, sha256_file, Session};
use anyhow::{anyhow, bail, Context as _, Result};
use ferry_core::promotion::{apply_gates, ApplyFacts};
use ferry_core::{PlanId, Review};
use ferry_engine::StateBackend;
use ferry_store::{
    DeploymentOutcome, DeploymentRecord, DeploymentStatus, Ledger, NewDeployment, PlanRecord, PlanStatus, ReleaseRecord,
};
use std::path::{Path, PathBuf};

/// What `plan_env` produced.
pub struct Planned {
    pub record: PlanRecord,
    pub review: Review,
}

fn backend(session: &Session, env: &ferry_core::EnvironmentConfig) -> StateBackend {
    if env.backend_config.is_empty() {
        StateBackend::Local { path: session.state_path(env.name()) }
    } else {
        StateBackend::Configured { settings: env.backend_config.clone() }
    }
}

/// Unpacks the release, initialises the engine in it and returns (root module dir, var files).
fn prepare(session: &Session, env: &ferry_core::EnvironmentConfig, release: &ReleaseRecord, apply: bool) -> Result<(PathBuf, Vec<PathBuf>, ferry_engine::Engine, ferry_engine::RunOptions)> {
    let engine = session.engine()?;
    let opts = session.run_options(env.name(), apply)?;
    let work = session.unpack_workdir(env.name(), &release.id)?;
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
            bail!("environment '{}': var file '{v}' is not in release {} (is it committed?)", env.name(), release.id.short());
        }
        var_files.push(path);
    }
    engine.init(&module_dir, &backend(session, env), &opts)?;
    Ok((module_dir, var_files, engine, opts))
}

/// Plans `release` for `env`: checks the entry gates, runs the engine, reviews against the
/// upstream plan of the same release, evaluates policy, and stores everything.
pub fn plan_env(session: &Session, env_name: &str, release: &ReleaseRecord) -> Result<Planned> {
    let env = session.env(env_name)?;
    let gates = session.entry_gates(env, release)?;
    if !gates.is_empty() {
        return Err(blocked(&format!("release {} may not enter '{env_name}':", release.id.short()), &gates));
    }
    eprintln!("planning release {} for '{env_name}'", release.id.short());
    let (module_dir, var_files, engine, opts) = prepare(session, env, release, false)?;
    let identity = engine.state_identity(&module_dir, &opts)?;
    let tmp_plan = module_dir.join("ferry.tfplan");
    engine.plan(&module_dir, &var_files, &tmp_plan, &opts)?;
    let json = engine.show_json(&module_dir, &tmp_plan, &opts)?;

    let plan_id = PlanId::from_hex(&sha256_file(&tmp_plan)?)?;
    let dir = session.plan_dir(&plan_id);
    std::fs::create_dir_all(&dir).with_context(|| format!("cannot create {}", dir.display()))?;
    write_private(&dir.join("plan.json"), &json)?;
    std::fs::copy(&tmp_plan, dir.join("plan.tfplan")).with_context(|| format!("cannot store the plan file in {}", dir.display()))?;

    let baseline = match env.from_env() {
        Some(up) => session.ledger.latest_plan_for(up, &release.id)?,
        None => None,
    };
    let baseline_json = baseline.as_ref().map(|b| session.plan_dir(&b.id).join("plan.json"));
    let release_root = module_dir.ancestors().nth(rel_depth(&session.project.config.project.root)).unwrap_or(&module_dir).to_path_buf();
    let release_text = release.id.to_string();
    let assessed = assess::assess(&release_root, env_name, Some(&release_text), &dir.join("plan.json"), baseline_json.as_deref())?;
    let policy_denials = assessed.policy.denies().count();

    let record = PlanRecord {
        id: plan_id.clone(),
        env: env_name.to_string(),
        release: release.id.clone(),
        created_by: session.actor()?,
        created_at: now(),
        status: PlanStatus::Pending,
        summary: assessed.review.summary,
        verdict: assessed.review.verdict,
        review: serde_json::to_value(&assessed.review)?,
        policy: assessed.policy_json(),
        policy_denied: policy_denials > 0,
        state_lineage: identity.as_ref().map(|i| i.lineage.clone()),
        state_serial: identity.as_ref().map(|i| i.serial),
        baseline: baseline.map(|b| b.id),
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
    Ok(Planned { record, review: assessed.review })
}

/// How many directories deep the root module sits in the release (`infra` → 1).
fn rel_depth(root: &str) -> usize {
    Path::new(root).components().filter(|c| matches!(c, std::path::Component::Normal(_))).count()
}

fn write_private(path: &Path, bytes: &[u8]) -> Result<()> {
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
    let mut f = opts.open(&tmp).with_context(|| format!("cannot write {}", tmp.display()))?;
    f.write_all(bytes).and_then(|_| f.sync_all()).with_context(|| format!("cannot write {}", tmp.display()))?;
    std::fs::rename(&tmp, path).with_context(|| format!("cannot write {}", path.display()))?;
    Ok(())
}

/// Why `plan` may not be applied now, as a [`Blocked`] error, or `Ok` when every gate is met.
pub fn check_apply_gates(session: &Session, plan: &PlanRecord) -> Result<()> {
    let env = session.env(&plan.env)?;
    let release = session
        .ledger
        .release(&plan.release)?
        .ok_or_else(|| anyhow!("plan {} names release {} which is not in the ledger", plan.id.short(), plan.release))?;
    let mut gates = session.entry_gates(env, &release)?;
    let approvals = session.ledger.approvals(&plan.id)?;
    let approvers: Vec<&str> = approvals.iter().filter(|a| a.decision == "approve").map(|a| a.by.as_str()).collect();
    let (denials, warnings) = assess::policy_counts(&plan.policy);
    gates.extend(apply_gates(&ApplyFacts {
        env: env.name(),
        verdict: plan.verdict,
        policy_denials: denials,
        policy_warnings: warnings,
        approvals_needed: env.approvals,
        approvers,
        warnings_acknowledged: approvals.iter().any(|a| a.decision == "approve" && a.acknowledged_warnings),
    }));
    if gates.is_empty() {
        Ok(())
    } else {
        Err(blocked(&format!("plan {} may not be applied to '{}':", plan.id.short(), plan.env), &gates))
    }
}

/// Applies exactly `plan`: re-verifies the release and plan hashes, re-checks gates and the
/// state it was made against, and records the deployment's real outcome.
pub fn apply_plan(session: &Session, plan: &PlanRecord, kind: &str) -> Result<DeploymentRecord> {
    if plan.status != PlanStatus::Pending {
        bail!(
            "plan {} is {}, not pending: a plan is applied once; run `ferry plan --env {}` for a new one",
            plan.id.short(),
            plan.status.as_str(),
            plan.env
        );
    }
    check_apply_gates(session, plan)?;
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
    let (module_dir, _var_files, engine, opts) = prepare(session, env, &release, true)?;
    let identity = engine.state_identity(&module_dir, &opts)?;
    let planned = (plan.state_lineage.clone(), plan.state_serial);
    let current = (identity.as_ref().map(|i| i.lineage.clone()), identity.as_ref().map(|i| i.serial));
    if planned != current {
        session.ledger.set_plan_status(&plan.id, PlanStatus::Superseded)?;
        bail!(
            "the state of '{}' changed since plan {} was made (serial {:?} then, {:?} now); the plan is stale. Run `ferry plan --env {}` again",
            plan.env,
            plan.id.short(),
            planned.1,
            current.1,
            plan.env
        );
    }
    let local_plan = module_dir.join("ferry.tfplan");
    std::fs::copy(&stored_plan, &local_plan).with_context(|| format!("cannot copy the plan into {}", module_dir.display()))?;

    let by = session.actor()?;
    let deployment_id = session.ledger.begin_deployment(&NewDeployment {
        env: plan.env.clone(),
        release: plan.release.clone(),
        plan: plan.id.clone(),
        by: by.clone(),
        at: now(),
        kind: kind.to_string(),
    })?;
    eprintln!("applying plan {} (release {}) to '{}'", plan.id.short(), release.id.short(), plan.env);
    let result = engine.apply(&module_dir, &local_plan, &opts);
    let outcome = match &result {
        Ok(log) => DeploymentOutcome { status: DeploymentStatus::Succeeded, at: now(), verified: true, error: None, log: tail(&log.output) },
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
        if result.is_ok() { "deployment.succeeded" } else { "deployment.failed" },
        Some(&plan.release),
        Some(&plan.id),
        match &outcome.error {
            None => format!("deployed release {} ({kind})", release.id.short()),
            Some(e) => format!("apply failed: {}", first_line(e)),
        },
    )?;
    result.with_context(|| format!("apply of plan {} to '{}' failed; recorded as failed in the ledger", plan.id.short(), plan.env))?;
    session
        .ledger
        .deployments(Some(&plan.env))?
        .into_iter()
        .find(|d| d.id == deployment_id)
        .ok_or_else(|| anyhow!("deployment #{deployment_id} vanished from the ledger"))
}

fn first_line(s: &str) -> &str {
    s.lines().next().unwrap_or("")
}

/// The last 200 lines of engine output: enough to diagnose, small enough for a ledger row.
fn tail(output: &str) -> String {
    let lines: Vec<&str> = output.lines().collect();
    lines[lines.len().saturating_sub(200)..].join("\n")
}
