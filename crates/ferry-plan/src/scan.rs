//! A validating JSON scanner over a byte stream, read in large chunks.
//!
//! Plans can be gigabytes; most of a plan (`planned_values`, `prior_state`) is irrelevant to the
//! review and only needs to be checked and skipped, while each `resource_changes` entry needs to be
//! handed whole to serde. This scanner does both without ever holding more than one chunk plus the
//! value being captured: it checks the JSON grammar and UTF-8 as it goes, tracks nesting on an
//! explicit stack (so 100k-deep input is an error at [`MAX_DEPTH`], never a stack overflow), and can
//! copy the bytes of one value out for typed parsing. Errors carry the absolute byte offset.

use crate::error::RawError;
use crate::json::{find_string_stop, Checker};
use std::io::Read;

/// Deepest nesting accepted anywhere in a plan; Terraform's own output stays far below this.
pub(crate) const MAX_DEPTH: usize = 512;
const CHUNK: usize = 4 << 20;

struct Capture {
    out: Vec<u8>,
    from: usize,
    limit: usize,
    what: &'static str,
    start: u64,
}

pub(crate) struct Scanner<R> {
    src: R,
    buf: Vec<u8>,
    pos: usize,
    /// End of the bytes checked as UTF-8; only these are visible to the grammar.
    avail: usize,
    /// End of the bytes read; `avail..filled` is an incomplete UTF-8 sequence awaiting more input.
    filled: usize,
    base: u64,
    eof: bool,
    capture: Option<Capture>,
    stack: Vec<u8>,
    /// Scratch for the in-window checker.
    bits: Vec<u64>,
}

/// What the in-window checker did with the container at the current position.
enum Fast {
    /// Checked it whole.
    Done,
    /// Checked part of it; the scanner's stack now holds the containers left open.
    Resumed,
    /// Nothing: the first token runs past the window.
    Slow,
}

pub(crate) fn describe(b: u8) -> String {
    if b.is_ascii_graphic() {
        format!("'{}'", b as char)
    } else {
        format!("byte 0x{b:02x}")
    }
}

impl<R: Read> Scanner<R> {
    pub(crate) fn new(src: R) -> Self {
        Scanner {
            src,
            buf: vec![0; CHUNK],
            pos: 0,
            avail: 0,
            filled: 0,
            base: 0,
            eof: false,
            capture: None,
            stack: Vec::new(),
            bits: Vec::new(),
        }
    }

    /// Absolute offset of the next unread byte.
    pub(crate) fn offset(&self) -> u64 {
        self.base + self.pos as u64
    }

    fn err(&self, message: impl Into<String>) -> RawError {
        RawError::at(self.offset(), message)
    }

    fn eof_err(&self, expected: &str) -> RawError {
        self.err(format!(
            "unexpected end of file, expected {expected}: the JSON is truncated"
        ))
    }

    /// Makes more bytes visible; false at the end of input.
    #[cold]
    fn fill(&mut self) -> Result<bool, RawError> {
        if self.pos < self.avail {
            return Ok(true);
        }
        if let Some(cap) = &mut self.capture {
            let chunk = self.buf.get(cap.from..self.pos).unwrap_or_default();
            if cap.out.len() + chunk.len() > cap.limit {
                return Err(RawError::at(
                    cap.start,
                    format!(
                        "{} is larger than {} MiB; ferry refuses to hold it in memory",
                        cap.what,
                        cap.limit >> 20
                    ),
                ));
            }
            cap.out.extend_from_slice(chunk);
            cap.from = 0;
        }
        // Only an incomplete UTF-8 sequence (at most 3 bytes) is carried over.
        self.buf.copy_within(self.pos..self.filled, 0);
        self.base += self.pos as u64;
        self.filled -= self.pos;
        self.avail -= self.pos;
        self.pos = 0;
        // Read until at least one complete character is visible.
        while self.avail == 0 {
            if self.eof {
                if self.avail < self.filled {
                    return Err(RawError::at(
                        self.base + self.avail as u64,
                        "invalid UTF-8: the file ends inside a multi-byte character",
                    ));
                }
                return Ok(false);
            }
            let n = match self
                .src
                .read(self.buf.get_mut(self.filled..).unwrap_or_default())
            {
                Ok(n) => n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e.into()),
            };
            if n == 0 {
                self.eof = true;
                continue;
            }
            self.filled += n;
            let fresh = self.buf.get(self.avail..self.filled).unwrap_or_default();
            match simdutf8::compat::from_utf8(fresh) {
                Ok(_) => self.avail = self.filled,
                Err(e) if e.error_len().is_none() => self.avail += e.valid_up_to(),
                Err(e) => {
                    let at = self.base + (self.avail + e.valid_up_to()) as u64;
                    let utf16 = at == 0 && matches!(self.buf.first(), Some(0xFF | 0xFE));
                    return Err(RawError::at(
                        at,
                        if utf16 {
                            "the file is UTF-16 text; plan JSON must be UTF-8 (PowerShell's `>` writes UTF-16: use `| Out-File -Encoding utf8`)"
                        } else {
                            "invalid UTF-8: plan JSON must be UTF-8 text"
                        },
                    ));
                }
            }
        }
        Ok(self.pos < self.avail)
    }

    #[inline]
    pub(crate) fn peek(&mut self) -> Result<Option<u8>, RawError> {
        if self.pos >= self.avail && !self.fill()? {
            return Ok(None);
        }
        Ok(self.buf.get(self.pos).copied())
    }

    #[inline]
    fn bump(&mut self) {
        self.pos += 1;
    }

    /// The next byte, which must exist.
    #[inline]
    fn next(&mut self, expected: &str) -> Result<u8, RawError> {
        match self.peek()? {
            Some(b) => {
                self.bump();
                Ok(b)
            }
            None => Err(self.eof_err(expected)),
        }
    }

    pub(crate) fn skip_ws(&mut self) -> Result<Option<u8>, RawError> {
        loop {
            match self.peek()? {
                Some(b' ' | b'\n' | b'\r' | b'\t') => self.bump(),
                other => return Ok(other),
            }
        }
    }

    /// Skips whitespace and consumes `want`, or explains what was found instead.
    pub(crate) fn expect(&mut self, want: u8, expected: &str) -> Result<(), RawError> {
        match self.skip_ws()? {
            Some(b) if b == want => {
                self.bump();
                Ok(())
            }
            Some(b) => Err(self.err(format!("expected {expected}, found {}", describe(b)))),
            None => Err(self.eof_err(expected)),
        }
    }

    /// The checked bytes already read and not yet consumed (parse in place when a value fits).
    pub(crate) fn window(&self) -> &[u8] {
        self.buf.get(self.pos..self.avail).unwrap_or_default()
    }

    /// Consumes `n` bytes of [`Scanner::window`].
    pub(crate) fn advance(&mut self, n: usize) {
        self.pos = (self.pos + n).min(self.avail);
    }

    /// Whether the window holds everything left of the input.
    pub(crate) fn input_exhausted(&self) -> bool {
        self.eof && self.avail == self.filled
    }

    /// Skips a leading UTF-8 byte-order mark, which some editors add.
    pub(crate) fn skip_bom(&mut self) -> Result<(), RawError> {
        if self.peek()? == Some(0xEF)
            && self.buf.get(self.pos..self.pos + 3) == Some(&[0xEF, 0xBB, 0xBF])
        {
            self.pos += 3;
        }
        Ok(())
    }

    /// After the opening quote: checks the string through its closing quote.
    fn skip_string_body(&mut self) -> Result<(), RawError> {
        loop {
            let window = self.buf.get(self.pos..self.avail).unwrap_or_default();
            match find_string_stop::<true>(window) {
                Some(i) => {
                    let b = window.get(i).copied().unwrap_or(b'"');
                    self.pos += i + 1;
                    match b {
                        b'"' => return Ok(()),
                        b'\\' => self.skip_escape()?,
                        _ => {
                            self.pos -= 1;
                            return Err(self.err(format!(
                                "control character {} inside a string (must be escaped)",
                                describe(b)
                            )));
                        }
                    }
                }
                None => {
                    self.pos = self.avail;
                    if !self.fill()? {
                        return Err(self.eof_err("the end of a string ('\"')"));
                    }
                }
            }
        }
    }

    fn skip_escape(&mut self) -> Result<(), RawError> {
        match self.next("an escape sequence")? {
            b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't' => Ok(()),
            b'u' => {
                for _ in 0..4 {
                    let h = self.next("4 hex digits after \\u")?;
                    if !h.is_ascii_hexdigit() {
                        self.pos -= 1;
                        return Err(self.err(format!(
                            "expected a hex digit in a \\u escape, found {}",
                            describe(h)
                        )));
                    }
                }
                Ok(())
            }
            other => {
                self.pos -= 1;
                Err(self.err(format!("invalid escape \\{} in a string", other as char)))
            }
        }
    }

    fn skip_digits(&mut self, at_least_one: bool) -> Result<(), RawError> {
        let mut n = 0usize;
        while let Some(b'0'..=b'9') = self.peek()? {
            self.bump();
            n += 1;
        }
        if at_least_one && n == 0 {
            return Err(match self.peek()? {
                Some(b) => self.err(format!("expected a digit, found {}", describe(b))),
                None => self.eof_err("a digit"),
            });
        }
        Ok(())
    }

    /// A number whose first byte was already consumed.
    fn skip_number(&mut self, first: u8) -> Result<(), RawError> {
        let lead = if first == b'-' {
            self.next("a digit")?
        } else {
            first
        };
        match lead {
            b'0' => {}
            b'1'..=b'9' => self.skip_digits(false)?,
            other => {
                self.pos -= 1;
                return Err(self.err(format!("expected a digit, found {}", describe(other))));
            }
        }
        if self.peek()? == Some(b'.') {
            self.bump();
            self.skip_digits(true)?;
        }
        if let Some(b'e' | b'E') = self.peek()? {
            self.bump();
            if let Some(b'+' | b'-') = self.peek()? {
                self.bump();
            }
            self.skip_digits(true)?;
        }
        Ok(())
    }

    fn skip_literal(&mut self, rest: &[u8], name: &str) -> Result<(), RawError> {
        for &want in rest {
            let b = self.next(name)?;
            if b != want {
                self.pos -= 1;
                return Err(self.err(format!("invalid literal, expected {name}")));
            }
        }
        Ok(())
    }

    fn push(&mut self, kind: u8) -> Result<(), RawError> {
        if self.stack.len() >= MAX_DEPTH {
            return Err(self.err(format!(
                "nesting deeper than {MAX_DEPTH} levels; not a plan ferry will read"
            )));
        }
        self.stack.push(kind);
        Ok(())
    }

    /// An object key, then the colon after it.
    fn skip_key(&mut self) -> Result<(), RawError> {
        self.expect(b'"', "an object key (a string)")?;
        self.skip_string_body()?;
        self.expect(b':', "':' after an object key")
    }

    /// Checks the container at the current position with [`Checker`], which is several times
    /// faster than the byte-at-a-time path below, as far as the window reaches.
    fn fast_container(&mut self) -> Result<Fast, RawError> {
        let window = self.buf.get(self.pos..self.avail).unwrap_or_default();
        let base = self.base + self.pos as u64;
        let limit = MAX_DEPTH.saturating_sub(self.stack.len());
        let mut c = Checker::new(window, base, &mut self.bits).with_limit(limit);
        let e = match c.value() {
            Ok(_) => {
                self.pos += c.pos;
                return Ok(Fast::Done);
            }
            Err(e) => e,
        };
        let whole = self.eof && self.avail == self.filled;
        if whole || !c.ran_out(&e) {
            return Err(e);
        }
        let (at, open) = c.resume_point();
        let open: Vec<u8> = open.map(|o| if o { b'{' } else { b'[' }).collect();
        if at == 0 && open.is_empty() {
            return Ok(Fast::Slow);
        }
        self.pos += at;
        for kind in open {
            self.push(kind)?;
        }
        Ok(Fast::Resumed)
    }

    /// Checks and skips one complete value (any nesting), leaving the scanner just after it.
    pub(crate) fn skip_value(&mut self) -> Result<(), RawError> {
        self.stack.clear();
        loop {
            // A value is expected here.
            let b = match self.skip_ws()? {
                Some(b) => b,
                None => return Err(self.eof_err("a value")),
            };
            let fast = if b == b'{' || b == b'[' {
                self.fast_container()?
            } else {
                Fast::Slow
            };
            let mut closed = false;
            match fast {
                Fast::Done => closed = true,
                Fast::Resumed => continue,
                Fast::Slow => self.bump(),
            }
            match b {
                _ if closed => {}
                b'{' => {
                    if self.skip_ws()? == Some(b'}') {
                        self.bump();
                        closed = true;
                    } else {
                        self.push(b'{')?;
                        self.skip_key()?;
                    }
                }
                b'[' => {
                    if self.skip_ws()? == Some(b']') {
                        self.bump();
                        closed = true;
                    } else {
                        self.push(b'[')?;
                    }
                }
                b'"' => {
                    self.skip_string_body()?;
                    closed = true;
                }
                b'-' | b'0'..=b'9' => {
                    self.skip_number(b)?;
                    closed = true;
                }
                b't' => {
                    self.skip_literal(b"rue", "true")?;
                    closed = true;
                }
                b'f' => {
                    self.skip_literal(b"alse", "false")?;
                    closed = true;
                }
                b'n' => {
                    self.skip_literal(b"ull", "null")?;
                    closed = true;
                }
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
                let Some(&top) = self.stack.last() else {
                    return Ok(());
                };
                let (close, what) = if top == b'{' {
                    (b'}', "',' or '}' in an object")
                } else {
                    (b']', "',' or ']' in an array")
                };
                match self.skip_ws()? {
                    Some(b',') => {
                        self.bump();
                        if top == b'{' {
                            self.skip_key()?;
                        }
                        break;
                    }
                    Some(c) if c == close => {
                        self.bump();
                        self.stack.pop();
                    }
                    Some(c) => {
                        return Err(self.err(format!("expected {what}, found {}", describe(c))))
                    }
                    None => return Err(self.eof_err(what)),
                }
            }
        }
    }

    /// Finds the end of the next value without checking its grammar: only strings and brackets
    /// are tracked. For values that serde parses right after, which checks them anyway.
    fn skim_value(&mut self) -> Result<(), RawError> {
        let mut depth = 0usize;
        loop {
            let b = match self.peek()? {
                Some(b) => b,
                None => {
                    let what = self.capture.as_ref().map_or("the value", |c| c.what);
                    return Err(self.eof_err(&format!("the end of {what}")));
                }
            };
            match b {
                b'"' => {
                    self.bump();
                    self.skim_string()?;
                }
                b'{' | b'[' => {
                    if depth >= MAX_DEPTH {
                        return Err(self.err(format!(
                            "nesting deeper than {MAX_DEPTH} levels; not a plan ferry will read"
                        )));
                    }
                    depth += 1;
                    self.bump();
                }
                b'}' | b']' => {
                    if depth == 0 {
                        return Err(
                            self.err(format!("expected a JSON value, found {}", describe(b)))
                        );
                    }
                    depth -= 1;
                    self.bump();
                }
                b',' | b' ' | b'\n' | b'\r' | b'\t' | b':' if depth == 0 => {
                    return Err(self.err(format!("expected a JSON value, found {}", describe(b))));
                }
                _ => {
                    // A scalar: at the top it ends at the next delimiter.
                    self.bump();
                    if depth == 0 {
                        while let Some(c) = self.peek()? {
                            if matches!(c, b',' | b']' | b'}' | b' ' | b'\n' | b'\r' | b'\t') {
                                break;
                            }
                            self.bump();
                        }
                    }
                }
            }
            if depth == 0 {
                return Ok(());
            }
        }
    }

    fn skim_string(&mut self) -> Result<(), RawError> {
        loop {
            let window = self.buf.get(self.pos..self.avail).unwrap_or_default();
            match find_string_stop::<false>(window) {
                Some(i) => {
                    let b = window.get(i).copied().unwrap_or(b'"');
                    self.pos += i + 1;
                    if b == b'"' {
                        return Ok(());
                    }
                    // An escape: whatever follows is part of the string.
                    self.next("an escape sequence")?;
                }
                None => {
                    self.pos = self.avail;
                    if !self.fill()? {
                        return Err(self.eof_err("the end of a string ('\"')"));
                    }
                }
            }
        }
    }

    /// Copies out the bytes of the next value, refusing values above `limit` bytes. `checked`
    /// checks the grammar on the way; otherwise the caller must parse the bytes strictly.
    pub(crate) fn capture_value(
        &mut self,
        limit: usize,
        what: &'static str,
        checked: bool,
    ) -> Result<Vec<u8>, RawError> {
        self.skip_ws()?;
        self.capture = Some(Capture {
            out: Vec::new(),
            from: self.pos,
            limit,
            what,
            start: self.offset(),
        });
        let skipped = if checked {
            self.skip_value()
        } else {
            self.skim_value()
        };
        let cap = self.capture.take();
        skipped?;
        let Some(mut cap) = cap else {
            return Ok(Vec::new());
        };
        let tail = self.buf.get(cap.from..self.pos).unwrap_or_default();
        if cap.out.len() + tail.len() > cap.limit {
            return Err(RawError::at(
                cap.start,
                format!(
                    "{} is larger than {} MiB; ferry refuses to hold it in memory",
                    cap.what,
                    cap.limit >> 20
                ),
            ));
        }
        cap.out.extend_from_slice(tail);
        Ok(cap.out)
    }

    /// True when only whitespace remains.
    #[cfg(test)]
    pub(crate) fn at_end(&mut self) -> Result<bool, RawError> {
        Ok(self.skip_ws()?.is_none())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(input: &[u8]) -> Result<(), RawError> {
        let mut s = Scanner::new(input);
        s.skip_value()?;
        if !s.at_end()? {
            return Err(s.err("trailing"));
        }
        Ok(())
    }

    fn offset_of(input: &[u8]) -> u64 {
        match check(input) {
            Err(RawError::At { offset, .. }) => offset,
            other => panic!("expected an error, got {other:?}"),
        }
    }

    #[test]
    fn accepts_what_serde_json_accepts() {
        for ok in [
            &b"{}"[..],
            b"[]",
            b" {\"a\": [1, -2.5e+3, 0, true, false, null, \"x\\u00e9\\n\"], \"b\": {}} ",
            "\"caf\u{e9} \u{1F600}\"".as_bytes(),
            b"-0.0E-1",
        ] {
            assert!(check(ok).is_ok(), "{}", String::from_utf8_lossy(ok));
            assert!(serde_json::from_slice::<serde::de::IgnoredAny>(ok).is_ok());
        }
    }

    #[test]
    fn rejects_with_the_offset_of_the_fault() {
        assert_eq!(offset_of(b"{\"a\": 01}"), 7);
        assert_eq!(offset_of(b"[1,]"), 3);
        assert_eq!(offset_of(b"{\"a\" 1}"), 5);
        assert_eq!(offset_of(b"[\"a\x01\"]"), 3);
        assert_eq!(offset_of(b"[tru]"), 4);
        assert_eq!(offset_of(b"{\"a\": [1, 2"), 11);
        assert_eq!(offset_of(b"[\"\xff\"]"), 2);
        assert_eq!(offset_of(b"[\"\\x\"]"), 3);
    }

    #[test]
    fn deep_nesting_is_an_error_not_a_crash() {
        let deep = "[".repeat(100_000);
        let mut s = Scanner::new(deep.as_bytes());
        match s.skip_value() {
            Err(RawError::At { message, .. }) => assert!(message.contains("nesting deeper")),
            other => panic!("{other:?}"),
        }
    }

    /// A reader that hands out one byte at a time, to cross every chunk boundary.
    struct Trickle<'a>(&'a [u8]);
    impl Read for Trickle<'_> {
        fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
            match (self.0.split_first(), buf.first_mut()) {
                (Some((b, rest)), Some(slot)) => {
                    *slot = *b;
                    self.0 = rest;
                    Ok(1)
                }
                _ => Ok(0),
            }
        }
    }

    #[test]
    fn captures_across_reads_and_split_utf8() {
        let doc = "[{\"k\": \"\u{e9}\u{1F600}\"}, 2]";
        let mut s = Scanner::new(Trickle(doc.as_bytes()));
        s.expect(b'[', "[").unwrap();
        let first = s.capture_value(1 << 20, "entry", true).unwrap();
        assert_eq!(first, "{\"k\": \"\u{e9}\u{1F600}\"}".as_bytes());
        s.expect(b',', ",").unwrap();
        assert_eq!(s.capture_value(1 << 20, "entry", true).unwrap(), b"2");
        s.expect(b']', "]").unwrap();
        assert!(s.at_end().unwrap());
    }

    /// A reader that hands out `n` bytes at a time, so that values of every size cross reads.
    struct Chunks<'a>(&'a [u8], usize);
    impl Read for Chunks<'_> {
        fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
            let n = self.1.min(buf.len()).min(self.0.len());
            let (head, rest) = self.0.split_at(n);
            buf[..n].copy_from_slice(head);
            self.0 = rest;
            Ok(n)
        }
    }

    #[test]
    fn window_checker_and_byte_path_agree_across_reads() {
        let good = br#"{"a": [1, {"b": "x\"y", "c": [[], {}, [true, null, -1.5e3]]}], "d": {"e": {"f": "g"}}}"#;
        let bad: [&[u8]; 5] = [
            br#"{"a": [1, {"b": "x", "c": [[], {}, [true, nul]]}]}"#,
            br#"{"a": [1, {"b": "x", "c": [[], {}, [true, 01]]}]}"#,
            br#"{"a": [1, {"b": "x" "c": []}]}"#,
            br#"{"a": [1, {"b": "x\q", "c": []}]}"#,
            br#"{"a": [1, {"b": "x", "c": [}]}"#,
        ];
        for n in 1..good.len() + 1 {
            let mut s = Scanner::new(Chunks(good, n));
            s.skip_value().unwrap();
            assert!(s.at_end().unwrap());
            assert_eq!(s.offset(), good.len() as u64);
            for doc in bad {
                let whole = offset_of(doc);
                let mut s = Scanner::new(Chunks(doc, n));
                match s.skip_value() {
                    Err(RawError::At { offset, .. }) => assert_eq!(offset, whole, "{n}"),
                    other => panic!("{other:?}"),
                }
            }
        }
        let deep = "[".repeat(600);
        for n in [1, 7, 4096] {
            let mut s = Scanner::new(Chunks(deep.as_bytes(), n));
            match s.skip_value() {
                Err(RawError::At { message, .. }) => assert!(message.contains("nesting deeper")),
                other => panic!("{other:?}"),
            }
        }
    }

    #[test]
    fn capture_limit_is_enforced() {
        let big = format!("[\"{}\"]", "x".repeat(3 << 20));
        let mut s = Scanner::new(Trickle(big.as_bytes()));
        assert!(matches!(
            s.capture_value(1 << 20, "entry", true),
            Err(RawError::At { offset: 0, .. })
        ));
    }
}
