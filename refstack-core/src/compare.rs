//! Comparing two runs scored against the same guideline and target (issue
//! 13 item 4): the capabilities whose verdict changed and the tests whose
//! pass or outcome changed, from two [`ComplianceReport`]s made by
//! [`crate::score`] (so the comparison never scores on its own).

use crate::score::{ComplianceReport, Outcome, TestReport};

/// One side of a test's change.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TestState {
    /// Passed by name or alias (upstream semantics).
    pub passed: bool,
    /// The outcome in the full run, when its stream is known.
    pub outcome: Option<Outcome>,
}

impl TestState {
    fn of(t: &TestReport<'_>) -> Self {
        Self {
            passed: t.passed,
            outcome: t.outcome,
        }
    }

    /// The outcome, or what the passed names alone say (`Passed` /
    /// `NotRun`).
    pub fn effective(&self) -> Outcome {
        self.outcome.unwrap_or(if self.passed {
            Outcome::Passed
        } else {
            Outcome::NotRun
        })
    }
}

/// A test whose state differs between the two runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TestChange<'a> {
    /// The capability status (`required`, ...).
    pub status: &'static str,
    /// The capability.
    pub capability: &'a str,
    /// The guideline's test name.
    pub test: &'a str,
    /// Flagged in the guideline.
    pub flagged: bool,
    /// In the first run.
    pub before: TestState,
    /// In the second run.
    pub after: TestState,
}

/// A capability whose verdict (every non-flagged test passed) differs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CapabilityChange<'a> {
    /// The capability status.
    pub status: &'static str,
    /// The capability.
    pub capability: &'a str,
    /// Passes in the first run.
    pub before: bool,
    /// Passes in the second run.
    pub after: bool,
}

/// What changed from one run to the other.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Comparison<'a> {
    /// Capabilities whose verdict changed, in report order.
    pub capabilities: Vec<CapabilityChange<'a>>,
    /// Tests whose pass or outcome changed, in report order.
    pub tests: Vec<TestChange<'a>>,
}

/// Error: the two reports were not scored against the same guideline and
/// target, so they cannot be compared test by test.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the two reports were scored against different guidelines or targets")]
pub struct NotComparable;

/// Compares `before` with `after`. A test counts as changed when its pass
/// changed or, when both runs' outcomes are known, its outcome did; when
/// only one side has a stream, its outcome is compared with what the other
/// side's passed names say (`passed` / `not_run`).
pub fn compare<'a>(
    before: &ComplianceReport<'a>,
    after: &ComplianceReport<'a>,
) -> Result<Comparison<'a>, NotComparable> {
    if before.guideline != after.guideline
        || before.target != after.target
        || before.statuses.len() != after.statuses.len()
    {
        return Err(NotComparable);
    }
    let mut out = Comparison::default();
    for (sb, sa) in before.statuses.iter().zip(&after.statuses) {
        if sb.status != sa.status || sb.capabilities.len() != sa.capabilities.len() {
            return Err(NotComparable);
        }
        for (cb, ca) in sb.capabilities.iter().zip(&sa.capabilities) {
            if cb.id != ca.id || cb.tests.len() != ca.tests.len() {
                return Err(NotComparable);
            }
            if cb.passes != ca.passes {
                out.capabilities.push(CapabilityChange {
                    status: sb.status,
                    capability: cb.id,
                    before: cb.passes,
                    after: ca.passes,
                });
            }
            for (tb, ta) in cb.tests.iter().zip(&ca.tests) {
                if tb.name != ta.name {
                    return Err(NotComparable);
                }
                let (b, a) = (TestState::of(tb), TestState::of(ta));
                if b.passed != a.passed || b.effective() != a.effective() {
                    out.tests.push(TestChange {
                        status: sb.status,
                        capability: cb.id,
                        test: tb.name,
                        flagged: tb.flagged,
                        before: b,
                        after: a,
                    });
                }
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::score::{Results, score};
    use crate::{Guideline, Target};

    fn guideline() -> Guideline {
        match Guideline::from_json(
            br#"{"schema": "1.4", "platform": {"required": ["compute"]},
          "components": {"compute": {"required": ["a", "b"], "advisory": ["c"], "deprecated": [], "removed": []}},
          "capabilities": {
            "a": {"tests": {"a1": {}, "a2": {}}},
            "b": {"tests": {"b1": {}}},
            "c": {"tests": {"c1": {}}}}}"#,
        ) {
            Ok(g) => g,
            Err(e) => panic!("{e}"),
        }
    }

    #[test]
    fn changes_in_verdicts_passes_and_outcomes() {
        let g = guideline();
        let last_week = Results::from_passed_names(["a1", "a2", "c1"]).with_outcomes([
            ("a1", Outcome::Passed),
            ("a2", Outcome::Passed),
            ("b1", Outcome::Skipped),
            ("c1", Outcome::Passed),
        ]);
        let today = Results::from_passed_names(["a1", "b1", "c1"]).with_outcomes([
            ("a1", Outcome::Passed),
            ("a2", Outcome::Failed),
            ("b1", Outcome::Passed),
            ("c1", Outcome::Passed),
        ]);
        let (Ok(before), Ok(after)) = (
            score(&g, Target::Platform, &last_week),
            score(&g, Target::Platform, &today),
        ) else {
            panic!("score")
        };
        let Ok(c) = compare(&before, &after) else {
            panic!("comparable")
        };
        let caps: Vec<_> = c
            .capabilities
            .iter()
            .map(|c| (c.capability, c.before, c.after))
            .collect();
        assert_eq!(caps, [("a", true, false), ("b", false, true)]);
        let tests: Vec<_> = c
            .tests
            .iter()
            .map(|t| (t.test, t.before.effective(), t.after.effective()))
            .collect();
        assert_eq!(
            tests,
            [
                ("a2", Outcome::Passed, Outcome::Failed),
                ("b1", Outcome::Skipped, Outcome::Passed),
            ]
        );
        // A run compared with itself: nothing changed.
        let Ok(same) = compare(&after, &after) else {
            panic!("comparable")
        };
        assert_eq!(same, Comparison::default());
        // Without streams, passes alone; a different target is refused.
        let plain = Results::from_passed_names(["a1"]);
        let Ok(p) = score(&g, Target::Platform, &plain) else {
            panic!("score")
        };
        let Ok(c) = compare(&p, &after) else {
            panic!("comparable")
        };
        assert_eq!(c.tests.len(), 3, "{c:?}");
        let Ok(compute) = score(&g, Target::Compute, &plain) else {
            panic!("score")
        };
        assert_eq!(compare(&p, &compute), Err(NotComparable));
    }
}
