//! The time-based gates of an environment — soak after upstream verification, freeze windows,
//! maximum plan age — turned into plain facts for `ferry_core::promotion`. Time zones and
//! calendars live here, not in the core.

use anyhow::{anyhow, bail, Result};
use ferry_core::config::parse_duration;
use ferry_core::EnvironmentConfig;
use jiff::{civil, tz::TimeZone, Timestamp};

pub fn parse_ts(text: &str) -> Result<Timestamp> {
    text.parse::<Timestamp>()
        .map_err(|e| anyhow!("'{text}' is not an RFC 3339 time: {e}"))
}

pub fn now_ts() -> Result<Timestamp> {
    parse_ts(&crate::session::now())
}

fn fmt_ts(t: Timestamp) -> String {
    t.round(jiff::Unit::Second)
        .map(|t| t.to_string())
        .unwrap_or_else(|_| t.to_string())
}

/// `(soak, ready_at)` while the upstream soak has not elapsed since `verified_at`.
pub fn soaking(
    env: &EnvironmentConfig,
    verified_at: Option<&str>,
    now: Timestamp,
) -> Result<Option<(String, String)>> {
    let (Some(soak), Some(verified_at)) = (env.soak.as_deref(), verified_at) else {
        return Ok(None);
    };
    let dur =
        parse_duration(soak).map_err(|m| anyhow!("environment '{}': soak: {m}", env.name()))?;
    let ready = parse_ts(verified_at)? + jiff::SignedDuration::try_from(dur)?;
    Ok((now < ready).then(|| (soak.to_string(), fmt_ts(ready))))
}

/// `(created_at, max)` when the plan is older than `max_plan_age`.
pub fn too_old(
    env: &EnvironmentConfig,
    created_at: &str,
    now: Timestamp,
) -> Result<Option<(String, String)>> {
    let Some(max) = env.max_plan_age.as_deref() else {
        return Ok(None);
    };
    let dur = parse_duration(max)
        .map_err(|m| anyhow!("environment '{}': max_plan_age: {m}", env.name()))?;
    let expires = parse_ts(created_at)? + jiff::SignedDuration::try_from(dur)?;
    Ok((now > expires).then(|| (created_at.to_string(), max.to_string())))
}

const FREEZE_KEYS: [&str; 8] = [
    "days", "from", "to", "dates", "start", "end", "timezone", "reason",
];

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

fn strings(table: &toml::Table, key: &str, ctx: &str) -> Result<Vec<String>> {
    match table.get(key) {
        None => Ok(vec![]),
        Some(toml::Value::Array(a)) => a
            .iter()
            .map(|v| {
                v.as_str()
                    .map(str::to_string)
                    .ok_or_else(|| anyhow!("{ctx}: `{key}` must be a list of strings"))
            })
            .collect(),
        Some(_) => bail!("{ctx}: `{key}` must be a list of strings"),
    }
}

fn string<'a>(table: &'a toml::Table, key: &str, ctx: &str) -> Result<Option<&'a str>> {
    match table.get(key) {
        None => Ok(None),
        Some(toml::Value::String(s)) => Ok(Some(s)),
        Some(_) => bail!("{ctx}: `{key}` must be a string"),
    }
}

fn time_of_day(text: &str, ctx: &str) -> Result<civil::Time> {
    if text == "24:00" {
        return Ok(civil::Time::MAX);
    }
    text.parse::<civil::Time>()
        .map_err(|_| anyhow!("{ctx}: '{text}' is not a time of day like \"16:00\""))
}

/// The reason of the first freeze window of `env` in force at `now`, if any.
///
/// A window is `[[environment.freeze]]` with `timezone` (IANA, default UTC), `reason`, and either
/// weekly `days = ["fri", "sat"]` with optional `from`/`to` times, one-off `dates =
/// ["2026-12-24"]` (whole days, or `from`/`to` within them), or `start`/`end` local date-times.
pub fn frozen(env: &EnvironmentConfig, now: Timestamp) -> Result<Option<String>> {
    for (i, w) in env.freeze.iter().enumerate() {
        let ctx = format!("environment '{}': freeze window {}", env.name(), i + 1);
        if let Some(k) = w.keys().find(|k| !FREEZE_KEYS.contains(&k.as_str())) {
            bail!(
                "{ctx}: unknown key `{k}` (known: {})",
                FREEZE_KEYS.join(", ")
            );
        }
        let tz_name = string(w, "timezone", &ctx)?.unwrap_or("UTC");
        let tz =
            TimeZone::get(tz_name).map_err(|_| anyhow!("{ctx}: unknown time zone '{tz_name}'"))?;
        let local = now.to_zoned(tz.clone());
        let reason = string(w, "reason", &ctx)?
            .unwrap_or("freeze window")
            .to_string();
        let from = time_of_day(string(w, "from", &ctx)?.unwrap_or("00:00"), &ctx)?;
        let to = time_of_day(string(w, "to", &ctx)?.unwrap_or("24:00"), &ctx)?;
        let in_hours = local.time() >= from && local.time() < to;
        let hours = |t: civil::Time| {
            if t == civil::Time::MAX {
                "24:00".to_string()
            } else {
                format!("{:02}:{:02}", t.hour(), t.minute())
            }
        };
        let (from_s, to_s) = (hours(from), hours(to));
        let days = strings(w, "days", &ctx)?;
        let dates = strings(w, "dates", &ctx)?;
        let start = string(w, "start", &ctx)?;
        let end = string(w, "end", &ctx)?;
        if days.is_empty() && dates.is_empty() && start.is_none() {
            bail!("{ctx}: give `days`, `dates` or `start`/`end`");
        }
        for d in &days {
            let wd =
                weekday(d).ok_or_else(|| anyhow!("{ctx}: '{d}' is not a weekday (mon … sun)"))?;
            if local.weekday() == wd && in_hours {
                return Ok(Some(format!("{reason} ({d} {from_s}–{to_s} {tz_name})")));
            }
        }
        for d in &dates {
            let date: civil::Date = d
                .parse()
                .map_err(|_| anyhow!("{ctx}: '{d}' is not a date like \"2026-12-24\""))?;
            if local.date() == date && in_hours {
                return Ok(Some(format!("{reason} ({d} {tz_name})")));
            }
        }
        if let Some(start) = start {
            let end = end.ok_or_else(|| anyhow!("{ctx}: `start` needs an `end`"))?;
            let parse = |s: &str| -> Result<Timestamp> {
                let dt: civil::DateTime = s.parse().map_err(|_| {
                    anyhow!("{ctx}: '{s}' is not a date-time like \"2026-12-20T18:00\"")
                })?;
                Ok(dt.to_zoned(tz.clone())?.timestamp())
            };
            if parse(start)? <= now && now < parse(end)? {
                return Ok(Some(format!("{reason} ({start} – {end} {tz_name})")));
            }
        }
    }
    Ok(None)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(freeze: &str) -> EnvironmentConfig {
        let text = format!("[[environment]]\nname = \"prod\"\nvar_files = []\n{freeze}");
        ferry_core::Config::parse(&text, "t")
            .map(|c| c.environments[0].clone())
            .unwrap_or_else(|e| unreachable!("{e}"))
    }

    fn at(s: &str) -> Timestamp {
        parse_ts(s).unwrap_or_else(|e| unreachable!("{e}"))
    }

    #[test]
    fn weekly_window_in_its_time_zone() {
        let e = env("[[environment.freeze]]\ndays = [\"fri\"]\nfrom = \"16:00\"\ntimezone = \"Europe/Berlin\"\nreason = \"no Friday deploys\"\n");
        // 2026-11-27 is a Friday; 15:30 UTC is 16:30 in Berlin.
        assert_eq!(
            frozen(&e, at("2026-11-27T15:30:00Z"))
                .unwrap_or_default()
                .as_deref(),
            Some("no Friday deploys (fri 16:00–24:00 Europe/Berlin)")
        );
        assert_eq!(
            frozen(&e, at("2026-11-27T14:30:00Z")).unwrap_or_default(),
            None
        );
        assert_eq!(
            frozen(&e, at("2026-11-26T15:30:00Z")).unwrap_or_default(),
            None
        );
    }

    #[test]
    fn one_off_dates_and_ranges() {
        let e = env("[[environment.freeze]]\ndates = [\"2026-12-24\"]\n[[environment.freeze]]\nstart = \"2026-12-28T00:00\"\nend = \"2027-01-02T00:00\"\nreason = \"year end\"\n");
        assert!(frozen(&e, at("2026-12-24T10:00:00Z"))
            .unwrap_or_default()
            .is_some());
        assert!(frozen(&e, at("2026-12-30T10:00:00Z"))
            .unwrap_or_default()
            .is_some_and(|r| r.contains("year end")));
        assert_eq!(
            frozen(&e, at("2027-01-02T00:00:01Z")).unwrap_or_default(),
            None
        );
    }

    #[test]
    fn bad_windows_are_errors() {
        assert!(frozen(
            &env("[[environment.freeze]]\ndays = [\"fry\"]\n"),
            at("2026-11-27T15:30:00Z")
        )
        .is_err());
        assert!(frozen(
            &env("[[environment.freeze]]\ndays = [\"fri\"]\ntimezone = \"Mars/Olympus\"\n"),
            at("2026-11-27T15:30:00Z")
        )
        .is_err());
        assert!(frozen(
            &env("[[environment.freeze]]\nday = [\"fri\"]\n"),
            at("2026-11-27T15:30:00Z")
        )
        .is_err());
    }

    #[test]
    fn soak_and_age() {
        let e = env("soak = \"30m\"\nmax_plan_age = \"1h\"\n");
        let s = soaking(&e, Some("2026-01-01T12:00:00Z"), at("2026-01-01T12:10:00Z"))
            .unwrap_or_default();
        assert_eq!(
            s,
            Some(("30m".to_string(), "2026-01-01T12:30:00Z".to_string()))
        );
        assert_eq!(
            soaking(&e, Some("2026-01-01T12:00:00Z"), at("2026-01-01T12:31:00Z"))
                .unwrap_or_default(),
            None
        );
        assert!(
            too_old(&e, "2026-01-01T12:00:00Z", at("2026-01-01T13:01:00Z"))
                .unwrap_or_default()
                .is_some()
        );
        assert!(
            too_old(&e, "2026-01-01T12:00:00Z", at("2026-01-01T12:59:00Z"))
                .unwrap_or_default()
                .is_none()
        );
    }
}
