//! The prompt library: versioned templates shipped in the binary, overridden or extended by the
//! `prompts/` directory of a release (or of the work tree, for a plan file reviewed outside any
//! release).
//!
//! A template is a Markdown file `prompts/NAME.md` that starts with TOML front matter between
//! `+++` lines:
//!
//! ```text
//! +++
//! name = "plan-review"        # must equal the file name without .md
//! version = 2                 # a positive integer; recorded with every advice
//! input = "plan"              # plan | audit | migration | rollback: which values it can use
//! description = "one line"
//! +++
//! Body with {{placeholders}}.
//! ```
//!
//! A placeholder the template's input does not provide is an error at load, naming the file and
//! line, so a typo never sends a half-filled prompt.

use crate::error::AdvisorError;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::Path;

/// What a template is filled from; decides which placeholders it may use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum InputKind {
    Plan,
    Audit,
    Migration,
    Rollback,
}

impl InputKind {
    pub fn as_str(self) -> &'static str {
        match self {
            InputKind::Plan => "plan",
            InputKind::Audit => "audit",
            InputKind::Migration => "migration",
            InputKind::Rollback => "rollback",
        }
    }

    /// The placeholders a template of this kind may use.
    pub fn placeholders(self) -> &'static [&'static str] {
        match self {
            InputKind::Plan => &[
                "env",
                "baseline_env",
                "release",
                "plan",
                "verdict",
                "summary",
                "not_in_baseline",
                "findings",
                "omitted",
            ],
            InputKind::Audit => &[
                "from_env",
                "to_env",
                "pair",
                "root_module",
                "findings",
                "inputs",
                "omitted",
            ],
            InputKind::Migration => &["env", "verdict", "findings", "omitted"],
            InputKind::Rollback => &[
                "env",
                "current_release",
                "target_release",
                "rehearsal",
                "migrations",
                "findings",
                "omitted",
            ],
        }
    }
}

/// Where a template came from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum Source {
    BuiltIn,
    /// A project file (`prompts/NAME.md` of a release or of the work tree).
    Project {
        path: String,
        /// The built-in version it replaces, when it overrides one.
        overrides: Option<u32>,
    },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Template {
    pub name: String,
    pub version: u32,
    pub input: InputKind,
    pub description: String,
    pub source: Source,
    /// The body after the front matter.
    #[serde(skip)]
    pub body: String,
    /// The whole file as written, for `ferry prompt show`.
    #[serde(skip)]
    pub text: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FrontMatter {
    name: String,
    version: u32,
    input: InputKind,
    #[serde(default)]
    description: String,
}

const BUILT_IN: &[(&str, &str)] = &[
    ("plan-review.md", include_str!("../prompts/plan-review.md")),
    (
        "environment-audit.md",
        include_str!("../prompts/environment-audit.md"),
    ),
    (
        "migration-safety.md",
        include_str!("../prompts/migration-safety.md"),
    ),
    (
        "rollback-readiness.md",
        include_str!("../prompts/rollback-readiness.md"),
    ),
];

/// The built-in template names and what fills each.
pub const PLAN_REVIEW: &str = "plan-review";
pub const ENVIRONMENT_AUDIT: &str = "environment-audit";
pub const MIGRATION_SAFETY: &str = "migration-safety";
pub const ROLLBACK_READINESS: &str = "rollback-readiness";

/// Parses one template file; `origin` names it in errors (`prompts/x.md`).
pub fn parse(origin: &str, text: &str, source: Source) -> Result<Template, AdvisorError> {
    let bad = |line: usize, message: String| AdvisorError::Template {
        origin: origin.to_string(),
        line,
        message,
    };
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut lines = text.split_inclusive('\n');
    if lines.next().map(str::trim_end) != Some("+++") {
        return Err(bad(
            1,
            "a prompt template starts with TOML front matter between `+++` lines (name, version, input, description)".into(),
        ));
    }
    let mut front = String::new();
    let mut body_line = 0;
    let mut closed = false;
    let mut consumed = 0;
    for (i, line) in lines.by_ref().enumerate() {
        consumed += line.len();
        if line.trim_end() == "+++" {
            body_line = i + 3;
            closed = true;
            break;
        }
        front.push_str(line);
    }
    if !closed {
        return Err(bad(
            1,
            "the front matter is not closed with a `+++` line".into(),
        ));
    }
    let first = text.split_inclusive('\n').next().map_or(0, str::len);
    let body = text.get(first + consumed..).unwrap_or("").to_string();
    let fm: FrontMatter = toml::from_str(&front).map_err(|e| {
        let line = e
            .span()
            .map(|s| front.get(..s.start).unwrap_or("").lines().count().max(1) + 1)
            .unwrap_or(2);
        bad(line, e.message().to_string())
    })?;
    if fm.version == 0 {
        return Err(bad(2, "version must be a positive integer".into()));
    }
    if !valid_name(&fm.name) {
        return Err(bad(
            2,
            format!(
                "name '{}' must be lowercase letters, digits and dashes",
                fm.name
            ),
        ));
    }
    let stem = Path::new(origin)
        .file_stem()
        .and_then(|s| s.to_str())
        .unwrap_or("");
    if stem != fm.name {
        return Err(bad(
            2,
            format!(
                "name '{}' differs from the file name; call the file {}.md",
                fm.name, fm.name
            ),
        ));
    }
    check_placeholders(&body, fm.input, body_line).map_err(|(line, message)| bad(line, message))?;
    Ok(Template {
        name: fm.name,
        version: fm.version,
        input: fm.input,
        description: fm.description,
        source,
        body,
        text: text.to_string(),
    })
}

fn valid_name(name: &str) -> bool {
    !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
}

/// Every `{{…}}` must be a placeholder of `kind`.
fn check_placeholders(
    body: &str,
    kind: InputKind,
    first_line: usize,
) -> Result<(), (usize, String)> {
    for (i, line) in body.lines().enumerate() {
        let mut rest = line;
        while let Some(start) = rest.find("{{") {
            let after = rest.get(start + 2..).unwrap_or("");
            let Some(end) = after.find("}}") else {
                return Err((first_line + i, "`{{` without a closing `}}`".into()));
            };
            let name = after.get(..end).unwrap_or("").trim();
            if !kind.placeholders().contains(&name) {
                return Err((
                    first_line + i,
                    format!(
                        "unknown placeholder {{{{{name}}}}} for input '{}'; known: {}",
                        kind.as_str(),
                        kind.placeholders().join(", ")
                    ),
                ));
            }
            rest = after.get(end + 2..).unwrap_or("");
        }
    }
    Ok(())
}

/// Replaces each `{{name}}` with its value (every placeholder was checked at load).
pub(crate) fn substitute(body: &str, values: &BTreeMap<&str, String>) -> String {
    let mut out = String::with_capacity(body.len());
    let mut rest = body;
    while let Some(start) = rest.find("{{") {
        out.push_str(rest.get(..start).unwrap_or(""));
        let after = rest.get(start + 2..).unwrap_or("");
        let Some(end) = after.find("}}") else {
            out.push_str(rest.get(start..).unwrap_or(""));
            return out;
        };
        let name = after.get(..end).unwrap_or("").trim();
        out.push_str(values.get(name).map(String::as_str).unwrap_or(""));
        rest = after.get(end + 2..).unwrap_or("");
    }
    out.push_str(rest);
    out
}

/// The templates in effect: the built-ins, each replaced by a project file of the same name,
/// plus the project's additions.
#[derive(Debug, Clone)]
pub struct Library {
    templates: BTreeMap<String, Template>,
}

impl Library {
    /// The built-in templates only.
    pub fn built_in() -> Library {
        let mut templates = BTreeMap::new();
        for (file, text) in BUILT_IN {
            // Built-ins are checked by this crate's tests; one that fails to parse is skipped
            // rather than taking every prompt down.
            if let Ok(t) = parse(file, text, Source::BuiltIn) {
                templates.insert(t.name.clone(), t);
            }
        }
        Library { templates }
    }

    /// The built-ins with `files` (`(path, text)`, e.g. `prompts/plan-review.md`) on top.
    /// A project template that overrides a built-in must keep its input kind, so the caller's
    /// values still fit it.
    pub fn with_project(files: &[(String, String)]) -> Result<Library, AdvisorError> {
        let mut lib = Library::built_in();
        for (path, text) in files {
            let overrides = Path::new(path)
                .file_stem()
                .and_then(|s| s.to_str())
                .and_then(|stem| lib.templates.get(stem))
                .filter(|t| t.source == Source::BuiltIn)
                .map(|t| (t.version, t.input));
            let t = parse(
                path,
                text,
                Source::Project {
                    path: path.clone(),
                    overrides: overrides.map(|(v, _)| v),
                },
            )?;
            if let Some((_, input)) = overrides {
                if input != t.input {
                    return Err(AdvisorError::Template {
                        origin: path.clone(),
                        line: 2,
                        message: format!(
                            "it overrides the built-in '{}', whose input is '{}', not '{}'",
                            t.name,
                            input.as_str(),
                            t.input.as_str()
                        ),
                    });
                }
            }
            lib.templates.insert(t.name.clone(), t);
        }
        Ok(lib)
    }

    /// The built-ins with the `*.md` files of `dir` (a work tree's `prompts/`) on top; a
    /// missing directory adds nothing.
    pub fn with_dir(dir: &Path, shown_as: &str) -> Result<Library, AdvisorError> {
        let entries = match std::fs::read_dir(dir) {
            Ok(e) => e,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Library::built_in()),
            Err(e) => {
                return Err(AdvisorError::Read {
                    path: dir.display().to_string(),
                    message: e.to_string(),
                })
            }
        };
        let mut files = Vec::new();
        for entry in entries.flatten() {
            let path = entry.path();
            if path.extension().and_then(|e| e.to_str()) != Some("md") {
                continue;
            }
            let name = format!(
                "{shown_as}/{}",
                path.file_name().and_then(|n| n.to_str()).unwrap_or("")
            );
            let text = std::fs::read_to_string(&path).map_err(|e| AdvisorError::Read {
                path: path.display().to_string(),
                message: e.to_string(),
            })?;
            files.push((name, text));
        }
        files.sort();
        Library::with_project(&files)
    }

    pub fn get(&self, name: &str) -> Result<&Template, AdvisorError> {
        self.templates
            .get(name)
            .ok_or_else(|| AdvisorError::UnknownTemplate {
                name: name.to_string(),
                known: self.templates.keys().cloned().collect(),
            })
    }

    /// Every template, by name.
    pub fn list(&self) -> impl Iterator<Item = &Template> {
        self.templates.values()
    }
}
