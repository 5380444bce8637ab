//! Learning which values are secret, so nothing ferry shows or stores carries them: the root
//! module's `sensitive = true` variables with their values from the var files and `TF_VAR_*`,
//! and, once a plan exists, every value its sensitivity markers cover (sensitive variables,
//! `before_sensitive`/`after_sensitive` leaves, sensitive outputs).

use crate::context::App;
use serde_json::Value;
use std::path::{Path, PathBuf};

/// Plans larger than this are not parsed whole for markers (the configuration's secrets are
/// still known); a streaming pass would lift the limit.
const MARKER_SCAN_LIMIT: u64 = 256 << 20;

impl App {
    /// `text` without any secret known to this process.
    pub fn redact(&self, text: &str) -> String {
        self.redactor.redact(text)
    }

    pub(crate) fn redact_json(&self, value: Value) -> Value {
        if self.redactor.is_empty() {
            return value;
        }
        let text = value.to_string();
        let clean = self.redactor.redact(&text);
        if clean == text {
            return value;
        }
        match serde_json::from_str(&clean) {
            Ok(v) => v,
            Err(_) => Value::String(clean),
        }
    }

    /// The sensitive variables of the module at `module_dir` and their values in `var_files`
    /// (plus the module's own `*.auto.tfvars`) and the engine's environment.
    pub(crate) fn learn_config_secrets(
        &self,
        module_dir: &Path,
        var_files: &[PathBuf],
        env: &[(String, String)],
    ) {
        let names = sensitive_variables(module_dir);
        if names.is_empty() {
            return;
        }
        let mut files: Vec<PathBuf> = var_files.to_vec();
        if let Ok(entries) = std::fs::read_dir(module_dir) {
            files.extend(
                entries
                    .filter_map(Result::ok)
                    .map(|e| e.path())
                    .filter(|p| {
                        p.to_string_lossy().ends_with(".auto.tfvars")
                            || p.file_name().is_some_and(|n| n == "terraform.tfvars")
                    }),
            );
        }
        for f in files {
            let Ok(text) = std::fs::read_to_string(&f) else {
                continue;
            };
            let Ok(body) = hcl::parse(&text) else {
                continue;
            };
            for attr in body.attributes() {
                if names.iter().any(|n| n == attr.key()) {
                    use hcl::eval::Evaluate;
                    if let Ok(v) = attr.expr().evaluate(&hcl::eval::Context::new()) {
                        if let Ok(j) = serde_json::to_value(&v) {
                            self.redactor.add_json(&j);
                        }
                    }
                }
            }
        }
        for n in &names {
            if let Some(v) = ferry_engine::var_from_environment(n, env) {
                self.redactor.add(&v);
            }
        }
    }

    /// Every value the plan JSON at `path` marks sensitive.
    pub(crate) fn learn_plan_secrets(&self, path: &Path) {
        let small = std::fs::metadata(path).is_ok_and(|m| m.len() <= MARKER_SCAN_LIMIT);
        if !small {
            return;
        }
        let Ok(file) = std::fs::File::open(path) else {
            return;
        };
        let Ok(plan) = serde_json::from_reader::<_, Value>(std::io::BufReader::new(file)) else {
            return;
        };
        if let Some(vars) = plan["configuration"]["root_module"]["variables"].as_object() {
            for (name, decl) in vars {
                if decl["sensitive"] == Value::Bool(true) {
                    self.redactor.add_json(&plan["variables"][name]["value"]);
                }
            }
        }
        let changes = plan["resource_changes"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|rc| &rc["change"]);
        let outputs = plan["output_changes"]
            .as_object()
            .into_iter()
            .flat_map(|o| o.values());
        for change in changes.chain(outputs) {
            for side in ["before", "after"] {
                self.marked(&change[side], &change[format!("{side}_sensitive")]);
            }
        }
        if let Some(outs) = plan["planned_values"]["outputs"].as_object() {
            for o in outs.values() {
                if o["sensitive"] == Value::Bool(true) {
                    self.redactor.add_json(&o["value"]);
                }
            }
        }
    }

    /// Adds the parts of `value` that `marks` (same shape, `true` where sensitive) covers.
    fn marked(&self, value: &Value, marks: &Value) {
        match (value, marks) {
            (v, Value::Bool(true)) => self.redactor.add_json(v),
            (Value::Object(v), Value::Object(m)) => {
                for (k, mark) in m {
                    if let Some(x) = v.get(k) {
                        self.marked(x, mark);
                    }
                }
            }
            (Value::Array(v), Value::Array(m)) => {
                for (x, mark) in v.iter().zip(m) {
                    self.marked(x, mark);
                }
            }
            _ => {}
        }
    }
}

/// Names of the `variable` blocks with `sensitive = true` in the module's own `.tf` files.
fn sensitive_variables(module_dir: &Path) -> Vec<String> {
    let mut names = Vec::new();
    let Ok(entries) = std::fs::read_dir(module_dir) else {
        return names;
    };
    for e in entries.filter_map(Result::ok) {
        let path = e.path();
        if path.extension().is_none_or(|x| x != "tf") {
            continue;
        }
        let Ok(body) = std::fs::read_to_string(&path).map(|t| hcl::parse(&t)) else {
            continue;
        };
        let Ok(body) = body else { continue };
        for b in body.blocks().filter(|b| b.identifier() == "variable") {
            let sensitive = b
                .body()
                .attributes()
                .any(|a| a.key() == "sensitive" && matches!(a.expr(), hcl::Expression::Bool(true)));
            if let (true, Some(label)) = (sensitive, b.labels().first()) {
                names.push(label.as_str().to_string());
            }
        }
    }
    names
}
