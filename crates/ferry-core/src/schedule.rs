//! Time in the gates: durations (soak, plan age, timeouts) and freeze windows, parsed and bounded
//! when ferry.toml loads so a typo or an absurd value fails before anything is planned, and
//! evaluated against an instant the caller's clock supplies (the core never reads the clock).

use jiff::{civil, tz::TimeZone, Timestamp};
use serde::{Deserialize, Serialize};
use std::time::Duration;

/// The longest duration ferry accepts anywhere: ten years. Larger values are typos that would
/// overflow date arithmetic.
pub const MAX_DURATION: Duration = Duration::from_secs(3650 * 86_400);

/// Parses durations like `90s`, `30m`, `2h`, `1d`, `1h30m`, bounded by [`MAX_DURATION`].
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let err = || {
        format!(
            "'{text}' is not a duration; use e.g. \"90s\", \"30m\", \"2h\", \"1d\" or \"1h30m\""
        )
    };
    let too_long = || format!("'{text}' is longer than the 3650-day limit");
    let mut total: u64 = 0;
    let mut digits = String::new();
    let trimmed = text.trim();
    if trimmed.is_empty() {
        return Err(err());
    }
    for c in trimmed.chars() {
        if c.is_ascii_digit() {
            digits.push(c);
            continue;
        }
        if digits.is_empty() {
            return Err(err());
        }
        // Only digits are left, so a parse failure is a number too large for any unit.
        let n: u64 = digits.parse().map_err(|_| too_long())?;
        digits.clear();
        let unit = match c {
            's' => 1,
            'm' => 60,
            'h' => 3600,
            'd' => 86400,
            _ => return Err(err()),
        };
        total = n
            .checked_mul(unit)
            .and_then(|v| total.checked_add(v))
            .ok_or_else(too_long)?;
    }
    if !digits.is_empty() {
        return Err(err());
    }
    let d = Duration::from_secs(total);
    if d > MAX_DURATION {
        return Err(too_long());
    }
    Ok(d)
}

/// A duration as written in ferry.toml, validated on load.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct DurationText {
    text: String,
    duration: Duration,
}

impl DurationText {
    pub fn as_str(&self) -> &str {
        &self.text
    }
    pub fn duration(&self) -> Duration {
        self.duration
    }
    fn signed(&self) -> jiff::SignedDuration {
        // Bounded by MAX_DURATION, so this never saturates.
        jiff::SignedDuration::from_secs(self.duration.as_secs() as i64)
    }
}

impl TryFrom<String> for DurationText {
    type Error = String;
    fn try_from(text: String) -> Result<Self, String> {
        let duration = parse_duration(&text)?;
        Ok(DurationText { text, duration })
    }
}

impl From<DurationText> for String {
    fn from(d: DurationText) -> String {
        d.text
    }
}

/// Parses an RFC 3339 instant as stored in the ledger.
pub fn parse_instant(text: &str) -> Result<Timestamp, String> {
    text.parse::<Timestamp>()
        .map_err(|e| format!("'{text}' is not an RFC 3339 time: {e}"))
}

/// An instant as the ledger stores it: RFC 3339, UTC, whole seconds.
pub fn format_instant(t: Timestamp) -> String {
    t.round(jiff::Unit::Second)
        .map(|t| t.to_string())
        .unwrap_or_else(|_| t.to_string())
}

/// `(soak, ready_at)` while `soak` has not elapsed since `verified_at`.
pub fn soaking(
    soak: Option<&DurationText>,
    verified_at: Option<Timestamp>,
    now: Timestamp,
) -> Option<(String, String)> {
    let (soak, verified_at) = (soak?, verified_at?);
    match verified_at.checked_add(soak.signed()) {
        Ok(ready) => (now < ready).then(|| (soak.as_str().to_string(), format_instant(ready))),
        // Past the last instant time can hold: still soaking (fail closed), never "ready".
        Err(_) => Some((soak.as_str().to_string(), "never".to_string())),
    }
}

/// Whether a plan made at `created_at` is older than `max`.
pub fn too_old(max: Option<&DurationText>, created_at: Timestamp, now: Timestamp) -> bool {
    match max {
        Some(max) => created_at
            .checked_add(max.signed())
            .map(|expires| now > expires)
            .unwrap_or(false),
        None => false,
    }
}

/// One `[[environment.freeze]]` window, validated on load.
///
/// `timezone` (IANA, default UTC), `reason`, and either weekly `days = ["fri", "sat"]` with
/// optional `from`/`to` times of day, one-off `dates = ["2026-12-24"]` (whole days, or `from`/`to`
/// within them), or `start`/`end` local date-times.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(try_from = "FreezeRaw", into = "FreezeRaw")]
pub struct FreezeWindow {
    raw: FreezeRaw,
    tz: TimeZone,
    days: Vec<civil::Weekday>,
    dates: Vec<civil::Date>,
    from: civil::Time,
    to: civil::Time,
    range: Option<(Timestamp, Timestamp)>,
}

/// A freeze window as written: weekly `days` (with optional `from`/`to` times of day), one-off
/// `dates`, or a `start`/`end` range of local date-times.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "FreezeWindow")]
pub struct FreezeRaw {
    /// Weekdays, e.g. `["fri", "sat", "sun"]`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    days: Vec<String>,
    /// Dates, e.g. `["2026-12-24"]`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    dates: Vec<String>,
    /// Time of day the window opens, e.g. "16:00".
    #[serde(skip_serializing_if = "Option::is_none")]
    from: Option<String>,
    /// Time of day the window closes, e.g. "23:59".
    #[serde(skip_serializing_if = "Option::is_none")]
    to: Option<String>,
    /// A local date-time, e.g. "2026-12-20T00:00".
    #[serde(skip_serializing_if = "Option::is_none")]
    start: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    end: Option<String>,
    /// IANA time zone, e.g. "Europe/Berlin" (default UTC).
    #[serde(skip_serializing_if = "Option::is_none")]
    timezone: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    reason: Option<String>,
}

fn weekday(name: &str) -> Option<civil::Weekday> {
    use civil::Weekday::*;
    Some(match name.to_ascii_lowercase().get(..3)? {
        "mon" => Monday,
        "tue" => Tuesday,
        "wed" => Wednesday,
        "thu" => Thursday,
        "fri" => Friday,
        "sat" => Saturday,
        "sun" => Sunday,
        _ => return None,
    })
}

fn time_of_day(text: &str) -> Result<civil::Time, String> {
    if text == "24:00" {
        return Ok(civil::Time::MAX);
    }
    text.parse::<civil::Time>()
        .map_err(|_| format!("freeze window: '{text}' is not a time of day like \"16:00\""))
}

fn hours(t: civil::Time) -> String {
    if t == civil::Time::MAX {
        "24:00".to_string()
    } else {
        format!("{:02}:{:02}", t.hour(), t.minute())
    }
}

impl TryFrom<FreezeRaw> for FreezeWindow {
    type Error = String;
    fn try_from(raw: FreezeRaw) -> Result<Self, String> {
        let tz_name = raw.timezone.as_deref().unwrap_or("UTC");
        let tz = TimeZone::get(tz_name)
            .map_err(|_| format!("freeze window: unknown time zone '{tz_name}'"))?;
        let from = time_of_day(raw.from.as_deref().unwrap_or("00:00"))?;
        let to = time_of_day(raw.to.as_deref().unwrap_or("24:00"))?;
        if raw.days.is_empty() && raw.dates.is_empty() && raw.start.is_none() {
            return Err("freeze window: give `days`, `dates` or `start`/`end`".into());
        }
        let days = raw
            .days
            .iter()
            .map(|d| {
                weekday(d)
                    .ok_or_else(|| format!("freeze window: '{d}' is not a weekday (mon … sun)"))
            })
            .collect::<Result<Vec<_>, _>>()?;
        let dates = raw
            .dates
            .iter()
            .map(|d| {
                d.parse::<civil::Date>()
                    .map_err(|_| format!("freeze window: '{d}' is not a date like \"2026-12-24\""))
            })
            .collect::<Result<Vec<_>, _>>()?;
        let local = |s: &str| -> Result<Timestamp, String> {
            let dt: civil::DateTime = s.parse().map_err(|_| {
                format!("freeze window: '{s}' is not a date-time like \"2026-12-20T18:00\"")
            })?;
            dt.to_zoned(tz.clone())
                .map(|z| z.timestamp())
                .map_err(|e| format!("freeze window: '{s}': {e}"))
        };
        let range = match (&raw.start, &raw.end) {
            (Some(s), Some(e)) => Some((local(s)?, local(e)?)),
            (Some(_), None) => return Err("freeze window: `start` needs an `end`".into()),
            (None, Some(_)) => return Err("freeze window: `end` needs a `start`".into()),
            (None, None) => None,
        };
        Ok(FreezeWindow {
            raw,
            tz,
            days,
            dates,
            from,
            to,
            range,
        })
    }
}

impl PartialEq for FreezeWindow {
    fn eq(&self, other: &Self) -> bool {
        self.raw == other.raw
    }
}

impl Eq for FreezeWindow {}

impl From<FreezeWindow> for FreezeRaw {
    fn from(w: FreezeWindow) -> FreezeRaw {
        w.raw
    }
}

impl FreezeWindow {
    /// The window in words, e.g. "demo change freeze (mon, tue 16:00–24:00 UTC)".
    pub fn describe(&self) -> String {
        let r = &self.raw;
        let tz = r.timezone.as_deref().unwrap_or("UTC");
        let reason = r.reason.as_deref().unwrap_or("freeze window");
        let when = if let (Some(s), Some(e)) = (&r.start, &r.end) {
            format!("{s} – {e}")
        } else {
            let mut parts: Vec<String> = r.days.clone();
            parts.extend(r.dates.iter().cloned());
            format!(
                "{} {}–{}",
                parts.join(", "),
                hours(self.from),
                hours(self.to)
            )
        };
        format!("{reason} ({when} {tz})")
    }

    /// The window's description when it is in force at `now`.
    pub fn in_force(&self, now: Timestamp) -> Option<String> {
        let tz_name = self.raw.timezone.as_deref().unwrap_or("UTC");
        let reason = self.raw.reason.as_deref().unwrap_or("freeze window");
        let local = now.to_zoned(self.tz.clone());
        let in_hours = local.time() >= self.from && local.time() < self.to;
        let (from_s, to_s) = (hours(self.from), hours(self.to));
        for (d, name) in self.days.iter().zip(&self.raw.days) {
            if local.weekday() == *d && in_hours {
                return Some(format!("{reason} ({name} {from_s}–{to_s} {tz_name})"));
            }
        }
        for (d, name) in self.dates.iter().zip(&self.raw.dates) {
            if local.date() == *d && in_hours {
                return Some(format!("{reason} ({name} {tz_name})"));
            }
        }
        if let (Some((start, end)), Some(s), Some(e)) = (self.range, &self.raw.start, &self.raw.end)
        {
            if start <= now && now < end {
                return Some(format!("{reason} ({s} – {e} {tz_name})"));
            }
        }
        None
    }
}

/// The first window of `windows` in force at `now`.
pub fn frozen(windows: &[FreezeWindow], now: Timestamp) -> Option<String> {
    windows.iter().find_map(|w| w.in_force(now))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn window(toml_text: &str) -> Result<FreezeWindow, String> {
        let raw: FreezeRaw = toml::from_str(toml_text).map_err(|e| e.to_string())?;
        FreezeWindow::try_from(raw)
    }

    fn at(s: &str) -> Timestamp {
        parse_instant(s).unwrap_or_else(|e| unreachable!("{e}"))
    }

    #[test]
    fn weekly_window_in_its_time_zone() {
        let w = window("days = [\"fri\"]\nfrom = \"16:00\"\ntimezone = \"Europe/Berlin\"\nreason = \"no Friday deploys\"\n")
            .unwrap_or_else(|e| unreachable!("{e}"));
        // 2026-11-27 is a Friday; 15:30 UTC is 16:30 in Berlin.
        assert_eq!(
            w.in_force(at("2026-11-27T15:30:00Z")).as_deref(),
            Some("no Friday deploys (fri 16:00–24:00 Europe/Berlin)")
        );
        assert_eq!(w.in_force(at("2026-11-27T14:30:00Z")), None);
        assert_eq!(w.in_force(at("2026-11-26T15:30:00Z")), None);
    }

    #[test]
    fn one_off_dates_and_ranges() {
        let d = window("dates = [\"2026-12-24\"]").unwrap_or_else(|e| unreachable!("{e}"));
        let r = window(
            "start = \"2026-12-28T00:00\"\nend = \"2027-01-02T00:00\"\nreason = \"year end\"",
        )
        .unwrap_or_else(|e| unreachable!("{e}"));
        assert!(d.in_force(at("2026-12-24T10:00:00Z")).is_some());
        assert!(r
            .in_force(at("2026-12-30T10:00:00Z"))
            .is_some_and(|s| s.contains("year end")));
        assert_eq!(frozen(&[d, r], at("2027-01-02T00:00:01Z")), None);
    }

    #[test]
    fn bad_windows_are_errors_on_load() {
        assert!(window("days = [\"fry\"]").is_err_and(|e| e.contains("fry")));
        assert!(window("days = [\"fri\"]\ntimezone = \"Mars/Olympus\"")
            .is_err_and(|e| e.contains("Mars")));
        assert!(window("day = [\"fri\"]").is_err_and(|e| e.contains("day")));
        assert!(window("start = \"2026-12-28T00:00\"").is_err());
        assert!(window("reason = \"x\"").is_err());
    }

    #[test]
    fn soak_and_age() {
        let soak = DurationText::try_from("30m".to_string()).ok();
        let s = soaking(
            soak.as_ref(),
            Some(at("2026-01-01T12:00:00Z")),
            at("2026-01-01T12:10:00Z"),
        );
        assert_eq!(
            s,
            Some(("30m".to_string(), "2026-01-01T12:30:00Z".to_string()))
        );
        assert_eq!(
            soaking(
                soak.as_ref(),
                Some(at("2026-01-01T12:00:00Z")),
                at("2026-01-01T12:31:00Z")
            ),
            None
        );
        let max = DurationText::try_from("1h".to_string()).ok();
        assert!(too_old(
            max.as_ref(),
            at("2026-01-01T12:00:00Z"),
            at("2026-01-01T13:01:00Z")
        ));
        assert!(!too_old(
            max.as_ref(),
            at("2026-01-01T12:00:00Z"),
            at("2026-01-01T12:59:00Z")
        ));
    }

    #[test]
    fn a_soak_past_the_end_of_time_is_still_soaking() {
        let soak = DurationText::try_from("3650d".to_string()).ok();
        let verified = Timestamp::MAX
            .checked_sub(jiff::SignedDuration::from_secs(60))
            .ok();
        let now = Timestamp::MAX;
        assert_eq!(
            soaking(soak.as_ref(), verified, now),
            Some(("3650d".to_string(), "never".to_string()))
        );
        assert!(!too_old(soak.as_ref(), verified.unwrap_or(now), now));
    }

    #[test]
    fn durations_are_bounded() {
        assert_eq!(parse_duration("1h30m"), Ok(Duration::from_secs(5400)));
        assert_eq!(parse_duration("2d"), Ok(Duration::from_secs(172_800)));
        assert!(parse_duration("30").is_err());
        assert!(parse_duration("3w").is_err());
        assert!(parse_duration("99999999999999999d").is_err_and(|e| e.contains("3650-day limit")));
        assert!(parse_duration("99999999999999999999999d").is_err_and(|e| e.contains("limit")));
        assert!(parse_duration("d").is_err_and(|e| e.contains("not a duration")));
        assert!(parse_duration("3651d").is_err_and(|e| e.contains("limit")));
    }
}
