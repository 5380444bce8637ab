//! The terminal rendering: findings grouped by kind (worst first) and by module, then the summary
//! and a one-line verdict last, where the eye lands. ANSI colour only when the caller says so.

use super::{groups, module_label, severity_counts, summary_line};
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

/// A review for a person at a terminal.
pub fn render_human(review: &Review, color: bool) -> String {
    let mut out = String::new();
    for group in groups(&review.findings) {
        let Some(first) = group.first() else { continue };
        let label = format!("{:<5}", format!("{:?}", first.severity).to_uppercase());
        let _ = writeln!(
            out,
            "{} {} ({})",
            paint(color, severity_code(first.severity), &label),
            paint(color, "1", first.kind.as_str()),
            group.len()
        );
        let mut modules: Vec<String> = group.iter().map(|f| module_label(&f.address)).collect();
        modules.sort();
        modules.dedup();
        for module in modules {
            if group.iter().any(|f| module_label(&f.address) != module) || module != "(root module)"
            {
                let _ = writeln!(out, "  {}", paint(color, "2", &module));
            }
            for f in group.iter().filter(|f| module_label(&f.address) == module) {
                let _ = writeln!(out, "    - {}", f.message);
                if !f.explained_by.is_empty() {
                    let _ = writeln!(out, "      explained by: {}", f.explained_by.join(", "));
                }
            }
        }
        out.push('\n');
    }
    if review.findings.is_empty() {
        out.push_str("No findings.\n\n");
    }
    let _ = writeln!(out, "Plan: {}", summary_line(review));
    let verdict = match review.verdict {
        Verdict::Pass => paint(color, "1;32", "PASS"),
        Verdict::Warn => paint(color, "1;33", "WARN"),
        Verdict::Block => paint(color, "1;31", "BLOCK"),
    };
    let _ = writeln!(
        out,
        "Verdict: {verdict} ({})",
        severity_counts(&review.findings)
    );
    out
}
