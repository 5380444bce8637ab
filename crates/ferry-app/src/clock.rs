//! Time, injected: every gate that reads the clock (freeze windows, soak, plan age, leases) asks
//! the [`Clock`] the front end gave. The shipped binary only ever passes [`SystemClock`]; a clock
//! that can be set exists only in test builds (`cfg(test)` or the `test-clock` feature), so no
//! environment variable can move a gate's time.

use jiff::Timestamp;

pub trait Clock: Send + Sync {
    fn now(&self) -> Timestamp;
}

/// The machine's clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> Timestamp {
        Timestamp::now()
    }
}

/// A clock tests move by hand.
#[cfg(any(test, feature = "test-clock"))]
#[derive(Debug)]
pub struct FixedClock(std::sync::Mutex<Timestamp>);

#[cfg(any(test, feature = "test-clock"))]
impl FixedClock {
    pub fn at(t: Timestamp) -> FixedClock {
        FixedClock(std::sync::Mutex::new(t))
    }

    pub fn advance(&self, by: std::time::Duration) {
        let mut t = self.0.lock().unwrap_or_else(|p| p.into_inner());
        if let Ok(d) = jiff::SignedDuration::try_from(by) {
            *t = t.checked_add(d).unwrap_or(*t);
        }
    }
}

#[cfg(any(test, feature = "test-clock"))]
impl Clock for FixedClock {
    fn now(&self) -> Timestamp {
        *self.0.lock().unwrap_or_else(|p| p.into_inner())
    }
}
