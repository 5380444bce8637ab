//! An environment's input files (`.tfvars` in HCL, `.tfvars.json`), read the way Terraform reads
//! them: later files override earlier ones, values are constants, and each value must convert to
//! the declared type. Every value remembers where it was set so the report can point at it.

use crate::error::{line_of, AuditError, Lines, TypeMismatch};
use crate::module::{literal, parse_hcl, RootModule};
use crate::types::describe;
use hcl::edit::structure::Structure;
use hcl::edit::Span;
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// One variable's value in one environment and where it was set.
#[derive(Debug, Clone, PartialEq)]
pub struct Assigned {
    pub value: Value,
    pub file: PathBuf,
    pub line: usize,
}

impl Assigned {
    pub fn location(&self) -> String {
        format!("{}:{}", self.file.display(), self.line)
    }
}

/// An input file's text and, for HCL files, the byte range of each variable's value expression
/// (used to redact sensitive values from the review prompt without reformatting the file).
#[derive(Debug, Clone, PartialEq)]
pub struct InputFile {
    pub path: PathBuf,
    pub text: String,
    pub json: bool,
    pub value_spans: BTreeMap<String, std::ops::Range<usize>>,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct EnvInputs {
    pub name: String,
    pub values: BTreeMap<String, Assigned>,
    pub files: Vec<InputFile>,
}

/// Reads and merges `files` for environment `name`, checking values against `module`'s types.
pub fn load_env_inputs(
    name: &str,
    files: &[PathBuf],
    module: &RootModule,
) -> Result<EnvInputs, AuditError> {
    if files.is_empty() {
        return Err(AuditError::NoInputs(name.to_string()));
    }
    let mut env = EnvInputs {
        name: name.to_string(),
        ..EnvInputs::default()
    };
    for path in files {
        let text = std::fs::read_to_string(path).map_err(|source| AuditError::Read {
            path: path.clone(),
            source,
        })?;
        let is_json = path.extension().is_some_and(|e| e == "json");
        let (values, spans) = if is_json {
            parse_json(path, &text)?
        } else {
            parse_tfvars(path, &text)?
        };
        for (var, assigned) in values {
            if let Some(decl) = module.variables.get(&var) {
                decl.ty.check(&assigned.value).map_err(|found| {
                    AuditError::WrongType(Box::new(TypeMismatch {
                        path: path.clone(),
                        line: assigned.line,
                        name: var.clone(),
                        expected: decl.type_text.clone().unwrap_or_else(|| "any".into()),
                        found,
                        declared_at: decl.location(),
                    }))
                })?;
            }
            env.values.insert(var, assigned);
        }
        env.files.push(InputFile {
            path: path.clone(),
            text,
            json: is_json,
            value_spans: spans,
        });
    }
    Ok(env)
}

type Parsed = (
    Vec<(String, Assigned)>,
    BTreeMap<String, std::ops::Range<usize>>,
);

fn parse_tfvars(path: &Path, text: &str) -> Result<Parsed, AuditError> {
    let body = parse_hcl(path, text)?;
    let lines = Lines::new(text);
    let mut values = Vec::new();
    let mut spans = BTreeMap::new();
    for structure in body.iter() {
        match structure {
            Structure::Attribute(attr) => {
                let name = attr.key.as_str().to_string();
                let line = attr.key.span().map_or(1, |s| lines.line(s.start));
                let value = literal(path, text, &name, &attr.value)?;
                if let Some(span) = attr.value.span() {
                    spans.insert(name.clone(), span);
                }
                values.push((
                    name,
                    Assigned {
                        value,
                        file: path.to_path_buf(),
                        line,
                    },
                ));
            }
            Structure::Block(block) => {
                let line = block.span().map_or(1, |s| line_of(text, s.start));
                return Err(AuditError::Input {
                    path: path.to_path_buf(),
                    line,
                    message: format!(
                        "`{}` is a block; input files hold only `name = value` assignments",
                        block.ident.as_str()
                    ),
                });
            }
        }
    }
    Ok((values, spans))
}

fn parse_json(path: &Path, text: &str) -> Result<Parsed, AuditError> {
    let value: Value = serde_json::from_str(text).map_err(|e| AuditError::Json {
        path: path.to_path_buf(),
        line: e.line(),
        column: e.column(),
        message: e.to_string(),
    })?;
    let Value::Object(map) = value else {
        return Err(AuditError::Input {
            path: path.to_path_buf(),
            line: 1,
            message: format!(
                "a .tfvars.json file must hold one JSON object of variable names to values, not {}",
                describe(&value)
            ),
        });
    };
    let values = map
        .into_iter()
        .map(|(name, value)| {
            let line = json_key_line(text, &name);
            (
                name,
                Assigned {
                    value,
                    file: path.to_path_buf(),
                    line,
                },
            )
        })
        .collect();
    Ok((values, BTreeMap::new()))
}

/// The line of a top-level key in JSON text: serde_json keeps no positions, and a first-match
/// search is right for the flat files Terraform accepts.
fn json_key_line(text: &str, key: &str) -> usize {
    let needle = format!("{}:", Value::String(key.to_string()));
    let needle_spaced = format!("{} :", Value::String(key.to_string()));
    text.find(&needle)
        .or_else(|| text.find(&needle_spaced))
        .map_or(1, |off| line_of(text, off))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::module::Declaration;
    use crate::types::TypeShape;
    use serde_json::json;

    fn module_with(name: &str, ty: TypeShape, text: &str) -> RootModule {
        let mut m = RootModule::default();
        m.variables.insert(
            name.into(),
            Declaration {
                name: name.into(),
                ty,
                type_text: Some(text.into()),
                default: None,
                sensitive: false,
                file: "infra/variables.tf".into(),
                line: 4,
                used: true,
            },
        );
        m
    }

    #[test]
    fn later_files_override_and_lines_are_kept() {
        let dir = tempfile::tempdir().unwrap();
        let a = dir.path().join("common.tfvars");
        let b = dir.path().join("prod.tfvars.json");
        std::fs::write(
            &a,
            "# shared\nsize = 2\nregion = \"eu-west-1\"\ntags = { team = \"x\" }\n",
        )
        .unwrap();
        std::fs::write(&b, "{\n  \"size\": 5\n}\n").unwrap();
        let env = load_env_inputs("prod", &[a.clone(), b.clone()], &RootModule::default()).unwrap();
        assert_eq!(
            env.values["size"],
            Assigned {
                value: json!(5),
                file: b,
                line: 2
            }
        );
        assert_eq!(
            env.values["region"],
            Assigned {
                value: json!("eu-west-1"),
                file: a.clone(),
                line: 3
            }
        );
        assert_eq!(env.values["tags"].value, json!({"team": "x"}));
        assert_eq!(
            &env.files[0].text[env.files[0].value_spans["region"].clone()],
            "\"eu-west-1\""
        );
    }

    #[test]
    fn bad_inputs_are_clear_errors() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("x.tfvars");
        let m = RootModule::default();
        std::fs::write(&p, "a = 1\nb = = 2\n").unwrap();
        let e = load_env_inputs("dev", std::slice::from_ref(&p), &m)
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("x.tfvars:2:5: HCL syntax error: invalid expression"),
            "{e}"
        );
        std::fs::write(&p, "a = var.b\n").unwrap();
        let e = load_env_inputs("dev", std::slice::from_ref(&p), &m)
            .unwrap_err()
            .to_string();
        assert!(e.contains("x.tfvars:1: `a` is not a constant value"), "{e}");
        let j = dir.path().join("x.tfvars.json");
        std::fs::write(&j, "[1]").unwrap();
        let e = load_env_inputs("dev", std::slice::from_ref(&j), &m)
            .unwrap_err()
            .to_string();
        assert!(e.contains("must hold one JSON object"), "{e}");
        std::fs::write(&j, "{\n \"size\": \"big\"\n}").unwrap();
        let typed = module_with("size", TypeShape::Number, "number");
        let e = load_env_inputs("dev", std::slice::from_ref(&j), &typed)
            .unwrap_err()
            .to_string();
        assert!(
            e.ends_with("x.tfvars.json:2: variable `size` is declared as number (infra/variables.tf:4) but is a string (\"big\") here"),
            "{e}"
        );
        let e = load_env_inputs("dev", &[], &m).unwrap_err().to_string();
        assert!(e.starts_with("environment 'dev' has no input files"), "{e}");
        let e = load_env_inputs("dev", &[dir.path().join("missing.tfvars")], &m)
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("cannot read") && e.contains("missing.tfvars"),
            "{e}"
        );
    }
}
