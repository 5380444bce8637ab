//! Cancellation shared between whoever receives SIGINT/SIGTERM (the front end's signal thread)
//! and every engine command that is running.
//!
//! Each engine runs in a process group of its own, so a terminal's Ctrl-C reaches ferry and not
//! the engine: ferry decides. The first interrupt is forwarded to the engine's whole group as
//! SIGINT (Terraform's graceful stop: providers are told to stop and the state is written; a
//! `local-exec` command's own children get it too, as they would from a terminal). A second
//! interrupt kills every running engine's group at once. An operation that must record what
//! happened before the process may go holds a [`CancelGuard`]; with none held and no engine
//! running, the front end may exit at once, as an unhandled signal would.

use nix::sys::signal::{killpg, Signal};
use nix::unistd::Pid;
use std::sync::atomic::{AtomicI32, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

/// A handle on one process's interrupts. Cloning shares it.
#[derive(Clone, Default)]
pub struct Cancel(Arc<Inner>);

#[derive(Default)]
struct Inner {
    count: AtomicUsize,
    signal: AtomicI32,
    guards: AtomicUsize,
    /// Process groups of the engines running now.
    groups: Mutex<Vec<i32>>,
}

impl std::fmt::Debug for Cancel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Cancel")
            .field("count", &self.count())
            .field("signal", &self.signal())
            .finish()
    }
}

impl Cancel {
    pub fn new() -> Cancel {
        Cancel::default()
    }

    /// Records that `signal` (e.g. 2 for SIGINT) arrived; returns how many have. From the
    /// second on, every running engine's process group is killed here and now, so a stuck
    /// engine cannot outlast a person who insists.
    pub fn raise(&self, signal: i32) -> usize {
        let _ = self
            .0
            .signal
            .compare_exchange(0, signal, Ordering::SeqCst, Ordering::SeqCst);
        let n = self.0.count.fetch_add(1, Ordering::SeqCst) + 1;
        if n >= 2 {
            self.kill_all();
        }
        n
    }

    /// The first signal received, if any.
    pub fn signal(&self) -> Option<i32> {
        match self.0.signal.load(Ordering::SeqCst) {
            0 => None,
            s => Some(s),
        }
    }

    pub fn count(&self) -> usize {
        self.0.count.load(Ordering::SeqCst)
    }

    /// SIGKILL to every running engine's process group (the engine, its providers and
    /// whatever its provisioners started).
    pub fn kill_all(&self) {
        for g in self.groups() {
            kill_group(g, Signal::SIGKILL);
        }
    }

    /// Marks work that must be recorded before the process exits (a held environment lock);
    /// released on drop.
    pub fn guard(&self) -> CancelGuard {
        self.0.guards.fetch_add(1, Ordering::SeqCst);
        CancelGuard(self.clone())
    }

    /// Whether something is in flight that an interrupt must let finish recording: a guard is
    /// held or an engine runs.
    pub fn guarded(&self) -> bool {
        self.0.guards.load(Ordering::SeqCst) > 0 || !self.groups().is_empty()
    }

    fn groups(&self) -> Vec<i32> {
        self.0.groups.lock().map(|g| g.clone()).unwrap_or_default()
    }

    pub(crate) fn enter(&self, group: i32) {
        if let Ok(mut g) = self.0.groups.lock() {
            g.push(group);
        }
    }

    pub(crate) fn leave(&self, group: i32) {
        if let Ok(mut g) = self.0.groups.lock() {
            g.retain(|&x| x != group);
        }
    }
}

/// See [`Cancel::guard`].
#[derive(Debug)]
pub struct CancelGuard(Cancel);

impl Drop for CancelGuard {
    fn drop(&mut self) {
        self.0 .0.guards.fetch_sub(1, Ordering::SeqCst);
    }
}

/// Sends `signal` to process group `group`. A group that is already gone is no error.
pub(crate) fn kill_group(group: i32, signal: Signal) {
    if group > 1 {
        let _ = killpg(Pid::from_raw(group), signal);
    }
}

/// The conventional name of a signal number, for messages ("SIGINT").
pub fn signal_name(signal: i32) -> String {
    Signal::try_from(signal)
        .map(|s| s.as_str().to_string())
        .unwrap_or_else(|_| format!("signal {signal}"))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
    use super::*;

    #[test]
    fn first_signal_is_kept_and_guards_count() {
        let c = Cancel::new();
        assert!(!c.guarded());
        let g = c.guard();
        assert!(c.guarded());
        assert_eq!(c.raise(15), 1);
        assert_eq!(c.raise(2), 2);
        assert_eq!(c.signal(), Some(15));
        drop(g);
        assert!(!c.guarded());
        assert_eq!(signal_name(2), "SIGINT");
    }
}
