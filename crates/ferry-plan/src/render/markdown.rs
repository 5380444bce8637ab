//! The pull-request comment: a headline verdict, the summary as a table, one section per kind of
//! finding, long sections folded in `<details>`. It always fits GitHub's 65,536-character comment
//! limit: past [`MARKDOWN_LIMIT`] the remaining findings are counted, not listed.

use super::{severity_counts, summary_line};
use ferry_core::{Finding, FindingKind, Review, Severity, Verdict};
use std::fmt::Write as _;

/// Longest comment produced, below GitHub's 65,536 with room for a CI's own header.
pub const MARKDOWN_LIMIT: usize = 60_000;
/// Sections with more findings than this are folded.
const FOLD_AFTER: usize = 5;
/// Room kept for closing the open section and the trailer.
const RESERVE: usize = 600;

fn icon(s: Severity) -> &'static str {
    match s {
        Severity::Block => "🛑",
        Severity::Warn => "⚠️",
        Severity::Info => "ℹ️",
    }
}

/// Escapes text so that it renders literally in GitHub markdown and inside HTML blocks.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '\\' | '`' | '*' | '_' | '[' | ']' | '|' | '~' | '#' => {
                out.push('\\');
                out.push(c);
            }
            '\n' | '\r' => out.push(' '),
            _ => out.push(c),
        }
    }
    out
}

fn item(f: &Finding) -> String {
    let mut line = format!("- `{}`", f.address.replace('`', "'"));
    if let Some(a) = &f.attribute {
        let _ = write!(line, " · `{}`", a.replace('`', "'"));
    }
    let _ = write!(line, " — {}", escape(&f.message));
    if !f.explained_by.is_empty() {
        let _ = write!(
            line,
            " *(explained by {})*",
            escape(&f.explained_by.join(", "))
        );
    }
    line.push('\n');
    line
}

/// A review as a GitHub pull-request comment (at most [`MARKDOWN_LIMIT`] characters).
pub fn render_markdown(review: &Review) -> String {
    render_markdown_capped(review, None)
}

/// [`render_markdown`] listing at most `max_findings` findings (worst first), for the CLI's
/// `--max-findings`; the comment size limit applies as well, whichever comes first.
pub fn render_markdown_capped(review: &Review, max_findings: Option<usize>) -> String {
    render(review, None, max_findings)
}

/// What a comment about one environment's plan says besides the review, so a reviewer knows
/// what they are looking at and how to act on it.
#[derive(Debug, Clone, Default)]
pub struct Comment {
    /// "ferry plan for `prod`": the headline after the verdict icon.
    pub title: String,
    /// Labelled facts shown as a table under the headline (environment, release, plan, …).
    pub facts: Vec<(String, String)>,
    /// The environment the baseline came from: `not-in-baseline` findings are listed first,
    /// under "changes `<env>` would get that `<upstream>` did not".
    pub upstream: Option<String>,
    pub env: String,
    /// Closing lines (the exact approve command, what a speculative plan is for).
    pub footer: Vec<String>,
}

/// A review as the comment about one environment's plan: the verdict first, then the facts
/// (environment, release and commit, plan id, the upstream plan it was compared with), then
/// the changes this environment would get that upstream did not, then the rest, then how to
/// act on it. Fits [`MARKDOWN_LIMIT`] like [`render_markdown`].
pub fn render_markdown_comment(
    review: &Review,
    comment: &Comment,
    max_findings: Option<usize>,
) -> String {
    render(review, Some(comment), max_findings)
}

fn render(review: &Review, comment: Option<&Comment>, max_findings: Option<usize>) -> String {
    let cap = max_findings.unwrap_or(usize::MAX);
    let mut listed = 0usize;
    let (icon_v, word) = match review.verdict {
        Verdict::Pass => ("✅", "pass"),
        Verdict::Warn => ("⚠️", "warn"),
        Verdict::Block => ("🛑", "block"),
    };
    let title = comment.map_or("ferry review", |c| c.title.as_str());
    let mut out = format!(
        "### {icon_v} {title}: **{word}** ({})\n\n",
        severity_counts(&review.findings)
    );
    if let Some(c) = comment.filter(|c| !c.facts.is_empty()) {
        out.push_str("| | |\n|---|---|\n");
        for (label, value) in &c.facts {
            let _ = writeln!(out, "| {} | {} |", escape(label), value.replace('|', "\\|"));
        }
        out.push('\n');
    }
    out.push_str("| create | update | replace | delete | forget | read | no-op |\n|---:|---:|---:|---:|---:|---:|---:|\n");
    let s = &review.summary;
    let _ = writeln!(
        out,
        "| {} | {} | {} | {} | {} | {} | {} |\n",
        s.create, s.update, s.replace, s.delete, s.forget, s.read, s.no_op
    );
    // Not-in-baseline findings first when the comment names the upstream environment: what
    // this environment would get that the tested one did not is the reason the comment exists.
    let upstream = comment.and_then(|c| c.upstream.as_deref().map(|u| (c.env.as_str(), u)));
    let (first, rest): (Vec<&Finding>, Vec<&Finding>) = review
        .findings
        .iter()
        .partition(|f| upstream.is_some() && f.kind == FindingKind::NotInBaseline);
    let mut sections: Vec<(String, Vec<&Finding>)> = Vec::new();
    if let Some((env, up)) = upstream {
        if first.is_empty() {
            let _ = writeln!(
                out,
                "Nothing here that `{}` did not get.\n",
                up.replace('`', "'")
            );
        } else {
            sections.push((
                format!(
                    "{} changes `{}` would get that `{}` did not ({})",
                    first.first().map_or("🛑", |f| icon(f.severity)),
                    env.replace('`', "'"),
                    up.replace('`', "'"),
                    first.len()
                ),
                first,
            ));
        }
    }
    for group in rest.chunk_by(|a, b| a.severity == b.severity && a.kind == b.kind) {
        let Some(f) = group.first() else { continue };
        let title = format!("{} {} ({})", icon(f.severity), f.kind.as_str(), group.len());
        sections.push((title, group.to_vec()));
    }
    let mut omitted = 0usize;
    for (title, group) in &sections {
        let fold = group.len() > FOLD_AFTER;
        let head = if fold {
            format!("<details><summary>{title}</summary>\n\n")
        } else {
            format!("#### {title}\n\n")
        };
        if omitted > 0 || listed >= cap || out.len() + head.len() + RESERVE > MARKDOWN_LIMIT {
            omitted += group.len();
            continue;
        }
        out.push_str(&head);
        for f in group {
            let line = item(f);
            if omitted > 0 || listed >= cap || out.len() + line.len() + RESERVE > MARKDOWN_LIMIT {
                omitted += 1;
                continue;
            }
            listed += 1;
            out.push_str(&line);
        }
        out.push_str(if fold { "\n</details>\n\n" } else { "\n" });
    }
    if review.findings.is_empty() {
        out.push_str("No findings.\n\n");
    }
    if omitted > 0 {
        let why = if listed >= cap {
            format!("at most {cap} are listed")
        } else {
            "comment size limit".to_string()
        };
        let _ = writeln!(out, "_{omitted} more findings are not shown here ({listed} of {} shown, {why}); run `ferry review --format json` for the full list._\n", review.findings.len());
    }
    if let Some(c) = comment {
        for line in &c.footer {
            let _ = writeln!(out, "{line}\n");
        }
    }
    let _ = writeln!(out, "<sub>Plan: {}</sub>", summary_line(review));
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use ferry_core::{FindingKind, Summary};

    fn finding(kind: FindingKind, severity: Severity, i: usize) -> Finding {
        Finding {
            kind,
            severity,
            address: format!("module.m[\"{i}\"].aws_instance.x[{i}]"),
            attribute: None,
            message: format!(
                "<script>alert({i})</script> | *not emphasis* `tick` {}",
                "x".repeat(100)
            ),
            explained_by: vec![],
        }
    }

    #[test]
    fn fits_the_comment_limit_and_folds_long_sections() {
        let mut findings: Vec<Finding> = (0..3)
            .map(|i| finding(FindingKind::StatefulDelete, Severity::Block, i))
            .collect();
        findings.extend((0..20_000).map(|i| finding(FindingKind::Delete, Severity::Warn, i)));
        findings.extend((0..10).map(|i| finding(FindingKind::Forget, Severity::Info, i)));
        let md = render_markdown(&Review::new(Summary::default(), findings));
        assert!(md.len() <= MARKDOWN_LIMIT, "{}", md.len());
        assert!(md.contains("#### 🛑 stateful-delete (3)"));
        assert!(md.contains("<details><summary>⚠️ delete (20000)</summary>"));
        assert_eq!(
            md.matches("<details>").count(),
            md.matches("</details>").count()
        );
        assert!(md.contains("more findings are not shown here ("), "{md}");
        assert!(md.contains("shown, comment size limit)"));
        assert!(!md.contains("<script>"));
        assert!(
            md.contains("&lt;script&gt;alert(0)&lt;/script&gt; \\| \\*not emphasis\\* \\`tick\\`")
        );
    }
}
