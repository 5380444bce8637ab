//! Shared by the integration tests: turning TOML snippets into specs the way ferry-core hands
//! them over (a list of raw tables), and running them with collected progress lines.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, dead_code)]

use ferry_verify::{run, VerifyContext, VerifyError, VerifyReport, VerifySpec};

/// `[[verify]]` entries as ferry-core would pass `environment.verify`.
pub fn tables(text: &str) -> Vec<toml::Table> {
    let doc: toml::Table = toml::from_str(text).expect("test TOML parses");
    match doc.get("verify") {
        Some(toml::Value::Array(items)) => items
            .iter()
            .map(|v| v.as_table().expect("a table").clone())
            .collect(),
        _ => Vec::new(),
    }
}

pub fn try_spec(text: &str) -> Result<VerifySpec, VerifyError> {
    VerifySpec::from_tables(&tables(text))
}

pub fn spec(text: &str) -> VerifySpec {
    try_spec(text).unwrap_or_else(|e| panic!("spec should parse: {e}"))
}

pub fn run_collect(spec: &VerifySpec, ctx: &VerifyContext) -> (VerifyReport, Vec<String>) {
    let mut lines = Vec::new();
    let report = run(spec, ctx, &mut |line| lines.push(line.to_string()));
    (report, lines)
}
