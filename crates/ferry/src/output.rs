//! Output conventions: data on stdout, progress and logs on stderr, colour only on a terminal and
//! never when `NO_COLOR` is set, and a closed stdout (`ferry status | head -1`) ends the command
//! quietly instead of panicking, and nothing leaves the process with a secret in it: every
//! write to stdout or stderr (logs included) passes the operation's [`Redactor`] first.

use clap::ValueEnum;
use ferry_engine::Redactor;
use std::io::{IsTerminal, Write};
use std::sync::OnceLock;

static REDACTOR: OnceLock<Redactor> = OnceLock::new();

/// The secrets known to this process (every `App` adds to it).
pub fn redactor() -> Redactor {
    REDACTOR.get_or_init(Redactor::new).clone()
}

/// stderr for the log subscriber, cleaned of secrets (one formatted event per write).
struct LogWriter;

impl Write for LogWriter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        note_raw(&String::from_utf8_lossy(buf));
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

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
        .with_writer(|| LogWriter)
        .with_ansi(std::env::var_os("NO_COLOR").is_none() && std::io::stderr().is_terminal())
        .without_time()
        .try_init();
}

/// Writes `text` to stderr. A closed stderr (`ferry promote 2>&- `, a log pipe that went away)
/// must not stop an operation half-way, so a failed write is dropped: stderr only ever carries
/// progress and messages, never data.
pub fn note_raw(text: &str) {
    let text = redactor().redact(text);
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
    let text = redactor().redact(text);
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

/// Where [`stream`] writes.
pub type Sink<'a> = Box<dyn Write + 'a>;

/// Streams to stdout through `write`; a reader that went away ends the process quietly.
pub fn stream(write: impl FnOnce(&mut Sink<'_>) -> std::io::Result<()>) {
    let stdout = std::io::stdout().lock();
    let r = redactor();
    let result = if r.is_empty() {
        let mut w: Sink<'_> = Box::new(std::io::BufWriter::new(stdout));
        write(&mut w).and_then(|()| w.flush())
    } else {
        // A secret may straddle two writes, so the document is cleaned whole (reviews are
        // capped; this stays small).
        let mut bytes = Vec::new();
        let written = {
            let mut w: Sink<'_> = Box::new(&mut bytes);
            write(&mut w)
        };
        written.and_then(|()| {
            let mut stdout = stdout;
            stdout
                .write_all(r.redact(&String::from_utf8_lossy(&bytes)).as_bytes())
                .and_then(|()| stdout.flush())
        })
    };
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
