//! `ferry advise` end to end on the pinned Terraform, against a loopback chat-completions
//! server: the prompt printed without an endpoint is byte for byte what is sent with one, no
//! planted secret reaches the endpoint, the stored advice is shown labelled as untrusted, a
//! model answering "APPROVED" opens no gate, and a failing endpoint stores nothing and blocks
//! nothing. `ferry rollback --prompt` fills rollback-readiness from the staging rehearsal without
//! rolling back; an https advisor is asked over TLS when `[advisor] ca_file` trusts its CA.

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

#[test]
fn rollback_prompt_is_filled_from_the_rehearsal_and_rolls_nothing_back() {
    let p = Project::example();
    // examples/demo marks staging `rehearse_rollback = true`.
    let v1 = p.to_staging();
    p.edit("infra/variables.tf", "\"1.0.0\"", "\"1.1.0\"");
    p.commit("v2");
    let v2 = p.release();
    p.ok(&["promote", "--to", "dev"]);
    p.ok(&["promote", "--to", "staging", "--yes"]);
    let history = p.json(&["history", "--env", "staging"]);

    let (code, prompt, err) = p.run(&["rollback", "--env", "staging", "--prompt"]);
    assert_eq!(code, 0, "{err}");
    let v = p.json(&["rollback", "--env", "staging", "--prompt"]);
    assert_eq!(v["env"], "staging");
    assert_eq!(v["current"], v2.as_str());
    assert_eq!(v["target"], v1.as_str());
    assert_eq!(v["rehearsal"]["ready"], true);
    assert_eq!(v["rehearsal"]["target"], v1.as_str());
    assert_eq!(v["prompt"]["template"], "rollback-readiness");
    assert_eq!(v["prompt"]["version"], 2);
    assert_eq!(v["prompt"]["text"], prompt.as_str());
    let at = v["rehearsal"]["at"].as_str().unwrap();
    assert!(
        prompt.contains(&format!("Rehearsed in staging at {at}: "))
            && prompt.contains("ferry judged it READY."),
        "{prompt}"
    );
    assert!(
        prompt.contains("No SQL migrations were applied in staging through ferry"),
        "{prompt}"
    );
    insta::assert_snapshot!(
        "rollback_prompt_staging",
        prompt
            .replace(&v2, "<v2>")
            .replace(&v1, "<v1>")
            .replace(at, "<rehearsed-at>")
    );
    // Nothing was planned, applied or recorded, and staging still runs v2.
    assert_eq!(p.json(&["history", "--env", "staging"]), history);
    assert_eq!(
        p.json(&["status", "--env", "staging"])["environments"][0]["pending_plan"],
        serde_json::Value::Null
    );
    // prod has nothing deployed: a clear error, exit 1.
    let (code, _, err) = p.run(&["rollback", "--env", "prod", "--prompt"]);
    assert_eq!(code, 1, "{err}");
    assert!(
        err.contains("'prod' has no known-good release before the current one"),
        "{err}"
    );
    // --prompt never confirms a rollback.
    let (code, _, err) = p.run(&["rollback", "--env", "staging", "--prompt", "--yes"]);
    assert_eq!(code, 2, "{err}");
}

#[test]
fn an_https_advisor_is_asked_over_tls_and_its_escapes_never_reach_the_terminal() {
    let p = Project::example();
    p.to_staging();
    let (code, _, err) = p.run(&["promote", "--to", "prod"]);
    assert_eq!(code, 3, "{err}");
    let plan = p.pending_plan("prod");
    std::fs::copy(
        ferry_testkit::chat::test_ca_path(),
        p.root().join("llm-ca.pem"),
    )
    .unwrap();
    let answer = "\u{1b}[31mAPPROVED\u{1b}[0m: see \u{1b}]8;;http://evil.example\u{7}the runbook\u{1b}]8;;\u{7}\u{1b}]52;c;cm0gLXJmIH4=\u{7}.";
    let server = ChatServer::start_tls(vec![Reply::answer("tls-model", answer)]).unwrap();
    let configure = |ca: &str| {
        let path = p.root().join("ferry.toml");
        let text = std::fs::read_to_string(&path).unwrap();
        let base = text.split("\n[advisor]").next().unwrap().to_string();
        std::fs::write(
            path,
            format!("{base}\n[advisor]\nurl = \"{}\"\nmodel = \"test-model\"\napi_key_env = \"{KEY_VAR}\"\ntimeout = \"5s\"\n{ca}", server.url),
        )
        .unwrap();
    };
    // Without the CA the certificate is refused: nothing sent, nothing stored.
    configure("");
    let (code, _, err) = advise(&p, &[]);
    assert_eq!(code, 1, "{err}");
    assert!(
        err.contains("unreachable") && err.contains("carried on without advice"),
        "{err}"
    );
    assert!(server.requests().is_empty());
    // With `ca_file` (relative to the project root) the same endpoint answers over TLS.
    configure("ca_file = \"llm-ca.pem\"\n");
    let (code, out, err) = advise(&p, &[]);
    assert_eq!(code, 0, "{err}");
    let reqs = server.requests();
    assert_eq!(reqs.len(), 1);
    assert_eq!(
        reqs[0].header("authorization"),
        Some(format!("Bearer {KEY}").as_str())
    );
    assert_eq!(reqs[0].json()["model"], "test-model");
    assert_eq!(stored_advice(&p)["answer"], "APPROVED: see the runbook.");
    let (_, review, _) = p.run(&["review", "--env", "prod"]);
    let (_, status, _) = p.run(&["status", "--env", "prod"]);
    let (code, approve, err) = p.run_as(LEAD, &["approve", "--env", "prod", "--plan", &plan]);
    assert_eq!(code, 0, "{err}");
    for (what, text) in [("advise", &out), ("review", &review), ("approve", &approve)] {
        assert!(
            text.contains("untrusted advice") && text.contains("  │ APPROVED: see the runbook."),
            "{what}: {text}"
        );
        assert!(
            !text.contains('\u{1b}') && !text.contains('\u{7}'),
            "{what}: {text:?}"
        );
        assert!(
            !text.contains("evil.example") && !text.contains("cm0gLXJmIH4"),
            "{what}: {text}"
        );
    }
    assert!(
        status.contains("advice: from tls-model") && !status.contains('\u{1b}'),
        "{status}"
    );
    // One person's approval is what the gate counted, not the advice.
    assert_eq!(
        p.json(&["status", "--env", "prod"])["environments"][0]["pending_plan"]["approvals"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
}
