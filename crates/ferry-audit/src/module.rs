//! The root module's `variable` blocks: their declared types (to refuse ill-typed inputs), defaults
//! (an environment that omits a variable gets the default, which may differ from what the other
//! environment sets), sensitivity (values never shown), and whether any code reads them (a variable
//! nobody reads makes environments look different when they are not, or the same when they are not).

use crate::error::{line_of, AuditError};
use crate::types::TypeShape;
use hcl::edit::expr::{Expression, Traversal, TraversalOperator};
use hcl::edit::structure::{Body, Structure};
use hcl::edit::visit::{self, Visit};
use hcl::edit::Span;
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

#[derive(Debug, Clone, PartialEq)]
pub struct Declaration {
    pub name: String,
    pub ty: TypeShape,
    /// The type constraint as written, e.g. `list(string)`.
    pub type_text: Option<String>,
    pub default: Option<Value>,
    pub sensitive: bool,
    pub file: PathBuf,
    pub line: usize,
    pub used: bool,
}

impl Declaration {
    pub fn location(&self) -> String {
        format!("{}:{}", self.file.display(), self.line)
    }
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct RootModule {
    pub dir: PathBuf,
    pub variables: BTreeMap<String, Declaration>,
    /// The module's `.tf` files, for copy-paste comparison and the review prompt.
    pub files: Vec<PathBuf>,
}

/// Reads every `*.tf` file directly in `dir` (Terraform does not recurse into subdirectories).
pub fn load_root_module(dir: &Path) -> Result<RootModule, AuditError> {
    if !dir.is_dir() {
        return Err(AuditError::NoRootModule(dir.to_path_buf()));
    }
    let mut files = tf_files(dir)?;
    files.sort();
    let mut variables = BTreeMap::new();
    let mut used = BTreeSet::new();
    for file in &files {
        let text = std::fs::read_to_string(file).map_err(|source| AuditError::Read {
            path: file.clone(),
            source,
        })?;
        let body = parse_hcl(file, &text)?;
        collect_declarations(file, &text, &body, &mut variables)?;
        let mut refs = VarRefs(&mut used);
        refs.visit_body(&body);
    }
    for (name, decl) in variables.iter_mut() {
        decl.used = used.contains(name);
    }
    Ok(RootModule {
        dir: dir.to_path_buf(),
        variables,
        files,
    })
}

pub(crate) fn tf_files(dir: &Path) -> Result<Vec<PathBuf>, AuditError> {
    let entries = std::fs::read_dir(dir).map_err(|source| AuditError::Read {
        path: dir.to_path_buf(),
        source,
    })?;
    let mut files = Vec::new();
    for entry in entries {
        let entry = entry.map_err(|source| AuditError::Read {
            path: dir.to_path_buf(),
            source,
        })?;
        let path = entry.path();
        if path.extension().is_some_and(|e| e == "tf") && path.is_file() {
            files.push(path);
        }
    }
    Ok(files)
}

/// Parses HCL, turning a syntax error into file:line:column.
pub(crate) fn parse_hcl(path: &Path, text: &str) -> Result<Body, AuditError> {
    hcl::edit::parser::parse_body(text).map_err(|e| AuditError::Syntax {
        path: path.to_path_buf(),
        line: e.location().line(),
        column: e.location().column(),
        message: e.message().to_string(),
    })
}

fn collect_declarations(
    file: &Path,
    text: &str,
    body: &Body,
    out: &mut BTreeMap<String, Declaration>,
) -> Result<(), AuditError> {
    for structure in body.iter() {
        let Structure::Block(block) = structure else {
            continue;
        };
        if block.ident.as_str() != "variable" {
            continue;
        }
        let line = block.span().map_or(1, |s| line_of(text, s.start));
        let Some(label) = block.labels.first() else {
            return Err(AuditError::Input {
                path: file.to_path_buf(),
                line,
                message: "variable block without a name".into(),
            });
        };
        let name = label.as_str().to_string();
        let mut decl = Declaration {
            name: name.clone(),
            ty: TypeShape::Any,
            type_text: None,
            default: None,
            sensitive: false,
            file: file.to_path_buf(),
            line,
            used: false,
        };
        for attr in block.body.attributes() {
            match attr.key.as_str() {
                "type" => {
                    decl.ty = TypeShape::from_expr(&attr.value);
                    decl.type_text = attr
                        .value
                        .span()
                        .and_then(|s| text.get(s))
                        .map(|s| s.trim().to_string());
                }
                "default" => decl.default = Some(literal(file, text, &name, &attr.value)?),
                "sensitive" => {
                    decl.sensitive = matches!(attr.value, Expression::Bool(ref b) if *b.value())
                }
                _ => {}
            }
        }
        out.insert(name, decl);
    }
    Ok(())
}

/// Evaluates a constant expression (defaults, tfvars values) into JSON. Variables, locals and
/// resources are not available here, exactly as in Terraform's tfvars files.
pub(crate) fn literal(
    file: &Path,
    text: &str,
    name: &str,
    expr: &Expression,
) -> Result<Value, AuditError> {
    use hcl::eval::Evaluate;
    let line = || expr.span().map_or(1, |s| line_of(text, s.start));
    let owned: hcl::Expression = expr.clone().into();
    let value = owned
        .evaluate(&hcl::eval::Context::new())
        .map_err(|e| AuditError::Input {
            path: file.to_path_buf(),
            line: line(),
            message: format!(
                "`{name}` is not a constant value ({e}); input files may only hold literal values"
            ),
        })?;
    serde_json::to_value(&value).map_err(|e| AuditError::Input {
        path: file.to_path_buf(),
        line: line(),
        message: format!("`{name}`: {e}"),
    })
}

/// Collects the names `NAME` of every `var.NAME` traversal, wherever it appears (attributes,
/// templates, for expressions, nested blocks).
struct VarRefs<'a>(&'a mut BTreeSet<String>);

impl Visit for VarRefs<'_> {
    fn visit_traversal(&mut self, node: &Traversal) {
        if let Expression::Variable(root) = &node.expr {
            if root.as_str() == "var" {
                if let Some(TraversalOperator::GetAttr(name)) =
                    node.operators.first().map(|op| op.value())
                {
                    self.0.insert(name.as_str().to_string());
                }
            }
        }
        visit::visit_traversal(self, node);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_declarations_usage_and_defaults() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("variables.tf"),
            r#"
variable "size" {
  type    = number
  default = 2
}
variable "password" {
  type      = string
  sensitive = true
}
variable "unused" {
  type    = list(string)
  default = ["a", "b"]
}
variable "tags" {}
"#,
        )
        .unwrap();
        std::fs::write(
            dir.path().join("main.tf"),
            r#"
resource "null_resource" "db" {
  count = var.size
  triggers = {
    pw   = "${var.password}-x"
    tags = jsonencode({ for k, v in var.tags : k => v })
  }
}
"#,
        )
        .unwrap();
        let module = load_root_module(dir.path()).unwrap();
        let v = &module.variables;
        assert_eq!(v.len(), 4);
        assert_eq!(v["size"].default, Some(serde_json::json!(2)));
        assert_eq!(v["size"].line, 2);
        assert!(v["password"].sensitive && v["password"].used);
        assert!(!v["unused"].used);
        assert_eq!(v["unused"].type_text.as_deref(), Some("list(string)"));
        assert!(v["tags"].used);
        assert_eq!(v["tags"].ty, TypeShape::Any);
    }

    #[test]
    fn syntax_error_has_line_and_column() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("main.tf"),
            "variable \"a\" {\n  type = \n}\n",
        )
        .unwrap();
        let err = load_root_module(dir.path()).unwrap_err().to_string();
        assert!(
            err.contains("main.tf:2:10: HCL syntax error: invalid expression"),
            "{err}"
        );
    }
}
