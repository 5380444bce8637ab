//! An OpenAI-compatible chat-completions client (plain HTTP, or TLS through rustls with ring and
//! Mozilla's bundled roots or `[advisor] ca_file`): one POST with the system and user messages,
//! the answer read whole (`stream = false`) or as server-sent events (`stream = true`), bounded
//! in size and time. A 429 is retried when the server says how long to wait and the wait fits
//! the time budget; anything else that goes wrong is a typed error, and a partial answer is
//! never returned as if it were complete. The answer is stripped of escape sequences before it
//! is handed back: it is untrusted text.

use crate::config::Endpoint;
use crate::error::AdvisorError;
use crate::redact::Redactor;
use crate::sanitize::untrusted_text;
use serde_json::{json, Value};
use std::io::{BufRead, BufReader, ErrorKind, Read};
use std::time::{Duration, Instant};
use ureq::tls::{RootCerts, TlsConfig};

/// What the model is told about its role, whatever the template says.
pub const SYSTEM_MESSAGE: &str = "You are an infrastructure reviewer advising a person. You cannot approve, reject, unblock or acknowledge anything: a person decides in ferry, and your answer is shown to them as untrusted advice. Be specific and brief; say when you lack information.";

/// Attempts for one request when the server rate-limits (the first one included).
const MAX_ATTEMPTS: u32 = 3;
/// The longest Retry-After ferry honours; a longer one fails at once with its value.
const MAX_RETRY_WAIT: Duration = Duration::from_secs(30);
/// How much of an error body is shown.
const EXCERPT: usize = 200;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Answer {
    /// The model's text, escape sequences and control characters removed.
    pub text: String,
    /// The model the server says answered, else the configured one.
    pub model: String,
    pub finish_reason: Option<String>,
    pub attempts: u32,
}

#[derive(Debug, Clone)]
pub struct Client {
    endpoint: Endpoint,
    api_key: Option<String>,
    max_answer_bytes: usize,
    redactor: Redactor,
}

/// The request body ferry sends, exactly: model, the two messages, stream.
pub fn request_body(model: &str, prompt: &str, stream: bool) -> Value {
    json!({
        "model": model,
        "messages": [
            {"role": "system", "content": SYSTEM_MESSAGE},
            {"role": "user", "content": prompt},
        ],
        "stream": stream,
    })
}

impl Client {
    /// `api_key` is the value of the variable `[advisor] api_key_env` names, read by the front
    /// end; it is sent as a bearer token and scrubbed from any error text.
    pub fn new(endpoint: Endpoint, api_key: Option<String>, max_answer_bytes: usize) -> Client {
        let redactor = Redactor::new().secrets(api_key.clone());
        Client {
            endpoint,
            api_key,
            max_answer_bytes,
            redactor,
        }
    }

    pub fn endpoint(&self) -> &Endpoint {
        &self.endpoint
    }

    pub fn complete(&self, prompt: &str) -> Result<Answer, AdvisorError> {
        let url = self.endpoint.url.clone();
        let started = Instant::now();
        let body = request_body(&self.endpoint.model, prompt, self.endpoint.stream).to_string();
        let tls = self.tls_config()?;
        let mut attempts = 0;
        loop {
            attempts += 1;
            let left = self
                .endpoint
                .timeout
                .checked_sub(started.elapsed())
                .filter(|d| !d.is_zero())
                .ok_or_else(|| AdvisorError::Timeout {
                    url: url.clone(),
                    after: self.endpoint.timeout,
                })?;
            let agent: ureq::Agent = ureq::Agent::config_builder()
                .tls_config(tls.clone())
                .timeout_global(Some(left))
                .http_status_as_error(false)
                .max_redirects(0)
                .proxy(None)
                .build()
                .into();
            let mut request = agent
                .post(&url)
                .header("Content-Type", "application/json")
                .header(
                    "Accept",
                    if self.endpoint.stream {
                        "text/event-stream"
                    } else {
                        "application/json"
                    },
                );
            if let Some(key) = &self.api_key {
                request = request.header("Authorization", format!("Bearer {key}"));
            }
            let response = request
                .send(body.as_bytes())
                .map_err(|e| self.transport(&e, &url))?;
            let status = response.status().as_u16();
            match status {
                200..=299 => {}
                401 | 403 => return Err(AdvisorError::Unauthorized { url, status }),
                429 => {
                    let wait = retry_after(response.headers().get("retry-after"));
                    let fits = wait.is_some_and(|w| {
                        w <= MAX_RETRY_WAIT && started.elapsed() + w < self.endpoint.timeout
                    });
                    if attempts >= MAX_ATTEMPTS || !fits {
                        return Err(AdvisorError::RateLimited {
                            url,
                            attempts,
                            retry_after: wait,
                        });
                    }
                    std::thread::sleep(wait.unwrap_or_default());
                    continue;
                }
                _ => {
                    let mut text = String::new();
                    let _ = response
                        .into_body()
                        .into_reader()
                        .take(4096)
                        .read_to_string(&mut text);
                    let excerpt: String = self
                        .redactor
                        .redact(&untrusted_text(&text))
                        .chars()
                        .take(EXCERPT)
                        .collect();
                    return Err(AdvisorError::Status {
                        url,
                        status,
                        excerpt: excerpt.trim().to_string(),
                    });
                }
            }
            let event_stream = response
                .headers()
                .get("content-type")
                .and_then(|v| v.to_str().ok())
                .is_some_and(|v| v.starts_with("text/event-stream"));
            let reader = response.into_body().into_reader();
            let mut answer = if event_stream {
                self.read_stream(reader, &url)?
            } else {
                self.read_whole(reader, &url)?
            };
            answer.attempts = attempts;
            return Ok(answer);
        }
    }

    /// Mozilla's roots (bundled), or exactly the roots of `[advisor] ca_file`.
    fn tls_config(&self) -> Result<TlsConfig, AdvisorError> {
        let Some(path) = &self.endpoint.ca_file else {
            return Ok(TlsConfig::builder().root_certs(RootCerts::WebPki).build());
        };
        let unreadable = |message: String| AdvisorError::Read {
            path: path.display().to_string(),
            message,
        };
        let pem = std::fs::read(path).map_err(|e| unreadable(e.to_string()))?;
        let mut roots = Vec::new();
        for item in ureq::tls::parse_pem(&pem) {
            match item {
                Ok(ureq::tls::PemItem::Certificate(c)) => roots.push(c),
                Ok(_) => {}
                Err(e) => return Err(unreadable(format!("not PEM ({e})"))),
            }
        }
        if roots.is_empty() {
            return Err(unreadable(
                "no certificate in it ([advisor] ca_file is a PEM file of root certificates)"
                    .into(),
            ));
        }
        Ok(TlsConfig::builder()
            .root_certs(RootCerts::new_with_certs(&roots))
            .build())
    }

    fn transport(&self, e: &ureq::Error, url: &str) -> AdvisorError {
        let url = url.to_string();
        let reason = match e {
            ureq::Error::Timeout(_) => {
                return AdvisorError::Timeout {
                    url,
                    after: self.endpoint.timeout,
                }
            }
            ureq::Error::Io(io)
                if matches!(io.kind(), ErrorKind::TimedOut | ErrorKind::WouldBlock) =>
            {
                return AdvisorError::Timeout {
                    url,
                    after: self.endpoint.timeout,
                }
            }
            ureq::Error::Io(io) if io.kind() == ErrorKind::ConnectionRefused => {
                "connection refused".to_string()
            }
            ureq::Error::HostNotFound => "host not found".to_string(),
            ureq::Error::ConnectionFailed => "connection failed".to_string(),
            other => other.to_string(),
        };
        AdvisorError::Unreachable {
            url,
            reason: self.redactor.redact(&reason),
        }
    }

    fn read_error(&self, e: std::io::Error, url: &str, received: usize) -> AdvisorError {
        if matches!(e.kind(), ErrorKind::TimedOut | ErrorKind::WouldBlock) {
            AdvisorError::Timeout {
                url: url.to_string(),
                after: self.endpoint.timeout,
            }
        } else {
            AdvisorError::CutOff {
                url: url.to_string(),
                received,
            }
        }
    }

    fn read_whole(&self, reader: impl Read, url: &str) -> Result<Answer, AdvisorError> {
        // JSON escaping can grow text up to six times (\uXXXX); beyond that it is too large.
        let limit = (self.max_answer_bytes * 6 + 16 * 1024) as u64;
        let mut bytes = Vec::new();
        reader
            .take(limit + 1)
            .read_to_end(&mut bytes)
            .map_err(|e| self.read_error(e, url, 0))?;
        if bytes.len() as u64 > limit {
            return Err(AdvisorError::AnswerTooLarge {
                limit: self.max_answer_bytes,
            });
        }
        let malformed = |message: String| AdvisorError::Malformed {
            url: url.to_string(),
            message,
        };
        let v: Value =
            serde_json::from_slice(&bytes).map_err(|e| malformed(format!("not JSON ({e})")))?;
        let choice = v
            .get("choices")
            .and_then(|c| c.get(0))
            .ok_or_else(|| malformed("no `choices[0]` in the response".into()))?;
        let text = choice
            .get("message")
            .and_then(|m| m.get("content"))
            .and_then(Value::as_str)
            .ok_or_else(|| malformed("no `choices[0].message.content` string".into()))?;
        let finish = choice
            .get("finish_reason")
            .and_then(Value::as_str)
            .map(str::to_string);
        self.finish(text.to_string(), model_of(&v), finish, url)
    }

    fn read_stream(&self, reader: impl Read, url: &str) -> Result<Answer, AdvisorError> {
        let line_limit = (self.max_answer_bytes * 6 + 16 * 1024) as u64;
        let mut reader = BufReader::new(reader);
        let mut text = String::new();
        let mut model = None;
        let mut finish: Option<String> = None;
        let mut done = false;
        let mut line = Vec::new();
        loop {
            line.clear();
            let n = (&mut reader)
                .take(line_limit)
                .read_until(b'\n', &mut line)
                .map_err(|e| self.read_error(e, url, text.len()))?;
            if n == 0 {
                break;
            }
            if n as u64 >= line_limit && !line.ends_with(b"\n") {
                return Err(AdvisorError::AnswerTooLarge {
                    limit: self.max_answer_bytes,
                });
            }
            let line = String::from_utf8_lossy(&line);
            let line = line.trim_end_matches(['\r', '\n']);
            let Some(data) = line.strip_prefix("data:") else {
                continue; // comments (`:`), `event:`, `id:`, blank separators
            };
            let data = data.trim_start();
            if data == "[DONE]" {
                done = true;
                break;
            }
            let v: Value = serde_json::from_str(data).map_err(|e| AdvisorError::Malformed {
                url: url.to_string(),
                message: format!("a stream event is not JSON ({e})"),
            })?;
            if let Some(err) = v.get("error") {
                let message = err
                    .get("message")
                    .and_then(Value::as_str)
                    .unwrap_or("an error event");
                return Err(AdvisorError::Status {
                    url: url.to_string(),
                    status: 200,
                    excerpt: self
                        .redactor
                        .redact(&untrusted_text(message))
                        .chars()
                        .take(EXCERPT)
                        .collect(),
                });
            }
            if model.is_none() {
                model = model_of(&v);
            }
            let choice = v.get("choices").and_then(|c| c.get(0));
            if let Some(piece) = choice
                .and_then(|c| c.get("delta"))
                .and_then(|d| d.get("content"))
                .and_then(Value::as_str)
            {
                text.push_str(piece);
                if text.len() > self.max_answer_bytes {
                    return Err(AdvisorError::AnswerTooLarge {
                        limit: self.max_answer_bytes,
                    });
                }
            }
            if let Some(reason) = choice
                .and_then(|c| c.get("finish_reason"))
                .and_then(Value::as_str)
            {
                finish = Some(reason.to_string());
            }
        }
        if !done && finish.is_none() {
            return Err(AdvisorError::CutOff {
                url: url.to_string(),
                received: text.len(),
            });
        }
        self.finish(text, model, finish, url)
    }

    fn finish(
        &self,
        text: String,
        model: Option<String>,
        finish: Option<String>,
        url: &str,
    ) -> Result<Answer, AdvisorError> {
        if let Some(reason) = finish.as_deref() {
            if reason != "stop" && reason != "end_turn" {
                return Err(AdvisorError::Incomplete {
                    reason: untrusted_text(reason),
                });
            }
        }
        if text.len() > self.max_answer_bytes {
            return Err(AdvisorError::AnswerTooLarge {
                limit: self.max_answer_bytes,
            });
        }
        let text = untrusted_text(&text).trim().to_string();
        if text.is_empty() {
            return Err(AdvisorError::Empty {
                url: url.to_string(),
            });
        }
        Ok(Answer {
            text,
            model: model
                .map(|m| untrusted_text(&m))
                .filter(|m| !m.trim().is_empty())
                .unwrap_or_else(|| self.endpoint.model.clone()),
            finish_reason: finish,
            attempts: 1,
        })
    }
}

fn model_of(v: &Value) -> Option<String> {
    v.get("model").and_then(Value::as_str).map(str::to_string)
}

/// `Retry-After: <seconds>`; an HTTP date (or garbage) counts as not given.
fn retry_after(value: Option<&ureq::http::HeaderValue>) -> Option<Duration> {
    value
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok())
        .map(Duration::from_secs)
}
