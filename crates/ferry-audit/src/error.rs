//! Why an audit could not run. Every variant names the file (and line where known) so the person
//! fixing the input does not have to guess; these are bad-input errors (exit 1), never findings.

use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum AuditError {
    #[error("cannot read {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path}:{line}:{column}: HCL syntax error: {message}")]
    Syntax {
        path: PathBuf,
        line: usize,
        column: usize,
        message: String,
    },
    #[error("{path}:{line}:{column}: invalid JSON: {message}")]
    Json {
        path: PathBuf,
        line: usize,
        column: usize,
        message: String,
    },
    #[error("{path}:{line}: {message}")]
    Input {
        path: PathBuf,
        line: usize,
        message: String,
    },
    #[error(transparent)]
    WrongType(Box<TypeMismatch>),
    #[error("environment '{0}' has no input files: set `var_files` for it in ferry.toml (one body of code, one input file per environment)")]
    NoInputs(String),
    #[error("root module directory {0} does not exist; check `[project] root` in ferry.toml")]
    NoRootModule(PathBuf),
    #[error("[audit] in ferry.toml: {0}")]
    Config(String),
    #[error("pair '{pair}': {message}")]
    Pair { pair: String, message: String },
    #[error("{path}: not a plan or state JSON rendering: {message}")]
    Plan { path: String, message: String },
}

impl AuditError {
    /// The same error with file paths shown relative to `root` (the project), as in the report.
    pub fn relative_to(self, root: &std::path::Path) -> AuditError {
        let rel = |p: PathBuf| {
            p.strip_prefix(root)
                .map(std::path::Path::to_path_buf)
                .unwrap_or(p)
        };
        match self {
            AuditError::Read { path, source } => AuditError::Read {
                path: rel(path),
                source,
            },
            AuditError::Syntax {
                path,
                line,
                column,
                message,
            } => AuditError::Syntax {
                path: rel(path),
                line,
                column,
                message,
            },
            AuditError::Json {
                path,
                line,
                column,
                message,
            } => AuditError::Json {
                path: rel(path),
                line,
                column,
                message,
            },
            AuditError::Input {
                path,
                line,
                message,
            } => AuditError::Input {
                path: rel(path),
                line,
                message,
            },
            AuditError::WrongType(mut m) => {
                m.path = rel(std::mem::take(&mut m.path));
                AuditError::WrongType(m)
            }
            AuditError::NoRootModule(path) => AuditError::NoRootModule(rel(path)),
            other => other,
        }
    }
}

/// A value that Terraform could not convert to the variable's declared type (boxed: it is the
/// largest error and would otherwise make every `Result` in the crate large).
#[derive(Debug, thiserror::Error)]
#[error("{path}:{line}: variable `{name}` is declared as {expected} ({declared_at}) but is {found} here")]
pub struct TypeMismatch {
    pub path: PathBuf,
    pub line: usize,
    pub name: String,
    pub expected: String,
    pub found: String,
    pub declared_at: String,
}

/// 1-based line of a byte offset in `text`.
pub(crate) fn line_of(text: &str, offset: usize) -> usize {
    text.get(..offset)
        .map_or(1, |s| s.bytes().filter(|&b| b == b'\n').count() + 1)
}

/// Line starts of a text, so that many offsets can be turned into lines without rescanning the
/// text each time (input files with thousands of variables would otherwise be quadratic).
pub(crate) struct Lines(Vec<usize>);

impl Lines {
    pub(crate) fn new(text: &str) -> Lines {
        Lines(
            std::iter::once(0)
                .chain(text.match_indices('\n').map(|(i, _)| i + 1))
                .collect(),
        )
    }
    pub(crate) fn line(&self, offset: usize) -> usize {
        self.0.partition_point(|&start| start <= offset).max(1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_index_matches_scan() {
        let text = "a\nbb\n\nccc";
        let lines = Lines::new(text);
        for offset in 0..text.len() {
            assert_eq!(lines.line(offset), line_of(text, offset), "{offset}");
        }
    }
}
