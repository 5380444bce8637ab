//! `ferry audit --prompt`: the article's AI-assisted audit, made safe to paste. It bundles the two
//! environments' input files (sensitive values redacted), ferry's own findings and the article's
//! question, so the assistant reviews what ferry found instead of starting from nothing. The
//! assistant advises; the exit code of the audit itself stays the gate.

use crate::compare::{is_sensitive, REDACTED};
use crate::config::split_pair;
use crate::module::RootModule;
use crate::report::Report;
use crate::tfvars::InputFile;
use crate::{Audit, AuditError};
use std::fmt::Write as _;

/// The input file's text with sensitive variables' values replaced.
pub fn redacted(file: &InputFile, module: &RootModule) -> String {
    if file.json {
        let Ok(serde_json::Value::Object(mut map)) =
            serde_json::from_str::<serde_json::Value>(&file.text)
        else {
            return file.text.clone();
        };
        for (name, value) in map.iter_mut() {
            if is_sensitive(module, name) {
                *value = serde_json::Value::String(REDACTED.into());
            }
        }
        return serde_json::to_string_pretty(&map).unwrap_or_default() + "\n";
    }
    let mut spans: Vec<_> = file
        .value_spans
        .iter()
        .filter(|(name, _)| is_sensitive(module, name))
        .map(|(_, s)| s.clone())
        .collect();
    spans.sort_by_key(|s| std::cmp::Reverse(s.start));
    let mut text = file.text.clone();
    for span in spans {
        if text.get(span.clone()).is_some() {
            text.replace_range(span, &format!("\"{REDACTED}\""));
        }
    }
    text
}

/// ferry's findings for `pair`, one Markdown list item each, most telling first as the report
/// orders them; what the advisor's environment-audit prompt lists.
pub fn finding_lines(report: &Report, pair: &str) -> Vec<String> {
    let mut out = Vec::new();
    for d in report
        .differences
        .iter()
        .filter(|d| d.pair.as_deref() == Some(pair) || d.pair.is_none())
    {
        let accepted = d
            .accepted_reason
            .as_ref()
            .map(|r| format!(" (accepted {}: {r})", d.classified_as.as_str()))
            .unwrap_or_default();
        let values = if d.pair.is_some() {
            format!(": {} → {}", d.left, d.right)
        } else {
            " (root module)".into()
        };
        out.push(format!(
            "- {} {} `{}`{values} — {}{accepted}",
            d.class.as_str(),
            d.subject.as_str(),
            d.name,
            d.why
        ));
    }
    for c in &report.copy_paste {
        out.push(format!(
            "- {} copy-paste: {} ({:?})",
            c.class.as_str(),
            c.finding.paths.join(", "),
            c.finding.kind
        ));
    }
    out
}

fn findings(report: &Report, pair: &str) -> String {
    let lines = finding_lines(report, pair);
    if lines.is_empty() {
        return "- none: every difference ferry found is a quantity difference\n".into();
    }
    lines.join("\n") + "\n"
}

/// The review prompt for `pair` (default: the last pair, the one closest to production).
pub fn prompt(audit: &Audit, pair: Option<&str>) -> Result<String, AuditError> {
    let report = &audit.report;
    let pair = match pair.or_else(|| report.pairs.last().map(String::as_str)) {
        Some(p) => p,
        None => {
            return Err(AuditError::Pair {
                pair: String::new(),
                message: "no pair to build a prompt for".into(),
            })
        }
    };
    let (a, b) = split_pair(pair)?;
    let mut out = String::new();
    let _ = writeln!(
        out,
        "You are reviewing two environments of one Terraform/OpenTofu project before a promotion from {a} to {b}.\n\
         Both run the same root module (`{}`) with different input files. Scaling down quantity (sizes, counts) is intended;\n\
         a difference in kind (engine, machine family, region, a feature toggled off, a resource type present in only one)\n\
         means a successful deploy in {a} predicts nothing about {b}. Values of sensitive variables are redacted.\n",
        report.root_module
    );
    let _ = writeln!(
        out,
        "Question: what structural (not size) differences exist between {a} and {b}, and which could cause a deploy to succeed in {a} but fail in {b}?\n"
    );
    for env in [a, b] {
        let Some(inputs) = audit.inputs.get(env) else {
            continue;
        };
        for file in &inputs.files {
            let lang = if file.json { "json" } else { "hcl" };
            let _ = writeln!(
                out,
                "## {env}: {}\n\n```{lang}\n{}```\n",
                file.path.display(),
                redacted(file, &audit.module).trim_end().to_string() + "\n"
            );
        }
    }
    let _ = writeln!(
        out,
        "## What ferry audit found ({pair})\n\n{}",
        findings(report, pair)
    );
    let _ = writeln!(
        out,
        "Answer with a list of the differences that matter, each with: what differs, why it could make {b} fail where {a} succeeded,\n\
         and whether to change the inputs or accept it (with a reason for `[[audit.accept]]` in ferry.toml)."
    );
    Ok(out)
}
