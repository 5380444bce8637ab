//! A watchman for the engine's process group, for when ferry dies without stopping it.
//!
//! The engine runs in a process group of its own (so a terminal's Ctrl-C reaches ferry first),
//! which also means a `kill -9` of ferry, or of ferry's job as a CI runner's hard cancel sends it,
//! does not reach the engine: Terraform would go on applying behind a ledger that says the
//! deployment is still running, and its providers would be left behind for good. SIGKILL cannot
//! be caught, and ferry forbids `unsafe` (no `PR_SET_PDEATHSIG`), so a small shell joins the
//! engine's group holding a pipe from ferry. When ferry says "done" the shell kills what is left
//! of the group (itself included); when the pipe closes without it, ferry is gone: the shell
//! interrupts the engine like a Ctrl-C (Terraform stops and writes its state), waits up to the
//! grace period for it to exit (an exited engine nobody reaps counts as gone), then kills the group.

use std::io::Write as _;
use std::os::unix::process::CommandExt as _;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

pub(crate) struct Watchman(Option<Child>);

impl Watchman {
    /// Starts the watchman in process group `group` (the engine's pid, which leads it). A
    /// watchman that cannot start is logged, not fatal: the run is no less safe than before.
    pub(crate) fn start(group: i32, grace: Duration) -> Watchman {
        if group <= 1 {
            return Watchman(None);
        }
        let ticks = grace.as_millis() / 100;
        let script = format!(
            "trap '' INT TERM HUP PIPE; read said; \
             if [ \"$said\" != done ]; then \
               kill -INT -{group} 2>/dev/null; i=0; \
               while kill -0 {group} 2>/dev/null && [ \"$(cut -d' ' -f3 /proc/{group}/stat 2>/dev/null)\" != Z ] && [ $i -lt {ticks} ]; do sleep 0.1; i=$((i+1)); done; \
             fi; \
             kill -KILL -{group} 2>/dev/null"
        );
        let child = Command::new("/bin/sh")
            .arg("-c")
            .arg(script)
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .process_group(group)
            .spawn();
        match child {
            Ok(c) => Watchman(Some(c)),
            Err(e) => {
                tracing::warn!(%e, "could not start the engine's watchman");
                Watchman(None)
            }
        }
    }

    /// The engine has exited and ferry saw it: the watchman clears what is left of the group and
    /// goes.
    pub(crate) fn done(mut self) {
        if let Some(mut child) = self.0.take() {
            if let Some(mut stdin) = child.stdin.take() {
                // Already gone (the group was killed on an interrupt): nothing to tell.
                let _ = stdin.write_all(b"done\n");
            }
            let _ = child.wait();
        }
    }
}

impl Drop for Watchman {
    fn drop(&mut self) {
        // Dropped without `done` (an unwinding ferry): the closed pipe tells it ferry is gone.
        if let Some(mut child) = self.0.take() {
            drop(child.stdin.take());
            let _ = child.wait();
        }
    }
}
