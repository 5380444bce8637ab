//! Reads one `resource_changes` / `resource_drift` entry from its bytes.
//!
//! The entry's grammar is checked once, by [`Checker`], which also yields the byte span of each
//! member; `before`, `after` and the sensitivity/unknown mirrors stay spans of the input (nothing
//! is copied or built for them; a no-op entry's values are never looked at again). The small
//! typed members (address, actions, replace_paths) are handed to serde from their own spans so
//! that wrong types are reported with serde's wording, at their absolute position. Unknown
//! members are checked and skipped: newer Terraform versions add fields within a major format.

use crate::error::RawError;
use crate::json::Checker;
use crate::model::{Action, Actions, PathStep, RawChange, RawChangeBody};
use crate::parse::serde_error;
use crate::scan::describe;
use serde::Deserialize;
use std::borrow::Cow;

/// Where an entry sits, for messages: `resource_changes[3]`.
pub(crate) struct Label<'l> {
    pub what: &'l str,
    pub index: u64,
}

impl Label<'_> {
    fn wrap(&self, e: RawError) -> RawError {
        match e {
            RawError::At { offset, message } => {
                RawError::at(offset, format!("{}[{}]: {message}", self.what, self.index))
            }
            other => other,
        }
    }

    fn serde(&self, at: u64, bytes: &[u8], e: &serde_json::Error) -> RawError {
        serde_error(&format!("{}[{}]", self.what, self.index), at, bytes, e)
    }
}

/// A member's value and where it starts in `Checker::bytes`.
#[derive(Clone, Copy)]
struct Span<'a> {
    bytes: &'a [u8],
    at: u64,
}

impl<'a> Span<'a> {
    fn is_null(&self) -> bool {
        self.bytes == b"null"
    }

    /// `null` reads as absent, as serde reads `Option`.
    fn opt(self) -> Option<&'a [u8]> {
        (!self.is_null()).then_some(self.bytes)
    }

    fn typed<T: Deserialize<'a>>(self, label: &Label<'_>) -> Result<T, RawError> {
        serde_json::from_slice(self.bytes).map_err(|e| label.serde(self.at, self.bytes, &e))
    }

    /// A string, borrowed from the input unless it holds escapes.
    fn string(self, label: &Label<'_>) -> Result<Cow<'a, str>, RawError> {
        if let [b'"', inner @ .., b'"'] = self.bytes {
            if let Ok(s) = std::str::from_utf8(inner) {
                if !inner.contains(&b'\\') {
                    return Ok(Cow::Borrowed(s));
                }
                // Addresses with string keys (`module.app["eu"]`) always hold `\"`.
                if let Some(plain) = unescape_simple(s) {
                    return Ok(Cow::Owned(plain));
                }
            }
        }
        self.typed::<String>(label).map(Cow::Owned)
    }

    fn opt_string(self, label: &Label<'_>) -> Result<Option<Cow<'a, str>>, RawError> {
        if self.is_null() {
            return Ok(None);
        }
        self.string(label).map(Some)
    }

    fn actions(self, label: &Label<'_>) -> Result<Actions, RawError> {
        if let Some(a) = Action::from_json(self.bytes) {
            return Ok(Actions::Known(a));
        }
        let list = self.typed::<Vec<String>>(label)?;
        Ok(match Action::parse(&list) {
            Some(a) => Actions::Known(a),
            None => Actions::Unknown(list),
        })
    }
}

/// The text of a checked string body whose escapes are all one character (`\"`, `\\`,
/// `\n`...); `None` when it holds a `\u` escape, which serde decodes.
fn unescape_simple(inner: &str) -> Option<String> {
    let mut out = String::with_capacity(inner.len());
    let mut rest = inner;
    while let Some(at) = rest.find('\\') {
        out.push_str(rest.get(..at)?);
        let escaped = rest.get(at + 1..)?;
        let mut chars = escaped.chars();
        out.push(match chars.next()? {
            '"' => '"',
            '\\' => '\\',
            '/' => '/',
            'b' => '\u{8}',
            'f' => '\u{c}',
            'n' => '\n',
            'r' => '\r',
            't' => '\t',
            _ => return None,
        });
        rest = chars.as_str();
    }
    out.push_str(rest);
    Some(out)
}

/// The name of a member, unescaped when it needs to be.
fn key_name<'a>(raw: &'a [u8], escaped: bool) -> Cow<'a, [u8]> {
    if !escaped {
        return Cow::Borrowed(raw);
    }
    let mut quoted = Vec::with_capacity(raw.len() + 2);
    quoted.push(b'"');
    quoted.extend_from_slice(raw);
    quoted.push(b'"');
    match serde_json::from_slice::<String>(&quoted) {
        Ok(s) => Cow::Owned(s.into_bytes()),
        Err(_) => Cow::Borrowed(raw),
    }
}

fn set<'a>(
    slot: &mut Option<Span<'a>>,
    value: Span<'a>,
    name: &str,
    c: &Checker<'_, '_>,
) -> Result<(), RawError> {
    if slot.is_some() {
        return Err(c.err(format!("duplicate field `{name}`")));
    }
    *slot = Some(value);
    Ok(())
}

fn member<'a>(c: &mut Checker<'a, '_>) -> Result<Span<'a>, RawError> {
    c.peek_ws();
    let at = c.offset_of(c.pos);
    Ok(Span {
        bytes: c.value()?,
        at,
    })
}

/// Opens an object: consumes `{` and returns false when it is empty (`{}` consumed too).
fn open(c: &mut Checker<'_, '_>, what: &str) -> Result<bool, RawError> {
    match c.peek_ws() {
        Some(b'{') => {}
        Some(b) => {
            return Err(c.err(format!(
                "invalid type: {}, expected {what}",
                found(c.bytes(), c.pos, b)
            )))
        }
        None => {
            return Err(c.err(format!(
                "unexpected end of file, expected {what}: the JSON is truncated"
            )))
        }
    }
    c.pos += 1;
    if c.peek_ws() == Some(b'}') {
        c.pos += 1;
        return Ok(false);
    }
    Ok(true)
}

/// After a member: true when another follows, false when the object closed.
fn more(c: &mut Checker<'_, '_>) -> Result<bool, RawError> {
    match c.next_ws("',' or '}' in an object")? {
        b',' => Ok(true),
        b'}' => Ok(false),
        b => {
            c.pos -= 1;
            Err(c.err(format!(
                "expected ',' or '}}' in an object, found {}",
                describe(b)
            )))
        }
    }
}

/// How serde would name the JSON type starting at `pos`.
fn found(bytes: &[u8], pos: usize, b: u8) -> String {
    match b {
        b'[' => "sequence".into(),
        b'"' => "string".into(),
        b't' | b'f' => "boolean".into(),
        b'n' if bytes.get(pos..pos + 4) == Some(b"null") => "null".into(),
        b'-' | b'0'..=b'9' => "number".into(),
        other => describe(other),
    }
}

fn missing(c: &Checker<'_, '_>, name: &str) -> RawError {
    c.err(format!("missing field `{name}`"))
}

fn body<'a>(c: &mut Checker<'a, '_>, label: &Label<'_>) -> Result<RawChangeBody<'a>, RawError> {
    let (mut actions, mut before, mut after, mut after_unknown) = (None, None, None, None);
    let (mut before_sensitive, mut after_sensitive, mut replace_paths, mut importing) =
        (None, None, None, None);
    let w = |e| label.wrap(e);
    if open(c, "struct RawChangeBody (the `change` object)").map_err(w)? {
        loop {
            let (raw, escaped) = c.key().map_err(w)?;
            let name = key_name(raw, escaped);
            let slot = match name.as_ref() {
                b"actions" => Some((&mut actions, "actions")),
                b"before" => Some((&mut before, "before")),
                b"after" => Some((&mut after, "after")),
                b"after_unknown" => Some((&mut after_unknown, "after_unknown")),
                b"before_sensitive" => Some((&mut before_sensitive, "before_sensitive")),
                b"after_sensitive" => Some((&mut after_sensitive, "after_sensitive")),
                b"replace_paths" => Some((&mut replace_paths, "replace_paths")),
                b"importing" => Some((&mut importing, "importing")),
                _ => None,
            };
            let value = member(c).map_err(w)?;
            if let Some((slot, name)) = slot {
                set(slot, value, name, c).map_err(w)?;
            }
            if !more(c).map_err(w)? {
                break;
            }
        }
    }
    let Some(actions) = actions else {
        return Err(w(missing(c, "actions")));
    };
    let replace_paths_raw = replace_paths.and_then(Span::opt);
    let replace_paths = match replace_paths {
        Some(s) if !s.is_null() => Some(s.typed::<Vec<Vec<PathStep>>>(label)?),
        _ => None,
    };
    Ok(RawChangeBody {
        actions: actions.actions(label)?,
        before: before.and_then(Span::opt),
        after: after.and_then(Span::opt),
        after_unknown: after_unknown.and_then(Span::opt),
        before_sensitive: before_sensitive.and_then(Span::opt),
        after_sensitive: after_sensitive.and_then(Span::opt),
        replace_paths,
        replace_paths_raw,
        importing: importing.and_then(Span::opt),
    })
}

/// Reads the entry at the start of `bytes` (which may run on past it); returns it and the
/// number of bytes it took. `base` is the offset of `bytes[0]` in the file.
pub(crate) fn read<'a>(
    bytes: &'a [u8],
    base: u64,
    label: &Label<'_>,
    stack: &mut Vec<u64>,
) -> Result<(RawChange<'a>, usize), RawError> {
    // A value inside `change` sits four levels down (the plan, `resource_changes`, the entry,
    // `change`): deeper than the plan's limit there is refused, never skimmed past, so no
    // difference hides below what the review walks.
    let mut c = Checker::new(bytes, base, stack).with_limit(crate::scan::MAX_DEPTH - 4);
    let (mut address, mut mode, mut resource_type, mut previous_address) = (None, None, None, None);
    let (mut deposed, mut action_reason, mut change) = (None, None, None);
    let opened =
        open(&mut c, "struct RawChange (one resource change)").map_err(|e| label.wrap(e))?;
    if opened {
        loop {
            let (raw, escaped) = c.key().map_err(|e| label.wrap(e))?;
            let name = key_name(raw, escaped);
            let slot = match name.as_ref() {
                b"address" => Some((&mut address, "address")),
                b"mode" => Some((&mut mode, "mode")),
                b"type" => Some((&mut resource_type, "type")),
                b"previous_address" => Some((&mut previous_address, "previous_address")),
                b"deposed" => Some((&mut deposed, "deposed")),
                b"action_reason" => Some((&mut action_reason, "action_reason")),
                _ => None,
            };
            if name.as_ref() == b"change" {
                if change.is_some() {
                    return Err(label.wrap(c.err("duplicate field `change`")));
                }
                change = Some(body(&mut c, label)?);
            } else {
                let value = member(&mut c).map_err(|e| label.wrap(e))?;
                if let Some((slot, name)) = slot {
                    set(slot, value, name, &c).map_err(|e| label.wrap(e))?;
                }
            }
            if !more(&mut c).map_err(|e| label.wrap(e))? {
                break;
            }
        }
    }
    let taken = c.pos;
    let (Some(address), Some(resource_type), Some(change)) = (address, resource_type, change)
    else {
        let name = if address.is_none() {
            "address"
        } else if resource_type.is_none() {
            "type"
        } else {
            "change"
        };
        return Err(label.wrap(missing(&c, name)));
    };
    Ok((
        RawChange {
            address: address.string(label)?,
            mode: mode.map_or(Ok(None), |s| s.opt_string(label))?,
            resource_type: resource_type.string(label)?,
            previous_address: previous_address.map_or(Ok(None), |s| s.opt_string(label))?,
            deposed: deposed.map_or(Ok(None), |s| s.opt_string(label))?,
            action_reason: action_reason.map_or(Ok(None), |s| s.opt_string(label))?,
            change,
        },
        taken,
    ))
}
