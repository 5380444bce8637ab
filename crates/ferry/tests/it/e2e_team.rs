//! Team mode end to end: `ferry serve` on loopback owning the ledger (PostgreSQL, and the
//! embedded SQLite), two separate clones of the repository with their own work directories and
//! no shared files, the pinned Terraform with its own `pg` backend on the test PostgreSQL so
//! both runners really share state, and tokens with roles. Without PostgreSQL's server binaries
//! the tests say so and skip, unless `FERRY_REQUIRE_PG=1`.

use crate::common::{run, std_command, Project};
use ferry_testkit::PgServer;
use serde_json::Value;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

fn pg() -> Option<&'static PgServer> {
    match PgServer::shared() {
        Ok(s) => Some(s),
        Err(e) if std::env::var("FERRY_REQUIRE_PG").as_deref() != Ok("1") => {
            println!("skipped: no PostgreSQL server to test against ({e}); FERRY_REQUIRE_PG=1 makes this a failure");
            None
        }
        Err(e) => panic!("FERRY_REQUIRE_PG=1 but: {e}"),
    }
}

const MAIN_TF: &str = r#"
terraform {
  backend "pg" {}
}

variable "size" {
  type = number
}

resource "null_resource" "app" {
  triggers = {
    size = var.size
  }
}

output "size" {
  value = var.size
}
"#;

/// The state database's URL without its password (lib/pq, inside Terraform's pg backend, takes
/// the password from PGPASSWORD), and the password.
fn split_password(url: &str) -> (String, String) {
    let (scheme, rest) = url.split_once("://").unwrap();
    let (auth, host) = rest.split_once('@').unwrap();
    let (user, password) = auth.split_once(':').unwrap();
    (format!("{scheme}://{user}@{host}"), password.to_string())
}

fn config(schema_prefix: &str, conn_str: &str) -> String {
    let mut text = String::from("[project]\nroot = \"infra\"\n");
    for (name, from, extra) in [
        ("dev", None, "auto_apply = true\n"),
        ("staging", Some("dev"), "auto_apply = true\n"),
        ("prod", Some("staging"), "approvals = 1\n"),
    ] {
        text.push_str(&format!(
            "\n[[environment]]\nname = \"{name}\"\nvar_files = [\"infra/{name}.tfvars\"]\n{}{extra}backend_config = {{ schema_name = \"{schema_prefix}_{name}\", conn_str = \"{conn_str}\" }}\n",
            from.map(|f| format!("from = \"{f}\"\n")).unwrap_or_default()
        ));
    }
    text
}

fn team_project(schema_prefix: &str, state_url: &str) -> Project {
    let (conn_str, _) = split_password(state_url);
    Project::from_files(&[
        ("ferry.toml", &config(schema_prefix, &conn_str)),
        ("infra/main.tf", MAIN_TF),
        ("infra/dev.tfvars", "size = 1\n"),
        ("infra/staging.tfvars", "size = 2\n"),
        ("infra/prod.tfvars", "size = 3\n"),
        (".gitignore", ".ferry/\n"),
    ])
}

/// A second, separate clone of `p`'s repository (its own work tree and data dir).
fn clone_of(p: &Project) -> Project {
    let dir = tempfile::tempdir().unwrap();
    let out = std::process::Command::new("git")
        .args(["clone", "-q"])
        .arg(p.root())
        .arg(dir.path().join("repo"))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    Project { dir }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A plain HTTP GET on loopback: (status, body).
fn http_get(addr: &str, path: &str) -> Option<(u16, String)> {
    let mut s = std::net::TcpStream::connect(addr).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
    )
    .ok()?;
    let mut text = String::new();
    s.read_to_string(&mut text).ok()?;
    let status = text.split_whitespace().nth(1)?.parse().ok()?;
    let body = text.split_once("\r\n\r\n").map(|(_, b)| b.to_string())?;
    Some((status, body))
}

/// `ferry serve` in the background, stopped on drop.
struct Serve {
    child: std::process::Child,
    addr: String,
    ledger_args: Vec<String>,
    _data: tempfile::TempDir,
    probe: Project,
}

impl Drop for Serve {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Serve {
    fn start(ledger: Option<&str>) -> Serve {
        Serve::start_with(ledger, None)
    }

    /// With `key`, the server key is shared (several servers on one database seal plan files
    /// with the same key, or they could not read each other's).
    fn start_with(ledger: Option<&str>, key: Option<&str>) -> Serve {
        let data = tempfile::tempdir().unwrap();
        let mut ledger_args = vec!["--data".to_string(), data.path().display().to_string()];
        if let Some(url) = ledger {
            ledger_args.extend(["--ledger".to_string(), url.to_string()]);
        }
        if let Some(name) = key {
            let file =
                std::env::temp_dir().join(format!("ferry-test-{name}-{}.key", std::process::id()));
            if !file.exists() {
                std::fs::write(&file, "11".repeat(32)).unwrap();
                #[cfg(unix)]
                {
                    use std::os::unix::fs::PermissionsExt;
                    std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o600))
                        .unwrap();
                }
            }
            ledger_args.extend(["--key-file".to_string(), file.display().to_string()]);
        }
        // Any project will do for the binary's environment; the server has no work tree.
        let probe = Project::from_files(&[("README", "x\n")]);
        let addr = format!("127.0.0.1:{}", free_port());
        let mut args: Vec<&str> = vec!["serve", "--listen", &addr];
        args.extend(ledger_args.iter().map(String::as_str));
        let child = std_command(&probe.ferry(&args))
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        let started = Instant::now();
        loop {
            if let Some((200, _)) = http_get(&addr, "/readyz") {
                break;
            }
            assert!(
                started.elapsed() < Duration::from_secs(30),
                "ferry serve did not become ready on {addr}"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
        Serve {
            child,
            addr,
            ledger_args,
            _data: data,
            probe,
        }
    }

    fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// `ferry serve token create --user USER --role R...`: the token, printed once.
    fn token(&self, user: &str, roles: &[&str]) -> String {
        let mut args = vec!["serve", "token", "create", "--user", user];
        for r in roles {
            args.extend(["--role", r]);
        }
        args.extend(self.ledger_args.iter().map(String::as_str));
        let (code, out, err) = run(self.probe.ferry(&args));
        assert_eq!(code, 0, "token create: {out}\n{err}");
        out.trim().to_string()
    }
}

/// A runner: `p`'s clone acting through the server with `token`, state in the pg backend.
struct Runner<'a> {
    p: &'a Project,
    server: String,
    token: String,
    state_url: String,
}

impl Runner<'_> {
    fn cmd(&self, args: &[&str]) -> assert_cmd::Command {
        let mut c = self.p.ferry(args);
        c.env("FERRY_SERVER", &self.server)
            .env("FERRY_TOKEN", &self.token)
            .env("PGPASSWORD", split_password(&self.state_url).1)
            // Nothing self-asserted counts in team mode.
            .env("FERRY_USER", "somebody-else@example.com");
        c
    }

    fn run(&self, args: &[&str]) -> (i32, String, String) {
        run(self.cmd(args))
    }

    fn ok(&self, args: &[&str]) -> String {
        let (code, out, err) = self.run(args);
        assert_eq!(code, 0, "ferry {args:?} failed:\n{out}\n{err}");
        out
    }

    fn json(&self, args: &[&str]) -> Value {
        let mut full = vec!["--format", "json"];
        full.extend_from_slice(args);
        serde_json::from_str(&self.ok(&full)).unwrap()
    }
}

/// Rows of `schema.states` (Terraform's pg backend) on the state database.
fn state_rows(state_url: &str, schema: &str) -> i64 {
    let url = state_url.split('?').next().unwrap();
    let mut c = postgres::Client::connect(url, postgres::NoTls).unwrap();
    c.query_one(&format!("SELECT count(*) FROM {schema}.states"), &[])
        .unwrap()
        .get(0)
}

fn env_status<'a>(status: &'a Value, env: &str) -> &'a Value {
    status["environments"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["env"] == env || e["name"] == env)
        .unwrap_or_else(|| panic!("no {env} in {status}"))
}

fn story(ledger: Option<String>, schema_prefix: &str) {
    let Some(pg) = pg() else { return };
    let state_url = format!("{}?sslmode=disable", pg.fresh_database("tfstate").unwrap());
    let server = Serve::start(ledger.as_deref());
    let alice = server.token("alice", &["planner:*", "applier:*", "approver:*"]);
    let bob = server.token("bob", &["approver:prod"]);
    let a_repo = team_project(schema_prefix, &state_url);
    let b_repo = clone_of(&a_repo);
    let a = Runner {
        p: &a_repo,
        server: server.url(),
        token: alice.clone(),
        state_url: state_url.clone(),
    };
    let b = Runner {
        p: &b_repo,
        server: server.url(),
        token: bob.clone(),
        state_url: state_url.clone(),
    };

    let release = a.json(&["release", "create"])["id"]
        .as_str()
        .unwrap()
        .to_string();
    let dev = a.json(&["promote", "--to", "dev"]);
    assert_eq!(dev["deployment"]["status"], "succeeded", "{dev}");
    assert_eq!(dev["deployment"]["verified"], true);
    assert_eq!(dev["deployment"]["by"], "alice");
    let staging = a.json(&["promote", "--to", "staging"]);
    assert_eq!(staging["deployment"]["status"], "succeeded", "{staging}");
    assert_eq!(
        staging["plan"]["baseline"], dev["plan"]["plan"],
        "staging is compared with what dev applied"
    );

    // Prod waits for a person; the server computed the review and the gate.
    let (code, out, err) = a.run(&["--format", "json", "promote", "--to", "prod"]);
    assert_eq!(code, 3, "prod waits for approval:\n{out}\n{err}");
    let status = a.json(&["status", "--env", "prod"]);
    let plan = env_status(&status, "prod")["pending_plan"]["id"]
        .as_str()
        .unwrap_or_else(|| panic!("no pending prod plan in {status}"))
        .to_string();

    // A planned it: separation of duties refuses A's approval though A has the approver role.
    let (code, out, err) = a.run(&["approve", "--env", "prod", "--plan", &plan]);
    assert_ne!(code, 0, "self-approval must be refused:\n{out}\n{err}");
    let said = format!("{out}{err}");
    assert!(
        !said.contains("forbidden") && !said.contains("role"),
        "refused by separation of duties, not by a missing role: {said}"
    );
    assert!(said.contains("alice"), "{said}");

    // B, from another clone with only the approver role on prod, approves that exact plan.
    let approved = b.json(&["approve", "--env", "prod", "--plan", &plan]);
    assert_eq!(approved["approval"]["by"], "bob", "{approved}");
    // B may not apply: the role is missing, and the error names it.
    let (code, _, err) = b.run(&["apply", "--env", "prod", "--plan", &plan]);
    assert_eq!(code, 1);
    assert!(err.contains("applier:prod"), "{err}");

    let prod = a.json(&["apply", "--env", "prod", "--plan", &plan]);
    assert_eq!(prod["status"], "succeeded", "{prod}");
    assert_eq!(prod["release"], release);

    // Both clones see the same record.
    let sa = a.json(&["status"]);
    let sb = b.json(&["status"]);
    assert_eq!(sa, sb);
    assert_eq!(a.json(&["history"]), b.json(&["history"]));
    let history = a.json(&["history"]);
    let actors: std::collections::BTreeSet<&str> = history
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|e| e["actor"].as_str())
        .collect();
    assert!(
        actors.contains("alice") && actors.contains("bob"),
        "{actors:?}"
    );
    assert!(
        !actors.contains("somebody-else@example.com"),
        "identities are the tokens', never self-asserted: {actors:?}"
    );

    // State is in the pg backend, one workspace per environment, not in either clone.
    for env in ["dev", "staging", "prod"] {
        assert_eq!(
            state_rows(&state_url, &format!("{schema_prefix}_{env}")),
            1,
            "{env}"
        );
    }
    for p in [&a_repo, &b_repo] {
        assert!(!has_state_file(&p.root().join(".ferry")), "no local state");
    }
}

fn has_state_file(dir: &Path) -> bool {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return false;
    };
    entries.flatten().any(|e| {
        let path: PathBuf = e.path();
        if path.is_dir() {
            // `.terraform/terraform.tfstate` is the backend's settings, not state.
            e.file_name() != ".terraform" && has_state_file(&path)
        } else {
            path.file_name()
                .is_some_and(|n| n.to_string_lossy().ends_with(".tfstate"))
                && std::fs::metadata(&path).is_ok_and(|m| m.len() > 0)
        }
    })
}

#[test]
fn two_clones_promote_through_a_server_on_postgresql() {
    let Some(pg) = pg() else { return };
    let ledger = pg.fresh_database("ledger").unwrap();
    story(Some(ledger), "pgl");
}

#[test]
fn two_clones_promote_through_a_server_on_embedded_sqlite() {
    story(None, "sql");
}

/// Eight runners in eight clones promote the same environment at once, half through one
/// `ferry serve` and half through another on the same database: one holds the lease and
/// applies; the others are refused at once, naming the holder; the plan is applied once.
#[test]
fn eight_runners_at_once_one_lease_holder_and_no_plan_applied_twice() {
    let Some(pg) = pg() else { return };
    let state_url = format!("{}?sslmode=disable", pg.fresh_database("tfstate").unwrap());
    let ledger = pg.fresh_database("ledger").unwrap();
    let server = Serve::start_with(Some(&ledger), Some("race-key"));
    let other = Serve::start_with(Some(&ledger), Some("race-key"));
    let token = server.token("ci", &["planner:*", "applier:*"]);
    let origin = team_project("race", &state_url);
    let first = Runner {
        p: &origin,
        server: server.url(),
        token: token.clone(),
        state_url: state_url.clone(),
    };
    first.ok(&["release", "create"]);
    let clones: Vec<Project> = (0..8).map(|_| clone_of(&origin)).collect();
    let children: Vec<std::process::Child> = clones
        .iter()
        .enumerate()
        .map(|(i, p)| {
            let r = Runner {
                p,
                server: if i % 2 == 0 {
                    server.url()
                } else {
                    other.url()
                },
                token: token.clone(),
                state_url: state_url.clone(),
            };
            std_command(&r.cmd(&["promote", "--to", "dev"]))
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    let results: Vec<(i32, String)> = children
        .into_iter()
        .map(|c| {
            let out = c.wait_with_output().unwrap();
            (
                out.status.code().unwrap_or(-1),
                String::from_utf8_lossy(&out.stderr).to_string(),
            )
        })
        .collect();
    let won = results.iter().filter(|(c, _)| *c == 0).count();
    assert_eq!(won, 1, "exactly one runner promotes: {results:#?}");
    for (code, err) in results.iter().filter(|(c, _)| *c != 0) {
        assert_eq!(*code, 1, "{err}");
        assert!(
            err.contains("locked") && err.contains("ci (") && err.contains("promote"),
            "the refusal names the holder and what it does: {err}"
        );
    }
    let history = first.json(&["history", "--env", "dev"]);
    let applied = history
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["kind"] == "deployment.succeeded")
        .count();
    assert_eq!(applied, 1, "no plan applied twice: {history}");
    let claims = history
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["kind"] == "deployment.started")
        .count();
    assert_eq!(claims, 1);
}
