//! Spawns one engine command, streams its output as it arrives, captures all of it and enforces
//! the timeout.
//!
//! Reader threads feed a channel so the main loop can watch the clock and the [`Cancel`] handle
//! while the engine is silent (a long apply can print nothing for minutes). The engine runs in a
//! process group of its own, created with umask 077 so everything it writes (state, plans,
//! `.terraform`) is private from creation. On timeout or interrupt its group first gets SIGINT,
//! like a Ctrl-C, so it can stop providers and write state; after [`INTERRUPT_GRACE`] (or a second
//! interrupt) the group is killed, and after an interrupted run whatever is left of the group
//! (providers, a provisioner's children) is killed too: nothing the engine started outlives it.

use std::ffi::OsString;
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender};
use std::thread;
use std::time::{Duration, Instant};

use crate::cancel::{kill_group, Cancel};
use crate::error::EngineError;
use crate::options::{RunLog, RunOptions};
use crate::sink::{Sink, Stream};
use nix::sys::signal::Signal;
use nix::sys::stat::{umask, Mode};
use std::os::unix::process::CommandExt as _;

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
    if let Some(signal) = opts.cancel.as_ref().and_then(Cancel::signal) {
        // Interrupted before this command began: start nothing new.
        return Err(EngineError::Interrupted {
            command,
            signal,
            output: String::new(),
        });
    }
    let start = Instant::now();
    let mut cmd = Command::new(binary);
    cmd.args(args)
        .current_dir(workdir)
        .env("TF_IN_AUTOMATION", "1")
        .env("TF_INPUT", "0")
        .env("CHECKPOINT_DISABLE", "1")
        .envs(opts.env.iter().map(|(k, v)| (k, v)))
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .process_group(0);
    let mut child = spawn_private(&mut cmd).map_err(|source| EngineError::Spawn {
        command: command.clone(),
        source,
    })?;
    let group = Group::enter(child.id(), opts.cancel.clone());
    let watchman = crate::guard::Watchman::start(group.id, grace);

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
    let limits = Limits {
        deadline: start + opts.timeout,
        grace,
        cancel: opts.cancel.as_ref(),
        group: group.id,
    };
    let watched = watch(&mut child, &rx, &mut sink, &limits);
    let watched = match watched {
        Ok(w) => w,
        Err(source) => {
            // Never leave an engine running unobserved.
            kill_group(group.id, Signal::SIGKILL);
            let _ = child.kill();
            let _ = child.wait();
            watchman.done();
            sink.finish();
            return Err(EngineError::io(format!("waiting for `{command}`"), source));
        }
    };
    if watched.stopped.is_some() {
        // Providers and a provisioner's children may still run; none may outlive the run.
        kill_group(group.id, Signal::SIGKILL);
    }
    watchman.done();
    drop(group);
    sink.finish();
    let Watched {
        status,
        stopped,
        raw,
    } = watched;
    let duration = start.elapsed();
    tracing::debug!(%command, ?duration, ?status, ?stopped, "engine finished");

    match stopped {
        Some(Stop::Timeout) => {
            return Err(EngineError::Timeout {
                command,
                after: opts.timeout,
                output: sink.output,
            })
        }
        // An engine that finished its work before the interrupt reached it did finish it.
        Some(Stop::Interrupt(signal)) if !status.success() => {
            return Err(EngineError::Interrupted {
                command,
                signal,
                output: sink.output,
            })
        }
        _ => {}
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

/// Spawns with umask 077, so the engine's files (state, plans, provider caches) are private from
/// creation. The mask is process-wide, so it is set only around the spawn and restored; ferry's
/// other threads create no files meanwhile, and any that did would only be more private.
fn spawn_private(cmd: &mut Command) -> std::io::Result<Child> {
    let old = umask(Mode::from_bits_truncate(0o077));
    let child = cmd.spawn();
    umask(old);
    child
}

/// A running engine's process group, known to the [`Cancel`] handle while it runs.
struct Group {
    id: i32,
    cancel: Option<Cancel>,
}

impl Group {
    fn enter(pid: u32, cancel: Option<Cancel>) -> Group {
        let id = i32::try_from(pid).unwrap_or(0);
        if let Some(c) = &cancel {
            c.enter(id);
        }
        Group { id, cancel }
    }
}

impl Drop for Group {
    fn drop(&mut self) {
        if let Some(c) = &self.cancel {
            c.leave(self.id);
        }
    }
}

struct Limits<'a> {
    deadline: Instant,
    grace: Duration,
    cancel: Option<&'a Cancel>,
    group: i32,
}

/// Why ferry stopped the engine.
#[derive(Debug, Clone, Copy)]
enum Stop {
    Timeout,
    Interrupt(i32),
}

struct Watched {
    status: ExitStatus,
    stopped: Option<Stop>,
    raw: Vec<u8>,
}

/// Pumps output until the engine has exited and its pipes are drained, interrupting its group at
/// the deadline or when ferry is interrupted, and killing it when it does not stop in time.
fn watch(
    child: &mut Child,
    rx: &Receiver<Event>,
    sink: &mut Sink,
    limits: &Limits<'_>,
) -> std::io::Result<Watched> {
    let mut open_streams = 2usize;
    let mut raw = Vec::new();
    let mut exited: Option<(ExitStatus, Instant)> = None;
    let mut interrupted_at: Option<Instant> = None;
    let mut stopped: Option<Stop> = None;
    let mut killed = false;
    // Both pipes close a moment before the engine can be reaped: poll that moment briefly
    // (doubling up to a tick), not a whole tick per engine command.
    let mut reap_wait = Duration::from_millis(1);

    loop {
        if open_streams == 0 {
            if let Some((status, _)) = exited {
                return Ok(Watched {
                    status,
                    stopped,
                    raw,
                });
            }
            thread::sleep(reap_wait);
            reap_wait = (reap_wait * 2).min(TICK);
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
                // A second interrupt kills the group from the signal thread, possibly before
                // this loop saw the first: the engine was still stopped by an interrupt.
                if let (None, Some(sig)) = (stopped, limits.cancel.and_then(Cancel::signal)) {
                    stopped = Some(Stop::Interrupt(sig));
                }
            }
        }
        if let Some((status, at)) = exited {
            if at.elapsed() > DRAIN_AFTER_EXIT {
                return Ok(Watched {
                    status,
                    stopped,
                    raw,
                });
            }
            if stopped.is_some() {
                // What is left of the group only holds the pipes open now.
                kill_group(limits.group, Signal::SIGKILL);
            }
            continue;
        }

        let now = Instant::now();
        let signals = limits.cancel.map_or(0, Cancel::count);
        if interrupted_at.is_none() && (signals > 0 || now >= limits.deadline) {
            stopped = Some(match limits.cancel.and_then(Cancel::signal) {
                Some(sig) if signals > 0 => Stop::Interrupt(sig),
                _ => Stop::Timeout,
            });
            tracing::warn!(
                pid = child.id(),
                ?stopped,
                "stopping the engine with SIGINT"
            );
            kill_group(limits.group, Signal::SIGINT);
            interrupted_at = Some(now);
        }
        let insist = signals >= 2;
        if let Some(at) = interrupted_at {
            if !killed && (insist || now >= at + limits.grace) {
                tracing::warn!(
                    pid = child.id(),
                    "the engine did not stop; killing its process group"
                );
                kill_group(limits.group, Signal::SIGKILL);
                let _ = child.kill();
                killed = true;
                exited = Some((child.wait()?, now));
            }
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
    use crate::Cancel;

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

    /// Running, not a zombie (Linux `/proc`).
    fn alive(pid: &str) -> bool {
        std::fs::read_to_string(format!("/proc/{}/stat", pid.trim()))
            .map(|st| {
                !st.rsplit(')')
                    .next()
                    .unwrap_or("")
                    .trim_start()
                    .starts_with('Z')
            })
            .unwrap_or(false)
    }

    fn sh(script: &str) -> Vec<OsString> {
        vec![OsString::from("-c"), OsString::from(script)]
    }

    #[test]
    fn an_interrupt_stops_the_engine_group_and_nothing_outlives_it() {
        let dir = tempfile::tempdir().unwrap();
        let pidfile = dir.path().join("child.pid");
        let cancel = Cancel::new();
        let opts = RunOptions {
            progress: Progress::Quiet,
            cancel: Some(cancel.clone()),
            ..RunOptions::default()
        };
        // The shell ignores SIGINT (so does its child): only the hard kill after the grace
        // period stops them, and the backgrounded child must not survive it.
        let script = format!(
            "trap '' INT; sleep 30 & echo $! > '{}'; wait",
            pidfile.display()
        );
        let c = cancel.clone();
        let raiser = thread::spawn(move || {
            thread::sleep(Duration::from_millis(400));
            c.raise(2)
        });
        let start = Instant::now();
        let err = run_with_grace(
            Path::new("sh"),
            &sh(&script),
            Path::new("."),
            Stdout::Stream,
            &opts,
            Duration::from_millis(500),
        )
        .err()
        .unwrap();
        assert_eq!(raiser.join().unwrap(), 1);
        assert!(
            matches!(err, EngineError::Interrupted { signal: 2, .. }),
            "{err:?}"
        );
        assert!(
            start.elapsed() < Duration::from_secs(5),
            "{:?}",
            start.elapsed()
        );
        let child = std::fs::read_to_string(&pidfile).unwrap();
        thread::sleep(Duration::from_millis(200));
        assert!(!alive(&child), "pid {child} outlived the engine");
        assert!(!cancel.guarded(), "the group was not forgotten");
    }

    #[test]
    fn a_second_interrupt_kills_without_waiting_for_the_grace() {
        let cancel = Cancel::new();
        let opts = RunOptions {
            progress: Progress::Quiet,
            cancel: Some(cancel.clone()),
            ..RunOptions::default()
        };
        let c = cancel.clone();
        thread::spawn(move || {
            thread::sleep(Duration::from_millis(300));
            c.raise(15);
            thread::sleep(Duration::from_millis(300));
            c.raise(15);
        });
        let start = Instant::now();
        let err = run_with_grace(
            Path::new("sh"),
            &sh("trap '' INT; sleep 30"),
            Path::new("."),
            Stdout::Stream,
            &opts,
            Duration::from_secs(60),
        )
        .err()
        .unwrap();
        assert!(
            matches!(err, EngineError::Interrupted { signal: 15, .. }),
            "{err:?}"
        );
        assert!(
            start.elapsed() < Duration::from_secs(5),
            "{:?}",
            start.elapsed()
        );
    }

    #[test]
    fn nothing_starts_after_an_interrupt() {
        let dir = tempfile::tempdir().unwrap();
        let marker = dir.path().join("ran");
        let cancel = Cancel::new();
        cancel.raise(2);
        let opts = RunOptions {
            progress: Progress::Quiet,
            cancel: Some(cancel),
            ..RunOptions::default()
        };
        let err = run(
            Path::new("sh"),
            &sh(&format!("touch '{}'", marker.display())),
            Path::new("."),
            Stdout::Stream,
            &opts,
        )
        .err()
        .unwrap();
        assert!(matches!(err, EngineError::Interrupted { .. }), "{err:?}");
        assert!(!marker.exists());
    }

    #[test]
    fn the_engine_writes_private_files() {
        use std::os::unix::fs::PermissionsExt as _;
        let dir = tempfile::tempdir().unwrap();
        let opts = RunOptions {
            progress: Progress::Quiet,
            ..RunOptions::default()
        };
        run(
            Path::new("sh"),
            &sh("mkdir d && echo x > d/f"),
            dir.path(),
            Stdout::Stream,
            &opts,
        )
        .unwrap();
        let mode = |p: &str| {
            std::fs::metadata(dir.path().join(p))
                .unwrap()
                .permissions()
                .mode()
                & 0o777
        };
        assert_eq!((mode("d"), mode("d/f")), (0o700, 0o600));
    }
}
