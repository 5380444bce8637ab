//! One attempt of an HTTP check: a plain HTTP/1.1 GET with connect and overall time limits,
//! judged on status and optionally on body text.
//!
//! Plain HTTP only: a TLS stack (rustls + ring) would dominate this workspace's build on CI's two
//! cores for a check that is usually against a service's local health port. `https://` URLs are
//! refused at configuration time with a pointer to a `curl` command check. Redirects are not
//! followed, so `expect_status = 301` can be checked; proxy variables are honoured as by curl.

use crate::redact::Redactor;
use crate::spec::{format_duration, HttpCheck};
use crate::Attempt;
use std::io::{ErrorKind, Read};
use std::time::Duration;

/// Enough of the body to find a marker in a health page; the rest is not read.
const BODY_LIMIT: u64 = 1024 * 1024;
/// How much of a mismatching body is shown in the detail.
const BODY_EXCERPT: usize = 200;

pub(crate) fn attempt(check: &HttpCheck, timeout: Duration, redactor: &Redactor) -> Attempt {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .timeout_global(Some(timeout))
        .timeout_connect(Some(timeout))
        .http_status_as_error(false)
        .max_redirects(0)
        .build()
        .into();
    let mut response = match agent.get(check.url.as_str()).call() {
        Ok(r) => r,
        Err(e) => return Attempt::failed(redactor.redact(&describe(&e, timeout), false)),
    };
    let status = response.status();
    let status_line = format!(
        "HTTP {} {}",
        status.as_u16(),
        status.canonical_reason().unwrap_or_default()
    )
    .trim_end()
    .to_string();
    if !check.expect_status.contains(&status.as_u16()) {
        let expected: Vec<String> = check.expect_status.iter().map(u16::to_string).collect();
        return Attempt::failed(format!("{status_line}, expected {}", expected.join(" or ")));
    }
    let Some(needle) = &check.body_contains else {
        return Attempt {
            passed: true,
            detail: status_line,
        };
    };
    let mut body = Vec::new();
    if let Err(e) = response
        .body_mut()
        .as_reader()
        .take(BODY_LIMIT)
        .read_to_end(&mut body)
    {
        return Attempt::failed(format!(
            "{status_line}, but reading the body failed: {}",
            io_reason(&e, timeout)
        ));
    }
    let body = String::from_utf8_lossy(&body);
    if body.contains(needle.as_str()) {
        return Attempt {
            passed: true,
            detail: format!("{status_line}, body contains {needle:?}"),
        };
    }
    let excerpt: String = redactor
        .redact(&body, false)
        .chars()
        .take(BODY_EXCERPT)
        .collect();
    Attempt::failed(redactor.redact(
        &format!("{status_line}, body does not contain {needle:?}; body starts: {excerpt:?}"),
        false,
    ))
}

/// Short, stable reasons ("connection refused", "timed out after 5s") rather than ureq's
/// wording, since they end up in the ledger and in people's alert rules.
fn describe(error: &ureq::Error, timeout: Duration) -> String {
    match error {
        ureq::Error::Io(e) => io_reason(e, timeout),
        ureq::Error::Timeout(_) => format!("timed out after {}", format_duration(timeout)),
        ureq::Error::HostNotFound => "host not found".into(),
        ureq::Error::ConnectionFailed => "connection failed".into(),
        other => other.to_string(),
    }
}

fn io_reason(e: &std::io::Error, timeout: Duration) -> String {
    match e.kind() {
        ErrorKind::ConnectionRefused => "connection refused".into(),
        ErrorKind::ConnectionReset => "connection reset by the server".into(),
        ErrorKind::TimedOut | ErrorKind::WouldBlock => {
            format!("timed out after {}", format_duration(timeout))
        }
        ErrorKind::UnexpectedEof => {
            "the server closed the connection without a complete response".into()
        }
        _ => e.to_string(),
    }
}
