//! One attempt of a command check: a real process in the deployment's work directory, stopped
//! with everything it started when it overruns. A hung health script must cost its timeout, not
//! the whole promotion, and must not leave `sleep`s or servers behind.
//!
//! The check runs in a process group of its own (`process_group(0)`), so one `kill` reaches its
//! children too. `unsafe` is forbidden here, so the signal goes through the shell's `kill`.

use crate::capture::Tail;
use crate::redact::Redactor;
use crate::spec::{format_duration, CheckKind};
use crate::{Attempt, VerifyContext};
use std::io::Read;
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc::{self, Receiver};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const POLL: Duration = Duration::from_millis(20);
/// How long output readers may take after the check ended; a reader still blocked then is left
/// behind (a process that escaped the group holds the pipe) rather than blocking ferry.
const DRAIN: Duration = Duration::from_secs(1);

pub(crate) fn attempt(
    kind: &CheckKind,
    timeout: Duration,
    ctx: &VerifyContext,
    redactor: &Redactor,
) -> Attempt {
    let mut cmd = Command::new("sh");
    match kind {
        CheckKind::Shell(script) => cmd.arg("-c").arg(script),
        // `exec "$@"` keeps argv unparsed while resolving `./check.sh` against the work dir.
        CheckKind::Argv(argv) => cmd
            .arg("-c")
            .arg("exec \"$@\"")
            .arg("ferry-verify")
            .args(argv),
        CheckKind::Http(_) => {
            return Attempt::failed("internal: an HTTP check reached the command runner".into())
        }
    };
    cmd.current_dir(&ctx.workdir)
        .envs(ctx.env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .process_group(0);
    let mut child = match cmd.spawn() {
        Ok(child) => child,
        Err(e) => {
            return Attempt::failed(format!(
                "could not start `sh` in {}: {e}",
                ctx.workdir.display()
            ))
        }
    };
    let tail = Arc::new(Mutex::new(Tail::new(redactor)));
    let mut readers = start_readers(&mut child, &tail);
    let status = wait_until(&mut child, Instant::now() + timeout);
    match &status {
        Some(_) => {
            // Exited, but a background child may still hold the pipes; end it with its group.
            if !readers.wait(Duration::from_millis(300)) {
                kill_group(child.id());
            }
        }
        None => {
            kill_group(child.id());
            let _ = child.kill();
            let _ = child.wait();
        }
    }
    readers.wait(DRAIN);
    let output = tail.lock().map(|t| t.finish(redactor)).unwrap_or_default();
    let (passed, status_line) = match status {
        Some(Ok(s)) => (s.success(), describe(s)),
        Some(Err(e)) => (false, format!("could not wait for the command: {e}")),
        None => (
            false,
            format!("timed out after {}", format_duration(timeout)),
        ),
    };
    let detail = if output.is_empty() {
        status_line
    } else {
        format!("{status_line}\n{output}")
    };
    Attempt { passed, detail }
}

/// `None` when the deadline passed first.
fn wait_until(child: &mut Child, deadline: Instant) -> Option<std::io::Result<ExitStatus>> {
    loop {
        match child.try_wait() {
            Ok(Some(status)) => return Some(Ok(status)),
            Ok(None) if Instant::now() >= deadline => return None,
            Ok(None) => std::thread::sleep(POLL),
            Err(e) => return Some(Err(e)),
        }
    }
}

/// stdout and stderr are read on their own threads into one tail, so neither pipe can fill up
/// and stall the check, and the kept output interleaves roughly as it was printed.
fn start_readers(child: &mut Child, tail: &Arc<Mutex<Tail>>) -> Readers {
    let (done, finished) = mpsc::channel();
    let streams: Vec<Box<dyn Read + Send>> = [
        child
            .stdout
            .take()
            .map(|s| Box::new(s) as Box<dyn Read + Send>),
        child
            .stderr
            .take()
            .map(|s| Box::new(s) as Box<dyn Read + Send>),
    ]
    .into_iter()
    .flatten()
    .collect();
    let running = streams.len();
    for mut stream in streams {
        let tail = Arc::clone(tail);
        let done = done.clone();
        std::thread::spawn(move || {
            let mut buf = [0u8; 4096];
            while let Ok(n) = stream.read(&mut buf) {
                if n == 0 {
                    break;
                }
                if let Ok(mut t) = tail.lock() {
                    t.push(&buf[..n]);
                }
            }
            let _ = done.send(());
        });
    }
    Readers { finished, running }
}

struct Readers {
    finished: Receiver<()>,
    running: usize,
}

impl Readers {
    /// Whether every reader reached end of output within `limit`.
    fn wait(&mut self, limit: Duration) -> bool {
        let deadline = Instant::now() + limit;
        while self.running > 0 {
            let left = deadline.saturating_duration_since(Instant::now());
            if self.finished.recv_timeout(left).is_err() {
                return false;
            }
            self.running -= 1;
        }
        true
    }
}

/// SIGKILL to the check's process group (its id is the leader's pid). Called only while the
/// leader is unreaped or group members still hold our pipes, so the id cannot have been reused.
fn kill_group(pgid: u32) {
    let _ = Command::new("sh")
        .args([
            "-c",
            "kill -s KILL -- \"-$1\" 2>/dev/null",
            "ferry-verify",
            &pgid.to_string(),
        ])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status();
}

fn describe(status: ExitStatus) -> String {
    match (status.code(), status.signal()) {
        (Some(code), _) => format!("exit status {code}"),
        (None, Some(signal)) => format!("killed by signal {signal}"),
        (None, None) => status.to_string(),
    }
}
