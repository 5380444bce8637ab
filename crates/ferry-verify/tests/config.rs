//! `[[environment.verify]]` parsing: the documented schema, defaults, and refusals that name the
//! check and the key.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::{spec, try_spec};
use ferry_verify::{CheckKind, HttpCheck, VerifySpec};
use std::time::Duration;

fn error(text: &str) -> String {
    match try_spec(text) {
        Ok(spec) => panic!("expected a refusal, got {spec:?}"),
        Err(e) => e.to_string(),
    }
}

#[test]
fn documented_example_parses_with_defaults() {
    let s = spec(
        r#"
        [[verify]]
        name = "health"
        command = "curl -fsS http://localhost:8080/health"
        timeout = "30s"
        attempts = 3
        interval = "5s"
        soak = "2m"

        [[verify]]
        name = "homepage"
        http = "http://127.0.0.1:8080/"
        expect_status = [200, 204]
        body_contains = "ok"

        [[verify]]
        name = "deep"
        argv = ["./check.sh", "--deep"]
        retries = 2
        "#,
    );
    assert_eq!(s.soak, Duration::from_secs(120));
    assert_eq!(s.checks.len(), 3);
    let health = &s.checks[0];
    assert_eq!(
        (health.attempts, health.timeout, health.interval),
        (3, Duration::from_secs(30), Duration::from_secs(5))
    );
    assert_eq!(
        health.kind,
        CheckKind::Shell("curl -fsS http://localhost:8080/health".into())
    );
    let home = &s.checks[1];
    assert_eq!(
        home.kind,
        CheckKind::Http(HttpCheck {
            url: "http://127.0.0.1:8080/".into(),
            expect_status: vec![200, 204],
            body_contains: Some("ok".into())
        })
    );
    assert_eq!((home.attempts, home.timeout), (1, Duration::from_secs(10)));
    let deep = &s.checks[2];
    assert_eq!(
        deep.kind,
        CheckKind::Argv(vec!["./check.sh".into(), "--deep".into()])
    );
    assert_eq!(deep.attempts, 3, "retries counts tries after the first");
    assert_eq!(deep.timeout, Duration::from_secs(30));
    assert_eq!(s.soak_spacing(), Duration::from_secs(5));
}

#[test]
fn no_entries_is_an_empty_spec() {
    let s = VerifySpec::from_tables(&[]).unwrap();
    assert!(s.is_empty());
    assert_eq!(s.soak, Duration::ZERO);
    let with_status_default = spec("[[verify]]\nname = \"h\"\nhttp = \"http://localhost/\"\n");
    assert!(!with_status_default.is_empty());
    assert!(
        matches!(&with_status_default.checks[0].kind, CheckKind::Http(h) if h.expect_status == vec![200])
    );
}

#[test]
fn unknown_key_names_the_check_and_the_key() {
    let msg = error(
        r#"
        [[verify]]
        name = "health"
        command = "true"
        [[verify]]
        name = "homepage"
        http = "http://127.0.0.1/"
        expect_stauts = 200
        "#,
    );
    assert!(msg.contains("#2") && msg.contains("'homepage'"), "{msg}");
    assert!(
        msg.contains("unknown key `expect_stauts`") && msg.contains("expect_status"),
        "{msg}"
    );
    let regex = error("[[verify]]\nname = \"h\"\nhttp = \"http://x/\"\nbody_matches = \"o+k\"\n");
    assert!(regex.contains("use `body_contains`"), "{regex}");
}

#[test]
fn bad_duration_is_refused_with_the_key() {
    let msg = error("[[verify]]\nname = \"slow\"\ncommand = \"true\"\ntimeout = \"30 seconds\"\n");
    assert!(
        msg.contains("#1 ('slow')")
            && msg.contains("`timeout`")
            && msg.contains("is not a duration"),
        "{msg}"
    );
    let zero = error("[[verify]]\nname = \"z\"\ncommand = \"true\"\ntimeout = \"0s\"\n");
    assert!(zero.contains("longer than 0s"), "{zero}");
    let soak = error("[[verify]]\nname = \"s\"\ncommand = \"true\"\nsoak = \"forever\"\n");
    assert!(soak.contains("`soak`"), "{soak}");
}

#[test]
fn a_check_is_exactly_one_kind() {
    let neither = error("[[verify]]\nname = \"nothing\"\ntimeout = \"5s\"\n");
    assert!(
        neither.contains("'nothing'") && neither.contains("needs one of `command`"),
        "{neither}"
    );
    let both = error("[[verify]]\nname = \"both\"\ncommand = \"true\"\nhttp = \"http://x/\"\n");
    assert!(both.contains("has both `command` and `http`"), "{both}");
    let stray = error("[[verify]]\nname = \"c\"\ncommand = \"true\"\nexpect_status = 200\n");
    assert!(
        stray.contains("`expect_status` only applies to `http` checks"),
        "{stray}"
    );
    let empty_argv = error("[[verify]]\nname = \"a\"\nargv = []\n");
    assert!(
        empty_argv.contains("`argv` must be a non-empty list of strings"),
        "{empty_argv}"
    );
}

#[test]
fn wrong_types_and_values_are_named() {
    let attempts = error("[[verify]]\nname = \"a\"\ncommand = \"true\"\nattempts = \"3\"\n");
    assert!(
        attempts.contains("`attempts` must be a whole number, not string"),
        "{attempts}"
    );
    let zero = error("[[verify]]\nname = \"a\"\ncommand = \"true\"\nattempts = 0\n");
    assert!(zero.contains("at least 1"), "{zero}");
    let both = error("[[verify]]\nname = \"a\"\ncommand = \"true\"\nattempts = 2\nretries = 1\n");
    assert!(both.contains("not both"), "{both}");
    let status = error("[[verify]]\nname = \"h\"\nhttp = \"http://x/\"\nexpect_status = 42\n");
    assert!(status.contains("not an HTTP status"), "{status}");
    let name = error("[[verify]]\nname = 7\ncommand = \"true\"\n");
    assert!(
        name.contains("#1") && name.contains("`name` must be a string, not integer"),
        "{name}"
    );
    let missing = error("[[verify]]\ncommand = \"true\"\n");
    assert!(
        missing.contains("#1") && missing.contains("needs a `name`"),
        "{missing}"
    );
}

#[test]
fn urls_must_be_plain_http() {
    let https = error("[[verify]]\nname = \"tls\"\nhttp = \"https://example.test/\"\n");
    assert!(
        https.contains("plain HTTP only") && https.contains("curl -fsS https://example.test/"),
        "{https}"
    );
    let junk = error("[[verify]]\nname = \"j\"\nhttp = \"localhost:8080\"\n");
    assert!(junk.contains("is not a URL"), "{junk}");
}

#[test]
fn names_are_unique_and_soak_is_said_once() {
    let dup = error("[[verify]]\nname = \"a\"\ncommand = \"true\"\n[[verify]]\nname = \"a\"\ncommand = \"false\"\n");
    assert!(dup.contains("#2") && dup.contains("unique"), "{dup}");
    let clash = error(
        "[[verify]]\nname = \"a\"\ncommand = \"true\"\nsoak = \"1m\"\n[[verify]]\nname = \"b\"\ncommand = \"true\"\nsoak = \"2m\"\n",
    );
    assert!(
        clash.contains("#2 ('b')") && clash.contains("2m") && clash.contains("1m in check 'a'"),
        "{clash}"
    );
    let same = spec("[[verify]]\nname = \"a\"\ncommand = \"true\"\nsoak = \"1m\"\n[[verify]]\nname = \"b\"\ncommand = \"true\"\nsoak = \"60s\"\n");
    assert_eq!(same.soak, Duration::from_secs(60));
}
