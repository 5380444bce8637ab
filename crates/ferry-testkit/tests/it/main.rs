#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use ferry_testkit::{find_binaries, PgServer, PgServerError};
use std::net::TcpStream;
use std::path::PathBuf;
use std::time::{Duration, Instant};

fn query_one(url: &str, sql: &str) -> String {
    let mut client = postgres::Client::connect(url, postgres::NoTls).unwrap();
    client.query_one(sql, &[]).unwrap().get(0)
}

fn accepts(port: u16) -> bool {
    TcpStream::connect(("127.0.0.1", port)).is_ok()
}

fn wait_until(what: &str, mut done: impl FnMut() -> bool) {
    let start = Instant::now();
    while !done() {
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "timed out: {what}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn app_and_admin_roles_connect_with_their_passwords() {
    let server = PgServer::start().unwrap();
    assert_eq!(
        query_one(&server.url(), "SELECT current_user::text"),
        "ferry_app"
    );
    assert_eq!(
        query_one(&server.url(), "SELECT current_database()::text"),
        "ferry"
    );
    assert_eq!(
        query_one(
            &server.url(),
            "SELECT rolsuper::text FROM pg_roles WHERE rolname = current_user"
        ),
        "false"
    );
    assert_eq!(
        query_one(
            &server.admin_url(),
            "SELECT rolsuper::text FROM pg_roles WHERE rolname = current_user"
        ),
        "true"
    );
    // Password authentication is really on: a wrong password is refused.
    let wrong = server
        .url()
        .replace(server.secrets()[1], "not-the-password");
    let Err(err) = postgres::Client::connect(&wrong, postgres::NoTls) else {
        panic!("a wrong password was accepted");
    };
    let message = err.as_db_error().map(|e| e.message().to_string());
    assert_eq!(
        message.as_deref(),
        Some("password authentication failed for user \"ferry_app\"")
    );
    assert!(!format!("{server:?}").contains(server.secrets()[0]));
    assert!(!format!("{server:?}").contains(server.secrets()[1]));
}

#[test]
fn created_databases_belong_to_the_app_role() {
    let server = PgServer::start().unwrap();
    let url = server.create_database("orders").unwrap();
    assert_eq!(query_one(&url, "SELECT current_database()::text"), "orders");
    assert_eq!(
        query_one(
            &url,
            "SELECT pg_get_userbyid(datdba)::text FROM pg_database WHERE datname = 'orders'"
        ),
        "ferry_app"
    );
    let a = server.fresh_database("t").unwrap();
    let b = server.fresh_database("t").unwrap();
    assert_ne!(a, b);
    assert!(matches!(
        server.create_database("Bad-Name; DROP"),
        Err(PgServerError::BadName(_))
    ));
}

#[test]
fn servers_started_in_parallel_get_their_own_ports_and_dirs() {
    let handles: Vec<_> = (0..2)
        .map(|_| std::thread::spawn(|| PgServer::start().unwrap()))
        .collect();
    let servers: Vec<PgServer> = handles.into_iter().map(|h| h.join().unwrap()).collect();
    assert_ne!(servers[0].port(), servers[1].port());
    assert_ne!(servers[0].data_dir(), servers[1].data_dir());
    for s in &servers {
        assert_eq!(query_one(&s.url(), "SELECT 'up'::text"), "up");
    }
}

#[test]
fn a_panicking_test_still_stops_its_server_and_removes_its_dir() {
    let (tx, rx) = std::sync::mpsc::channel();
    let result = std::thread::spawn(move || {
        let server = PgServer::start().unwrap();
        tx.send((server.port(), server.data_dir().to_path_buf()))
            .unwrap();
        panic!("the test failed while the server ran");
    })
    .join();
    assert!(result.is_err());
    let (port, data) = rx.recv().unwrap();
    assert!(!accepts(port), "server on {port} still accepts connections");
    assert!(!data.exists(), "{} was left behind", data.display());
}

#[test]
fn stop_shuts_the_server_down_now() {
    let server = PgServer::start().unwrap();
    let (port, data) = (server.port(), server.data_dir().to_path_buf());
    assert!(accepts(port));
    server.stop().unwrap();
    assert!(!accepts(port));
    assert!(!data.exists());
}

/// A process that exits without dropping its server (killed, or `shared()` at exit) leaves no
/// server behind: the watchdog notices the closed pipe.
#[test]
fn the_watchdog_stops_a_server_whose_process_exited() {
    if std::env::var_os("FERRY_TESTKIT_CHILD").is_some() {
        let server = PgServer::shared().unwrap();
        println!("{} {}", server.port(), server.data_dir().display());
        std::process::exit(0);
    }
    let out = std::process::Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "the_watchdog_stops_a_server_whose_process_exited",
            "--nocapture",
        ])
        .env("FERRY_TESTKIT_CHILD", "1")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let line = stdout
        .lines()
        .find(|l| {
            l.split(' ')
                .next()
                .is_some_and(|p| p.parse::<u16>().is_ok())
        })
        .unwrap_or_else(|| panic!("child printed no port: {stdout}"));
    let (port, data) = line.split_once(' ').unwrap();
    let (port, data): (u16, PathBuf) = (port.parse().unwrap(), PathBuf::from(data));
    wait_until("the watchdog stops the orphaned server", || !accepts(port));
    wait_until("the watchdog removes its directory", || !data.exists());
}

#[test]
fn missing_binaries_name_what_to_install() {
    let empty = tempfile::tempdir().unwrap();
    let err = find_binaries(&[empty.path().to_path_buf()]).unwrap_err();
    let text = err.to_string();
    assert!(text.contains(&empty.path().display().to_string()), "{text}");
    assert!(text.contains("apt-get install postgresql"), "{text}");
    assert!(text.contains("initdb, pg_ctl, postgres"), "{text}");
}
