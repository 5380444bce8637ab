//! A loopback HTTP server that speaks just enough of the OpenAI chat-completions protocol for
//! the advisor's tests: each connection gets the next scripted [`Reply`] (a plain JSON answer,
//! a server-sent event stream, an error status, or raw bytes cut off mid-answer), and every
//! request is recorded (path, headers, body) so a test can assert exactly what ferry sent.
//! [`ChatServer::start_tls`] serves the same over TLS with a certificate for 127.0.0.1, ::1 and
//! localhost issued by a test CA ([`test_ca_path`]; never trusted outside these tests).

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

const SERVER_CERT: &str = include_str!("../certs/server.pem");
const SERVER_KEY: &str = include_str!("../certs/server.key");

/// The PEM file of the CA that issued [`ChatServer::start_tls`]'s certificate, for
/// `[advisor] ca_file`.
pub fn test_ca_path() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("certs/ca.pem")
}

fn tls_config() -> std::io::Result<Arc<rustls::ServerConfig>> {
    use rustls::pki_types::pem::PemObject;
    use rustls::pki_types::{CertificateDer, PrivateKeyDer};
    let certs = CertificateDer::pem_slice_iter(SERVER_CERT.as_bytes())
        .collect::<Result<Vec<_>, _>>()
        .map_err(std::io::Error::other)?;
    let key =
        PrivateKeyDer::from_pem_slice(SERVER_KEY.as_bytes()).map_err(std::io::Error::other)?;
    let config = rustls::ServerConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .map_err(std::io::Error::other)?
    .with_no_client_auth()
    .with_single_cert(certs, key)
    .map_err(std::io::Error::other)?;
    Ok(Arc::new(config))
}

#[derive(Debug, Clone)]
pub enum Reply {
    /// 200 with this JSON body.
    Json(serde_json::Value),
    /// 200 `text/event-stream` with one `data:` event per item, then `data: [DONE]` when `done`.
    Stream { events: Vec<String>, done: bool },
    /// Any status with extra headers and a body.
    Status {
        status: u16,
        headers: Vec<(String, String)>,
        body: String,
    },
    /// These bytes as they are, then the connection is closed.
    Raw(Vec<u8>),
}

impl Reply {
    /// A complete plain answer.
    pub fn answer(model: &str, text: &str) -> Reply {
        Reply::Json(serde_json::json!({
            "id": "chatcmpl-test",
            "object": "chat.completion",
            "model": model,
            "choices": [{"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": "stop"}],
        }))
    }

    /// A complete streamed answer: `pieces` as deltas, a finish_reason, `[DONE]`.
    pub fn streamed(model: &str, pieces: &[&str]) -> Reply {
        let mut events: Vec<String> = pieces
            .iter()
            .map(|p| {
                serde_json::json!({"model": model, "choices": [{"index": 0, "delta": {"content": p}, "finish_reason": null}]})
                    .to_string()
            })
            .collect();
        events.push(
            serde_json::json!({"model": model, "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]})
                .to_string(),
        );
        Reply::Stream { events, done: true }
    }
}

/// One request as the server received it.
#[derive(Debug, Clone)]
pub struct Recorded {
    pub method: String,
    pub path: String,
    /// Header names lowercased.
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl Recorded {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).unwrap_or(serde_json::Value::Null)
    }
}

pub struct ChatServer {
    /// The base URL to put in `[advisor] url` (`http://127.0.0.1:PORT/v1`).
    pub url: String,
    requests: Arc<Mutex<Vec<Recorded>>>,
}

impl ChatServer {
    /// Serves `replies` in order, one per connection; further connections get a 500.
    pub fn start(replies: Vec<Reply>) -> std::io::Result<ChatServer> {
        ChatServer::listen(replies, None)
    }

    /// The same over TLS: the base URL is `https://127.0.0.1:PORT/v1`. A client that does not
    /// trust [`test_ca_path`] fails the handshake, and no request is recorded.
    pub fn start_tls(replies: Vec<Reply>) -> std::io::Result<ChatServer> {
        ChatServer::listen(replies, Some(tls_config()?))
    }

    fn listen(
        replies: Vec<Reply>,
        tls: Option<Arc<rustls::ServerConfig>>,
    ) -> std::io::Result<ChatServer> {
        let listener = TcpListener::bind("127.0.0.1:0")?;
        let scheme = if tls.is_some() { "https" } else { "http" };
        let url = format!("{scheme}://{}/v1", listener.local_addr()?);
        let requests = Arc::new(Mutex::new(Vec::new()));
        let seen = requests.clone();
        std::thread::spawn(move || {
            let mut replies = replies.into_iter();
            for stream in listener.incoming() {
                let Ok(stream) = stream else { continue };
                // A reply is used up only by a request that arrived: a refused TLS handshake
                // takes none.
                let mut next = || {
                    replies.next().unwrap_or(Reply::Status {
                        status: 500,
                        headers: vec![],
                        body: "no more scripted replies".into(),
                    })
                };
                // Recorded before the reply goes out: a client holding its answer must find its
                // request in `requests()` (recording after the write raced the test's assertion).
                let mut record = |r: Recorded| {
                    if let Ok(mut all) = seen.lock() {
                        all.push(r);
                    }
                };
                match &tls {
                    None => {
                        serve(stream, &mut next, &mut record);
                    }
                    Some(config) => {
                        if let Ok(conn) = rustls::ServerConnection::new(config.clone()) {
                            let mut tls = rustls::StreamOwned::new(conn, stream);
                            serve(&mut tls, &mut next, &mut record);
                            tls.conn.send_close_notify();
                            let _ = tls.flush();
                        }
                    }
                }
            }
        });
        Ok(ChatServer { url, requests })
    }

    /// Every request received so far, in order.
    pub fn requests(&self) -> Vec<Recorded> {
        self.requests.lock().map(|r| r.clone()).unwrap_or_default()
    }
}

fn serve<S: Read + Write>(
    mut stream: S,
    next: &mut dyn FnMut() -> Reply,
    record: &mut dyn FnMut(Recorded),
) -> Option<()> {
    let mut reader = BufReader::new(&mut stream);
    let mut line = String::new();
    reader.read_line(&mut line).ok()?;
    let mut parts = line.split_whitespace();
    let method = parts.next()?.to_string();
    let path = parts.next()?.to_string();
    let mut headers = Vec::new();
    loop {
        let mut h = String::new();
        reader.read_line(&mut h).ok()?;
        let h = h.trim_end();
        if h.is_empty() {
            break;
        }
        if let Some((n, v)) = h.split_once(':') {
            headers.push((n.trim().to_ascii_lowercase(), v.trim().to_string()));
        }
    }
    let length: usize = headers
        .iter()
        .find(|(n, _)| n == "content-length")
        .and_then(|(_, v)| v.parse().ok())
        .unwrap_or(0);
    let mut body = vec![0; length];
    reader.read_exact(&mut body).ok()?;
    let recorded = Recorded {
        method,
        path,
        headers,
        body: String::from_utf8_lossy(&body).to_string(),
    };
    drop(reader);
    record(recorded);
    let out = &mut stream;
    let _ = match next() {
        Reply::Json(v) => respond(out, 200, &[], "application/json", &v.to_string()),
        Reply::Stream { events, done } => {
            let mut body: String = events.iter().map(|e| format!("data: {e}\n\n")).collect();
            if done {
                body.push_str("data: [DONE]\n\n");
            }
            respond(out, 200, &[], "text/event-stream", &body)
        }
        Reply::Status {
            status,
            headers,
            body,
        } => respond(out, status, &headers, "application/json", &body),
        Reply::Raw(bytes) => out.write_all(&bytes),
    };
    let _ = out.flush();
    Some(())
}

fn respond(
    out: &mut impl Write,
    status: u16,
    headers: &[(String, String)],
    content_type: &str,
    body: &str,
) -> std::io::Result<()> {
    let mut head = format!(
        "HTTP/1.1 {status} X\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\nConnection: close\r\n",
        body.len()
    );
    for (n, v) in headers {
        head.push_str(&format!("{n}: {v}\r\n"));
    }
    head.push_str("\r\n");
    out.write_all(head.as_bytes())?;
    out.write_all(body.as_bytes())
}
