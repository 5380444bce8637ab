//! What the single pass keeps for the policy gate and the approval binding, when asked: where
//! every large element of the plan lies in the file (12 bytes each), the small sections as
//! text, and the change digest. Policies then read the plan in windows rebuilt from those
//! places (the file is read again only there, and only those bytes), so a 1 GB plan is never a
//! tree in memory.

use crate::canon::{self, hash_json, hash_str};
use crate::model::{Action, RawChange};
use sha2::{Digest as _, Sha256};

mod walk;
mod windows;

pub(crate) use walk::{planned_values, prior_state};
pub(crate) use windows::Windows;

/// Where one element lies in the file.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Span {
    pub at: u64,
    pub len: u32,
}

/// One module object of `planned_values` / `prior_state.values`.
#[derive(Debug)]
pub(crate) struct Module {
    pub parent: Option<usize>,
    /// Its `address` member, as JSON text.
    pub address: Option<Vec<u8>>,
    pub resources: Vec<Span>,
}

/// `planned_values` or `prior_state`: the module tree by place, the rest as text.
#[derive(Debug, Default)]
pub(crate) struct Tree {
    /// `prior_state`'s members besides `values` (its format and engine version).
    pub outer: Vec<(String, Vec<u8>)>,
    /// Members of the module holder besides `root_module` (`outputs`).
    pub holder: Vec<(String, Vec<u8>)>,
    pub modules: Vec<Module>,
}

/// The order-independent sum of the entries' hashes (a multiset hash): two plans holding the
/// same changes in any order sum to the same value, and any change to one entry changes it.
#[derive(Debug, Default)]
pub(crate) struct ChangeSum {
    limbs: [u64; 4],
    count: u64,
}

impl ChangeSum {
    fn add(&mut self, digest: &[u8]) {
        let mut carry = 0u64;
        for (i, limb) in self.limbs.iter_mut().enumerate() {
            let mut word = [0u8; 8];
            if let Some(b) = digest.get(i * 8..i * 8 + 8) {
                word.copy_from_slice(b);
            }
            let (s1, c1) = limb.overflowing_add(u64::from_le_bytes(word));
            let (s2, c2) = s1.overflowing_add(carry);
            *limb = s2;
            carry = u64::from(c1) + u64::from(c2);
        }
        self.count += 1;
    }

    /// Adds one resource change: address, deposed key, actions, before, after, after_unknown
    /// and replace_paths (as a set), each canonical.
    pub(crate) fn entry(
        &mut self,
        raw: &RawChange<'_>,
        action: Action,
        replace_paths: Option<&str>,
    ) {
        let mut h = Sha256::new();
        h.update(b"resource_change\0");
        hash_str(&mut h, &raw.address);
        h.update(b",");
        match &raw.deposed {
            Some(d) => hash_str(&mut h, d),
            None => h.update(b"null"),
        }
        h.update(b",");
        h.update(action.as_json().as_bytes());
        for side in [
            raw.change.before,
            raw.change.after,
            raw.change.after_unknown,
        ] {
            h.update(b",");
            match side.and_then(|b| std::str::from_utf8(b).ok()) {
                Some(text) => hash_json(&mut h, text),
                None => h.update(b"null"),
            }
        }
        h.update(b",");
        let mut paths: Vec<String> = replace_paths
            .and_then(crate::json::elements)
            .unwrap_or_default()
            .into_iter()
            .map(canon::sha256_json)
            .collect();
        paths.sort_unstable();
        paths.dedup();
        h.update(paths.join(",").as_bytes());
        self.add(&h.finalize());
    }
}

/// What the pass records for one plan.
#[derive(Debug, Default)]
pub(crate) struct Recorder {
    /// Top-level members other than the four large ones, in file order, as text.
    pub small: Vec<(String, Vec<u8>)>,
    pub changes: Vec<Span>,
    pub drift: Vec<Span>,
    pub planned: Option<Tree>,
    pub prior: Option<Tree>,
    pub sum: ChangeSum,
}

impl Recorder {
    pub(crate) fn keep(&mut self, key: &str, raw: &[u8]) {
        self.small.push((key.to_string(), raw.to_vec()));
    }

    fn section(&self, key: &str) -> Option<&str> {
        self.small
            .iter()
            .find(|(k, _)| k == key)
            .and_then(|(_, v)| std::str::from_utf8(v).ok())
    }

    /// The change digest: the entries' sum, `output_changes` (name, actions, before, after,
    /// after_unknown), each root variable's value as its own hash (no value appears in clear)
    /// and the canonical `configuration` (where provisioner commands live). Timestamps, the
    /// prior state and the engine version are left out: two plans of the same change made at
    /// different times have the same digest.
    pub(crate) fn change_digest(&self) -> String {
        let mut h = Sha256::new();
        h.update(b"ferry change digest v1\0");
        h.update(self.sum.count.to_le_bytes());
        for limb in self.sum.limbs {
            h.update(limb.to_le_bytes());
        }
        h.update(b"\0output_changes\0");
        let mut outputs = self
            .section("output_changes")
            .and_then(crate::json::members)
            .unwrap_or_default();
        outputs.sort_by(|a, b| a.0.cmp(&b.0));
        for (name, body) in outputs {
            hash_str(&mut h, &name);
            let fields = crate::json::members(body).unwrap_or_default();
            for key in ["actions", "before", "after", "after_unknown"] {
                h.update(b",");
                match fields.iter().find(|(k, _)| k == key) {
                    Some((_, v)) => hash_json(&mut h, v),
                    None => h.update(b"null"),
                }
            }
            h.update(b"\n");
        }
        h.update(b"\0variables\0");
        let mut vars: Vec<(String, String)> = self
            .section("variables")
            .and_then(crate::json::members)
            .unwrap_or_default()
            .into_iter()
            .map(|(name, body)| {
                let value = crate::json::members(body)
                    .unwrap_or_default()
                    .into_iter()
                    .find(|(k, _)| k == "value")
                    .map_or("null", |(_, v)| v);
                (name.into_owned(), canon::sha256_json(value))
            })
            .collect();
        vars.sort();
        for (name, value) in &vars {
            hash_str(&mut h, name);
            h.update(b"=");
            h.update(value.as_bytes());
            h.update(b"\n");
        }
        h.update(b"\0configuration\0");
        match self.section("configuration") {
            Some(c) => hash_json(&mut h, c),
            None => h.update(b"null"),
        }
        canon::hex(&h.finalize())
    }
}
