//! Watching a rollout: after an apply, the environment's `[[environment.verify]]` checks (from
//! the release, validated when the config loaded) run with FERRY_ENV, FERRY_RELEASE and the
//! engine's outputs; only a verified deployment makes its release known-good there.
//!
//! Running the checks and recording their result are separate halves: in team mode the runner
//! (which can reach the environment) runs them and the server records the report.

use super::workdir::Workdir;
use crate::context::{App, Claim};
use crate::error::{AppError, Result};
use crate::observer::Note;
use ferry_core::settings::GateSettings;
use ferry_store::ReleaseRecord;
use ferry_verify::VerifyReport;

impl App {
    pub(crate) fn verify_deployment(
        &self,
        who: &Claim,
        s: &GateSettings,
        release: &ReleaseRecord,
        deployment: i64,
        wd: &Workdir,
    ) -> Result<()> {
        let report = self.run_verification(s, release, wd)?;
        self.record_verification_report(who, s, release, deployment, report.as_ref())
    }

    /// Runs `s.env`'s checks against the deployment in `wd`; `None` when none are configured.
    pub(crate) fn run_verification(
        &self,
        s: &GateSettings,
        release: &ReleaseRecord,
        wd: &Workdir,
    ) -> Result<Option<VerifyReport>> {
        let spec = ferry_verify::VerifySpec::from_tables(&s.verify)?;
        let env = s.env.as_str();
        if spec.is_empty() {
            return Ok(None);
        }
        self.step(&format!("verifying '{env}': {} check(s)", s.verify.len()));
        let outputs = wd.engine.outputs(&wd.module_dir, &wd.opts)?;
        let mut vars = vec![
            ("FERRY_ENV".to_string(), env.to_string()),
            ("FERRY_RELEASE".to_string(), release.id.to_string()),
        ];
        vars.extend(ferry_verify::output_env(&outputs));
        let ctx = ferry_verify::VerifyContext {
            env: vars,
            workdir: wd.module_dir.clone(),
            sensitive: ferry_verify::sensitive_values(&outputs),
        };
        for v in &ctx.sensitive {
            self.redactor.add(v);
        }
        let observer = self.observer.clone();
        let redactor = self.redactor.clone();
        let report = ferry_verify::run(&spec, &ctx, &mut |line: &str| {
            observer.note(Note::Verify {
                env,
                line: &redactor.redact(line),
            })
        });
        Ok(Some(report))
    }

    /// Records the verification of `deployment`: passed (no checks configured, or every check
    /// passed) or failed, which is an error naming the failing checks.
    pub(crate) fn record_verification_report(
        &self,
        who: &Claim,
        s: &GateSettings,
        release: &ReleaseRecord,
        deployment: i64,
        report: Option<&VerifyReport>,
    ) -> Result<()> {
        let env = s.env.as_str();
        let Some(report) = report else {
            let ev = self.event(
                who.as_str(),
                Some(env),
                "verification.passed",
                Some(&release.id),
                None,
                format!("deployment #{deployment}: no checks configured"),
            );
            self.ledger.record_verification(
                deployment,
                true,
                &serde_json::json!({"passed": true, "checks": []}),
                &self.now(),
                &ev,
            )?;
            return Ok(());
        };
        let json = self.redact_json(serde_json::to_value(report).unwrap_or_default());
        if report.passed {
            let ev = self.event(
                who.as_str(),
                Some(env),
                "verification.passed",
                Some(&release.id),
                None,
                format!("deployment #{deployment} verified"),
            );
            self.ledger
                .record_verification(deployment, true, &json, &self.now(), &ev)?;
            return Ok(());
        }
        let detail = self.redact(
            &report
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
                .join("; "),
        );
        let ev = self.event(
            who.as_str(),
            Some(env),
            "verification.failed",
            Some(&release.id),
            None,
            format!("deployment #{deployment}: {detail}"),
        );
        self.ledger
            .record_verification(deployment, false, &json, &self.now(), &ev)?;
        Err(AppError::VerificationFailed {
            env: env.to_string(),
            deployment,
            detail,
            outcome: None,
        })
    }
}
