//! A reader that went away: every reporting command, in every format, with its stdout a pipe
//! whose reading end is already closed (what `ferry status | head -1` becomes once head exits)
//! ends with 141 (128 + SIGPIPE) and says nothing of a panic; a closed stderr never stops an
//! operation half-way.

use crate::common::Project;
use std::process::Stdio;

/// Runs `ferry <args>` with stdout (and, when `close_stderr`, stderr) a pipe nobody reads.
fn closed(p: &Project, args: &[&str], close_stderr: bool) -> (i32, String) {
    let probe = p.ferry(args);
    let mut cmd = std::process::Command::new(assert_cmd::cargo::cargo_bin("ferry"));
    for (k, v) in probe.get_envs() {
        match v {
            Some(v) => cmd.env(k, v),
            None => cmd.env_remove(k),
        };
    }
    let (reader, writer) = std::io::pipe().unwrap();
    drop(reader);
    cmd.args(probe.get_args()).stdout(Stdio::from(writer));
    if close_stderr {
        let (r, w) = std::io::pipe().unwrap();
        drop(r);
        cmd.stderr(Stdio::from(w));
    } else {
        cmd.stderr(Stdio::piped());
    }
    let out = cmd.output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stderr).to_string(),
    )
}

#[test]
fn every_reporting_command_ends_quietly_on_a_closed_stdout() {
    let p = Project::example();
    p.release();
    p.ok(&["promote", "--to", "dev"]);
    p.ok(&["plan", "--env", "staging"]);
    let commands: &[&[&str]] = &[
        &["status"],
        &["status", "--env", "dev"],
        &["history"],
        &["release", "list"],
        &["audit"],
        &["review", "--env", "staging"],
        &["ledger", "verify"],
    ];
    for args in commands {
        for format in ["human", "json"] {
            let mut full = vec!["--format", format];
            full.extend_from_slice(args);
            let (code, err) = closed(&p, &full, false);
            assert_eq!(code, 141, "ferry {full:?}: {err}");
            assert!(!err.contains("panicked"), "ferry {full:?}: {err}");
            let (code, _) = closed(&p, &full, true);
            assert_eq!(code, 141, "ferry {full:?} with stderr closed too");
        }
    }
    let (code, err) = closed(
        &p,
        &["--format", "markdown", "review", "--env", "staging"],
        false,
    );
    assert_eq!(code, 141, "{err}");
}

#[test]
fn an_error_document_to_a_closed_stdout_ends_quietly() {
    let p = Project::example();
    let (code, err) = closed(&p, &["--format", "json", "plan", "--env", "nowhere"], false);
    assert_eq!(code, 141, "{err}");
    assert!(!err.contains("panicked"), "{err}");
}

#[test]
fn a_closed_stderr_does_not_stop_a_promotion() {
    let p = Project::example();
    p.release();
    let probe = p.ferry(&["promote", "--to", "dev"]);
    let mut cmd = std::process::Command::new(assert_cmd::cargo::cargo_bin("ferry"));
    for (k, v) in probe.get_envs() {
        match v {
            Some(v) => cmd.env(k, v),
            None => cmd.env_remove(k),
        };
    }
    let (r, w) = std::io::pipe().unwrap();
    drop(r);
    // every engine line goes to stderr
    cmd.args(probe.get_args())
        .env("FERRY_PROGRESS", "plain")
        .stdout(Stdio::null())
        .stderr(Stdio::from(w));
    let status = cmd.status().unwrap();
    assert_eq!(status.code(), Some(0));
    let dev = p.json(&["status", "--env", "dev"]);
    assert_eq!(
        dev["environments"][0]["last_deployment"]["status"],
        "succeeded"
    );
}
