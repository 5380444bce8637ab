//! `ferry policy test [DIR]` and `ferry policy eval PLAN.json [--policy DIR] [--env ENV]`.

use crate::cli::PolicyCommand;
use crate::exit::{Blocked, Failed};
use crate::front::Ctx;
use crate::output::{json, line, Format};
use anyhow::Result;
use ferry_app::ops::policy::{policy_eval, policy_test, PolicyEvalInput};
use ferry_policy::{PolicyReport, TestReport};

pub fn run(ctx: &Ctx, cmd: PolicyCommand) -> Result<()> {
    let start = ctx.start().ok();
    match cmd {
        PolicyCommand::Test { dir } => {
            let report = policy_test(start.as_deref(), dir)?;
            match ctx.format {
                Format::Json => json(&report),
                _ => print_tests(&report),
            }
            let failed = report.failures().count();
            if failed > 0 {
                return Err(Failed(format!(
                    "{failed} of {} policy test(s) failed",
                    report.tests.len()
                ))
                .into());
            }
            Ok(())
        }
        PolicyCommand::Eval { plan, policy, env } => {
            let report = policy_eval(&PolicyEvalInput {
                start: start.as_deref(),
                plan: &plan,
                policy,
                env,
            })?;
            match ctx.format {
                Format::Json => json(&report),
                _ => print_report(&report),
            }
            let denies = report.denies().count();
            if denies > 0 {
                return Err(
                    Blocked(format!("{denies} policy deny(s) for {}", plan.display())).into(),
                );
            }
            Ok(())
        }
    }
}

fn print_tests(report: &TestReport) {
    for t in &report.tests {
        let place = match t.line {
            Some(l) => format!("{}:{l}", t.source),
            None => t.source.clone(),
        };
        line(format!(
            "{}  {} ({place})",
            if t.passed { "PASS" } else { "FAIL" },
            t.name
        ));
        if let Some(m) = &t.message {
            line(format!("      {m}"));
        }
    }
    let failed = report.failures().count();
    line(format!(
        "{} passed, {failed} failed",
        report.tests.len() - failed
    ));
}

fn print_report(report: &PolicyReport) {
    for r in &report.results {
        let place = match r.line {
            Some(l) => format!("{}:{l}", r.source),
            None => r.source.clone(),
        };
        line(format!(
            "{:<4}  {place} [{}]: {}",
            r.level, r.rule, r.message
        ));
    }
    let (d, w) = (report.denies().count(), report.warnings().count());
    if d == 0 && w == 0 {
        line("policy: pass");
    } else {
        line(format!("policy: {d} deny, {w} warn"));
    }
}
