//! The command-line contract of DESIGN.md, as clap types.

use crate::output::Format;
use clap::{Args, Parser, Subcommand};
use std::path::PathBuf;

#[derive(Debug, Parser)]
#[command(
    name = "ferry",
    version,
    about = "Promote one immutable IaC release from dev to staging to prod, safely."
)]
pub struct Cli {
    /// Project directory (default: search upward for ferry.toml).
    #[arg(short = 'C', global = true, value_name = "DIR")]
    pub dir: Option<PathBuf>,
    /// Output format of commands that report.
    #[arg(long, global = true, value_enum, default_value_t = Format::Human)]
    pub format: Format,
    /// More log output on stderr (-v info, -vv debug).
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Scaffold or validate ferry.toml and the project layout.
    Init(InitArgs),
    /// Build, list, inspect and abandon releases.
    #[command(subcommand)]
    Release(ReleaseCommand),
    /// Plan a release for an environment.
    Plan(PlanArgs),
    /// Review a plan: a plan JSON file, or an environment's pending plan.
    Review(ReviewArgs),
    /// Approve one exact plan of an environment.
    Approve(ApproveArgs),
    /// Record a "no" for an environment's pending plan.
    Reject(RejectArgs),
    /// Apply exactly an approved plan.
    Apply(ApplyArgs),
    /// Plan, review, check gates, apply and verify, in one go.
    Promote(PromoteArgs),
    /// Promote the previous known-good release back into an environment.
    Rollback(RollbackArgs),
    /// Plan (and optionally apply) the rollback of an environment to see whether it would work.
    Rehearse(RehearseArgs),
    /// Release a stale environment lock.
    Unlock(UnlockArgs),
    /// Remove old plans' artifacts beyond `[project] keep_plans` per environment.
    Gc,
    /// Per environment: current release, last deployment, pending plan, unmet gates.
    Status(EnvFilter),
    /// The ledger's record, newest first.
    History(EnvFilter),
    /// Audit environment inputs and topology: quantity may differ, kind may not.
    Audit(AuditArgs),
    /// Evaluate or test policies.
    #[command(subcommand)]
    Policy(PolicyCommand),
    /// Run the whole pipeline on the bundled example, with narration.
    Demo(DemoArgs),
    /// Check the ledger's integrity.
    #[command(subcommand)]
    Ledger(LedgerCommand),
    /// Team mode: serve the ledger and artifacts over HTTP; manage its tokens and schema.
    Serve(ServeArgs),
    /// Generate or check the CI pipeline (GitHub Actions, GitLab CI) from ferry.toml.
    #[command(subcommand)]
    Ci(CiCommand),
    /// Re-plan an environment's running release: resources changed outside IaC (exit 3).
    Drift(DriftArgs),
    /// Ask an AI advisor about a plan (or print the prompt to paste): untrusted advice, never an approval.
    Advise(AdviseArgs),
    /// The prompt library: built-in templates and the project's prompts/.
    #[command(subcommand)]
    Prompt(PromptCommand),
    /// Print a shell completion script.
    Completions(CompletionsArgs),
    /// Print the JSON Schema of ferry.toml (for editors).
    Schema,
    /// SQL schema migrations: review, status, plan, approve, apply, rehearse.
    #[command(subcommand)]
    Migrate(MigrateCommand),
}

#[derive(Debug, Subcommand)]
pub enum CiCommand {
    /// Write the pipeline ferry.toml describes (`--check`: compare instead; exit 3 when stale).
    Generate {
        #[arg(long, value_name = "github|gitlab")]
        provider: String,
        /// Output path inside the repository (default: the provider's usual file).
        #[arg(long, value_name = "PATH")]
        out: Option<PathBuf>,
        /// Write nothing; exit 3 with the diff when the file differs from what would be written.
        #[arg(long)]
        check: bool,
    },
    /// Check every pipeline ferry generated in the repository against ferry.toml (exit 3 when stale).
    Check,
}

#[derive(Debug, Args)]
pub struct DriftArgs {
    #[arg(long)]
    pub env: String,
    /// Release to compare with (default: the release the environment runs).
    #[arg(long)]
    pub release: Option<String>,
}

#[derive(Debug, Args)]
pub struct CompletionsArgs {
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
}

#[derive(Debug, Subcommand)]
pub enum MigrateCommand {
    /// Safety and backward-compatibility review of SQL files or directories (no project needed);
    /// exit 3 on block.
    Check {
        #[arg(required = true, value_name = "PATH")]
        paths: Vec<PathBuf>,
        /// Print the filled migration-safety prompt for an AI assistant instead of the review (exit 0).
        #[arg(long)]
        prompt: bool,
        /// The prompt template to fill (default: migration-safety).
        #[arg(long, value_name = "NAME", requires = "prompt")]
        template: Option<String>,
    },
    /// Each migration of the release's sets against the environment's database history.
    Status(MigrateTarget),
    /// The pending migrations, their review, their digest and the gates they have yet to pass.
    Plan(MigrateTarget),
    /// Approve one exact migration plan (its digest, from `ferry migrate plan`).
    Approve(MigrateApproveArgs),
    /// Apply the pending migrations, in order, once every gate passes.
    Apply(MigrateTarget),
    /// Apply the pending migrations to a scratch copy of the schema and run the compat queries
    /// of the deployed release and its rollback target; exit 3 when any fails.
    Rehearse(MigrateTarget),
}

#[derive(Debug, Args)]
pub struct MigrateTarget {
    #[arg(long)]
    pub env: String,
    /// The release whose migration files to use (default: the newest not abandoned).
    #[arg(long)]
    pub release: Option<String>,
    /// Only this [[migration]] set (default: every set).
    #[arg(long)]
    pub set: Option<String>,
}

#[derive(Debug, Args)]
pub struct MigrateApproveArgs {
    #[command(flatten)]
    pub target: MigrateTarget,
    /// The digest of the migration plan you read (`ferry migrate plan --env ENV`).
    #[arg(long, value_name = "DIGEST")]
    pub plan: String,
    /// Accept the plan's acknowledged contract statements (`-- ferry:contract <reason>`).
    #[arg(long)]
    pub acknowledge_contract: bool,
}

#[derive(Debug, Subcommand)]
pub enum LedgerCommand {
    /// Recompute the hash chain and check every row it covers (exit 3 if broken).
    Verify(LedgerVerifyArgs),
}

#[derive(Debug, Args)]
pub struct ServeArgs {
    #[command(subcommand)]
    pub command: Option<ServeCommand>,
    /// Where to listen.
    #[arg(long, default_value = "127.0.0.1:7700")]
    pub listen: String,
    /// The ledger: sqlite:PATH (default: DATA/ledger.db) or postgres://USER:PASSWORD@HOST/DB.
    /// Prefer the FERRY_LEDGER variable for a URL with a password.
    #[arg(long, env = "FERRY_LEDGER", hide_env_values = true, global = true)]
    pub ledger: Option<String>,
    /// The server's data directory: the embedded ledger, artifacts, the server key.
    #[arg(long, default_value = ".ferry-server", global = true)]
    pub data: std::path::PathBuf,
    /// The server key sealing plan files at rest (32 bytes, hex or base64, mode 0600); else
    /// FERRY_SERVER_KEY, else DATA/server.key (made on first start).
    #[arg(long, global = true)]
    pub key_file: Option<std::path::PathBuf>,
    /// TLS certificate chain (PEM); with --tls-key.
    #[arg(long)]
    pub tls_cert: Option<std::path::PathBuf>,
    /// TLS private key (PEM).
    #[arg(long)]
    pub tls_key: Option<std::path::PathBuf>,
    /// The largest upload (a release bundle, a plan file or plan JSON), in bytes.
    #[arg(long, default_value_t = 512 * 1024 * 1024)]
    pub max_upload: u64,
    /// How long a runner's lease lasts without renewal, in seconds.
    #[arg(long, default_value_t = 120, value_parser = clap::value_parser!(u64).range(1..=86_400))]
    pub lease_seconds: u64,
    /// Trusted-proxy mode (off by default): the header an SSO proxy names the user in.
    #[arg(long)]
    pub trusted_proxy_header: Option<String>,
    /// The proxy's address or CIDR; the header is believed only from there.
    #[arg(long)]
    pub trusted_proxy_from: Vec<String>,
    /// Roles of a proxy user: USER=ROLE[:ENV], repeatable.
    #[arg(long)]
    pub proxy_role: Vec<String>,
}

#[derive(Debug, Subcommand)]
pub enum ServeCommand {
    /// API tokens of the server's users.
    #[command(subcommand)]
    Token(TokenCommand),
    /// Bring the ledger's schema up to date and print its version.
    Migrate,
}

#[derive(Debug, Subcommand)]
pub enum TokenCommand {
    /// Make a token (printed once on stdout; only its hash is stored).
    Create {
        #[arg(long)]
        user: String,
        /// ROLE[:ENV] with ROLE one of viewer, planner, applier, approver, admin; repeatable.
        #[arg(long = "role", required = true)]
        roles: Vec<String>,
        /// How long it is valid: 90d, 12h, 30m.
        #[arg(long, default_value = "90d")]
        expires: String,
    },
    /// The tokens (never the tokens themselves).
    List,
    /// Revoke a token by its id (from `list`).
    Revoke { id: i64 },
}

#[derive(Debug, Args)]
pub struct LedgerVerifyArgs {
    /// A ledger to verify instead of this project's: sqlite:PATH or
    /// postgres://USER:PASSWORD@HOST:PORT/DB. Prefer the FERRY_LEDGER variable for a URL with a
    /// password (command lines are visible to other users).
    #[arg(long, env = "FERRY_LEDGER", hide_env_values = true)]
    pub ledger: Option<String>,
}

#[derive(Debug, Args)]
pub struct InitArgs {
    /// Only validate an existing ferry.toml; write nothing.
    #[arg(long)]
    pub check: bool,
}

#[derive(Debug, Subcommand)]
pub enum ReleaseCommand {
    /// Build a release from a clean commit and print its id.
    Create {
        /// Commit to release (default HEAD).
        #[arg(long, value_name = "REV")]
        commit: Option<String>,
        /// Release from a dirty work tree (marked dirty; may not go past the first environment).
        #[arg(long)]
        allow_dirty: bool,
    },
    /// List releases, newest first.
    List,
    /// Show one release.
    Show { id: String },
    /// Bar a release from being promoted or rolled back to.
    Abandon {
        id: String,
        #[arg(long)]
        reason: String,
    },
}

#[derive(Debug, Args)]
pub struct PlanArgs {
    #[arg(long)]
    pub env: String,
    /// Release to plan (default: the newest eligible for the environment).
    #[arg(long)]
    pub release: Option<String>,
    /// Plan for review only (a pull request): no entry gates, nothing pending, never approvable.
    #[arg(long)]
    pub speculative: bool,
    /// Findings listed for people (human, markdown); JSON lists all.
    #[arg(long, value_name = "N")]
    pub max_findings: Option<usize>,
}

#[derive(Debug, Args)]
pub struct AdviseArgs {
    #[arg(long)]
    pub env: String,
    /// The plan to advise on (default: the environment's pending plan).
    #[arg(long)]
    pub plan: Option<String>,
    /// The prompt template to fill (default: plan-review).
    #[arg(long, value_name = "NAME")]
    pub template: Option<String>,
}

#[derive(Debug, Subcommand)]
pub enum PromptCommand {
    /// Every template in effect: name, version, where it comes from.
    List,
    /// A template as written (front matter and body).
    Show { name: String },
}

#[derive(Debug, Args)]
pub struct ReviewArgs {
    /// A plan JSON file (`terraform show -json`); works without a project.
    pub plan: Option<PathBuf>,
    /// The lower environment's plan JSON to compare against.
    #[arg(long, requires = "plan")]
    pub baseline: Option<PathBuf>,
    /// ferry.toml whose [review] settings apply (with PLAN).
    #[arg(long, requires = "plan")]
    pub config: Option<PathBuf>,
    /// Review this environment's pending plan.
    #[arg(long, conflicts_with = "plan")]
    pub env: Option<String>,
    /// Findings listed for people (human, markdown); the count left out is stated. JSON lists all.
    #[arg(long, value_name = "N")]
    pub max_findings: Option<usize>,
    /// Print the filled review prompt for an AI assistant instead of the review (exit 0).
    #[arg(long)]
    pub prompt: bool,
    /// The prompt template to fill (default: plan-review).
    #[arg(long, value_name = "NAME", requires = "prompt")]
    pub template: Option<String>,
}

#[derive(Debug, Args)]
pub struct ApproveArgs {
    #[arg(long)]
    pub env: String,
    /// The plan you reviewed (required where approvals are; `ferry review --env ENV` shows it).
    #[arg(long)]
    pub plan: Option<String>,
    /// Acknowledge the plan's review and policy warnings.
    #[arg(long)]
    pub acknowledge_warnings: bool,
    /// Sign the approval with this SSH key (a private key, or a .pub whose key is in ssh-agent).
    #[arg(long, value_name = "PATH")]
    pub sign_key: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct RejectArgs {
    #[arg(long)]
    pub env: String,
    #[arg(long)]
    pub plan: Option<String>,
    #[arg(long)]
    pub reason: String,
}

#[derive(Debug, Args)]
pub struct ApplyArgs {
    #[arg(long)]
    pub env: String,
    #[arg(long)]
    pub plan: Option<String>,
}

#[derive(Debug, Args)]
pub struct PromoteArgs {
    /// Target environment.
    #[arg(long = "to")]
    pub to: String,
    #[arg(long)]
    pub release: Option<String>,
    /// Do not ask for confirmation on a terminal.
    #[arg(long)]
    pub yes: bool,
}

#[derive(Debug, Args)]
pub struct RollbackArgs {
    #[arg(long)]
    pub env: String,
    /// Release to roll back to (default: the last known-good before the current one).
    #[arg(long)]
    pub to: Option<String>,
    #[arg(long)]
    pub yes: bool,
    /// Print the filled rollback-readiness prompt for an AI assistant; roll nothing back (exit 0).
    #[arg(long, conflicts_with = "yes")]
    pub prompt: bool,
    /// The prompt template to fill (default: rollback-readiness).
    #[arg(long, value_name = "NAME", requires = "prompt")]
    pub template: Option<String>,
}

#[derive(Debug, Args)]
pub struct RehearseArgs {
    #[arg(long)]
    pub env: String,
    /// Also apply the rollback and roll forward again.
    #[arg(long)]
    pub apply: bool,
}

#[derive(Debug, Args)]
pub struct UnlockArgs {
    #[arg(long)]
    pub env: String,
    #[arg(long)]
    pub reason: String,
}

#[derive(Debug, Args)]
pub struct EnvFilter {
    #[arg(long)]
    pub env: Option<String>,
}

#[derive(Debug, Args)]
pub struct AuditArgs {
    /// Compare two environments, e.g. `staging:prod` (default: adjacent pairs in the chain).
    #[arg(long, value_name = "A:B")]
    pub pair: Vec<String>,
    /// Print a review prompt for an AI assistant instead of the report.
    #[arg(long)]
    pub prompt: bool,
}

#[derive(Debug, Subcommand)]
pub enum PolicyCommand {
    /// Run policy tests (Rego `test_*` rules and fixture plans with expected outcomes).
    Test {
        /// Policy directory (default: the project's policy dir).
        #[arg(id = "policy_dir", value_name = "DIR")]
        dir: Option<PathBuf>,
    },
    /// Evaluate policies against a plan JSON file, without a project.
    Eval {
        plan: PathBuf,
        #[arg(long)]
        policy: Option<PathBuf>,
        /// Environment name passed to policies as data.ferry.environment.
        #[arg(long)]
        env: Option<String>,
    },
}

#[derive(Debug, Args)]
pub struct DemoArgs {
    /// Where to create the demo project (default: a fresh temporary directory).
    pub dir: Option<PathBuf>,
}
