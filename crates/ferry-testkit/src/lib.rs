//! Test support for the crates that talk to PostgreSQL (migrations, the PostgreSQL ledger, the team
//! server): [`PgServer::start`] runs a real PostgreSQL server — `initdb`, `pg_ctl`, `postgres` —
//! in its own temporary directory on a free loopback port, with password authentication and
//! generated passwords, and stops it when dropped. The developers' guide asks end-to-end tests to
//! use the real database rather than a stand-in; this crate makes that cheap enough to do
//! everywhere. It is a dev-dependency only (`publish = false`).
//!
//! Every server has two roles: a superuser `ferry_admin` ([`PgServer::admin_url`]) and an ordinary
//! role `ferry_app` with `CREATEDB` that owns the database `ferry` ([`PgServer::url`]) and every
//! database made by [`PgServer::create_database`]. Tests run in parallel: each server has its own
//! directory, socket directory and port, and a port taken by someone else between probing and
//! binding is retried with another.
//!
//! Cleanup does not depend on the test finishing well: `Drop` stops the server (also while a
//! panic unwinds), and a small watchdog process stops it and removes its directory when the test
//! process goes away without dropping it (killed, or a [`PgServer::shared`] server at exit).
//!
//! PostgreSQL refuses to run as root, so under root (CI, containers) the server runs as the
//! `postgres` user when it exists, else as `nobody`.

mod binaries;
pub mod chat;

pub use binaries::{default_search_dirs, find_binaries};

use std::io::Write;
use std::net::TcpListener;
use std::os::unix::fs::PermissionsExt;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::OnceLock;

const ADMIN_ROLE: &str = "ferry_admin";
const APP_ROLE: &str = "ferry_app";
const APP_DATABASE: &str = "ferry";
/// How often a start is retried when the probed port was taken before the server bound it.
const PORT_ATTEMPTS: usize = 5;

#[derive(Debug, thiserror::Error)]
pub enum PgServerError {
    #[error(
        "PostgreSQL server binaries (initdb, pg_ctl, postgres) were not found in {searched}; \
         install PostgreSQL 15 or newer (Debian/Ubuntu: `apt-get install postgresql`, \
         macOS: `brew install postgresql@15`)"
    )]
    NotInstalled { searched: String },
    #[error("{what}: {source}")]
    Io {
        what: String,
        #[source]
        source: std::io::Error,
    },
    #[error("{what} failed: {detail}")]
    Command { what: String, detail: String },
    #[error("connecting to the test server as {role}: {message}")]
    Connect { role: String, message: String },
    #[error("invalid database name '{0}': use lowercase letters, digits and '_'")]
    BadName(String),
    #[error("the shared test server could not start: {0}")]
    Shared(String),
}

fn io(what: impl Into<String>) -> impl FnOnce(std::io::Error) -> PgServerError {
    let what = what.into();
    move |source| PgServerError::Io { what, source }
}

/// A running throwaway PostgreSQL server. Stopped and deleted on drop.
pub struct PgServer {
    // Dropped last (fields drop in declaration order after `Drop::drop`), removing the directory
    // once the server is stopped.
    bin: PathBuf,
    data: PathBuf,
    port: u16,
    admin_password: String,
    app_password: String,
    run_as: Option<(u32, u32)>,
    watchdog: Option<Child>,
    next_db: AtomicU32,
    dir: tempfile::TempDir,
}

impl std::fmt::Debug for PgServer {
    // Passwords stay out of test output, even in a failed assertion's Debug dump.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PgServer")
            .field("port", &self.port)
            .field("data", &self.data)
            .finish_non_exhaustive()
    }
}

impl PgServer {
    /// Initialises and starts a new server found by [`default_search_dirs`].
    pub fn start() -> Result<PgServer, PgServerError> {
        let bin = find_binaries(&default_search_dirs())?;
        Self::start_with(&bin)
    }

    /// Like [`PgServer::start`] with the directory holding `initdb`, `pg_ctl` and `postgres`.
    pub fn start_with(bin: &Path) -> Result<PgServer, PgServerError> {
        let run_as = unprivileged_user()?;
        // Under root the server runs as another user, who may not reach root's own $TMPDIR.
        let parent = match run_as {
            Some(_) if Path::new("/tmp").is_dir() => PathBuf::from("/tmp"),
            _ => std::env::temp_dir(),
        };
        let dir = tempfile::Builder::new()
            .prefix("ferry-pg-")
            .tempdir_in(parent)
            .map_err(io("creating the server's temporary directory"))?;
        chown(dir.path(), run_as)?;
        let data = dir.path().join("data");
        let admin_password = random_secret()?;
        let app_password = random_secret()?;

        let pwfile = dir.path().join("pwfile");
        write_private(&pwfile, &admin_password)?;
        chown(&pwfile, run_as)?;
        let mut initdb = Command::new(bin.join("initdb"));
        initdb
            .arg("-D")
            .arg(&data)
            .args(["-U", ADMIN_ROLE, "--auth=scram-sha-256", "-E", "UTF8"])
            .args(["--locale=C", "--no-sync"])
            .arg(format!("--pwfile={}", pwfile.display()));
        let out = run(&mut initdb, run_as, "initdb");
        let _ = std::fs::remove_file(&pwfile);
        check(out?, "initdb")?;

        let mut server = PgServer {
            bin: bin.to_path_buf(),
            data,
            port: 0,
            admin_password,
            app_password,
            run_as,
            watchdog: None,
            next_db: AtomicU32::new(0),
            dir,
        };
        server.start_postgres()?;
        server.watchdog = Some(server.spawn_watchdog()?);
        server.create_app_role()?;
        Ok(server)
    }

    /// One server per test process, started on first use. Its tests isolate themselves with
    /// [`PgServer::fresh_database`]. It is never dropped; the watchdog stops it when the
    /// process exits.
    pub fn shared() -> Result<&'static PgServer, PgServerError> {
        static SHARED: OnceLock<Result<PgServer, String>> = OnceLock::new();
        SHARED
            .get_or_init(|| PgServer::start().map_err(|e| e.to_string()))
            .as_ref()
            .map_err(|e| PgServerError::Shared(e.clone()))
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// The directory with the server binaries (and, on Debian, `pg_dump` and `psql`).
    pub fn bin_dir(&self) -> &Path {
        &self.bin
    }

    /// The data directory (for tests that check cleanup).
    pub fn data_dir(&self) -> &Path {
        &self.data
    }

    /// The ordinary role `ferry_app` on its database `ferry`.
    pub fn url(&self) -> String {
        self.url_for(APP_DATABASE)
    }

    /// The ordinary role `ferry_app` on database `db`.
    pub fn url_for(&self, db: &str) -> String {
        format!(
            "postgres://{APP_ROLE}:{}@127.0.0.1:{}/{db}",
            self.app_password, self.port
        )
    }

    /// The superuser `ferry_admin` on database `postgres`.
    pub fn admin_url(&self) -> String {
        format!(
            "postgres://{ADMIN_ROLE}:{}@127.0.0.1:{}/postgres",
            self.admin_password, self.port
        )
    }

    /// The passwords, so tests can assert that they never appear in output.
    pub fn secrets(&self) -> [&str; 2] {
        [&self.admin_password, &self.app_password]
    }

    /// Creates database `name` owned by `ferry_app`; returns its URL.
    pub fn create_database(&self, name: &str) -> Result<String, PgServerError> {
        if name.is_empty()
            || !name
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
        {
            return Err(PgServerError::BadName(name.to_string()));
        }
        self.admin_execute(&format!("CREATE DATABASE {name} OWNER {APP_ROLE}"))?;
        Ok(self.url_for(name))
    }

    /// Creates a database named `prefix_N`, unique on this server; returns its URL.
    pub fn fresh_database(&self, prefix: &str) -> Result<String, PgServerError> {
        let n = self.next_db.fetch_add(1, Ordering::Relaxed);
        self.create_database(&format!("{prefix}_{n}"))
    }

    /// Runs SQL as the superuser on database `postgres` (one simple-protocol batch, so several
    /// statements share an implicit transaction).
    pub fn admin_execute(&self, sql: &str) -> Result<(), PgServerError> {
        let mut client =
            postgres::Client::connect(&self.admin_url(), postgres::NoTls).map_err(|e| {
                PgServerError::Connect {
                    role: ADMIN_ROLE.into(),
                    message: e.to_string(),
                }
            })?;
        client
            .batch_execute(sql)
            .map_err(|e| PgServerError::Command {
                what: "admin SQL".into(),
                detail: e
                    .as_db_error()
                    .map_or_else(|| e.to_string(), |db| db.message().to_string()),
            })
    }

    /// Stops the server now (also done on drop).
    pub fn stop(mut self) -> Result<(), PgServerError> {
        let out = self.pg_ctl_stop();
        if let Some(mut w) = self.watchdog.take() {
            let _ = w.kill();
            let _ = w.wait();
        }
        check(out?, "pg_ctl stop").map(|_| ())
    }

    fn start_postgres(&mut self) -> Result<(), PgServerError> {
        let log = self.dir.path().join("server.log");
        let mut last = String::new();
        for _ in 0..PORT_ATTEMPTS {
            let port = free_port()?;
            // fsync and friends off: the data is thrown away, and tests are what we wait for.
            let options = format!(
                "-p {port} -c listen_addresses=127.0.0.1 -k {} -c fsync=off \
                 -c synchronous_commit=off -c full_page_writes=off -c max_connections=50",
                self.dir.path().display()
            );
            let mut cmd = Command::new(self.bin.join("pg_ctl"));
            cmd.arg("-D")
                .arg(&self.data)
                .arg("-l")
                .arg(&log)
                .args(["-w", "-t", "60", "-o", &options, "start"]);
            let out = run(&mut cmd, self.run_as, "pg_ctl start")?;
            if out.status.success() {
                self.port = port;
                return Ok(());
            }
            let log_text = std::fs::read_to_string(&log).unwrap_or_default();
            last = format!("{}\n{}", output_text(&out), tail(&log_text, 20));
            if !log_text.contains("could not bind") && !log_text.contains("already in use") {
                break;
            }
        }
        Err(PgServerError::Command {
            what: "pg_ctl start".into(),
            detail: last,
        })
    }

    /// A shell waiting on a pipe from this process: end of file (this process exited, however)
    /// stops the server and removes its directory. It ignores the terminal's signals so a Ctrl-C
    /// on the test run still reaches the cleanup.
    fn spawn_watchdog(&self) -> Result<Child, PgServerError> {
        let mut cmd = Command::new("sh");
        cmd.arg("-c")
            .arg(
                "trap '' INT TERM HUP; read _ignored; \
                 \"$0\" -D \"$1\" -m immediate -w stop >/dev/null 2>&1; rm -rf \"$2\"",
            )
            .arg(self.bin.join("pg_ctl"))
            .arg(&self.data)
            .arg(self.dir.path())
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        if let Some((uid, gid)) = self.run_as {
            cmd.uid(uid).gid(gid);
        }
        cmd.spawn().map_err(io("starting the server watchdog"))
    }

    fn create_app_role(&self) -> Result<(), PgServerError> {
        // Two calls: CREATE DATABASE refuses to share a (implicit) transaction.
        self.admin_execute(&format!(
            "CREATE ROLE {APP_ROLE} LOGIN CREATEDB PASSWORD '{}'",
            self.app_password
        ))?;
        self.admin_execute(&format!("CREATE DATABASE {APP_DATABASE} OWNER {APP_ROLE}"))
    }

    fn pg_ctl_stop(&self) -> Result<Output, PgServerError> {
        let mut cmd = Command::new(self.bin.join("pg_ctl"));
        cmd.arg("-D")
            .arg(&self.data)
            .args(["-m", "immediate", "-w", "stop"]);
        run(&mut cmd, self.run_as, "pg_ctl stop")
    }
}

impl Drop for PgServer {
    fn drop(&mut self) {
        if self.port != 0 {
            let _ = self.pg_ctl_stop();
        }
        if let Some(mut w) = self.watchdog.take() {
            let _ = w.kill();
            let _ = w.wait();
        }
        // `dir` (a TempDir) is removed after this, with the server already gone.
    }
}

fn run(cmd: &mut Command, run_as: Option<(u32, u32)>, what: &str) -> Result<Output, PgServerError> {
    if let Some((uid, gid)) = run_as {
        cmd.uid(uid).gid(gid);
    }
    cmd.stdin(Stdio::null())
        .output()
        .map_err(io(format!("running {what}")))
}

fn check(out: Output, what: &str) -> Result<Output, PgServerError> {
    if out.status.success() {
        Ok(out)
    } else {
        Err(PgServerError::Command {
            what: what.into(),
            detail: output_text(&out),
        })
    }
}

fn output_text(out: &Output) -> String {
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    format!("{} ({})", tail(&text, 20).trim(), out.status)
}

fn tail(text: &str, lines: usize) -> String {
    let all: Vec<&str> = text.lines().collect();
    all[all.len().saturating_sub(lines)..].join("\n")
}

fn free_port() -> Result<u16, PgServerError> {
    let listener =
        TcpListener::bind("127.0.0.1:0").map_err(io("probing for a free loopback port"))?;
    let port = listener
        .local_addr()
        .map_err(io("probing for a free loopback port"))?
        .port();
    Ok(port)
}

fn random_secret() -> Result<String, PgServerError> {
    let mut bytes = [0u8; 16];
    let mut f = std::fs::File::open("/dev/urandom").map_err(io("opening /dev/urandom"))?;
    std::io::Read::read_exact(&mut f, &mut bytes).map_err(io("reading /dev/urandom"))?;
    Ok(bytes.iter().map(|b| format!("{b:02x}")).collect())
}

fn write_private(path: &Path, text: &str) -> Result<(), PgServerError> {
    let mut f = std::fs::File::create(path).map_err(io(format!("writing {}", path.display())))?;
    f.set_permissions(std::fs::Permissions::from_mode(0o600))
        .map_err(io(format!("restricting {}", path.display())))?;
    f.write_all(text.as_bytes())
        .map_err(io(format!("writing {}", path.display())))
}

fn chown(path: &Path, run_as: Option<(u32, u32)>) -> Result<(), PgServerError> {
    match run_as {
        Some((uid, gid)) => std::os::unix::fs::chown(path, Some(uid), Some(gid))
            .map_err(io(format!("handing {} to uid {uid}", path.display()))),
        None => Ok(()),
    }
}

/// `None` when this process may run PostgreSQL itself; under root, the uid/gid to run it as.
fn unprivileged_user() -> Result<Option<(u32, u32)>, PgServerError> {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let euid = status
        .lines()
        .find_map(|l| l.strip_prefix("Uid:"))
        .and_then(|rest| rest.split_whitespace().nth(1))
        .and_then(|v| v.parse::<u32>().ok());
    if euid != Some(0) {
        return Ok(None);
    }
    for user in ["postgres", "nobody"] {
        if let (Some(uid), Some(gid)) = (id_of(user, "-u"), id_of(user, "-g")) {
            return Ok(Some((uid, gid)));
        }
    }
    Err(PgServerError::Command {
        what: "finding an unprivileged user to run PostgreSQL as (it refuses root)".into(),
        detail: "neither `postgres` nor `nobody` exists".into(),
    })
}

fn id_of(user: &str, flag: &str) -> Option<u32> {
    let out = Command::new("id").args([flag, user]).output().ok()?;
    if !out.status.success() {
        return None;
    }
    String::from_utf8_lossy(&out.stdout).trim().parse().ok()
}
