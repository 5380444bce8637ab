//! Path rules shared by building and unpacking. A bundle is later extracted into a work directory
//! that Terraform runs in, so every entry path and symlink target must stay inside that directory;
//! the same rules are applied when building so that anything ferry builds can also be unpacked.

/// Why `path` cannot be a bundle entry, or `None` when it is a plain relative path.
pub(crate) fn entry_path_problem(path: &str) -> Option<&'static str> {
    if path.is_empty() {
        return Some("empty path");
    }
    if path.starts_with('/') {
        return Some("absolute path");
    }
    if path.contains('\0') {
        return Some("path contains a NUL byte");
    }
    for part in path.split('/') {
        match part {
            "" => return Some("path has an empty component"),
            "." => return Some("path has a '.' component"),
            ".." => return Some("path traverses to a parent directory ('..')"),
            _ => {}
        }
    }
    None
}

/// Why the symlink at `link` (a valid entry path) pointing at `target` could reach outside the
/// bundle root, or `None` when it stays inside, read lexically. A lexical check of each link
/// alone is not enough for chains (`d -> .` with `t -> d/../x` escapes), so a whole bundle's
/// links are also resolved together by [`chain_problem`].
pub(crate) fn symlink_target_problem(link: &str, target: &str) -> Option<&'static str> {
    if target.is_empty() {
        return Some("symlink with an empty target");
    }
    if target.starts_with('/') {
        return Some("symlink to an absolute path");
    }
    // Depth of the directory holding the link, below the bundle root.
    let mut depth = link.split('/').count().saturating_sub(1);
    for part in target.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                if depth == 0 {
                    return Some("symlink target leaves the release");
                }
                depth -= 1;
            }
            _ => depth += 1,
        }
    }
    None
}

/// How many links one resolution may follow before it is called a loop (Linux's limit).
const MAX_LINKS: usize = 40;

/// The first symlink of a bundle (entry path → target) that, resolved as the kernel would once
/// the bundle is unpacked — following the bundle's other links — leads outside the bundle, or
/// loops; with the reason. Links to paths that do not exist in the bundle are fine as long as
/// they stay inside.
pub(crate) fn chain_problem(
    links: &std::collections::BTreeMap<&str, &str>,
) -> Option<(String, &'static str)> {
    links.iter().find_map(|(link, target)| {
        resolve(links, link, target).map(|reason| (link.to_string(), reason))
    })
}

fn resolve(
    links: &std::collections::BTreeMap<&str, &str>,
    link: &str,
    target: &str,
) -> Option<&'static str> {
    use std::collections::VecDeque;
    let mut at: Vec<String> = link.split('/').map(str::to_string).collect();
    at.pop();
    let mut todo: VecDeque<String> = target.split('/').map(str::to_string).collect();
    let mut followed = 0usize;
    while let Some(part) = todo.pop_front() {
        match part.as_str() {
            "" | "." => {}
            ".." => {
                if at.pop().is_none() {
                    return Some("symlink chain leaves the release");
                }
            }
            _ => {
                at.push(part);
                let here = at.join("/");
                if let Some(next) = links.get(here.as_str()) {
                    followed += 1;
                    if followed > MAX_LINKS {
                        return Some("symlink chain loops");
                    }
                    if next.starts_with('/') {
                        return Some("symlink chain reaches an absolute path");
                    }
                    at.pop();
                    for p in next.split('/').rev() {
                        todo.push_front(p.to_string());
                    }
                }
            }
        }
    }
    None
}

/// Whether the repository-relative `path` lies at or below the repository-relative directory `dir`.
pub(crate) fn is_under(path: &str, dir: &str) -> bool {
    let dir = dir.trim_end_matches('/');
    if dir.is_empty() {
        return true;
    }
    path == dir || (path.starts_with(dir) && path.as_bytes().get(dir.len()) == Some(&b'/'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entry_paths() {
        assert_eq!(entry_path_problem("infra/main.tf"), None);
        assert_eq!(entry_path_problem(".ferry-release.json"), None);
        for bad in [
            "",
            "/etc/passwd",
            "../evil",
            "a/../../b",
            "a//b",
            "./a",
            "a/.",
        ] {
            assert!(entry_path_problem(bad).is_some(), "{bad} must be refused");
        }
    }

    #[test]
    fn chains_are_resolved_through_each_other() {
        let map = |pairs: &[(&'static str, &'static str)]| {
            pairs
                .iter()
                .copied()
                .collect::<std::collections::BTreeMap<_, _>>()
        };
        // Each link alone stays inside lexically; together they escape.
        let escape = map(&[("d", "."), ("t", "d/../x")]);
        assert_eq!(
            chain_problem(&escape),
            Some(("t".into(), "symlink chain leaves the release"))
        );
        let deep = map(&[("a/b/up", "../.."), ("a/b/t", "up/../secret")]);
        assert_eq!(chain_problem(&deep).map(|p| p.0), Some("a/b/t".to_string()));
        let looped = map(&[("x", "y"), ("y", "x")]);
        assert_eq!(
            chain_problem(&looped).map(|p| p.1),
            Some("symlink chain loops")
        );
        let fine = map(&[
            ("mods", "infra/modules"),
            ("infra/env", "../mods/net"),
            ("l", "l2"),
            ("l2", "infra/main.tf"),
        ]);
        assert_eq!(chain_problem(&fine), None);
    }

    #[test]
    fn symlink_targets() {
        assert_eq!(symlink_target_problem("a/link", "../b"), None);
        assert_eq!(symlink_target_problem("a/b/link", "../../c/d"), None);
        assert_eq!(symlink_target_problem("link", "x/../y"), None);
        assert!(symlink_target_problem("link", "../x").is_some());
        assert!(symlink_target_problem("a/link", "../../x").is_some());
        assert!(symlink_target_problem("a/link", "b/../../../x").is_some());
        assert!(symlink_target_problem("link", "/etc").is_some());
        assert!(symlink_target_problem("link", "").is_some());
    }

    #[test]
    fn under() {
        assert!(is_under(".ferry/releases/x", ".ferry"));
        assert!(is_under(".ferry", ".ferry/"));
        assert!(!is_under(".ferry2/x", ".ferry"));
        assert!(is_under("anything", ""));
    }
}
