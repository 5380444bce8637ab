//! Reading a policy directory: `.rego` files (each parsed as Rego v1, falling back to v0 so
//! conftest-era policies run unchanged) and `.json` data files. Anything that fails here becomes a
//! deny result rather than a skipped file, so a broken policy can never let a plan through.

use super::diag;
use crate::config::PolicyOptions;
use crate::report::{Level, PolicyResult};
use crate::PolicyError;
use regorus::utils::limits::ExecutionTimerConfig;
use regorus::{Engine, PolicyLengthConfig, Value};
use std::num::NonZeroU32;
use std::path::{Path, PathBuf};

/// Fixture plans and their expectations live here; never policies or data.
pub(crate) const TESTS_DIR: &str = "tests";

/// One conftest rule a unit evaluates.
#[derive(Debug, Clone)]
pub(crate) struct RuleRef {
    pub name: String,
    pub level: Level,
    pub line: Option<u32>,
}

/// A policy file with its own engine: evaluating it yields only its own rules' messages.
#[derive(Clone)]
pub(crate) struct Unit {
    pub file: String,
    pub package: String,
    pub rules: Vec<RuleRef>,
    pub engine: Engine,
}

#[derive(Clone, Default)]
pub(crate) struct Loaded {
    pub units: Vec<Unit>,
    /// Load-time failures, repeated as denies on every evaluation.
    pub problems: Vec<PolicyResult>,
    pub files: usize,
}

#[derive(Debug, Clone)]
struct Parsed {
    name: String,
    text: String,
    v0: bool,
    package: String,
    /// Every rule defined, with the line of its first definition.
    rules: Vec<(String, u32)>,
}

impl Parsed {
    fn conftest_rules(&self) -> impl Iterator<Item = &(String, u32)> {
        self.rules
            .iter()
            .filter(|(n, _)| super::rule_level(n).is_some())
    }
}

/// Loads the policies (not the tests) in `dir` for evaluation.
pub(crate) fn load(dir: &Path, opts: &PolicyOptions) -> Result<Loaded, PolicyError> {
    let Some(files) = list(dir, opts.require_dir, false)? else {
        return Ok(Loaded::default());
    };
    let mut problems = vec![];
    let data = load_data(dir, &files, &mut problems);
    let parsed = parse_all(dir, &files, &mut problems);
    let selected = |pkg: &str| opts.namespaces.iter().any(|n| n == "*" || n == pkg);
    let mut units = vec![];
    for f in parsed.iter().filter(|f| selected(&f.package)) {
        let rules: Vec<RuleRef> = f
            .conftest_rules()
            .filter_map(|(n, l)| {
                super::rule_level(n).map(|level| RuleRef {
                    name: n.clone(),
                    level,
                    line: Some(*l),
                })
            })
            .collect();
        if rules.is_empty() {
            continue;
        }
        // Other files of the same package defining the same rule names would merge into this
        // file's results; leave them out so each message is attributed to exactly one file.
        let members = parsed.iter().filter(|g| {
            g.name == f.name
                || g.package != f.package
                || !g
                    .conftest_rules()
                    .any(|(n, _)| rules.iter().any(|r| &r.name == n))
        });
        match build_engine(members, &data, opts) {
            Ok(engine) => units.push(Unit {
                file: f.name.clone(),
                package: f.package.clone(),
                rules,
                engine,
            }),
            Err(e) => {
                let (line, message) = diag::locate(&e);
                problems.push(
                    PolicyError::Eval {
                        file: f.name.clone(),
                        rule: "compile".to_string(),
                        line,
                        message,
                    }
                    .to_result(),
                );
            }
        }
    }
    Ok(Loaded {
        units,
        problems,
        files: parsed.len(),
    })
}

/// A `test_*` rule, for `ferry policy test`.
#[derive(Debug, Clone)]
pub(crate) struct TestRule {
    pub file: String,
    pub package: String,
    pub name: String,
    pub line: u32,
}

/// What `ferry policy test` runs Rego tests with.
pub(crate) struct TestSuite {
    /// `None` when the files did not compile together (the reason is in `problems`).
    pub engine: Option<Engine>,
    pub tests: Vec<TestRule>,
    pub problems: Vec<PolicyResult>,
}

/// Everything in `dir`, test files included, in one engine, as `opa test` sees it.
pub(crate) fn load_tests(dir: &Path, opts: &PolicyOptions) -> Result<TestSuite, PolicyError> {
    let files = list(dir, true, true)?.unwrap_or_default();
    let mut problems = vec![];
    let data = load_data(dir, &files, &mut problems);
    let parsed = parse_all(dir, &files, &mut problems);
    let tests = parsed
        .iter()
        .flat_map(|f| {
            f.rules
                .iter()
                .filter(|(n, _)| n.starts_with("test_"))
                .map(|(n, l)| TestRule {
                    file: f.name.clone(),
                    package: f.package.clone(),
                    name: n.clone(),
                    line: *l,
                })
        })
        .collect();
    match build_engine(parsed.iter(), &data, opts) {
        Ok(engine) => Ok(TestSuite {
            engine: Some(engine),
            tests,
            problems,
        }),
        Err(e) => {
            let (line, message) = diag::locate(&e);
            problems.push(
                PolicyError::Eval {
                    file: dir_name(dir),
                    rule: "compile".to_string(),
                    line,
                    message,
                }
                .to_result(),
            );
            Ok(TestSuite {
                engine: None,
                tests,
                problems,
            })
        }
    }
}

/// regorus refuses lines over 1024 columns; generated data sets and long type lists exceed
/// that, so allow wide lines while keeping its file-size and line-count limits.
fn new_engine() -> Engine {
    let mut engine = Engine::new();
    if let Some(max_col) = std::num::NonZeroU32::new(16_384) {
        engine.set_policy_length_config(PolicyLengthConfig {
            max_col,
            ..PolicyLengthConfig::default()
        });
    }
    engine
}

/// Errors come back rendered: regorus speaks `anyhow`, and we only ever display them.
fn build_engine<'a>(
    members: impl Iterator<Item = &'a Parsed>,
    data: &Value,
    opts: &PolicyOptions,
) -> Result<Engine, String> {
    let mut engine = new_engine();
    engine.set_execution_timer_config(ExecutionTimerConfig {
        limit: opts.timeout,
        check_interval: NonZeroU32::MIN.saturating_add(63),
    });
    for m in members {
        engine.set_rego_v0(m.v0);
        engine
            .add_policy(m.name.clone(), m.text.clone())
            .map_err(|e| e.to_string())?;
    }
    engine.add_data(data.clone()).map_err(|e| e.to_string())?;
    // Analysis (undefined references, recursion) happens on first evaluation; do it now so the
    // error is reported once, at load, against this file.
    engine
        .eval_query("true".to_string(), false)
        .map_err(|e| e.to_string())?;
    Ok(engine)
}

/// The name policies are reported under: `<dir name>/<path inside dir>`, stable whether the
/// directory was given as a relative path, an absolute one or a release checkout.
pub(crate) fn dir_name(dir: &Path) -> String {
    dir.file_name().map_or_else(
        || dir.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    )
}

fn display(dir: &Path, file: &Path) -> String {
    let rel = file.strip_prefix(dir).unwrap_or(file);
    let rel = rel
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect::<Vec<_>>()
        .join("/");
    format!("{}/{rel}", dir_name(dir))
}

/// Sorted `.rego` and `.json` files under `dir`; `None` when the directory is absent and was not
/// required. Hidden entries are skipped; `tests/` and `*_test.rego` only when `with_tests` is off.
fn list(dir: &Path, require: bool, with_tests: bool) -> Result<Option<Vec<PathBuf>>, PolicyError> {
    if !dir.exists() {
        return if require {
            Err(PolicyError::DirNotFound {
                path: dir.to_path_buf(),
            })
        } else {
            Ok(None)
        };
    }
    if !dir.is_dir() {
        return Err(PolicyError::DirNotFound {
            path: dir.to_path_buf(),
        });
    }
    let mut out = vec![];
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let entries = std::fs::read_dir(&d).map_err(|source| PolicyError::Io {
            path: d.clone(),
            source,
        })?;
        for entry in entries {
            let entry = entry.map_err(|source| PolicyError::Io {
                path: d.clone(),
                source,
            })?;
            let path = entry.path();
            let name = entry.file_name().to_string_lossy().into_owned();
            if name.starts_with('.') {
                continue;
            }
            if path.is_dir() {
                if with_tests || !(d == dir && name == TESTS_DIR) {
                    stack.push(path);
                }
                continue;
            }
            // Fixture plans are JSON too; under any `tests/` they are never data.
            let in_tests = path
                .strip_prefix(dir)
                .is_ok_and(|r| r.components().any(|c| c.as_os_str() == TESTS_DIR));
            let is_rego = name.ends_with(".rego") && (with_tests || !name.ends_with("_test.rego"));
            let is_data = name.ends_with(".json") && !in_tests;
            if is_rego || is_data {
                out.push(path);
            }
        }
    }
    out.sort();
    Ok(Some(out))
}

fn load_data(dir: &Path, files: &[PathBuf], problems: &mut Vec<PolicyResult>) -> Value {
    let mut engine_data = Value::new_object();
    for path in files
        .iter()
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
    {
        let file = display(dir, path);
        let fail = |message: String| {
            PolicyError::Data {
                file: file.clone(),
                message,
            }
            .to_result()
        };
        let text = match std::fs::read_to_string(path) {
            Ok(t) => t,
            Err(e) => {
                problems.push(fail(e.to_string()));
                continue;
            }
        };
        let json: serde_json::Value = match serde_json::from_str(&text) {
            Ok(j) => j,
            Err(e) => {
                problems.push(fail(format!(
                    "invalid JSON at line {} column {}: {e}",
                    e.line(),
                    e.column()
                )));
                continue;
            }
        };
        let Some(obj) = json.as_object() else {
            problems.push(fail(
                "must hold a JSON object (its keys become data.<key>)".to_string(),
            ));
            continue;
        };
        if obj.contains_key("ferry") {
            problems.push(fail(
                "data.ferry is reserved for ferry's own context".to_string(),
            ));
            continue;
        }
        let value = match super::to_rego(&json) {
            Ok(v) => v,
            Err(e) => {
                problems.push(fail(e));
                continue;
            }
        };
        let mut merged = engine_data.clone();
        if let Err(e) = merge(&mut merged, value) {
            problems.push(fail(format!("conflicts with another data file: {e}")));
            continue;
        }
        engine_data = merged;
    }
    engine_data
}

fn merge(into: &mut Value, add: Value) -> Result<(), String> {
    let mut probe = new_engine();
    probe.add_data(into.clone()).map_err(|e| e.to_string())?;
    probe.add_data(add).map_err(|e| e.to_string())?;
    *into = probe.get_data();
    Ok(())
}

fn parse_all(dir: &Path, files: &[PathBuf], problems: &mut Vec<PolicyResult>) -> Vec<Parsed> {
    let mut parsed = vec![];
    for path in files
        .iter()
        .filter(|p| p.extension().is_some_and(|e| e == "rego"))
    {
        let name = display(dir, path);
        let text = match std::fs::read_to_string(path) {
            Ok(t) => t,
            Err(e) => {
                problems.push(
                    PolicyError::Io {
                        path: path.clone(),
                        source: e,
                    }
                    .to_result(),
                );
                continue;
            }
        };
        match parse(&name, &text) {
            Ok(p) => parsed.push(p),
            Err(e) => problems.push(e.to_result()),
        }
    }
    parsed
}

/// Parses one file as Rego v1, else v0. When both fail, the dialect that got further is the one
/// the author meant, so its error is the one reported.
fn parse(name: &str, text: &str) -> Result<Parsed, PolicyError> {
    let mut errors = vec![];
    for v0 in [false, true] {
        let mut engine = new_engine();
        engine.set_rego_v0(v0);
        match engine.add_policy(name.to_string(), text.to_string()) {
            Ok(package) => {
                let package = package
                    .strip_prefix("data.")
                    .unwrap_or(&package)
                    .to_string();
                let mut rules: Vec<(String, u32)> = vec![];
                for module in engine.get_modules().iter() {
                    for rule in &module.policy {
                        let span = rule.span();
                        let name = rule_name(span.text());
                        if !name.is_empty() && !rules.iter().any(|(n, _)| *n == name) {
                            rules.push((name, span.line));
                        }
                    }
                }
                return Ok(Parsed {
                    name: name.to_string(),
                    text: text.to_string(),
                    v0,
                    package,
                    rules,
                });
            }
            Err(e) => errors.push(diag::locate(&e.to_string())),
        }
    }
    // On a tie the file's own markers decide: v1 keywords mean the v1 error is the real one.
    let prefer_v1 = looks_v1(text);
    let (line, message) = errors
        .into_iter()
        .enumerate()
        .max_by_key(|(i, (line, _))| (line.unwrap_or(0), (*i == 0) == prefer_v1))
        .map(|(_, e)| e)
        .unwrap_or((None, "cannot parse".to_string()));
    Err(PolicyError::Parse {
        file: name.to_string(),
        line,
        message,
    })
}

fn looks_v1(text: &str) -> bool {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.starts_with('#'))
        .any(|l| {
            l.starts_with("import rego.v1")
                || l.contains(" if ")
                || l.ends_with(" if")
                || l.contains(" contains ")
        })
}

/// The rule's name from its source text: `deny contains msg if`, `deny[msg] {`, `default warn := ..`.
fn rule_name(text: &str) -> String {
    let text = text.trim_start();
    let text = text
        .strip_prefix("default")
        .filter(|r| r.starts_with(char::is_whitespace))
        .unwrap_or(text)
        .trim_start();
    text.chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
        .collect()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn v1_and_v0_files_both_parse() {
        let v1 = parse(
            "p/a.rego",
            "package main\n\ndeny contains msg if {\n  msg := \"x\"\n}\n",
        )
        .unwrap();
        assert!(!v1.v0);
        assert_eq!(v1.rules, vec![("deny".to_string(), 3)]);
        let v0 = parse(
            "p/b.rego",
            "package main\n\ndeny[msg] {\n  msg := \"x\"\n}\nwarn_x[m] { m := \"y\" }\n",
        )
        .unwrap();
        assert!(v0.v0);
        assert_eq!(
            v0.rules,
            vec![("deny".to_string(), 3), ("warn_x".to_string(), 6)]
        );
    }

    #[test]
    fn syntax_errors_name_the_line() {
        let err = parse(
            "p/bad.rego",
            "package main\n\ndeny contains msg if {\n  msg := \n}\n",
        )
        .unwrap_err();
        let PolicyError::Parse { file, line, .. } = &err else {
            panic!("{err}")
        };
        assert_eq!(file, "p/bad.rego");
        assert!(matches!(line, Some(4 | 5)), "{err}");
    }

    #[test]
    fn rule_names_from_heads() {
        assert_eq!(rule_name("default deny := false"), "deny");
        assert_eq!(rule_name("deny_db[msg] {"), "deny_db");
        assert_eq!(rule_name("defaults_x := 1"), "defaults_x");
    }
}
