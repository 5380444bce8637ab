//! Reads `[[environment.verify]]` tables. ferry-core hands them over raw so that the check schema
//! has one owner; this is it. Every refusal names the check and the key.

use crate::error::VerifyError;
use crate::spec::{
    Check, CheckKind, HttpCheck, VerifySpec, DEFAULT_COMMAND_TIMEOUT, DEFAULT_HTTP_TIMEOUT,
    DEFAULT_INTERVAL,
};
use ferry_core::config::parse_duration;
use std::collections::BTreeSet;
use std::time::Duration;
use toml::{Table, Value};

/// The most tries of one check: with `interval` at most ten years each, a larger count is a typo,
/// not a plan to wait.
pub const MAX_ATTEMPTS: u32 = 1000;

const KEYS: &[&str] = &[
    "name",
    "command",
    "argv",
    "http",
    "expect_status",
    "body_contains",
    "timeout",
    "attempts",
    "retries",
    "interval",
    "soak",
];

impl VerifySpec {
    /// Validates an environment's `verify` tables (in order; the order is the run order).
    pub fn from_tables(tables: &[Table]) -> Result<VerifySpec, VerifyError> {
        let mut spec = VerifySpec::default();
        let mut soak: Option<(Duration, String)> = None;
        let mut names = BTreeSet::new();
        for (i, table) in tables.iter().enumerate() {
            let entry = Entry {
                index: i + 1,
                name: table
                    .get("name")
                    .and_then(Value::as_str)
                    .map(str::to_string),
                table,
            };
            let (check, check_soak) = entry.check()?;
            if !names.insert(check.name.clone()) {
                return Err(entry.err(format!(
                    "the name '{}' is used by another check; names must be unique",
                    check.name
                )));
            }
            if let Some(d) = check_soak {
                match &soak {
                    Some((existing, by)) if *existing != d => {
                        return Err(entry.err(format!(
                            "`soak` is {} here but {} in check '{by}'; soak applies to the whole environment, so give it once",
                            crate::format_duration(d),
                            crate::format_duration(*existing)
                        )))
                    }
                    Some(_) => {}
                    None => soak = Some((d, check.name.clone())),
                }
            }
            spec.checks.push(check);
        }
        spec.soak = soak.map_or(Duration::ZERO, |(d, _)| d);
        Ok(spec)
    }
}

struct Entry<'a> {
    index: usize,
    name: Option<String>,
    table: &'a Table,
}

impl Entry<'_> {
    fn err(&self, message: String) -> VerifyError {
        VerifyError::Check {
            index: self.index,
            name: self.name.clone(),
            message,
        }
    }

    fn check(&self) -> Result<(Check, Option<Duration>), VerifyError> {
        for key in self.table.keys() {
            if !KEYS.contains(&key.as_str()) {
                let hint = match key.as_str() {
                    "body_matches" => {
                        " (regular expressions are not supported; use `body_contains`)".to_string()
                    }
                    "url" => " (did you mean `http`?)".to_string(),
                    _ => String::new(),
                };
                return Err(self.err(format!(
                    "unknown key `{key}`{hint}; known keys: {}",
                    KEYS.join(", ")
                )));
            }
        }
        let name = match self.string("name")? {
            Some(n) if !n.trim().is_empty() => n,
            _ => return Err(self.err("needs a `name` (used in reports and the ledger)".into())),
        };
        let kind = self.kind()?;
        let is_http = matches!(kind, CheckKind::Http(_));
        let default_timeout = if is_http {
            DEFAULT_HTTP_TIMEOUT
        } else {
            DEFAULT_COMMAND_TIMEOUT
        };
        let timeout = self.duration("timeout")?.unwrap_or(default_timeout);
        if timeout.is_zero() {
            return Err(self.err("`timeout` must be longer than 0s".into()));
        }
        let attempts = match (self.integer("attempts")?, self.integer("retries")?) {
            (Some(_), Some(_)) => {
                return Err(self.err("give either `attempts` (total tries) or `retries` (tries after the first), not both".into()))
            }
            (Some(n), None) if n >= 1 => n,
            (Some(n), None) => return Err(self.err(format!("`attempts` must be at least 1, not {n}"))),
            (None, Some(n)) if n >= 0 => n.saturating_add(1),
            (None, Some(n)) => return Err(self.err(format!("`retries` must not be negative, not {n}"))),
            (None, None) => 1,
        };
        let attempts = u32::try_from(attempts)
            .ok()
            .filter(|n| *n <= MAX_ATTEMPTS)
            .ok_or_else(|| {
                self.err(format!(
                    "{attempts} attempts is more than the limit of {MAX_ATTEMPTS}"
                ))
            })?;
        let interval = self.duration("interval")?.unwrap_or(DEFAULT_INTERVAL);
        let soak = self.duration("soak")?;
        Ok((
            Check {
                name,
                kind,
                timeout,
                attempts,
                interval,
            },
            soak,
        ))
    }

    fn kind(&self) -> Result<CheckKind, VerifyError> {
        let given: Vec<&str> = ["command", "argv", "http"]
            .into_iter()
            .filter(|k| self.table.contains_key(*k))
            .collect();
        if given.len() > 1 {
            return Err(self.err(format!(
                "has both `{}` and `{}`; a check is exactly one of `command`, `argv` or `http`",
                given[0], given[1]
            )));
        }
        if given.first() != Some(&"http") {
            for key in ["expect_status", "body_contains"] {
                if self.table.contains_key(key) {
                    return Err(self.err(format!("`{key}` only applies to `http` checks")));
                }
            }
        }
        match given.first().copied() {
            Some("command") => match self.string("command")? {
                Some(c) if !c.trim().is_empty() => Ok(CheckKind::Shell(c)),
                _ => Err(self.err("`command` is empty".into())),
            },
            Some("argv") => self.argv().map(CheckKind::Argv),
            Some(_) => self.http().map(CheckKind::Http),
            None => Err(self.err("needs one of `command` (run with sh -c), `argv` (a program and its arguments) or `http` (a URL)".into())),
        }
    }

    fn argv(&self) -> Result<Vec<String>, VerifyError> {
        let bad = || {
            self.err(
                "`argv` must be a non-empty list of strings, e.g. [\"./check.sh\", \"--deep\"]"
                    .into(),
            )
        };
        let items = self
            .table
            .get("argv")
            .and_then(Value::as_array)
            .ok_or_else(bad)?;
        let argv: Vec<String> = items
            .iter()
            .map(|v| v.as_str().map(str::to_string))
            .collect::<Option<_>>()
            .ok_or_else(bad)?;
        if argv.first().is_none_or(|p| p.is_empty()) {
            return Err(bad());
        }
        Ok(argv)
    }

    fn http(&self) -> Result<HttpCheck, VerifyError> {
        let url = self.string("http")?.unwrap_or_default();
        if url.starts_with("https://") {
            return Err(self.err(format!(
                "`http = \"{url}\"`: ferry's built-in HTTP check speaks plain HTTP only; for HTTPS use a command check such as `command = \"curl -fsS {url}\"`"
            )));
        }
        let host = url
            .strip_prefix("http://")
            .map(|rest| rest.split(['/', '?', '#']).next().unwrap_or_default());
        if host.is_none_or(str::is_empty) {
            return Err(self.err(format!(
                "`http = \"{url}\"` is not a URL like \"http://127.0.0.1:8080/health\""
            )));
        }
        let expect_status = match self.table.get("expect_status") {
            None => vec![200],
            Some(Value::Integer(n)) => vec![self.status(*n)?],
            Some(Value::Array(items)) if !items.is_empty() => items
                .iter()
                .map(|v| v.as_integer().ok_or_else(|| self.err("`expect_status` must be a status code or a list of them".into())))
                .map(|n| n.and_then(|n| self.status(n)))
                .collect::<Result<_, _>>()?,
            Some(_) => return Err(self.err("`expect_status` must be a status code or a non-empty list of them, e.g. 200 or [200, 204]".into())),
        };
        let body_contains = self.string("body_contains")?;
        Ok(HttpCheck {
            url,
            expect_status,
            body_contains,
        })
    }

    fn status(&self, n: i64) -> Result<u16, VerifyError> {
        u16::try_from(n)
            .ok()
            .filter(|s| (100..=599).contains(s))
            .ok_or_else(|| {
                self.err(format!(
                    "`expect_status` {n} is not an HTTP status (100-599)"
                ))
            })
    }

    fn string(&self, key: &str) -> Result<Option<String>, VerifyError> {
        match self.table.get(key) {
            None => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.clone())),
            Some(other) => Err(self.err(format!(
                "`{key}` must be a string, not {}",
                other.type_str()
            ))),
        }
    }

    fn integer(&self, key: &str) -> Result<Option<i64>, VerifyError> {
        match self.table.get(key) {
            None => Ok(None),
            Some(Value::Integer(n)) => Ok(Some(*n)),
            Some(other) => Err(self.err(format!(
                "`{key}` must be a whole number, not {}",
                other.type_str()
            ))),
        }
    }

    fn duration(&self, key: &str) -> Result<Option<Duration>, VerifyError> {
        self.string(key)?
            .map(|text| parse_duration(&text).map_err(|m| self.err(format!("`{key}`: {m}"))))
            .transpose()
    }
}
