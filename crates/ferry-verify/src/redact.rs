//! Hides sensitive output values in anything a check printed before it reaches a report, the
//! ledger or the terminal. Output is kept only as a tail, so a secret may have been cut in half at
//! the front of the kept text; that leftover suffix is hidden too.

/// What replaces a sensitive value.
pub const REDACTED: &str = "(sensitive)";

#[derive(Debug, Clone, Default)]
pub(crate) struct Redactor {
    /// Longest first, so a secret containing another is hidden whole.
    secrets: Vec<String>,
}

impl Redactor {
    pub(crate) fn new(secrets: &[String]) -> Redactor {
        let mut secrets: Vec<String> = secrets.iter().filter(|s| !s.is_empty()).cloned().collect();
        secrets.sort_by(|a, b| b.len().cmp(&a.len()).then_with(|| a.cmp(b)));
        secrets.dedup();
        Redactor { secrets }
    }

    /// The longest secret, in bytes: how much more than the wanted tail must be kept so that a
    /// secret crossing the cut can still be recognised.
    pub(crate) fn longest(&self) -> usize {
        self.secrets.first().map_or(0, String::len)
    }

    /// `cut_front`: the text is the tail of something longer, so its start may be the end of a
    /// secret whose beginning was dropped.
    pub(crate) fn redact(&self, text: &str, cut_front: bool) -> String {
        let mut text = text.to_string();
        if cut_front {
            if let Some(len) = self.leading_fragment(&text) {
                text.replace_range(..len, REDACTED);
            }
        }
        for secret in &self.secrets {
            if text.contains(secret.as_str()) {
                text = text.replace(secret.as_str(), REDACTED);
            }
        }
        text
    }

    /// Length of the longest proper suffix of any secret that `text` starts with.
    fn leading_fragment(&self, text: &str) -> Option<usize> {
        self.secrets
            .iter()
            .filter_map(|secret| {
                secret
                    .char_indices()
                    .skip(1)
                    .map(|(i, _)| &secret[i..])
                    .find(|suffix| text.starts_with(suffix))
                    .map(str::len)
            })
            .max()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hides_every_occurrence_longest_first() {
        let r = Redactor::new(&["abc".into(), "abcdef".into(), String::new()]);
        assert_eq!(
            r.redact("x abcdef y abc", false),
            "x (sensitive) y (sensitive)"
        );
        assert_eq!(r.redact("nothing here", false), "nothing here");
    }

    #[test]
    fn hides_a_secret_cut_at_the_front() {
        let r = Redactor::new(&["hunter2-token".into()]);
        assert_eq!(r.redact("2-token rest", true), "(sensitive) rest");
        assert_eq!(r.redact("2-token rest", false), "2-token rest");
    }
}
