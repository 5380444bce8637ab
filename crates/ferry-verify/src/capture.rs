//! A bounded record of what a command printed: only the tail matters for a verdict ("why did the
//! health check fail?"), and a chatty or runaway check must not grow ferry's memory or the ledger.

use crate::redact::Redactor;

/// How much of a command's output is kept for the report.
pub const TAIL_BYTES: usize = 2048;

#[derive(Debug, Default)]
pub(crate) struct Tail {
    bytes: Vec<u8>,
    keep: usize,
    dropped: bool,
}

impl Tail {
    /// Keeps `TAIL_BYTES` plus enough to recognise a secret that crosses the cut.
    pub(crate) fn new(redactor: &Redactor) -> Tail {
        Tail {
            bytes: Vec::new(),
            keep: TAIL_BYTES + redactor.longest(),
            dropped: false,
        }
    }

    pub(crate) fn push(&mut self, chunk: &[u8]) {
        self.bytes.extend_from_slice(chunk);
        if self.bytes.len() > self.keep {
            let excess = self.bytes.len() - self.keep;
            self.bytes.drain(..excess);
            self.dropped = true;
        }
    }

    /// The redacted tail, at most `TAIL_BYTES` (plus a leading `…` when output was dropped).
    pub(crate) fn finish(&self, redactor: &Redactor) -> String {
        // A cut may land inside a UTF-8 sequence; skip its continuation bytes.
        let start = if self.dropped {
            self.bytes
                .iter()
                .take_while(|b| (0x80..0xC0).contains(*b))
                .count()
        } else {
            0
        };
        let text = String::from_utf8_lossy(&self.bytes[start..]);
        let redacted = redactor.redact(&text, self.dropped);
        let trimmed = redacted.trim_end();
        if trimmed.len() <= TAIL_BYTES && !self.dropped {
            return trimmed.to_string();
        }
        let mut cut = trimmed.len().saturating_sub(TAIL_BYTES);
        while !trimmed.is_char_boundary(cut) {
            cut += 1;
        }
        format!("…{}", &trimmed[cut..])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_only_the_tail() {
        let r = Redactor::default();
        let mut t = Tail::new(&r);
        for i in 0..1000 {
            t.push(format!("line {i}\n").as_bytes());
        }
        let out = t.finish(&r);
        assert!(out.starts_with('…'));
        assert!(out.ends_with("line 999"));
        assert!(out.len() <= TAIL_BYTES + '…'.len_utf8());
    }

    #[test]
    fn secret_crossing_the_cut_is_hidden() {
        let secret = "S".repeat(50) + "TOKEN";
        let r = Redactor::new(std::slice::from_ref(&secret));
        let mut t = Tail::new(&r);
        // Repeated so that, once hidden, the kept text is short enough to show its front.
        for _ in 0..100 {
            t.push(format!("{secret} ").as_bytes());
        }
        let out = t.finish(&r);
        assert!(!out.contains("TOKEN") && !out.contains('S'), "{out}");
    }
}
