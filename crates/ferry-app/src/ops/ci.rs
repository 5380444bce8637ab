//! `ci generate` / `ci check`: the project's CI pipeline written from its ferry.toml by
//! `ferry-ci`. Pure functions of the work tree's configuration (the pipeline is committed with
//! it), so they need a project but no ledger.

use crate::error::Result;
use crate::project::Project;
use ferry_ci::{CheckOutcome, Generated, Options, Provider};
use std::path::{Path, PathBuf};

fn options(project: &Project, out: Option<&Path>, ferry_version: &str) -> Options {
    Options {
        ferry_version: ferry_version.to_string(),
        root: project.root.clone(),
        out: out.map(Path::to_path_buf),
    }
}

/// The pipeline ferry.toml describes for `provider` (nothing written).
pub fn ci_generate(
    project: &Project,
    provider: Provider,
    out: Option<&Path>,
    ferry_version: &str,
) -> Result<Generated> {
    Ok(ferry_ci::generate(
        &project.config,
        provider,
        &options(project, out, ferry_version),
    )?)
}

/// Writes a generated pipeline into the repository (atomically; never through a link that
/// leads outside it) and returns where.
pub fn ci_write(project: &Project, generated: &Generated) -> Result<PathBuf> {
    Ok(ferry_ci::write(&project.root, generated)?)
}

/// Compares the pipeline at the output path with what ferry.toml generates now.
pub fn ci_check_path(
    project: &Project,
    provider: Provider,
    out: Option<&Path>,
    ferry_version: &str,
) -> Result<CheckOutcome> {
    Ok(ferry_ci::check_path(
        &project.config,
        provider,
        &options(project, out, ferry_version),
    )?)
}

/// Checks every pipeline ferry generated in the repository (an error when there is none).
pub fn ci_check_committed(project: &Project, ferry_version: &str) -> Result<Vec<CheckOutcome>> {
    Ok(ferry_ci::check_committed(
        &project.config,
        &options(project, None, ferry_version),
    )?)
}
