//! Reads one plan document top to bottom: checks it is a plan (not a state file, not the human
//! `terraform plan` text, a format major version ferry understands), hands each
//! `resource_changes` / `resource_drift` entry to a [`Sink`] as soon as it is complete, and keeps
//! the small sections (`variables`, `configuration`). Everything else is checked and skipped.

use crate::error::RawError;
use crate::model::{Configuration, VariableValue};
use crate::record::{self, Recorder, Span};
use crate::scan::{describe, Scanner};
use std::collections::BTreeMap;
use std::io::Read;

/// Largest single `resource_changes` entry held in memory.
pub(crate) const MAX_ENTRY: usize = 256 << 20;
/// Largest `configuration` or `variables` section held in memory.
pub(crate) const MAX_SECTION: usize = 256 << 20;

/// Receives entries as they stream past. `bytes` starts with the entry and may run on past it
/// (entries are parsed in place in the read buffer when they fit); the sink returns how many
/// bytes the entry took. `offset` is the entry's first byte in the file.
pub(crate) trait Sink {
    fn change(&mut self, index: u64, offset: u64, bytes: &[u8]) -> Result<usize, RawError>;
    fn drift(&mut self, index: u64, offset: u64, bytes: &[u8]) -> Result<usize, RawError>;
}

/// What the document says about itself, besides its entries.
#[derive(Debug, Default)]
pub(crate) struct Header {
    pub format_version: Option<String>,
    pub terraform_version: Option<String>,
    pub errored: bool,
    pub complete: Option<bool>,
    /// Root variable values as JSON text: compared between plans, never shown.
    pub variables: BTreeMap<String, String>,
    pub configuration: Option<Configuration>,
    /// `check` blocks (and other checkable objects) whose status is not `pass`.
    pub checks: Vec<CheckOutcome>,
}

/// A checkable object that did not pass at plan time.
#[derive(Debug, Clone)]
pub(crate) struct CheckOutcome {
    pub address: String,
    pub status: String,
    pub problems: Vec<String>,
}

impl CheckOutcome {
    pub(crate) fn message(&self) -> String {
        let what = match self.status.as_str() {
            "fail" => "failed at plan time",
            "error" => "could not be evaluated (error)",
            _ => "could not be decided at plan time (its values are known only after apply)",
        };
        let mut m = format!(
            "{} {what}; the engine only warns about it and applies anyway",
            self.address
        );
        if !self.problems.is_empty() {
            m.push_str(": ");
            m.push_str(&self.problems.join("; "));
        }
        m.push('.');
        m
    }
}

#[derive(serde::Deserialize)]
struct RawCheck {
    address: RawCheckAddress,
    status: String,
    #[serde(default)]
    instances: Vec<RawCheckInstance>,
}

#[derive(serde::Deserialize)]
struct RawCheckAddress {
    to_display: String,
}

#[derive(serde::Deserialize)]
struct RawCheckInstance {
    address: RawCheckAddress,
    status: String,
    #[serde(default)]
    problems: Vec<RawProblem>,
}

#[derive(serde::Deserialize)]
struct RawProblem {
    message: String,
}

/// One outcome per instance that did not pass (the object itself when it has no instances).
fn check_outcomes(raw: Vec<RawCheck>) -> Vec<CheckOutcome> {
    let mut out = Vec::new();
    for c in raw {
        if c.status == "pass" {
            continue;
        }
        let failing: Vec<&RawCheckInstance> =
            c.instances.iter().filter(|i| i.status != "pass").collect();
        if failing.is_empty() {
            out.push(CheckOutcome {
                address: c.address.to_display.clone(),
                status: c.status.clone(),
                problems: vec![],
            });
        }
        for i in failing {
            out.push(CheckOutcome {
                address: i.address.to_display.clone(),
                status: i.status.clone(),
                problems: i.problems.iter().map(|p| p.message.clone()).collect(),
            });
        }
    }
    out
}

/// Why a document was refused, before the caller adds the file name and line.
#[derive(Debug)]
pub(crate) enum Refusal {
    Raw(RawError),
    NotAPlan(String),
    Version(String),
}

impl From<RawError> for Refusal {
    fn from(e: RawError) -> Self {
        Refusal::Raw(e)
    }
}

/// A serde error inside a captured value, placed at its absolute offset.
pub(crate) fn serde_error(
    what: &str,
    offset: u64,
    bytes: &[u8],
    e: &serde_json::Error,
) -> RawError {
    let mut line_start = 0usize;
    let mut line = 1usize;
    for (i, b) in bytes.iter().enumerate() {
        if line >= e.line() {
            break;
        }
        if *b == b'\n' {
            line += 1;
            line_start = i + 1;
        }
    }
    let within = line_start + e.column().saturating_sub(1);
    let message = e.to_string();
    let message = match message.rfind(" at line ") {
        Some(i) => message.get(..i).unwrap_or(&message).to_string(),
        None => message,
    };
    RawError::at(
        offset + within.min(bytes.len()) as u64,
        format!("{what}: {message}"),
    )
}

fn check_version(v: &str) -> Result<(), Refusal> {
    let major = v.split('.').next().and_then(|m| m.parse::<u64>().ok());
    match major {
        Some(0 | 1) => Ok(()),
        Some(_) => Err(Refusal::Version(v.to_string())),
        None => Err(Refusal::NotAPlan(format!(
            "format_version {v:?} is not a version number"
        ))),
    }
}

fn not_json_message(first: u8) -> String {
    match first {
        b'[' => "the file is a JSON array, not a plan object; expected the output of `terraform show -json PLANFILE`".into(),
        0xFF | 0xFE => "the file is UTF-16 text; plan JSON must be UTF-8 (PowerShell's `>` writes UTF-16: use `| Out-File -Encoding utf8`)".into(),
        b'"' | b'-' | b'0'..=b'9' | b't' | b'f' | b'n' => {
            "the file is a single JSON value, not a plan object; expected the output of `terraform show -json PLANFILE`".into()
        }
        _ => format!(
            "not JSON (starts with {}); this looks like the human-readable `terraform plan` output: save the plan with `terraform plan -out=PLANFILE` and pass `terraform show -json PLANFILE`",
            describe(first)
        ),
    }
}

/// Parses the document, streaming entries into `sink`; with `rec`, also records where the
/// large sections lie and keeps the small ones (for policies).
pub(crate) fn parse<R: Read>(
    src: R,
    sink: &mut dyn Sink,
    mut rec: Option<&mut Recorder>,
) -> Result<Header, Refusal> {
    let mut s = Scanner::new(src);
    s.skip_bom()?;
    match s.skip_ws()? {
        None => return Err(Refusal::NotAPlan("the file is empty".into())),
        Some(b'{') => {}
        Some(b) => return Err(Refusal::NotAPlan(not_json_message(b))),
    }
    s.expect(b'{', "'{'")?;
    let mut header = Header::default();
    let mut seen: Vec<String> = Vec::new();
    if s.skip_ws()? == Some(b'}') {
        s.expect(b'}', "'}'")?;
    } else {
        loop {
            let key_at = s.offset();
            let key_bytes = s.capture_value(1 << 20, "an object key", true)?;
            let key: String = serde_json::from_slice(&key_bytes)
                .map_err(|e| serde_error("object key", key_at, &key_bytes, &e))?;
            s.expect(b':', "':' after an object key")?;
            s.skip_ws()?;
            let value_at = s.offset();
            if seen.contains(&key) {
                return Err(RawError::at(
                    key_at,
                    format!("duplicate key \"{key}\" in the plan object"),
                )
                .into());
            }
            match key.as_str() {
                "format_version" => {
                    let b = s.capture_value(1 << 10, "format_version", true)?;
                    keep(&mut rec, &key, &b);
                    let v: String = serde_json::from_slice(&b)
                        .map_err(|e| serde_error("format_version", value_at, &b, &e))?;
                    check_version(&v)?;
                    header.format_version = Some(v);
                }
                "terraform_version" => {
                    let b = s.capture_value(1 << 10, "terraform_version", true)?;
                    keep(&mut rec, &key, &b);
                    header.terraform_version = serde_json::from_slice(&b)
                        .map_err(|e| serde_error("terraform_version", value_at, &b, &e))?;
                }
                "errored" => {
                    let b = s.capture_value(1 << 10, "errored", true)?;
                    keep(&mut rec, &key, &b);
                    header.errored = serde_json::from_slice(&b)
                        .map_err(|e| serde_error("errored", value_at, &b, &e))?;
                }
                "complete" => {
                    let b = s.capture_value(1 << 10, "complete", true)?;
                    keep(&mut rec, &key, &b);
                    header.complete = serde_json::from_slice(&b)
                        .map_err(|e| serde_error("complete", value_at, &b, &e))?;
                }
                "variables" => {
                    let b = s.capture_value(MAX_SECTION, "the variables section", true)?;
                    keep(&mut rec, &key, &b);
                    let vars: Option<BTreeMap<String, VariableValue>> = serde_json::from_slice(&b)
                        .map_err(|e| serde_error("variables", value_at, &b, &e))?;
                    header.variables = vars
                        .unwrap_or_default()
                        .into_iter()
                        .map(|(k, v)| {
                            (
                                k,
                                v.value
                                    .map_or_else(|| "null".to_string(), |r| r.get().to_string()),
                            )
                        })
                        .collect();
                }
                "checks" => {
                    let b = s.capture_value(MAX_SECTION, "the checks section", true)?;
                    keep(&mut rec, &key, &b);
                    let raw: Option<Vec<RawCheck>> = serde_json::from_slice(&b)
                        .map_err(|e| serde_error("checks", value_at, &b, &e))?;
                    header.checks = check_outcomes(raw.unwrap_or_default());
                }
                "configuration" => {
                    let b = s.capture_value(MAX_SECTION, "the configuration section", true)?;
                    keep(&mut rec, &key, &b);
                    header.configuration = serde_json::from_slice(&b)
                        .map_err(|e| serde_error("configuration", value_at, &b, &e))?;
                }
                "resource_changes" => entries(&mut s, "resource_changes", &mut |i, at, e| {
                    let n = sink.change(i, at, e)?;
                    place(&mut rec, true, at, n)?;
                    Ok(n)
                })?,
                "resource_drift" => entries(&mut s, "resource_drift", &mut |i, at, e| {
                    let n = sink.drift(i, at, e)?;
                    place(&mut rec, false, at, n)?;
                    Ok(n)
                })?,
                "planned_values" if rec.is_some() => {
                    let tree = record::planned_values(&mut s)?;
                    if let Some(r) = rec.as_deref_mut() {
                        r.planned = Some(tree);
                    }
                }
                "prior_state" if rec.is_some() => {
                    let tree = record::prior_state(&mut s)?;
                    if let Some(r) = rec.as_deref_mut() {
                        r.prior = Some(tree);
                    }
                }
                _ if rec.is_some() => {
                    let b = s.capture_value(MAX_SECTION, "a section of the plan", true)?;
                    keep(&mut rec, &key, &b);
                }
                _ => s.skip_value()?,
            }
            seen.push(key);
            match s.skip_ws()? {
                Some(b',') => s.expect(b',', "','")?,
                Some(b'}') => {
                    s.expect(b'}', "'}'")?;
                    break;
                }
                Some(b) => {
                    return Err(RawError::at(
                        s.offset(),
                        format!(
                            "expected ',' or '}}' in the plan object, found {}",
                            describe(b)
                        ),
                    )
                    .into())
                }
                None => return Err(RawError::at(
                    s.offset(),
                    "unexpected end of file: the JSON is truncated (the plan object is not closed)",
                )
                .into()),
            }
        }
    }
    if let Some(b) = s.skip_ws()? {
        return Err(RawError::at(
            s.offset(),
            format!("unexpected {} after the end of the plan object: the file holds more than one JSON document", describe(b)),
        )
        .into());
    }
    let has = |k: &str| seen.iter().any(|s| s == k);
    if !has("planned_values") && !has("resource_changes") && !has("resource_drift") {
        return Err(Refusal::NotAPlan(if has("values") {
            "this is a state rendering (`values` without `planned_values` or `resource_changes`), not a plan: pass the JSON of a saved plan, `terraform show -json PLANFILE`".into()
        } else {
            "no `planned_values` or `resource_changes`: not a Terraform/OpenTofu plan JSON (`terraform show -json PLANFILE`)".into()
        }));
    }
    if header.format_version.is_none() {
        return Err(Refusal::NotAPlan(
            "no `format_version`: not the output of `terraform show -json PLANFILE`".into(),
        ));
    }
    Ok(header)
}

fn keep(rec: &mut Option<&mut Recorder>, key: &str, raw: &[u8]) {
    if let Some(r) = rec.as_deref_mut() {
        r.keep(key, raw);
    }
}

/// Records where an entry of `resource_changes` (`change`) or `resource_drift` lay.
fn place(
    rec: &mut Option<&mut Recorder>,
    change: bool,
    at: u64,
    len: usize,
) -> Result<(), RawError> {
    if let Some(r) = rec.as_deref_mut() {
        let len = u32::try_from(len)
            .map_err(|_| RawError::at(at, "one resource change is larger than 4 GiB"))?;
        let list = if change { &mut r.changes } else { &mut r.drift };
        list.push(Span { at, len });
    }
    Ok(())
}

/// Digests one entry: (index, offset, bytes starting with it) → bytes it took.
type EntryFn<'a> = dyn FnMut(u64, u64, &[u8]) -> Result<usize, RawError> + 'a;

/// Streams an array of entries; `null` counts as empty.
fn entries<R: Read>(
    s: &mut Scanner<R>,
    what: &'static str,
    each: &mut EntryFn<'_>,
) -> Result<(), RawError> {
    match s.skip_ws()? {
        Some(b'[') => s.expect(b'[', "'['")?,
        Some(b'n') => return s.skip_value(),
        Some(b) => {
            return Err(RawError::at(
                s.offset(),
                format!("{what} must be an array, found {}", describe(b)),
            ))
        }
        None => {
            return Err(RawError::at(
                s.offset(),
                "unexpected end of file: the JSON is truncated",
            ))
        }
    }
    if s.skip_ws()? == Some(b']') {
        return s.expect(b']', "']'");
    }
    let mut index = 0u64;
    loop {
        s.skip_ws()?;
        let at = s.offset();
        // Parse in place; an entry that runs past the buffer (or is broken) is captured whole
        // and parsed again, so the error, if any, is about the complete entry.
        let whole = s.input_exhausted();
        match each(index, at, s.window()) {
            Ok(n) => s.advance(n),
            Err(_) if !whole => {
                let entry = s.capture_value(MAX_ENTRY, "one resource change", false)?;
                each(index, at, &entry)?;
            }
            Err(e) => return Err(e),
        }
        index += 1;
        match s.skip_ws()? {
            Some(b',') => s.expect(b',', "','")?,
            Some(b']') => return s.expect(b']', "']'"),
            Some(b) => {
                return Err(RawError::at(
                    s.offset(),
                    format!("expected ',' or ']' in {what}, found {}", describe(b)),
                ))
            }
            None => {
                return Err(RawError::at(
                    s.offset(),
                    format!("unexpected end of file inside {what}: the JSON is truncated"),
                ))
            }
        }
    }
}
