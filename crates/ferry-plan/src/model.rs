//! The parts of the `show -json` plan format that the review reads, as serde types.
//!
//! Entries of `resource_changes` are deserialized one at a time from their own bytes, borrowing
//! (`before`/`after` stay raw JSON text until a diff needs them), so a huge plan never becomes a
//! huge tree. Unknown keys are ignored: newer Terraform versions add fields within a major format.

use serde::de::{self, DeserializeSeed, MapAccess, SeqAccess, Visitor};
use serde::{Deserialize, Deserializer, Serialize};
use serde_json::value::RawValue;
use std::borrow::Cow;
use std::collections::BTreeMap;
use std::fmt;

/// Every action form a `resource_changes` entry can carry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Action {
    NoOp,
    Create,
    Read,
    Update,
    Delete,
    /// `["delete","create"]`: the default replace, with a gap where neither object exists.
    DeleteThenCreate,
    /// `["create","delete"]`: `create_before_destroy`.
    CreateThenDelete,
    Forget,
    /// `["create","forget"]`: a new object, the old one left in the cloud unmanaged.
    CreateThenForget,
    /// `["forget","create"]`.
    ForgetThenCreate,
}

/// The action classes the summary counts and the baseline comparison compares.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ActionKind {
    Create,
    Update,
    Replace,
    Delete,
    Forget,
    Read,
    NoOp,
}

impl ActionKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ActionKind::Create => "create",
            ActionKind::Update => "update",
            ActionKind::Replace => "replace",
            ActionKind::Delete => "delete",
            ActionKind::Forget => "forget",
            ActionKind::Read => "read",
            ActionKind::NoOp => "no-op",
        }
    }

    /// Whether applying it changes infrastructure or state.
    pub fn is_change(self) -> bool {
        !matches!(self, ActionKind::Read | ActionKind::NoOp)
    }
}

impl Action {
    pub fn parse<S: AsRef<str>>(actions: &[S]) -> Option<Action> {
        let a = |i: usize| actions.get(i).map(AsRef::as_ref);
        Some(match (actions.len(), a(0), a(1)) {
            (1, Some("no-op"), _) => Action::NoOp,
            (1, Some("create"), _) => Action::Create,
            (1, Some("read"), _) => Action::Read,
            (1, Some("update"), _) => Action::Update,
            (1, Some("delete"), _) => Action::Delete,
            (2, Some("delete"), Some("create")) => Action::DeleteThenCreate,
            (2, Some("create"), Some("delete")) => Action::CreateThenDelete,
            (1, Some("forget"), _) => Action::Forget,
            (2, Some("create"), Some("forget")) => Action::CreateThenForget,
            (2, Some("forget"), Some("create")) => Action::ForgetThenCreate,
            _ => return None,
        })
    }

    /// The action of an `actions` array written the way Terraform and OpenTofu write it (no
    /// whitespace, no escapes); `None` for any other spelling, which goes through serde.
    pub(crate) fn from_json(bytes: &[u8]) -> Option<Action> {
        Some(match bytes {
            br#"["no-op"]"# => Action::NoOp,
            br#"["create"]"# => Action::Create,
            br#"["read"]"# => Action::Read,
            br#"["update"]"# => Action::Update,
            br#"["delete"]"# => Action::Delete,
            br#"["delete","create"]"# => Action::DeleteThenCreate,
            br#"["create","delete"]"# => Action::CreateThenDelete,
            br#"["forget"]"# => Action::Forget,
            br#"["create","forget"]"# => Action::CreateThenForget,
            br#"["forget","create"]"# => Action::ForgetThenCreate,
            _ => return None,
        })
    }

    /// The `actions` array as Terraform writes it.
    pub(crate) fn as_json(self) -> &'static str {
        match self {
            Action::NoOp => r#"["no-op"]"#,
            Action::Create => r#"["create"]"#,
            Action::Read => r#"["read"]"#,
            Action::Update => r#"["update"]"#,
            Action::Delete => r#"["delete"]"#,
            Action::DeleteThenCreate => r#"["delete","create"]"#,
            Action::CreateThenDelete => r#"["create","delete"]"#,
            Action::Forget => r#"["forget"]"#,
            Action::CreateThenForget => r#"["create","forget"]"#,
            Action::ForgetThenCreate => r#"["forget","create"]"#,
        }
    }

    /// DESIGN.md: both delete and create → replace; any forget → forget; else the single action.
    pub fn kind(self) -> ActionKind {
        match self {
            Action::NoOp => ActionKind::NoOp,
            Action::Create => ActionKind::Create,
            Action::Read => ActionKind::Read,
            Action::Update => ActionKind::Update,
            Action::Delete => ActionKind::Delete,
            Action::DeleteThenCreate | Action::CreateThenDelete => ActionKind::Replace,
            Action::Forget | Action::CreateThenForget | Action::ForgetThenCreate => {
                ActionKind::Forget
            }
        }
    }
}

/// One entry of `resource_changes` or `resource_drift`, read by `entry::read`. The values stay
/// byte spans of the input (checked JSON, UTF-8), so nothing is built for what is not looked at.
#[derive(Debug)]
pub(crate) struct RawChange<'a> {
    pub address: Cow<'a, str>,
    pub mode: Option<Cow<'a, str>>,
    pub resource_type: Cow<'a, str>,
    pub previous_address: Option<Cow<'a, str>>,
    pub deposed: Option<Cow<'a, str>>,
    pub action_reason: Option<Cow<'a, str>>,
    pub change: RawChangeBody<'a>,
}

/// An entry's `actions`: a known form, or the strings it held (for the error naming them).
#[derive(Debug)]
pub(crate) enum Actions {
    Known(Action),
    Unknown(Vec<String>),
}

impl Actions {
    pub(crate) fn action(&self) -> Option<Action> {
        match self {
            Actions::Known(a) => Some(*a),
            Actions::Unknown(_) => None,
        }
    }
}

#[derive(Debug)]
pub(crate) struct RawChangeBody<'a> {
    pub actions: Actions,
    pub before: Option<&'a [u8]>,
    pub after: Option<&'a [u8]>,
    pub after_unknown: Option<&'a [u8]>,
    pub before_sensitive: Option<&'a [u8]>,
    pub after_sensitive: Option<&'a [u8]>,
    pub replace_paths: Option<Vec<Vec<PathStep>>>,
    /// `replace_paths` as text, for the change digest.
    pub replace_paths_raw: Option<&'a [u8]>,
    pub importing: Option<&'a [u8]>,
}

/// One step of an attribute path: an object key or a list index.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(untagged)]
pub(crate) enum PathStep {
    Key(String),
    Index(u64),
}

/// Dotted rendering of a path (`ebs_block_device.0.volume_size`), the `attribute` of a finding.
pub(crate) fn dotted(path: &[PathStep]) -> String {
    let mut s = String::new();
    for (i, step) in path.iter().enumerate() {
        if i > 0 {
            s.push('.');
        }
        match step {
            PathStep::Key(k) => s.push_str(k),
            PathStep::Index(n) => s.push_str(&n.to_string()),
        }
    }
    s
}

/// The `configuration` section: only what tracing an attribute to its inputs needs.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct Configuration {
    #[serde(default)]
    pub root_module: ConfigModule,
}

#[derive(Debug, Default, Deserialize)]
pub(crate) struct ConfigModule {
    #[serde(default)]
    pub resources: Vec<ConfigResource>,
    #[serde(default)]
    pub module_calls: BTreeMap<String, ModuleCall>,
    #[serde(default)]
    pub variables: BTreeMap<String, ConfigVariable>,
    #[serde(default)]
    pub outputs: BTreeMap<String, ConfigOutput>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct ConfigResource {
    pub address: String,
    #[serde(default)]
    pub expressions: BTreeMap<String, Refs>,
    #[serde(default)]
    pub count_expression: Option<Refs>,
    #[serde(default)]
    pub for_each_expression: Option<Refs>,
}

#[derive(Debug, Default, Deserialize)]
pub(crate) struct ModuleCall {
    #[serde(default)]
    pub expressions: BTreeMap<String, Refs>,
    #[serde(default)]
    pub count_expression: Option<Refs>,
    #[serde(default)]
    pub for_each_expression: Option<Refs>,
    #[serde(default)]
    pub module: ConfigModule,
}

#[derive(Debug, Default, Deserialize)]
pub(crate) struct ConfigVariable {
    #[serde(default)]
    pub sensitive: bool,
}

#[derive(Debug, Default, Deserialize)]
pub(crate) struct ConfigOutput {
    #[serde(default)]
    pub expression: Option<Refs>,
}

/// Every reference found anywhere inside an expression (nested blocks included), in order,
/// without duplicates. Constant values are read and dropped.
#[derive(Debug, Default, Clone)]
pub(crate) struct Refs(pub Vec<String>);

impl<'de> Deserialize<'de> for Refs {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Refs, D::Error> {
        let mut out = Vec::new();
        RefsSeed {
            out: &mut out,
            in_references: false,
        }
        .deserialize(d)?;
        Ok(Refs(out))
    }
}

/// Walks any JSON; nesting is bounded by serde_json's recursion limit, which is never disabled.
struct RefsSeed<'o> {
    out: &'o mut Vec<String>,
    in_references: bool,
}

impl<'de> DeserializeSeed<'de> for RefsSeed<'_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for RefsSeed<'_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an expression")
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<(), E> {
        if self.in_references && !self.out.iter().any(|r| r == v) {
            self.out.push(v.to_string());
        }
        Ok(())
    }
    fn visit_bool<E: de::Error>(self, _: bool) -> Result<(), E> {
        Ok(())
    }
    fn visit_i64<E: de::Error>(self, _: i64) -> Result<(), E> {
        Ok(())
    }
    fn visit_u64<E: de::Error>(self, _: u64) -> Result<(), E> {
        Ok(())
    }
    fn visit_f64<E: de::Error>(self, _: f64) -> Result<(), E> {
        Ok(())
    }
    fn visit_unit<E: de::Error>(self) -> Result<(), E> {
        Ok(())
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        while seq
            .next_element_seed(RefsSeed {
                out: &mut *self.out,
                in_references: self.in_references,
            })?
            .is_some()
        {}
        Ok(())
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        while let Some(key) = map.next_key::<Cow<'de, str>>()? {
            // A constant's content cannot hold references; skip it without looking.
            if key == "constant_value" {
                map.next_value::<de::IgnoredAny>()?;
                continue;
            }
            let in_references = key == "references";
            map.next_value_seed(RefsSeed {
                out: &mut *self.out,
                in_references,
            })?;
        }
        Ok(())
    }
}

/// One entry of the top-level `variables`: its value, kept as JSON text only to compare it.
#[derive(Debug, Deserialize)]
pub(crate) struct VariableValue {
    #[serde(default)]
    pub value: Option<Box<RawValue>>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_action_form_maps_to_its_summary_class() {
        let cases: [(&[&str], ActionKind); 10] = [
            (&["no-op"], ActionKind::NoOp),
            (&["create"], ActionKind::Create),
            (&["read"], ActionKind::Read),
            (&["update"], ActionKind::Update),
            (&["delete"], ActionKind::Delete),
            (&["delete", "create"], ActionKind::Replace),
            (&["create", "delete"], ActionKind::Replace),
            (&["forget"], ActionKind::Forget),
            (&["create", "forget"], ActionKind::Forget),
            (&["forget", "create"], ActionKind::Forget),
        ];
        for (actions, kind) in cases {
            assert_eq!(
                Action::parse(actions).map(Action::kind),
                Some(kind),
                "{actions:?}"
            );
        }
        assert_eq!(Action::parse(&["delete", "delete"]), None);
        assert_eq!(Action::parse::<&str>(&[]), None);
    }

    #[test]
    fn refs_collects_nested_block_references_and_ignores_constants() {
        let json = r#"{"constant_value": {"references": ["not.a.ref"]}, "ebs": [{"size": {"references": ["var.size", "local.x"]}}],
                       "references": ["var.size", "aws_vpc.main.id"]}"#;
        let refs: Refs = serde_json::from_str(json).unwrap();
        assert_eq!(refs.0, vec!["var.size", "local.x", "aws_vpc.main.id"]);
    }
}
