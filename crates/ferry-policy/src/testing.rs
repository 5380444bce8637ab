//! `ferry policy test`: a policy change is promoted like code, so it needs tests like code. Two
//! kinds, both in the policy directory:
//!
//! * Rego `test_*` rules in any `.rego` file (typically `*_test.rego`), as `opa test` runs them:
//!   a test passes when its rule evaluates to `true`.
//! * Fixture pairs under `tests/`: `<name>.plan.json` (a plan as `terraform show -json` prints it)
//!   and `<name>.expect.json`:
//!
//!   ```json
//!   {
//!     "context": {"environment": "prod", "review": null, "approvals": []},
//!     "deny": ["exact message", "..."],
//!     "warn": []
//!   }
//!   ```
//!
//!   The Rego policies are evaluated on the plan (built-in rules are not: they are configured per
//!   project, not per directory); the test passes when the deny and warn messages are exactly the
//!   expected ones, in any order. A missing `deny` or `warn` key means "none". `context` is
//!   optional and becomes `data.ferry` (environment defaults to `test`).

use crate::config::{BuiltinConfig, PolicyOptions};
use crate::rego::{self, load::TESTS_DIR};
use crate::report::Level;
use crate::{FerryContext, PolicyError, PolicySet};
use serde::{Deserialize, Serialize};
use std::path::Path;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TestOutcome {
    /// `package.test_name` for Rego tests, the fixture name for fixtures, `load` for load errors.
    pub name: String,
    /// `rego`, `fixture` or `load`.
    pub kind: String,
    /// The file that defines the test.
    pub source: String,
    pub line: Option<u32>,
    pub passed: bool,
    /// Why it failed.
    pub message: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TestReport {
    pub tests: Vec<TestOutcome>,
}

impl TestReport {
    /// All tests passed, and there was at least one: an empty suite proves nothing.
    pub fn passed(&self) -> bool {
        !self.tests.is_empty() && self.tests.iter().all(|t| t.passed)
    }

    pub fn failures(&self) -> impl Iterator<Item = &TestOutcome> {
        self.tests.iter().filter(|t| !t.passed)
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct Expect {
    #[serde(default)]
    context: Option<ContextSpec>,
    #[serde(default)]
    deny: Vec<String>,
    #[serde(default)]
    warn: Vec<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct ContextSpec {
    environment: Option<String>,
    release: Option<String>,
    review: Option<ferry_core::Review>,
    baseline: Option<serde_json::Value>,
    #[serde(default)]
    approvals: Vec<serde_json::Value>,
}

/// Runs every Rego test and fixture in `dir`. `Err` only when `dir` cannot be read.
pub fn run_tests(dir: &Path, opts: &PolicyOptions) -> Result<TestReport, PolicyError> {
    let mut tests = vec![];
    let suite = rego::load_tests(dir, opts)?;
    for p in suite.problems {
        tests.push(TestOutcome {
            name: format!("load {}", p.source),
            kind: "load".into(),
            source: p.source.clone(),
            line: p.line,
            passed: false,
            message: Some(p.message),
        });
    }
    for rule in suite.tests {
        let name = format!("{}.{}", rule.package, rule.name);
        let outcome = match &suite.engine {
            None => Err("the policies did not compile (see the load failure)".to_string()),
            Some(engine) => run_rego_test(engine.clone(), &rule.package, &rule.name),
        };
        tests.push(TestOutcome {
            name,
            kind: "rego".into(),
            source: rule.file,
            line: Some(rule.line),
            passed: outcome.is_ok(),
            message: outcome.err(),
        });
    }
    tests.extend(run_fixtures(dir, opts)?);
    Ok(TestReport { tests })
}

fn run_rego_test(mut engine: regorus::Engine, package: &str, name: &str) -> Result<(), String> {
    match engine.eval_rule(format!("data.{package}.{name}")) {
        Ok(regorus::Value::Bool(true)) => Ok(()),
        Ok(regorus::Value::Undefined) => {
            Err("undefined: a condition in the test was not met".into())
        }
        Ok(other) => Err(format!("evaluated to {other}, not true")),
        Err(e) => {
            let text = e.to_string();
            let (line, message) = rego::diag::locate(&text);
            Err(match line {
                Some(l) => format!("error at line {l}: {message}"),
                None => message,
            })
        }
    }
}

fn run_fixtures(dir: &Path, opts: &PolicyOptions) -> Result<Vec<TestOutcome>, PolicyError> {
    let tests_dir = dir.join(TESTS_DIR);
    if !tests_dir.is_dir() {
        return Ok(vec![]);
    }
    let mut names: Vec<String> = std::fs::read_dir(&tests_dir)
        .map_err(|source| PolicyError::Io {
            path: tests_dir.clone(),
            source,
        })?
        .filter_map(|e| e.ok())
        .filter_map(|e| {
            e.file_name()
                .to_string_lossy()
                .strip_suffix(".plan.json")
                .map(str::to_string)
        })
        .collect();
    names.sort();
    if names.is_empty() {
        return Ok(vec![]);
    }
    let builtin = BuiltinConfig {
        protect_stateful: false,
        ..BuiltinConfig::default()
    };
    let set = PolicySet::load(
        Some(dir),
        &builtin,
        &PolicyOptions {
            require_dir: true,
            ..opts.clone()
        },
    )?;
    let prefix = format!("{}/{TESTS_DIR}", rego::load::dir_name(dir));
    Ok(names
        .into_iter()
        .map(|name| {
            let source = format!("{prefix}/{name}.plan.json");
            let outcome = run_fixture(&set, &tests_dir, &name);
            TestOutcome {
                name,
                kind: "fixture".into(),
                source,
                line: None,
                passed: outcome.is_ok(),
                message: outcome.err(),
            }
        })
        .collect())
}

fn run_fixture(set: &PolicySet, tests_dir: &Path, name: &str) -> Result<(), String> {
    let read = |file: String| -> Result<String, String> {
        std::fs::read_to_string(tests_dir.join(&file))
            .map_err(|e| format!("cannot read {file}: {e}"))
    };
    let plan: serde_json::Value = serde_json::from_str(&read(format!("{name}.plan.json"))?)
        .map_err(|e| format!("{name}.plan.json: {e}"))?;
    let expect: Expect = serde_json::from_str(&read(format!("{name}.expect.json"))?)
        .map_err(|e| format!("{name}.expect.json: {e}"))?;
    let spec = expect.context.unwrap_or_default();
    let ctx = FerryContext {
        environment: spec.environment.unwrap_or_else(|| "test".to_string()),
        release: spec.release,
        review: spec.review,
        baseline: spec.baseline,
        approvals: spec.approvals,
    };
    let report = set.evaluate(&plan, &ctx);
    let mut problems = vec![];
    for (level, expected) in [(Level::Deny, &expect.deny), (Level::Warn, &expect.warn)] {
        let mut got: Vec<&str> = report
            .results
            .iter()
            .filter(|r| r.level == level)
            .map(|r| r.message.as_str())
            .collect();
        got.sort_unstable();
        let mut want: Vec<&str> = expected.iter().map(String::as_str).collect();
        want.sort_unstable();
        for w in want.iter().filter(|w| !got.contains(w)) {
            problems.push(format!("expected {level} not produced: {w:?}"));
        }
        for g in got.iter().filter(|g| !want.contains(g)) {
            problems.push(format!("unexpected {level}: {g:?}"));
        }
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(problems.join("; "))
    }
}
