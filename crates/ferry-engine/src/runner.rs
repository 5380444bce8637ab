//! Spawns one engine command, streams its output as it arrives, captures all of it and enforces
//! the timeout.
//!
//! Reader threads feed a channel so the main loop can watch the clock while the engine is silent
//! (a long apply can print nothing for minutes). On timeout the engine first gets SIGINT, like a
//! Ctrl-C, so it can stop providers and write state; only after [`INTERRUPT_GRACE`] is it killed.
//! The signal is sent with the `kill` utility because the workspace forbids `unsafe` (no libc).

use std::ffi::OsString;
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender};
use std::thread;
use std::time::{Duration, Instant};

use crate::error::EngineError;
use crate::options::{RunLog, RunOptions};
use crate::signal::signal_tree;
use crate::sink::{Sink, Stream};

/// How long the engine may take to stop after SIGINT before it is killed.
pub const INTERRUPT_GRACE: Duration = Duration::from_secs(10);

const TICK: Duration = Duration::from_millis(100);
/// After the engine exits, a grandchild (e.g. a backgrounded `local-exec`) may still hold the
/// pipes open; wait this long for the last lines, then stop listening rather than hang.
const DRAIN_AFTER_EXIT: Duration = Duration::from_secs(2);

/// Whether stdout is a human log (streamed line by line) or a machine document (kept raw).
#[derive(Debug)]
pub(crate) enum Stdout {
    Stream,
    Capture,
    /// A machine document too large to hold: copied into this file as it arrives.
    File(std::fs::File),
}

pub(crate) struct Finished {
    pub log: RunLog,
    pub stdout: Vec<u8>,
}

pub(crate) fn run(
    binary: &Path,
    args: &[OsString],
    workdir: &Path,
    stdout: Stdout,
    opts: &RunOptions,
) -> Result<Finished, EngineError> {
    run_with_grace(binary, args, workdir, stdout, opts, INTERRUPT_GRACE)
}

fn run_with_grace(
    binary: &Path,
    args: &[OsString],
    workdir: &Path,
    stdout: Stdout,
    opts: &RunOptions,
    grace: Duration,
) -> Result<Finished, EngineError> {
    let command = describe(binary, args);
    tracing::debug!(%command, workdir = %workdir.display(), "running engine");
    let start = Instant::now();
    let mut child = Command::new(binary)
        .args(args)
        .current_dir(workdir)
        .env("TF_IN_AUTOMATION", "1")
        .env("TF_INPUT", "0")
        .env("CHECKPOINT_DISABLE", "1")
        .envs(opts.env.iter().map(|(k, v)| (k, v)))
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|source| EngineError::Spawn {
            command: command.clone(),
            source,
        })?;

    let (tx, rx) = mpsc::channel();
    if let Some(out) = child.stdout.take() {
        match stdout {
            Stdout::Stream => spawn_line_reader(out, Stream::Out, tx.clone()),
            Stdout::Capture => spawn_raw_reader(out, tx.clone()),
            Stdout::File(file) => spawn_copier(out, file, tx.clone()),
        }
    }
    if let Some(err) = child.stderr.take() {
        spawn_line_reader(err, Stream::Err, tx.clone());
    }
    drop(tx);

    let mut sink = Sink::new(opts);
    let watched = watch(&mut child, &rx, &mut sink, start + opts.timeout, grace);
    sink.finish();
    let (status, timed_out, raw) = match watched {
        Ok(w) => w,
        Err(source) => {
            // Never leave an engine running unobserved.
            let _ = child.kill();
            let _ = child.wait();
            return Err(EngineError::io(format!("waiting for `{command}`"), source));
        }
    };
    let duration = start.elapsed();
    tracing::debug!(%command, ?duration, ?status, timed_out, "engine finished");

    if timed_out {
        return Err(EngineError::Timeout {
            command,
            after: opts.timeout,
            output: sink.output,
        });
    }
    let exit_code = status.code().unwrap_or(-1);
    if !status.success() {
        return Err(EngineError::Failed {
            command,
            exit_code,
            stderr: sink.failure_tail(),
            output: sink.output,
        });
    }
    Ok(Finished {
        log: RunLog {
            command,
            exit_code,
            output: sink.output,
            duration,
        },
        stdout: raw,
    })
}

/// Pumps output until the engine has exited and its pipes are drained, interrupting it at the
/// deadline. Returns the exit status, whether it timed out, and the raw stdout if captured.
fn watch(
    child: &mut Child,
    rx: &Receiver<Event>,
    sink: &mut Sink,
    deadline: Instant,
    grace: Duration,
) -> std::io::Result<(ExitStatus, bool, Vec<u8>)> {
    let mut open_streams = 2usize;
    let mut raw = Vec::new();
    let mut exited: Option<(ExitStatus, Instant)> = None;
    let mut interrupted_at: Option<Instant> = None;

    loop {
        if open_streams == 0 {
            if let Some((status, _)) = exited {
                return Ok((status, interrupted_at.is_some(), raw));
            }
            thread::sleep(TICK);
        } else {
            match rx.recv_timeout(TICK) {
                Ok(Event::Line(stream, text)) => sink.line(stream, text),
                Ok(Event::Raw(bytes)) => raw = bytes,
                Ok(Event::Closed) => open_streams -= 1,
                Err(RecvTimeoutError::Timeout) => {}
                Err(RecvTimeoutError::Disconnected) => open_streams = 0,
            }
        }

        if exited.is_none() {
            if let Some(status) = child.try_wait()? {
                exited = Some((status, Instant::now()));
            }
        }
        if let Some((status, at)) = exited {
            if at.elapsed() > DRAIN_AFTER_EXIT {
                return Ok((status, interrupted_at.is_some(), raw));
            }
            continue;
        }

        let now = Instant::now();
        match interrupted_at {
            None if now >= deadline => {
                tracing::warn!(pid = child.id(), "engine timed out; sending SIGINT");
                signal_tree(child.id(), "INT");
                interrupted_at = Some(now);
            }
            Some(at) if now >= at + grace => {
                tracing::warn!(pid = child.id(), "engine ignored SIGINT; killing it");
                signal_tree(child.id(), "KILL");
                let _ = child.kill();
                exited = Some((child.wait()?, now));
            }
            _ => {}
        }
    }
}

enum Event {
    Line(Stream, String),
    Raw(Vec<u8>),
    Closed,
}

fn spawn_line_reader(pipe: impl Read + Send + 'static, stream: Stream, tx: Sender<Event>) {
    thread::spawn(move || {
        let mut reader = BufReader::new(pipe);
        let mut buf = Vec::new();
        loop {
            buf.clear();
            match reader.read_until(b'\n', &mut buf) {
                Ok(0) | Err(_) => break,
                Ok(_) => {
                    while matches!(buf.last(), Some(b'\n' | b'\r')) {
                        buf.pop();
                    }
                    // The engine may print bytes that are not UTF-8 (e.g. from a provisioner);
                    // keep going with replacement characters rather than lose the rest.
                    let text = String::from_utf8_lossy(&buf).into_owned();
                    if tx.send(Event::Line(stream, text)).is_err() {
                        break;
                    }
                }
            }
        }
        let _ = tx.send(Event::Closed);
    });
}

fn spawn_copier(mut pipe: impl Read + Send + 'static, file: std::fs::File, tx: Sender<Event>) {
    thread::spawn(move || {
        let mut w = std::io::BufWriter::with_capacity(1 << 20, file);
        let copied = std::io::copy(&mut pipe, &mut w).and_then(|_| {
            use std::io::Write as _;
            w.flush()
        });
        if let Err(e) = copied {
            // Drain the pipe so the engine does not block, then report.
            let _ = std::io::copy(&mut pipe, &mut std::io::sink());
            let _ = tx.send(Event::Line(
                Stream::Err,
                format!("ferry: writing the engine's output failed: {e}"),
            ));
            let _ = tx.send(Event::Raw(b"\0copy-failed".to_vec()));
        }
        let _ = tx.send(Event::Closed);
    });
}

fn spawn_raw_reader(mut pipe: impl Read + Send + 'static, tx: Sender<Event>) {
    thread::spawn(move || {
        let mut buf = Vec::new();
        let _ = pipe.read_to_end(&mut buf);
        let _ = tx.send(Event::Raw(buf));
        let _ = tx.send(Event::Closed);
    });
}

/// The command as a user would type it, for messages and the ledger.
pub(crate) fn describe(binary: &Path, args: &[OsString]) -> String {
    let name = binary
        .file_name()
        .map(PathBuf::from)
        .unwrap_or_else(|| binary.to_path_buf());
    let mut parts = vec![quote(&name.to_string_lossy())];
    parts.extend(args.iter().map(|a| quote(&a.to_string_lossy())));
    parts.join(" ")
}

fn quote(s: &str) -> String {
    let plain = !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_=./:,@+%".contains(c));
    if plain {
        s.to_string()
    } else {
        format!("'{}'", s.replace('\'', r"'\''"))
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
    use super::*;
    use crate::options::Progress;

    #[test]
    fn describe_quotes_only_when_needed() {
        let args: Vec<OsString> = ["plan", "-var-file=a b.tfvars", "-input=false"]
            .iter()
            .map(OsString::from)
            .collect();
        assert_eq!(
            describe(Path::new("/opt/bin/terraform"), &args),
            "terraform plan '-var-file=a b.tfvars' -input=false"
        );
    }

    #[test]
    fn runs_and_captures_exit_codes() {
        let opts = RunOptions {
            progress: Progress::Quiet,
            ..RunOptions::default()
        };
        let args: Vec<OsString> = ["-c", "echo hi; echo oops >&2; exit 3"]
            .iter()
            .map(OsString::from)
            .collect();
        let err = run(
            Path::new("sh"),
            &args,
            Path::new("."),
            Stdout::Stream,
            &opts,
        )
        .err()
        .unwrap();
        match err {
            EngineError::Failed {
                exit_code,
                stderr,
                output,
                ..
            } => {
                assert_eq!(exit_code, 3);
                assert_eq!(stderr, "oops");
                assert!(output.contains("hi\n"));
            }
            other => panic!("unexpected {other:?}"),
        }
    }

    #[test]
    fn timeout_kills_when_interrupt_is_ignored() {
        let opts = RunOptions {
            progress: Progress::Quiet,
            timeout: Duration::from_millis(300),
            ..RunOptions::default()
        };
        let args: Vec<OsString> = ["-c", "trap '' INT; sleep 30"]
            .iter()
            .map(OsString::from)
            .collect();
        let start = Instant::now();
        let grace = Duration::from_millis(300);
        let err = run_with_grace(
            Path::new("sh"),
            &args,
            Path::new("."),
            Stdout::Stream,
            &opts,
            grace,
        )
        .err()
        .unwrap();
        assert!(matches!(err, EngineError::Timeout { .. }), "{err:?}");
        assert!(
            start.elapsed() < Duration::from_secs(5),
            "{:?}",
            start.elapsed()
        );
    }

    #[test]
    fn timeout_interrupts_a_silent_process() {
        let opts = RunOptions {
            progress: Progress::Quiet,
            timeout: Duration::from_millis(300),
            ..RunOptions::default()
        };
        let args: Vec<OsString> = ["-c", "sleep 30"].iter().map(OsString::from).collect();
        let start = Instant::now();
        let err = run(
            Path::new("sh"),
            &args,
            Path::new("."),
            Stdout::Stream,
            &opts,
        )
        .err()
        .unwrap();
        assert!(matches!(err, EngineError::Timeout { .. }), "{err:?}");
        // SIGINT ends `sh -c sleep`; the grandchild may keep the pipe open, which the drain
        // limit bounds.
        assert!(
            start.elapsed() < Duration::from_secs(5),
            "{:?}",
            start.elapsed()
        );
    }
}
