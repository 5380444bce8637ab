//! Soak: after the first pass every check is repeated until the soak has elapsed, and a failure in
//! any round fails verification and names that round.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::{run_collect, spec};
use ferry_verify::{VerifyContext, VerifyReport};
use std::time::{Duration, Instant};

/// Passes for its first `ok_runs` runs, then fails; counts runs in a file in the work dir.
fn flaky(ok_runs: u32, soak: &str) -> ferry_verify::VerifySpec {
    spec(&format!(
        r#"
        [[verify]]
        name = "steady"
        command = "true"
        interval = "1s"
        [[verify]]
        name = "counter"
        command = 'n=$(cat runs 2>/dev/null || echo 0); n=$((n+1)); echo $n > runs; echo "run $n"; [ $n -le {ok_runs} ]'
        interval = "1s"
        soak = "{soak}"
        "#
    ))
}

#[test]
fn a_check_that_starts_failing_during_soak_fails_verification() {
    let dir = tempfile::tempdir().unwrap();
    let started = Instant::now();
    let (report, lines) = run_collect(&flaky(3, "30s"), &VerifyContext::new(dir.path()));
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "stops at the failing round: {:?}",
        started.elapsed()
    );
    assert!(!report.passed, "{report:?}");
    assert_eq!(report.failed_round, Some(3));
    assert_eq!(report.soak_rounds, 3);
    let counter = report.checks.iter().find(|c| c.name == "counter").unwrap();
    assert!(
        !counter.passed && counter.round == 3 && counter.detail.contains("run 4"),
        "{counter:?}"
    );
    assert!(report.checks.iter().any(|c| c.name == "steady" && c.passed));
    assert!(
        report.summary.contains("soak round 3") && report.summary.contains("check 'counter'"),
        "{}",
        report.summary
    );
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with("soak round 3: counter (command): attempt 1/1 failed")),
        "{lines:?}"
    );
}

#[test]
fn checks_that_keep_passing_are_verified_after_the_soak() {
    let dir = tempfile::tempdir().unwrap();
    let started = Instant::now();
    let (report, _) = run_collect(&flaky(100, "2s"), &VerifyContext::new(dir.path()));
    let took = started.elapsed();
    assert!(report.passed, "{report:?}");
    assert!(
        took >= Duration::from_secs(2) && took < Duration::from_secs(15),
        "{took:?}"
    );
    assert_eq!((report.soak_rounds, report.failed_round), (2, None));
    assert!(report.checks.iter().all(|c| c.round == 2 && c.passed));
    assert_eq!(
        std::fs::read_to_string(dir.path().join("runs"))
            .unwrap()
            .trim(),
        "3"
    );
    assert_eq!(
        report.summary,
        "verified: 2 checks passed, then 2 soak rounds over 2s"
    );
}

#[test]
fn a_first_round_failure_skips_the_soak() {
    let dir = tempfile::tempdir().unwrap();
    let (report, _) = run_collect(&flaky(0, "1h"), &VerifyContext::new(dir.path()));
    assert!(!report.passed);
    assert_eq!((report.soak_rounds, report.failed_round), (0, None));
}

#[test]
fn report_round_trips_through_json() {
    let dir = tempfile::tempdir().unwrap();
    let (report, _) = run_collect(&flaky(0, "1h"), &VerifyContext::new(dir.path()));
    let json = serde_json::to_string(&report).unwrap();
    let back: VerifyReport = serde_json::from_str(&json).unwrap();
    assert_eq!(back, report);
    let minimal: VerifyReport =
        serde_json::from_str(r#"{"passed":true,"checks":[{"name":"a","kind":"http","passed":true,"attempts":1,"detail":""}],"duration_ms":5}"#)
            .unwrap();
    assert_eq!((minimal.soak_rounds, minimal.checks[0].round), (0, 0));
}
