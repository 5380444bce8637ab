//! The tamper-evident part of the ledger, the same for every backend.
//!
//! Every event carries the hash of its own content and of the previous event, so editing,
//! inserting or deleting an event breaks the chain from that event on. Every write that creates
//! or changes a row the gates read (releases, plans, approvals, deployments, rehearsals, migration
//! runs and approvals) — and the advice shown beside them — appends,
//! in the same transaction, an event naming that row and the digest of its new content. So a row
//! edited with SQL no longer matches the digest its last event recorded, a row inserted with SQL
//! has no event at all, and a deleted row leaves an event pointing at nothing.
//!
//! What this does not stop: someone with write access who recomputes every hash after their edit.
//! Local mode is honest about that (identities there are self-asserted too); signed approvals
//! and the server's ledger are the strong gates.

use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;

/// The tables whose rows the chain covers.
pub const COVERED: [&str; 8] = [
    "releases",
    "plans",
    "approvals",
    "deployments",
    "rehearsals",
    "advice",
    "migration_runs",
    "migration_approvals",
];

/// One row named by an event: table, key and digest of the row's content after the write.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RowRef {
    pub table: String,
    pub key: String,
    pub digest: String,
}

/// An event as stored, with what the chain needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredEvent {
    pub seq: i64,
    pub at: String,
    pub env: Option<String>,
    pub kind: String,
    pub actor: String,
    pub release: Option<String>,
    pub plan: Option<String>,
    pub message: String,
    pub refs: Vec<RowRef>,
    pub prev_hash: Option<String>,
    pub hash: Option<String>,
}

impl StoredEvent {
    /// The event as the ledger returns it; `what` names the ledger when an id is unreadable.
    pub fn into_event(self, what: &str) -> crate::Result<crate::Event> {
        let corrupt = |item: &str, m: String| crate::StoreError::Corrupt {
            what: what.to_string(),
            item: item.to_string(),
            message: m,
        };
        Ok(crate::Event {
            seq: self.seq,
            at: self.at,
            env: self.env,
            kind: self.kind,
            actor: self.actor,
            release: self
                .release
                .map(|r| r.parse())
                .transpose()
                .map_err(|x| corrupt("event release", format!("{x}")))?,
            plan: self
                .plan
                .map(|p| p.parse())
                .transpose()
                .map_err(|x| corrupt("event plan", format!("{x}")))?,
            message: self.message,
            hash: self.hash.unwrap_or_default(),
        })
    }
}

/// Writes `v` as JSON with object keys sorted, so equal content gives equal bytes.
pub fn canonical(v: &Value) -> String {
    let mut out = String::new();
    write_canonical(v, &mut out);
    out
}

fn write_canonical(v: &Value, out: &mut String) {
    match v {
        Value::Object(map) => {
            let sorted: BTreeMap<&String, &Value> = map.iter().collect();
            out.push('{');
            for (i, (k, v)) in sorted.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push_str(&Value::String(k.clone()).to_string());
                out.push(':');
                write_canonical(v, out);
            }
            out.push('}');
        }
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_canonical(item, out);
            }
            out.push(']');
        }
        other => out.push_str(&other.to_string()),
    }
}

fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// Digest of a row's content: sha256 of its canonical JSON.
pub fn row_digest<T: Serialize>(record: &T) -> String {
    let value = serde_json::to_value(record).unwrap_or(Value::Null);
    sha256_hex(canonical(&value).as_bytes())
}

/// The hash of an event given the previous event's hash.
pub fn event_hash(e: &StoredEvent, prev: Option<&str>) -> String {
    let v = serde_json::json!({
        "seq": e.seq,
        "at": e.at,
        "env": e.env,
        "kind": e.kind,
        "actor": e.actor,
        "release": e.release,
        "plan": e.plan,
        "message": e.message,
        "refs": e.refs,
        "prev": prev,
    });
    sha256_hex(canonical(&v).as_bytes())
}

/// One thing `verify` found wrong.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct Problem {
    /// The event where the chain first disagrees with the data, when there is one.
    pub event: Option<i64>,
    pub message: String,
}

/// The outcome of recomputing the chain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ChainReport {
    pub events: usize,
    /// The hash of the newest event (the chain's head).
    pub head: Option<String>,
    pub rows: usize,
    pub problems: Vec<Problem>,
}

impl ChainReport {
    pub fn ok(&self) -> bool {
        self.problems.is_empty()
    }

    /// The first problem, in a sentence.
    pub fn first_problem(&self) -> Option<String> {
        self.problems.first().map(|p| match p.event {
            Some(seq) => format!("event #{seq}: {}", p.message),
            None => p.message.clone(),
        })
    }
}

/// Recomputes the chain over `events` (in sequence order) and checks every covered row
/// (`(table, key) → digest of its current content`) against the digest its newest event recorded.
pub fn verify(events: &[StoredEvent], rows: &BTreeMap<(String, String), String>) -> ChainReport {
    let mut problems = Vec::new();
    let mut prev: Option<String> = None;
    let mut recorded: BTreeMap<(String, String), (String, i64)> = BTreeMap::new();
    let mut last_seq = 0;
    for e in events {
        if problems.is_empty() && e.seq != last_seq + 1 {
            problems.push(Problem {
                event: Some(e.seq),
                message: format!(
                    "events #{}–#{} are missing (deleted outside ferry)",
                    last_seq + 1,
                    e.seq - 1
                ),
            });
        }
        last_seq = e.seq;
        let expected = event_hash(e, prev.as_deref());
        if problems.is_empty() {
            if e.prev_hash.as_deref() != prev.as_deref() {
                problems.push(Problem {
                    event: Some(e.seq),
                    message: format!(
                        "its link to the previous event does not match ({} event deleted or inserted before it)",
                        if prev.is_some() { "an" } else { "a first" }
                    ),
                });
            } else if e.hash.as_deref() != Some(expected.as_str()) {
                problems.push(Problem {
                    event: Some(e.seq),
                    message: format!(
                        "its content does not match its hash (the '{}' event was edited outside ferry)",
                        e.kind
                    ),
                });
            }
        }
        prev = e.hash.clone().or(Some(expected));
        for r in &e.refs {
            recorded.insert((r.table.clone(), r.key.clone()), (r.digest.clone(), e.seq));
        }
    }
    for ((table, key), digest) in rows {
        match recorded.get(&(table.clone(), key.clone())) {
            None => problems.push(Problem {
                event: None,
                message: format!("{table} row {key} is in no event of the chain: it was inserted outside ferry"),
            }),
            Some((want, seq)) if want != digest => problems.push(Problem {
                event: Some(*seq),
                message: format!("{table} row {key} does not match the content this event recorded: the row was edited outside ferry"),
            }),
            Some(_) => {}
        }
    }
    for ((table, key), (_, seq)) in &recorded {
        if !rows.contains_key(&(table.clone(), key.clone())) {
            problems.push(Problem {
                event: Some(*seq),
                message: format!("{table} row {key}, recorded by this event, is gone: it was deleted outside ferry"),
            });
        }
    }
    // The first problem in chain order leads.
    problems.sort_by_key(|p| p.event.unwrap_or(i64::MAX));
    ChainReport {
        events: events.len(),
        head: prev,
        rows: rows.len(),
        problems,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ev(seq: i64, refs: Vec<RowRef>) -> StoredEvent {
        StoredEvent {
            seq,
            at: "t".into(),
            env: None,
            kind: "k".into(),
            actor: "a".into(),
            release: None,
            plan: None,
            message: format!("m{seq}"),
            refs,
            prev_hash: None,
            hash: None,
        }
    }

    fn chain(mut events: Vec<StoredEvent>) -> Vec<StoredEvent> {
        let mut prev: Option<String> = None;
        for e in &mut events {
            e.prev_hash = prev.clone();
            let h = event_hash(e, prev.as_deref());
            e.hash = Some(h.clone());
            prev = Some(h);
        }
        events
    }

    fn r(key: &str, digest: &str) -> RowRef {
        RowRef {
            table: "plans".into(),
            key: key.into(),
            digest: digest.into(),
        }
    }

    #[test]
    fn canonical_json_sorts_keys_at_every_level() {
        let a: Value = serde_json::from_str(r#"{"b":1,"a":{"y":[1,{"d":2,"c":3}],"x":null}}"#)
            .unwrap_or_default();
        assert_eq!(
            canonical(&a),
            r#"{"a":{"x":null,"y":[1,{"c":3,"d":2}]},"b":1}"#
        );
    }

    #[test]
    fn an_intact_chain_verifies() {
        let events = chain(vec![ev(1, vec![r("p", "d1")]), ev(2, vec![r("p", "d2")])]);
        let rows = [(("plans".to_string(), "p".to_string()), "d2".to_string())].into();
        let report = verify(&events, &rows);
        assert!(report.ok(), "{report:?}");
        assert_eq!(report.events, 2);
        assert_eq!(report.head, events[1].hash);
    }

    #[test]
    fn edits_inserts_and_deletes_are_found() {
        let events = chain(vec![ev(1, vec![]), ev(2, vec![r("p", "d")]), ev(3, vec![])]);
        let rows: BTreeMap<_, _> =
            [(("plans".to_string(), "p".to_string()), "d".to_string())].into();
        let mut edited = events.clone();
        edited[1].message = "changed".into();
        assert_eq!(verify(&edited, &rows).problems[0].event, Some(2));
        let mut deleted = events.clone();
        deleted.remove(1);
        assert_eq!(verify(&deleted, &rows).problems[0].event, Some(3));
        let mut row_edit = rows.clone();
        row_edit.insert(("plans".into(), "p".into()), "other".into());
        let report = verify(&events, &row_edit);
        assert!(
            report.first_problem().is_some_and(|p| p.contains("edited")),
            "{report:?}"
        );
        let mut inserted = rows.clone();
        inserted.insert(("approvals".into(), "9".into()), "x".into());
        assert!(verify(&events, &inserted)
            .first_problem()
            .is_some_and(|p| p.contains("inserted")));
        assert!(verify(&events, &BTreeMap::new())
            .first_problem()
            .is_some_and(|p| p.contains("deleted")));
    }
}
