//! Where engine output goes while it runs: shown according to [`Progress`], and captured in
//! full for the ledger plus a stderr tail for error messages.

use std::collections::VecDeque;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::options::{LineObserver, Progress, RunOptions};

/// Lines of stderr kept for [`crate::EngineError::Failed`]: enough for Terraform's diagnostics.
const STDERR_TAIL_LINES: usize = 40;
const SPINNER_TICK: std::time::Duration = std::time::Duration::from_millis(100);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Stream {
    Out,
    Err,
}

/// Shows lines according to [`Progress`] and keeps what the ledger and errors need.
pub(crate) struct Sink {
    progress: Progress,
    label: String,
    bar: Option<ProgressBar>,
    on_line: Option<LineObserver>,
    redact: Option<crate::Redactor>,
    pub(crate) output: String,
    stderr_tail: VecDeque<String>,
}

impl Sink {
    pub(crate) fn new(opts: &RunOptions) -> Self {
        let bar = (opts.progress == Progress::Terminal && opts.on_line.is_none()).then(|| {
            let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
            if let Ok(style) = ProgressStyle::with_template("{spinner} {wide_msg}") {
                bar.set_style(style);
            }
            bar.set_message(prefixed(&opts.label, "starting"));
            bar.enable_steady_tick(SPINNER_TICK);
            bar
        });
        Sink {
            progress: opts.progress,
            label: opts.label.clone(),
            bar,
            on_line: opts.on_line.clone(),
            redact: opts.redact.clone(),
            output: String::new(),
            stderr_tail: VecDeque::new(),
        }
    }

    pub(crate) fn line(&mut self, stream: Stream, text: String) {
        let text = match &self.redact {
            Some(r) => r.redact(&text),
            None => text,
        };
        match (&self.on_line, self.progress) {
            (Some(observer), _) => (observer.0)(&text),
            (None, progress) => self.show(progress, &text),
        }
        self.capture(stream, text);
    }

    fn show(&self, progress: Progress, text: &str) {
        match progress {
            Progress::Terminal => {
                if let Some(bar) = &self.bar {
                    if !text.trim().is_empty() {
                        bar.set_message(prefixed(&self.label, text));
                    }
                }
            }
            Progress::Plain => {
                use std::io::Write as _;
                // A closed stderr must not stop the engine's run.
                let _ = writeln!(std::io::stderr(), "{}", prefixed(&self.label, text));
            }
            Progress::Quiet => {}
        }
    }

    fn capture(&mut self, stream: Stream, text: String) {
        self.output.push_str(&text);
        self.output.push('\n');
        if stream == Stream::Err {
            if self.stderr_tail.len() == STDERR_TAIL_LINES {
                self.stderr_tail.pop_front();
            }
            self.stderr_tail.push_back(text);
        }
    }

    pub(crate) fn finish(&mut self) {
        if let Some(bar) = self.bar.take() {
            bar.finish_and_clear();
        }
    }

    /// Terraform prints its diagnostics on stderr; fall back to all output if it did not.
    pub(crate) fn failure_tail(&self) -> String {
        let lines: Vec<&str> = if self.stderr_tail.iter().any(|l| !l.trim().is_empty()) {
            self.stderr_tail.iter().map(String::as_str).collect()
        } else {
            let all: Vec<&str> = self.output.lines().collect();
            all[all.len().saturating_sub(STDERR_TAIL_LINES)..].to_vec()
        };
        lines.join("\n").trim().to_string()
    }
}

fn prefixed(label: &str, text: &str) -> String {
    if label.is_empty() {
        text.to_string()
    } else {
        format!("[{label}] {text}")
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
    use super::*;

    #[test]
    fn failure_tail_keeps_last_stderr_lines() {
        let mut sink = Sink::new(&RunOptions {
            progress: Progress::Quiet,
            ..RunOptions::default()
        });
        for i in 0..100 {
            sink.line(Stream::Err, format!("e{i}"));
        }
        sink.line(Stream::Out, "out".into());
        let tail = sink.failure_tail();
        assert!(tail.starts_with("e60\n"));
        assert!(tail.ends_with("e99"));
        assert!(sink.output.ends_with("e99\nout\n"));
    }

    #[test]
    fn failure_tail_falls_back_to_stdout() {
        let mut sink = Sink::new(&RunOptions {
            progress: Progress::Quiet,
            ..RunOptions::default()
        });
        sink.line(Stream::Out, "Error: boom".into());
        assert_eq!(sink.failure_tail(), "Error: boom");
    }
}
