//! The pull-request comment: a headline verdict, the summary as a table, one section per kind of
//! finding, long sections folded in `<details>`. It always fits GitHub's 65,536-character comment
//! limit: past [`MARKDOWN_LIMIT`] the remaining findings are counted, not listed.

use super::{groups, severity_counts, summary_line};
use ferry_core::{Finding, Review, Severity, Verdict};
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
    let cap = max_findings.unwrap_or(usize::MAX);
    let mut listed = 0usize;
    let (icon_v, word) = match review.verdict {
        Verdict::Pass => ("✅", "pass"),
        Verdict::Warn => ("⚠️", "warn"),
        Verdict::Block => ("🛑", "block"),
    };
    let s = &review.summary;
    let mut out = format!(
        "### {icon_v} ferry review: **{word}** ({})\n\n",
        severity_counts(&review.findings)
    );
    out.push_str("| create | update | replace | delete | forget | read | no-op |\n|---:|---:|---:|---:|---:|---:|---:|\n");
    let _ = writeln!(
        out,
        "| {} | {} | {} | {} | {} | {} | {} |\n",
        s.create, s.update, s.replace, s.delete, s.forget, s.read, s.no_op
    );
    let mut omitted = 0usize;
    for group in groups(&review.findings) {
        let Some(first) = group.first() else { continue };
        let title = format!(
            "{} {} ({})",
            icon(first.severity),
            first.kind.as_str(),
            group.len()
        );
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
        for f in group.iter() {
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
