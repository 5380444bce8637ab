//! The checks of one environment, as ferry runs them: validated, with defaults filled in, so the
//! runner never has to second-guess the configuration.

use std::time::Duration;

/// Per-attempt limit of a command check when `timeout` is not given.
pub const DEFAULT_COMMAND_TIMEOUT: Duration = Duration::from_secs(30);
/// Per-attempt limit of an HTTP check when `timeout` is not given.
pub const DEFAULT_HTTP_TIMEOUT: Duration = Duration::from_secs(10);
/// Pause between attempts (and between soak rounds) when `interval` is not given.
pub const DEFAULT_INTERVAL: Duration = Duration::from_secs(5);
/// Soak rounds are never closer than this, so `interval = "0s"` cannot spin during a long soak.
pub const MIN_SOAK_SPACING: Duration = Duration::from_secs(1);

/// Everything that decides whether a deployment is verified. See the crate docs for the TOML.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct VerifySpec {
    pub checks: Vec<Check>,
    /// After every check has passed once, how long to keep repeating them. Zero: no soak.
    pub soak: Duration,
}

impl VerifySpec {
    /// No checks: the deployment counts as verified as soon as it is applied.
    pub fn is_empty(&self) -> bool {
        self.checks.is_empty()
    }

    /// Time between soak rounds: the shortest check `interval`, but at least [`MIN_SOAK_SPACING`].
    pub fn soak_spacing(&self) -> Duration {
        self.checks
            .iter()
            .map(|c| c.interval)
            .min()
            .unwrap_or(DEFAULT_INTERVAL)
            .max(MIN_SOAK_SPACING)
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Check {
    pub name: String,
    pub kind: CheckKind,
    /// Limit for one attempt.
    pub timeout: Duration,
    /// Attempts before the check fails (at least 1).
    pub attempts: u32,
    /// Pause between attempts.
    pub interval: Duration,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CheckKind {
    /// `command = "..."`, run as `sh -c COMMAND`.
    Shell(String),
    /// `argv = [...]`, run without shell parsing (still resolved in the work directory).
    Argv(Vec<String>),
    Http(HttpCheck),
}

impl CheckKind {
    /// `command` or `http`, as reported in [`crate::CheckResult::kind`].
    pub fn label(&self) -> &'static str {
        match self {
            CheckKind::Shell(_) | CheckKind::Argv(_) => "command",
            CheckKind::Http(_) => "http",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpCheck {
    /// `http://host[:port]/path`; plain HTTP only.
    pub url: String,
    /// Any of these statuses passes.
    pub expect_status: Vec<u16>,
    /// The response body must contain this text.
    pub body_contains: Option<String>,
}

/// A duration as ferry's configuration writes it ("90s" → "1m30s"), for messages.
pub fn format_duration(d: Duration) -> String {
    let mut secs = d.as_secs();
    if secs == 0 {
        return if d.is_zero() {
            "0s".into()
        } else {
            format!("{}ms", d.as_millis())
        };
    }
    let mut out = String::new();
    for (unit, size) in [("d", 86_400), ("h", 3_600), ("m", 60), ("s", 1)] {
        if secs >= size {
            out.push_str(&format!("{}{unit}", secs / size));
            secs %= size;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_like_config() {
        assert_eq!(format_duration(Duration::from_secs(30)), "30s");
        assert_eq!(format_duration(Duration::from_secs(90)), "1m30s");
        assert_eq!(format_duration(Duration::from_secs(7200)), "2h");
        assert_eq!(format_duration(Duration::ZERO), "0s");
    }
}
