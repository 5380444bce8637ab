//! What one pass over a plan keeps: the summary, the findings that need no baseline, and per
//! configuration address the little the baseline comparison needs (actions, instance count,
//! changed attribute paths). Entries are dropped as soon as they are digested, so memory grows
//! with the configuration and the findings, not with the file.

use crate::address::config_address;
use crate::config::ReviewConfig;
use crate::diff::{self, Changed, Secrets};
use crate::entry::{self, Label};
use crate::error::RawError;
use crate::model::{dotted, Action, ActionKind, Actions, RawChange};
use crate::parse::{serde_error, Sink};
use ferry_core::{Finding, FindingKind, Severity, Summary};
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::hash::{Hash, Hasher};

/// Listed findings per kind; past this they are counted in one closing finding, so a plan that
/// deletes ten million objects still yields a review of bounded size (~40 MB at most per kind).
pub(crate) const FINDINGS_PER_KIND: u64 = 100_000;
/// Changed attribute paths remembered per configuration address.
const ATTRIBUTES_PER_ADDRESS: usize = 256;
const LISTED_DRIFT_PATHS: usize = 8;
/// Created instance addresses remembered per configuration address, and instances of the
/// baseline remembered per configuration address (as hashes); past these the comparison says it
/// cannot tell instead of guessing.
const CREATED_PER_ADDRESS: usize = 4096;
const INSTANCES_PER_ADDRESS: usize = 1 << 16;

/// The changes of one configuration address (instance keys stripped).
#[derive(Debug, Default)]
pub(crate) struct Aggregate {
    pub resource_type: String,
    pub actions: BTreeSet<ActionKind>,
    pub instances: u64,
    pub example: String,
    /// Changed path → an example `before → after`, sensitive values masked.
    pub attributes: BTreeMap<String, String>,
    /// Instance addresses this plan creates (at most [`CREATED_PER_ADDRESS`]) and how many more.
    pub created: Vec<String>,
    pub created_unlisted: u64,
}

/// The instances of one configuration address that exist once a plan is applied, hashed: what
/// a baseline needs to say whether an instance created in the other plan is one it has too.
#[derive(Debug, Default)]
pub(crate) struct Instances {
    after: HashSet<u64>,
    pub overflow: bool,
}

pub(crate) fn instance_hash(address: &str) -> u64 {
    let mut h = std::hash::DefaultHasher::new();
    address.hash(&mut h);
    h.finish()
}

impl Instances {
    pub(crate) fn has(&self, address: &str) -> bool {
        self.after.contains(&instance_hash(address))
    }

    pub(crate) fn len(&self) -> usize {
        self.after.len()
    }
}

#[derive(Debug, Default)]
pub(crate) struct FindingList {
    list: Vec<Finding>,
    per_kind: HashMap<FindingKind, u64>,
    overflow: BTreeMap<FindingKind, (u64, Severity)>,
}

impl FindingList {
    pub(crate) fn push(&mut self, f: Finding) {
        let n = self.per_kind.entry(f.kind).or_default();
        *n += 1;
        if *n <= FINDINGS_PER_KIND {
            self.list.push(f);
        } else {
            let o = self.overflow.entry(f.kind).or_insert((0, f.severity));
            o.0 += 1;
            o.1 = o.1.max(f.severity);
        }
    }

    pub(crate) fn finish(mut self) -> Vec<Finding> {
        for (kind, (n, severity)) in self.overflow {
            self.list.push(Finding {
                kind,
                severity,
                address: "*".into(),
                attribute: None,
                message: format!("{n} more {} findings are not listed (at most {FINDINGS_PER_KIND} per kind are)", kind.as_str()),
                explained_by: vec![],
            });
        }
        self.list
    }
}

pub(crate) struct Digest<'c> {
    config: &'c ReviewConfig,
    /// A baseline only feeds the comparison; its own findings are not reported.
    findings_on: bool,
    pub summary: Summary,
    pub findings: FindingList,
    pub resources: HashMap<String, Aggregate>,
    /// Kept for a baseline only (see [`Instances`]).
    pub instances: HashMap<String, Instances>,
    pub secrets: Secrets,
    pub changes: u64,
    pub drifts: u64,
    /// Scratch for the entry checker's nesting bits, kept between entries.
    stack: Vec<u64>,
    /// The change digest's running sum, when the plan is recorded for policies.
    pub sum: Option<crate::record::ChangeSum>,
}

fn reason_text(reason: &str) -> String {
    match reason {
        "replace_because_tainted" => "the object is tainted".into(),
        "replace_because_cannot_update" => {
            "an attribute that cannot change in place changed".into()
        }
        "replace_by_request" => "replacement was requested (-replace)".into(),
        "replace_by_triggers" => "replace_triggered_by fired".into(),
        "delete_because_no_resource_config" => {
            "its resource block is no longer in the configuration".into()
        }
        "delete_because_no_module" => "its module call is no longer in the configuration".into(),
        "delete_because_wrong_repetition" => {
            "the resource switched between count, for_each and neither".into()
        }
        "delete_because_count_index" => "its count index is now out of range".into(),
        "delete_because_each_key" => "its for_each key is gone".into(),
        "delete_because_no_move_target" => {
            "a moved block points at an address that does not exist".into()
        }
        other => format!("reason: {other}"),
    }
}

impl<'c> Digest<'c> {
    pub(crate) fn new(config: &'c ReviewConfig, findings_on: bool) -> Self {
        Digest {
            config,
            findings_on,
            summary: Summary::default(),
            findings: FindingList::default(),
            resources: HashMap::new(),
            instances: HashMap::new(),
            secrets: Secrets::default(),
            changes: 0,
            drifts: 0,
            stack: Vec::new(),
            sum: None,
        }
    }

    fn finding(
        &mut self,
        kind: FindingKind,
        address: &str,
        attribute: Option<String>,
        message: String,
    ) {
        let severity = self.config.severity(kind);
        self.findings.push(Finding {
            kind,
            severity,
            address: address.to_string(),
            attribute,
            message,
            explained_by: vec![],
        });
    }

    fn count(&mut self, kind: ActionKind) {
        let s = &mut self.summary;
        match kind {
            ActionKind::Create => s.create += 1,
            ActionKind::Update => s.update += 1,
            ActionKind::Replace => s.replace += 1,
            ActionKind::Delete => s.delete += 1,
            ActionKind::Forget => s.forget += 1,
            ActionKind::Read => s.read += 1,
            ActionKind::NoOp => s.no_op += 1,
        }
    }

    fn action_findings(
        &mut self,
        raw: &RawChange<'_>,
        action: Action,
        changes: &[Changed<'_>],
        masks: (&Value, &Value),
    ) {
        let addr = raw.address.as_ref();
        let ty = raw.resource_type.as_ref();
        let caddr = config_address(addr);
        let mut subject = match (&raw.deposed, &raw.previous_address) {
            (Some(d), _) => format!("deposed object {d} of {addr}"),
            (None, Some(prev)) if prev != &raw.address => format!("{addr} (moved from {prev})"),
            _ => addr.to_string(),
        };
        if raw.change.importing.is_some() {
            subject.push_str(" (being imported)");
        }
        let reason = raw
            .action_reason
            .as_deref()
            .map(|r| format!("; {}", reason_text(r)))
            .unwrap_or_default();
        let stateful = self.config.stateful_reason(ty, addr, &caddr);
        let replace_paths: Vec<String> = raw
            .change
            .replace_paths
            .iter()
            .flatten()
            .map(|p| dotted(p))
            .collect();
        let single_path = (replace_paths.len() == 1)
            .then(|| replace_paths.first().cloned())
            .flatten();
        let because = if replace_paths.is_empty() {
            String::new()
        } else {
            format!(
                " because a change to {} forces it",
                replace_paths.join(", ")
            )
        };
        match action {
            Action::Delete => match stateful {
                Some(why) => self.finding(
                    FindingKind::StatefulDelete,
                    addr,
                    None,
                    format!("{subject} will be destroyed and the data it holds with it ({why}){reason}."),
                ),
                None => self.finding(FindingKind::Delete, addr, None, format!("{subject} will be destroyed{reason}.")),
            },
            Action::DeleteThenCreate | Action::CreateThenDelete => {
                let order = if action == Action::DeleteThenCreate {
                    "destroy, then create: it does not exist in between"
                } else {
                    "create before destroy"
                };
                match stateful {
                    Some(why) => self.finding(
                        FindingKind::StatefulReplace,
                        addr,
                        single_path,
                        format!(
                            "{subject} will be replaced ({order}){because}: the new object starts empty and the data of the current one is destroyed ({why}){reason}."
                        ),
                    ),
                    None => self.finding(
                        FindingKind::Replace,
                        addr,
                        single_path,
                        format!("{subject} will be replaced ({order}){because}{reason}."),
                    ),
                }
            }
            Action::Forget => {
                // Only a `removed` block with `destroy = false` forgets; the engine gives the
                // reason of the delete it replaces.
                let reason = match raw.action_reason.as_deref() {
                    Some("delete_because_no_resource_config") => {
                        "; a removed block with destroy = false says so".to_string()
                    }
                    _ => reason,
                };
                self.finding(
                    FindingKind::Forget,
                    addr,
                    None,
                    format!("{subject} will be removed from the state but not destroyed: the real object stays, unmanaged{reason}."),
                )
            }
            Action::CreateThenForget | Action::ForgetThenCreate => {
                self.finding(
                    FindingKind::Forget,
                    addr,
                    None,
                    format!("{subject}: the current object will be removed from the state without being destroyed (it stays, unmanaged) and a new one created{reason}."),
                );
                let (kind, extra) = match &stateful {
                    Some(why) => (FindingKind::StatefulReplace, format!(": the new object starts empty ({why})")),
                    None => (FindingKind::Replace, String::new()),
                };
                self.finding(kind, addr, single_path, format!("{subject} will be replaced by a new object, the old one forgotten{because}{extra}."));
            }
            Action::Update => {
                for c in changes {
                    let path = dotted(&c.path);
                    if let Some(effect) = self.config.downtime_effect(ty, &path) {
                        let shown = diff::display_change(c, masks.0, masks.1);
                        self.finding(
                            FindingKind::DowntimeUpdate,
                            addr,
                            Some(path.clone()),
                            format!("{subject}: the in-place update of {path} ({shown}) {effect}."),
                        );
                    }
                }
            }
            Action::NoOp | Action::Create | Action::Read => {}
        }
    }

    /// Moves and imports change what the state calls an object, not the object: a person
    /// still reads them (a wrong `moved` target would destroy on the next plan), at info.
    fn state_findings(&mut self, raw: &RawChange<'_>, kind: ActionKind) {
        let addr = raw.address.as_ref();
        let also = match kind {
            ActionKind::NoOp | ActionKind::Read => "",
            ActionKind::Update => "; it is also updated in place",
            ActionKind::Create => "; it is also created",
            ActionKind::Replace => "; it is also replaced (see its replace finding)",
            ActionKind::Delete => "; it is also destroyed (see its delete finding)",
            ActionKind::Forget => "; it is also forgotten (see its forget finding)",
        };
        if raw.deposed.is_some() {
            return;
        }
        if let Some(prev) = raw.previous_address.as_deref().filter(|p| *p != addr) {
            self.finding(
                FindingKind::Moved,
                addr,
                None,
                format!("{addr} was {prev}: a moved block renames it in the state; the object is kept, not destroyed and created again{also}."),
            );
        }
        if let Some(importing) = raw.change.importing {
            let id = serde_json::from_slice::<Value>(importing)
                .ok()
                .and_then(|v| v.get("id").and_then(Value::as_str).map(str::to_string))
                .map(|id| format!(" (id {})", diff::shorten(&format!("{id:?}"))))
                .unwrap_or_default();
            self.finding(
                FindingKind::Import,
                addr,
                None,
                format!("{addr} will be imported: an existing object{id} comes under management; no new object is created{also}."),
            );
        }
    }

    fn aggregate(
        &mut self,
        raw: &RawChange<'_>,
        kind: ActionKind,
        changes: &[Changed<'_>],
        masks: (&Value, &Value),
    ) {
        let caddr = config_address(&raw.address);
        let agg = self.resources.entry(caddr).or_default();
        if agg.instances == 0 {
            agg.resource_type = raw.resource_type.to_string();
            agg.example = raw.address.to_string();
        }
        agg.instances += 1;
        agg.actions.insert(kind);
        if kind == ActionKind::Create && raw.deposed.is_none() {
            if agg.created.len() < CREATED_PER_ADDRESS {
                agg.created.push(raw.address.to_string());
            } else {
                agg.created_unlisted += 1;
            }
        }
        for c in changes {
            if agg.attributes.len() >= ATTRIBUTES_PER_ADDRESS {
                break;
            }
            let path = dotted(&c.path);
            agg.attributes
                .entry(path)
                .or_insert_with(|| diff::display_change(c, masks.0, masks.1));
        }
    }
}

/// The JSON text of a value span. The scanner checked the UTF-8 of every byte it let through,
/// so this cannot fail on its input; it is only converted where it is looked at.
fn text(bytes: Option<&[u8]>, offset: u64) -> Result<Option<&str>, RawError> {
    bytes
        .map(std::str::from_utf8)
        .transpose()
        .map_err(|_| RawError::at(offset, "invalid UTF-8: plan JSON must be UTF-8 text"))
}

fn entry_error(
    what: &str,
    index: u64,
    offset: u64,
    entry: &[u8],
    e: &serde_json::Error,
) -> RawError {
    serde_error(&format!("{what}[{index}]"), offset, entry, e)
}

impl Sink for Digest<'_> {
    fn change(&mut self, index: u64, offset: u64, entry: &[u8]) -> Result<usize, RawError> {
        let label = Label {
            what: "resource_changes",
            index,
        };
        let (raw, taken) = entry::read(entry, offset, &label, &mut self.stack)?;
        self.changes += 1;
        let action = match &raw.change.actions {
            Actions::Known(a) => *a,
            Actions::Unknown(list) => return Err(RawError::at(
                offset,
                format!(
                    "resource_changes[{index}] ({}): unknown actions {list:?}; expected one of no-op, create, read, update, delete, [delete, create], [create, delete], forget, [create, forget], [forget, create]",
                    raw.address
                ),
            )),
        };
        let kind = action.kind();
        self.count(kind);
        if let Some(sum) = &mut self.sum {
            sum.entry(&raw, action, text(raw.change.replace_paths_raw, offset)?);
        }
        let mask_err =
            |e: serde_json::Error| entry_error("resource_changes", index, offset, entry, &e);
        let before_mask =
            diff::parse_mask(text(raw.change.before_sensitive, offset)?).map_err(mask_err)?;
        let after_mask =
            diff::parse_mask(text(raw.change.after_sensitive, offset)?).map_err(mask_err)?;
        // An empty mask marks nothing: the value is not even looked at (most no-op entries).
        if !before_mask.is_null() {
            self.secrets
                .collect(text(raw.change.before, offset)?, &before_mask, 0);
        }
        // A no-op repeats the same value under the same mirror: once is enough.
        let repeated = raw.change.after == raw.change.before
            && raw.change.after_sensitive == raw.change.before_sensitive;
        if !after_mask.is_null() && !repeated {
            self.secrets
                .collect(text(raw.change.after, offset)?, &after_mask, 0);
        }
        let managed = raw.mode.as_deref().is_none_or(|m| m == "managed");
        if managed && self.findings_on {
            self.state_findings(&raw, kind);
        }
        // The baseline's instances, no-ops included: whether a creation here is one a different
        // count or for_each explains depends on which instances the baseline has.
        if managed
            && !self.findings_on
            && raw.deposed.is_none()
            && !matches!(kind, ActionKind::Delete | ActionKind::Forget)
        {
            let set = self
                .instances
                .entry(config_address(&raw.address))
                .or_default();
            if set.after.len() < INSTANCES_PER_ADDRESS {
                set.after.insert(instance_hash(&raw.address));
            } else {
                set.overflow = true;
            }
        }
        if !managed || !kind.is_change() {
            return Ok(taken);
        }
        let changes = if matches!(kind, ActionKind::Update | ActionKind::Replace) {
            let unknown =
                diff::parse_mask(text(raw.change.after_unknown, offset)?).map_err(mask_err)?;
            diff::changed_paths(
                text(raw.change.before, offset)?,
                text(raw.change.after, offset)?,
                &unknown,
            )
            .map_err(mask_err)?
        } else {
            Vec::new()
        };
        let masks = (&before_mask, &after_mask);
        if self.findings_on {
            self.action_findings(&raw, action, &changes, masks);
        }
        self.aggregate(&raw, kind, &changes, masks);
        Ok(taken)
    }

    fn drift(&mut self, index: u64, offset: u64, entry: &[u8]) -> Result<usize, RawError> {
        let label = Label {
            what: "resource_drift",
            index,
        };
        let (raw, taken) = entry::read(entry, offset, &label, &mut self.stack)?;
        self.drifts += 1;
        let mask_err =
            |e: serde_json::Error| entry_error("resource_drift", index, offset, entry, &e);
        let before_mask =
            diff::parse_mask(text(raw.change.before_sensitive, offset)?).map_err(mask_err)?;
        let after_mask =
            diff::parse_mask(text(raw.change.after_sensitive, offset)?).map_err(mask_err)?;
        let (before, after) = (
            text(raw.change.before, offset)?,
            text(raw.change.after, offset)?,
        );
        self.secrets.collect(before, &before_mask, 0);
        self.secrets.collect(after, &after_mask, 0);
        if !self.findings_on || raw.mode.as_deref().is_some_and(|m| m != "managed") {
            return Ok(taken);
        }
        let addr = raw.address.as_ref();
        let gone = after.is_none_or(|a| a == "null")
            || raw
                .change
                .actions
                .action()
                .is_some_and(|a| a.kind() == ActionKind::Delete);
        if gone {
            self.finding(
                FindingKind::Drift,
                addr,
                None,
                format!("{addr} was deleted outside of Terraform/OpenTofu."),
            );
            return Ok(taken);
        }
        let changes = diff::changed_paths(before, after, &Value::Null).map_err(mask_err)?;
        if changes.is_empty() {
            return Ok(taken);
        }
        let listed: Vec<String> = changes
            .iter()
            .take(LISTED_DRIFT_PATHS)
            .map(|c| {
                format!(
                    "{} ({})",
                    dotted(&c.path),
                    diff::display_change(c, &before_mask, &after_mask)
                )
            })
            .collect();
        let more = changes.len().saturating_sub(LISTED_DRIFT_PATHS);
        let more = if more > 0 {
            format!(" and {more} more")
        } else {
            String::new()
        };
        let attribute = (changes.len() == 1)
            .then(|| changes.first().map(|c| dotted(&c.path)))
            .flatten();
        self.finding(
            FindingKind::Drift,
            addr,
            attribute,
            format!(
                "{addr} changed outside of Terraform/OpenTofu: {}{more}.",
                listed.join(", ")
            ),
        );
        Ok(taken)
    }
}
