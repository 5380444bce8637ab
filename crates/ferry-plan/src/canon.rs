//! Canonical JSON, written into a hash: the same value always gives the same bytes, whatever
//! the key order or whitespace of the text it came from. Values are never built: checked text
//! is split one level at a time (as diffs do), objects' members sorted by key, strings without
//! escapes copied as they are and others re-encoded, so a 1 GB plan costs no tree.

use crate::json;
use sha2::{Digest as _, Sha256};

/// Deepest nesting canonicalised member by member; deeper values are hashed through serde.
const MAX_CANON_DEPTH: usize = 128;

/// Writes the canonical form of the checked JSON text `raw` into `h`.
pub(crate) fn hash_json(h: &mut Sha256, raw: &str) {
    canon(h, raw.trim(), 0);
}

/// The sha256 of the canonical form of `raw`, as hex.
pub(crate) fn sha256_json(raw: &str) -> String {
    let mut h = Sha256::new();
    hash_json(&mut h, raw);
    hex(&h.finalize())
}

pub(crate) fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write as _;
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        let _ = write!(s, "{b:02x}");
    }
    s
}

/// A JSON string for `text`, canonical.
pub(crate) fn hash_str(h: &mut Sha256, text: &str) {
    if !text.bytes().any(|b| b == b'"' || b == b'\\' || b < 0x20) {
        h.update(b"\"");
        h.update(text.as_bytes());
        h.update(b"\"");
    } else {
        h.update(serde_json::to_string(text).unwrap_or_default().as_bytes());
    }
}

fn canon(h: &mut Sha256, raw: &str, depth: usize) {
    let first = raw.as_bytes().first().copied().unwrap_or(b'n');
    if depth < MAX_CANON_DEPTH {
        match first {
            b'{' => {
                if let Some(mut members) = json::members(raw) {
                    members.sort_by(|a, b| a.0.cmp(&b.0));
                    h.update(b"{");
                    for (i, (k, v)) in members.iter().enumerate() {
                        if i > 0 {
                            h.update(b",");
                        }
                        hash_str(h, k);
                        h.update(b":");
                        canon(h, v, depth + 1);
                    }
                    h.update(b"}");
                    return;
                }
            }
            b'[' => {
                if let Some(elements) = json::elements(raw) {
                    h.update(b"[");
                    for (i, v) in elements.iter().enumerate() {
                        if i > 0 {
                            h.update(b",");
                        }
                        canon(h, v, depth + 1);
                    }
                    h.update(b"]");
                    return;
                }
            }
            b'"' if !raw.contains('\\') => {
                h.update(raw.as_bytes());
                return;
            }
            b't' | b'f' | b'n' => {
                h.update(raw.as_bytes());
                return;
            }
            _ => {}
        }
    }
    // Escaped strings, numbers and anything the splitters decline: serde's writing (its maps
    // are sorted), which is canonical for strings.
    match serde_json::from_str::<serde_json::Value>(raw) {
        Ok(v) => h.update(v.to_string().as_bytes()),
        Err(_) => h.update(raw.as_bytes()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_order_whitespace_and_escapes_do_not_matter_values_do() {
        let a = sha256_json(r#"{"b": [1, {"y": "\u0041", "x": null}], "a": "s"}"#);
        let b = sha256_json(r#"{"a":"s","b":[1,{"x":null,"y":"A"}]}"#);
        let c = sha256_json(r#"{"a":"s","b":[1,{"x":null,"y":"B"}]}"#);
        let d = sha256_json(r#"{"a":"s","b":[{"x":null,"y":"A"},1]}"#);
        assert_eq!(a, b);
        assert_ne!(a, c);
        assert_ne!(a, d, "array order is part of the value");
        assert_eq!(sha256_json("1.0"), sha256_json("1.0"));
        assert_ne!(sha256_json("\"1\""), sha256_json("1"));
    }
}
