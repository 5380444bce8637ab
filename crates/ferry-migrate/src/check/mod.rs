//! `ferry migrate check`: the safety and backward-compatibility review of SQL migrations.
//!
//! Every statement gets a [`Class`] — `expand` (the running application keeps working),
//! `lock` (blocks reads or writes while it runs), `contract` (the previous release's application,
//! or an infra rollback to it, would break) or `destructive` (loses data) — from the rules in
//! [`rules`]. Severities: expand is info, lock warns, contract and destructive block. A contract
//! statement acknowledged directly above it with `-- ferry:contract <reason>` warns instead and
//! is flagged as needing its own approval; nothing lowers a destructive one.

pub mod render;
mod rules;
pub mod source;

use serde::Serialize;
use source::{ParseError, Statement};
use std::path::{Path, PathBuf};

pub use source::CONTRACT_MARKER;

/// What a statement does to the application that is running while it runs, and to the release
/// before it. Ordered from harmless to worst; a statement's class is the worst of its findings.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Class {
    Expand,
    Lock,
    Contract,
    Destructive,
}

impl Class {
    pub fn as_str(self) -> &'static str {
        match self {
            Class::Expand => "expand",
            Class::Lock => "lock",
            Class::Contract => "contract",
            Class::Destructive => "destructive",
        }
    }

    pub fn parse(text: &str) -> Option<Class> {
        [
            Class::Expand,
            Class::Lock,
            Class::Contract,
            Class::Destructive,
        ]
        .into_iter()
        .find(|c| c.as_str() == text)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Info,
    Warn,
    Block,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Warn => "warn",
            Severity::Block => "block",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Verdict {
    Pass,
    Warn,
    Block,
}

impl Verdict {
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Pass => "pass",
            Verdict::Warn => "warn",
            Verdict::Block => "block",
        }
    }
}

/// One rule's verdict on one statement (a statement can have several: a type change is both
/// contract and lock).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    pub file: String,
    pub line: usize,
    pub statement: String,
    pub rule: String,
    pub class: Class,
    pub severity: Severity,
    pub message: String,
    pub fix: Option<String>,
    /// The reason of the `-- ferry:contract` acknowledgement that lowered this contract finding
    /// to a warning. Such a finding needs a migration approval of its own.
    pub acknowledged: Option<String>,
}

/// A checked statement: what the set loader and the executor need beyond the findings.
#[derive(Debug, Clone)]
pub struct CheckedStatement {
    pub line: usize,
    pub summary: String,
    /// Byte range in the file (see [`Statement`]).
    pub start: usize,
    pub end: usize,
    /// Worst class of its findings.
    pub class: Class,
    /// False for statements PostgreSQL refuses inside a transaction block (CONCURRENTLY, …).
    pub transactional: bool,
    /// BEGIN/COMMIT/ROLLBACK/SAVEPOINT: ferry owns the transaction of each migration.
    pub transaction_control: bool,
}

/// One file's review.
#[derive(Debug, Clone)]
pub struct FileCheck {
    pub file: String,
    pub statements: Vec<CheckedStatement>,
    pub findings: Vec<Finding>,
}

impl FileCheck {
    /// Worst statement class in the file; `expand` for a file with no statements.
    pub fn class(&self) -> Class {
        self.statements
            .iter()
            .map(|s| s.class)
            .max()
            .unwrap_or(Class::Expand)
    }

    /// Whether the file may run inside one transaction.
    pub fn transactional(&self) -> bool {
        self.statements.iter().all(|s| s.transactional)
    }
}

/// Counts of statements per class.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Summary {
    pub files: usize,
    pub statements: usize,
    pub expand: usize,
    pub lock: usize,
    pub contract: usize,
    pub destructive: usize,
}

/// The review of a group of files: the `--format json` contract of `ferry migrate check`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CheckReport {
    pub verdict: Verdict,
    /// True when an acknowledged contract statement is present: the set then needs a
    /// migration approval of its own before it runs.
    pub needs_approval: bool,
    pub summary: Summary,
    pub findings: Vec<Finding>,
}

impl CheckReport {
    pub fn from_files(files: &[FileCheck]) -> CheckReport {
        let findings: Vec<Finding> = files.iter().flat_map(|f| f.findings.clone()).collect();
        let mut summary = Summary {
            files: files.len(),
            ..Summary::default()
        };
        for s in files.iter().flat_map(|f| &f.statements) {
            summary.statements += 1;
            *match s.class {
                Class::Expand => &mut summary.expand,
                Class::Lock => &mut summary.lock,
                Class::Contract => &mut summary.contract,
                Class::Destructive => &mut summary.destructive,
            } += 1;
        }
        let verdict = match findings.iter().map(|f| f.severity).max() {
            Some(Severity::Block) => Verdict::Block,
            Some(Severity::Warn) => Verdict::Warn,
            _ => Verdict::Pass,
        };
        CheckReport {
            verdict,
            needs_approval: findings.iter().any(|f| f.acknowledged.is_some()),
            summary,
            findings,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum CheckError {
    #[error(transparent)]
    Parse(#[from] ParseError),
    #[error("{path}: {source}")]
    Read {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("{0}: no .sql files here")]
    Empty(String),
}

/// Reviews one file's text; `file` names it in findings and errors.
pub fn check_text(file: &str, text: &str) -> Result<FileCheck, ParseError> {
    let statements = source::parse(file, text)?;
    let mut ctx = rules::FileContext::default();
    let mut checked = Vec::new();
    let mut findings = Vec::new();
    for st in &statements {
        let hits = rules::classify(st, &mut ctx);
        let summary = st.summary(text);
        let mut class = Class::Expand;
        for hit in hits.findings {
            class = class.max(hit.class);
            findings.push(to_finding(file, st, &summary, hit));
        }
        checked.push(CheckedStatement {
            line: st.line,
            summary,
            start: st.start,
            end: st.end,
            class,
            transactional: hits.transactional,
            transaction_control: hits.transaction_control,
        });
    }
    Ok(FileCheck {
        file: file.to_string(),
        statements: checked,
        findings,
    })
}

fn to_finding(file: &str, st: &Statement, summary: &str, hit: rules::Hit) -> Finding {
    let mut severity = hit.severity.unwrap_or(match hit.class {
        Class::Expand => Severity::Info,
        Class::Lock => Severity::Warn,
        Class::Contract | Class::Destructive => Severity::Block,
    });
    let mut message = hit.message;
    let mut acknowledged = None;
    if hit.class == Class::Contract {
        match st.acknowledged.as_deref() {
            Some("") => message.push_str(
                " (the `-- ferry:contract` line above needs a reason, so it does not count)",
            ),
            Some(reason) => {
                severity = Severity::Warn;
                acknowledged = Some(reason.to_string());
                message.push_str(" Acknowledged as intended; needs a migration approval.");
            }
            None => {}
        }
    }
    Finding {
        file: file.to_string(),
        line: st.line,
        statement: summary.to_string(),
        rule: hit.rule.to_string(),
        class: hit.class,
        severity,
        message,
        fix: hit.fix.map(str::to_string),
        acknowledged,
    }
}

/// Reviews files and directories (their `*.sql` files, in file-name order, not recursive).
/// File names in findings are the paths as given, joined with the file name for directories.
pub fn check_paths(paths: &[PathBuf]) -> Result<Vec<FileCheck>, CheckError> {
    let mut out = Vec::new();
    for path in paths {
        for file in sql_files(path)? {
            let text = std::fs::read_to_string(&file).map_err(|source| CheckError::Read {
                path: file.display().to_string(),
                source,
            })?;
            out.push(check_text(&file.display().to_string(), &text)?);
        }
    }
    Ok(out)
}

/// `path` itself when it is a file, else its `*.sql` files sorted by name.
pub fn sql_files(path: &Path) -> Result<Vec<PathBuf>, CheckError> {
    let read = |source| CheckError::Read {
        path: path.display().to_string(),
        source,
    };
    let meta = std::fs::metadata(path).map_err(read)?;
    if !meta.is_dir() {
        return Ok(vec![path.to_path_buf()]);
    }
    let mut files: Vec<PathBuf> = std::fs::read_dir(path)
        .map_err(read)?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_file() && p.extension().is_some_and(|e| e == "sql"))
        .collect();
    files.sort_by(|a, b| a.file_name().cmp(&b.file_name()));
    if files.is_empty() {
        return Err(CheckError::Empty(path.display().to_string()));
    }
    Ok(files)
}
