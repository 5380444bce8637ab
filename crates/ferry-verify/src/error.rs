//! Why a `[[environment.verify]]` list was refused. Verification *failures* are not errors: they
//! are results in a [`crate::VerifyReport`], because a failed check is an expected outcome that
//! the caller records, while a bad configuration must stop ferry before anything is applied.

/// A configuration problem, always naming the check (1-based index, and name when known) and the
/// key, so the message can be acted on without opening the code.
#[derive(Debug, thiserror::Error)]
pub enum VerifyError {
    #[error("[[environment.verify]] #{index}{}: {message}", name.as_deref().map(|n| format!(" ('{n}')")).unwrap_or_default())]
    Check {
        index: usize,
        name: Option<String>,
        message: String,
    },
    #[error("[[environment.verify]]: {0}")]
    Spec(String),
}
