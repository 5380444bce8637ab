//! ferry interrupted by SIGINT/SIGTERM during a slow apply (a `local-exec` sleep), with real
//! processes: the exit code is 128 + the signal, the deployment is recorded as interrupted, the
//! lock is free, no engine, provider or provisioner process is left (found by pid through an
//! environment marker every child inherits), and the next promote works.

use crate::common::Project;
use nix::sys::signal::{kill, killpg, Signal};
use nix::unistd::Pid;
use std::os::unix::process::CommandExt as _;
use std::time::{Duration, Instant};

/// A resource whose provisioner records its pid and, while `slow.on` exists, sleeps.
pub fn slow_project(ignore_int: bool) -> Project {
    let p = Project::example();
    let trap = if ignore_int { "trap '' INT; " } else { "" };
    std::fs::write(
        p.root().join("infra/slow.tf"),
        format!(
            "resource \"null_resource\" \"slow\" {{\n  provisioner \"local-exec\" {{\n    command = \"echo $$ >> '${{var.sim_root}}/slow.pids'; if [ -f '${{var.sim_root}}/slow.on' ]; then {trap}sleep 60; fi\"\n  }}\n}}\n"
        ),
    )
    .unwrap();
    p.commit("a slow resource");
    std::fs::create_dir_all(p.sim()).unwrap();
    std::fs::write(p.sim().join("slow.on"), "").unwrap();
    p
}

/// `ferry <args>` in a process group of its own (as a shell job is), stderr to a file, with a
/// marker in its environment that every process it starts inherits.
fn spawn(p: &Project, args: &[&str], marker: &str) -> std::process::Child {
    let probe = p.ferry(args);
    let mut cmd = std::process::Command::new(assert_cmd::cargo::cargo_bin("ferry"));
    for (k, v) in probe.get_envs() {
        match v {
            Some(v) => cmd.env(k, v),
            None => cmd.env_remove(k),
        };
    }
    let err = std::fs::File::create(p.dir.path().join("stderr.txt")).unwrap();
    cmd.args(probe.get_args())
        .env("FERRY_TEST_MARKER", marker)
        .stdout(std::process::Stdio::null())
        .stderr(err)
        .process_group(0);
    cmd.spawn().unwrap()
}

pub fn wait_for(what: &str, limit: Duration, mut done: impl FnMut() -> bool) {
    let start = Instant::now();
    while !done() {
        assert!(start.elapsed() < limit, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// Live processes (not zombies) whose environment holds `marker`.
pub fn marked(marker: &str) -> Vec<String> {
    let needle = format!("FERRY_TEST_MARKER={marker}");
    let mut found = Vec::new();
    for e in std::fs::read_dir("/proc").unwrap().flatten() {
        let name = e.file_name().to_string_lossy().to_string();
        if !name.chars().all(|c| c.is_ascii_digit()) {
            continue;
        }
        let Ok(env) = std::fs::read(format!("/proc/{name}/environ")) else {
            continue;
        };
        let zombie = std::fs::read_to_string(format!("/proc/{name}/stat"))
            .map(|s| {
                s.rsplit(')')
                    .next()
                    .unwrap_or("")
                    .trim_start()
                    .starts_with('Z')
            })
            .unwrap_or(true);
        if !zombie && env.split(|&b| b == 0).any(|kv| kv == needle.as_bytes()) {
            let cmdline = std::fs::read(format!("/proc/{name}/cmdline")).unwrap_or_default();
            found.push(format!(
                "{name} {}",
                String::from_utf8_lossy(&cmdline).replace('\0', " ")
            ));
        }
    }
    found
}

enum Target {
    /// The whole job, as a terminal's Ctrl-C does.
    Group,
    /// ferry's pid alone, as some CI runners do on cancel.
    Alone,
}

fn send(child: &std::process::Child, signal: Signal, target: &Target) {
    let pid = Pid::from_raw(child.id() as i32);
    match target {
        Target::Group => killpg(pid, signal).unwrap(),
        Target::Alone => kill(pid, signal).unwrap(),
    }
}

/// Interrupts `ferry promote --to dev` once the slow provisioner runs; returns ferry's exit
/// code, stderr and how long it took to exit after the (first) signal.
fn interrupt_promote(
    p: &Project,
    signals: &[Signal],
    target: Target,
    marker: &str,
) -> (i32, String, Duration) {
    p.release();
    let mut child = spawn(p, &["promote", "--to", "dev"], marker);
    let pids = p.sim().join("slow.pids");
    wait_for("the slow provisioner", Duration::from_secs(90), || {
        pids.is_file()
    });
    std::thread::sleep(Duration::from_millis(300));
    let sent = Instant::now();
    // Back to back: the second arrives while ferry still holds the environment.
    for s in signals {
        send(&child, *s, &target);
    }
    let status = child.wait().unwrap();
    let took = sent.elapsed();
    let stderr = std::fs::read_to_string(p.dir.path().join("stderr.txt")).unwrap();
    (status.code().unwrap_or(-1), stderr, took)
}

/// What must hold after any interrupted apply: recorded, unlocked, nothing left, recoverable.
fn assert_recovered(p: &Project, marker: &str, stderr: &str) {
    assert!(
        stderr.contains("recorded as interrupted")
            && stderr.contains("ferry plan --env dev")
            && stderr.contains("lock of 'dev' is released"),
        "{stderr}"
    );
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(
        marked(marker),
        Vec::<String>::new(),
        "processes outlived ferry"
    );
    let status = p.json(&["status", "--env", "dev"]);
    let dev = &status["environments"][0];
    assert_eq!(dev["last_deployment"]["status"], "interrupted", "{dev}");
    assert_eq!(dev["lock"], serde_json::Value::Null, "{dev}");
    assert_eq!(dev["current_release"], serde_json::Value::Null, "{dev}");
    let events = p.json(&["history", "--env", "dev"]);
    assert!(
        events
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["kind"] == "deployment.interrupted"),
        "{events}"
    );
    // the next promote (the provisioner quick now) goes through
    std::fs::remove_file(p.sim().join("slow.on")).unwrap();
    p.ok(&["promote", "--to", "dev"]);
    let status = p.json(&["status", "--env", "dev"]);
    assert_eq!(
        status["environments"][0]["last_deployment"]["status"],
        "succeeded"
    );
}

#[test]
fn ctrl_c_to_the_job_during_apply_stops_records_and_unlocks() {
    let p = slow_project(false);
    let (code, err, _) = interrupt_promote(&p, &[Signal::SIGINT], Target::Group, "int-group");
    assert_eq!(code, 130, "{err}");
    assert_recovered(&p, "int-group", &err);
}

#[test]
fn sigint_to_ferry_alone_stops_the_engine_it_started() {
    let p = slow_project(false);
    let (code, err, _) = interrupt_promote(&p, &[Signal::SIGINT], Target::Alone, "int-alone");
    assert_eq!(code, 130, "{err}");
    assert_recovered(&p, "int-alone", &err);
}

#[test]
fn sigterm_to_ferry_alone_exits_143_with_the_same_record() {
    let p = slow_project(false);
    let (code, err, _) = interrupt_promote(&p, &[Signal::SIGTERM], Target::Alone, "term-alone");
    assert_eq!(code, 143, "{err}");
    assert!(err.contains("SIGTERM"), "{err}");
    assert_recovered(&p, "term-alone", &err);
}

#[test]
fn a_second_signal_kills_an_engine_that_will_not_stop() {
    // The provisioner ignores SIGINT; the second signal kills the engine's whole group without
    // waiting for it, and the outcome is recorded all the same.
    let p = slow_project(true);
    let (code, err, took) = interrupt_promote(
        &p,
        // Two of one kind may merge while pending; a SIGINT and a SIGTERM both arrive.
        &[Signal::SIGINT, Signal::SIGTERM],
        Target::Alone,
        "int-twice",
    );
    // Both are pending at once; whichever ferry takes first decides the exit code.
    let first = if err.contains("ferry: SIGINT received: stopping") {
        130
    } else {
        143
    };
    assert_eq!(code, first, "{err}");
    assert!(err.contains("a second signal: killing the engine"), "{err}");
    assert!(
        took < ferry_engine::INTERRUPT_GRACE,
        "took {took:?}: the second signal did not kill"
    );
    assert_recovered(&p, "int-twice", &err);
}
