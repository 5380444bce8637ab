//! The terminal rendering: findings grouped by kind (worst first) and by module, then the summary
//! and a one-line verdict last, where the eye lands. ANSI colour only when the caller says so.

use super::{groups, module_label, omitted_line, severity_counts, summary_line};
use ferry_core::{Review, Severity, Verdict};
use std::fmt::Write as _;

fn paint(color: bool, code: &str, text: &str) -> String {
    if color {
        format!("\x1b[{code}m{text}\x1b[0m")
    } else {
        text.to_string()
    }
}

fn severity_code(s: Severity) -> &'static str {
    match s {
        Severity::Block => "1;31",
        Severity::Warn => "33",
        Severity::Info => "36",
    }
}

/// Findings listed by [`render_human`]; the CLI's `--max-findings` sets another cap.
pub const DEFAULT_MAX_FINDINGS: usize = 200;

/// A review for a person at a terminal, listing at most [`DEFAULT_MAX_FINDINGS`] findings.
pub fn render_human(review: &Review, color: bool) -> String {
    let mut out = Vec::new();
    let _ = render_human_to(&mut out, review, color, Some(DEFAULT_MAX_FINDINGS));
    String::from_utf8_lossy(&out).into_owned()
}

/// The terminal rendering written to `out`, listing at most `max_findings` findings (worst
/// first; `None` lists all). Every kind still gets its heading with its full count, and a line
/// says how many findings were left out, so a capped listing never reads as a complete one.
pub fn render_human_to<W: std::io::Write>(
    out: &mut W,
    review: &Review,
    color: bool,
    max_findings: Option<usize>,
) -> std::io::Result<()> {
    let cap = max_findings.unwrap_or(usize::MAX);
    let mut listed = 0usize;
    let mut text = String::new();
    for group in groups(&review.findings) {
        let Some(first) = group.first() else { continue };
        let label = format!("{:<5}", format!("{:?}", first.severity).to_uppercase());
        let _ = writeln!(
            text,
            "{} {} ({})",
            paint(color, severity_code(first.severity), &label),
            paint(color, "1", first.kind.as_str()),
            group.len()
        );
        let mut modules: Vec<String> = group.iter().map(|f| module_label(&f.address)).collect();
        modules.sort();
        modules.dedup();
        for module in modules {
            if listed >= cap {
                break;
            }
            if group.iter().any(|f| module_label(&f.address) != module) || module != "(root module)"
            {
                let _ = writeln!(text, "  {}", paint(color, "2", &module));
            }
            for f in group.iter().filter(|f| module_label(&f.address) == module) {
                if listed >= cap {
                    break;
                }
                listed += 1;
                let _ = writeln!(text, "    - {}", f.message);
                if !f.explained_by.is_empty() {
                    let _ = writeln!(text, "      explained by: {}", f.explained_by.join(", "));
                }
            }
            out.write_all(text.as_bytes())?;
            text.clear();
        }
        text.push('\n');
    }
    if review.findings.is_empty() {
        text.push_str("No findings.\n\n");
    }
    if let Some(line) = omitted_line(
        listed,
        review.findings.len(),
        &format!("at most {cap} are listed"),
    ) {
        let _ = writeln!(text, "{}\n", paint(color, "1", &line));
    }
    let _ = writeln!(text, "Plan: {}", summary_line(review));
    let verdict = match review.verdict {
        Verdict::Pass => paint(color, "1;32", "PASS"),
        Verdict::Warn => paint(color, "1;33", "WARN"),
        Verdict::Block => paint(color, "1;31", "BLOCK"),
    };
    let _ = writeln!(
        text,
        "Verdict: {verdict} ({})",
        severity_counts(&review.findings)
    );
    out.write_all(text.as_bytes())
}
