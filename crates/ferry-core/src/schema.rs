//! The JSON Schema of ferry.toml, generated from the configuration types themselves, so an
//! editor (Taplo, VS Code's Even Better TOML) flags an unknown key or a wrong type as it is
//! typed, and the schema can never disagree with what ferry accepts. Tables validated by their
//! own crates (`[review]`, `[policy]`, `[[environment.verify]]`, …) appear as free objects here;
//! `ferry init --check` validates them fully.

use crate::config::Config;
use crate::schedule::{DurationText, FreezeRaw, FreezeWindow};
use schemars::{json_schema, JsonSchema, Schema, SchemaGenerator};
use std::borrow::Cow;

/// A table another crate validates.
pub(crate) type Table = serde_json::Map<String, serde_json::Value>;

/// The schema `ferry schema` prints.
pub fn config_schema() -> serde_json::Value {
    let schema = schemars::schema_for!(Config);
    serde_json::to_value(&schema).unwrap_or_default()
}

impl JsonSchema for DurationText {
    fn schema_name() -> Cow<'static, str> {
        "Duration".into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "type": "string",
            "description": "A duration: numbers with units s, m, h, d, e.g. \"90s\", \"30m\" or \"1h30m\"; at most 3650 days.",
            "pattern": "^\\s*([0-9]+[smhd])+\\s*$"
        })
    }
}

impl JsonSchema for FreezeWindow {
    fn schema_name() -> Cow<'static, str> {
        FreezeRaw::schema_name()
    }

    fn json_schema(generator: &mut SchemaGenerator) -> Schema {
        FreezeRaw::json_schema(generator)
    }
}
