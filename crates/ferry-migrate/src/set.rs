//! A migration set as it sits in a release unpacked on disk: its files in file-name order, each
//! with its sha256 checksum and its review, and the set's digest — what a migration approval is
//! bound to. Also the compat queries a release ships.

use crate::check::{self, source, CheckReport, Class, FileCheck};
use crate::config::MigrationSetConfig;
use crate::error::SetError;
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};

/// One migration file.
#[derive(Debug, Clone)]
pub struct MigrationFile {
    /// The file name, e.g. `V0007__add_email.sql`: the migration's identity in the history.
    pub name: String,
    /// `sha256:<hex>` of the file's bytes.
    pub checksum: String,
    pub sql: String,
    pub check: FileCheck,
}

impl MigrationFile {
    pub fn class(&self) -> Class {
        self.check.class()
    }

    /// Whether it runs in one transaction (else statement by statement, see `apply`).
    pub fn transactional(&self) -> bool {
        self.check.transactional()
    }
}

#[derive(Debug, Clone)]
pub struct MigrationSet {
    pub name: String,
    pub dir: PathBuf,
    pub files: Vec<MigrationFile>,
}

pub(crate) fn sha256(bytes: &[u8]) -> String {
    format!("sha256:{}", hex::encode(Sha256::digest(bytes)))
}

/// The digest of an ordered list of (name, checksum): what approvals bind to.
pub(crate) fn digest_of<'a>(set: &str, files: impl Iterator<Item = (&'a str, &'a str)>) -> String {
    let mut text = format!("ferry-migrations v1\nset {set}\n");
    for (name, checksum) in files {
        text.push_str(&format!("{name} {checksum}\n"));
    }
    sha256(text.as_bytes())
}

impl MigrationSet {
    /// Loads the set configured by `config` from a release unpacked at `release_root`.
    pub fn load(
        release_root: &Path,
        config: &MigrationSetConfig,
    ) -> Result<MigrationSet, SetError> {
        let dir = release_root.join(&config.dir);
        if !dir.is_dir() {
            return Err(SetError::MissingDir {
                set: config.name.clone(),
                dir: config.dir.clone(),
                path: dir.display().to_string(),
            });
        }
        Self::from_dir(&config.name, &dir)
    }

    /// Loads every `*.sql` file of `dir` (not recursive) as set `name`. An empty directory is
    /// a set without migrations.
    pub fn from_dir(name: &str, dir: &Path) -> Result<MigrationSet, SetError> {
        let mut files = Vec::new();
        for path in sql_files(dir)? {
            let file_name = path
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            let bytes = std::fs::read(&path).map_err(|source| SetError::Read {
                path: path.display().to_string(),
                source,
            })?;
            let sql = String::from_utf8(bytes.clone())
                .map_err(|_| SetError::Encoding(path.display().to_string()))?;
            let check = check::check_text(&path.display().to_string(), &sql)?;
            if let Some(st) = check.statements.iter().find(|s| s.transaction_control) {
                return Err(SetError::TransactionControl {
                    file: path.display().to_string(),
                    line: st.line,
                });
            }
            files.push(MigrationFile {
                name: file_name,
                checksum: sha256(&bytes),
                sql,
                check,
            });
        }
        check_order(&files)?;
        Ok(MigrationSet {
            name: name.to_string(),
            dir: dir.to_path_buf(),
            files,
        })
    }

    /// Digest of every file's name and checksum, in order.
    pub fn digest(&self) -> String {
        digest_of(
            &self.name,
            self.files
                .iter()
                .map(|f| (f.name.as_str(), f.checksum.as_str())),
        )
    }

    /// The `ferry migrate check` review of the whole set.
    pub fn check_report(&self) -> CheckReport {
        let checks: Vec<FileCheck> = self.files.iter().map(|f| f.check.clone()).collect();
        CheckReport::from_files(&checks)
    }

    /// The review of only the named files (e.g. the migrations new in a release).
    pub fn check_report_for(&self, names: &[&str]) -> CheckReport {
        let checks: Vec<FileCheck> = self
            .files
            .iter()
            .filter(|f| names.contains(&f.name.as_str()))
            .map(|f| f.check.clone())
            .collect();
        CheckReport::from_files(&checks)
    }

    pub fn file(&self, name: &str) -> Option<&MigrationFile> {
        self.files.iter().find(|f| f.name == name)
    }
}

fn sql_files(dir: &Path) -> Result<Vec<PathBuf>, SetError> {
    let read = |source| SetError::Read {
        path: dir.display().to_string(),
        source,
    };
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(read)?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_file() && p.extension().is_some_and(|e| e == "sql"))
        .collect();
    files.sort_by(|a, b| a.file_name().cmp(&b.file_name()));
    Ok(files)
}

/// The leading version number of `V0007__x.sql` or `0007_x.sql`.
fn version(name: &str) -> Option<u64> {
    let rest = name.strip_prefix(['V', 'v']).unwrap_or(name);
    let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
    digits.parse().ok()
}

fn check_order(files: &[MigrationFile]) -> Result<(), SetError> {
    for pair in files.windows(2) {
        if let (Some(a), Some(b)) = (version(&pair[0].name), version(&pair[1].name)) {
            if a > b {
                return Err(SetError::Ordering {
                    first: pair[1].name.clone(),
                    second: pair[0].name.clone(),
                });
            }
        }
    }
    Ok(())
}

/// One query the deployed application runs, from a release's compat directory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CompatQuery {
    /// Path of the file, relative to the compat directory.
    pub file: String,
    pub line: usize,
    pub sql: String,
    /// One-line form for reports.
    pub statement: String,
}

/// Loads the `*.sql` files of a release's compat directory, one query per statement. Only
/// DML and SELECT make sense there; anything else is run (and rolled back) all the same.
pub fn load_compat(dir: &Path) -> Result<Vec<CompatQuery>, SetError> {
    let mut out = Vec::new();
    for path in sql_files(dir)? {
        let file = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let text = std::fs::read_to_string(&path).map_err(|source| SetError::Read {
            path: path.display().to_string(),
            source,
        })?;
        for st in source::parse(&path.display().to_string(), &text)? {
            out.push(CompatQuery {
                file: file.clone(),
                line: st.line,
                sql: st.sql(&text).trim_end_matches(';').to_string(),
                statement: st.summary(&text),
            });
        }
    }
    Ok(out)
}
