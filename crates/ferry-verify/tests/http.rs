//! HTTP checks against tiny servers on 127.0.0.1 started by the tests: status and body matching,
//! a closed port, and a server that never answers.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::{run_collect, spec};
use ferry_verify::{VerifyContext, VerifySpec};
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::time::{Duration, Instant};

/// Answers every request with `status_line` and `body`, forever, on its own thread.
fn serve(status_line: &'static str, body: &'static str) -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            respond(stream, status_line, body);
        }
    });
    port
}

fn respond(mut stream: TcpStream, status_line: &str, body: &str) {
    let mut request = Vec::new();
    let mut buf = [0u8; 1024];
    while !request.windows(4).any(|w| w == b"\r\n\r\n") {
        match stream.read(&mut buf) {
            Ok(0) | Err(_) => return,
            Ok(n) => request.extend_from_slice(&buf[..n]),
        }
    }
    let _ = write!(
        stream,
        "HTTP/1.1 {status_line}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
}

fn check(url: &str, extra: &str) -> VerifySpec {
    spec(&format!(
        "[[verify]]\nname = \"web\"\nhttp = \"{url}\"\ninterval = \"0s\"\n{extra}\n"
    ))
}

fn ctx() -> VerifyContext {
    VerifyContext::new(std::env::temp_dir())
}

#[test]
fn matching_status_passes() {
    let port = serve("200 OK", "all ok");
    let (report, lines) = run_collect(
        &check(&format!("http://127.0.0.1:{port}/health"), ""),
        &ctx(),
    );
    assert!(report.passed, "{report:?}");
    let c = &report.checks[0];
    assert_eq!(
        (c.kind.as_str(), c.attempts, c.detail.as_str()),
        ("http", 1, "HTTP 200 OK")
    );
    assert!(
        lines
            .iter()
            .any(|l| l.contains("web (http): attempt 1/1 passed: HTTP 200 OK")),
        "{lines:?}"
    );
}

#[test]
fn status_mismatch_fails_and_lists_accept_several() {
    let port = serve("503 Service Unavailable", "down");
    let url = format!("http://127.0.0.1:{port}/");
    let (report, _) = run_collect(&check(&url, "attempts = 2"), &ctx());
    assert!(!report.passed);
    assert_eq!(report.checks[0].attempts, 2);
    assert_eq!(
        report.checks[0].detail,
        "HTTP 503 Service Unavailable, expected 200"
    );
    let (report, _) = run_collect(&check(&url, "expect_status = [200, 503]"), &ctx());
    assert!(report.passed, "{report:?}");
}

#[test]
fn redirects_are_not_followed() {
    let port = serve("301 Moved Permanently\r\nLocation: http://127.0.0.1:1/", "");
    let (report, _) = run_collect(
        &check(&format!("http://127.0.0.1:{port}/"), "expect_status = 301"),
        &ctx(),
    );
    assert!(report.passed, "{report:?}");
}

#[test]
fn body_contains_is_checked() {
    let port = serve("200 OK", "{\"status\":\"ok\",\"version\":\"1.2.3\"}");
    let url = format!("http://127.0.0.1:{port}/");
    let (report, _) = run_collect(
        &check(&url, "body_contains = '\"version\":\"1.2.3\"'"),
        &ctx(),
    );
    assert!(report.passed, "{report:?}");
    let (report, _) = run_collect(&check(&url, "body_contains = \"2.0.0\""), &ctx());
    assert!(!report.passed);
    let detail = &report.checks[0].detail;
    assert!(
        detail.starts_with("HTTP 200 OK, body does not contain \"2.0.0\"")
            && detail.contains("1.2.3"),
        "{detail}"
    );
}

#[test]
fn sensitive_values_in_a_body_are_hidden() {
    let port = serve("200 OK", "token=s3cr3t-t0ken-value");
    let mut c = ctx();
    c.sensitive.push("s3cr3t-t0ken-value".into());
    let (report, _) = run_collect(
        &check(
            &format!("http://127.0.0.1:{port}/"),
            "body_contains = \"healthy\"",
        ),
        &c,
    );
    let detail = &report.checks[0].detail;
    assert!(
        detail.contains("token=(sensitive)") && !detail.contains("s3cr3t"),
        "{detail}"
    );
}

#[test]
fn closed_port_is_connection_refused_quickly() {
    let port = {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let started = Instant::now();
    let (report, lines) = run_collect(
        &check(
            &format!("http://127.0.0.1:{port}/"),
            "attempts = 3\ntimeout = \"30s\"",
        ),
        &ctx(),
    );
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "took {:?}",
        started.elapsed()
    );
    assert!(!report.passed);
    assert_eq!(report.checks[0].attempts, 3);
    assert_eq!(report.checks[0].detail, "connection refused");
    assert!(
        report
            .summary
            .contains("check 'web' failed after 3 attempts: connection refused"),
        "{}",
        report.summary
    );
    assert_eq!(
        lines
            .iter()
            .filter(|l| l.ends_with("failed: connection refused"))
            .count(),
        3,
        "{lines:?}"
    );
}

#[test]
fn a_server_that_never_answers_times_out() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        let held: Vec<TcpStream> = listener.incoming().flatten().collect();
        drop(held);
    });
    let started = Instant::now();
    let (report, _) = run_collect(
        &check(&format!("http://127.0.0.1:{port}/"), "timeout = \"1s\""),
        &ctx(),
    );
    assert!(
        started.elapsed() < Duration::from_secs(4),
        "took {:?}",
        started.elapsed()
    );
    assert!(!report.passed);
    assert_eq!(report.checks[0].detail, "timed out after 1s");
}
