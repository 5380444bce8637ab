//! Command checks against real processes: exit codes, attempts, timeouts that kill the whole
//! process group, the environment a check sees, and redaction of sensitive outputs.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::{run_collect, spec};
use ferry_verify::{output_env, VerifyContext, VerifySpec, TAIL_BYTES};
use serde_json::json;
use std::collections::BTreeMap;
use std::path::Path;
use std::time::{Duration, Instant};

fn ctx(dir: &Path) -> VerifyContext {
    VerifyContext::new(dir)
}

fn one(command: &str, extra: &str) -> VerifySpec {
    spec(&format!(
        "[[verify]]\nname = \"c\"\ncommand = '''{command}'''\n{extra}\n"
    ))
}

#[test]
fn passing_command_reports_its_output() {
    let dir = tempfile::tempdir().unwrap();
    let (report, lines) = run_collect(&one("echo hello; echo warn >&2", ""), &ctx(dir.path()));
    assert!(report.passed, "{report:?}");
    let c = &report.checks[0];
    assert_eq!(
        (c.name.as_str(), c.kind.as_str(), c.passed, c.attempts),
        ("c", "command", true, 1)
    );
    assert!(
        c.detail.starts_with("exit status 0\n")
            && c.detail.contains("hello")
            && c.detail.contains("warn"),
        "{}",
        c.detail
    );
    assert!(
        lines
            .iter()
            .any(|l| l.contains("c (command): attempt 1/1 passed")),
        "{lines:?}"
    );
    assert_eq!(report.summary, "verified: 1 check passed");
}

#[test]
fn failing_command_uses_exactly_its_attempts() {
    let dir = tempfile::tempdir().unwrap();
    let (report, lines) = run_collect(
        &one(
            "echo try >> tries; echo nope; exit 3",
            "attempts = 3\ninterval = \"0s\"",
        ),
        &ctx(dir.path()),
    );
    assert!(!report.passed);
    let c = &report.checks[0];
    assert_eq!(c.attempts, 3);
    assert!(c.detail.starts_with("exit status 3\nnope"), "{}", c.detail);
    assert_eq!(
        std::fs::read_to_string(dir.path().join("tries"))
            .unwrap()
            .lines()
            .count(),
        3
    );
    assert_eq!(
        lines
            .iter()
            .filter(|l| l.contains("failed: exit status 3"))
            .count(),
        3,
        "{lines:?}"
    );
    assert!(
        report
            .summary
            .contains("check 'c' failed after 3 attempts: exit status 3"),
        "{}",
        report.summary
    );
}

#[test]
fn retries_stop_at_the_first_pass() {
    let dir = tempfile::tempdir().unwrap();
    let (report, _) = run_collect(
        &one(
            "echo x >> n; [ \"$(wc -l < n)\" -ge 2 ]",
            "retries = 4\ninterval = \"0s\"",
        ),
        &ctx(dir.path()),
    );
    assert!(report.passed, "{report:?}");
    assert_eq!(report.checks[0].attempts, 2);
}

fn alive(pid: u32) -> bool {
    // A killed process whose parent is gone may linger as a zombie until init reaps it: dead.
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .map(|stat| {
            stat.rsplit(')')
                .next()
                .and_then(|rest| rest.split_whitespace().next())
                != Some("Z")
        })
        .unwrap_or(false)
}

#[test]
fn hanging_command_is_killed_with_its_children_at_the_timeout() {
    let dir = tempfile::tempdir().unwrap();
    let started = Instant::now();
    let (report, _) = run_collect(
        &one(
            "sleep 300 & echo $! > child.pid; echo started; wait",
            "timeout = \"1s\"",
        ),
        &ctx(dir.path()),
    );
    let took = started.elapsed();
    assert!(took < Duration::from_secs(10), "took {took:?}");
    assert!(!report.passed);
    let c = &report.checks[0];
    assert!(c.detail.starts_with("timed out after 1s"), "{}", c.detail);
    assert!(
        c.detail.contains("started"),
        "output before the hang is kept: {}",
        c.detail
    );
    let pid: u32 = std::fs::read_to_string(dir.path().join("child.pid"))
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(2);
    while alive(pid) && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    assert!(!alive(pid), "the check's child {pid} survived the timeout");
}

#[test]
fn background_leftovers_do_not_block_a_finished_check() {
    let dir = tempfile::tempdir().unwrap();
    let started = Instant::now();
    let (report, _) = run_collect(
        &one(
            "sleep 300 & echo $! > child.pid; echo done",
            "timeout = \"20s\"",
        ),
        &ctx(dir.path()),
    );
    assert!(report.passed, "{report:?}");
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "took {:?}",
        started.elapsed()
    );
    let pid: u32 = std::fs::read_to_string(dir.path().join("child.pid"))
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    std::thread::sleep(Duration::from_millis(200));
    assert!(!alive(pid), "leftover {pid} still running");
}

#[test]
fn command_sees_ferry_variables_and_outputs_in_its_workdir() {
    let dir = tempfile::tempdir().unwrap();
    let mut c = ctx(dir.path());
    c.env.push(("FERRY_ENV".into(), "staging".into()));
    c.env.push(("FERRY_RELEASE".into(), "sha256:abc".into()));
    let outputs: BTreeMap<String, serde_json::Value> = serde_json::from_value(json!({
        "url": {"value": "http://app.internal", "type": "string", "sensitive": false},
        "ports": {"value": [80, 443], "type": ["list", "number"], "sensitive": false}
    }))
    .unwrap();
    c.env.extend(output_env(&outputs));
    let command = r#"test "$FERRY_ENV" = staging && test "$FERRY_RELEASE" = sha256:abc && test "$TF_OUTPUT_URL" = http://app.internal && echo "ports=$TF_OUTPUT_PORTS" && pwd"#;
    let (report, _) = run_collect(&one(command, ""), &c);
    assert!(report.passed, "{report:?}");
    let detail = &report.checks[0].detail;
    assert!(detail.contains("ports=[80,443]"), "{detail}");
    let canonical = dir.path().canonicalize().unwrap();
    assert!(
        detail.contains(canonical.to_str().unwrap()),
        "runs in the work dir: {detail}"
    );
}

#[test]
fn argv_runs_without_shell_parsing_relative_to_the_workdir() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("check.sh"),
        "#!/bin/sh\necho \"arg1=[$1]\"\n",
    )
    .unwrap();
    std::fs::set_permissions(
        dir.path().join("check.sh"),
        std::os::unix::fs::PermissionsExt::from_mode(0o755),
    )
    .unwrap();
    let s =
        spec("[[verify]]\nname = \"script\"\nargv = [\"./check.sh\", \"two words; rm -rf x\"]\n");
    let (report, _) = run_collect(&s, &ctx(dir.path()));
    assert!(report.passed, "{report:?}");
    assert!(
        report.checks[0]
            .detail
            .contains("arg1=[two words; rm -rf x]"),
        "{}",
        report.checks[0].detail
    );
}

#[test]
fn sensitive_outputs_reach_the_check_but_never_the_report() {
    let dir = tempfile::tempdir().unwrap();
    let mut c = ctx(dir.path());
    let outputs: BTreeMap<String, serde_json::Value> = serde_json::from_value(json!({
        "token": {"value": "s3cr3t-t0ken-value", "type": "string", "sensitive": true},
        "db": {"value": {"password": "hunter2hunter2"}, "type": "object", "sensitive": true}
    }))
    .unwrap();
    c.env.extend(output_env(&outputs));
    let command = r#"echo "token=$TF_OUTPUT_TOKEN"; echo "db=$TF_OUTPUT_DB" >&2; echo "$TF_OUTPUT_DB" | grep -o 'hunter2hunter2'; exit 1"#;
    let (report, lines) = run_collect(&one(command, ""), &c);
    assert!(!report.passed);
    let detail = &report.checks[0].detail;
    assert!(
        detail.contains("token=(sensitive)"),
        "the value was passed and hidden: {detail}"
    );
    assert!(detail.contains("db=(sensitive)"), "{detail}");
    let everything = format!(
        "{detail}\n{}\n{}\n{}",
        lines.join("\n"),
        report.summary,
        serde_json::to_string(&report).unwrap()
    );
    for secret in ["s3cr3t-t0ken-value", "hunter2hunter2"] {
        assert!(
            !everything.contains(secret),
            "{secret} leaked: {everything}"
        );
    }
}

#[test]
fn long_output_keeps_only_the_tail() {
    let dir = tempfile::tempdir().unwrap();
    let (report, _) = run_collect(&one("seq 1 100000", ""), &ctx(dir.path()));
    let detail = &report.checks[0].detail;
    assert!(detail.len() < TAIL_BYTES + 64, "{} bytes", detail.len());
    assert!(
        detail.ends_with("\n100000") && detail.contains('…'),
        "{detail}"
    );
}

#[test]
fn a_missing_program_is_a_failed_attempt() {
    let dir = tempfile::tempdir().unwrap();
    let s = spec("[[verify]]\nname = \"gone\"\nargv = [\"./no-such-script\"]\n");
    let (report, _) = run_collect(&s, &ctx(dir.path()));
    assert!(!report.passed);
    assert!(
        report.checks[0].detail.starts_with("exit status 127"),
        "{}",
        report.checks[0].detail
    );
}

#[test]
fn empty_spec_passes_immediately() {
    let dir = tempfile::tempdir().unwrap();
    let (report, _) = run_collect(&VerifySpec::default(), &ctx(dir.path()));
    assert!(report.passed && report.checks.is_empty());
    assert!(report.duration_ms < 1000);
}
