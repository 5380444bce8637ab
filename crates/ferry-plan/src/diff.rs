//! Which attributes a change touches, and how to show a value without leaking a secret.
//!
//! `before`/`after` stay raw JSON text; objects are opened one level at a time and compared member
//! by member as text, so identical subtrees cost a string comparison and nothing is built for
//! them. Recursion is bounded by [`MAX_DIFF_DEPTH`]: deeper differences are reported at that depth.

use crate::json;
use crate::model::PathStep;
use serde::de::{Deserializer, MapAccess, Visitor};
use serde::Deserialize;
use serde_json::value::RawValue;
use serde_json::Value;
use std::borrow::Cow;
use std::collections::HashSet;
use std::fmt;

pub(crate) const MAX_DIFF_DEPTH: usize = 24;
/// The marker that stands in for every sensitive value in every output.
pub const SENSITIVE_MARKER: &str = "(sensitive value)";
const UNKNOWN_MARKER: &str = "(known after apply)";
const DISPLAY_CHARS: usize = 60;

/// A sensitivity or unknown-ness mirror (`before_sensitive`, `after_sensitive`, `after_unknown`).
/// A mirror marks paths with `true`; one without a `true` anywhere (`{"tags":{}}`, by far the
/// most common) marks nothing and is not parsed at all. The entry checker already checked its
/// grammar.
pub(crate) fn parse_mask(raw: Option<&str>) -> Result<Value, serde_json::Error> {
    match raw {
        Some(text) if text.contains("true") => serde_json::from_str(text),
        _ => Ok(Value::Null),
    }
}

fn step<'v>(mask: &'v Value, s: &PathStep) -> Option<&'v Value> {
    match (mask, s) {
        (Value::Object(m), PathStep::Key(k)) => m.get(k),
        (Value::Array(a), PathStep::Index(i)) => usize::try_from(*i).ok().and_then(|i| a.get(i)),
        _ => None,
    }
}

/// Whether the mirror marks this path (or any parent of it) `true`.
pub(crate) fn marked(mask: &Value, path: &[PathStep]) -> bool {
    let mut cur = mask;
    for s in path {
        if cur == &Value::Bool(true) {
            return true;
        }
        match step(cur, s) {
            Some(next) => cur = next,
            None => return false,
        }
    }
    cur == &Value::Bool(true)
}

/// Whether the mirror below this point marks anything `true` (a sensitive or unknown leaf).
fn marks_anything(mask: &Value, depth: usize) -> bool {
    match mask {
        Value::Bool(b) => *b,
        _ if depth > MAX_DIFF_DEPTH => true,
        Value::Object(m) => m.values().any(|v| marks_anything(v, depth + 1)),
        Value::Array(a) => a.iter().any(|v| marks_anything(v, depth + 1)),
        _ => false,
    }
}

/// One changed attribute path, with its two sides.
#[derive(Debug)]
pub(crate) struct Changed<'a> {
    pub path: Vec<PathStep>,
    pub before: Option<&'a str>,
    pub after: Option<&'a str>,
    pub unknown: bool,
}

struct Entries<'a>(Vec<(Cow<'a, str>, &'a RawValue)>);

impl<'de> Deserialize<'de> for Entries<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Entries<'de>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("an object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Entries<'de>, A::Error> {
                let mut out = Vec::new();
                while let Some(k) = map.next_key::<Key<'de>>()? {
                    out.push((k.0, map.next_value::<&'de RawValue>()?));
                }
                Ok(Entries(out))
            }
        }
        d.deserialize_map(V)
    }
}

#[derive(Deserialize)]
struct Key<'a>(#[serde(borrow)] Cow<'a, str>);

fn entries(raw: &str) -> Result<Vec<(Cow<'_, str>, &str)>, serde_json::Error> {
    let mut e: Vec<(Cow<'_, str>, &str)> = match json::members(raw) {
        Some(e) => e,
        None => serde_json::from_str::<Entries>(raw)?
            .0
            .into_iter()
            .map(|(k, v)| (k, v.get()))
            .collect(),
    };
    if !e.windows(2).all(|w| w[0].0 <= w[1].0) {
        e.sort_by(|a, b| a.0.cmp(&b.0));
    }
    Ok(e)
}

/// The elements of an array, each as its JSON text.
fn elements(raw: Option<&str>) -> Result<Vec<&str>, serde_json::Error> {
    let Some(raw) = raw else {
        return Ok(Vec::new());
    };
    if let Some(e) = json::elements(raw) {
        return Ok(e);
    }
    let e: Vec<&RawValue> = serde_json::from_str(raw)?;
    Ok(e.into_iter().map(RawValue::get).collect())
}

fn first_byte(raw: Option<&str>) -> u8 {
    raw.and_then(|r| r.bytes().next()).unwrap_or(b'n')
}

/// The attribute paths whose value differs between `before` and `after`, plus those that become
/// unknown. Lists of equal length are compared element by element; others as a whole.
pub(crate) fn changed_paths<'a>(
    before: Option<&'a str>,
    after: Option<&'a str>,
    unknown: &Value,
) -> Result<Vec<Changed<'a>>, serde_json::Error> {
    let mut out = Vec::new();
    walk(before, after, Some(unknown), &mut Vec::new(), 0, &mut out)?;
    Ok(out)
}

fn walk<'a>(
    before: Option<&'a str>,
    after: Option<&'a str>,
    unknown: Option<&Value>,
    path: &mut Vec<PathStep>,
    depth: usize,
    out: &mut Vec<Changed<'a>>,
) -> Result<(), serde_json::Error> {
    if unknown == Some(&Value::Bool(true)) {
        out.push(Changed {
            path: path.clone(),
            before,
            after: None,
            unknown: true,
        });
        return Ok(());
    }
    let unknown_inside = unknown.is_some_and(|u| marks_anything(u, depth));
    let same_text = before == after;
    if same_text && !unknown_inside {
        return Ok(());
    }
    let (b, a) = (first_byte(before), first_byte(after));
    let at_root = path.is_empty();
    if depth < MAX_DIFF_DEPTH
        && (b == b'{' || at_root)
        && (a == b'{' || at_root)
        && (b == b'{' || a == b'{')
    {
        // At the root a missing side (create/delete) is an empty object: every attribute changes.
        let be = match before.filter(|_| b == b'{') {
            Some(r) => entries(r)?,
            None => Vec::new(),
        };
        let ae = match after.filter(|_| a == b'{') {
            Some(r) => entries(r)?,
            None => Vec::new(),
        };
        let mut keys: Vec<&str> = be
            .iter()
            .chain(ae.iter())
            .map(|(k, _)| k.as_ref())
            .collect();
        if let Some(Value::Object(u)) = unknown {
            keys.extend(u.keys().map(String::as_str));
        }
        keys.sort_unstable();
        keys.dedup();
        for key in keys {
            let bv = be
                .binary_search_by(|(k, _)| k.as_ref().cmp(key))
                .ok()
                .and_then(|i| be.get(i))
                .map(|(_, v)| *v);
            let av = ae
                .binary_search_by(|(k, _)| k.as_ref().cmp(key))
                .ok()
                .and_then(|i| ae.get(i))
                .map(|(_, v)| *v);
            let uv = match unknown {
                Some(Value::Object(u)) => u.get(key),
                _ => None,
            };
            path.push(PathStep::Key(key.to_string()));
            walk(bv, av, uv, path, depth + 1, out)?;
            path.pop();
        }
        return Ok(());
    }
    if depth < MAX_DIFF_DEPTH && b == b'[' && a == b'[' {
        let be = elements(before)?;
        let ae = elements(after)?;
        if be.len() == ae.len() {
            for (i, (bv, av)) in be.iter().zip(&ae).enumerate() {
                let uv = match unknown {
                    Some(Value::Array(u)) => u.get(i),
                    _ => None,
                };
                path.push(PathStep::Index(i as u64));
                walk(Some(*bv), Some(*av), uv, path, depth + 1, out)?;
                path.pop();
            }
            return Ok(());
        }
    }
    if !same_text || unknown_inside {
        // Null and absent are the same to a reader.
        let is_null = |r: Option<&str>| r.is_none_or(|r| r == "null");
        if !(is_null(before) && is_null(after) && !unknown_inside) {
            out.push(Changed {
                path: path.clone(),
                before,
                after,
                unknown: unknown_inside,
            });
        }
    }
    Ok(())
}

/// A value for a message: compact JSON, cut to a readable length.
pub(crate) fn display(raw: Option<&str>) -> String {
    let Some(raw) = raw else {
        return "null".to_string();
    };
    let text = match serde_json::from_str::<Value>(raw) {
        Ok(v) => v.to_string(),
        Err(_) => raw.to_string(),
    };
    shorten(&text)
}

pub(crate) fn shorten(text: &str) -> String {
    if text.chars().count() <= DISPLAY_CHARS {
        return text.to_string();
    }
    let mut s: String = text.chars().take(DISPLAY_CHARS).collect();
    s.push('…');
    s
}

/// `before → after` for one changed path, with sensitive sides masked.
pub(crate) fn display_change(c: &Changed<'_>, before_mask: &Value, after_mask: &Value) -> String {
    let sensitive = marked(before_mask, &c.path) || marked(after_mask, &c.path);
    let b = if sensitive {
        SENSITIVE_MARKER.to_string()
    } else {
        display(c.before)
    };
    let a = if sensitive {
        SENSITIVE_MARKER.to_string()
    } else if c.unknown && c.after.is_none() {
        UNKNOWN_MARKER.to_string()
    } else {
        display(c.after)
    };
    format!("{b} → {a}")
}

/// Sensitive values seen in the plan, so that a copy of one that escaped its marking (a provider
/// bug, a `nonsensitive()` call) is still scrubbed from every message. Bounded in count and size.
#[derive(Debug, Default)]
pub(crate) struct Secrets {
    values: HashSet<String>,
    bytes: usize,
}

const SECRETS_MAX_COUNT: usize = 50_000;
const SECRETS_MAX_BYTES: usize = 16 << 20;
/// Shorter values cannot be scrubbed from free text without destroying it; they are still
/// masked wherever they are shown as attribute values.
pub(crate) const SECRET_MIN_LEN: usize = 4;

impl Secrets {
    pub(crate) fn add(&mut self, value: &str) {
        if value.len() < SECRET_MIN_LEN
            || self.values.len() >= SECRETS_MAX_COUNT
            || self.bytes + value.len() > SECRETS_MAX_BYTES
        {
            return;
        }
        if self.values.insert(value.to_string()) {
            self.bytes += value.len();
        }
    }

    fn full(&self) -> bool {
        self.values.len() >= SECRETS_MAX_COUNT || self.bytes >= SECRETS_MAX_BYTES
    }

    /// Collects the leaves of `raw` that `mask` marks sensitive.
    pub(crate) fn collect(&mut self, raw: Option<&str>, mask: &Value, depth: usize) {
        let Some(raw) = raw else { return };
        if self.full() {
            return;
        }
        // Mirrors like `{"tags":{}}` mark nothing: the value is not opened at all.
        if depth == 0 && !marks_anything(mask, 0) {
            return;
        }
        match mask {
            Value::Bool(true) => {
                // Most sensitive values are plain strings: no tree for them.
                if let [b'"', inner @ .., b'"'] = raw.as_bytes() {
                    if !inner.contains(&b'\\') {
                        if let Ok(s) = std::str::from_utf8(inner) {
                            self.add(s);
                            return;
                        }
                    }
                }
                if let Ok(v) = serde_json::from_str::<Value>(raw) {
                    self.leaves(&v, 0);
                }
            }
            Value::Object(m) if depth < MAX_DIFF_DEPTH && !m.is_empty() => {
                if let Ok(e) = entries(raw) {
                    for (k, v) in e {
                        if let Some(sub) = m.get(k.as_ref()) {
                            self.collect(Some(v), sub, depth + 1);
                        }
                    }
                }
            }
            Value::Array(a) if depth < MAX_DIFF_DEPTH && !a.is_empty() => {
                if let Ok(e) = elements(Some(raw)) {
                    for (v, sub) in e.into_iter().zip(a) {
                        self.collect(Some(v), sub, depth + 1);
                    }
                }
            }
            _ => {}
        }
    }

    pub(crate) fn leaves(&mut self, v: &Value, depth: usize) {
        match v {
            Value::String(s) => self.add(s),
            Value::Number(n) => self.add(&n.to_string()),
            Value::Array(a) if depth < MAX_DIFF_DEPTH => {
                a.iter().for_each(|x| self.leaves(x, depth + 1))
            }
            Value::Object(m) if depth < MAX_DIFF_DEPTH => {
                m.values().for_each(|x| self.leaves(x, depth + 1))
            }
            _ => {}
        }
    }

    pub(crate) fn merge(&mut self, other: Secrets) {
        for v in other.values {
            self.add(&v);
        }
    }

    /// An automaton that finds every known secret that may occur in `texts` (the findings to
    /// scrub). A secret can only occur where its first and its last four bytes do, so the
    /// four-byte windows of the texts are hashed into a bit set first and only the secrets that
    /// pass it are compiled: usually none, where compiling all of them took a tenth of a second.
    pub(crate) fn scrubber_for<'t>(
        &self,
        texts: impl Iterator<Item = &'t str>,
    ) -> Option<aho_corasick::AhoCorasick> {
        if self.values.is_empty() {
            return None;
        }
        let mut seen = vec![0u64; GRAM_BITS / 64];
        for t in texts {
            for w in t.as_bytes().windows(4) {
                let h = gram(w);
                if let Some(word) = seen.get_mut(h / 64) {
                    *word |= 1 << (h % 64);
                }
            }
        }
        let has = |w: Option<&[u8]>| {
            w.is_some_and(|w| {
                let h = gram(w);
                seen.get(h / 64)
                    .is_some_and(|word| word & (1 << (h % 64)) != 0)
            })
        };
        let candidates: Vec<&String> = self
            .values
            .iter()
            .filter(|v| {
                let b = v.as_bytes();
                has(b.get(..4)) && has(b.get(b.len().saturating_sub(4)..))
            })
            .collect();
        if candidates.is_empty() {
            return None;
        }
        aho_corasick::AhoCorasick::builder()
            .match_kind(aho_corasick::MatchKind::LeftmostLongest)
            .build(candidates)
            .ok()
    }
}

const GRAM_BITS: usize = 1 << 22;

/// A hash of a four-byte window into `0..GRAM_BITS`.
fn gram(w: &[u8]) -> usize {
    let v = match w {
        [a, b, c, d, ..] => u32::from_le_bytes([*a, *b, *c, *d]),
        _ => 0,
    };
    (v.wrapping_mul(0x9E37_79B1) >> 10) as usize
}

#[cfg(test)]
mod tests {
    use super::*;

    fn raw(s: &str) -> String {
        s.to_string()
    }

    fn paths(before: &str, after: &str, unknown: &str) -> Vec<String> {
        let (b, a) = (raw(before), raw(after));
        let u: Value = serde_json::from_str(unknown).unwrap();
        changed_paths(Some(b.as_str()), Some(a.as_str()), &u)
            .unwrap()
            .iter()
            .map(|c| crate::model::dotted(&c.path))
            .collect()
    }

    #[test]
    fn finds_nested_and_unknown_changes() {
        assert_eq!(
            paths(
                r#"{"id":"1","tags":{"a":"x","b":"y"},"ebs":[{"size":8}],"list":[1,2],"same":{"q":[1]}}"#,
                r#"{"id":"1","tags":{"a":"x","b":"z","c":"new"},"ebs":[{"size":16}],"list":[1,2,3],"same":{"q":[1]}}"#,
                r#"{"arn":true}"#
            ),
            vec!["arn", "ebs.0.size", "list", "tags.b", "tags.c"]
        );
        // Unsorted keys (hand-written JSON) compare the same.
        assert_eq!(
            paths(r#"{"b":1,"a":2}"#, r#"{"a":2,"b":1}"#, "{}"),
            Vec::<String>::new()
        );
        assert_eq!(paths(r#"{"a":null}"#, r#"{}"#, "{}"), Vec::<String>::new());
    }

    #[test]
    fn sensitive_paths_are_masked_in_displays() {
        let (b, a) = (
            raw(r#"{"password":"old-secret","size":1}"#),
            raw(r#"{"password":"new-secret","size":2}"#),
        );
        let changes = changed_paths(Some(b.as_str()), Some(a.as_str()), &Value::Null).unwrap();
        let mask: Value = serde_json::from_str(r#"{"password":true}"#).unwrap();
        let shown: Vec<String> = changes
            .iter()
            .map(|c| display_change(c, &Value::Null, &mask))
            .collect();
        assert_eq!(
            shown,
            vec!["(sensitive value) → (sensitive value)", "1 → 2"]
        );
        let mut s = Secrets::default();
        s.collect(Some(a.as_str()), &mask, 0);
        assert!(s.values.contains("new-secret") && s.values.len() == 1);
    }

    #[test]
    fn depth_is_bounded() {
        let deep = format!("{}1{}", "{\"a\":".repeat(100), "}".repeat(100));
        let deeper = format!("{}2{}", "{\"a\":".repeat(100), "}".repeat(100));
        let (b, a) = (raw(&deep), raw(&deeper));
        let c = changed_paths(Some(b.as_str()), Some(a.as_str()), &Value::Null).unwrap();
        assert_eq!(c.len(), 1);
        assert_eq!(c[0].path.len(), MAX_DIFF_DEPTH);
    }
}
