//! Rebuilds the plan for policies from the places the pass recorded, one window at a time.

use super::{Recorder, Span, Tree};
use std::io::{Read, Seek, SeekFrom};
use std::path::Path;

/// Which large collection a window slices.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Part {
    Changes,
    Drift,
    Planned,
    Prior,
}

/// One large element by where the recorder keeps its span: 12 bytes, not a copy of the span
/// and its part (a 100 MB plan has ~75,000 of them).
#[derive(Debug, Clone, Copy)]
struct Item {
    part: Part,
    module: u32,
    index: u32,
}

/// The plan as documents for policies: every window holds the plan's small sections whole and
/// a slice of one large collection (`resource_changes`, `resource_drift`, the resources of
/// `planned_values` or of `prior_state`, module tree kept); a plan whose large collections fit
/// in one window is one document, the plan as the engine wrote it.
#[derive(Debug)]
pub(crate) struct Windows<'r> {
    rec: &'r Recorder,
    file: std::fs::File,
    max_bytes: u64,
    /// The first large element not yet in a window (parts in order, file order within a
    /// part); `None` when all are. Walked, never listed: a window costs its own elements only.
    cursor: Option<Item>,
    /// Whether a window was handed out (a plan without large elements is one window).
    emitted: bool,
    /// Child modules of each module, per tree.
    children: [Vec<Vec<usize>>; 2],
    single: bool,
}

/// The span of `it` in the recorder (an empty span if the recorder does not have it, which
/// construction rules out).
fn span(rec: &Recorder, it: &Item) -> Span {
    let (m, i) = (it.module as usize, it.index as usize);
    let tree = |t: &Option<Tree>| {
        t.as_ref()
            .and_then(|t| t.modules.get(m))
            .and_then(|module| module.resources.get(i))
            .copied()
    };
    match it.part {
        Part::Changes => rec.changes.get(i).copied(),
        Part::Drift => rec.drift.get(i).copied(),
        Part::Planned => tree(&rec.planned),
        Part::Prior => tree(&rec.prior),
    }
    .unwrap_or(Span { at: 0, len: 0 })
}

const PARTS: [Part; 4] = [Part::Changes, Part::Drift, Part::Planned, Part::Prior];

/// How many elements module `m` of `part` has (`Changes`/`Drift` are one module), or `None`
/// past the part's last module.
fn count(rec: &Recorder, part: Part, m: usize) -> Option<usize> {
    let tree = |t: &Option<Tree>| {
        t.as_ref()
            .and_then(|t| t.modules.get(m))
            .map(|x| x.resources.len())
    };
    match part {
        Part::Changes => (m == 0).then_some(rec.changes.len()),
        Part::Drift => (m == 0).then_some(rec.drift.len()),
        Part::Planned => tree(&rec.planned),
        Part::Prior => tree(&rec.prior),
    }
}

/// The first element at or after `it` (in part, module, index order).
fn first_at(rec: &Recorder, it: Item) -> Option<Item> {
    let from = PARTS.iter().position(|p| *p == it.part)?;
    let (mut module, mut index) = (it.module as usize, it.index as usize);
    for part in PARTS.iter().skip(from) {
        while let Some(n) = count(rec, *part, module) {
            if index < n {
                return Some(Item {
                    part: *part,
                    module: u32::try_from(module).ok()?,
                    index: u32::try_from(index).ok()?,
                });
            }
            module += 1;
            index = 0;
        }
        module = 0;
        index = 0;
    }
    None
}

/// The element after `it`.
fn after(rec: &Recorder, it: Item) -> Option<Item> {
    first_at(
        rec,
        Item {
            index: it.index.checked_add(1)?,
            ..it
        },
    )
}

fn children_of(tree: Option<&Tree>) -> Vec<Vec<usize>> {
    let Some(t) = tree else { return Vec::new() };
    let mut out = vec![Vec::new(); t.modules.len()];
    for (i, m) in t.modules.iter().enumerate() {
        if let Some(list) = m.parent.and_then(|p| out.get_mut(p)) {
            list.push(i);
        }
    }
    out
}

impl<'r> Windows<'r> {
    pub(crate) fn new(
        rec: &'r Recorder,
        path: &Path,
        max_bytes: u64,
    ) -> std::io::Result<Windows<'r>> {
        let first = first_at(
            rec,
            Item {
                part: Part::Changes,
                module: 0,
                index: 0,
            },
        );
        let mut total = 0u64;
        let mut at = first;
        while let Some(it) = at {
            total += u64::from(span(rec, &it).len);
            at = after(rec, it);
        }
        Ok(Windows {
            children: [
                children_of(rec.planned.as_ref()),
                children_of(rec.prior.as_ref()),
            ],
            rec,
            file: std::fs::File::open(path)?,
            max_bytes: max_bytes.max(1),
            single: total <= max_bytes,
            cursor: first,
            emitted: false,
        })
    }

    /// Whether the plan is one window (policies see it whole).
    pub(crate) fn single(&self) -> bool {
        self.single
    }

    fn read(&mut self, sp: Span, out: &mut Vec<u8>) -> std::io::Result<()> {
        self.file.seek(SeekFrom::Start(sp.at))?;
        let start = out.len();
        out.resize(start + sp.len as usize, 0);
        self.file
            .read_exact(out.get_mut(start..).unwrap_or_default())
    }

    /// The next window's JSON text, or `None` after the last.
    pub(crate) fn next_window(&mut self) -> Option<std::io::Result<Vec<u8>>> {
        let Some(start) = self.cursor else {
            if self.emitted {
                return None;
            }
            self.emitted = true;
            return Some(self.build(&[]));
        };
        self.emitted = true;
        let mut chosen = Vec::new();
        let mut bytes = 0u64;
        let mut at = Some(start);
        while let Some(it) = at {
            let sp = span(self.rec, &it);
            if !self.single
                && (it.part != start.part
                    || (!chosen.is_empty() && bytes + u64::from(sp.len) > self.max_bytes))
            {
                break;
            }
            bytes += u64::from(sp.len);
            chosen.push(it);
            at = after(self.rec, it);
        }
        self.cursor = at;
        Some(self.build(&chosen))
    }

    fn build(&mut self, items: &[Item]) -> std::io::Result<Vec<u8>> {
        let rec = self.rec;
        let chosen: Vec<(Part, usize, Span)> = items
            .iter()
            .map(|it| (it.part, it.module as usize, span(rec, it)))
            .collect();
        // Sized to what this window holds, so a window costs its own bytes, not a fixed MiB.
        let small: usize = rec.small.iter().map(|(k, v)| k.len() + v.len() + 4).sum();
        let large: usize = chosen.iter().map(|c| c.2.len as usize + 1).sum();
        let mut out = Vec::with_capacity(small + large + 4096);
        out.push(b'{');
        let mut sep = false;
        let mut key = |out: &mut Vec<u8>, k: &str| {
            if sep {
                out.push(b',');
            }
            sep = true;
            out.extend_from_slice(serde_json::to_string(k).unwrap_or_default().as_bytes());
            out.push(b':');
        };
        for (k, v) in &rec.small {
            key(&mut out, k);
            out.extend_from_slice(v);
        }
        for (part, name) in [
            (Part::Changes, "resource_changes"),
            (Part::Drift, "resource_drift"),
        ] {
            if part == Part::Drift && rec.drift.is_empty() {
                continue;
            }
            key(&mut out, name);
            out.push(b'[');
            for (i, (_, _, sp)) in chosen.iter().filter(|c| c.0 == part).enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                self.read(*sp, &mut out)?;
            }
            out.push(b']');
        }
        for (part, name) in [
            (Part::Planned, "planned_values"),
            (Part::Prior, "prior_state"),
        ] {
            let Some(tree) = (if part == Part::Planned {
                &rec.planned
            } else {
                &rec.prior
            }) else {
                continue;
            };
            key(&mut out, name);
            let mine: Vec<(usize, Span)> = chosen
                .iter()
                .filter(|c| c.0 == part)
                .map(|c| (c.1, c.2))
                .collect();
            if part == Part::Prior {
                out.push(b'{');
                for (k, v) in &tree.outer {
                    out.extend_from_slice(serde_json::to_string(k).unwrap_or_default().as_bytes());
                    out.push(b':');
                    out.extend_from_slice(v);
                    out.push(b',');
                }
                out.extend_from_slice(b"\"values\":");
            }
            out.push(b'{');
            for (k, v) in &tree.holder {
                out.extend_from_slice(serde_json::to_string(k).unwrap_or_default().as_bytes());
                out.push(b':');
                out.extend_from_slice(v);
                out.push(b',');
            }
            out.extend_from_slice(b"\"root_module\":");
            self.tree(tree, usize::from(part == Part::Prior), &mine, &mut out)?;
            out.push(b'}');
            if part == Part::Prior {
                out.push(b'}');
            }
        }
        out.push(b'}');
        Ok(out)
    }

    /// The module tree holding `mine` (module index, resource), ancestors kept.
    fn tree(
        &mut self,
        tree: &Tree,
        which: usize,
        mine: &[(usize, Span)],
        out: &mut Vec<u8>,
    ) -> std::io::Result<()> {
        let mut needed = vec![false; tree.modules.len()];
        for (m, _) in mine {
            let mut at = Some(*m);
            while let Some(i) = at {
                match needed.get_mut(i) {
                    Some(n) if !*n => *n = true,
                    _ => break,
                }
                at = tree.modules.get(i).and_then(|m| m.parent);
            }
        }
        if tree.modules.is_empty() || !needed.first().copied().unwrap_or(false) {
            out.extend_from_slice(b"{}");
            return Ok(());
        }
        self.module_json(tree, which, 0, &needed, mine, out)
    }

    fn module_json(
        &mut self,
        tree: &Tree,
        which: usize,
        m: usize,
        needed: &[bool],
        mine: &[(usize, Span)],
        out: &mut Vec<u8>,
    ) -> std::io::Result<()> {
        out.push(b'{');
        if let Some(addr) = tree.modules.get(m).and_then(|x| x.address.as_ref()) {
            out.extend_from_slice(b"\"address\":");
            out.extend_from_slice(addr);
            out.push(b',');
        }
        out.extend_from_slice(b"\"resources\":[");
        for (i, (_, sp)) in mine.iter().filter(|(mm, _)| *mm == m).enumerate() {
            if i > 0 {
                out.push(b',');
            }
            self.read(*sp, out)?;
        }
        out.push(b']');
        let children: Vec<usize> = self.children[which % 2]
            .get(m)
            .map(|c| {
                c.iter()
                    .copied()
                    .filter(|c| needed.get(*c) == Some(&true))
                    .collect()
            })
            .unwrap_or_default();
        if !children.is_empty() {
            out.extend_from_slice(b",\"child_modules\":[");
            for (i, c) in children.into_iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                self.module_json(tree, which, c, needed, mine, out)?;
            }
            out.push(b']');
        }
        out.push(b'}');
        Ok(())
    }
}
