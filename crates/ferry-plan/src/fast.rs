//! The fast path of the strict checker: a yes/no validation of one JSON value in memory.
//!
//! Most of a plan is checked and never looked at again (`planned_values`, `prior_state`, the
//! values of no-op entries), so checking is most of the cost of a review. This loop keeps its
//! position, depth and the object/array bit of each open container (up to 64 deep) in
//! registers and builds no error. It accepts exactly what [`Checker::value`] accepts (the
//! property test below compares them on valid and broken input); on any doubt (a fault, the
//! end of the bytes, deeper nesting) it answers `None` and the caller runs the checker, which
//! finds the same fault again and says where it is and what was expected.
//!
//! [`Checker::value`]: crate::json::Checker::value

use crate::json::find_string_stop;

/// Deepest nesting the fast path handles; deeper values go to the checker.
const FAST_DEPTH: usize = 64;

#[inline(always)]
fn is_ws(b: u8) -> bool {
    matches!(b, b' ' | b'\n' | b'\r' | b'\t')
}

/// Index of the next byte at or after `i` that is not whitespace.
#[inline(always)]
fn skip_ws(b: &[u8], mut i: usize) -> Option<usize> {
    while is_ws(*b.get(i)?) {
        i += 1;
    }
    Some(i)
}

/// After an opening quote at `i - 1`: the index just past the closing quote.
#[inline(always)]
fn string(b: &[u8], mut i: usize) -> Option<usize> {
    loop {
        i += find_string_stop::<true>(b.get(i..)?)?;
        match *b.get(i)? {
            b'"' => return Some(i + 1),
            b'\\' => i = escape(b, i + 1)?,
            _ => return None,
        }
    }
}

/// After a backslash at `i - 1`: the index just past the escape.
#[inline(never)]
fn escape(b: &[u8], i: usize) -> Option<usize> {
    match *b.get(i)? {
        b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't' => Some(i + 1),
        b'u' => b
            .get(i + 1..i + 5)?
            .iter()
            .all(u8::is_ascii_hexdigit)
            .then_some(i + 5),
        _ => None,
    }
}

/// An object key at `i` (no whitespace before it), as the checker reads keys: the span of its
/// body between the quotes, whether it holds an escape, and the index just past its colon.
#[inline(always)]
pub(crate) fn key_span(b: &[u8], i: usize) -> Option<(usize, usize, bool, usize)> {
    if *b.get(i)? != b'"' {
        return None;
    }
    let start = i + 1;
    let mut at = start;
    let mut escaped = false;
    let close = loop {
        at += find_string_stop::<true>(b.get(at..)?)?;
        match *b.get(at)? {
            b'"' => break at,
            b'\\' => {
                escaped = true;
                at = escape(b, at + 1)?;
            }
            _ => return None,
        }
    };
    let colon = skip_ws(b, close + 1)?;
    (*b.get(colon)? == b':').then_some((start, close, escaped, colon + 1))
}

/// An object key starting at `i` (whitespace allowed), through its colon.
#[inline(always)]
fn key(b: &[u8], i: usize) -> Option<usize> {
    let i = skip_ws(b, i)?;
    if *b.get(i)? != b'"' {
        return None;
    }
    let i = string(b, i + 1)?;
    // Terraform writes no whitespace: try the colon right away.
    if b.get(i) == Some(&b':') {
        return Some(i + 1);
    }
    let i = skip_ws(b, i)?;
    (*b.get(i)? == b':').then_some(i + 1)
}

fn digits(b: &[u8], mut i: usize) -> usize {
    while b.get(i).is_some_and(u8::is_ascii_digit) {
        i += 1;
    }
    i
}

/// A number whose first byte is at `i`; the index just past it.
fn number(b: &[u8], mut i: usize) -> Option<usize> {
    if *b.get(i)? == b'-' {
        i += 1;
    }
    match *b.get(i)? {
        b'0' => i += 1,
        b'1'..=b'9' => i = digits(b, i + 1),
        _ => return None,
    }
    if b.get(i) == Some(&b'.') {
        let end = digits(b, i + 1);
        if end == i + 1 {
            return None;
        }
        i = end;
    }
    if let Some(b'e' | b'E') = b.get(i) {
        i += 1;
        if let Some(b'+' | b'-') = b.get(i) {
            i += 1;
        }
        let end = digits(b, i);
        if end == i {
            return None;
        }
        i = end;
    }
    // A number that runs to the end of the bytes may go on in the input.
    (i < b.len()).then_some(i)
}

fn literal(b: &[u8], i: usize, word: &[u8]) -> Option<usize> {
    (b.get(i..i + word.len())? == word).then_some(i + word.len())
}

/// Validates the value that starts at `b[0]` (not whitespace) and returns its length, when it
/// is complete and nests at most `limit` (and 64) levels deep.
pub(crate) fn value_len(b: &[u8], limit: usize) -> Option<usize> {
    let limit = limit.min(FAST_DEPTH);
    let mut i = 0usize;
    let mut depth = 0usize;
    // Bit d: the container open at depth d is an object.
    let mut objects = 0u64;
    'value: loop {
        i = skip_ws(b, i)?;
        let c = *b.get(i)?;
        i += 1;
        match c {
            b'{' => {
                i = skip_ws(b, i)?;
                if *b.get(i)? == b'}' {
                    i += 1;
                } else {
                    if depth >= limit {
                        return None;
                    }
                    objects |= 1 << depth;
                    depth += 1;
                    i = key(b, i)?;
                    continue 'value;
                }
            }
            b'[' => {
                i = skip_ws(b, i)?;
                if *b.get(i)? == b']' {
                    i += 1;
                } else {
                    if depth >= limit {
                        return None;
                    }
                    objects &= !(1 << depth);
                    depth += 1;
                    continue 'value;
                }
            }
            b'"' => i = string(b, i)?,
            b'-' | b'0'..=b'9' => i = number(b, i - 1)?,
            b't' => i = literal(b, i, b"rue")?,
            b'f' => i = literal(b, i, b"alse")?,
            b'n' => i = literal(b, i, b"ull")?,
            _ => return None,
        }
        // A value just ended: close containers until one goes on with ','.
        loop {
            if depth == 0 {
                return Some(i);
            }
            let object = objects & (1 << (depth - 1)) != 0;
            i = skip_ws(b, i)?;
            match (*b.get(i)?, object) {
                (b',', true) => {
                    i = key(b, i + 1)?;
                    continue 'value;
                }
                (b',', false) => {
                    i += 1;
                    continue 'value;
                }
                (b'}', true) | (b']', false) => {
                    i += 1;
                    depth -= 1;
                }
                _ => return None,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::json::Checker;
    use proptest::prelude::*;

    /// What the checker says about a value at the start of `b`: its length, or an error.
    fn checker(b: &[u8], limit: usize) -> Option<usize> {
        let mut stack = Vec::new();
        let mut c = Checker::new(b, 0, &mut stack).with_limit(limit);
        c.value().ok().map(|v| v.len())
    }

    fn agree(b: &[u8]) {
        if b.first().is_none_or(|c| is_ws(*c)) {
            return;
        }
        for limit in [3, usize::MAX] {
            let fast = value_len(b, limit);
            if let Some(n) = fast {
                assert_eq!(
                    checker(b, limit),
                    Some(n),
                    "fast accepted {:?}",
                    String::from_utf8_lossy(b)
                );
            }
            // The fast path may decline what the checker accepts only at its own limits:
            // nesting deeper than 64, or a number at the very end of the bytes.
            if let Some(n) = checker(b, limit) {
                let deep = b.iter().filter(|c| matches!(c, b'[' | b'{')).count() > FAST_DEPTH;
                let number_at_end = n == b.len() && b.last().is_some_and(u8::is_ascii_digit);
                assert!(
                    fast == Some(n) || deep || number_at_end,
                    "fast declined {:?}",
                    String::from_utf8_lossy(b)
                );
            }
        }
    }

    #[test]
    fn agrees_with_the_checker_on_hand_picked_values() {
        for doc in [
            &b"{}"[..],
            b"[]",
            b"{\"a\": [1, -2.5e+3, 0, true, false, null, \"x\\u00e9\\n\"], \"b\": {}} ",
            b"{\"a\" : 1 , \"b\":[ ] }",
            b"-0.0E-1,",
            b"{\"a\":01}",
            b"[1,]",
            b"{\"a\":1,}",
            b"[\"\\x\"]",
            b"[\"\\u12g4\"]",
            b"[\"a\x01\"]",
            b"[tru]",
            b"{\"a\":[1,2",
            b"[[[[1]]]]",
            b"{\"a\":{\"b\":[{},[]]}}",
            b"1.",
            b"1e",
            b"-",
            b"[1e+]",
            b"{1:2}",
            b"[\"a\"]x",
        ] {
            agree(doc);
        }
        let deep = format!("{}1{}", "[".repeat(100), "]".repeat(100));
        assert_eq!(value_len(deep.as_bytes(), usize::MAX), None);
        assert!(checker(deep.as_bytes(), usize::MAX).is_some());
    }

    fn json_text() -> impl Strategy<Value = String> {
        let leaf = prop_oneof![
            Just("null".to_string()),
            Just("true".to_string()),
            any::<i64>().prop_map(|n| n.to_string()),
            any::<f64>().prop_map(|f| serde_json::to_string(&f).unwrap_or_default()),
            ".{0,40}".prop_map(|s| serde_json::to_string(&s).unwrap_or_default()),
        ];
        leaf.prop_recursive(6, 64, 8, |inner| {
            prop_oneof![
                proptest::collection::vec(inner.clone(), 0..6)
                    .prop_map(|v| format!("[{}]", v.join(","))),
                proptest::collection::vec(("[a-z\"\\\\]{0,6}", inner), 0..6).prop_map(|v| {
                    let members: Vec<String> = v
                        .into_iter()
                        .map(|(k, v)| {
                            format!("{} : {v}", serde_json::to_string(&k).unwrap_or_default())
                        })
                        .collect();
                    format!("{{{}}}", members.join(","))
                }),
            ]
        })
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 2000, .. ProptestConfig::default() })]

        #[test]
        fn agrees_with_the_checker_on_valid_and_broken_values(
            text in json_text(),
            edits in proptest::collection::vec((any::<usize>(), any::<u8>(), 0u8..4), 0..3),
        ) {
            let mut b = text.into_bytes();
            for (at, byte, op) in edits {
                if b.is_empty() { break; }
                let at = at % b.len();
                match op {
                    0 => b[at] = byte,
                    1 => b.insert(at, byte),
                    2 => { b.remove(at); }
                    _ => b.truncate(at),
                }
            }
            agree(&b);
        }
    }
}
