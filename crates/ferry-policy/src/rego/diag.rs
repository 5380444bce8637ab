//! Turning regorus's multi-line, caret-annotated error text into a line number and one readable
//! sentence, so a deny can say "policy/db.rego:12: ..." instead of dumping a code frame.

/// The first `--> FILE:LINE:COL` location in an error and its final message line.
pub(crate) fn locate(error: &str) -> (Option<u32>, String) {
    let line = error.lines().find_map(|l| {
        let loc = l.trim_start().strip_prefix("--> ")?;
        let mut parts = loc.rsplitn(3, ':');
        let _col = parts.next()?;
        parts.next()?.trim().parse::<u32>().ok()
    });
    let message = error
        .lines()
        .rev()
        .map(str::trim)
        .find(|l| !l.is_empty())
        .map(|l| l.strip_prefix("error: ").unwrap_or(l).to_string())
        .unwrap_or_else(|| error.trim().to_string());
    (line, message)
}

pub(crate) fn is_time_limit(error: &str) -> bool {
    error.contains("exceeded time limit")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_line_and_message() {
        let e = "\n--> policy/x.rego:7:3\n  |\n7 | deny[msg] {\n  | ^\nerror: expecting `if`";
        assert_eq!(locate(e), (Some(7), "expecting `if`".to_string()));
        assert_eq!(locate("plain"), (None, "plain".to_string()));
    }
}
