//! One SQL file split into statements: where each starts (1-based line), its text, its syntax
//! node and the `-- ferry:contract <reason>` acknowledgement directly above it. A file that does
//! not parse is an error naming the file and line: never an empty (and so passing) file.

use squawk_syntax::ast::{self, AstNode};
use squawk_syntax::{SourceFile, SyntaxNode};

/// The marker a migration author writes directly above a contract statement they intend.
pub const CONTRACT_MARKER: &str = "ferry:contract";

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{file}:{line}: SQL does not parse: {message}")]
pub struct ParseError {
    pub file: String,
    pub line: usize,
    pub message: String,
}

/// A statement of a parsed file.
#[derive(Debug, Clone)]
pub struct Statement {
    /// 1-based line of the statement's first token (comments above it excluded).
    pub line: usize,
    /// Byte range of the statement in the file, first token to end (semicolon included).
    pub start: usize,
    pub end: usize,
    pub stmt: ast::Stmt,
    /// The reason given in `-- ferry:contract <reason>` directly above, if any. An empty
    /// reason is kept as `Some("")` so the check can say the reason is missing.
    pub acknowledged: Option<String>,
}

impl Statement {
    pub fn node(&self) -> &SyntaxNode {
        self.stmt.syntax()
    }

    /// The statement's SQL, first token to end, as the server should receive it.
    pub fn sql<'t>(&self, text: &'t str) -> &'t str {
        text.get(self.start..self.end).unwrap_or("")
    }

    /// One line of the statement for reports: whitespace runs collapsed, no trailing `;`,
    /// at most 160 characters.
    pub fn summary(&self, text: &str) -> String {
        summarize(self.sql(text))
    }
}

/// Collapses whitespace, drops the trailing semicolon and shortens to 160 characters.
pub fn summarize(sql: &str) -> String {
    let one_line = sql.split_whitespace().collect::<Vec<_>>().join(" ");
    let trimmed = one_line.trim_end_matches(';').trim_end();
    if trimmed.chars().count() > 160 {
        let cut: String = trimmed.chars().take(159).collect();
        format!("{cut}…")
    } else {
        trimmed.to_string()
    }
}

/// 1-based line of a byte offset.
pub fn line_of(text: &str, offset: usize) -> usize {
    text.get(..offset)
        .map_or(1, |s| s.bytes().filter(|&b| b == b'\n').count() + 1)
}

/// Parses `text` (named `file` in errors) into its statements, in order.
pub fn parse(file: &str, text: &str) -> Result<Vec<Statement>, ParseError> {
    let parse = SourceFile::parse(text);
    if let Some(err) = parse.errors().first() {
        let offset = u32::from(err.range().start()) as usize;
        return Err(ParseError {
            file: file.to_string(),
            line: line_of(text, offset),
            message: err.message().to_string(),
        });
    }
    let lines: Vec<&str> = text.lines().collect();
    // Byte offset of each line start: one pass, then a binary search per statement (counting
    // newlines from the top for every statement made large files quadratic).
    let line_starts: Vec<usize> = std::iter::once(0)
        .chain(text.match_indices('\n').map(|(i, _)| i + 1))
        .collect();
    let mut out = Vec::new();
    for stmt in parse.tree().stmts() {
        let node = stmt.syntax();
        let Some(first) = node
            .descendants_with_tokens()
            .filter_map(|e| e.into_token())
            .find(|t| !t.kind().is_trivia() && t.kind() != squawk_syntax::SyntaxKind::SEMICOLON)
        else {
            continue; // an empty statement: a stray `;`
        };
        let start = u32::from(first.text_range().start()) as usize;
        let end = u32::from(node.text_range().end()) as usize;
        let line = line_starts.partition_point(|&s| s <= start);
        out.push(Statement {
            line,
            start,
            end,
            acknowledged: acknowledgement_above(&lines, line),
            stmt,
        });
    }
    Ok(out)
}

/// The reason of a `-- ferry:contract` line in the block of comment lines that ends right above
/// `line` (no blank line in between).
fn acknowledgement_above(lines: &[&str], line: usize) -> Option<String> {
    let mut i = line.checked_sub(1)?; // 0-based index of the statement's line
    while i > 0 {
        i -= 1;
        let above = lines.get(i)?.trim();
        let comment = above.strip_prefix("--")?.trim();
        if let Some(rest) = comment.strip_prefix(CONTRACT_MARKER) {
            if rest.is_empty() || rest.starts_with(char::is_whitespace) || rest.starts_with(':') {
                let reason = rest.trim_start_matches(':').trim();
                return Some(reason.to_string());
            }
        }
    }
    None
}
