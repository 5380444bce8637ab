//! Watching a rollout: after an apply, the environment's `[[environment.verify]]` checks run
//! (ferry-verify) with FERRY_ENV, FERRY_RELEASE and the engine's outputs as environment
//! variables. Only a verified deployment makes its release known-good there.

use crate::session::{now, Session};
use crate::workflow::Prepared;
use anyhow::Result;
use ferry_core::EnvironmentConfig;
use ferry_store::{Ledger, ReleaseRecord};

/// Verification ran and failed: the deployment stands, but the release is not known-good.
#[derive(Debug, thiserror::Error)]
#[error("verification of deployment #{deployment} in '{env}' failed: {detail}")]
pub struct VerificationFailed {
    pub env: String,
    pub deployment: i64,
    pub detail: String,
}

pub fn verify_deployment(
    session: &Session,
    env: &EnvironmentConfig,
    release: &ReleaseRecord,
    deployment: i64,
    p: &Prepared,
) -> Result<()> {
    let spec = ferry_verify::VerifySpec::from_tables(&env.verify)?;
    if spec.is_empty() {
        session.ledger.record_verification(
            deployment,
            true,
            &serde_json::json!({"passed": true, "checks": []}),
            &now(),
        )?;
        return Ok(());
    }
    eprintln!("verifying '{}': {} check(s)", env.name(), env.verify.len());
    let outputs = p.engine.outputs(&p.module_dir, &p.opts)?;
    let mut vars = vec![
        ("FERRY_ENV".to_string(), env.name().to_string()),
        ("FERRY_RELEASE".to_string(), release.id.to_string()),
    ];
    vars.extend(ferry_verify::output_env(&outputs));
    let ctx = ferry_verify::VerifyContext {
        env: vars,
        workdir: p.module_dir.clone(),
        sensitive: ferry_verify::sensitive_values(&outputs),
    };
    let label = env.name().to_string();
    let report = ferry_verify::run(&spec, &ctx, &mut |line: &str| eprintln!("[{label}] {line}"));
    let json = serde_json::to_value(&report)?;
    session
        .ledger
        .record_verification(deployment, report.passed, &json, &now())?;
    if report.passed {
        session.event(
            Some(env.name()),
            "verification.passed",
            Some(&release.id),
            None,
            format!("deployment #{deployment} verified"),
        )?;
        return Ok(());
    }
    let detail = report
        .checks
        .iter()
        .filter(|c| !c.passed)
        .map(|c| {
            format!(
                "{} ({} attempt(s)): {}",
                c.name,
                c.attempts,
                c.detail.lines().last().unwrap_or("")
            )
        })
        .collect::<Vec<_>>()
        .join("; ");
    session.event(
        Some(env.name()),
        "verification.failed",
        Some(&release.id),
        None,
        format!("deployment #{deployment}: {detail}"),
    )?;
    Err(VerificationFailed {
        env: env.name().to_string(),
        deployment,
        detail,
    }
    .into())
}
