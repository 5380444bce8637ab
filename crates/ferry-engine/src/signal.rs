//! Stopping an engine that ran out of time, without `unsafe` (the workspace forbids it, so no
//! libc): signals go through the `kill` utility, and the process tree comes from `/proc`.

use std::process::{Command, Stdio};

/// Sends `signal` to the engine and everything it started, the way Ctrl-C reaches a whole
/// foreground job. Signalling only the engine is not enough: Terraform waits for a cancelled
/// `local-exec` command's output pipe, which an orphaned grandchild (e.g. `sleep`) keeps open.
/// Failure is tolerable: the hard kill (or the drain limit) follows anyway.
pub(crate) fn signal_tree(pid: u32, signal: &str) {
    let mut pids = vec![pid];
    pids.extend(descendants(pid));
    let _ = Command::new("kill")
        .arg(format!("-{signal}"))
        .args(pids.iter().map(u32::to_string))
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status();
}

/// Descendants of `root` from `/proc` (Linux); empty elsewhere, leaving just the engine.
fn descendants(root: u32) -> Vec<u32> {
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    let parents: Vec<(u32, u32)> = entries
        .filter_map(Result::ok)
        .filter_map(|e| e.file_name().to_str()?.parse::<u32>().ok())
        .filter_map(|pid| {
            let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
            Some((pid, parent_from_stat(&stat)?))
        })
        .collect();
    let mut found = Vec::new();
    let mut frontier = vec![root];
    while let Some(parent) = frontier.pop() {
        for &(pid, ppid) in &parents {
            if ppid == parent && !found.contains(&pid) {
                found.push(pid);
                frontier.push(pid);
            }
        }
    }
    found
}

/// `/proc/PID/stat` is `pid (comm) state ppid ...`; comm may itself contain spaces or parens.
fn parent_from_stat(stat: &str) -> Option<u32> {
    let after_comm = &stat[stat.rfind(')')? + 1..];
    after_comm.split_whitespace().nth(1)?.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parent_pid_survives_odd_process_names() {
        assert_eq!(parent_from_stat("42 (a) b) c) S 7 42 42 0"), Some(7));
        assert_eq!(parent_from_stat("garbage"), None);
    }
}
