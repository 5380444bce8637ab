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

/// The plan as documents for policies: every window holds the plan's small sections whole and
/// a slice of one large collection (`resource_changes`, `resource_drift`, the resources of
/// `planned_values` or of `prior_state`, module tree kept); a plan whose large collections fit
/// in one window is one document, the plan as the engine wrote it.
#[derive(Debug)]
pub(crate) struct Windows<'r> {
    rec: &'r Recorder,
    file: std::fs::File,
    max_bytes: u64,
    /// Flattened (part, module, span) of every large element, in file order within a part.
    items: Vec<(Part, usize, Span)>,
    /// Child modules of each module, per tree.
    children: [Vec<Vec<usize>>; 2],
    next: usize,
    single: bool,
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
        let mut items = Vec::new();
        items.extend(rec.changes.iter().map(|s| (Part::Changes, 0, *s)));
        items.extend(rec.drift.iter().map(|s| (Part::Drift, 0, *s)));
        for (part, tree) in [(Part::Planned, &rec.planned), (Part::Prior, &rec.prior)] {
            if let Some(t) = tree {
                for (m, module) in t.modules.iter().enumerate() {
                    items.extend(module.resources.iter().map(|s| (part, m, *s)));
                }
            }
        }
        let total: u64 = items.iter().map(|(_, _, s)| u64::from(s.len)).sum();
        Ok(Windows {
            children: [
                children_of(rec.planned.as_ref()),
                children_of(rec.prior.as_ref()),
            ],
            rec,
            file: std::fs::File::open(path)?,
            max_bytes: max_bytes.max(1),
            single: total <= max_bytes,
            items,
            next: 0,
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
        if self.next >= self.items.len() && (self.next > 0 || !self.items.is_empty()) {
            return None;
        }
        let first = self.next;
        let part = self.items.get(first).map(|i| i.0);
        let mut bytes = 0u64;
        let mut end = first;
        while let Some((p, _, sp)) = self.items.get(end) {
            if !self.single
                && (Some(*p) != part || (end > first && bytes + u64::from(sp.len) > self.max_bytes))
            {
                break;
            }
            bytes += u64::from(sp.len);
            end += 1;
        }
        self.next = end.max(first + 1);
        Some(self.build(first, end))
    }

    fn build(&mut self, first: usize, end: usize) -> std::io::Result<Vec<u8>> {
        let chosen: Vec<(Part, usize, Span)> =
            self.items.get(first..end).unwrap_or_default().to_vec();
        let rec = self.rec;
        let mut out = Vec::with_capacity(1 << 20);
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
