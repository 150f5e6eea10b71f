//! Showing how a run is going: an indicatif bar on a terminal, plain lines
//! otherwise (CI logs), nothing when silenced.

use std::io::IsTerminal;
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// The outcome class of a finished test, as the progress display counts it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Passed (success; expected failures count as passes for display).
    Passed,
    /// Failed (fail, unexpected success).
    Failed,
    /// Skipped.
    Skipped,
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
    mode: Mode,
    bar: Option<ProgressBar>,
    total: Option<u64>,
    counts: Counts,
    started: Instant,
}

impl Progress {
    /// Start showing progress over `total` tests (if known).
    pub fn new(mode: Mode, total: Option<u64>) -> Self {
        let bar = (mode == Mode::Bar).then(|| {
            let bar = match total {
                Some(n) => ProgressBar::with_draw_target(Some(n), ProgressDrawTarget::stderr()),
                None => ProgressBar::new_spinner(),
            };
            let template = if total.is_some() {
                "{spinner} [{elapsed_precise}] {bar:30} {pos}/{len} ETA {eta_precise} {msg}"
            } else {
                "{spinner} [{elapsed_precise}] {pos} tests {msg}"
            };
            if let Ok(style) = ProgressStyle::with_template(template) {
                bar.set_style(style);
            }
            bar.enable_steady_tick(Duration::from_millis(200));
            bar
        });
        Self {
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
        }
        let c = self.counts;
        match self.mode {
            Mode::Quiet => {}
            Mode::Bar => {
                if let Some(bar) = &self.bar {
                    if outcome == Outcome::Failed {
                        bar.println(format!("FAIL {id}"));
                    }
                    bar.set_position(c.done);
                    bar.set_message(format!(
                        "passed {} failed {} skipped {}",
                        c.passed, c.failed, c.skipped
                    ));
                }
            }
            Mode::Lines => {
                let word = match outcome {
                    Outcome::Passed => "ok",
                    Outcome::Failed => "FAIL",
                    Outcome::Skipped => "skip",
                };
                let total = self.total.map(|t| format!("/{t}")).unwrap_or_default();
                let eta = self
                    .eta()
                    .map(|d| format!(" eta {}", hms(d)))
                    .unwrap_or_default();
                eprintln!(
                    "[{}{}] {word} {id} (passed {} failed {} skipped {}, elapsed {}{eta})",
                    c.done,
                    total,
                    c.passed,
                    c.failed,
                    c.skipped,
                    hms(self.started.elapsed())
                );
            }
        }
    }

    /// Stop the display and print the summary line.
    pub fn finish(self) -> Counts {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
        if self.mode != Mode::Quiet {
            let c = self.counts;
            eprintln!(
                "{} tests: {} passed, {} failed, {} skipped in {}",
                c.done,
                c.passed,
                c.failed,
                c.skipped,
                hms(self.started.elapsed())
            );
        }
        self.counts
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
                skipped: 1
            }
        );
        assert!(p.eta().is_some());
        assert_eq!(hms(Duration::from_secs(3725)), "01:02:05");
        let c = p.finish();
        assert_eq!(c.done, 3);
    }
}
