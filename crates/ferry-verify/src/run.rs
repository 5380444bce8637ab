//! Runs a [`VerifySpec`]: every check once (each with its attempts), then soak rounds until the
//! soak has elapsed. Checks run one after another in configuration order, so a later check can
//! rely on an earlier one having passed (e.g. "port open" before "homepage renders").

use crate::redact::Redactor;
use crate::spec::{format_duration, Check, CheckKind};
use crate::{command, http, Attempt, CheckResult, VerifyContext, VerifyReport, VerifySpec};
use std::time::{Duration, Instant};

/// Runs all checks and reports. Never fails: problems running a check are failed attempts.
/// `progress` receives one line per attempt and round (already redacted), for live output.
pub fn run(spec: &VerifySpec, ctx: &VerifyContext, progress: &mut dyn FnMut(&str)) -> VerifyReport {
    let start = Instant::now();
    let mut secrets = crate::outputs::secrets_in(&ctx.env);
    secrets.extend(ctx.sensitive.iter().cloned());
    let redactor = Redactor::new(&secrets);
    let finish = |passed, checks, soak_rounds, failed_round, summary: String| VerifyReport {
        passed,
        checks,
        duration_ms: u64::try_from(start.elapsed().as_millis()).unwrap_or(u64::MAX),
        soak_rounds,
        failed_round,
        summary,
    };
    if spec.is_empty() {
        let summary = "verified: no checks are configured".to_string();
        progress(&summary);
        return finish(true, Vec::new(), 0, None, summary);
    }
    let first = run_round(spec, ctx, &redactor, 0, progress);
    if let Some(failure) = first_failure(&first) {
        let summary = format!("verification failed: {failure}");
        progress(&summary);
        return finish(false, first, 0, None, summary);
    }
    let count = spec.checks.len();
    if spec.soak.is_zero() {
        let summary = format!("verified: {count} check{} passed", plural(count));
        progress(&summary);
        return finish(true, first, 0, None, summary);
    }
    progress(&format!(
        "all checks passed; soaking for {}, repeating them every {}",
        format_duration(spec.soak),
        format_duration(spec.soak_spacing())
    ));
    let soak_start = Instant::now();
    let mut results = first;
    let mut round = 0;
    while let Some(left) = spec
        .soak
        .checked_sub(soak_start.elapsed())
        .filter(|d| !d.is_zero())
    {
        std::thread::sleep(spec.soak_spacing().min(left));
        round += 1;
        results = run_round(spec, ctx, &redactor, round, progress);
        if let Some(failure) = first_failure(&results) {
            let summary = format!(
                "verification failed in soak round {round}, {} into the {} soak: {failure}",
                format_duration(Duration::from_secs(soak_start.elapsed().as_secs())),
                format_duration(spec.soak)
            );
            progress(&summary);
            return finish(false, results, round, Some(round), summary);
        }
    }
    let summary = format!(
        "verified: {count} check{} passed, then {round} soak round{} over {}",
        plural(count),
        plural(round as usize),
        format_duration(spec.soak)
    );
    progress(&summary);
    finish(true, results, round, None, summary)
}

/// Runs every check even after one failed, so the report shows the whole picture.
fn run_round(
    spec: &VerifySpec,
    ctx: &VerifyContext,
    redactor: &Redactor,
    round: u32,
    progress: &mut dyn FnMut(&str),
) -> Vec<CheckResult> {
    spec.checks
        .iter()
        .map(|check| run_check(check, ctx, redactor, round, progress))
        .collect()
}

fn run_check(
    check: &Check,
    ctx: &VerifyContext,
    redactor: &Redactor,
    round: u32,
    progress: &mut dyn FnMut(&str),
) -> CheckResult {
    let label = if round == 0 {
        String::new()
    } else {
        format!("soak round {round}: ")
    };
    let mut last = Attempt::failed(String::new());
    let mut attempts = 0;
    for attempt in 1..=check.attempts {
        attempts = attempt;
        last = match &check.kind {
            CheckKind::Http(h) => http::attempt(h, check.timeout, redactor),
            other => command::attempt(other, check.timeout, ctx, redactor),
        };
        let verdict = if last.passed { "passed" } else { "failed" };
        let first_line = last.detail.lines().next().unwrap_or_default();
        progress(&format!(
            "{label}{} ({}): attempt {attempt}/{} {verdict}: {first_line}",
            check.name,
            check.kind.label(),
            check.attempts
        ));
        if last.passed {
            break;
        }
        if attempt < check.attempts {
            std::thread::sleep(check.interval);
        }
    }
    CheckResult {
        name: check.name.clone(),
        kind: check.kind.label().into(),
        passed: last.passed,
        attempts,
        detail: last.detail,
        round,
    }
}

fn first_failure(results: &[CheckResult]) -> Option<String> {
    let failed: Vec<&CheckResult> = results.iter().filter(|r| !r.passed).collect();
    let first = failed.first()?;
    let reason = first.detail.lines().next().unwrap_or_default();
    let others = match failed.len() {
        1 => String::new(),
        n => format!(" (and {} more failed)", n - 1),
    };
    Some(format!(
        "check '{}' failed after {} attempt{}: {reason}{others}",
        first.name,
        first.attempts,
        plural(first.attempts as usize)
    ))
}

fn plural(n: usize) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}
