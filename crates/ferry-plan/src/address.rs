//! Resource addresses: splitting them into segments, stripping instance keys, and matching the
//! address globs of `[review] stateful` / `not_stateful`.
//!
//! Environments differ in quantity (prod runs 6 instances where staging runs 2), so the baseline
//! comparison works on the *configuration address*: the address with every `[key]` removed, e.g.
//! `module.app["eu"].aws_instance.web[3]` → `module.app.aws_instance.web`.

/// Whether an address scan is inside a quoted instance key (`["a.b"]`), honouring backslash
/// escapes, so dots and brackets inside keys are never taken for structure.
#[derive(Default)]
struct Quote {
    inside: bool,
    escaped: bool,
}

impl Quote {
    /// Consumes `c` when it belongs to a quoted key (its closing quote included).
    fn consume(&mut self, c: char) -> bool {
        if !self.inside {
            return false;
        }
        match (self.escaped, c) {
            (true, _) => self.escaped = false,
            (false, '\\') => self.escaped = true,
            (false, '"') => self.inside = false,
            _ => {}
        }
        true
    }
}

/// Splits an address on the dots that separate its segments, keeping `[...]` keys (which may
/// themselves hold quoted dots) attached to their segment.
pub fn segments(address: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut start = 0;
    let mut depth = 0usize;
    let mut quote = Quote::default();
    for (i, c) in address.char_indices() {
        if quote.consume(c) {
            continue;
        }
        match c {
            '"' => quote.inside = true,
            '[' => depth += 1,
            ']' => depth = depth.saturating_sub(1),
            '.' if depth == 0 => {
                out.push(address.get(start..i).unwrap_or_default());
                start = i + 1;
            }
            _ => {}
        }
    }
    out.push(address.get(start..).unwrap_or_default());
    out
}

/// The address with every instance key removed.
pub fn config_address(address: &str) -> String {
    let mut out = String::with_capacity(address.len());
    let mut depth = 0usize;
    let mut quote = Quote::default();
    for c in address.chars() {
        if quote.consume(c) {
            continue;
        }
        match c {
            '[' => depth += 1,
            ']' => depth = depth.saturating_sub(1),
            '"' if depth > 0 => quote.inside = true,
            _ if depth == 0 => out.push(c),
            _ => {}
        }
    }
    out
}

/// A configuration address split into its module call path and the resource within the module
/// (`aws_instance.web` or `data.aws_ami.ubuntu`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigAddress {
    pub modules: Vec<String>,
    pub resource: String,
}

impl ConfigAddress {
    pub fn parse(config_address: &str) -> ConfigAddress {
        let segs = segments(config_address);
        let mut modules = Vec::new();
        let mut i = 0;
        while segs.get(i) == Some(&"module") && i + 2 < segs.len() {
            modules.push(segs.get(i + 1).copied().unwrap_or_default().to_string());
            i += 2;
        }
        let resource = segs.get(i..).unwrap_or_default().join(".");
        ConfigAddress { modules, resource }
    }
}

/// The module part of an instance address, keys kept (`module.app["eu"]`), or "" at the root.
pub fn module_of(address: &str) -> String {
    let segs = segments(address);
    let mut i = 0;
    let mut parts = Vec::new();
    while segs.get(i) == Some(&"module") && i + 2 < segs.len() {
        parts.push(format!(
            "module.{}",
            segs.get(i + 1).copied().unwrap_or_default()
        ));
        i += 2;
    }
    parts.join(".")
}

/// An address or resource-type glob from `[review]`: `*` matches within one segment, a `**`
/// segment matches any number of segments (so `**.aws_s3_bucket.*` means "in any module"). A
/// pattern without a dot names resource types (`aws_db_*`). A pattern with `[` is matched against
/// instance addresses, any other against configuration addresses.
#[derive(Debug, Clone)]
pub struct AddressGlob {
    pattern: String,
    segments: Vec<String>,
    kind: GlobKind,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum GlobKind {
    Type,
    Config,
    Instance,
}

impl AddressGlob {
    pub fn new(pattern: &str) -> Result<AddressGlob, String> {
        let pattern = pattern.trim();
        if pattern.is_empty() {
            return Err("an empty pattern matches nothing".into());
        }
        let kind = if !pattern.contains('.') {
            GlobKind::Type
        } else if pattern.contains('[') {
            GlobKind::Instance
        } else {
            GlobKind::Config
        };
        let segments: Vec<String> = segments(pattern).into_iter().map(str::to_string).collect();
        if segments.iter().any(|s| s.is_empty()) {
            return Err(format!(
                "'{pattern}' has an empty segment (two dots in a row, or a leading/trailing dot)"
            ));
        }
        if segments.iter().any(|s| s.contains("**") && s != "**") {
            return Err(format!(
                "'{pattern}': '**' must be a whole segment, e.g. '**.aws_s3_bucket.*'"
            ));
        }
        Ok(AddressGlob {
            pattern: pattern.to_string(),
            segments,
            kind,
        })
    }

    pub fn as_str(&self) -> &str {
        &self.pattern
    }

    /// Whether the pattern selects this resource instance.
    pub fn matches(&self, resource_type: &str, address: &str, config_address: &str) -> bool {
        match self.kind {
            GlobKind::Type => wildcard(
                self.segments.first().map_or("", String::as_str),
                resource_type,
            ),
            GlobKind::Config => match_segments(&self.segments, &segments(config_address)),
            GlobKind::Instance => match_segments(&self.segments, &segments(address)),
        }
    }
}

/// Segment-wise match with `**` spanning segments; dynamic programming keeps it polynomial.
fn match_segments(pattern: &[String], address: &[&str]) -> bool {
    let (p, a) = (pattern.len(), address.len());
    // reach[j]: the first i pattern segments can match the first j address segments.
    let mut reach = vec![false; a + 1];
    reach[0] = true;
    for seg in pattern {
        let mut next = vec![false; a + 1];
        if seg == "**" {
            let mut any = false;
            for j in 0..=a {
                any |= reach[j];
                next[j] = any;
            }
        } else {
            for j in 1..=a {
                next[j] = reach[j - 1] && address.get(j - 1).is_some_and(|s| wildcard(seg, s));
            }
        }
        reach = next;
    }
    p > 0 && reach[a]
}

/// `*` matches any run of characters; everything else literally. Greedy with backtracking to the
/// last star, which is linear enough for address-sized inputs.
pub fn wildcard(pattern: &str, text: &str) -> bool {
    let p: Vec<char> = pattern.chars().collect();
    let t: Vec<char> = text.chars().collect();
    let (mut pi, mut ti) = (0usize, 0usize);
    let mut star: Option<(usize, usize)> = None;
    while ti < t.len() {
        if pi < p.len() && p[pi] == '*' {
            star = Some((pi, ti));
            pi += 1;
        } else if pi < p.len() && p[pi] == t[ti] {
            pi += 1;
            ti += 1;
        } else if let Some((sp, st)) = star {
            pi = sp + 1;
            ti = st + 1;
            star = Some((sp, st + 1));
        } else {
            return false;
        }
    }
    while pi < p.len() && p[pi] == '*' {
        pi += 1;
    }
    pi == p.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strips_instance_keys_including_quoted_dots_and_brackets() {
        assert_eq!(
            config_address("module.app[\"eu.west\"].aws_instance.web[3]"),
            "module.app.aws_instance.web"
        );
        assert_eq!(
            config_address("aws_s3_bucket.b[\"a]\\\"[x\"]"),
            "aws_s3_bucket.b"
        );
        assert_eq!(config_address("data.aws_ami.u"), "data.aws_ami.u");
    }

    #[test]
    fn splits_module_path_from_resource() {
        let a = ConfigAddress::parse("module.a.module.b.data.aws_ami.u");
        assert_eq!(a.modules, vec!["a", "b"]);
        assert_eq!(a.resource, "data.aws_ami.u");
        assert_eq!(
            module_of("module.a[\"x.y\"].module.b[0].null_resource.n[1]"),
            "module.a[\"x.y\"].module.b[0]"
        );
        assert_eq!(module_of("null_resource.n"), "");
    }

    #[test]
    fn globs_are_module_aware() {
        let m = |p: &str, ty: &str, addr: &str| {
            AddressGlob::new(p)
                .unwrap()
                .matches(ty, addr, &config_address(addr))
        };
        assert!(m("null_resource.db", "null_resource", "null_resource.db"));
        assert!(m(
            "null_resource.db",
            "null_resource",
            "null_resource.db[2]"
        ));
        assert!(!m(
            "null_resource.db",
            "null_resource",
            "module.x.null_resource.db"
        ));
        assert!(m(
            "**.null_resource.db",
            "null_resource",
            "module.x[\"a\"].null_resource.db"
        ));
        assert!(m(
            "**.null_resource.db",
            "null_resource",
            "null_resource.db"
        ));
        assert!(m(
            "module.data.**",
            "aws_s3_bucket",
            "module.data.module.inner.aws_s3_bucket.b"
        ));
        assert!(!m(
            "module.data.**",
            "aws_s3_bucket",
            "module.web.aws_s3_bucket.b"
        ));
        assert!(m(
            "module.*.aws_s3_bucket.*",
            "aws_s3_bucket",
            "module.logs[0].aws_s3_bucket.b"
        ));
        assert!(m(
            "aws_db_*",
            "aws_db_instance",
            "module.x.aws_db_instance.main"
        ));
        assert!(m(
            "aws_s3_bucket.b[\"keep\"]",
            "aws_s3_bucket",
            "aws_s3_bucket.b[\"keep\"]"
        ));
        assert!(!m(
            "aws_s3_bucket.b[\"keep\"]",
            "aws_s3_bucket",
            "aws_s3_bucket.b[\"drop\"]"
        ));
        assert!(AddressGlob::new("a..b").is_err());
        assert!(AddressGlob::new("a.**x").is_err());
    }
}
