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
/// bundle root, or `None` when it stays inside. Resolved lexically: every symlink in a bundle is
/// checked this way, so a chain of links cannot escape either.
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
