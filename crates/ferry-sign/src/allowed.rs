//! The OpenSSH `allowed_signers` format (ssh-keygen(1), "ALLOWED SIGNERS"), as git uses it:
//! `principals [options] keytype base64-key [comment]`, with `namespaces="…"`, `valid-after=`,
//! `valid-before=` and `cert-authority` options. Certificate authorities are refused with a clear
//! message rather than silently ignored.

use crate::SignError;
use ssh_key::public::KeyData;
use ssh_key::PublicKey;

#[derive(Debug, Clone)]
pub struct SignerEntry {
    /// Principal patterns (`*` and `?` wildcards allowed).
    pub principals: Vec<String>,
    pub namespaces: Option<Vec<String>>,
    pub valid_after: Option<jiff::Timestamp>,
    pub valid_before: Option<jiff::Timestamp>,
    pub key: PublicKey,
    pub line: usize,
}

impl SignerEntry {
    /// The principals this entry vouches for when the approver is `who`.
    pub fn principals_for(&self, who: &str) -> Vec<String> {
        self.principals
            .iter()
            .map(|p| {
                if (p.contains('*') || p.contains('?')) && wildcard(p, who) {
                    who.to_string()
                } else {
                    p.clone()
                }
            })
            .collect()
    }
}

#[derive(Debug, Clone, Default)]
pub struct AllowedSigners {
    pub entries: Vec<SignerEntry>,
}

const KEY_TYPES: [&str; 8] = [
    "ssh-ed25519",
    "ssh-rsa",
    "rsa-sha2-256",
    "rsa-sha2-512",
    "ecdsa-sha2-nistp256",
    "ecdsa-sha2-nistp384",
    "ecdsa-sha2-nistp521",
    "sk-ssh-ed25519@openssh.com",
];

/// Splits on whitespace outside double quotes.
fn tokens(line: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut quoted = false;
    for c in line.chars() {
        match c {
            '"' => {
                quoted = !quoted;
                cur.push(c);
            }
            c if c.is_whitespace() && !quoted => {
                if !cur.is_empty() {
                    out.push(std::mem::take(&mut cur));
                }
            }
            c => cur.push(c),
        }
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out
}

/// Splits an options token on commas outside quotes.
fn options(token: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut quoted = false;
    for c in token.chars() {
        match c {
            '"' => quoted = !quoted,
            ',' if !quoted => out.push(std::mem::take(&mut cur)),
            c => cur.push(c),
        }
    }
    out.push(cur);
    out
}

/// `YYYYMMDD[HHMM[SS]]`, optionally with a trailing `Z`; read as UTC.
fn timestamp(text: &str) -> Option<jiff::Timestamp> {
    let t = text.trim_end_matches(['Z', 'z']);
    if !t.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let num = |r: std::ops::Range<usize>| t.get(r).and_then(|s| s.parse::<i32>().ok());
    let (y, mo, d) = (num(0..4)?, num(4..6)?, num(6..8)?);
    let (h, mi, s) = match t.len() {
        8 => (0, 0, 0),
        12 => (num(8..10)?, num(10..12)?, 0),
        14 => (num(8..10)?, num(10..12)?, num(12..14)?),
        _ => return None,
    };
    let dt = jiff::civil::DateTime::new(
        i16::try_from(y).ok()?,
        i8::try_from(mo).ok()?,
        i8::try_from(d).ok()?,
        i8::try_from(h).ok()?,
        i8::try_from(mi).ok()?,
        i8::try_from(s).ok()?,
        0,
    )
    .ok()?;
    dt.to_zoned(jiff::tz::TimeZone::UTC)
        .ok()
        .map(|z| z.timestamp())
}

/// `*` and `?` glob over the whole string.
pub(crate) fn wildcard(pattern: &str, text: &str) -> bool {
    fn go(p: &[char], t: &[char]) -> bool {
        match (p.first(), t.first()) {
            (None, None) => true,
            (Some('*'), _) => go(&p[1..], t) || (!t.is_empty() && go(p, &t[1..])),
            (Some('?'), Some(_)) => go(&p[1..], &t[1..]),
            (Some(a), Some(b)) if a == b => go(&p[1..], &t[1..]),
            _ => false,
        }
    }
    let p: Vec<char> = pattern.to_lowercase().chars().collect();
    let t: Vec<char> = text.to_lowercase().chars().collect();
    go(&p, &t)
}

impl AllowedSigners {
    /// Parses the file's text; `path` names it in errors.
    pub fn parse(text: &str, path: &str) -> Result<AllowedSigners, SignError> {
        let mut entries = Vec::new();
        for (i, raw) in text.lines().enumerate() {
            let line = i + 1;
            let err = |message: String| SignError::AllowedSigners {
                path: path.to_string(),
                line,
                message,
            };
            let trimmed = raw.trim();
            if trimmed.is_empty() || trimmed.starts_with('#') {
                continue;
            }
            let toks = tokens(trimmed);
            let Some(principals) = toks.first() else {
                continue;
            };
            let mut rest = &toks[1..];
            let mut entry_opts = Vec::new();
            if let Some(first) = rest.first() {
                if !KEY_TYPES.contains(&first.as_str()) {
                    entry_opts = options(first);
                    rest = &rest[1..];
                }
            }
            let (Some(kind), Some(b64)) = (rest.first(), rest.get(1)) else {
                return Err(err(
                    "expected `principals [options] keytype base64-key`".into()
                ));
            };
            let key = PublicKey::from_openssh(&format!("{kind} {b64}"))
                .map_err(|e| err(format!("the key does not parse: {e}")))?;
            let mut namespaces = None;
            let (mut valid_after, mut valid_before) = (None, None);
            for opt in entry_opts.iter().filter(|o| !o.is_empty()) {
                let (name, value) = match opt.split_once('=') {
                    Some((n, v)) => (
                        n.to_ascii_lowercase(),
                        Some(v.trim_matches('"').to_string()),
                    ),
                    None => (opt.to_ascii_lowercase(), None),
                };
                match (name.as_str(), value) {
                    ("cert-authority", _) => return Err(err(
                        "cert-authority entries are not supported; list the approvers' own keys"
                            .into(),
                    )),
                    ("namespaces", Some(v)) => {
                        namespaces = Some(v.split(',').map(|s| s.trim().to_string()).collect())
                    }
                    ("valid-after", Some(v)) => {
                        valid_after = Some(timestamp(&v).ok_or_else(|| {
                            err(format!("valid-after=\"{v}\" is not YYYYMMDD[HHMM[SS]]"))
                        })?)
                    }
                    ("valid-before", Some(v)) => {
                        valid_before = Some(timestamp(&v).ok_or_else(|| {
                            err(format!("valid-before=\"{v}\" is not YYYYMMDD[HHMM[SS]]"))
                        })?)
                    }
                    (other, _) => return Err(err(format!("unknown option '{other}'"))),
                }
            }
            entries.push(SignerEntry {
                principals: principals
                    .split(',')
                    .map(|p| p.trim().to_lowercase())
                    .collect(),
                namespaces,
                valid_after,
                valid_before,
                key,
                line,
            });
        }
        Ok(AllowedSigners { entries })
    }

    /// Entries for `key` that allow `namespace` at `now`.
    pub fn for_key<'a>(
        &'a self,
        key: &'a KeyData,
        namespace: &'a str,
        now: jiff::Timestamp,
    ) -> impl Iterator<Item = &'a SignerEntry> + 'a {
        self.entries.iter().filter(move |e| {
            e.key.key_data() == key
                && e.namespaces
                    .as_ref()
                    .is_none_or(|ns| ns.iter().any(|n| wildcard(n, namespace)))
                && e.valid_after.is_none_or(|t| now >= t)
                && e.valid_before.is_none_or(|t| now < t)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &str =
        "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAILfQm7Cq52tQsiIDmsINGKeONTsMo5fSzoR7oa6A34bK";

    #[test]
    fn parses_principals_options_and_comments() {
        let text = format!("# who may approve\nalice@x,*@ops.example namespaces=\"ferry,git\",valid-after=\"20260101\" {KEY} alice\n\nbob@x {KEY}\n");
        let a = AllowedSigners::parse(&text, "signers").unwrap_or_default();
        assert_eq!(a.entries.len(), 2);
        assert_eq!(a.entries[0].principals, vec!["alice@x", "*@ops.example"]);
        assert_eq!(
            a.entries[0].namespaces.as_deref(),
            Some(&["ferry".to_string(), "git".to_string()][..])
        );
        assert_eq!(
            a.entries[0].principals_for("carol@ops.example"),
            vec!["alice@x", "carol@ops.example"]
        );
        assert_eq!(a.entries[1].line, 4);
    }

    #[test]
    fn bad_lines_name_the_line() {
        let e = AllowedSigners::parse("alice@x ssh-ed25519 notbase64", "signers")
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(e.starts_with("signers:1:"), "{e}");
        let e = AllowedSigners::parse(&format!("\nalice@x cert-authority {KEY}"), "s")
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(e.starts_with("s:2:") && e.contains("cert-authority"), "{e}");
        let e = AllowedSigners::parse(&format!("alice@x valid-after=\"tomorrow\" {KEY}"), "s")
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(e.contains("valid-after"), "{e}");
    }

    #[test]
    fn wildcards() {
        assert!(wildcard("*@corp.example", "Lead@corp.example"));
        assert!(wildcard("a?c", "abc"));
        assert!(!wildcard("*@corp.example", "lead@evil.example"));
    }
}
