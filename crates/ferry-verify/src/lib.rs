//! Watched rollout: after ferry applies a plan, an environment's `[[environment.verify]]` checks
//! decide whether the deployment is *verified*; only a verified deployment makes the release
//! known-good there (and so promotable onward, or a rollback target). A failed check is a result,
//! not an error: [`run`] always returns a [`VerifyReport`] for the ledger; only bad configuration
//! is a [`VerifyError`], raised by [`VerifySpec::from_tables`] before anything is applied.
//!
//! # Configuration
//!
//! ```toml
//! [[environment.verify]]
//! name = "health"                                    # required, unique within the environment
//! command = "curl -fsS http://localhost:8080/health" # run as `sh -c COMMAND` in the work dir
//! # argv = ["./check.sh", "--deep"]                  # …or a program and arguments, no shell parsing
//! timeout = "30s"     # per attempt; default 30s for commands, 10s for http
//! attempts = 3        # tries before the check fails; default 1. Or `retries = 2` (tries after
//!                     # the first): give one of the two, not both
//! interval = "5s"     # pause between attempts, default 5s
//! soak = "2m"         # environment-wide, see below; default none
//!
//! [[environment.verify]]
//! name = "homepage"
//! http = "http://127.0.0.1:8080/"  # plain HTTP/1.1 GET; https:// is refused (use curl in `command`)
//! expect_status = 200              # default 200; or a list: [200, 204]; redirects are not followed
//! body_contains = "ok"             # optional substring of the (first MiB of the) body
//! timeout = "5s"                   # connect + whole response
//! ```
//!
//! Exactly one of `command`, `argv` and `http` per check; any other key is refused, naming the
//! check by position and name. Durations use ferry's format ("90s", "5m", "1h30m").
//!
//! **Soak** is a property of the environment, not of one check: `soak` may be written in any
//! entry (several entries must agree). Once every check has passed, all checks are run again in
//! rounds until the soak has elapsed; rounds are spaced by the shortest check `interval` (at
//! least 1s), and each check gets its usual attempts in every round. A check failing in any round
//! fails verification, and the report names the round. The environment's own `soak` key in
//! `[[environment]]` is a different thing: how long a release must have been verified *upstream*.
//!
//! # Running
//!
//! Checks run one after another, in configuration order. Commands get the caller's environment
//! plus [`VerifyContext::env`] (`FERRY_ENV`, `FERRY_RELEASE`, and `TF_OUTPUT_<NAME>` from
//! [`output_env`]), run in a process group of their own, and are killed with that whole group when
//! they overrun `timeout` ("timed out after 30s"); anything a check leaves running in its group
//! holding its output is killed too. Output (stdout and stderr together) is kept as a ~2 KiB
//! tail. Sensitive Terraform outputs are given to the checks but every occurrence of their value
//! in captured output, details and progress lines is replaced by `(sensitive)`: [`output_env`]
//! lists them in a [`SENSITIVE_VARS`] entry of the same variable list, which [`run`] honours, and
//! [`VerifyContext::sensitive`] can name further values to hide.
//!
//! ```no_run
//! # use std::collections::BTreeMap;
//! # use ferry_verify::*;
//! # fn demo(tables: &[toml::Table], outputs: &BTreeMap<String, serde_json::Value>) -> Result<(), VerifyError> {
//! let spec = VerifySpec::from_tables(tables)?;
//! let mut env = vec![("FERRY_ENV".into(), "staging".into()), ("FERRY_RELEASE".into(), "sha256:…".into())];
//! env.extend(output_env(outputs)); // TF_OUTPUT_* and the sensitive mark
//! let ctx = VerifyContext { env, workdir: "/tmp/work/staging".into(), sensitive: sensitive_values(outputs) };
//! let report = run(&spec, &ctx, &mut |line| eprintln!("  {line}"));
//! if !report.passed { eprintln!("{}", report.summary); }
//! # Ok(()) }
//! ```

mod capture;
mod command;
mod error;
mod http;
mod outputs;
mod parse;
mod redact;
mod report;
mod run;
mod spec;

use std::path::PathBuf;

pub use capture::TAIL_BYTES;
pub use error::VerifyError;
pub use outputs::{output_env, sensitive_values, SENSITIVE_VARS};
pub use redact::REDACTED;
pub use report::{CheckResult, VerifyReport};
pub use run::run;
pub use spec::{
    format_duration, Check, CheckKind, HttpCheck, VerifySpec, DEFAULT_COMMAND_TIMEOUT,
    DEFAULT_HTTP_TIMEOUT, DEFAULT_INTERVAL, MIN_SOAK_SPACING,
};

/// Where and with what the checks run.
#[derive(Debug, Clone, Default)]
pub struct VerifyContext {
    /// Added to ferry's own environment for command checks: `FERRY_ENV`, `FERRY_RELEASE`,
    /// `TF_OUTPUT_<NAME>`… and [`SENSITIVE_VARS`], naming those whose values must stay hidden.
    pub env: Vec<(String, String)>,
    /// Working directory of command checks (the deployment's unpacked release).
    pub workdir: PathBuf,
    /// Further values never to show in details or progress (e.g. [`sensitive_values`]), on top
    /// of those marked through [`SENSITIVE_VARS`].
    pub sensitive: Vec<String>,
}

impl VerifyContext {
    pub fn new(workdir: impl Into<PathBuf>) -> VerifyContext {
        VerifyContext {
            workdir: workdir.into(),
            ..VerifyContext::default()
        }
    }
}

/// The outcome of one try of one check.
#[derive(Debug, Clone)]
struct Attempt {
    passed: bool,
    detail: String,
}

impl Attempt {
    fn failed(detail: String) -> Attempt {
        Attempt {
            passed: false,
            detail,
        }
    }
}
