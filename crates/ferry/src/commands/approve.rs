//! `ferry approve` and `ferry reject`: a person's recorded yes or no for one exact plan.

use crate::cli::{ApproveArgs, RejectArgs};
use crate::exit::Blocked;
use crate::output::{print_json, Format};
use crate::session::{now, Session};
use anyhow::{bail, Result};
use ferry_core::Verdict;
use ferry_store::{ApprovalRecord, Ledger, PlanStatus};
use std::path::Path;

/// Where an approval came from: the CI run when there is one, else the CLI.
fn source() -> String {
    for (var, label) in [
        ("GITHUB_RUN_ID", "github-actions run"),
        ("CI_PIPELINE_URL", "gitlab pipeline"),
        ("BUILD_URL", "ci build"),
    ] {
        if let Ok(v) = std::env::var(var) {
            if !v.is_empty() {
                return format!("{label} {v}");
            }
        }
    }
    "cli".to_string()
}

pub fn approve(dir: Option<&Path>, format: Format, args: ApproveArgs) -> Result<()> {
    let session = Session::open(dir)?;
    let env = session.env(&args.env)?;
    let plan = session.resolve_plan(&args.env, args.plan.as_deref())?;
    if plan.status != PlanStatus::Pending {
        bail!(
            "plan {} is {}, not pending; only a pending plan can be approved",
            plan.id.short(),
            plan.status.as_str()
        );
    }
    let who = session.actor()?;
    check_approver(&session, env, &plan, &who)?;
    let existing = session.ledger.approvals(&plan.id)?;
    if existing
        .iter()
        .any(|a| a.by == who && a.decision == "approve")
    {
        bail!(
            "{who} already approved plan {}; a second approval must come from someone else",
            plan.id.short()
        );
    }
    let (denials, warnings) = crate::assess::policy_counts(&plan.policy);
    if plan.verdict == Verdict::Block || denials > 0 {
        return Err(Blocked(format!(
            "plan {} cannot be approved: {}; see `ferry review --env {}`",
            plan.id.short(),
            if plan.verdict == Verdict::Block {
                "its review verdict is block"
            } else {
                "a policy denies it"
            },
            args.env
        ))
        .into());
    }
    let has_warnings = plan.verdict == Verdict::Warn || warnings > 0;
    if has_warnings && !args.acknowledge_warnings {
        return Err(Blocked(format!(
            "plan {} has warnings (review verdict {}, {warnings} policy warning(s)); read them with `ferry review --env {}` and approve with --acknowledge-warnings",
            plan.id.short(),
            plan.verdict,
            args.env
        ))
        .into());
    }
    let record = ApprovalRecord {
        plan: plan.id.clone(),
        env: args.env.clone(),
        by: who.clone(),
        at: now(),
        decision: "approve".into(),
        reason: None,
        acknowledged_warnings: has_warnings && args.acknowledge_warnings,
        source: source(),
    };
    session.ledger.record_approval(&record)?;
    session.event(
        Some(&args.env),
        "approval",
        Some(&plan.release),
        Some(&plan.id),
        format!("approved by {who}"),
    )?;
    let have = existing.iter().filter(|a| a.decision == "approve").count() + 1;
    if format == Format::Json {
        return print_json(
            &serde_json::json!({"approval": record, "approvals": have, "needed": env.approvals}),
        );
    }
    println!(
        "{who} approved plan {} for '{}' ({have} of {} needed)",
        plan.id.short(),
        args.env,
        env.approvals
    );
    if let Some(r) = session.ledger.latest_rehearsal(&plan.release)? {
        println!("{}", crate::commands::rehearse::readiness_line(&r));
    }
    Ok(())
}

/// Separation of duties: only listed approvers (identities or `group:NAME`), and — by default
/// wherever approvals are required — never the release's author or the person who ran the plan.
fn check_approver(
    session: &Session,
    env: &ferry_core::EnvironmentConfig,
    plan: &ferry_store::PlanRecord,
    who: &str,
) -> Result<()> {
    if !env.approvers.is_empty() {
        let groups = &session.project.config.groups;
        let allowed = env
            .approvers
            .iter()
            .any(|a| match a.strip_prefix("group:") {
                Some(g) => groups
                    .get(g)
                    .is_some_and(|members| members.iter().any(|m| m == who)),
                None => a == who,
            });
        if !allowed {
            return Err(Blocked(format!(
                "{who} may not approve plans for '{}': approvers are {}",
                env.name(),
                env.approvers.join(", ")
            ))
            .into());
        }
    }
    if env.forbid_self_approval.unwrap_or(env.approvals > 0) {
        let release = session.ledger.release(&plan.release)?;
        let mut roles = Vec::new();
        if release.as_ref().is_some_and(|r| r.author == who) {
            roles.push("authored the release's commit");
        }
        if release.as_ref().is_some_and(|r| r.created_by == who) {
            roles.push("cut the release");
        }
        if plan.created_by == who {
            roles.push("ran the plan");
        }
        if !roles.is_empty() {
            return Err(Blocked(format!(
                "{who} {} and so may not approve it (forbid_self_approval): someone else must approve plan {}",
                roles.join(" and "),
                plan.id.short()
            ))
            .into());
        }
    }
    Ok(())
}

pub fn reject(dir: Option<&Path>, format: Format, args: RejectArgs) -> Result<()> {
    let session = Session::open(dir)?;
    session.env(&args.env)?;
    let plan = session.resolve_plan(&args.env, args.plan.as_deref())?;
    if plan.status != PlanStatus::Pending {
        bail!(
            "plan {} is {}, not pending",
            plan.id.short(),
            plan.status.as_str()
        );
    }
    let who = session.actor()?;
    let record = ApprovalRecord {
        plan: plan.id.clone(),
        env: args.env.clone(),
        by: who.clone(),
        at: now(),
        decision: "reject".into(),
        reason: Some(args.reason.clone()),
        acknowledged_warnings: false,
        source: source(),
    };
    session.ledger.record_approval(&record)?;
    session
        .ledger
        .set_plan_status(&plan.id, PlanStatus::Rejected)?;
    session.event(
        Some(&args.env),
        "rejection",
        Some(&plan.release),
        Some(&plan.id),
        format!("rejected by {who}: {}", args.reason),
    )?;
    if format == Format::Json {
        return print_json(&record);
    }
    println!(
        "{who} rejected plan {} for '{}': {}",
        plan.id.short(),
        args.env,
        args.reason
    );
    Ok(())
}
