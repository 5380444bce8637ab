//! `kill -9` at random points of `ferry promote --to dev`, repeated, with real processes: the
//! whole job (as a runner's hard cancel does) or ferry alone. After every kill the ledger may say
//! a deployment succeeded only when the engine's state holds what that apply created; `status`
//! still answers; and the commands ferry prints bring the environment back to a promote that
//! succeeds. The seed is printed (set `FERRY_KILL_SEED` to replay a failure).

use crate::common::Project;
use crate::faults_signals::marked;
use nix::sys::signal::{kill, killpg, Signal};
use nix::unistd::Pid;
use std::os::unix::process::CommandExt as _;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// splitmix64: enough randomness for delays, reproducible from the printed seed.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
}

/// The example plus a resource replaced on every plan (a timestamp trigger) whose provisioner
/// sleeps, so every promote has an apply window to be killed in.
fn project() -> Project {
    let p = Project::example();
    std::fs::write(
        p.root().join("infra/slow.tf"),
        "resource \"null_resource\" \"slow\" {\n  triggers = { at = timestamp() }\n  provisioner \"local-exec\" {\n    command = \"sleep 1\"\n  }\n}\n",
    )
    .unwrap();
    p.commit("a resource replaced on every apply");
    p
}

fn spawn(p: &Project, marker: &str) -> std::process::Child {
    let probe = p.ferry(&["promote", "--to", "dev"]);
    let mut cmd = crate::common::std_command(&probe);
    cmd.env("FERRY_TEST_MARKER", marker)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .process_group(0);
    cmd.spawn().unwrap()
}

/// The environment's Terraform state file (wherever under the data dir ferry keeps it).
fn state_file(data: &Path) -> Option<PathBuf> {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
        for e in std::fs::read_dir(dir).into_iter().flatten().flatten() {
            let path = e.path();
            if path.is_dir() && e.file_name() != "work" {
                walk(&path, out);
            } else if e.file_name() == "terraform.tfstate" {
                out.push(path);
            }
        }
    }
    let mut found = Vec::new();
    walk(data, &mut found);
    assert!(found.len() <= 1, "more than one state: {found:?}");
    found.pop()
}

/// `(id, tainted)` of `null_resource.slow` in the state.
fn slow_in_state(data: &Path) -> Option<(String, bool)> {
    let text = std::fs::read_to_string(state_file(data)?).ok()?;
    let state: serde_json::Value = serde_json::from_str(&text).ok()?;
    let slow = state["resources"]
        .as_array()?
        .iter()
        .find(|r| r["type"] == "null_resource" && r["name"] == "slow")?;
    let instance = &slow["instances"][0];
    Some((
        instance["attributes"]["id"].as_str()?.to_string(),
        instance["status"] == "tainted",
    ))
}

/// Deployments of dev after `after`: (id, status, the id the apply's log says it created).
fn deployments(data: &Path, after: i64) -> Vec<(i64, String, Option<String>)> {
    let conn = rusqlite::Connection::open_with_flags(
        data.join("ledger.db"),
        rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY,
    )
    .unwrap();
    let mut stmt = conn
        .prepare("SELECT id, status, COALESCE(log, '') FROM deployments WHERE env = 'dev' AND id > ?1 ORDER BY id")
        .unwrap();
    let rows = stmt
        .query_map([after], |r| {
            Ok((
                r.get::<_, i64>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
            ))
        })
        .unwrap();
    rows.map(|r| {
        let (id, status, log) = r.unwrap();
        let created = log
            .lines()
            .rev()
            .filter(|l| l.starts_with("null_resource.slow: Creation complete"))
            .filter_map(|l| l.rsplit("[id=").next()?.strip_suffix(']'))
            .next()
            .map(str::to_string);
        (id, status, created)
    })
    .collect()
}

fn last_id(data: &Path) -> i64 {
    deployments(data, 0).last().map_or(0, |d| d.0)
}

/// A ledger that says "succeeded" is believed only with the state to back it: the newest
/// deployment after `after` that is recorded succeeded created what the state holds now.
fn assert_truthful(data: &Path, after: i64, context: &str) {
    let newest = deployments(data, after)
        .into_iter()
        .rfind(|d| d.1 == "succeeded");
    if let Some((id, _, created)) = newest {
        {
            let created = created.unwrap_or_else(|| {
                panic!("{context}: deployment {id} succeeded but its log shows no apply")
            });
            let state = slow_in_state(data);
            assert_eq!(
                state,
                Some((created.clone(), false)),
                "{context}: deployment {id} is recorded succeeded (created {created}) but the state holds {state:?}"
            );
        }
    }
}

/// Runs `promote --to dev`, following what ferry prints when it refuses, until it succeeds.
fn recover(p: &Project, context: &str) -> Vec<String> {
    let mut steps = Vec::new();
    for _ in 0..4 {
        let (code, out, err) = p.run(&["promote", "--to", "dev"]);
        if code == 0 {
            steps.push("promote".to_string());
            return steps;
        }
        assert!(!err.contains("panicked"), "{context}: {err}");
        // A command ferry prints as the fix, in backquotes.
        let printed: Vec<&str> = err
            .split('`')
            .skip(1)
            .step_by(2)
            .filter(|c| c.starts_with("ferry ") && !c.starts_with("ferry promote"))
            .collect();
        steps.push(format!("promote refused ({code}): {}", err.trim()));
        match printed.first() {
            Some(fix) => {
                let args: Vec<&str> = fix.split_whitespace().skip(1).collect();
                let (code, _, ferr) = p.run(&args);
                steps.push(format!("{fix} -> {code}"));
                assert_eq!(code, 0, "{context}: the printed fix `{fix}` failed: {ferr}");
            }
            None => panic!("{context}: promote refused with no command to recover:\n{out}\n{err}"),
        }
    }
    panic!("{context}: not recovered after {steps:#?}");
}

#[test]
fn kill_9_at_random_points_of_promote_never_lies_and_always_recovers() {
    let seed = std::env::var("FERRY_KILL_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_nanos() as u64
        });
    eprintln!("faults_kill: FERRY_KILL_SEED={seed}");
    let mut rng = Rng(seed);
    let p = project();
    let data = p.data();
    p.release();
    // One clean promote: the length of a run, over which the kills are spread.
    let start = Instant::now();
    p.ok(&["promote", "--to", "dev"]);
    let run = start.elapsed();
    assert_truthful(&data, 0, "clean run");

    for i in 0..8 {
        let group = rng.next().is_multiple_of(2);
        let delay = Duration::from_millis(rng.next() % (run.as_millis() as u64 + 200));
        let context = format!(
            "seed {seed}, kill {i}: SIGKILL to {} after {delay:?} of ~{run:?}",
            if group { "the job" } else { "ferry alone" }
        );
        let before = last_id(&data);
        let marker = format!("kill-{seed}-{i}");
        let mut child = spawn(&p, &marker);
        std::thread::sleep(delay);
        let pid = Pid::from_raw(child.id() as i32);
        if group {
            let _ = killpg(pid, Signal::SIGKILL);
        } else {
            let _ = kill(pid, Signal::SIGKILL);
        }
        let _ = child.wait();
        // An engine ferry started in its own group outlives ferry alone; let it finish.
        let gone = Instant::now();
        while !marked(&marker).is_empty() {
            assert!(
                gone.elapsed() < Duration::from_secs(20),
                "{context}: processes outlived ferry: {:#?}",
                marked(&marker)
            );
            std::thread::sleep(Duration::from_millis(100));
        }
        assert_truthful(&data, before, &context);
        let (code, _, err) = p.run(&["--format", "json", "status", "--env", "dev"]);
        assert_eq!(code, 0, "{context}: status after the kill: {err}");
        let steps = recover(&p, &context);
        eprintln!("{context}: {steps:?}");
        assert_truthful(&data, before, &context);
        let last = deployments(&data, before).pop().unwrap();
        assert_eq!(last.1, "succeeded", "{context}: {last:?}");
    }
    let status = p.json(&["status", "--env", "dev"]);
    assert_eq!(
        status["environments"][0]["last_deployment"]["status"],
        "succeeded"
    );
    assert_eq!(status["environments"][0]["lock"], serde_json::Value::Null);
}
