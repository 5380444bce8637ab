//! Output conventions: data on stdout, progress and logs on stderr, colour only on a terminal and
//! never when `NO_COLOR` is set, and a closed stdout (`ferry status | head -1`) ends the command
//! quietly instead of panicking.

use clap::ValueEnum;
use std::io::{IsTerminal, Write};

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Default)]
pub enum Format {
    #[default]
    Human,
    Json,
    /// For `review` and `audit` (a pull-request comment).
    Markdown,
}

/// Whether stdout may carry ANSI colours.
pub fn color_stdout() -> bool {
    std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty()) && std::io::stdout().is_terminal()
}

/// Whether stderr is a terminal that may show live progress (not in CI, not when piped).
pub fn interactive_stderr() -> bool {
    std::io::stderr().is_terminal() && std::env::var_os("CI").is_none()
}

pub fn init_logging(verbose: u8) {
    let level = match verbose {
        0 => "warn",
        1 => "info",
        _ => "debug",
    };
    let filter = tracing_subscriber::EnvFilter::try_from_env("FERRY_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(level));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::env::var_os("NO_COLOR").is_none() && std::io::stderr().is_terminal())
        .without_time()
        .try_init();
}

/// Writes `text` to stderr. A closed stderr (`ferry promote 2>&- `, a log pipe that went away)
/// must not stop an operation half-way, so a failed write is dropped: stderr only ever carries
/// progress and messages, never data.
pub fn note_raw(text: &str) {
    let mut stderr = std::io::stderr().lock();
    let _ = stderr
        .write_all(text.as_bytes())
        .and_then(|()| stderr.flush());
}

/// [`note_raw`] with a newline, like `eprintln!` without its panic.
#[macro_export]
macro_rules! say {
    ($($t:tt)*) => {
        $crate::output::note_raw(&format!("{}\n", format_args!($($t)*)))
    };
}

/// One formatted line on stdout through [`line`] (a closed stdout ends the process quietly).
#[macro_export]
macro_rules! out {
    ($($t:tt)*) => {
        $crate::output::line(format!($($t)*))
    };
}

/// The conventional status of a process whose output pipe was closed (128 + SIGPIPE).
pub const CLOSED_STDOUT: i32 = 141;

/// Writes `text` to stdout; a reader that went away ends the process quietly.
pub fn out(text: &str) {
    let mut stdout = std::io::stdout().lock();
    let result = stdout
        .write_all(text.as_bytes())
        .and_then(|()| stdout.flush());
    if let Err(e) = result {
        if e.kind() == std::io::ErrorKind::BrokenPipe {
            std::process::exit(CLOSED_STDOUT);
        }
        crate::say!("error: cannot write to stdout: {e}");
        std::process::exit(1);
    }
}

/// Streams to stdout through `write`; a reader that went away ends the process quietly.
pub fn stream(
    write: impl FnOnce(&mut std::io::BufWriter<std::io::StdoutLock<'static>>) -> std::io::Result<()>,
) {
    let stdout = std::io::stdout().lock();
    let mut w = std::io::BufWriter::new(stdout);
    let result = write(&mut w).and_then(|()| w.flush());
    if let Err(e) = result {
        if e.kind() == std::io::ErrorKind::BrokenPipe {
            std::process::exit(CLOSED_STDOUT);
        }
        crate::say!("error: cannot write to stdout: {e}");
        std::process::exit(1);
    }
}

/// Writes one line to stdout.
pub fn line(text: impl AsRef<str>) {
    let mut s = text.as_ref().to_string();
    s.push('\n');
    out(&s);
}

/// Prints a serializable value as pretty JSON on stdout.
pub fn json<T: serde::Serialize + ?Sized>(value: &T) {
    match serde_json::to_string_pretty(value) {
        Ok(text) => line(text),
        Err(e) => {
            crate::say!("error: cannot render JSON: {e}");
            std::process::exit(1);
        }
    }
}
