//! SIGINT and SIGTERM, the way a person at a terminal and a CI runner's cancel send them.
//!
//! The engine runs in its own process group (ferry-engine), so a terminal's Ctrl-C reaches only
//! ferry. While an operation holds an environment (a lock, a running engine), the first signal
//! is forwarded to the engine, which stops gracefully and writes its state; the operation then
//! records the deployment as interrupted, releases its lock and ends with 128 + the signal and a
//! message saying what state the environment is in. A second signal kills the engine's group at
//! once. Past a bound, ferry kills what is left and exits anyway. With nothing in flight, a
//! signal ends ferry at once, as it would without a handler.

use ferry_engine::{signal_name, Cancel, INTERRUPT_GRACE};
use signal_hook::consts::{SIGINT, SIGTERM};
use std::sync::OnceLock;
use std::time::Duration;

/// After the first signal: the engine's grace plus time to record the outcome.
const BOUND: Duration = Duration::from_secs(INTERRUPT_GRACE.as_secs() + 10);
/// After the second: time to record, the engine being dead.
const BOUND_AFTER_KILL: Duration = Duration::from_secs(5);

static CANCEL: OnceLock<Cancel> = OnceLock::new();

/// This process's interrupts (every `App` is given it).
pub fn cancel() -> Cancel {
    CANCEL.get_or_init(Cancel::new).clone()
}

/// Starts the thread that receives SIGINT and SIGTERM. Without it (it could not be set up)
/// the signals keep their default action, which ends ferry.
pub fn install() {
    let cancel = cancel();
    let Ok(mut signals) = signal_hook::iterator::Signals::new([SIGINT, SIGTERM]) else {
        return;
    };
    let spawned = std::thread::Builder::new()
        .name("signals".into())
        .spawn(move || {
            for signal in signals.forever() {
                let n = cancel.raise(signal);
                if !cancel.guarded() {
                    // Nothing to record: end as the signal would have.
                    std::process::exit(128 + signal);
                }
                let name = signal_name(signal);
                let bound = if n == 1 {
                    crate::say!(
                        "ferry: {name} received: stopping the engine and recording what happened (send it again to kill the engine now)"
                    );
                    BOUND
                } else {
                    crate::say!("ferry: {name} received, a second signal: killing the engine");
                    BOUND_AFTER_KILL
                };
                let c = cancel.clone();
                let first = cancel.signal().unwrap_or(signal);
                std::thread::spawn(move || {
                    std::thread::sleep(bound);
                    crate::say!("ferry: did not stop within {bound:?}; killing the engine and exiting");
                    c.kill_all();
                    std::process::exit(128 + first);
                });
            }
        });
    if spawned.is_err() {
        crate::say!(
            "warning: cannot watch for SIGINT/SIGTERM; an interrupt will end ferry at once"
        );
    }
}
