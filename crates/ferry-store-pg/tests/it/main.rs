#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! The PostgreSQL ledger against the conformance suite on a real server (started by the test in
//! a temporary directory), plus what only a shared database has: several processes' handles
//! writing at once, one winner per claim, one unbroken chain, and errors that never show the
//! password.

use ferry_store::conformance::{self, Fixture, Harness};
use ferry_store::*;
use ferry_store_pg::PgLedger;
use ferry_testkit::PgServer;
use std::sync::Arc;

mod artifacts;
#[path = "../../../ferry-store/tests/it/sealed_suite.rs"]
mod sealed_suite;

/// The shared server, or `None` (with a plain message) where PostgreSQL is not installed.
fn server() -> Option<&'static PgServer> {
    match PgServer::shared() {
        Ok(s) => Some(s),
        Err(e) if std::env::var("FERRY_REQUIRE_PG").as_deref() != Ok("1") => {
            println!("skipped: no PostgreSQL server to test against ({e}); FERRY_REQUIRE_PG=1 makes this a failure");
            None
        }
        Err(e) => panic!("FERRY_REQUIRE_PG=1 but: {e}"),
    }
}

struct Pg(&'static PgServer);

impl Harness for Pg {
    fn fresh(&self) -> Fixture {
        let url = self.0.fresh_database("ledger").unwrap();
        let ledger: Arc<dyn Ledger> = Arc::new(PgLedger::connect(&url).unwrap());
        let reopen_url = url.clone();
        Fixture {
            ledger,
            reopen: Box::new(move || Arc::new(PgLedger::connect(&reopen_url).unwrap())),
            tamper: Box::new(move |sql| {
                let mut c =
                    postgres::Client::connect(&url, postgres::NoTls).map_err(|e| e.to_string())?;
                c.batch_execute(sql).map_err(|e| e.to_string())
            }),
        }
    }
}

#[test]
fn postgres_passes_the_conformance_suite() {
    let Some(server) = server() else { return };
    let failures = conformance::run_all(&Pg(server));
    assert!(failures.is_empty(), "{failures:#?}");
    assert!(conformance::CASES.len() >= 12);
}

fn seeded(url: &str) -> (Arc<PgLedger>, PlanId) {
    let l = Arc::new(PgLedger::connect(url).unwrap());
    let r = conformance::rid('a');
    let p = conformance::pid('b');
    l.record_release(
        &conformance::release(r.clone()),
        &conformance::event("release.created", None),
    )
    .unwrap();
    l.record_plan(
        &conformance::plan(p.clone(), "prod", r),
        &[],
        &[conformance::event("plan.created", Some("prod"))],
    )
    .unwrap();
    (l, p)
}

use ferry_core::PlanId;

#[test]
fn eight_handles_claiming_one_plan_exactly_one_wins_and_the_chain_holds() {
    let Some(server) = server() else { return };
    let url = server.fresh_database("claim").unwrap();
    let (_, plan) = seeded(&url);
    let release = conformance::rid('a');
    let barrier = Arc::new(std::sync::Barrier::new(8));
    let handles: Vec<_> = (0..8)
        .map(|i| {
            let url = url.clone();
            let plan = plan.clone();
            let release = release.clone();
            let barrier = barrier.clone();
            std::thread::spawn(move || {
                // Its own connection, as another `ferry serve` process would have.
                let l = PgLedger::connect(&url).unwrap();
                let mut d = conformance::deployment(plan, release, "prod");
                d.by = format!("runner-{i}");
                barrier.wait();
                l.begin_deployment(&d, &conformance::event("apply.started", Some("prod")))
            })
        })
        .collect();
    let results: Vec<_> = handles.into_iter().map(|h| h.join().unwrap()).collect();
    let won = results.iter().filter(|r| r.is_ok()).count();
    assert_eq!(won, 1, "{results:?}");
    for r in results.iter().filter(|r| r.is_err()) {
        match r {
            Err(StoreError::Conflict(m)) => assert!(m.contains("is being applied"), "{m}"),
            other => panic!("a losing claim is a conflict, not {other:?}"),
        }
    }
    let l = PgLedger::connect(&url).unwrap();
    assert_eq!(l.deployments(Some("prod")).unwrap().len(), 1);
    let report = l.verify().unwrap();
    assert!(report.ok(), "{report:?}");
}

#[test]
fn concurrent_writers_from_many_handles_keep_one_unbroken_chain() {
    let Some(server) = server() else { return };
    let url = server.fresh_database("chain").unwrap();
    let handles: Vec<_> = (0..6)
        .map(|i| {
            let url = url.clone();
            std::thread::spawn(move || {
                let l = PgLedger::connect(&url).unwrap();
                for n in 0..15 {
                    let mut e = conformance::event("note", Some("dev"));
                    e.message = format!("writer {i} note {n}");
                    l.record_event(&e).unwrap();
                }
            })
        })
        .collect();
    for h in handles {
        h.join().unwrap();
    }
    let l = PgLedger::connect(&url).unwrap();
    let events = l.events(None).unwrap();
    assert_eq!(events.len(), 90);
    let seqs: Vec<i64> = events.iter().map(|e| e.seq).collect();
    assert_eq!(seqs, (1..=90).rev().collect::<Vec<_>>());
    let report = l.verify().unwrap();
    assert!(report.ok(), "{report:?}");
    assert_eq!(report.events, 90);
}

#[test]
fn two_processes_opening_a_new_database_migrate_it_once() {
    let Some(server) = server() else { return };
    let url = server.fresh_database("setup").unwrap();
    let handles: Vec<_> = (0..4)
        .map(|_| {
            let url = url.clone();
            std::thread::spawn(move || PgLedger::connect(&url).map(|_| ()))
        })
        .collect();
    for h in handles {
        h.join().unwrap().unwrap();
    }
    let mut c = postgres::Client::connect(&url, postgres::NoTls).unwrap();
    let rows = c
        .query("SELECT version FROM ferry_ledger_schema", &[])
        .unwrap();
    assert_eq!(rows.len(), 1);
    // Migrations: the ledger tables, then the artifact tables.
    assert_eq!(rows[0].get::<_, i64>(0), 3);
}

#[test]
fn a_newer_schema_is_refused_with_the_upgrade_hint() {
    let Some(server) = server() else { return };
    let url = server.fresh_database("newer").unwrap();
    drop(PgLedger::connect(&url).unwrap());
    let mut c = postgres::Client::connect(&url, postgres::NoTls).unwrap();
    c.batch_execute("UPDATE ferry_ledger_schema SET version = 99")
        .unwrap();
    let e = PgLedger::connect(&url).unwrap_err().to_string();
    assert!(
        e.contains("schema 99") && e.contains("upgrade ferry"),
        "{e}"
    );
}

#[test]
fn connection_errors_name_the_database_but_never_the_password() {
    let Some(server) = server() else { return };
    let good = server.url();
    let [_, app_password] = server.secrets();
    let wrong = good.replace(app_password, "not-the-password-zz9");
    let e = PgLedger::connect(&wrong).unwrap_err();
    let text = e.to_string();
    assert!(!text.contains("not-the-password-zz9"), "{text}");
    assert!(!text.contains(app_password), "{text}");
    assert!(
        text.contains(&format!("127.0.0.1:{}/ferry", server.port())),
        "{text}"
    );
    // Nothing listening: unavailable (worth retrying), named without credentials.
    let closed = "postgres://ferry_app:s3cret-zz9@127.0.0.1:1/ferry";
    let e = PgLedger::connect(closed).unwrap_err();
    assert!(matches!(e, StoreError::Unavailable { .. }), "{e:?}");
    assert!(!e.to_string().contains("s3cret-zz9"), "{e}");
    let e = PgLedger::connect("postgres://a:b@host:notaport/db").unwrap_err();
    assert!(
        e.to_string()
            .contains("postgres://USER:PASSWORD@HOST:PORT/DATABASE"),
        "{e}"
    );
}

#[test]
fn a_restarted_connection_is_reopened_on_the_next_call() {
    let Some(server) = server() else { return };
    let url = server.fresh_database("reconnect").unwrap();
    let (l, _) = seeded(&url);
    // Kill every backend of this database, as a server restart or failover would.
    let db = url.rsplit('/').next().unwrap().to_string();
    server
        .admin_execute(&format!(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{db}' AND pid <> pg_backend_pid()"
        ))
        .unwrap();
    // The first call may see the dead connection; the ledger reconnects rather than staying dead.
    let first = l.releases();
    let second = l.releases().unwrap();
    assert_eq!(second.len(), 1, "first call: {first:?}");
}

/// One ledger shared by many threads (a server's requests) reads on several connections at
/// once and never opens more than its pool: writes from all threads still form one chain.
#[test]
fn one_handle_shared_by_sixteen_threads_uses_a_bounded_pool() {
    let Some(server) = server() else { return };
    let url = server.fresh_database("pool").unwrap();
    let l = Arc::new(PgLedger::connect(&url).unwrap());
    let db = url.rsplit('/').next().unwrap().to_string();
    let peak = Arc::new(std::sync::atomic::AtomicI64::new(0));
    let handles: Vec<_> = (0..16)
        .map(|i| {
            let (l, url, db, peak) = (l.clone(), url.clone(), db.clone(), peak.clone());
            std::thread::spawn(move || {
                let mut watch = postgres::Client::connect(&url, postgres::NoTls).unwrap();
                for n in 0..10 {
                    let mut e = conformance::event("note", Some("dev"));
                    e.message = format!("thread {i} note {n}");
                    l.record_event(&e).unwrap();
                    let page = l.events_page(Some("dev"), 5, None).unwrap();
                    assert!(!page.is_empty() && page.len() <= 5);
                    let open: i64 = watch
                        .query_one(
                            "SELECT count(*) FROM pg_stat_activity WHERE datname = $1 AND application_name = 'ferry'",
                            &[&db],
                        )
                        .unwrap()
                        .get(0);
                    peak.fetch_max(open, std::sync::atomic::Ordering::Relaxed);
                }
            })
        })
        .collect();
    for h in handles {
        h.join().unwrap();
    }
    let peak = peak.load(std::sync::atomic::Ordering::Relaxed);
    assert!(
        (2..=8).contains(&peak),
        "several connections at once, never more than the pool of 8: {peak}"
    );
    let report = l.verify().unwrap();
    assert!(report.ok(), "{report:?}");
    assert_eq!(report.events, 160);
}
