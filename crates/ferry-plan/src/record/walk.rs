//! Walks `planned_values` and `prior_state` during the pass, noting where each resource lies
//! and keeping the module tree and the other members as text.

use super::{Module, Span, Tree};
use crate::error::RawError;
use crate::parse::{serde_error, Refusal, MAX_SECTION};
use crate::scan::{describe, Scanner};
use std::io::Read;

/// Called with each member's key, the scanner on its value.
type MemberFn<'f, R> = dyn FnMut(&mut Scanner<R>, String) -> Result<(), Refusal> + 'f;

/// Reads the members of an object, handing each key to `each` with the scanner on its value.
fn object<R: Read>(
    s: &mut Scanner<R>,
    what: &str,
    each: &mut MemberFn<'_, R>,
) -> Result<(), Refusal> {
    match s.skip_ws()? {
        Some(b'{') => s.expect(b'{', "'{'")?,
        Some(b'n') => return Ok(s.skip_value()?),
        Some(b) => {
            return Err(RawError::at(
                s.offset(),
                format!("{what} must be an object, found {}", describe(b)),
            )
            .into())
        }
        None => {
            return Err(
                RawError::at(s.offset(), "unexpected end of file: the JSON is truncated").into(),
            )
        }
    }
    if s.skip_ws()? == Some(b'}') {
        return Ok(s.expect(b'}', "'}'")?);
    }
    loop {
        let at = s.offset();
        let raw = s.capture_value(1 << 20, "an object key", true)?;
        let key: String =
            serde_json::from_slice(&raw).map_err(|e| serde_error("object key", at, &raw, &e))?;
        s.expect(b':', "':' after an object key")?;
        each(s, key)?;
        match s.skip_ws()? {
            Some(b',') => s.expect(b',', "','")?,
            Some(b'}') => return Ok(s.expect(b'}', "'}'")?),
            Some(b) => {
                return Err(RawError::at(
                    s.offset(),
                    format!("expected ',' or '}}' in {what}, found {}", describe(b)),
                )
                .into())
            }
            None => {
                return Err(RawError::at(
                    s.offset(),
                    format!("unexpected end of file inside {what}: the JSON is truncated"),
                )
                .into())
            }
        }
    }
}

/// Reads the elements of an array (`null` counts as empty).
fn array<R: Read>(
    s: &mut Scanner<R>,
    what: &str,
    each: &mut dyn FnMut(&mut Scanner<R>) -> Result<(), Refusal>,
) -> Result<(), Refusal> {
    match s.skip_ws()? {
        Some(b'[') => s.expect(b'[', "'['")?,
        Some(b'n') => return Ok(s.skip_value()?),
        Some(b) => {
            return Err(RawError::at(
                s.offset(),
                format!("{what} must be an array, found {}", describe(b)),
            )
            .into())
        }
        None => {
            return Err(
                RawError::at(s.offset(), "unexpected end of file: the JSON is truncated").into(),
            )
        }
    }
    if s.skip_ws()? == Some(b']') {
        return Ok(s.expect(b']', "']'")?);
    }
    loop {
        each(s)?;
        match s.skip_ws()? {
            Some(b',') => s.expect(b',', "','")?,
            Some(b']') => return Ok(s.expect(b']', "']'")?),
            Some(b) => {
                return Err(RawError::at(
                    s.offset(),
                    format!("expected ',' or ']' in {what}, found {}", describe(b)),
                )
                .into())
            }
            None => {
                return Err(RawError::at(
                    s.offset(),
                    format!("unexpected end of file inside {what}: the JSON is truncated"),
                )
                .into())
            }
        }
    }
}

/// Checks and skips one value, returning where it lay.
fn span<R: Read>(s: &mut Scanner<R>) -> Result<Span, Refusal> {
    s.skip_ws()?;
    let at = s.offset();
    s.skip_value()?;
    let len = u32::try_from(s.offset() - at)
        .map_err(|_| RawError::at(at, "one resource is larger than 4 GiB"))?;
    Ok(Span { at, len })
}

fn module<R: Read>(
    s: &mut Scanner<R>,
    tree: &mut Tree,
    parent: Option<usize>,
    depth: usize,
) -> Result<(), Refusal> {
    if depth > 64 {
        return Err(RawError::at(
            s.offset(),
            "modules nested deeper than 64 levels; not a plan ferry will read",
        )
        .into());
    }
    let me = tree.modules.len();
    tree.modules.push(Module {
        parent,
        address: None,
        resources: Vec::new(),
    });
    object(s, "a module", &mut |s, key| {
        match key.as_str() {
            "address" => {
                let raw = s.capture_value(1 << 20, "a module address", true)?;
                if let Some(m) = tree.modules.get_mut(me) {
                    m.address = Some(raw);
                }
            }
            "resources" => array(s, "resources", &mut |s| {
                let sp = span(s)?;
                if let Some(m) = tree.modules.get_mut(me) {
                    m.resources.push(sp);
                }
                Ok(())
            })?,
            "child_modules" => array(s, "child_modules", &mut |s| {
                module(s, tree, Some(me), depth + 1)
            })?,
            _ => s.skip_value()?,
        }
        Ok(())
    })
}

/// `planned_values` (or `prior_state.values`): `root_module` by place, the rest as text.
fn holder<R: Read>(s: &mut Scanner<R>, tree: &mut Tree) -> Result<(), Refusal> {
    object(s, "planned values", &mut |s, key| {
        if key == "root_module" {
            module(s, tree, None, 0)
        } else {
            let raw = s.capture_value(MAX_SECTION, "a section of the plan", true)?;
            tree.holder.push((key, raw));
            Ok(())
        }
    })
}

pub(crate) fn planned_values<R: Read>(s: &mut Scanner<R>) -> Result<Tree, Refusal> {
    let mut tree = Tree::default();
    holder(s, &mut tree)?;
    Ok(tree)
}

pub(crate) fn prior_state<R: Read>(s: &mut Scanner<R>) -> Result<Tree, Refusal> {
    let mut tree = Tree::default();
    let mut outer = Vec::new();
    object(s, "prior_state", &mut |s, key| {
        if key == "values" {
            holder(s, &mut tree)
        } else {
            outer.push((
                key,
                s.capture_value(MAX_SECTION, "a section of prior_state", true)?,
            ));
            Ok(())
        }
    })?;
    tree.outer = outer;
    Ok(tree)
}
