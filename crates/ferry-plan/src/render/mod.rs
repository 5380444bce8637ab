//! Renderings of a [`Review`](ferry_core::Review): for a terminal, for a pull-request comment,
//! and the JSON contract. Every command that shows a review (review, plan, promote, approve) uses
//! these, so a review reads the same wherever it appears. They only show what the findings hold,
//! and findings are built with sensitive values already masked.

mod human;
mod markdown;

pub use human::{render_human, render_human_to, DEFAULT_MAX_FINDINGS};
pub use markdown::{
    render_markdown, render_markdown_capped, render_markdown_comment, Comment, MARKDOWN_LIMIT,
};

use ferry_core::{Finding, Review, Severity};
use std::io::Write;

/// The JSON contract of DESIGN.md ("Review output"), pretty-printed. Builds the whole text:
/// for large reviews write with [`render_json_to`].
pub fn render_json(review: &Review) -> String {
    serde_json::to_string_pretty(review).unwrap_or_default()
}

/// [`render_json`] written to `out` as it is produced (the same bytes, and a closing newline),
/// so a review of hundreds of thousands of findings never exists as one string. Every finding
/// is listed: JSON is for programs, which do their own paging.
pub fn render_json_to<W: Write>(out: &mut W, review: &Review) -> std::io::Result<()> {
    let mut buffered = std::io::BufWriter::with_capacity(1 << 16, out);
    serde_json::to_writer_pretty(&mut buffered, review).map_err(std::io::Error::other)?;
    buffered.write_all(b"\n")?;
    buffered.flush()
}

/// The line that says how many findings a capped listing leaves out.
pub(crate) fn omitted_line(shown: usize, total: usize, how: &str) -> Option<String> {
    (total > shown).then(|| {
        format!(
            "{} more findings are not listed here ({shown} of {total} shown, {how}); `--format json` lists them all.",
            total - shown
        )
    })
}

/// "(root)" or the module part of an address, keys kept.
pub(crate) fn module_label(address: &str) -> String {
    let m = crate::address::module_of(address);
    if m.is_empty() {
        "(root module)".to_string()
    } else {
        m
    }
}

/// `2 block, 1 warn, 3 info`: counts by severity, worst first, zeros left out.
pub(crate) fn severity_counts(findings: &[Finding]) -> String {
    let count = |s: Severity| findings.iter().filter(|f| f.severity == s).count();
    let parts: Vec<String> = [
        (Severity::Block, "block"),
        (Severity::Warn, "warn"),
        (Severity::Info, "info"),
    ]
    .iter()
    .filter_map(|(s, name)| {
        let n = count(*s);
        (n > 0).then(|| format!("{n} {name}"))
    })
    .collect();
    if parts.is_empty() {
        "no findings".to_string()
    } else {
        parts.join(", ")
    }
}

/// `2 to create, 1 to replace, ...` in Terraform's words.
pub(crate) fn summary_line(review: &Review) -> String {
    let s = &review.summary;
    format!(
        "{} to create, {} to update, {} to replace, {} to destroy, {} to forget ({} unchanged, {} read)",
        s.create, s.update, s.replace, s.delete, s.forget, s.no_op, s.read
    )
}

/// Consecutive findings with the same severity and kind (findings are sorted worst first).
pub(crate) fn groups(findings: &[Finding]) -> Vec<&[Finding]> {
    findings
        .chunk_by(|a, b| a.severity == b.severity && a.kind == b.kind)
        .collect()
}
