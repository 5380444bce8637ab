//! `[advisor]` in ferry.toml: where the optional model endpoint is. Without `url` ferry prints
//! the filled prompt for any assistant instead of calling one.
//!
//! ```toml
//! [advisor]
//! url = "https://llm.example.com/v1"  # OpenAI-compatible base URL (…/chat/completions is added)
//! model = "llama3.1"
//! api_key_env = "FERRY_ADVISOR_KEY"    # the variable holding the key; the key never goes in a file
//! timeout = "60s"
//! ca_file = "certs/llm-ca.pem"          # https only: trust these roots instead of the bundled ones
//! stream = true                        # ask for server-sent events
//! max_prompt_bytes = 65536
//! max_answer_bytes = 65536
//! ```
//!
//! `https://` is verified against Mozilla's roots (bundled, so no system store is read) or the
//! roots in `ca_file`. Plain `http://` carries an API key only to this machine (a key is a
//! credential, refused for any other host); a keyless `http://` endpoint elsewhere is allowed,
//! and the operation warns that the prompt crosses the network unencrypted.

use crate::error::AdvisorError;
use crate::fill::DEFAULT_MAX_PROMPT_BYTES;
use std::path::PathBuf;
use std::time::Duration;

pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(60);
pub const DEFAULT_MAX_ANSWER_BYTES: usize = 64 * 1024;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoint {
    /// The full chat-completions URL.
    pub url: String,
    pub model: String,
    pub api_key_env: Option<String>,
    pub timeout: Duration,
    pub stream: bool,
    /// PEM file of the root certificates an `https://` endpoint must chain to (relative paths
    /// are the front end's to resolve); `None`: the bundled Mozilla roots.
    pub ca_file: Option<PathBuf>,
}

impl Endpoint {
    /// Plain HTTP to a host other than this machine: the prompt travels unencrypted.
    pub fn is_plain_remote(&self) -> bool {
        self.url
            .strip_prefix("http://")
            .is_some_and(|rest| !is_loopback(host_name(rest)))
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AdvisorConfig {
    /// `None`: no endpoint; prompts are printed for a person to paste.
    pub endpoint: Option<Endpoint>,
    pub max_prompt_bytes: usize,
    pub max_answer_bytes: usize,
}

impl Default for AdvisorConfig {
    fn default() -> Self {
        AdvisorConfig {
            endpoint: None,
            max_prompt_bytes: DEFAULT_MAX_PROMPT_BYTES,
            max_answer_bytes: DEFAULT_MAX_ANSWER_BYTES,
        }
    }
}

const KEYS: &[&str] = &[
    "url",
    "model",
    "api_key_env",
    "timeout",
    "stream",
    "ca_file",
    "max_prompt_bytes",
    "max_answer_bytes",
];

fn string(table: &toml::Table, key: &str) -> Result<Option<String>, AdvisorError> {
    match table.get(key) {
        None => Ok(None),
        Some(toml::Value::String(s)) if !s.trim().is_empty() => Ok(Some(s.trim().to_string())),
        Some(_) => Err(AdvisorError::Config(format!(
            "`{key}` must be a non-empty string"
        ))),
    }
}

fn size(table: &toml::Table, key: &str, default: usize) -> Result<usize, AdvisorError> {
    match table.get(key) {
        None => Ok(default),
        Some(toml::Value::Integer(n)) if (1024..=16 * 1024 * 1024).contains(n) => Ok(*n as usize),
        Some(_) => Err(AdvisorError::Config(format!(
            "`{key}` must be a number of bytes between 1024 and 16777216"
        ))),
    }
}

/// `1500ms`, `30s`, `2m`: what a person waits for at most.
fn duration(text: &str) -> Option<Duration> {
    let text = text.trim();
    let split = text.find(|c: char| !c.is_ascii_digit())?;
    let (n, unit) = text.split_at(split);
    let n: u64 = n.parse().ok()?;
    match unit {
        "ms" => Some(Duration::from_millis(n)),
        "s" => Some(Duration::from_secs(n)),
        "m" => n.checked_mul(60).map(Duration::from_secs),
        _ => None,
    }
}

impl AdvisorConfig {
    /// Reads and checks the `[advisor]` table (unknown keys are refused, as everywhere in
    /// ferry.toml).
    pub fn from_table(table: &toml::Table) -> Result<AdvisorConfig, AdvisorError> {
        if let Some(k) = table.keys().find(|k| !KEYS.contains(&k.as_str())) {
            return Err(AdvisorError::Config(format!(
                "unknown key `{k}`; known: {}",
                KEYS.join(", ")
            )));
        }
        let max_prompt_bytes = size(table, "max_prompt_bytes", DEFAULT_MAX_PROMPT_BYTES)?;
        let max_answer_bytes = size(table, "max_answer_bytes", DEFAULT_MAX_ANSWER_BYTES)?;
        let url = string(table, "url")?;
        let model = string(table, "model")?;
        let api_key_env = string(table, "api_key_env")?;
        let ca_file = string(table, "ca_file")?.map(PathBuf::from);
        let timeout = match string(table, "timeout")? {
            None => DEFAULT_TIMEOUT,
            Some(t) => duration(&t)
                .filter(|d| *d >= Duration::from_millis(100) && *d <= Duration::from_secs(600))
                .ok_or_else(|| {
                    AdvisorError::Config(format!(
                        "`timeout = \"{t}\"`: give a duration such as \"30s\" or \"2m\" (100ms to 10m)"
                    ))
                })?,
        };
        let stream = match table.get("stream") {
            None => false,
            Some(toml::Value::Boolean(b)) => *b,
            Some(_) => {
                return Err(AdvisorError::Config(
                    "`stream` must be true or false".into(),
                ))
            }
        };
        let endpoint = match url {
            None => {
                if model.is_some() || api_key_env.is_some() || ca_file.is_some() {
                    return Err(AdvisorError::Config(
                        "`model`, `api_key_env` and `ca_file` need `url`, the endpoint's base URL"
                            .into(),
                    ));
                }
                None
            }
            Some(url) => {
                let model = model.ok_or_else(|| {
                    AdvisorError::Config("`url` is set but `model` is not".into())
                })?;
                if ca_file.is_some() && !url.starts_with("https://") {
                    return Err(AdvisorError::Config(
                        "`ca_file` is for an https:// `url`".into(),
                    ));
                }
                Some(Endpoint {
                    url: endpoint_url(&url, api_key_env.is_some())?,
                    model,
                    api_key_env,
                    timeout,
                    stream,
                    ca_file,
                })
            }
        };
        Ok(AdvisorConfig {
            endpoint,
            max_prompt_bytes,
            max_answer_bytes,
        })
    }
}

/// The host name of the part of a URL after its scheme (`[::1]` as `::1`).
fn host_name(rest: &str) -> &str {
    let host = rest.split(['/', '?', '#']).next().unwrap_or("");
    let host = host.rsplit('@').next().unwrap_or(host);
    if let Some(v6) = host.strip_prefix('[') {
        v6.split(']').next().unwrap_or("")
    } else {
        host.split(':').next().unwrap_or("")
    }
}

fn is_loopback(name: &str) -> bool {
    name.eq_ignore_ascii_case("localhost")
        || name
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

/// The chat-completions URL of a base URL: `https://` anywhere; plain `http://` with a key only
/// to this machine, so a credential never crosses a network unencrypted.
fn endpoint_url(url: &str, with_key: bool) -> Result<String, AdvisorError> {
    let (tls, rest) = match (url.strip_prefix("https://"), url.strip_prefix("http://")) {
        (Some(rest), _) => (true, rest),
        (None, Some(rest)) => (false, rest),
        _ => {
            return Err(AdvisorError::Config(format!(
                "`url = \"{url}\"` must start with https:// (or http:// for an endpoint on this machine)"
            )))
        }
    };
    let name = host_name(rest);
    if name.is_empty() {
        return Err(AdvisorError::Config(format!(
            "`url = \"{url}\"` has no host"
        )));
    }
    let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
    if authority.contains('@') {
        return Err(AdvisorError::Config(
            "`url` must not carry credentials; put the key in the variable named by `api_key_env`"
                .into(),
        ));
    }
    if with_key && !tls && !is_loopback(name) {
        return Err(AdvisorError::Config(format!(
            "`url = \"{url}\"`: an API key is sent over plain HTTP only to this machine (127.0.0.1, ::1, localhost); use https:// for a remote endpoint"
        )));
    }
    let base = url.trim_end_matches('/');
    Ok(if base.ends_with("/chat/completions") {
        base.to_string()
    } else {
        format!("{base}/chat/completions")
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table(text: &str) -> toml::Table {
        toml::from_str(text).unwrap_or_default()
    }

    #[test]
    fn a_full_table_is_read_and_the_path_added() {
        let c = AdvisorConfig::from_table(&table(
            "url = \"http://127.0.0.1:8080/v1/\"\nmodel = \"m\"\napi_key_env = \"K\"\ntimeout = \"5s\"\nstream = true",
        ));
        let e = c.ok().and_then(|c| c.endpoint);
        assert_eq!(
            e,
            Some(Endpoint {
                url: "http://127.0.0.1:8080/v1/chat/completions".into(),
                model: "m".into(),
                api_key_env: Some("K".into()),
                timeout: Duration::from_secs(5),
                stream: true,
                ca_file: None,
            })
        );
    }

    #[test]
    fn https_is_accepted_with_a_key_and_a_ca_file() {
        let c = AdvisorConfig::from_table(&table(
            "url = \"https://llm.example.com/v1\"\nmodel = \"m\"\napi_key_env = \"K\"\nca_file = \"ca.pem\"",
        ));
        let e = c.ok().and_then(|c| c.endpoint);
        assert_eq!(
            e.as_ref()
                .map(|e| (e.url.as_str(), e.ca_file.clone(), e.is_plain_remote())),
            Some((
                "https://llm.example.com/v1/chat/completions",
                Some(PathBuf::from("ca.pem")),
                false
            ))
        );
    }

    #[test]
    fn keyless_plain_http_elsewhere_is_allowed_but_known_to_be_plain() {
        let plain = |url: &str| {
            AdvisorConfig::from_table(&table(&format!("url = \"{url}\"\nmodel = \"m\"")))
                .ok()
                .and_then(|c| c.endpoint)
                .map(|e| e.is_plain_remote())
        };
        assert_eq!(plain("http://gpu-box.lan:11434/v1"), Some(true));
        assert_eq!(plain("http://127.0.0.1:11434/v1"), Some(false));
        assert_eq!(plain("http://[::1]:11434/v1"), Some(false));
        assert_eq!(plain("http://LOCALHOST/v1"), Some(false));
        assert_eq!(plain("https://gpu-box.lan/v1"), Some(false));
    }

    #[test]
    fn bad_tables_say_what_to_fix() {
        for (text, want) in [
            ("urll = \"x\"", "unknown key `urll`"),
            ("url = \"http://127.0.0.1\"", "`model` is not"),
            (
                "url = \"ftp://api.example/v1\"\nmodel = \"m\"",
                "must start with https://",
            ),
            (
                "url = \"http://127.0.0.1/v1\"\nmodel = \"m\"\nca_file = \"x.pem\"",
                "`ca_file` is for an https://",
            ),
            (
                "url = \"https://u:p@api.example/v1\"\nmodel = \"m\"",
                "must not carry credentials",
            ),
            (
                "url = \"http://api.example/v1\"\nmodel = \"m\"\napi_key_env = \"K\"",
                "only to this machine",
            ),
            (
                "url = \"http://127.0.0.1\"\nmodel = \"m\"\ntimeout = \"soon\"",
                "duration",
            ),
            ("model = \"m\"", "need `url`"),
        ] {
            let err = AdvisorConfig::from_table(&table(text))
                .err()
                .map(|e| e.to_string())
                .unwrap_or_default();
            assert!(err.contains(want), "{text}: {err}");
        }
    }
}
