//! Locks under contention, with real processes: eight promoters started at once on one
//! environment — exactly one applies, the others are refused naming the holder, nobody panics;
//! and `unlock` refuses while the holder is alive.

use crate::common::Project;
use crate::faults_signals::{slow_project, wait_for};
use std::time::Duration;

#[test]
fn eight_concurrent_promoters_one_applies_the_others_are_refused_by_name() {
    let p = Project::example();
    std::fs::write(
        p.root().join("infra/slow.tf"),
        "resource \"null_resource\" \"slow\" {\n  provisioner \"local-exec\" {\n    command = \"sleep 4\"\n  }\n}\n",
    )
    .unwrap();
    p.commit("a slow resource");
    p.release();
    let children: Vec<_> = (0..8)
        .map(|i| {
            let probe = p.ferry_as(
                &format!("promoter{i}@example.com"),
                &["promote", "--to", "dev"],
            );
            crate::common::std_command(&probe)
                .stdout(std::process::Stdio::null())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    let outcomes: Vec<(i32, String)> = children
        .into_iter()
        .map(|c| {
            let out = c.wait_with_output().unwrap();
            (
                out.status.code().unwrap_or(-1),
                String::from_utf8_lossy(&out.stderr).to_string(),
            )
        })
        .collect();
    let winners: Vec<_> = outcomes.iter().filter(|(c, _)| *c == 0).collect();
    assert_eq!(winners.len(), 1, "{outcomes:#?}");
    for (code, err) in outcomes.iter().filter(|(c, _)| *c != 0) {
        assert_eq!(*code, 3, "{err}");
        assert!(!err.contains("panicked"), "{err}");
        assert!(
            err.contains("locked by promoter") && err.contains("@example.com (pid "),
            "the refusal names the holder: {err}"
        );
    }
    let history = p.json(&["history", "--env", "dev"]);
    let started = history
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["kind"] == "deployment.started")
        .count();
    assert_eq!(started, 1, "exactly one apply: {history}");
    let dev = &p.json(&["status", "--env", "dev"])["environments"][0];
    assert_eq!(dev["last_deployment"]["status"], "succeeded", "{dev}");
    assert_eq!(dev["lock"], serde_json::Value::Null, "{dev}");
}

#[test]
fn unlock_refuses_a_live_holder() {
    let p = slow_project(false);
    p.release();
    let mut child = p.spawn(&["promote", "--to", "dev"]);
    let pids = p.sim().join("slow.pids");
    wait_for("the slow provisioner", Duration::from_secs(90), || {
        pids.is_file()
    });
    let (code, _, err) = p.run(&["unlock", "--env", "dev", "--reason", "looks stuck"]);
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("still running on this machine"), "{err}");
    // stop it the ferry way
    let _ = nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(child.id() as i32),
        nix::sys::signal::Signal::SIGINT,
    );
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(130));
    let dev = &p.json(&["status", "--env", "dev"])["environments"][0];
    assert_eq!(dev["lock"], serde_json::Value::Null, "{dev}");
}
