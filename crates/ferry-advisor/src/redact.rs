//! The last line of defence before a prompt leaves the machine. Findings are masked upstream
//! (the review never carries a sensitive value, the audit redacts sensitive inputs); this pass
//! also scrubs what the caller knows is secret (the advisor's API key, a ledger URL, values the
//! caller collected) and whatever looks like a credential whatever its source: database URLs,
//! passwords in URLs, bearer-style API keys.

/// What replaces a scrubbed value.
pub const REDACTED: &str = "[redacted]";

/// URL schemes whose whole URL is treated as a secret (host names and database names included).
const DATABASE_SCHEMES: &[&str] = &[
    "postgres://",
    "postgresql://",
    "mysql://",
    "mariadb://",
    "mongodb://",
    "mongodb+srv://",
    "redis://",
    "rediss://",
    "sqlserver://",
    "mssql://",
    "oracle://",
    "jdbc:",
    "amqp://",
    "amqps://",
];

#[derive(Debug, Clone, Default)]
pub struct Redactor {
    secrets: Vec<String>,
}

impl Redactor {
    pub fn new() -> Redactor {
        Redactor::default()
    }

    /// Adds a known secret. Values shorter than 4 characters are ignored: scrubbing them would
    /// mangle ordinary words and hide nothing.
    pub fn secret(mut self, value: impl Into<String>) -> Redactor {
        let value = value.into();
        if value.trim().chars().count() >= 4 && !self.secrets.contains(&value) {
            self.secrets.push(value);
            // Longest first, so a secret containing another is scrubbed whole.
            self.secrets.sort_by_key(|s| std::cmp::Reverse(s.len()));
        }
        self
    }

    pub fn secrets(mut self, values: impl IntoIterator<Item = String>) -> Redactor {
        for v in values {
            self = self.secret(v);
        }
        self
    }

    pub fn redact(&self, text: &str) -> String {
        let mut out = text.to_string();
        for s in &self.secrets {
            if out.contains(s.as_str()) {
                out = out.replace(s.as_str(), REDACTED);
            }
        }
        let out = scrub_urls(&out);
        scrub_api_keys(&out)
    }
}

fn url_end(text: &str, from: usize) -> usize {
    let end = text
        .get(from..)
        .and_then(|rest| {
            rest.find(|c: char| {
                c.is_whitespace() || matches!(c, '"' | '\'' | '`' | '<' | '>' | ')' | ']' | '}')
            })
        })
        .map_or(text.len(), |n| from + n);
    // Sentence punctuation after a URL is not part of it.
    let trimmed = text
        .get(from..end)
        .unwrap_or("")
        .trim_end_matches(['.', ',', ';', ':', '!', '?']);
    from + trimmed.len()
}

/// Database URLs go whole; any other URL keeps its host but loses `user:password@`.
fn scrub_urls(text: &str) -> String {
    let lower = text.to_ascii_lowercase();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < text.len() {
        let rest = lower.get(i..).unwrap_or("");
        let at_word_start = i == 0
            || text
                .get(..i)
                .and_then(|s| s.chars().next_back())
                .is_some_and(|c| !c.is_ascii_alphanumeric() && c != '+');
        if at_word_start {
            if let Some(scheme) = DATABASE_SCHEMES.iter().find(|s| rest.starts_with(**s)) {
                let end = url_end(text, i + scheme.len());
                out.push_str("[redacted database URL]");
                i = end;
                continue;
            }
        }
        if rest.starts_with("://") {
            let end = url_end(text, i + 3);
            let authority_end = text
                .get(i + 3..end)
                .and_then(|a| a.find('/'))
                .map_or(end, |n| i + 3 + n);
            if let Some(at) = text.get(i + 3..authority_end).and_then(|a| a.rfind('@')) {
                out.push_str("://");
                out.push_str(REDACTED);
                i = i + 3 + at;
                continue;
            }
        }
        let Some(c) = text.get(i..).and_then(|s| s.chars().next()) else {
            break;
        };
        out.push(c);
        i += c.len_utf8();
    }
    out
}

/// `sk-…`, `sk-proj-…` and similar bearer keys: a known prefix followed by 16+ key characters.
fn scrub_api_keys(text: &str) -> String {
    const PREFIXES: &[&str] = &["sk-", "sk_", "xoxb-", "ghp_", "gho_", "glpat-", "hf_"];
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < text.len() {
        let rest = text.get(i..).unwrap_or("");
        let boundary = i == 0
            || text
                .get(..i)
                .and_then(|s| s.chars().next_back())
                .is_some_and(|c| !c.is_ascii_alphanumeric());
        if boundary {
            if let Some(p) = PREFIXES.iter().find(|p| rest.starts_with(**p)) {
                let body: usize = rest
                    .get(p.len()..)
                    .unwrap_or("")
                    .chars()
                    .take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
                    .count();
                if body >= 16 {
                    out.push_str(REDACTED);
                    i += p.len() + body;
                    continue;
                }
            }
        }
        let Some(c) = rest.chars().next() else { break };
        out.push(c);
        i += c.len_utf8();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_secrets_database_urls_and_url_passwords_are_scrubbed() {
        let r = Redactor::new().secret("hunter2-long").secret("ab");
        let text = "pw hunter2-long; db postgres://app:pw@db.internal:5432/prod, \
                    api https://user:tok@api.example/v1 and http://plain.example/x; ab stays; \
                    key sk-abcdefghijklmnopqrstuv end";
        assert_eq!(
            r.redact(text),
            "pw [redacted]; db [redacted database URL], api https://[redacted]@api.example/v1 \
             and http://plain.example/x; ab stays; key [redacted] end"
        );
    }

    #[test]
    fn words_that_only_contain_a_scheme_are_left_alone() {
        let r = Redactor::new();
        assert_eq!(r.redact("mypostgres://x"), "mypostgres://x");
        assert_eq!(r.redact("task-sk-short"), "task-sk-short");
    }
}
