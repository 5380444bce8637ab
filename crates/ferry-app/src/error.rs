//! What can go wrong in an operation, typed, so a front end maps it to its own contract (the CLI
//! to exit codes 1 and 3 and a JSON error document; the server to HTTP statuses) without parsing
//! messages.

use ferry_core::promotion::UnmetGate;
use serde::Serialize;

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// A gate said no. `context` is what the operation had got to (e.g. the plan a blocked
    /// promote made), for front ends that show it beside the reasons.
    #[error("{headline}{}", gates_text(.gates))]
    Blocked {
        headline: String,
        gates: Vec<UnmetGate>,
        context: Option<Box<serde_json::Value>>,
    },
    /// Nothing stops the apply but a person must say yes first (a front end asks, or passes
    /// `confirmed`).
    #[error("'{env}' is not auto_apply and has no approval gate: confirm the apply of plan {plan} (e.g. with --yes, or `{command}`)")]
    NeedsConfirmation {
        env: String,
        plan: String,
        command: String,
        context: Option<Box<serde_json::Value>>,
    },
    /// The ledger refused a write that would break its rules (a plan applied twice, a stale id).
    #[error("{0}")]
    Conflict(String),
    #[error("{0}")]
    NotFound(String),
    /// Bad input or configuration, with the file/line or the fix in the message.
    #[error("{0}")]
    Invalid(String),
    /// Verification of a deployment failed; the release is not known-good there.
    #[error("verification of deployment #{deployment} in '{env}' failed: {detail}{}", .outcome.as_deref().map(|o| format!("; {o}")).unwrap_or_default())]
    VerificationFailed {
        env: String,
        deployment: i64,
        detail: String,
        /// What ferry did about it (the automatic rollback's outcome).
        outcome: Option<String>,
    },
    /// The process was interrupted (SIGINT/SIGTERM); `message` says what state the environment
    /// is in and how to continue. Front ends exit 128 + signal.
    #[error("interrupted by {}: {message}", ferry_engine::signal_name(*.signal))]
    Interrupted { signal: i32, message: String },
    #[error(transparent)]
    Engine(#[from] ferry_engine::EngineError),
    #[error(transparent)]
    Store(#[from] ferry_store::StoreError),
    #[error(transparent)]
    Release(#[from] ferry_release::ReleaseError),
    #[error(transparent)]
    Plan(#[from] ferry_plan::PlanError),
    #[error(transparent)]
    Audit(#[from] ferry_audit::AuditError),
    /// A prompt template, the `[advisor]` table, or the advisor endpoint.
    #[error(transparent)]
    Advisor(#[from] ferry_advisor::AdvisorError),
    /// A migration could not be checked, applied or rehearsed (database, history, files).
    #[error(transparent)]
    Migrate(#[from] ferry_migrate::MigrateError),
    #[error("{context}: {source}")]
    Io {
        context: String,
        source: std::io::Error,
    },
    /// An error with what ferry was doing around it.
    #[error("{context}: {source}")]
    Context {
        context: String,
        source: Box<AppError>,
    },
}

fn gates_text(gates: &[UnmetGate]) -> String {
    gates.iter().map(|g| format!("\n  - {g}")).collect()
}

pub type Result<T> = std::result::Result<T, AppError>;

impl AppError {
    pub fn blocked(headline: impl Into<String>, gates: Vec<UnmetGate>) -> AppError {
        AppError::Blocked {
            headline: headline.into(),
            gates,
            context: None,
        }
    }

    pub fn io(context: impl Into<String>, source: std::io::Error) -> AppError {
        AppError::Io {
            context: context.into(),
            source,
        }
    }

    /// Adds what ferry was doing, keeping the kind (a block stays a block).
    pub fn context(self, context: impl Into<String>) -> AppError {
        AppError::Context {
            context: context.into(),
            source: Box::new(self),
        }
    }

    /// The innermost error, past any added context.
    pub fn root(&self) -> &AppError {
        match self {
            AppError::Context { source, .. } => source.root(),
            other => other,
        }
    }

    /// Whether a gate stopped the operation (exit 3 in the CLI, 409/423 on the server).
    pub fn is_blocked(&self) -> bool {
        matches!(
            self.root(),
            AppError::Blocked { .. }
                | AppError::NeedsConfirmation { .. }
                | AppError::Store(ferry_store::StoreError::Locked(_))
        )
    }

    /// A stable name of the kind, for JSON error documents.
    pub fn kind(&self) -> &'static str {
        match self.root() {
            AppError::Blocked { .. } => "blocked",
            AppError::NeedsConfirmation { .. } => "needs-confirmation",
            AppError::Conflict(_) => "conflict",
            AppError::NotFound(_) => "not-found",
            AppError::Invalid(_) => "invalid",
            AppError::VerificationFailed { .. } => "verification-failed",
            AppError::Interrupted { .. } => "interrupted",
            AppError::Engine(ferry_engine::EngineError::Interrupted { .. }) => "interrupted",
            AppError::Engine(_) => "engine",
            AppError::Store(ferry_store::StoreError::Unavailable { .. }) => "unavailable",
            AppError::Store(ferry_store::StoreError::Locked(_)) => "locked",
            AppError::Store(_) => "ledger",
            AppError::Release(_) => "release",
            AppError::Plan(_) => "plan",
            AppError::Audit(_) => "audit",
            AppError::Advisor(e) if e.is_endpoint_fault() => "advisor",
            AppError::Advisor(_) => "invalid",
            AppError::Migrate(_) => "migrate",
            AppError::Io { .. } => "io",
            AppError::Context { .. } => "error",
        }
    }

    /// The signal that interrupted the operation, when one did.
    pub fn interrupted_by(&self) -> Option<i32> {
        match self.root() {
            AppError::Interrupted { signal, .. } => Some(*signal),
            AppError::Engine(e) => e.interrupted_by(),
            _ => None,
        }
    }

    /// The unmet gates when a gate stopped the operation.
    pub fn gates(&self) -> &[UnmetGate] {
        match self.root() {
            AppError::Blocked { gates, .. } => gates,
            _ => &[],
        }
    }

    /// What the operation had got to, when it says.
    pub fn context_view(&self) -> Option<&serde_json::Value> {
        match self.root() {
            AppError::Blocked { context, .. } | AppError::NeedsConfirmation { context, .. } => {
                context.as_deref()
            }
            _ => None,
        }
    }

    /// Attaches what the operation had got to, for front ends to show next to the reasons.
    pub fn with_view<T: Serialize>(mut self, view: &T) -> AppError {
        let v = serde_json::to_value(view).ok().map(Box::new);
        if let AppError::Blocked { context, .. } | AppError::NeedsConfirmation { context, .. } =
            &mut self
        {
            *context = v;
        }
        self
    }
}

macro_rules! invalid_from {
    ($($t:ty),*) => {$(
        impl From<$t> for AppError {
            fn from(e: $t) -> AppError {
                AppError::Invalid(e.to_string())
            }
        }
    )*};
}

invalid_from!(
    ferry_core::ConfigError,
    ferry_core::IdError,
    ferry_core::settings::SettingsError,
    ferry_plan::ReviewConfigError,
    ferry_policy::PolicyError,
    ferry_verify::VerifyError,
    ferry_sign::SignError,
    ferry_ci::CiError,
    ferry_migrate::ConfigError,
    ferry_migrate::SetError,
    ferry_migrate::check::CheckError
);
