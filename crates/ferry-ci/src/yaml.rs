//! A small YAML document model and emitter for the generated pipelines.
//!
//! Why not a serde YAML crate: a generated pipeline is read by people, so it needs comments
//! between jobs, literal blocks for shell scripts and a fixed key order; serde emitters give none
//! of the first and little control over the others. The model is tiny and the emitter is proven
//! by round-trip tests against a real YAML 1.2 parser (`yaml-rust2`) and by the CI linters.
//!
//! Scalars are written plain only when they are unambiguous in both YAML 1.1 and 1.2 (so `on`,
//! `yes`, `1.0` or `*` as values are quoted); everything else is double-quoted with escapes.
//! Multi-line strings become literal blocks (`|`) when that is exact, else double-quoted.

use std::fmt::Write;

#[derive(Debug, Clone, PartialEq)]
pub enum Node {
    Str(String),
    Int(i64),
    Bool(bool),
    Seq(Vec<Node>),
    Map(Vec<Entry>),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    pub key: String,
    pub value: Node,
    /// Comment lines written above the key (without `# `).
    pub comment: Vec<String>,
    /// An empty line before the entry (and its comment).
    pub gap: bool,
}

/// Builds a mapping in insertion order.
#[derive(Debug, Default, Clone)]
pub struct Map(Vec<Entry>);

impl Map {
    pub fn new() -> Map {
        Map(Vec::new())
    }

    pub fn set(mut self, key: &str, value: impl Into<Node>) -> Map {
        self.push(key, value);
        self
    }

    pub fn push(&mut self, key: &str, value: impl Into<Node>) {
        self.0.push(Entry {
            key: key.to_string(),
            value: value.into(),
            comment: Vec::new(),
            gap: false,
        });
    }

    /// Adds an entry preceded by an empty line and comment lines.
    pub fn push_commented(&mut self, key: &str, value: impl Into<Node>, comment: &[String]) {
        self.0.push(Entry {
            key: key.to_string(),
            value: value.into(),
            comment: comment.to_vec(),
            gap: true,
        });
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl From<Map> for Node {
    fn from(m: Map) -> Node {
        Node::Map(m.0)
    }
}
impl From<&str> for Node {
    fn from(s: &str) -> Node {
        Node::Str(s.to_string())
    }
}
impl From<String> for Node {
    fn from(s: String) -> Node {
        Node::Str(s)
    }
}
impl From<&String> for Node {
    fn from(s: &String) -> Node {
        Node::Str(s.clone())
    }
}
impl From<bool> for Node {
    fn from(b: bool) -> Node {
        Node::Bool(b)
    }
}
impl From<i64> for Node {
    fn from(n: i64) -> Node {
        Node::Int(n)
    }
}
impl<T: Into<Node>> From<Vec<T>> for Node {
    fn from(v: Vec<T>) -> Node {
        Node::Seq(v.into_iter().map(Into::into).collect())
    }
}

/// Renders a document: `header` comment lines, then the top-level mapping.
pub fn render(header: &[String], root: &Map) -> String {
    let mut out = String::new();
    for line in header {
        push_comment(&mut out, "", line);
    }
    if !header.is_empty() {
        out.push('\n');
    }
    write_map(&mut out, &root.0, 0);
    out
}

fn push_comment(out: &mut String, indent: &str, line: &str) {
    if line.is_empty() {
        let _ = writeln!(out, "{indent}#");
    } else {
        let _ = writeln!(out, "{indent}# {line}");
    }
}

/// Writes entries at `level`, each on its own line (a gap never opens a mapping).
fn write_map(out: &mut String, entries: &[Entry], level: usize) {
    let indent = "  ".repeat(level);
    for (i, entry) in entries.iter().enumerate() {
        if entry.gap && i > 0 {
            out.push('\n');
        }
        for line in &entry.comment {
            push_comment(out, &indent, line);
        }
        out.push_str(&indent);
        write_entry(out, entry, level);
    }
}

fn write_entry(out: &mut String, entry: &Entry, level: usize) {
    out.push_str(&key(&entry.key));
    out.push(':');
    write_value(out, &entry.value, level);
}

/// Writes a value after `key:` (or `-`), including the line end.
fn write_value(out: &mut String, value: &Node, level: usize) {
    match value {
        Node::Map(entries) if entries.is_empty() => out.push_str(" {}\n"),
        Node::Seq(items) if items.is_empty() => out.push_str(" []\n"),
        Node::Map(entries) => {
            out.push('\n');
            write_map(out, entries, level + 1);
        }
        Node::Seq(items) => {
            out.push('\n');
            write_seq(out, items, level + 1);
        }
        Node::Str(s) if literal_ok(s) => {
            out.push_str(if s.ends_with('\n') { " |\n" } else { " |-\n" });
            let indent = "  ".repeat(level + 1);
            for line in s.strip_suffix('\n').unwrap_or(s).split('\n') {
                if line.is_empty() {
                    out.push('\n');
                } else {
                    let _ = writeln!(out, "{indent}{line}");
                }
            }
        }
        scalar => {
            out.push(' ');
            out.push_str(&scalar_text(scalar));
            out.push('\n');
        }
    }
}

fn write_seq(out: &mut String, items: &[Node], level: usize) {
    let indent = "  ".repeat(level);
    for item in items {
        out.push_str(&indent);
        out.push('-');
        match item {
            Node::Map(entries) if !entries.is_empty() => {
                // The first key sits after "- " (its comment, if any, is dropped: it would
                // break the "- key" line); the rest align with it.
                out.push(' ');
                write_entry(out, &entries[0], level + 1);
                write_map(out, &entries[1..], level + 1);
            }
            Node::Seq(inner) if !inner.is_empty() => {
                out.push('\n');
                write_seq(out, inner, level + 1);
            }
            other => write_value(out, other, level),
        }
    }
}

fn scalar_text(node: &Node) -> String {
    match node {
        Node::Str(s) => scalar(s),
        Node::Int(n) => n.to_string(),
        Node::Bool(b) => b.to_string(),
        Node::Seq(_) | Node::Map(_) => String::new(),
    }
}

/// Words some YAML 1.1 or 1.2 loader reads as something other than a string.
const RESERVED: &[&str] = &[
    "y", "n", "yes", "no", "on", "off", "true", "false", "null", "~",
];

fn plain_ok(s: &str) -> bool {
    let Some(first) = s.chars().next() else {
        return false;
    };
    let lower = s.to_ascii_lowercase();
    // Indicators may not start a plain scalar; digits, signs and dots may start a number,
    // a date or a sexagesimal in some loader.
    !"-?:,[]{}#&*!|>'\"%@`+0123456789".contains(first)
        && !first.is_whitespace()
        && !s.ends_with(|c: char| c.is_whitespace() || c == ':')
        && !s.contains(": ")
        && !s.contains(" #")
        && s.chars().all(|c| !c.is_control())
        && !RESERVED.contains(&lower.as_str())
        && !matches!(lower.as_str(), ".inf" | ".nan" | "=" | "<<")
        // `.5` is a float in YAML 1.2; Rust's float syntax covers `inf`, `nan` and friends.
        && !(s.starts_with('.') && s[1..].starts_with(|c: char| c.is_ascii_digit()))
        && lower.parse::<f64>().is_err()
}

/// A value scalar: plain when unambiguous, else double-quoted.
pub fn scalar(s: &str) -> String {
    if plain_ok(s) {
        s.to_string()
    } else {
        quote(s)
    }
}

/// A mapping key: like a value, except that `on` stays plain, as every workflow writes it
/// (GitHub and YAML 1.2 loaders read it as the string).
fn key(k: &str) -> String {
    if k == "on" {
        return k.to_string();
    }
    scalar(k)
}

pub fn quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c if (c as u32) < 0x20 || c == '\u{7f}' => {
                let _ = write!(out, "\\x{:02x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// A literal block reproduces the string exactly only under these conditions.
fn literal_ok(s: &str) -> bool {
    let body = s.strip_suffix('\n').unwrap_or(s);
    s.contains('\n')
        && !body.is_empty()
        && !body.ends_with('\n')
        // The block's indentation is taken from its first non-empty line.
        && !body
            .split('\n')
            .find(|l| !l.is_empty())
            .is_some_and(|l| l.starts_with([' ', '\t']))
        && body.split('\n').all(|line| {
            !line.ends_with([' ', '\t'])
                && line
                    .chars()
                    .all(|c| c == '\t' || !(c.is_control() || c == '\u{feff}'))
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_and_quoted_scalars() {
        assert_eq!(scalar("ubuntu-latest"), "ubuntu-latest");
        assert_eq!(scalar("actions/checkout@v4"), "actions/checkout@v4");
        assert_eq!(scalar("on"), "\"on\"");
        assert_eq!(scalar("Yes"), "\"Yes\"");
        assert_eq!(scalar("1.0"), "\"1.0\"");
        assert_eq!(scalar("0 6 * * *"), "\"0 6 * * *\"");
        assert_eq!(scalar("${{ secrets.X }}"), "${{ secrets.X }}");
        assert_eq!(scalar("2026-01-01"), "\"2026-01-01\"");
        assert_eq!(scalar("a: b"), "\"a: b\"");
        assert_eq!(scalar("x #y"), "\"x #y\"");
        assert_eq!(scalar(".inf"), "\".inf\"");
        assert_eq!(scalar(".ferry-deploy"), ".ferry-deploy");
        assert_eq!(scalar("a\"b\\c"), "a\"b\\c");
        assert_eq!(quote("a\"b\\c\n"), "\"a\\\"b\\\\c\\n\"");
        assert_eq!(scalar(""), "\"\"");
        assert_eq!(key("on"), "on");
    }

    #[test]
    fn renders_nested_shapes() {
        let mut root = Map::new();
        root.push("name", "ferry");
        root.push_commented(
            "jobs",
            Map::new().set(
                "a",
                Map::new()
                    .set("needs", vec!["b", "c"])
                    .set(
                        "steps",
                        vec![Node::from(
                            Map::new()
                                .set("run", "echo 1\necho 2\n")
                                .set("if", "always()"),
                        )],
                    )
                    .set("with", Map::new())
                    .set("count", 1i64)
                    .set("ok", false),
            ),
            &["the jobs".to_string()],
        );
        let text = render(&["header".to_string(), String::new()], &root);
        assert_eq!(
            text,
            "# header\n#\n\nname: ferry\n\n# the jobs\njobs:\n  a:\n    needs:\n      - b\n      - c\n    steps:\n      - run: |\n          echo 1\n          echo 2\n        if: always()\n    with: {}\n    count: 1\n    ok: false\n"
        );
    }
}
