//! Human and markdown renderings of a [`Report`]. Human output is for a terminal (one block per
//! pair, blocking classes in capitals so they stand out without colour); markdown is for pasting
//! into a pull request or a CI summary.

use crate::copypaste::CopyPasteKind;
use crate::report::{CopyPasteFinding, Difference, Outcome, Report, Subject};
use serde_json::Value;
use std::fmt::Write as _;

const MAX_VALUE: usize = 60;

fn value(v: &Value) -> String {
    let s = match v {
        Value::Null => "(unset)".to_string(),
        other => other.to_string(),
    };
    if s.chars().count() > MAX_VALUE {
        format!("{}…", s.chars().take(MAX_VALUE - 1).collect::<String>())
    } else {
        s
    }
}

fn subject(s: Subject) -> &'static str {
    s.as_str()
}

fn label(o: Outcome) -> String {
    if o.blocks() {
        o.as_str().to_uppercase()
    } else {
        o.as_str().to_string()
    }
}

fn summary_line(r: &Report) -> String {
    let s = &r.summary;
    format!(
        "{}: {} structural, {} kind, {} quantity, {} accepted",
        r.verdict, s.structural, s.kind, s.quantity, s.accepted
    )
}

fn human_difference(out: &mut String, d: &Difference) {
    let values = if d.pair.is_some() {
        format!(": {} → {}", value(&d.left), value(&d.right))
    } else {
        String::new()
    };
    let _ = writeln!(
        out,
        "  {:<11} {} {}{values}",
        label(d.class),
        subject(d.subject),
        d.name
    );
    let _ = writeln!(out, "              {}", d.why);
    if let Some(reason) = &d.accepted_reason {
        let _ = writeln!(
            out,
            "              accepted ({}): {reason}",
            d.classified_as.as_str()
        );
    }
}

fn copy_paste_title(c: &CopyPasteFinding) -> String {
    match c.finding.kind {
        CopyPasteKind::EnvDirectory => format!(
            "{} holds its own Terraform code ({})",
            c.finding.paths.join(", "),
            c.finding.files.join(", ")
        ),
        CopyPasteKind::NearDuplicate => format!(
            "{} are near-duplicates ({:.0}% identical lines)",
            c.finding.paths.join(" and "),
            c.finding.similarity.unwrap_or(0.0) * 100.0
        ),
    }
}

fn diverging(c: &CopyPasteFinding) -> Vec<String> {
    let mut lines = c.finding.diverging.clone();
    if c.finding.diverging_total > lines.len() {
        lines.push(format!(
            "… {} more lines",
            c.finding.diverging_total - lines.len()
        ));
    }
    lines
}

fn topology_note(r: &Report) -> Option<String> {
    if r.topology_skipped.is_empty() {
        return None;
    }
    let envs: Vec<&str> = r
        .topology_skipped
        .iter()
        .map(|t| t.environment.as_str())
        .collect();
    Some(format!(
        "topology: skipped for {} (no stored plan; `ferry plan --env ENV` stores one)",
        envs.join(", ")
    ))
}

pub fn human(r: &Report) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "ferry audit: root module {}, pairs {}",
        r.root_module,
        r.pairs.join(", ")
    );
    let module_wide: Vec<&Difference> = r.differences.iter().filter(|d| d.pair.is_none()).collect();
    if !module_wide.is_empty() {
        let _ = writeln!(out, "\nroot module {}", r.root_module);
        for d in module_wide {
            human_difference(&mut out, d);
        }
    }
    for pair in &r.pairs {
        let _ = writeln!(out, "\n{}", pair.replace(':', " → "));
        let mut diffs: Vec<&Difference> = r
            .differences
            .iter()
            .filter(|d| d.pair.as_deref() == Some(pair))
            .collect();
        // Blocking first: the reader should not have to scroll past sizes to find the problem.
        diffs.sort_by_key(|d| std::cmp::Reverse(d.class));
        if diffs.is_empty() {
            let _ = writeln!(out, "  no differences");
        }
        for d in diffs {
            human_difference(&mut out, d);
        }
    }
    if let Some(note) = topology_note(r) {
        let _ = writeln!(out, "\n{note}");
    }
    if r.copy_paste.is_empty() {
        let _ = writeln!(out, "\ncopy-paste: none (one body of code)");
    } else {
        let _ = writeln!(out, "\ncopy-paste");
        for c in &r.copy_paste {
            let _ = writeln!(out, "  {:<11} {}", label(c.class), copy_paste_title(c));
            if let Some(reason) = &c.accepted_reason {
                let _ = writeln!(out, "              accepted: {reason}");
            }
            for line in diverging(c) {
                let _ = writeln!(out, "              {line}");
            }
        }
        if let Some(layout) = &r.recommended_layout {
            let _ = writeln!(out, "\nrecommended layout:");
            for line in layout.lines() {
                let _ = writeln!(out, "  {line}");
            }
        }
    }
    let _ = writeln!(out, "\n{}", summary_line(r));
    out
}

fn cell(s: &str) -> String {
    s.replace('|', "\\|").replace('\n', " ")
}

pub fn markdown(r: &Report) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "# ferry audit\n");
    let _ = writeln!(out, "**{}**\n", summary_line(r));
    let _ = writeln!(
        out,
        "Root module `{}`; pairs {}.\n",
        r.root_module,
        r.pairs
            .iter()
            .map(|p| format!("`{p}`"))
            .collect::<Vec<_>>()
            .join(", ")
    );
    if r.differences.is_empty() {
        let _ = writeln!(out, "No differences.\n");
    } else {
        let _ = writeln!(
            out,
            "| pair | class | subject | name | left | right | why |"
        );
        let _ = writeln!(out, "|---|---|---|---|---|---|---|");
        for d in &r.differences {
            let mut why = d.why.clone();
            if let Some(reason) = &d.accepted_reason {
                why = format!("{why} — accepted ({}): {reason}", d.classified_as.as_str());
            }
            let class = if d.class.blocks() {
                format!("**{}**", d.class.as_str())
            } else {
                d.class.as_str().to_string()
            };
            let _ = writeln!(
                out,
                "| {} | {class} | {} | `{}` | {} | {} | {} |",
                d.pair.as_deref().unwrap_or("(root module)"),
                subject(d.subject),
                cell(&d.name),
                cell(&format!("`{}`", value(&d.left))),
                cell(&format!("`{}`", value(&d.right))),
                cell(&why)
            );
        }
        let _ = writeln!(out);
    }
    if let Some(note) = topology_note(r) {
        let _ = writeln!(out, "_{note}_\n");
    }
    if !r.copy_paste.is_empty() {
        let _ = writeln!(out, "## Copy-paste\n");
        for c in &r.copy_paste {
            let _ = writeln!(out, "- **{}**: {}", c.class.as_str(), copy_paste_title(c));
            if let Some(reason) = &c.accepted_reason {
                let _ = writeln!(out, "  accepted: {reason}");
            }
            let lines = diverging(c);
            if !lines.is_empty() {
                let _ = writeln!(out, "\n```diff\n{}\n```", lines.join("\n"));
            }
        }
        if !r.copy_paste.is_empty() {
            let _ = writeln!(out);
        }
        if let Some(layout) = &r.recommended_layout {
            let _ = writeln!(out, "Recommended layout:\n\n```\n{}```\n", layout);
        }
    }
    out
}
