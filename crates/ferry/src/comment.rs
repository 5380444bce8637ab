//! Markdown renderings of a plan and a drift check: the comment a reviewer reads on a pull
//! request or in a CI job summary. The verdict comes first, then what the comment is about
//! (environment, release and commit, plan id, the upstream plan it was compared with), then the
//! changes this environment would get that upstream did not, then the rest, then how to act.

use ferry_app::views::{readiness_line, DriftView, PlanView};
use ferry_plan::Comment;
use std::fmt::Write as _;

fn code(text: &str) -> String {
    format!("`{}`", text.replace('`', "'"))
}

fn short_commit(c: &str) -> &str {
    c.get(..12).unwrap_or(c)
}

fn release_fact(release: &ferry_core::ReleaseId, commit: Option<&str>) -> String {
    match commit {
        Some(c) => format!(
            "{} (commit {})",
            code(release.short()),
            code(short_commit(c))
        ),
        None => code(release.short()),
    }
}

/// `ferry plan --format markdown` and `ferry review --env ENV --format markdown`.
pub fn plan(v: &PlanView, max_findings: Option<usize>) -> String {
    let speculative = v.status == "speculative";
    let mut facts = vec![
        ("Environment".to_string(), code(&v.env)),
        (
            "Release".to_string(),
            release_fact(&v.release, v.release_commit.as_deref()),
        ),
        (
            "Plan".to_string(),
            format!("{} ({})", code(v.plan.short()), v.status),
        ),
    ];
    let compared = match (&v.baseline, &v.upstream) {
        (Some(b), Some(up)) if speculative => format!(
            "the plan of the same release in {} ({})",
            code(up),
            code(b.short())
        ),
        (Some(b), Some(up)) => format!(
            "the plan of the same release applied and verified in {} ({})",
            code(up),
            code(b.short())
        ),
        (None, Some(up)) => format!("nothing: no plan of this release in {} yet", code(up)),
        _ => "nothing: the first environment of the chain".to_string(),
    };
    facts.push(("Compared with".to_string(), compared));
    if let Some(e) = &v.engine {
        // Kind and version; the binary's path says nothing to a reviewer.
        let short = e.split(" (").next().unwrap_or(e);
        facts.push(("Engine".to_string(), short.to_string()));
    }
    let mut footer = Vec::new();
    let results = v.policy["results"].as_array().cloned().unwrap_or_default();
    let count = |level: &str| results.iter().filter(|r| r["level"] == level).count();
    if !results.is_empty() {
        footer.push(format!(
            "**Policy:** {} denial(s), {} warning(s).",
            count("deny"),
            count("warn")
        ));
    }
    if let Some(r) = &v.rehearsal {
        footer.push(format!("**Rollback:** {}", readiness_line(r)));
    }
    if speculative {
        footer.push(
            "_A speculative plan of the pull request's commit: for review only, never approved or applied. After merge ferry plans the release again and the approval is given on that plan._"
                .to_string(),
        );
    } else if let (Some(cmd), "pending") = (&v.approve_command, v.status.as_str()) {
        footer.push(format!("**To approve this exact plan:** {}", code(cmd)));
    }
    let comment = Comment {
        title: format!("ferry plan for {}", code(&v.env)),
        facts,
        upstream: v.upstream.clone(),
        env: v.env.clone(),
        footer,
    };
    ferry_plan::render_markdown_comment(&v.review, &comment, max_findings)
}

fn drift_item(out: &mut String, r: &ferry_plan::DriftedResource) {
    let _ = write!(out, "- {} — {}", code(&r.address), r.action);
    if !r.attributes.is_empty() {
        let names: Vec<String> = r.attributes.iter().map(|a| code(a)).collect();
        let _ = write!(out, " ({})", names.join(", "));
    }
    out.push('\n');
}

/// `ferry drift --format markdown`.
pub fn drift(v: &DriftView) -> String {
    let mut out = String::new();
    let (icon, word) = if v.drift {
        ("🛑", "drift")
    } else {
        ("✅", "no drift")
    };
    let _ = writeln!(
        out,
        "### {icon} ferry drift for {}: **{word}**\n",
        code(&v.env)
    );
    let _ = writeln!(out, "| | |\n|---|---|");
    let _ = writeln!(out, "| Environment | {} |", code(&v.env));
    let _ = writeln!(
        out,
        "| Release | {} |",
        release_fact(&v.release, v.release_commit.as_deref())
    );
    if let Some(d) = v.deployment {
        let _ = writeln!(out, "| Deployment | #{d} |");
    }
    let _ = writeln!(out, "| Checked at | {} |", v.checked_at);
    let _ = writeln!(out, "| Engine | {} |\n", v.engine);
    if !v.changed_outside.is_empty() {
        let _ = writeln!(
            out,
            "#### Changed outside IaC ({})\n",
            v.changed_outside.len()
        );
        for r in &v.changed_outside {
            drift_item(&mut out, r);
        }
        out.push('\n');
    }
    if !v.corrections.is_empty() {
        let _ = writeln!(
            out,
            "#### What applying release {} again would change ({})\n",
            code(v.release.short()),
            v.corrections.len()
        );
        for r in &v.corrections {
            drift_item(&mut out, r);
        }
        out.push('\n');
    }
    if !v.drift {
        out.push_str("The environment matches the release it runs.\n");
    } else {
        let _ = writeln!(
            out,
            "To bring {} back to the release, promote it again: `ferry promote --to {} --release {}`; or change the IaC to match what was changed.",
            code(&v.env),
            v.env,
            v.release.short()
        );
    }
    out
}
