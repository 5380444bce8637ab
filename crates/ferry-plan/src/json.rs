//! Strict JSON checking over bytes already in memory, and the fast string search both scanners
//! share.
//!
//! Why not serde_json for the entries: serde checks a `before`/`after` value byte by byte while
//! skipping it into a `RawValue`, and that was the largest cost of a review. Plan values are
//! mostly long strings (user data, policies, certificates), so this checker finds the end of a
//! string 32 bytes per step with a loop the compiler vectorises, and checks the grammar around
//! it. It is as strict as serde_json (the property tests compare them): grammar, escapes,
//! control characters, number syntax. UTF-8 is checked by the streaming scanner before any byte
//! gets here. Nesting depth is unbounded, as with serde's skipping of raw values, but costs one
//! bit per level, so memory stays bounded by the entry (itself bounded by `MAX_ENTRY`).

use crate::error::RawError;
use crate::scan::describe;
use std::borrow::Cow;

const BLOCK: usize = 32;

/// Whether `block` holds a byte that ends the fast path inside a string: a quote, a backslash
/// or (with `CONTROLS`) a control character. A branch-free fold over a fixed-size block, which
/// the compiler turns into vector compares (checked in the disassembly: 16-byte loads and
/// `pmovmskb`; building a bit mask per byte instead does not vectorise well).
#[inline(always)]
fn block_has_stop<const CONTROLS: bool>(block: &[u8; BLOCK]) -> bool {
    let mut hit = false;
    for &b in block {
        hit |= (b == b'"') | (b == b'\\') | (CONTROLS & (b < 0x20));
    }
    hit
}

const LO: u64 = 0x0101_0101_0101_0101;
const HI: u64 = 0x8080_8080_8080_8080;

/// High bit set in each byte of `v` that is zero. Only the lowest flagged byte is exact
/// (borrows can flag bytes above it), which is all that is used.
#[inline(always)]
fn zero_bytes(v: u64) -> u64 {
    v.wrapping_sub(LO) & !v & HI
}

/// The first stop in a block known to hold one, eight bytes per step.
#[inline(always)]
fn locate<const CONTROLS: bool>(block: &[u8; BLOCK]) -> usize {
    let mut base = 0usize;
    for word in block.chunks_exact(8) {
        let Ok(bytes) = <[u8; 8]>::try_from(word) else {
            break;
        };
        let m = word_stops::<CONTROLS>(u64::from_le_bytes(bytes));
        if m != 0 {
            return base + (m.trailing_zeros() / 8) as usize;
        }
        base += 8;
    }
    BLOCK
}

#[inline(always)]
fn is_stop<const CONTROLS: bool>(b: u8) -> bool {
    b == b'"' || b == b'\\' || (CONTROLS && b < 0x20)
}

/// The stops in one 8-byte word, as high bits; the lowest one is exact.
#[inline(always)]
fn word_stops<const CONTROLS: bool>(w: u64) -> u64 {
    let mut m = zero_bytes(w ^ (LO * u64::from(b'"'))) | zero_bytes(w ^ (LO * u64::from(b'\\')));
    if CONTROLS {
        m |= w.wrapping_sub(LO * 0x20) & !w & HI;
    }
    m
}

/// Index of the first quote, backslash or (with `CONTROLS`) control character in `window`.
///
/// Plan strings are mostly short (keys, names, ids): the first 32 bytes are searched a word at a
/// time, which finds a stop there in a few instructions; longer strings go on in 32-byte blocks.
#[inline(always)]
pub(crate) fn find_string_stop<const CONTROLS: bool>(window: &[u8]) -> Option<usize> {
    let mut base = 0usize;
    while base < BLOCK {
        let Some(word) = window.get(base..base + 8) else {
            break;
        };
        let Ok(bytes) = <[u8; 8]>::try_from(word) else {
            break;
        };
        let m = word_stops::<CONTROLS>(u64::from_le_bytes(bytes));
        if m != 0 {
            return Some(base + (m.trailing_zeros() / 8) as usize);
        }
        base += 8;
    }
    find_long_stop::<CONTROLS>(window, base)
}

#[inline(never)]
fn find_long_stop<const CONTROLS: bool>(window: &[u8], from: usize) -> Option<usize> {
    let rest = window.get(from..).unwrap_or_default();
    let mut chunks = rest.chunks_exact(BLOCK);
    let mut base = from;
    for c in chunks.by_ref() {
        let Ok(block) = <&[u8; BLOCK]>::try_from(c) else {
            break;
        };
        if block_has_stop::<CONTROLS>(block) {
            return Some(base + locate::<CONTROLS>(block));
        }
        base += BLOCK;
    }
    chunks
        .remainder()
        .iter()
        .position(|&b| is_stop::<CONTROLS>(b))
        .map(|i| base + i)
}

/// A strict reader over one in-memory value (a `resource_changes` entry). Errors carry absolute
/// offsets (`base` is the offset of `bytes[0]` in the file).
pub(crate) struct Checker<'a, 's> {
    bytes: &'a [u8],
    pub(crate) pos: usize,
    base: u64,
    /// One bit per open container (1 = object), reused between entries.
    stack: &'s mut Vec<u64>,
    /// Deepest nesting allowed; unbounded for entries (as serde skips raw values), the
    /// scanner's remaining depth when it hands a window over.
    limit: usize,
    /// The last point where a value was expected: (position, depth). The scanner resumes from
    /// there when a value runs past the window.
    safe: (usize, usize),
}

impl<'a, 's> Checker<'a, 's> {
    pub(crate) fn new(bytes: &'a [u8], base: u64, stack: &'s mut Vec<u64>) -> Self {
        Checker {
            bytes,
            pos: 0,
            base,
            stack,
            limit: usize::MAX,
            safe: (0, 0),
        }
    }

    pub(crate) fn with_limit(mut self, limit: usize) -> Self {
        self.limit = limit;
        self
    }

    /// Where to resume after a value ran past the end of `bytes`: the position and the open
    /// containers (true = object), outermost first.
    pub(crate) fn resume_point(&self) -> (usize, impl Iterator<Item = bool> + '_) {
        let (pos, depth) = self.safe;
        (pos, (0..depth).map(|d| self.is_object(d)))
    }

    /// Whether `e` is the end of `bytes` rather than a fault: more input may complete it.
    pub(crate) fn ran_out(&self, e: &RawError) -> bool {
        matches!(e, RawError::At { offset, .. } if *offset == self.offset_of(self.bytes.len()))
    }

    pub(crate) fn bytes(&self) -> &'a [u8] {
        self.bytes
    }

    pub(crate) fn offset_of(&self, pos: usize) -> u64 {
        self.base + pos as u64
    }

    #[cold]
    #[inline(never)]
    pub(crate) fn err(&self, message: impl Into<String>) -> RawError {
        RawError::at(self.offset_of(self.pos), message)
    }

    #[cold]
    #[inline(never)]
    fn eof(&self, expected: &str) -> RawError {
        self.err(format!(
            "unexpected end of file, expected {expected}: the JSON is truncated"
        ))
    }

    /// The next byte that is not whitespace, not consumed.
    #[inline]
    pub(crate) fn peek_ws(&mut self) -> Option<u8> {
        while let Some(&b) = self.bytes.get(self.pos) {
            if !matches!(b, b' ' | b'\n' | b'\r' | b'\t') {
                return Some(b);
            }
            self.pos += 1;
        }
        None
    }

    /// Consumes the next non-whitespace byte.
    #[inline]
    pub(crate) fn next_ws(&mut self, expected: &str) -> Result<u8, RawError> {
        match self.peek_ws() {
            Some(b) => {
                self.pos += 1;
                Ok(b)
            }
            None => Err(self.eof(expected)),
        }
    }

    #[inline]
    pub(crate) fn expect(&mut self, want: u8, expected: &str) -> Result<(), RawError> {
        // The usual case, no whitespace, without a call.
        if self.bytes.get(self.pos) == Some(&want) {
            self.pos += 1;
            return Ok(());
        }
        match self.peek_ws() {
            Some(b) if b == want => {
                self.pos += 1;
                Ok(())
            }
            other => Err(self.unexpected(other, expected)),
        }
    }

    #[cold]
    #[inline(never)]
    fn unexpected(&self, found: Option<u8>, expected: &str) -> RawError {
        match found {
            Some(b) => self.err(format!("expected {expected}, found {}", describe(b))),
            None => self.eof(expected),
        }
    }

    /// After the opening quote: checks the string through its closing quote. True when it holds
    /// an escape.
    #[inline]
    fn string_body(&mut self) -> Result<bool, RawError> {
        // Most strings hold no escape: one search, no loop.
        let rest = self.bytes.get(self.pos..).unwrap_or_default();
        if let Some(i) = find_string_stop::<true>(rest) {
            if rest.get(i) == Some(&b'"') {
                self.pos += i + 1;
                return Ok(false);
            }
        }
        self.string_escaped()
    }

    #[inline(never)]
    fn string_escaped(&mut self) -> Result<bool, RawError> {
        let mut escaped = false;
        loop {
            let rest = self.bytes.get(self.pos..).unwrap_or_default();
            let Some(i) = find_string_stop::<true>(rest) else {
                self.pos = self.bytes.len();
                return Err(self.eof("the end of a string ('\"')"));
            };
            self.pos += i;
            match rest.get(i).copied().unwrap_or(b'"') {
                b'"' => {
                    self.pos += 1;
                    return Ok(escaped);
                }
                b'\\' => {
                    self.pos += 1;
                    self.escape()?;
                    escaped = true;
                }
                b => {
                    return Err(self.err(format!(
                        "control character {} inside a string (must be escaped)",
                        describe(b)
                    )))
                }
            }
        }
    }

    fn escape(&mut self) -> Result<(), RawError> {
        let Some(&b) = self.bytes.get(self.pos) else {
            return Err(self.eof("an escape sequence"));
        };
        match b {
            b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't' => {
                self.pos += 1;
                Ok(())
            }
            b'u' => {
                self.pos += 1;
                for _ in 0..4 {
                    match self.bytes.get(self.pos) {
                        Some(h) if h.is_ascii_hexdigit() => self.pos += 1,
                        Some(&h) => {
                            return Err(self.err(format!(
                                "expected a hex digit in a \\u escape, found {}",
                                describe(h)
                            )))
                        }
                        None => return Err(self.eof("4 hex digits after \\u")),
                    }
                }
                Ok(())
            }
            other => Err(self.err(format!("invalid escape \\{} in a string", other as char))),
        }
    }

    fn digits(&mut self, at_least_one: bool) -> Result<(), RawError> {
        let start = self.pos;
        while let Some(b'0'..=b'9') = self.bytes.get(self.pos) {
            self.pos += 1;
        }
        if at_least_one && self.pos == start {
            return Err(match self.bytes.get(self.pos) {
                Some(&b) => self.err(format!("expected a digit, found {}", describe(b))),
                None => self.eof("a digit"),
            });
        }
        Ok(())
    }

    /// A number whose first byte was already consumed.
    fn number(&mut self, first: u8) -> Result<(), RawError> {
        let lead = if first == b'-' {
            let Some(&b) = self.bytes.get(self.pos) else {
                return Err(self.eof("a digit"));
            };
            self.pos += 1;
            b
        } else {
            first
        };
        match lead {
            b'0' => {}
            b'1'..=b'9' => self.digits(false)?,
            other => {
                self.pos -= 1;
                return Err(self.err(format!("expected a digit, found {}", describe(other))));
            }
        }
        if self.bytes.get(self.pos) == Some(&b'.') {
            self.pos += 1;
            self.digits(true)?;
        }
        if let Some(b'e' | b'E') = self.bytes.get(self.pos) {
            self.pos += 1;
            if let Some(b'+' | b'-') = self.bytes.get(self.pos) {
                self.pos += 1;
            }
            self.digits(true)?;
        }
        Ok(())
    }

    fn literal(&mut self, rest: &[u8], name: &str) -> Result<(), RawError> {
        for &want in rest {
            match self.bytes.get(self.pos) {
                Some(&b) if b == want => self.pos += 1,
                Some(_) => return Err(self.err(format!("invalid literal, expected {name}"))),
                None => return Err(self.eof(name)),
            }
        }
        Ok(())
    }

    /// An object key (checked), then the colon. Returns the key's bytes between the quotes and
    /// whether it holds an escape.
    pub(crate) fn key(&mut self) -> Result<(&'a [u8], bool), RawError> {
        if let Some((start, close, escaped, end)) = crate::fast::key_span(self.bytes, self.pos) {
            self.pos = end;
            return Ok((self.bytes.get(start..close).unwrap_or_default(), escaped));
        }
        self.expect(b'"', "an object key (a string)")?;
        let start = self.pos;
        let escaped = self.string_body()?;
        let key = self
            .bytes
            .get(start..self.pos.saturating_sub(1))
            .unwrap_or_default();
        self.expect(b':', "':' after an object key")?;
        Ok((key, escaped))
    }

    fn push(&mut self, depth: usize, object: bool) -> Result<(), RawError> {
        if depth >= self.limit {
            return Err(self.err(format!(
                "nesting deeper than {} levels; not a plan ferry will read",
                crate::scan::MAX_DEPTH
            )));
        }
        let (word, bit) = (depth / 64, depth % 64);
        if word >= self.stack.len() {
            self.stack.push(0);
        }
        if let Some(w) = self.stack.get_mut(word) {
            if object {
                *w |= 1 << bit;
            } else {
                *w &= !(1 << bit);
            }
        }
        Ok(())
    }

    fn is_object(&self, depth: usize) -> bool {
        self.stack
            .get(depth / 64)
            .is_some_and(|w| w & (1 << (depth % 64)) != 0)
    }

    /// Checks one complete value (any nesting) and returns its bytes, without the whitespace
    /// around it.
    pub(crate) fn value(&mut self) -> Result<&'a [u8], RawError> {
        self.peek_ws();
        let start = self.pos;
        let rest = self.bytes.get(start..).unwrap_or_default();
        if let Some(n) = crate::fast::value_len(rest, self.limit) {
            self.pos = start + n;
            return Ok(rest.get(..n).unwrap_or_default());
        }
        let mut depth = 0usize;
        loop {
            self.peek_ws();
            self.safe = (self.pos, depth);
            let b = self.next_ws("a value")?;
            let mut closed = true;
            match b {
                b'{' => {
                    let next = self
                        .peek_ws()
                        .ok_or_else(|| self.eof("an object key or '}'"))?;
                    if next == b'}' {
                        self.pos += 1;
                    } else {
                        self.push(depth, true)?;
                        depth += 1;
                        self.key()?;
                        closed = false;
                    }
                }
                b'[' => {
                    // Whether it is empty decides what follows, so it must be visible.
                    let next = self.peek_ws().ok_or_else(|| self.eof("a value or ']'"))?;
                    if next == b']' {
                        self.pos += 1;
                    } else {
                        self.push(depth, false)?;
                        depth += 1;
                        closed = false;
                    }
                }
                b'"' => {
                    self.string_body()?;
                }
                b'-' | b'0'..=b'9' => self.number(b)?,
                b't' => self.literal(b"rue", "true")?,
                b'f' => self.literal(b"alse", "false")?,
                b'n' => self.literal(b"ull", "null")?,
                other => {
                    self.pos -= 1;
                    return Err(
                        self.err(format!("expected a JSON value, found {}", describe(other)))
                    );
                }
            }
            if !closed {
                continue;
            }
            // A value just ended: close containers until one continues with ','.
            loop {
                if depth == 0 {
                    return Ok(self.bytes.get(start..self.pos).unwrap_or_default());
                }
                let object = self.is_object(depth - 1);
                let (close, what) = if object {
                    (b'}', "',' or '}' in an object")
                } else {
                    (b']', "',' or ']' in an array")
                };
                match self.peek_ws() {
                    Some(b',') => {
                        self.pos += 1;
                        if object {
                            self.key()?;
                        }
                        break;
                    }
                    Some(c) if c == close => {
                        self.pos += 1;
                        depth -= 1;
                    }
                    Some(c) => {
                        return Err(self.err(format!("expected {what}, found {}", describe(c))))
                    }
                    None => return Err(self.eof(what)),
                }
            }
        }
    }
}

/// Splitting of values the [`Checker`] already accepted (diffs open `before`/`after` one level at
/// a time). Only strings and brackets are tracked; on anything unexpected these return `None`
/// and the caller falls back to serde, so they never accept what serde would refuse.
fn ws(b: &[u8], mut i: usize) -> usize {
    while let Some(b' ' | b'\n' | b'\r' | b'\t') = b.get(i) {
        i += 1;
    }
    i
}

/// After an opening quote at `i - 1`: the index just past the closing quote.
fn string_end(b: &[u8], mut i: usize) -> Option<usize> {
    loop {
        let rest = b.get(i..)?;
        let at = find_string_stop::<false>(rest)?;
        if rest.get(at) == Some(&b'"') {
            return Some(i + at + 1);
        }
        i += at + 2;
    }
}

/// The index just past the value that starts at `i`.
fn value_end(b: &[u8], mut i: usize) -> Option<usize> {
    let mut depth = 0usize;
    loop {
        match *b.get(i)? {
            b'"' => i = string_end(b, i + 1)?,
            b'{' | b'[' => {
                depth += 1;
                i += 1;
            }
            b'}' | b']' => {
                depth = depth.checked_sub(1)?;
                i += 1;
            }
            _ if depth > 0 => i += 1,
            _ => {
                // A scalar at the top: it ends at the next delimiter.
                while !matches!(
                    b.get(i),
                    None | Some(b',' | b']' | b'}' | b' ' | b'\n' | b'\r' | b'\t')
                ) {
                    i += 1;
                }
                return Some(i);
            }
        }
        if depth == 0 {
            return Some(i);
        }
    }
}

/// The members of a checked object, as (name, value text).
pub(crate) fn members(text: &str) -> Option<Vec<(Cow<'_, str>, &str)>> {
    let b = text.as_bytes();
    let mut i = ws(b, 0);
    if b.get(i) != Some(&b'{') {
        return None;
    }
    i = ws(b, i + 1);
    let mut out = Vec::new();
    if b.get(i) == Some(&b'}') {
        return Some(out);
    }
    loop {
        if b.get(i) != Some(&b'"') {
            return None;
        }
        let end = string_end(b, i + 1)?;
        let quoted = text.get(i..end)?;
        let name = if quoted.contains('\\') {
            Cow::Owned(serde_json::from_str::<String>(quoted).ok()?)
        } else {
            Cow::Borrowed(text.get(i + 1..end - 1)?)
        };
        i = ws(b, end);
        if b.get(i) != Some(&b':') {
            return None;
        }
        i = ws(b, i + 1);
        let vend = value_end(b, i)?;
        out.push((name, text.get(i..vend)?));
        i = ws(b, vend);
        match b.get(i) {
            Some(b',') => i = ws(b, i + 1),
            Some(b'}') => return Some(out),
            _ => return None,
        }
    }
}

/// The elements of a checked array, each as its text.
pub(crate) fn elements(text: &str) -> Option<Vec<&str>> {
    let b = text.as_bytes();
    let mut i = ws(b, 0);
    if b.get(i) != Some(&b'[') {
        return None;
    }
    i = ws(b, i + 1);
    let mut out = Vec::new();
    if b.get(i) == Some(&b']') {
        return Some(out);
    }
    loop {
        let vend = value_end(b, i)?;
        out.push(text.get(i..vend)?);
        i = ws(b, vend);
        match b.get(i) {
            Some(b',') => i = ws(b, i + 1),
            Some(b']') => return Some(out),
            _ => return None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(input: &[u8]) -> Result<usize, RawError> {
        let mut stack = Vec::new();
        let mut c = Checker::new(input, 0, &mut stack);
        let v = c.value()?;
        Ok(v.len())
    }

    #[test]
    fn agrees_with_serde_json_on_small_documents() {
        for doc in [
            &b"{}"[..],
            b"[]",
            b" {\"a\": [1, -2.5e+3, 0, true, false, null, \"x\\u00e9\\n\"], \"b\": {}} ",
            b"-0.0E-1",
            b"{\"a\":01}",
            b"[1,]",
            b"{\"a\" 1}",
            b"[\"a\x01\"]",
            b"[tru]",
            b"{\"a\": [1, 2",
            b"[\"\\x\"]",
            b"[1 2]",
            b"{\"a\":1,}",
            b"[-]",
            b"[1.]",
            b"[1e]",
            b"{\"a\":{\"b\":[{},[]]}}",
        ] {
            let ours = check(doc).is_ok();
            let serde = serde_json::from_slice::<serde::de::IgnoredAny>(doc).is_ok();
            assert_eq!(ours, serde, "{}", String::from_utf8_lossy(doc));
        }
    }

    #[test]
    fn finds_stops_in_every_lane() {
        for len in 0..80 {
            for at in 0..len {
                for stop in [b'"', b'\\', 0x01] {
                    let mut v = vec![b'x'; len];
                    v[at] = stop;
                    assert_eq!(find_string_stop::<true>(&v), Some(at));
                    let want = (stop != 0x01).then_some(at);
                    assert_eq!(find_string_stop::<false>(&v), want);
                }
            }
            assert_eq!(find_string_stop::<true>(&vec![b'y'; len]), None);
        }
    }

    #[test]
    fn splits_checked_values_like_serde() {
        let obj = r#"{"a": 1, "b\"c": {"x": [1, "]}"]}, "d": "s", "e": -2.5e3 }"#;
        let m = members(obj).unwrap();
        let names: Vec<&str> = m.iter().map(|(k, _)| k.as_ref()).collect();
        let values: Vec<&str> = m.iter().map(|(_, v)| *v).collect();
        assert_eq!(names, ["a", "b\"c", "d", "e"]);
        assert_eq!(values, ["1", r#"{"x": [1, "]}"]}"#, r#""s""#, "-2.5e3"]);
        assert_eq!(
            elements(r#"[ {"a":[]}, "x\\", 3 ]"#).unwrap(),
            [r#"{"a":[]}"#, r#""x\\""#, "3"]
        );
        assert_eq!(members("{}").unwrap().len(), 0);
        assert_eq!(elements("[]").unwrap().len(), 0);
        assert!(members("[1]").is_none() && elements("{}").is_none());
    }

    #[test]
    fn deep_values_cost_bits_not_recursion() {
        let deep = format!("{}1{}", "[".repeat(100_000), "]".repeat(100_000));
        assert_eq!(check(deep.as_bytes()).ok(), Some(deep.len()));
        let bad = format!("{}1{}", "[".repeat(100), "}".repeat(100));
        assert!(check(bad.as_bytes()).is_err());
    }
}
