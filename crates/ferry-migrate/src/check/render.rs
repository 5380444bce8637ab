//! Renderers for a [`CheckReport`]: pure functions, the CLI prints. Human output lists the
//! findings that need attention (warn and block) with their fix, then one count line; info
//! findings (expand statements) are only counted, so a clean migration reads as one line.

use super::{CheckReport, Finding, Severity};
use std::fmt::Write;

/// `--format json`: the documented contract, pretty-printed.
pub fn json(report: &CheckReport) -> String {
    // Serialising plain owned data cannot fail; fall back to a block verdict rather than panic.
    serde_json::to_string_pretty(report)
        .unwrap_or_else(|_| r#"{"verdict":"block","findings":[]}"#.to_string())
}

fn attention(report: &CheckReport) -> impl Iterator<Item = &Finding> {
    report
        .findings
        .iter()
        .filter(|f| f.severity != Severity::Info)
}

fn counts(report: &CheckReport) -> String {
    let s = &report.summary;
    format!(
        "{} statement{} in {} file{}: {} expand, {} lock, {} contract, {} destructive",
        s.statements,
        if s.statements == 1 { "" } else { "s" },
        s.files,
        if s.files == 1 { "" } else { "s" },
        s.expand,
        s.lock,
        s.contract,
        s.destructive
    )
}

/// Plain text for a terminal (no colour: the caller may add it).
pub fn human(report: &CheckReport) -> String {
    let mut out = String::new();
    for f in attention(report) {
        let _ = writeln!(
            out,
            "{}:{}: {} {} [{}] {}",
            f.file,
            f.line,
            f.severity.as_str(),
            f.class.as_str(),
            f.rule,
            f.message
        );
        let _ = writeln!(out, "    {}", f.statement);
        if let Some(reason) = &f.acknowledged {
            let _ = writeln!(out, "    acknowledged: {reason}");
        }
        if let Some(fix) = &f.fix {
            let _ = writeln!(out, "    fix: {fix}");
        }
    }
    let _ = writeln!(out, "{}", counts(report));
    let _ = write!(out, "verdict: {}", report.verdict.as_str());
    if report.needs_approval {
        out.push_str(" (acknowledged contract statements need a migration approval)");
    }
    out.push('\n');
    out
}

/// GitHub-flavoured markdown for a pull request comment.
pub fn markdown(report: &CheckReport) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "### ferry migrate check: **{}**\n",
        report.verdict.as_str()
    );
    let _ = writeln!(out, "{}\n", counts(report));
    if report.needs_approval {
        let _ = writeln!(
            out,
            "Acknowledged contract statements: this migration set needs its own approval.\n"
        );
    }
    let rows: Vec<&Finding> = attention(report).collect();
    if rows.is_empty() {
        return out;
    }
    out.push_str("| severity | class | where | rule | statement | why | fix |\n");
    out.push_str("|---|---|---|---|---|---|---|\n");
    for f in rows {
        let why = match &f.acknowledged {
            Some(reason) => format!("{} (acknowledged: {reason})", f.message),
            None => f.message.clone(),
        };
        let _ = writeln!(
            out,
            "| {} | {} | `{}:{}` | `{}` | `{}` | {} | {} |",
            f.severity.as_str(),
            f.class.as_str(),
            f.file,
            f.line,
            f.rule,
            cell(&f.statement).replace('`', "'"),
            cell(&why),
            cell(f.fix.as_deref().unwrap_or(""))
        );
    }
    out
}

fn cell(text: &str) -> String {
    text.replace('|', "\\|").replace('\n', " ")
}
