//! The team server under load: `GET /api/v1/status` and `GET /api/v1/history` from 64
//! concurrent clients on loopback, with 100 000 events in a PostgreSQL ledger — requests/s, p50
//! and p99 — beside two floors measured in the same run: the server's `/healthz` (HTTP and
//! auth-free routing, no database) and the same reads as plain SQL from 64 threads on 8
//! connections (the database alone).
//!
//!   scripts/bench-serve            # builds the release binary, then runs this
//!   cargo run --release -p ferry-client --example bench_serve -- --events 100000 --clients 64 --seconds 10
//!
//! Not a timed test: it prints figures for docs/benchmarks-serve.md.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

struct Args {
    events: usize,
    clients: usize,
    seconds: u64,
    ferry: PathBuf,
}

fn args() -> Args {
    let mut a = Args {
        events: 100_000,
        clients: 64,
        seconds: 10,
        ferry: std::env::var_os("FERRY_BIN")
            .map(PathBuf::from)
            .unwrap_or_else(|| PathBuf::from("target/release/ferry")),
    };
    let argv: Vec<String> = std::env::args().skip(1).collect();
    let mut i = 0;
    while i < argv.len() {
        let v = argv.get(i + 1).cloned().unwrap_or_default();
        match argv[i].as_str() {
            "--events" => a.events = v.parse().unwrap(),
            "--clients" => a.clients = v.parse().unwrap(),
            "--seconds" => a.seconds = v.parse().unwrap(),
            "--ferry" => a.ferry = PathBuf::from(v),
            other => panic!("unknown argument {other}"),
        }
        i += 2;
    }
    a
}

fn git(dir: &Path, args: &[&str]) {
    let ok = Command::new("git")
        .args([
            "-c",
            "user.name=b",
            "-c",
            "user.email=b@example.com",
            "-c",
            "commit.gpgsign=false",
        ])
        .args(args)
        .current_dir(dir)
        .status()
        .unwrap()
        .success();
    assert!(ok, "git {args:?}");
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let t = to.join(e.file_name());
        if e.file_type().unwrap().is_dir() {
            copy_dir(&e.path(), &t);
        } else {
            std::fs::copy(e.path(), &t).unwrap();
        }
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Latencies of one phase, sorted.
struct Phase {
    name: String,
    latencies: Vec<Duration>,
    errors: usize,
    wall: Duration,
}

impl Phase {
    fn print(&self) {
        let n = self.latencies.len();
        let q = |p: f64| {
            if n == 0 {
                return 0.0;
            }
            let i = ((n as f64 * p).ceil() as usize).clamp(1, n) - 1;
            self.latencies[i].as_secs_f64() * 1000.0
        };
        println!(
            "| {} | {} | {:.0} | {:.2} | {:.2} | {:.2} | {} |",
            self.name,
            n,
            n as f64 / self.wall.as_secs_f64(),
            q(0.50),
            q(0.99),
            self.latencies
                .last()
                .map_or(0.0, |d| d.as_secs_f64() * 1000.0),
            self.errors
        );
    }
}

/// `clients` threads calling `call` until `seconds` pass.
fn load(
    name: &str,
    clients: usize,
    seconds: u64,
    make: impl Fn(usize) -> Box<dyn FnMut(usize) -> bool + Send> + Sync,
) -> Phase {
    let stop = Arc::new(AtomicBool::new(false));
    let all = Arc::new(Mutex::new((Vec::new(), 0usize)));
    let started = Instant::now();
    std::thread::scope(|s| {
        for c in 0..clients {
            let mut call = make(c);
            let (stop, all) = (stop.clone(), all.clone());
            s.spawn(move || {
                let (mut mine, mut errors) = (Vec::new(), 0);
                let mut i = 0;
                while !stop.load(Ordering::Relaxed) {
                    let t = Instant::now();
                    if call(i) {
                        mine.push(t.elapsed());
                    } else {
                        errors += 1;
                    }
                    i += 1;
                }
                let mut a = all.lock().unwrap();
                a.0.extend(mine);
                a.1 += errors;
            });
        }
        std::thread::sleep(Duration::from_secs(seconds));
        stop.store(true, Ordering::Relaxed);
    });
    let wall = started.elapsed();
    let (mut latencies, errors) = Arc::try_unwrap(all).unwrap().into_inner().unwrap();
    latencies.sort();
    Phase {
        name: name.to_string(),
        latencies,
        errors,
        wall,
    }
}

fn main() {
    let a = args();
    assert!(
        a.ferry.is_file(),
        "no ferry binary at {} (FERRY_BIN or --ferry)",
        a.ferry.display()
    );
    let pg = ferry_testkit::PgServer::start().expect("PostgreSQL server binaries (initdb, pg_ctl)");
    let ledger_url = pg.create_database("bench").unwrap();
    let work = tempfile::tempdir().unwrap();
    let data = work.path().join("server");
    let addr = format!("127.0.0.1:{}", free_port());
    let mut server = Command::new(&a.ferry)
        .args([
            "serve",
            "--listen",
            &addr,
            "--ledger",
            &ledger_url,
            "--data",
        ])
        .arg(&data)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let base = format!("http://{addr}");
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into();
    let ready = Instant::now();
    while agent
        .get(&format!("{base}/readyz"))
        .call()
        .map(|r| r.status() != 200)
        .unwrap_or(true)
    {
        assert!(
            ready.elapsed() < Duration::from_secs(30),
            "server not ready"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    let out = Command::new(&a.ferry)
        .args([
            "serve",
            "token",
            "create",
            "--user",
            "bench",
            "--role",
            "admin:*",
            "--ledger",
            &ledger_url,
            "--data",
        ])
        .arg(&data)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let token = String::from_utf8_lossy(&out.stdout).trim().to_string();

    // One real release (its ferry.toml names the environments status lists).
    let repo = work.path().join("repo");
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    copy_dir(&root.join("examples/demo"), &repo);
    git(&repo, &["init", "-q", "-b", "main"]);
    git(&repo, &["add", "-A"]);
    git(&repo, &["commit", "-qm", "v1"]);
    let ok = Command::new(&a.ferry)
        .args(["-C"])
        .arg(&repo)
        .args(["release", "create"])
        .env("FERRY_SERVER", &base)
        .env("FERRY_TOKEN", &token)
        .stdout(Stdio::null())
        .status()
        .unwrap()
        .success();
    assert!(ok, "release create through the server");

    let seeded = Instant::now();
    {
        use ferry_store::Ledger as _;
        let l = Arc::new(ferry_store_pg::PgLedger::connect(&ledger_url).unwrap());
        let per = a.events / 4;
        std::thread::scope(|s| {
            for t in 0..4 {
                let l = l.clone();
                s.spawn(move || {
                    for i in 0..per {
                        let env = ["dev", "staging", "prod"][(t + i) % 3];
                        l.record_event(&ferry_store::NewEvent {
                            at: "2026-12-01T00:00:00Z".into(),
                            env: Some(env.into()),
                            kind: "note".into(),
                            actor: "bench".into(),
                            release: None,
                            plan: None,
                            message: format!("seeded event {t}/{i}"),
                        })
                        .unwrap();
                    }
                });
            }
        });
    }
    eprintln!(
        "seeded {} events in {:.1}s; {} clients for {}s per phase",
        a.events,
        seeded.elapsed().as_secs_f64(),
        a.clients,
        a.seconds
    );

    println!("| phase | requests | req/s | p50 ms | p99 ms | max ms | errors |");
    println!("|---|---|---|---|---|---|---|");
    let get = |path: String| {
        let (agent, auth) = (agent.clone(), format!("Bearer {token}"));
        move |_: usize| -> Box<dyn FnMut(usize) -> bool + Send> {
            let (agent, auth, url) = (agent.clone(), auth.clone(), path.clone());
            Box::new(move |_| {
                agent
                    .get(&url)
                    .header("Authorization", &auth)
                    .call()
                    .map(|mut r| r.status() == 200 && r.body_mut().read_to_vec().is_ok())
                    .unwrap_or(false)
            })
        }
    };
    load(
        "floor: GET /healthz",
        a.clients,
        a.seconds,
        get(format!("{base}/healthz")),
    )
    .print();
    let sql_url = ledger_url.clone();
    let pool: Arc<Vec<Mutex<postgres::Client>>> = Arc::new(
        (0..8)
            .map(|_| Mutex::new(postgres::Client::connect(&sql_url, postgres::NoTls).unwrap()))
            .collect(),
    );
    load("floor: the history page as SQL (8 connections)", a.clients, a.seconds, |c| {
        let pool = pool.clone();
        Box::new(move |_| {
            let mut client = pool[c % 8].lock().unwrap();
            client
                .query(
                    "SELECT seq, at, env, kind, actor, release_id, plan_id, message, hash FROM events WHERE ($1::TEXT IS NULL OR env = $1) ORDER BY seq DESC LIMIT 50",
                    &[&None::<String>],
                )
                .is_ok()
        })
    })
    .print();
    load(
        "ferry: GET /api/v1/status",
        a.clients,
        a.seconds,
        get(format!("{base}/api/v1/status")),
    )
    .print();
    load(
        "ferry: GET /api/v1/history?limit=50",
        a.clients,
        a.seconds,
        get(format!("{base}/api/v1/history?limit=50")),
    )
    .print();
    load(
        "ferry: GET /api/v1/history?env=prod&limit=50",
        a.clients,
        a.seconds,
        get(format!("{base}/api/v1/history?env=prod&limit=50")),
    )
    .print();
    let _ = server.kill();
    let _ = server.wait();
}
