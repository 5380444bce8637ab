//! The review's contract: JSON shape, acknowledgements, parse errors, renderers.

use ferry_migrate::check::{check_text, render, CheckReport};
use serde_json::json;

fn report(file: &str, sql: &str) -> CheckReport {
    CheckReport::from_files(&[check_text(file, sql).unwrap()])
}

#[test]
fn json_report_has_the_documented_shape() {
    let sql = "-- expand: fine\nALTER TABLE users ADD COLUMN email text;\n\nCREATE INDEX users_email ON users (email);\nALTER TABLE users\n  DROP COLUMN name;\n";
    let got: serde_json::Value =
        serde_json::from_str(&render::json(&report("V2__email.sql", sql))).unwrap();
    assert_eq!(
        got,
        json!({
            "verdict": "block",
            "needs_approval": false,
            "summary": {"files": 1, "statements": 3, "expand": 1, "lock": 1, "contract": 1, "destructive": 0},
            "findings": [
                {"file": "V2__email.sql", "line": 2, "statement": "ALTER TABLE users ADD COLUMN email text",
                 "rule": "add-column", "class": "expand", "severity": "info",
                 "message": "A nullable column, or one with a constant default: the previous release ignores it.",
                 "fix": null, "acknowledged": null},
                {"file": "V2__email.sql", "line": 4, "statement": "CREATE INDEX users_email ON users (email)",
                 "rule": "create-index-locks", "class": "lock", "severity": "warn",
                 "message": "CREATE INDEX without CONCURRENTLY blocks writes to the table while it builds.",
                 "fix": "use CONCURRENTLY, in a migration file of its own (ferry runs it outside a transaction)",
                 "acknowledged": null},
                {"file": "V2__email.sql", "line": 5, "statement": "ALTER TABLE users DROP COLUMN name",
                 "rule": "drop-column", "class": "contract", "severity": "block",
                 "message": "The previous release still reads or writes this column.",
                 "fix": "expand first (add the new shape beside the old one), ship a release that uses only the new shape, then contract in a later migration acknowledged with -- ferry:contract <reason>",
                 "acknowledged": null}
            ]
        })
    );
}

#[test]
fn verdict_is_the_worst_severity() {
    assert_eq!(
        report("a.sql", "CREATE TABLE t (id int);").verdict.as_str(),
        "pass"
    );
    assert_eq!(
        report("a.sql", "CREATE INDEX i ON t (id);")
            .verdict
            .as_str(),
        "warn"
    );
    assert_eq!(
        report("a.sql", "CREATE INDEX i ON t (id); TRUNCATE t;")
            .verdict
            .as_str(),
        "block"
    );
    assert_eq!(report("a.sql", "").verdict.as_str(), "pass");
}

#[test]
fn an_acknowledged_contract_warns_and_needs_approval() {
    let sql =
        "-- ferry:contract release 41 stopped reading name\nALTER TABLE users DROP COLUMN name;\n";
    let r = report("V3.sql", sql);
    assert_eq!(r.verdict.as_str(), "warn");
    assert!(r.needs_approval);
    assert_eq!(r.findings[0].severity.as_str(), "warn");
    assert_eq!(
        r.findings[0].acknowledged.as_deref(),
        Some("release 41 stopped reading name")
    );

    // The marker must be directly above: a blank line breaks the link.
    let r = report(
        "V3.sql",
        "-- ferry:contract reason\n\nALTER TABLE users DROP COLUMN name;\n",
    );
    assert_eq!(r.verdict.as_str(), "block");
    assert!(!r.needs_approval);

    // A destructive statement stays blocked, acknowledged or not.
    let r = report(
        "V3.sql",
        "-- ferry:contract it is fine\nDROP TABLE users;\n",
    );
    assert_eq!(r.verdict.as_str(), "block");
    assert_eq!(r.findings[0].acknowledged, None);

    // A lock finding on the same statement still warns; the contract one is acknowledged.
    let r = report(
        "V3.sql",
        "-- ferry:contract the app writes ints only\nALTER TABLE t ALTER COLUMN c TYPE bigint;\n",
    );
    let sev: Vec<&str> = r.findings.iter().map(|f| f.severity.as_str()).collect();
    assert_eq!(sev, ["warn", "warn"]);
    assert_eq!(r.verdict.as_str(), "warn");
}

#[test]
fn an_unparsable_file_is_an_error_naming_file_and_line() {
    let err = check_text(
        "V9__bad.sql",
        "CREATE TABLE ok (id int);\n\nALTER TABLE ok ADD COLUM x int;\n",
    )
    .unwrap_err();
    assert_eq!(err.file, "V9__bad.sql");
    assert_eq!(err.line, 3);
    assert_eq!(
        err.to_string(),
        format!("V9__bad.sql:3: SQL does not parse: {}", err.message)
    );
}

#[test]
fn line_numbers_are_where_the_statement_starts_in_the_file() {
    let sql =
        "/* header\n   comment */\n-- note\n\n  DROP TABLE a;  TRUNCATE b;\n\nDELETE\nFROM c;";
    let r = report("x.sql", sql);
    let lines: Vec<usize> = r.findings.iter().map(|f| f.line).collect();
    assert_eq!(lines, [5, 5, 7]);
    assert_eq!(r.findings[2].statement, "DELETE FROM c");
}

#[test]
fn statements_ferry_has_no_rule_for_fail_closed() {
    let r = report("x.sql", "ALTER EXTENSION pgcrypto UPDATE;");
    assert_eq!(r.findings[0].rule, "unreviewed-statement");
    assert_eq!(r.findings[0].class.as_str(), "contract");
    assert_eq!(r.verdict.as_str(), "block");
}

#[test]
fn concurrently_and_vacuum_are_marked_non_transactional() {
    let f = check_text(
        "x.sql",
        "CREATE INDEX CONCURRENTLY i ON t (c);\nALTER TABLE t ADD COLUMN d text;",
    )
    .unwrap();
    let tx: Vec<bool> = f.statements.iter().map(|s| s.transactional).collect();
    assert_eq!(tx, [false, true]);
    assert!(!f.transactional());
    assert!(!check_text("y.sql", "VACUUM t;").unwrap().statements[0].transactional);
    assert!(check_text("z.sql", "CREATE INDEX i ON t (c);")
        .unwrap()
        .transactional());
}

#[test]
fn human_and_markdown_renderings() {
    let sql = "-- ferry:contract nobody reads legacy since 2024.06\nALTER TABLE users DROP COLUMN legacy;\nCREATE INDEX users_email ON users (email);\nALTER TABLE users ADD COLUMN nick text;\n";
    let r = report("db/migrations/V0007__drop_legacy.sql", sql);
    insta::assert_snapshot!("human", render::human(&r));
    insta::assert_snapshot!("markdown", render::markdown(&r));
}
