//! Showing how a run is going: an indicatif bar on a terminal, plain lines
//! otherwise (CI logs), nothing when silenced.

use std::io::{IsTerminal, Write};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// The bar on screen, if any, with the id of the [`Progress`] showing it:
/// log lines hide it while they are written ([`LogWriter`]).
static SHOWN: Mutex<Option<(u64, ProgressBar)>> = Mutex::new(None);

/// Ids of [`Progress`] displays.
static NEXT_ID: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);

fn shown() -> std::sync::MutexGuard<'static, Option<(u64, ProgressBar)>> {
    SHOWN.lock().unwrap_or_else(PoisonError::into_inner)
}

/// The log output (a `tracing_subscriber` writer) for stderr: while a
/// progress bar is on screen, the bar is cleared before a log line is
/// written and drawn again after it, so log lines never tear the bar.
/// Each log event is written at once, when its writer is dropped.
#[derive(Clone, Default)]
pub struct LogWriter {
    /// Where lines go instead of stderr (tests).
    capture: Option<Capture>,
}

/// A receiver of log lines in place of stderr.
type Capture = Arc<dyn Fn(&[u8]) + Send + Sync>;

impl std::fmt::Debug for LogWriter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LogWriter")
            .field("captured", &self.capture.is_some())
            .finish()
    }
}

impl LogWriter {
    /// Log lines to stderr.
    pub fn stderr() -> Self {
        Self::default()
    }
}

/// One log event being written; see [`LogWriter`].
pub struct LogLine {
    buf: Vec<u8>,
    capture: Option<Capture>,
}

impl std::fmt::Debug for LogLine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LogLine")
            .field("len", &self.buf.len())
            .finish()
    }
}

impl Write for LogLine {
    fn write(&mut self, data: &[u8]) -> std::io::Result<usize> {
        self.buf.extend_from_slice(data);
        Ok(data.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Drop for LogLine {
    fn drop(&mut self) {
        if self.buf.is_empty() {
            return;
        }
        let write = || match &self.capture {
            Some(c) => c(&self.buf),
            // A log line that cannot be written has nowhere to be reported.
            None => drop(std::io::stderr().lock().write_all(&self.buf)),
        };
        let bar = shown().as_ref().map(|(_, bar)| bar.clone());
        match bar {
            Some(bar) => bar.suspend(write),
            None => write(),
        }
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for LogWriter {
    type Writer = LogLine;

    fn make_writer(&'a self) -> LogLine {
        LogLine {
            buf: Vec::new(),
            capture: self.capture.clone(),
        }
    }
}

/// The outcome class of a finished test, as the progress display counts it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Passed (success).
    Passed,
    /// Failed.
    Failed,
    /// Skipped.
    Skipped,
    /// Failed as expected: not a pass for RefStack (never uploaded).
    ExpectedFailure,
    /// Passed although expected to fail: a failure.
    UnexpectedSuccess,
}

/// Running counts.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    /// Tests finished.
    pub done: u64,
    /// Passed.
    pub passed: u64,
    /// Failed.
    pub failed: u64,
    /// Skipped.
    pub skipped: u64,
    /// Expected failures (not passes).
    pub xfail: u64,
    /// Unexpected successes (failures).
    pub uxsuccess: u64,
}

impl Counts {
    /// `passed N failed N skipped N`, and the other categories when any.
    fn brief(&self) -> String {
        let mut t = format!(
            "passed {} failed {} skipped {}",
            self.passed, self.failed, self.skipped
        );
        if self.xfail > 0 {
            t.push_str(&format!(" xfail {}", self.xfail));
        }
        if self.uxsuccess > 0 {
            t.push_str(&format!(" uxsuccess {}", self.uxsuccess));
        }
        t
    }
}

/// How to display.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// An indicatif bar on stderr.
    Bar,
    /// One plain line per finished test on stderr.
    Lines,
    /// Nothing.
    Quiet,
}

impl Mode {
    /// `Bar` when stderr is a terminal, `Lines` otherwise, `Quiet` if `silent`.
    pub fn detect(silent: bool) -> Self {
        if silent {
            Self::Quiet
        } else if std::io::stderr().is_terminal() {
            Self::Bar
        } else {
            Self::Lines
        }
    }
}

fn hms(d: Duration) -> String {
    let s = d.as_secs();
    format!("{:02}:{:02}:{:02}", s / 3600, (s / 60) % 60, s % 60)
}

/// A progress display for one run.
#[derive(Debug)]
pub struct Progress {
    id: u64,
    mode: Mode,
    bar: Option<ProgressBar>,
    total: Option<u64>,
    counts: Counts,
    started: Instant,
}

impl Progress {
    /// Start showing progress over `total` tests (if known).
    pub fn new(mode: Mode, total: Option<u64>) -> Self {
        Self::with_target(mode, total, ProgressDrawTarget::stderr)
    }

    fn with_target(
        mode: Mode,
        total: Option<u64>,
        target: impl FnOnce() -> ProgressDrawTarget,
    ) -> Self {
        let id = NEXT_ID.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let bar = (mode == Mode::Bar).then(|| {
            let bar = ProgressBar::with_draw_target(total, target());
            let template = if total.is_some() {
                "{spinner} [{elapsed_precise}] {bar:30} {pos}/{len} ETA {eta_precise} {msg}"
            } else {
                "{spinner} [{elapsed_precise}] {pos} tests {msg}"
            };
            if let Ok(style) = ProgressStyle::with_template(template) {
                bar.set_style(style);
            }
            bar.enable_steady_tick(Duration::from_millis(200));
            *shown() = Some((id, bar.clone()));
            bar
        });
        Self {
            id,
            mode,
            bar,
            total,
            counts: Counts::default(),
            started: Instant::now(),
        }
    }

    /// The counts so far.
    pub fn counts(&self) -> Counts {
        self.counts
    }

    fn eta(&self) -> Option<Duration> {
        let total = self.total?;
        if self.counts.done == 0 || self.counts.done >= total {
            return None;
        }
        let per = self.started.elapsed().as_secs_f64() / self.counts.done as f64;
        Some(Duration::from_secs_f64(
            per * (total - self.counts.done) as f64,
        ))
    }

    /// Record one finished test.
    pub fn finished(&mut self, id: &str, outcome: Outcome) {
        self.counts.done += 1;
        match outcome {
            Outcome::Passed => self.counts.passed += 1,
            Outcome::Failed => self.counts.failed += 1,
            Outcome::Skipped => self.counts.skipped += 1,
            Outcome::ExpectedFailure => self.counts.xfail += 1,
            Outcome::UnexpectedSuccess => self.counts.uxsuccess += 1,
        }
        let c = self.counts;
        match self.mode {
            Mode::Quiet => {}
            Mode::Bar => {
                if let Some(bar) = &self.bar {
                    if matches!(outcome, Outcome::Failed | Outcome::UnexpectedSuccess) {
                        bar.println(format!("FAIL {id}"));
                    }
                    bar.set_position(c.done);
                    bar.set_message(c.brief());
                }
            }
            Mode::Lines => {
                let word = match outcome {
                    Outcome::Passed => "ok",
                    Outcome::Failed => "FAIL",
                    Outcome::Skipped => "skip",
                    Outcome::ExpectedFailure => "xfail",
                    Outcome::UnexpectedSuccess => "FAIL (unexpected success)",
                };
                let total = self.total.map(|t| format!("/{t}")).unwrap_or_default();
                let eta = self
                    .eta()
                    .map(|d| format!(" eta {}", hms(d)))
                    .unwrap_or_default();
                eprintln!(
                    "[{}{}] {word} {id} ({}, elapsed {}{eta})",
                    c.done,
                    total,
                    c.brief(),
                    hms(self.started.elapsed())
                );
            }
        }
    }

    /// Stop the display and print the summary line.
    pub fn finish(self) -> Counts {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
            self.hide();
        }
        if self.mode != Mode::Quiet {
            let c = self.counts;
            eprintln!(
                "{} tests ran: {} passed, {} failed, {} skipped, {} expected failures, {} \
                 unexpected successes in {}",
                c.done,
                c.passed,
                c.failed,
                c.skipped,
                c.xfail,
                c.uxsuccess,
                hms(self.started.elapsed())
            );
        }
        self.counts
    }
}

impl Progress {
    /// Log lines no longer need to hide this display's bar.
    fn hide(&self) {
        let mut shown = shown();
        if shown.as_ref().is_some_and(|(id, _)| *id == self.id) {
            *shown = None;
        }
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
        self.hide();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A terminal that records what is done to it, in one log shared
    /// with the captured log lines.
    #[derive(Debug, Clone)]
    struct FakeTerm(Arc<Mutex<Vec<String>>>);

    impl FakeTerm {
        fn note(&self, what: String) -> std::io::Result<()> {
            self.0.lock().unwrap().push(what);
            Ok(())
        }
    }

    impl indicatif::TermLike for FakeTerm {
        fn width(&self) -> u16 {
            80
        }
        fn move_cursor_up(&self, n: usize) -> std::io::Result<()> {
            self.note(format!("up {n}"))
        }
        fn move_cursor_down(&self, n: usize) -> std::io::Result<()> {
            self.note(format!("down {n}"))
        }
        fn move_cursor_right(&self, _: usize) -> std::io::Result<()> {
            Ok(())
        }
        fn move_cursor_left(&self, _: usize) -> std::io::Result<()> {
            Ok(())
        }
        fn write_line(&self, s: &str) -> std::io::Result<()> {
            self.note(format!("bar {s}"))
        }
        fn write_str(&self, s: &str) -> std::io::Result<()> {
            self.note(format!("bar {s}"))
        }
        fn clear_line(&self) -> std::io::Result<()> {
            self.note("clear".into())
        }
        fn flush(&self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn log_lines_hide_the_bar_while_written() {
        let events = Arc::new(Mutex::new(Vec::new()));
        let term = FakeTerm(events.clone());
        // Lines go to the same log as the terminal's events.
        let sink = events.clone();
        let writer = LogWriter {
            capture: Some(Arc::new(move |b: &[u8]| {
                sink.lock()
                    .unwrap()
                    .push(format!("log {}", String::from_utf8_lossy(b)));
            })),
        };
        let log = |text: &str| {
            let mut line = tracing_subscriber::fmt::MakeWriter::make_writer(&writer);
            line.write_all(text.as_bytes()).unwrap();
        };
        let mut p = Progress::with_target(Mode::Bar, Some(10), || {
            ProgressDrawTarget::term_like_with_hz(Box::new(term.clone()), 100)
        });
        p.finished("t.one", Outcome::Passed);
        std::thread::sleep(Duration::from_millis(30));
        p.bar.as_ref().unwrap().tick();
        events.lock().unwrap().clear();
        log("WARN something\n");
        let seen = events.lock().unwrap().clone();
        let at = seen
            .iter()
            .position(|e| e == "log WARN something\n")
            .unwrap();
        // Cleared before the line, drawn again after it.
        assert!(seen[..at].iter().any(|e| e == "clear"), "{seen:?}");
        assert!(
            seen[at + 1..].iter().any(|e| e.starts_with("bar ")),
            "{seen:?}"
        );
        // Once finished, lines are written straight, the bar left alone.
        let _ = p.finish();
        assert!(shown().is_none());
        events.lock().unwrap().clear();
        log("INFO done\n");
        assert_eq!(*events.lock().unwrap(), ["log INFO done\n"]);
    }

    #[test]
    fn counts_and_eta() {
        let mut p = Progress::new(Mode::Quiet, Some(4));
        p.finished("a", Outcome::Passed);
        p.finished("b", Outcome::Failed);
        p.finished("c", Outcome::Skipped);
        assert_eq!(
            p.counts(),
            Counts {
                done: 3,
                passed: 1,
                failed: 1,
                skipped: 1,
                xfail: 0,
                uxsuccess: 0,
            }
        );
        assert!(p.eta().is_some());
        assert_eq!(hms(Duration::from_secs(3725)), "01:02:05");
        // An expected failure is not a pass.
        p.finished("d", Outcome::ExpectedFailure);
        assert_eq!((p.counts().passed, p.counts().xfail), (1, 1));
        assert_eq!(p.counts().brief(), "passed 1 failed 1 skipped 1 xfail 1");
        let c = p.finish();
        assert_eq!(c.done, 4);
    }
}
