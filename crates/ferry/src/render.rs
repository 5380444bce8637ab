//! Human renderings of the operations' views. JSON is the views themselves (serde); markdown is
//! offered only where it is implemented (review, audit).

use crate::output::{color_stdout, line, out};
use ferry_app::views::{
    AdviceView, ApprovalView, DriftView, PlanView, PromoteView, ReleaseListed, ReleaseShown,
    StatusView, UnlockView,
};
use ferry_store::{ApprovalRecord, DeploymentRecord, Event, RehearsalRecord};

fn short_commit(c: &str) -> &str {
    c.get(..12).unwrap_or(c)
}

pub fn readiness(r: &RehearsalRecord) -> String {
    ferry_app::views::readiness_line(r)
}

pub fn policy(policy: &serde_json::Value) {
    for r in policy["results"].as_array().into_iter().flatten() {
        line(format!(
            "  policy {}: {} ({} {})",
            r["level"].as_str().unwrap_or("?"),
            r["message"].as_str().unwrap_or(""),
            r["source"].as_str().unwrap_or(""),
            r["rule"].as_str().unwrap_or("")
        ));
    }
}

/// A plan as a reviewer reads it: which release, against which upstream plan, the review, the
/// rollback readiness, the policies, and the command that approves it.
pub fn plan(v: &PlanView) {
    line(format!(
        "plan {} for '{}' (release {})",
        v.plan,
        v.env,
        v.release.short()
    ));
    if let Some(engine) = &v.engine {
        line(format!("made with {engine}"));
    }
    match (&v.baseline, &v.upstream) {
        (Some(b), Some(up)) => line(format!(
            "compared with the plan of the same release applied and verified in '{up}' ({})",
            b.short()
        )),
        (None, Some(up)) => line(format!(
            "no plan of this release was applied and verified in '{up}' to compare with"
        )),
        _ => {}
    }
    out(&ferry_plan::render_human(&v.review, color_stdout()));
    match (&v.rehearsal, &v.upstream) {
        (Some(r), _) => line(readiness(r)),
        (None, Some(up)) if v.upstream_rehearses => line(format!(
            "rollback readiness: not rehearsed in '{up}' for this release"
        )),
        _ => {}
    }
    policy(&v.policy);
    if v.status == "speculative" {
        line("speculative plan: for review only; it is never approved or applied");
    }
    if let (Some(cmd), "pending") = (&v.approve_command, v.status.as_str()) {
        line(format!("to approve this exact plan: {cmd}"));
    }
}

pub fn deployment(d: &DeploymentRecord) {
    line(format!(
        "deployed release {} to '{}' (deployment #{}, {}, plan {}){}",
        d.release.short(),
        d.env,
        d.id,
        d.kind,
        d.plan.short(),
        if d.verified { ", verified" } else { "" }
    ));
}

pub fn promoted(v: &PromoteView) {
    plan(&v.plan);
    if let Some(d) = &v.deployment {
        deployment(d);
    }
    if let Some(r) = &v.rehearsal {
        line(readiness(r));
    }
}

pub fn approved(v: &ApprovalView) {
    line(format!(
        "{} approved plan {} for '{}'{} ({} of {} needed)",
        v.approval.by,
        v.approval.plan.short(),
        v.approval.env,
        if v.approval.signature.is_some() {
            ", signed"
        } else {
            ""
        },
        v.approvals,
        v.needed
    ));
    if let Some(r) = &v.rehearsal {
        line(readiness(r));
    }
    advice(&v.advice, false);
}

/// Advice, labelled as untrusted and quoted line by line, so a model's text can never pass for
/// ferry's own output. `full`: the whole answer; otherwise its first lines.
pub fn advice(list: &[AdviceView], full: bool) {
    const PREVIEW: usize = 6;
    for a in list {
        let r = &a.record;
        line(format!(
            "Advice on plan {} from {} ({} v{}, asked by {} at {}) — {}",
            r.plan.short(),
            r.model,
            r.template,
            r.template_version,
            r.by,
            r.at,
            a.label
        ));
        let lines: Vec<&str> = r.answer.lines().collect();
        let shown = if full {
            lines.len()
        } else {
            PREVIEW.min(lines.len())
        };
        for l in &lines[..shown] {
            line(format!("  │ {l}"));
        }
        if shown < lines.len() {
            line(format!(
                "  │ … {} more line(s): `ferry review --env {}`",
                lines.len() - shown,
                r.env
            ));
        }
    }
}

pub fn rejected(r: &ApprovalRecord) {
    line(format!(
        "{} rejected plan {} for '{}': {}",
        r.by,
        r.plan.short(),
        r.env,
        r.reason.as_deref().unwrap_or("")
    ));
}

pub fn status(v: &StatusView) {
    for e in &v.environments {
        let from = e
            .from
            .as_ref()
            .map(|f| format!(" (from {f})"))
            .unwrap_or_default();
        line(format!("{}{from}", e.name));
        match &e.current_release {
            Some(r) => line(format!("  current release  {}", r.short())),
            None => line("  current release  none"),
        }
        if let Some(d) = &e.last_deployment {
            line(format!(
                "  last deployment  #{} {} {} of {} by {} at {}{}",
                d.id,
                d.kind,
                d.status,
                d.release.short(),
                d.by,
                d.started_at,
                if d.verified { ", verified" } else { "" }
            ));
        }
        if let Some(p) = &e.pending_plan {
            line(format!(
                "  pending plan     {} of {} (review {}, approvals {}/{})",
                p.id.short(),
                p.release.short(),
                p.verdict,
                p.approvals_counted.len(),
                p.approvals_needed
            ));
            for g in &p.unmet_gates {
                line(format!("    unmet: {g}"));
            }
            if let Some(a) = &p.advice {
                line(format!(
                    "    advice: from {} at {} ({}); `ferry review --env {}` shows it",
                    a.record.model, a.record.at, a.label, e.name
                ));
            }
        }
        if let Some(l) = &e.lock {
            line(format!(
                "  locked           by {} since {} for {}",
                l.holder, l.since, l.purpose
            ));
        }
    }
}

pub fn history(events: &[Event]) {
    for e in events {
        line(format!(
            "{}  {:<8} {:<22} {:<24} {}",
            e.at,
            e.env.as_deref().unwrap_or("-"),
            e.kind,
            e.actor,
            e.message
        ));
    }
}

pub fn releases(list: &[ReleaseListed]) {
    if list.is_empty() {
        crate::say!("no releases yet; run `ferry release create`");
    }
    for r in list {
        let rel = &r.release;
        line(format!(
            "{}  {}  {}{}{}  {}",
            rel.id.short(),
            short_commit(&rel.commit),
            rel.created_at,
            if rel.dirty { "  dirty" } else { "" },
            if rel.abandoned.is_some() {
                "  ABANDONED"
            } else {
                ""
            },
            if r.known_good_in.is_empty() {
                format!("\"{}\"", rel.subject)
            } else {
                format!(
                    "\"{}\" (known-good in {})",
                    rel.subject,
                    r.known_good_in.join(", ")
                )
            }
        ));
    }
}

pub fn release(v: &ReleaseShown) {
    let r = &v.release;
    line(format!("release   {}", r.id));
    line(format!(
        "commit    {}{}",
        r.commit,
        if r.dirty { " (dirty work tree)" } else { "" }
    ));
    line(format!("subject   {}", r.subject));
    line(format!("author    {}", r.author));
    line(format!("created   {} by {}", r.created_at, r.created_by));
    line(format!("artifact  verified ({} files)", v.files.len()));
    if let Some(a) = &r.abandoned {
        line(format!("ABANDONED {} by {}: {}", a.at, a.by, a.reason));
    }
    for d in &v.deployments {
        line(format!(
            "deployed  {} #{} {} {} {}{}",
            d.env,
            d.id,
            d.kind,
            d.status,
            d.started_at,
            if d.verified { " verified" } else { "" }
        ));
    }
}

pub fn unlocked(v: &UnlockView, reason: &str) {
    match &v.released {
        Some(l) => line(format!(
            "unlocked '{}' (held by {} since {} for {}): {reason}",
            v.env, l.holder, l.since, l.purpose
        )),
        None => line(format!("'{}' was not locked", v.env)),
    }
}

fn drifted(r: &ferry_plan::DriftedResource) -> String {
    if r.attributes.is_empty() {
        format!("  {} ({})", r.address, r.action)
    } else {
        format!(
            "  {} ({}: {})",
            r.address,
            r.action,
            r.attributes.join(", ")
        )
    }
}

pub fn drift(v: &DriftView) {
    let on = match v.deployment {
        Some(d) => format!("deployment #{d} of release {}", v.release.short()),
        None => format!("release {} (not deployed here)", v.release.short()),
    };
    if !v.drift {
        line(format!("no drift: '{}' matches {on}", v.env));
        return;
    }
    line(format!("DRIFT: '{}' no longer matches {on}", v.env));
    if !v.changed_outside.is_empty() {
        line(format!(
            "changed outside IaC ({}):",
            v.changed_outside.len()
        ));
        for r in &v.changed_outside {
            line(drifted(r));
        }
    }
    if !v.corrections.is_empty() {
        line(format!(
            "applying release {} again would change ({}):",
            v.release.short(),
            v.corrections.len()
        ));
        for r in &v.corrections {
            line(drifted(r));
        }
    }
}
