//! `ferry advise` end to end on the pinned Terraform, against a loopback chat-completions
//! server: the prompt printed without an endpoint is byte for byte what is sent with one, no
//! planted secret reaches the endpoint, the stored advice is shown labelled as untrusted, a
//! model answering "APPROVED" opens no gate, and a failing endpoint stores nothing and blocks
//! nothing.

use crate::common::{self, Project};
use ferry_testkit::chat::{ChatServer, Reply};

const LEAD: &str = "lead@example.com";
const KEY: &str = "sk-ferry-PLANTEDKEY-0123456789abcdef";
const KEY_VAR: &str = "FERRY_TEST_ADVISOR_KEY";

fn advisor(p: &Project, url: &str, stream: bool) {
    let path = p.root().join("ferry.toml");
    let text = std::fs::read_to_string(&path).unwrap();
    let base = text.split("\n[advisor]").next().unwrap().to_string();
    std::fs::write(
        path,
        format!("{base}\n[advisor]\nurl = \"{url}\"\nmodel = \"test-model\"\napi_key_env = \"{KEY_VAR}\"\ntimeout = \"5s\"\nstream = {stream}\n"),
    )
    .unwrap();
}

fn advise(p: &Project, extra: &[&str]) -> (i32, String, String) {
    let mut args = vec!["advise", "--env", "prod"];
    args.extend_from_slice(extra);
    let mut cmd = p.ferry(&args);
    cmd.env(KEY_VAR, KEY);
    common::run(cmd)
}

fn stored_advice(p: &Project) -> serde_json::Value {
    p.json(&["status", "--env", "prod"])["environments"][0]["pending_plan"]["advice"].clone()
}

#[test]
fn advice_saying_approved_opens_no_gate_and_a_failing_advisor_blocks_nothing() {
    let p = Project::example();
    // The release carries a project template that (carelessly) names a database URL and the key.
    std::fs::create_dir(p.root().join("prompts")).unwrap();
    std::fs::write(
        p.root().join("prompts/plan-review.md"),
        format!("+++\nname = \"plan-review\"\nversion = 3\ninput = \"plan\"\ndescription = \"ours\"\n+++\nReview {{{{plan}}}} for {{{{env}}}} (verdict {{{{verdict}}}}).\n{{{{not_in_baseline}}}}\n{{{{findings}}}}\nState DB: postgres://admin:PLANTED-pw@db.internal/state; key {KEY}\n"),
    )
    .unwrap();
    p.commit("prompts");
    p.to_staging();
    let (code, _, err) = p.run(&["promote", "--to", "prod"]);
    assert_eq!(code, 3, "{err}");
    let plan = p.pending_plan("prod");

    // No endpoint: the prompt on stdout, how to configure one on stderr.
    let (code, prompt, hint) = p.run(&["advise", "--env", "prod"]);
    assert_eq!(code, 0, "{hint}");
    assert!(
        prompt.starts_with(&format!("Review {plan} for prod (verdict ")),
        "{prompt}"
    );
    assert!(
        hint.contains("No [advisor] url") && hint.contains("[advisor]\n  url ="),
        "{hint}"
    );
    for planted in ["PLANTED", "postgres://", "db.internal"] {
        assert!(!prompt.contains(planted), "{planted} in {prompt}");
    }
    let printed = p.json(&["advise", "--env", "prod"]);
    assert_eq!(printed["outcome"], "prompt");
    assert_eq!(printed["prompt"]["text"], prompt.as_str());
    let sha = printed["prompt"]["sha256"].as_str().unwrap().to_string();

    // A streamed "APPROVED", with escape sequences in it.
    let server = ChatServer::start(vec![Reply::streamed(
        "test-model-2026",
        &[
            "\u{1b}[32mAPPROVED\u{1b}[0m",
            ". Ship it to prod.\u{1b}]0;pwned\u{7}",
        ],
    )])
    .unwrap();
    advisor(&p, &server.url, true);
    let (code, out, err) = advise(&p, &["--plan", &plan]);
    assert_eq!(code, 0, "{err}");
    assert!(!out.contains('\u{1b}'), "{out:?}");
    assert!(
        out.contains("untrusted advice") && out.contains("  │ APPROVED. Ship it to prod."),
        "{out}"
    );
    let reqs = server.requests();
    assert_eq!(reqs.len(), 1);
    assert_eq!(
        reqs[0].header("authorization"),
        Some(format!("Bearer {KEY}").as_str())
    );
    assert_eq!(
        reqs[0].json(),
        serde_json::json!({
            "model": "test-model",
            "messages": [
                {"role": "system", "content": ferry_advisor::client::SYSTEM_MESSAGE},
                {"role": "user", "content": prompt},
            ],
            "stream": true,
        })
    );
    for planted in [KEY, "PLANTED", "postgres://"] {
        assert!(
            !reqs[0].body.contains(planted),
            "{planted} sent to the advisor"
        );
    }

    let advice = stored_advice(&p);
    assert_eq!(
        advice,
        serde_json::json!({
            "label": "untrusted advice: it approves nothing and counts toward no gate",
            "plan": plan,
            "env": "prod",
            "model": "test-model-2026",
            "template": "plan-review",
            "template_version": 3,
            "prompt_sha256": sha,
            "answer": "APPROVED. Ship it to prod.",
            "at": advice["at"],
            "by": "dev@example.com",
        })
    );
    let (_, review, _) = p.run(&["review", "--env", "prod"]);
    assert!(
        review.contains("untrusted advice") && review.contains("APPROVED"),
        "{review}"
    );

    // "APPROVED" is text: the gate still waits for a person.
    let (code, _, err) = p.run(&["apply", "--env", "prod"]);
    assert_eq!(code, 3, "{err}");
    assert!(err.contains("needs 1 approval"), "{err}");
    let (code, _, err) = p.run(&["promote", "--to", "prod"]);
    assert_eq!(code, 3, "{err}");
    let plan = p.pending_plan("prod");
    assert_eq!(
        p.json(&["status", "--env", "prod"])["environments"][0]["pending_plan"]["approvals"],
        serde_json::json!([])
    );

    // Faults: a clear error, exit 1, nothing stored.
    let before = p
        .json(&["history", "--env", "prod"])
        .as_array()
        .unwrap()
        .len();
    let cut = b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nConnection: close\r\n\r\ndata: {\"choices\":[{\"delta\":{\"content\":\"APPROVED\"}}]}\n\n".to_vec();
    for (reply, stream, want) in [
        (
            Reply::Status {
                status: 401,
                headers: vec![],
                body: "{}".into(),
            },
            false,
            "refused the credentials (HTTP 401)",
        ),
        (
            Reply::Status {
                status: 429,
                headers: vec![("Retry-After".into(), "3600".into())],
                body: "{}".into(),
            },
            false,
            "rate limiting",
        ),
        (
            Reply::Status {
                status: 200,
                headers: vec![],
                body: "<html>".into(),
            },
            false,
            "malformed",
        ),
        (
            Reply::answer("m", &"x".repeat(70_000)),
            false,
            "over 65536 bytes",
        ),
        (Reply::Raw(cut), true, "cut off"),
    ] {
        let server = ChatServer::start(vec![reply]).unwrap();
        advisor(&p, &server.url, stream);
        let (code, _, err) = advise(&p, &[]);
        assert_eq!(code, 1, "{want}: {err}");
        assert!(err.contains(want), "want {want:?}: {err}");
        assert!(!err.contains(KEY));
    }
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    advisor(&p, &format!("http://127.0.0.1:{port}/v1"), false);
    let (code, _, err) = advise(&p, &[]);
    assert_eq!(code, 1);
    assert!(
        err.contains("unreachable") && err.contains("carried on without advice"),
        "{err}"
    );
    assert_eq!(
        p.json(&["history", "--env", "prod"])
            .as_array()
            .unwrap()
            .len(),
        before
    );
    // Only the one complete answer is on record.
    assert_eq!(stored_advice(&p)["answer"], "APPROVED. Ship it to prod.");
    assert_eq!(stored_advice(&p)["prompt_sha256"], sha.as_str());

    // With the advisor down, a person's approval is all the gate needs.
    let (code, _, err) = p.run_as(LEAD, &["approve", "--env", "prod", "--plan", &plan]);
    assert_eq!(code, 0, "{err}");
    p.ok(&["apply", "--env", "prod"]);
    assert!(p.json(&["ledger", "verify"])["ok"].as_bool().unwrap());
}
