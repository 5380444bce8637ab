//! The corpus through squawk (`scripts/install-squawk`): ferry must flag (class other than
//! expand) at least every statement squawk flags as breaking or locking, apart from the
//! disagreements listed below with their reason (docs/migrations.md explains each).
//! Missing squawk skips the test loudly; `FERRY_REQUIRE_SQUAWK=1` makes that a failure.

use crate::corpus::{checked_corpus, file_name};
use crate::corpus_dir;
use ferry_migrate::check::{source::line_of, Class};
use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::process::Command;

/// squawk's default rules that report a statement which breaks clients or takes a blocking
/// lock. Left out: style and robustness rules (prefer-*, require-*-timeout, ban-char-field,
/// identifier-too-long, transaction-nesting, ban-concurrent-index-creation-in-transaction,
/// require-enum-value-ordering, ban-create-domain-with-constraint, ban-uncommitted-transaction).
const BREAKING_OR_LOCKING: &[&str] = &[
    // locking
    "require-concurrent-index-creation",
    "require-concurrent-index-deletion",
    "require-concurrent-reindex",
    "require-concurrent-partition-detach",
    "constraint-missing-not-valid",
    "adding-field-with-default",
    "adding-foreign-key-constraint",
    "adding-not-nullable-field",
    "adding-serial-primary-key-field",
    "disallowed-unique-constraint",
    "changing-column-type",
    "prefer-repack",
    "ban-alter-domain-with-add-constraint",
    // breaking
    "adding-required-field",
    "renaming-column",
    "renaming-table",
    "renaming-object",
    "ban-drop-column",
    "ban-drop-table",
    "ban-drop-database",
    "ban-drop-not-null",
    "ban-drop-default",
    "ban-drop-constraint",
    "ban-drop-view",
    "ban-drop-function",
    "ban-drop-type",
    "ban-drop-schema",
    "ban-drop-sequence",
    "ban-drop-domain",
    "ban-drop-extension",
    "ban-drop-generated-expression",
    "ban-truncate-cascade",
    "ban-set-schema",
    "ban-alter-identity",
];

/// (file, statement line, squawk rule): statements squawk flags that ferry deliberately does not.
const DISAGREEMENTS: &[(&str, usize, &str)] = &[
    // The table is created earlier in the same file: empty, and no client knows it yet.
    ("V0001__create_tables.sql", 16, "adding-required-field"),
];

fn squawk_binary() -> Option<PathBuf> {
    let mut candidates = Vec::new();
    if let Some(p) = std::env::var_os("FERRY_SQUAWK") {
        candidates.push(PathBuf::from(p));
    }
    if let Some(d) = std::env::var_os("FERRY_TOOLS_DIR") {
        candidates.push(PathBuf::from(d).join("squawk/bin/squawk"));
    }
    let repo = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
    candidates.push(repo.join(".tools/squawk/bin/squawk"));
    if let Some(path) = std::env::var_os("PATH") {
        candidates.extend(std::env::split_paths(&path).map(|d| d.join("squawk")));
    }
    candidates.into_iter().find(|p| p.is_file())
}

#[test]
fn ferry_flags_every_statement_squawk_flags_as_breaking_or_locking() {
    let Some(squawk) = squawk_binary() else {
        let msg = "squawk is not installed (looked at $FERRY_SQUAWK, $FERRY_TOOLS_DIR/squawk/bin, \
                   .tools/squawk/bin and PATH); run scripts/install-squawk";
        if std::env::var("FERRY_REQUIRE_SQUAWK").as_deref() == Ok("1") {
            panic!("{msg} (FERRY_REQUIRE_SQUAWK=1)");
        }
        eprintln!("SKIPPED: {msg}");
        return;
    };
    let version = Command::new(&squawk).arg("--version").output().unwrap();
    let version = String::from_utf8_lossy(&version.stdout).trim().to_string();

    let files = checked_corpus();
    let names: Vec<String> = files
        .iter()
        .map(|f| file_name(&f.file).to_string())
        .collect();
    // ferry wraps each file in a transaction, so squawk is told to assume the same.
    let out = Command::new(&squawk)
        .current_dir(corpus_dir())
        .args(["--assume-in-transaction", "--reporter", "json"])
        .args(&names)
        .output()
        .unwrap();
    let violations: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "squawk printed no JSON ({e}): {}",
            String::from_utf8_lossy(&out.stderr)
        )
    });

    // Statement line ranges per file, to map squawk's (0-based) line to ferry's statement.
    let mut ranges: BTreeMap<String, Vec<(usize, usize, Class)>> = BTreeMap::new();
    for f in &files {
        let text = std::fs::read_to_string(&f.file).unwrap();
        let spans = f
            .statements
            .iter()
            .map(|s| (s.line, line_of(&text, s.end), s.class))
            .collect();
        ranges.insert(file_name(&f.file).to_string(), spans);
    }

    let mut squawk_flagged: BTreeMap<(String, usize), BTreeSet<String>> = BTreeMap::new();
    for v in violations.as_array().unwrap() {
        let rule = v["rule_name"].as_str().unwrap();
        if !BREAKING_OR_LOCKING.contains(&rule) {
            continue;
        }
        let file = file_name(v["file"].as_str().unwrap()).to_string();
        let line = v["line"].as_u64().unwrap() as usize + 1;
        let (start, _, _) = ranges[&file]
            .iter()
            .find(|(s, e, _)| *s <= line && line <= *e)
            .unwrap_or_else(|| panic!("{file}:{line}: squawk flags a line outside any statement"));
        squawk_flagged
            .entry((file, *start))
            .or_default()
            .insert(rule.to_string());
    }

    let mut missed = Vec::new();
    let mut agreements = 0;
    let mut squawk_only = Vec::new();
    for ((file, line), rules) in &squawk_flagged {
        let class = ranges[file].iter().find(|(s, _, _)| s == line).unwrap().2;
        if class != Class::Expand {
            agreements += 1;
            continue;
        }
        for rule in rules {
            if DISAGREEMENTS.contains(&(file.as_str(), *line, rule.as_str())) {
                squawk_only.push(format!("{file}:{line} {rule}"));
            } else {
                missed.push(format!("{file}:{line}: squawk {rule}, ferry says expand"));
            }
        }
    }
    let mut ferry_only: BTreeMap<String, usize> = BTreeMap::new();
    let mut per_class: BTreeMap<&str, usize> = BTreeMap::new();
    let mut statements = 0;
    for f in &files {
        for s in &f.statements {
            statements += 1;
            *per_class.entry(s.class.as_str()).or_default() += 1;
            let key = (file_name(&f.file).to_string(), s.line);
            if s.class != Class::Expand && !squawk_flagged.contains_key(&key) {
                *ferry_only.entry(s.class.as_str().to_string()).or_default() += 1;
            }
        }
    }
    eprintln!(
        "corpus vs {version}: {statements} statements {per_class:?}; squawk flags {} as \
         breaking or locking; both flag {agreements}; ferry only {} {ferry_only:?}; \
         squawk only {} {squawk_only:?}",
        squawk_flagged.len(),
        ferry_only.values().sum::<usize>(),
        squawk_only.len()
    );
    assert!(
        missed.is_empty(),
        "ferry misses what squawk flags:\n{}",
        missed.join("\n")
    );
    assert_eq!(
        squawk_only.len(),
        DISAGREEMENTS.len(),
        "a listed disagreement no longer happens: update DISAGREEMENTS and docs/migrations.md"
    );
}
