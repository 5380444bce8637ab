//! Filling a template from typed inputs: every value is redacted, and the prompt is bounded in
//! size by cutting the least important findings first, with a note of what was cut, so the
//! assistant always sees the blocking and not-in-baseline findings.

use crate::error::AdvisorError;
use crate::redact::Redactor;
use crate::template::{substitute, InputKind, Source, Template};
use ferry_core::{Finding, FindingKind, Review, Severity};
use serde::Serialize;
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;

/// A plan's review, for `plan-review`.
#[derive(Debug, Clone)]
pub struct PlanInput<'a> {
    pub review: &'a Review,
    /// The environment the plan is for; `None` for a plan file reviewed on its own.
    pub env: Option<String>,
    /// The environment of the baseline plan, when it is known.
    pub baseline_env: Option<String>,
    /// Whether the review was made against a baseline plan at all.
    pub has_baseline: bool,
    pub release: Option<String>,
    pub plan: Option<String>,
}

/// One environment input file, already redacted by the audit.
#[derive(Debug, Clone)]
pub struct InputText {
    pub env: String,
    pub path: String,
    /// `hcl` or `json`.
    pub lang: &'static str,
    pub text: String,
}

/// An environment audit of one pair, for `environment-audit`.
#[derive(Debug, Clone)]
pub struct AuditInput {
    pub from_env: String,
    pub to_env: String,
    pub root_module: String,
    /// ferry's findings, one Markdown list item each.
    pub findings: Vec<String>,
    pub inputs: Vec<InputText>,
}

impl AuditInput {
    /// The audit's view of `pair` (default: the last pair, the one closest to production), with
    /// sensitive input values redacted as `ferry audit` redacts them.
    pub fn from_audit(
        audit: &ferry_audit::Audit,
        pair: Option<&str>,
    ) -> Result<AuditInput, AdvisorError> {
        let report = &audit.report;
        let pair = pair
            .or_else(|| report.pairs.last().map(String::as_str))
            .ok_or_else(|| {
                AdvisorError::Config("the audit has no pair to build a prompt for".into())
            })?;
        let (a, b) = ferry_audit::config::split_pair(pair)
            .map_err(|e| AdvisorError::Config(e.to_string()))?;
        let mut inputs = Vec::new();
        for env in [a, b] {
            for file in audit.inputs.get(env).map_or(&[][..], |i| &i.files[..]) {
                inputs.push(InputText {
                    env: env.to_string(),
                    path: file.path.display().to_string(),
                    lang: if file.json { "json" } else { "hcl" },
                    text: ferry_audit::prompt::redacted(file, &audit.module),
                });
            }
        }
        Ok(AuditInput {
            from_env: a.to_string(),
            to_env: b.to_string(),
            root_module: report.root_module.clone(),
            findings: ferry_audit::prompt::finding_lines(report, pair),
            inputs,
        })
    }
}

/// One finding of a SQL migration check (`ferry migrate check`), for `migration-safety`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MigrationFinding {
    pub file: String,
    pub line: usize,
    /// expand | lock | contract | destructive
    pub class: String,
    pub severity: Severity,
    pub rule: String,
    /// The statement's first line or summary.
    pub statement: String,
    pub message: String,
    pub fix: Option<String>,
    /// The reason of a `-- ferry:contract` acknowledgement.
    pub acknowledged: Option<String>,
}

#[derive(Debug, Clone)]
pub struct MigrationInput {
    pub env: Option<String>,
    pub verdict: String,
    pub findings: Vec<MigrationFinding>,
}

/// A rollback of `env` from `current_release` to `target_release`, for `rollback-readiness`:
/// the readiness facts of its rehearsal when there is one.
#[derive(Debug, Clone)]
pub struct RollbackInput<'a> {
    pub env: String,
    pub current_release: String,
    pub target_release: String,
    /// Whether the rehearsal found the rollback workable; `None`: never rehearsed.
    pub ready: Option<bool>,
    /// Where and when it was rehearsed (`staging at 2026-12-02T10:00:00Z`).
    pub rehearsed: Option<String>,
    /// The rehearsed rollback plan's review.
    pub review: Option<&'a Review>,
    /// Policy denials of the rehearsed rollback plan.
    pub policy_denies: Vec<String>,
    /// Migration readiness: `None` when no migrations were applied in `env` (nothing to
    /// strand); otherwise why the target would break against the database (empty: it works).
    pub migrations: Option<Vec<String>>,
}

#[derive(Debug, Clone)]
pub enum Input<'a> {
    Plan(PlanInput<'a>),
    Audit(AuditInput),
    Migration(MigrationInput),
    Rollback(RollbackInput<'a>),
}

impl Input<'_> {
    pub fn kind(&self) -> InputKind {
        match self {
            Input::Plan(_) => InputKind::Plan,
            Input::Audit(_) => InputKind::Audit,
            Input::Migration(_) => InputKind::Migration,
            Input::Rollback(_) => InputKind::Rollback,
        }
    }
}

/// A filled prompt and what it was made from; `sha256` is over `text`'s bytes, so
/// `ferry advise … | sha256sum` matches what the ledger records.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Filled {
    pub template: String,
    pub version: u32,
    pub source: Source,
    pub text: String,
    pub sha256: String,
    /// Items (findings, input files) included and cut.
    pub included: usize,
    pub omitted: usize,
}

/// The default bound on a filled prompt: far below any model's context, small enough to read.
pub const DEFAULT_MAX_PROMPT_BYTES: usize = 64 * 1024;

pub(crate) struct Item {
    pub(crate) list: &'static str,
    /// What a cut of it is counted as in the note ("stateful-delete", "input file").
    pub(crate) label: String,
    pub(crate) text: String,
}

/// Scalars, and ranked items (most important first) for the list placeholders.
struct Parts {
    scalars: BTreeMap<&'static str, String>,
    items: Vec<Item>,
    /// Text for a list with no items at all.
    empty: BTreeMap<&'static str, String>,
}

pub fn fill(
    template: &Template,
    input: &Input<'_>,
    redactor: &Redactor,
    max_bytes: usize,
) -> Result<Filled, AdvisorError> {
    if template.input != input.kind() {
        return Err(AdvisorError::WrongInput {
            name: template.name.clone(),
            expected: template.input.as_str(),
            given: input.kind().as_str(),
        });
    }
    let parts = parts(input);
    let render = |k: usize| redactor.redact(&render(template, &parts, k, max_bytes));
    let all = render(parts.items.len());
    let (text, k) = if all.len() <= max_bytes {
        (all, parts.items.len())
    } else {
        // The largest number of top-ranked items that fits.
        let (mut lo, mut hi) = (0usize, parts.items.len());
        while lo < hi {
            let mid = (lo + hi).div_ceil(2);
            if render(mid).len() <= max_bytes {
                lo = mid;
            } else {
                hi = mid - 1;
            }
        }
        let text = render(lo);
        if text.len() > max_bytes {
            return Err(AdvisorError::PromptTooLarge {
                name: template.name.clone(),
                size: text.len(),
                limit: max_bytes,
            });
        }
        (text, lo)
    };
    Ok(Filled {
        template: template.name.clone(),
        version: template.version,
        source: template.source.clone(),
        sha256: format!("sha256:{}", hex::encode(Sha256::digest(text.as_bytes()))),
        text,
        included: k,
        omitted: parts.items.len() - k,
    })
}

fn render(template: &Template, parts: &Parts, k: usize, max_bytes: usize) -> String {
    let mut values: BTreeMap<&str, String> =
        parts.scalars.iter().map(|(k, v)| (*k, v.clone())).collect();
    let lists: Vec<&str> = parts.empty.keys().copied().collect();
    for list in lists {
        let all = parts.items.iter().filter(|i| i.list == list).count();
        let kept: Vec<&str> = parts.items[..k]
            .iter()
            .filter(|i| i.list == list)
            .map(|i| i.text.as_str())
            .collect();
        let text = if all == 0 {
            parts.empty.get(list).cloned().unwrap_or_default()
        } else if kept.is_empty() {
            "- (all cut to fit the size limit; see the note at the end)".to_string()
        } else if list == "inputs" {
            kept.join("\n\n")
        } else {
            kept.join("\n")
        };
        values.insert(list, text);
    }
    values.insert(
        "omitted",
        omitted_note(&parts.items[k..], max_bytes, template.input),
    );
    // An empty note must not leave trailing blank lines; one final newline.
    let mut text = substitute(&template.body, &values).trim_end().to_string();
    text.push('\n');
    text
}

/// The command that shows everything a cut prompt left out.
fn lists_all(kind: InputKind) -> &'static str {
    match kind {
        InputKind::Plan => "`ferry review`",
        InputKind::Audit => "`ferry audit`",
        InputKind::Migration => "`ferry migrate check`",
        InputKind::Rollback => "`ferry status` (the rehearsal)",
    }
}

fn omitted_note(cut: &[Item], max_bytes: usize, kind: InputKind) -> String {
    if cut.is_empty() {
        return String::new();
    }
    let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
    for i in cut {
        *counts.entry(i.label.as_str()).or_default() += 1;
    }
    let what: Vec<String> = counts.iter().map(|(l, n)| format!("{n} {l}")).collect();
    format!(
        "Note: to stay within {max_bytes} bytes, {} less important item(s) were cut: {}. Everything above them was kept; {} lists them all.",
        cut.len(),
        what.join(", "),
        lists_all(kind)
    )
}

fn finding_line(f: &Finding) -> String {
    let attribute = f
        .attribute
        .as_ref()
        .map(|a| format!(" (attribute `{a}`)"))
        .unwrap_or_default();
    let explained = if f.explained_by.is_empty() {
        String::new()
    } else {
        format!(" — explained by inputs: {}", f.explained_by.join(", "))
    };
    let message = f.message.replace('\n', " ");
    format!(
        "- [{}] {} `{}`{attribute}: {message}{explained}",
        severity(f.severity),
        f.kind.as_str(),
        f.address
    )
}

fn severity(s: Severity) -> &'static str {
    match s {
        Severity::Info => "info",
        Severity::Warn => "warn",
        Severity::Block => "block",
    }
}

/// Findings ranked for cutting: blocking first, then not-in-baseline before others of the same
/// severity, then the review's own order.
fn ranked(review: &Review) -> Vec<&Finding> {
    let mut findings: Vec<(usize, &Finding)> = review.findings.iter().enumerate().collect();
    findings.sort_by_key(|(i, f)| {
        (
            std::cmp::Reverse(f.severity),
            f.kind != FindingKind::NotInBaseline,
            *i,
        )
    });
    findings.into_iter().map(|(_, f)| f).collect()
}

pub(crate) fn summary_text(review: &Review) -> String {
    let s = &review.summary;
    format!(
        "{} to create, {} to update, {} to replace, {} to delete, {} to forget, {} read, {} unchanged",
        s.create, s.update, s.replace, s.delete, s.forget, s.read, s.no_op
    )
}

pub(crate) fn review_items(review: &Review, split_baseline: bool) -> Vec<Item> {
    ranked(review)
        .into_iter()
        .map(|f| Item {
            list: if split_baseline && f.kind == FindingKind::NotInBaseline {
                "not_in_baseline"
            } else {
                "findings"
            },
            label: f.kind.as_str().to_string(),
            text: finding_line(f),
        })
        .collect()
}

fn parts(input: &Input<'_>) -> Parts {
    let mut scalars = BTreeMap::new();
    let mut empty = BTreeMap::new();
    let items = match input {
        Input::Plan(p) => {
            scalars.insert(
                "env",
                p.env
                    .clone()
                    .unwrap_or_else(|| "the target environment".into()),
            );
            scalars.insert(
                "baseline_env",
                p.baseline_env
                    .clone()
                    .unwrap_or_else(|| "the lower environment".into()),
            );
            scalars.insert(
                "release",
                p.release.clone().unwrap_or_else(|| "(not named)".into()),
            );
            scalars.insert(
                "plan",
                p.plan.clone().unwrap_or_else(|| "(a plan file)".into()),
            );
            scalars.insert("verdict", p.review.verdict.as_str().to_string());
            scalars.insert("summary", summary_text(p.review));
            empty.insert(
                "not_in_baseline",
                if p.has_baseline {
                    "- none: every change in this plan was also in the baseline plan".into()
                } else {
                    "- (no baseline plan was given, so ferry could not compare)".into()
                },
            );
            empty.insert("findings", "- none".into());
            review_items(p.review, true)
        }
        Input::Audit(a) => {
            scalars.insert("from_env", a.from_env.clone());
            scalars.insert("to_env", a.to_env.clone());
            scalars.insert("pair", format!("{}:{}", a.from_env, a.to_env));
            scalars.insert("root_module", a.root_module.clone());
            empty.insert(
                "findings",
                "- none: every difference ferry found is a quantity difference".into(),
            );
            empty.insert("inputs", "(no input files)".into());
            let mut items: Vec<Item> = a
                .findings
                .iter()
                .map(|f| Item {
                    list: "findings",
                    label: "audit finding(s)".into(),
                    text: f.clone(),
                })
                .collect();
            items.extend(a.inputs.iter().map(|f| Item {
                list: "inputs",
                label: "input file(s)".into(),
                text: format!(
                    "### {}: {}\n\n```{}\n{}\n```",
                    f.env,
                    f.path,
                    f.lang,
                    f.text.trim_end()
                ),
            }));
            items
        }
        Input::Migration(m) => {
            scalars.insert(
                "env",
                m.env
                    .clone()
                    .unwrap_or_else(|| "the target database".into()),
            );
            scalars.insert("verdict", m.verdict.clone());
            empty.insert("findings", "- none".into());
            let mut findings: Vec<(usize, &MigrationFinding)> =
                m.findings.iter().enumerate().collect();
            findings.sort_by_key(|(i, f)| (std::cmp::Reverse(f.severity), *i));
            findings
                .into_iter()
                .map(|(_, f)| {
                    let mut text = format!(
                        "- [{}] {} {}:{} `{}` ({}): {}",
                        severity(f.severity),
                        f.class,
                        f.file,
                        f.line,
                        f.statement.replace('\n', " "),
                        f.rule,
                        f.message.replace('\n', " ")
                    );
                    if let Some(fix) = &f.fix {
                        text.push_str(&format!(" Fix: {}", fix.replace('\n', " ")));
                    }
                    if let Some(reason) = &f.acknowledged {
                        text.push_str(&format!(" (acknowledged as a contract step: {reason})"));
                    }
                    Item {
                        list: "findings",
                        label: format!("{} finding(s)", f.class),
                        text,
                    }
                })
                .collect()
        }
        Input::Rollback(r) => crate::fill_rollback::parts(r, &mut scalars, &mut empty),
    };
    Parts {
        scalars,
        items,
        empty,
    }
}
