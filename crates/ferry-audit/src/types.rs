//! Terraform type constraints (`string`, `list(string)`, `object({...})`, ...) reduced to the shape
//! ferry needs: enough to refuse an input file whose value cannot be converted to the declared type
//! (Terraform would refuse it too, but only at plan time in that one environment).

use hcl::edit::expr::{Expression, ObjectKey};
use serde_json::Value;
use std::collections::BTreeMap;

#[derive(Debug, Clone, PartialEq)]
pub enum TypeShape {
    Any,
    String,
    Number,
    Bool,
    List(Box<TypeShape>),
    Map(Box<TypeShape>),
    Object(BTreeMap<String, TypeShape>),
    Tuple(Vec<TypeShape>),
}

impl TypeShape {
    /// Reads a `type = ...` expression; anything not understood is `Any`, so an unusual but valid
    /// constraint never turns into a false error.
    pub fn from_expr(expr: &Expression) -> TypeShape {
        match expr {
            Expression::Variable(v) => match v.as_str() {
                "string" => TypeShape::String,
                "number" => TypeShape::Number,
                "bool" => TypeShape::Bool,
                _ => TypeShape::Any,
            },
            Expression::FuncCall(call) => {
                let name = call.name.name.as_str();
                let first = call
                    .args
                    .iter()
                    .next()
                    .map(TypeShape::from_expr)
                    .unwrap_or(TypeShape::Any);
                match name {
                    "list" | "set" => TypeShape::List(Box::new(first)),
                    "map" => TypeShape::Map(Box::new(first)),
                    "optional" => first,
                    "tuple" => match call.args.iter().next() {
                        Some(Expression::Array(items)) => {
                            TypeShape::Tuple(items.iter().map(TypeShape::from_expr).collect())
                        }
                        _ => TypeShape::Any,
                    },
                    "object" => match call.args.iter().next() {
                        Some(Expression::Object(obj)) => TypeShape::Object(
                            obj.iter()
                                .filter_map(|(k, v)| {
                                    let key = match k {
                                        ObjectKey::Ident(i) => i.as_str().to_string(),
                                        ObjectKey::Expression(Expression::String(s)) => {
                                            s.as_str().to_string()
                                        }
                                        ObjectKey::Expression(_) => return None,
                                    };
                                    Some((key, TypeShape::from_expr(v.expr())))
                                })
                                .collect(),
                        ),
                        _ => TypeShape::Any,
                    },
                    _ => TypeShape::Any,
                }
            }
            _ => TypeShape::Any,
        }
    }

    /// Whether Terraform could convert `value` to this type; `Err` says what was found instead.
    pub fn check(&self, value: &Value) -> Result<(), String> {
        let ok = match (self, value) {
            (_, Value::Null) | (TypeShape::Any, _) => true,
            (TypeShape::String, Value::String(_) | Value::Number(_) | Value::Bool(_)) => true,
            (TypeShape::Number, Value::Number(_)) => true,
            (TypeShape::Number, Value::String(s)) => s.trim().parse::<f64>().is_ok(),
            (TypeShape::Bool, Value::Bool(_)) => true,
            (TypeShape::Bool, Value::String(s)) => s == "true" || s == "false",
            (TypeShape::List(inner), Value::Array(items)) => {
                for item in items {
                    inner.check(item)?;
                }
                true
            }
            (TypeShape::Tuple(types), Value::Array(items)) => {
                for (t, item) in types.iter().zip(items) {
                    t.check(item)?;
                }
                types.len() == items.len()
            }
            (TypeShape::Map(inner), Value::Object(map)) => {
                for item in map.values() {
                    inner.check(item)?;
                }
                true
            }
            (TypeShape::Object(fields), Value::Object(map)) => {
                for (key, t) in fields {
                    if let Some(v) = map.get(key) {
                        t.check(v).map_err(|found| format!("{found} at `{key}`"))?;
                    }
                }
                true
            }
            _ => false,
        };
        if ok {
            Ok(())
        } else {
            Err(describe(value))
        }
    }
}

/// A short description of a value's JSON type, for messages.
pub fn describe(value: &Value) -> String {
    match value {
        Value::Null => "null".into(),
        Value::Bool(b) => format!("a bool ({b})"),
        Value::Number(n) => format!("a number ({n})"),
        Value::String(s) => format!("a string ({})", serde_json::Value::String(s.clone())),
        Value::Array(_) => "a list".into(),
        Value::Object(_) => "an object".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn shape(text: &str) -> TypeShape {
        let expr: Expression = text.parse().unwrap();
        TypeShape::from_expr(&expr)
    }

    #[test]
    fn reads_constraints_and_checks_values() {
        assert_eq!(shape("string"), TypeShape::String);
        assert_eq!(
            shape("list(number)"),
            TypeShape::List(Box::new(TypeShape::Number))
        );
        let obj = shape("object({ engine = string, size = optional(number) })");
        assert_eq!(
            obj,
            TypeShape::Object(BTreeMap::from([
                ("engine".into(), TypeShape::String),
                ("size".into(), TypeShape::Number)
            ]))
        );
        assert!(obj
            .check(&json!({"engine": "postgres", "size": "20"}))
            .is_ok());
        assert_eq!(
            obj.check(&json!({"size": "big"})),
            Err("a string (\"big\") at `size`".into())
        );
        assert!(TypeShape::Number.check(&json!("3")).is_ok());
        assert_eq!(TypeShape::Number.check(&json!([1])), Err("a list".into()));
        assert_eq!(
            shape("list(string)").check(&json!("a")),
            Err("a string (\"a\")".into())
        );
        assert!(TypeShape::Bool.check(&json!(null)).is_ok());
    }
}
