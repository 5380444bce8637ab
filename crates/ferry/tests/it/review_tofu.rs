//! OpenTofu's `show -json` output, as OpenTofu's own test data records it (the shared corpus),
//! reviewed through the `ferry` binary with the exact findings: moves, drift, replace reasons,
//! deletes, an errored plan, sensitive values. No `tofu` binary can be had from the registries
//! this project may use, so these recorded plans are what stands for the engine's tofu path.
//!
//! The corpus is `$FERRY_CORPUS` (default `../shared/corpus` beside the repository); where it is
//! absent the tests say so and pass over it, and `FERRY_REQUIRE_CORPUS=1` (CI) fails them.

use assert_cmd::Command;
use serde_json::{json, Value};
use std::path::PathBuf;

fn tofu_plans() -> Option<PathBuf> {
    let repo = crate::common::repo_root();
    let base = match std::env::var_os("FERRY_CORPUS").filter(|v| !v.is_empty()) {
        Some(v) => repo.join(v),
        None => repo.join("../shared/corpus"),
    };
    let dir = base.join("real-plans/opentofu-show-json");
    if dir.is_dir() {
        return Some(dir);
    }
    let why = format!(
        "the plan corpus is not at {} (set FERRY_CORPUS to the folder holding real-plans/)",
        base.display()
    );
    if std::env::var("FERRY_REQUIRE_CORPUS").is_ok_and(|v| v == "1") {
        panic!("{why}; FERRY_REQUIRE_CORPUS=1 requires it");
    }
    eprintln!("skipped: {why}");
    None
}

/// `ferry [--format F] review FILE EXTRA...` in an empty directory: (exit code, stdout, stderr).
fn review(
    file: &std::path::Path,
    format: &str,
    extra: &[&std::ffi::OsStr],
) -> (i32, String, String) {
    let dir = tempfile::tempdir().unwrap();
    let out = Command::cargo_bin("ferry")
        .unwrap()
        .args(["--format", format, "review"])
        .arg(file)
        .args(extra)
        .env("NO_COLOR", "1")
        .env_remove("FERRY_LOG")
        .current_dir(dir.path())
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn json_review(file: &std::path::Path) -> (i32, Value) {
    let (code, out, err) = review(file, "json", &[]);
    let v = serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out}{err}"));
    (code, v)
}

fn finding(kind: &str, severity: &str, address: &str, attribute: Value, message: &str) -> Value {
    json!({"kind": kind, "severity": severity, "address": address, "attribute": attribute,
           "message": message, "explained_by": []})
}

#[test]
fn opentofu_plans_are_reviewed_with_exact_findings() {
    let Some(dir) = tofu_plans() else { return };
    let cases: Vec<(&str, i32, &str, Value, Vec<Value>)> = vec![
        (
            "moved__output.json",
            0,
            "pass",
            json!({"create": 0, "update": 1, "replace": 0, "delete": 0, "read": 0, "no_op": 0, "forget": 0}),
            vec![finding("moved", "info", "test_instance.baz", Value::Null,
                "test_instance.baz was test_instance.foo: a moved block renames it in the state; the object is kept, not destroyed and created again; it is also updated in place.")],
        ),
        (
            "moved-drift__output.json",
            0,
            "warn",
            json!({"create": 0, "update": 2, "replace": 0, "delete": 0, "read": 0, "no_op": 0, "forget": 0}),
            vec![
                finding("drift", "warn", "test_instance.should_refresh_with_move", json!("ami"),
                    "test_instance.should_refresh_with_move changed outside of Terraform/OpenTofu: ami (\"refresh-me\" → \"refreshed\")."),
                finding("moved", "info", "test_instance.should_refresh_with_move", Value::Null,
                    "test_instance.should_refresh_with_move was test_instance.should_refresh: a moved block renames it in the state; the object is kept, not destroyed and created again; it is also updated in place."),
            ],
        ),
        (
            "multi-resource-update__output.json",
            0,
            "pass",
            json!({"create": 1, "update": 0, "replace": 0, "delete": 0, "read": 0, "no_op": 1, "forget": 0}),
            vec![finding("moved", "info", "test_instance.test[0]", Value::Null,
                "test_instance.test[0] was test_instance.test: a moved block renames it in the state; the object is kept, not destroyed and created again.")],
        ),
        (
            "requires-replace__output.json",
            0,
            "warn",
            json!({"create": 0, "update": 0, "replace": 1, "delete": 0, "read": 0, "no_op": 0, "forget": 0}),
            vec![finding("replace", "warn", "test_instance.test", json!("ami"),
                "test_instance.test will be replaced (destroy, then create: it does not exist in between) because a change to ami forces it; an attribute that cannot change in place changed.")],
        ),
        (
            "basic-delete__output.json",
            0,
            "warn",
            json!({"create": 0, "update": 1, "replace": 0, "delete": 1, "read": 0, "no_op": 0, "forget": 0}),
            vec![finding("delete", "warn", "test_instance.test-delete", Value::Null,
                "test_instance.test-delete will be destroyed; its resource block is no longer in the configuration.")],
        ),
        (
            "drift__output.json",
            0,
            "warn",
            json!({"create": 0, "update": 2, "replace": 0, "delete": 0, "read": 0, "no_op": 0, "forget": 0}),
            vec![finding("drift", "warn", "test_instance.should_refresh", json!("ami"),
                "test_instance.should_refresh changed outside of Terraform/OpenTofu: ami (\"refresh-me\" → \"refreshed\").")],
        ),
        (
            "plan-error__output.json",
            3,
            "block",
            json!({"create": 0, "update": 0, "replace": 0, "delete": 0, "read": 0, "no_op": 0, "forget": 0}),
            vec![finding("plan-errored", "block", "*", Value::Null,
                "the engine reported errors while planning (`errored: true`): the plan is partial and must not be applied; fix the errors and plan again")],
        ),
    ];
    for (file, code, verdict, summary, findings) in cases {
        let (got_code, r) = json_review(&dir.join(file));
        assert_eq!(got_code, code, "{file}: {r}");
        assert_eq!(r["verdict"], verdict, "{file}");
        assert_eq!(r["summary"], summary, "{file}");
        assert_eq!(r["findings"], Value::Array(findings), "{file}");
    }
}

/// The value of OpenTofu's sensitive variable ("boop", also a sensitive attribute and output)
/// is in no rendering, even where the explanation against a baseline names the variable.
#[test]
fn opentofu_sensitive_values_are_in_no_output() {
    let Some(dir) = tofu_plans() else { return };
    let file = dir.join("sensitive-values__output.json");
    let baseline = dir.join("basic-update__output.json");
    let plan = std::fs::read_to_string(&file).unwrap();
    assert!(
        plan.contains("\"boop\""),
        "the recorded plan holds the value"
    );
    let extra = [std::ffi::OsStr::new("--baseline"), baseline.as_os_str()];
    let (code, out, err) = review(&file, "json", &extra);
    assert_eq!(code, 0, "{err}");
    let r: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(
        r["findings"],
        json!([finding("not-in-baseline", "warn", "test_instance.test", Value::Null,
            "create of test_instance.test (1 instance, e.g. test_instance.test) is not in the baseline plan, which has no change for it. Not explained: its count and for_each depend on no input variable; its attributes depend on var.test_var (baseline: (sensitive value), this plan: (sensitive value)), but different input values change an existing object, they do not create one: when the baseline keeps this object unchanged, it is usually missing from this environment's state (removed by hand, or never applied).")])
    );
    for format in ["json", "human", "markdown"] {
        for extra in [&extra[..], &[]] {
            let (code, out, err) = review(&file, format, extra);
            assert_eq!(code, 0, "{format}: {err}");
            assert!(
                !out.contains("boop") && !err.contains("boop"),
                "{format}: {out}{err}"
            );
        }
    }
}
