//! The chat-completions client against `ferry_testkit::chat::ChatServer` on loopback.

use ferry_advisor::client::{request_body, SYSTEM_MESSAGE};
use ferry_advisor::{AdvisorError, Client, Endpoint};
use ferry_testkit::chat::{ChatServer, Reply};
use std::time::{Duration, Instant};

const KEY: &str = "sk-test-PLANTEDKEY0123456789";

fn client(server: &ChatServer, stream: bool) -> Client {
    client_with(server, stream, 4096, Duration::from_secs(10))
}

fn client_with(server: &ChatServer, stream: bool, max: usize, timeout: Duration) -> Client {
    Client::new(
        Endpoint {
            url: format!("{}/chat/completions", server.url),
            model: "test-model".into(),
            api_key_env: Some("K".into()),
            timeout,
            stream,
            ca_file: None,
        },
        Some(KEY.into()),
        max,
    )
}

#[test]
fn a_plain_answer_is_returned_and_the_request_is_exactly_model_messages_stream() {
    let server = ChatServer::start(vec![Reply::answer("served-model", "Looks fine.\n")]).unwrap();
    let answer = client(&server, false).complete("the prompt").unwrap();
    assert_eq!(answer.text, "Looks fine.");
    assert_eq!(answer.model, "served-model");
    assert_eq!(answer.attempts, 1);
    let reqs = server.requests();
    assert_eq!(reqs.len(), 1);
    assert_eq!(reqs[0].method, "POST");
    assert_eq!(reqs[0].path, "/v1/chat/completions");
    assert_eq!(
        reqs[0].header("authorization"),
        Some(format!("Bearer {KEY}").as_str())
    );
    assert_eq!(
        reqs[0].json(),
        serde_json::json!({
            "model": "test-model",
            "messages": [
                {"role": "system", "content": SYSTEM_MESSAGE},
                {"role": "user", "content": "the prompt"},
            ],
            "stream": false,
        })
    );
    assert_eq!(
        reqs[0].json(),
        request_body("test-model", "the prompt", false)
    );
    assert!(
        !reqs[0].body.contains(KEY),
        "the key is a header, never the body"
    );
}

#[test]
fn a_streamed_answer_is_assembled_and_stripped_of_escape_sequences() {
    let server = ChatServer::start(vec![Reply::streamed(
        "m",
        &[
            "\u{1b}[2J\u{1b}[31mAPPROVED",
            "\u{1b}[0m: ",
            "ship it\u{1b}]0;title\u{7}",
        ],
    )])
    .unwrap();
    let answer = client(&server, true).complete("p").unwrap();
    assert_eq!(answer.text, "APPROVED: ship it");
    assert_eq!(answer.finish_reason.as_deref(), Some("stop"));
    assert_eq!(server.requests()[0].json()["stream"], true);
    assert_eq!(
        server.requests()[0].header("accept"),
        Some("text/event-stream")
    );
}

#[test]
fn unauthorized_is_a_clear_error_without_the_key() {
    let server = ChatServer::start(vec![Reply::Status {
        status: 401,
        headers: vec![],
        body: format!("{{\"error\":\"bad key {KEY}\"}}"),
    }])
    .unwrap();
    let err = client(&server, false).complete("p").unwrap_err();
    assert!(
        matches!(err, AdvisorError::Unauthorized { status: 401, .. }),
        "{err:?}"
    );
    let text = err.to_string();
    assert!(
        text.contains("api_key_env") && !text.contains(KEY),
        "{text}"
    );
}

#[test]
fn rate_limiting_honours_retry_after_then_succeeds() {
    let limited = || Reply::Status {
        status: 429,
        headers: vec![("Retry-After".into(), "1".into())],
        body: "{}".into(),
    };
    let server = ChatServer::start(vec![limited(), Reply::answer("m", "ok")]).unwrap();
    let started = Instant::now();
    let answer = client(&server, false).complete("p").unwrap();
    assert_eq!(answer.text, "ok");
    assert_eq!(answer.attempts, 2);
    assert!(
        started.elapsed() >= Duration::from_secs(1),
        "waited as asked"
    );
    assert_eq!(server.requests().len(), 2);
}

#[test]
fn rate_limiting_gives_up_after_bounded_attempts_or_a_long_wait() {
    let limited = |after: &str| Reply::Status {
        status: 429,
        headers: vec![("Retry-After".into(), after.into())],
        body: "{}".into(),
    };
    let server =
        ChatServer::start(vec![limited("0"), limited("0"), limited("0"), limited("0")]).unwrap();
    let err = client(&server, false).complete("p").unwrap_err();
    assert!(
        matches!(err, AdvisorError::RateLimited { attempts: 3, .. }),
        "{err:?}"
    );
    assert_eq!(server.requests().len(), 3, "three attempts, no more");

    let server = ChatServer::start(vec![limited("3600")]).unwrap();
    let started = Instant::now();
    let err = client(&server, false).complete("p").unwrap_err();
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "an hour is not waited for"
    );
    assert!(err.to_string().contains("asked to wait 3600s"), "{err}");
}

#[test]
fn malformed_oversize_cut_off_and_incomplete_answers_are_errors() {
    let cases: Vec<(Reply, bool, &str)> = vec![
        (Reply::Status { status: 200, headers: vec![], body: "{not json".into() }, false, "malformed"),
        (Reply::Json(serde_json::json!({"choices": []})), false, "malformed"),
        (Reply::answer("m", &"x".repeat(5000)), false, "over 4096 bytes"),
        (Reply::streamed("m", &[&"y".repeat(3000), &"y".repeat(3000)]), true, "over 4096 bytes"),
        (
            Reply::Raw(
                b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nConnection: close\r\n\r\ndata: {\"choices\":[{\"delta\":{\"content\":\"partial\"}}]}\n\n"
                    .to_vec(),
            ),
            true,
            "cut off after 7 bytes",
        ),
        (
            Reply::Json(serde_json::json!({"choices": [{"message": {"content": "half"}, "finish_reason": "length"}]})),
            false,
            "finish_reason \"length\"",
        ),
        (Reply::Stream { events: vec!["{oops".into()], done: true }, true, "not JSON"),
        (Reply::Status { status: 503, headers: vec![], body: "\u{1b}[31mdown".into() }, false, "HTTP 503: down"),
    ];
    for (reply, stream, want) in cases {
        let server = ChatServer::start(vec![reply]).unwrap();
        let err = client(&server, stream).complete("p").unwrap_err();
        assert!(err.to_string().contains(want), "want {want:?}, got {err}");
        assert!(err.is_endpoint_fault());
    }
}

#[test]
fn an_unreachable_or_silent_endpoint_is_a_clear_error() {
    // A port that was free a moment ago: nothing listens there.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let c = Client::new(
        Endpoint {
            url: format!("http://127.0.0.1:{port}/v1/chat/completions"),
            model: "m".into(),
            api_key_env: None,
            timeout: Duration::from_secs(5),
            stream: false,
            ca_file: None,
        },
        None,
        4096,
    );
    let err = c.complete("p").unwrap_err();
    assert!(matches!(err, AdvisorError::Unreachable { .. }), "{err:?}");
    assert!(
        err.to_string().contains("carried on without advice"),
        "{err}"
    );

    // Accepts, never answers.
    let silent = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/v1", silent.local_addr().unwrap());
    let hold = std::thread::spawn(move || {
        let conn = silent.accept();
        std::thread::sleep(Duration::from_secs(3));
        drop(conn);
    });
    let c = Client::new(
        Endpoint {
            url: format!("{url}/chat/completions"),
            model: "m".into(),
            api_key_env: None,
            timeout: Duration::from_millis(500),
            stream: false,
            ca_file: None,
        },
        None,
        4096,
    );
    let started = Instant::now();
    let err = c.complete("p").unwrap_err();
    assert!(matches!(err, AdvisorError::Timeout { .. }), "{err:?}");
    assert!(started.elapsed() < Duration::from_secs(3));
    hold.join().unwrap();
}

fn tls_client(server: &ChatServer, ca_file: Option<std::path::PathBuf>) -> Client {
    Client::new(
        Endpoint {
            url: format!("{}/chat/completions", server.url),
            model: "test-model".into(),
            api_key_env: Some("K".into()),
            timeout: Duration::from_secs(10),
            stream: true,
            ca_file,
        },
        Some(KEY.into()),
        4096,
    )
}

#[test]
fn an_https_endpoint_whose_certificate_chains_to_ca_file_is_asked_over_tls() {
    let server =
        ChatServer::start_tls(vec![Reply::streamed("tls-model", &["Over ", "TLS."])]).unwrap();
    assert!(
        server.url.starts_with("https://127.0.0.1:"),
        "{}",
        server.url
    );
    let answer = tls_client(&server, Some(ferry_testkit::chat::test_ca_path()))
        .complete("the prompt")
        .unwrap();
    assert_eq!(answer.text, "Over TLS.");
    assert_eq!(answer.model, "tls-model");
    let reqs = server.requests();
    assert_eq!(reqs.len(), 1);
    assert_eq!(reqs[0].path, "/v1/chat/completions");
    assert_eq!(
        reqs[0].header("authorization"),
        Some(format!("Bearer {KEY}").as_str())
    );
    assert_eq!(
        reqs[0].json(),
        request_body("test-model", "the prompt", true)
    );
}

#[test]
fn an_https_endpoint_with_an_unknown_issuer_is_unreachable_and_nothing_is_sent() {
    // Without ca_file only Mozilla's roots are trusted; the test CA is not one of them.
    let server = ChatServer::start_tls(vec![Reply::answer("m", "never read")]).unwrap();
    let err = tls_client(&server, None).complete("p").unwrap_err();
    assert!(matches!(err, AdvisorError::Unreachable { .. }), "{err:?}");
    let text = err.to_string();
    assert!(
        text.contains("carried on without advice") && text.to_lowercase().contains("certificate"),
        "{text}"
    );
    assert!(!text.contains(KEY));
    assert!(server.requests().is_empty());
}

#[test]
fn a_ca_file_that_is_missing_or_not_pem_is_named() {
    let server = ChatServer::start_tls(vec![]).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("missing.pem");
    let err = tls_client(&server, Some(missing.clone()))
        .complete("p")
        .unwrap_err();
    assert!(
        matches!(&err, AdvisorError::Read { path, .. } if *path == missing.display().to_string()),
        "{err:?}"
    );
    assert!(!err.is_endpoint_fault());
    let empty = dir.path().join("empty.pem");
    std::fs::write(&empty, "not a certificate\n").unwrap();
    let err = tls_client(&server, Some(empty)).complete("p").unwrap_err();
    assert!(err.to_string().contains("no certificate in it"), "{err}");
    assert!(server.requests().is_empty());
}

#[test]
fn an_https_endpoint_that_is_down_is_unreachable() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let c = Client::new(
        Endpoint {
            url: format!("https://127.0.0.1:{port}/v1/chat/completions"),
            model: "m".into(),
            api_key_env: None,
            timeout: Duration::from_secs(5),
            stream: false,
            ca_file: None,
        },
        None,
        4096,
    );
    let err = c.complete("p").unwrap_err();
    assert!(matches!(err, AdvisorError::Unreachable { .. }), "{err:?}");
    assert!(err.to_string().contains("connection refused"), "{err}");
}
