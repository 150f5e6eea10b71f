//! Compliance scoring of a result against a guideline and target.
//!
//! The verdict and headline numbers follow the upstream RefStack UI
//! (`resultsReportController.js`), so they stay comparable with what
//! refstack.openstack.org showed:
//!
//! 1. capabilities of the target, one status each: for `platform` and every
//!    2.0 target the status with the lowest priority number across the
//!    components (`required` < `advisory` < `deprecated` < `removed`); for
//!    1.x `compute`/`object` the last status listing it;
//! 2. a test passed iff its name **or any alias** is among the passed names
//!    (exact strings); flagged iff it carries `flagged` (1.2: is in the
//!    capability's `flagged` list); flagged tests are counted in both
//!    buckets;
//! 3. per status: count, passed, flagged passed/failed; a test in two
//!    capabilities counts twice;
//! 4. compliant iff every non-flagged test of every required capability
//!    passed (vacuously true with no required tests).
//!
//! Beyond upstream, in [`Extras`] only (never in the upstream numbers):
//! outcomes (failed / skipped / not run) when the full outcome of each test
//! is known, idempotent-id matching for renamed tests with the verdict it
//! would give, and the tests whose `flag` key upstream ignores.

use std::collections::{HashMap, HashSet};

use serde::Serialize;

use refstack_subunit::{TestRecord, TestStatus};

use crate::guideline::{Capability, FlagKey, Guideline, Status, Test, normalized_uuid};
use crate::payload::PassedTest;
use crate::target::{InvalidTarget, Target};
use crate::testid::TestId;

/// What became of one test in a run (known only from a full stream).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// Passed.
    Passed,
    /// Failed or errored.
    Failed,
    /// Skipped.
    Skipped,
    /// Failed as expected (not a pass for RefStack).
    ExpectedFailure,
    /// Passed although expected to fail (not a pass for RefStack).
    UnexpectedSuccess,
    /// Started but never finished.
    Incomplete,
    /// Not in the run at all (or only enumerated).
    NotRun,
}

impl From<TestStatus> for Outcome {
    fn from(s: TestStatus) -> Self {
        match s {
            TestStatus::Success => Self::Passed,
            TestStatus::Fail => Self::Failed,
            TestStatus::Skip => Self::Skipped,
            TestStatus::ExpectedFail => Self::ExpectedFailure,
            TestStatus::UnexpectedSuccess => Self::UnexpectedSuccess,
            TestStatus::InProgress => Self::Incomplete,
            TestStatus::Exists => Self::NotRun,
        }
    }
}

/// The result being scored.
#[derive(Debug, Clone, Default)]
pub struct Results {
    passed: HashSet<String>,
    /// Normalised uuid → the first passed name carrying it.
    passed_uuids: HashMap<String, Box<str>>,
    /// Upload name → outcome, when the full stream is known.
    outcomes: Option<HashMap<String, Outcome>>,
}

impl Results {
    /// Passed test names exactly as RefStack stores them (the `results`
    /// of `GET /v1/results/{id}`); no uuids, no outcomes.
    pub fn from_passed_names<I, S>(names: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        Self {
            passed: names.into_iter().map(Into::into).collect(),
            ..Self::default()
        }
    }

    /// Passed tests with their uuids (an upload body).
    pub fn from_passed_tests<'t>(tests: impl IntoIterator<Item = &'t PassedTest>) -> Self {
        let tests = tests.into_iter();
        let mut r = Self::with_capacity(tests.size_hint().0);
        for t in tests {
            r.add_passed(t.name.clone(), t.uuid.as_deref());
        }
        r
    }

    /// Passed full test ids (`name[id-…,smoke]`), reduced the way
    /// refstack-client does: brackets stripped, uuid kept.
    pub fn from_passed_test_ids<'t>(ids: impl IntoIterator<Item = &'t str>) -> Self {
        let ids = ids.into_iter();
        let mut r = Self::with_capacity(ids.size_hint().0);
        for id in ids {
            let parsed = TestId::parse(id.trim());
            r.add_passed(parsed.upload_name().into_owned(), parsed.uuid());
        }
        r
    }

    /// Every test of a run with its final status: passes, uuids and, beyond
    /// upstream, the outcome of the tests that did not pass.
    pub fn from_records<'r>(records: impl IntoIterator<Item = &'r TestRecord>) -> Self {
        let mut r = Self::default();
        let mut outcomes = HashMap::new();
        for record in records {
            let parsed = TestId::parse(&record.id);
            let name = parsed.upload_name().into_owned();
            let outcome = Outcome::from(record.status);
            if outcome == Outcome::Passed {
                r.add_passed(name.clone(), parsed.uuid());
            }
            // A pass anywhere wins; otherwise the first outcome seen stays.
            match outcomes.get_mut(&name) {
                Some(existing) if outcome == Outcome::Passed => *existing = outcome,
                Some(_) => {}
                None => {
                    outcomes.insert(name, outcome);
                }
            }
        }
        r.outcomes = Some(outcomes);
        r
    }

    /// Adds, beyond upstream, the outcome of each test from the run's full
    /// stream (upload name → outcome) to results made of the passed names
    /// (a stored run whose stream came separately). The passes stay those
    /// of `self`: a test the stream passed and the upload does not list
    /// is not a pass, and reports mark the disagreement
    /// ([`TestReport::mismatch`]). A name given twice keeps a pass, else
    /// its first outcome (as [`Results::from_records`]).
    pub fn with_outcomes<I, S>(mut self, outcomes: I) -> Self
    where
        I: IntoIterator<Item = (S, Outcome)>,
        S: Into<String>,
    {
        let mut map: HashMap<String, Outcome> = HashMap::new();
        for (name, outcome) in outcomes {
            match map.entry(name.into()) {
                std::collections::hash_map::Entry::Occupied(mut e) => {
                    if outcome == Outcome::Passed {
                        e.insert(outcome);
                    }
                }
                std::collections::hash_map::Entry::Vacant(e) => {
                    e.insert(outcome);
                }
            }
        }
        self.outcomes = Some(map);
        self
    }

    fn with_capacity(n: usize) -> Self {
        Self {
            passed: HashSet::with_capacity(n),
            passed_uuids: HashMap::with_capacity(n),
            outcomes: None,
        }
    }

    fn add_passed(&mut self, name: String, uuid: Option<&str>) {
        if let Some(uuid) = uuid {
            let key = normalized_uuid(uuid);
            if !self.passed_uuids.contains_key(key.as_ref()) {
                self.passed_uuids
                    .insert(key.into_owned(), name.as_str().into());
            }
        }
        self.passed.insert(name);
    }

    /// Whether a name is among the passed ones.
    pub fn passed(&self, name: &str) -> bool {
        self.passed.contains(name)
    }

    /// Number of distinct passed names.
    pub fn passed_count(&self) -> usize {
        self.passed.len()
    }

    /// Whether full outcomes are known.
    pub fn has_outcomes(&self) -> bool {
        self.outcomes.is_some()
    }
}

/// How a passed test was matched.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(tag = "by", rename_all = "snake_case")]
pub enum Match<'a> {
    /// By the guideline's test name.
    Name,
    /// By one of its aliases.
    Alias {
        /// The alias that matched.
        name: &'a str,
    },
}

/// One test in the report.
#[derive(Debug, Clone, Serialize)]
pub struct TestReport<'a> {
    /// The guideline's test name.
    pub name: &'a str,
    /// The idempotent id as stored in the guideline.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub idempotent_id: Option<&'a str>,
    /// Passed by name or alias (upstream semantics).
    pub passed: bool,
    /// How it was matched, when passed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub matched_by: Option<Match<'a>>,
    /// Flagged (upstream semantics: the `flagged` key).
    pub flagged: bool,
    /// The flag reason as written, when flagged.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub flag_reason: Option<&'a str>,
    /// Beyond upstream: the outcome in the full run, when it is known (for
    /// a [`mismatch`](Self::mismatch) it disagrees with `passed`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub outcome: Option<Outcome>,
    /// Beyond upstream: the name (the test's or an alias) under which the
    /// full run holds the test, when it does.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub outcome_name: Option<&'a str>,
    /// Beyond upstream: the full run's outcome and the passed names
    /// disagree (passed by one and not by the other); `passed` and the
    /// verdict follow the passed names.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub mismatch: bool,
    /// Beyond upstream: not passed by name or alias, but a passed test
    /// carries the same idempotent id (its name is given).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub uuid_match: Option<&'a str>,
}

/// One capability in the report.
#[derive(Debug, Clone, Serialize)]
pub struct CapabilityReport<'a> {
    /// Capability id.
    pub id: &'a str,
    /// False when a component lists the id but `capabilities` lacks it
    /// (it then has no tests).
    pub defined: bool,
    /// Number of tests (flagged included, as the UI's `[passed/total]`).
    pub total: usize,
    /// Number of passed tests (flagged included).
    pub passed: usize,
    /// Flagged tests that passed.
    pub flagged_passed: usize,
    /// Flagged tests that did not pass.
    pub flagged_failed: usize,
    /// Every non-flagged test passed.
    pub passes: bool,
    /// The tests, in guideline order.
    pub tests: Vec<TestReport<'a>>,
}

/// The capabilities of one status.
#[derive(Debug, Clone, Serialize)]
pub struct StatusReport<'a> {
    /// `required`, `advisory`, `deprecated` or `removed`.
    pub status: &'static str,
    /// Tests over all capabilities of this status (`count` upstream).
    pub count: usize,
    /// Passed tests (`passedCount`).
    pub passed: usize,
    /// Flagged passed tests (`flagPassCount`).
    pub flagged_passed: usize,
    /// Flagged tests not passed (`flagFailCount`).
    pub flagged_failed: usize,
    /// The capabilities, ordered by id as the UI shows them.
    pub capabilities: Vec<CapabilityReport<'a>>,
}

/// The upstream headline numbers, for the required capabilities.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RequiredSummary {
    /// Required capabilities.
    pub capabilities: usize,
    /// Required tests, flagged included (`required.count`).
    pub count: usize,
    /// Passed required tests (`required.passedCount`).
    pub passed: usize,
    /// `count - passed` (`totalRequiredFailCount`).
    pub not_passed: usize,
    /// Flagged required tests that passed (`flagPassCount`).
    pub flagged_passed: usize,
    /// Flagged required tests that did not pass (`flagFailCount`).
    pub flagged_failed: usize,
    /// Non-flagged required tests (`totalNonFlagCount`).
    pub non_flagged_total: usize,
    /// Non-flagged required tests that passed (`nonFlagPassCount`).
    pub non_flagged_passed: usize,
    /// `passed * 100 / count`; `None` where upstream shows NaN.
    pub pass_percent: Option<f64>,
    /// `non_flagged_passed * 100 / non_flagged_total`; `None` for NaN.
    pub non_flagged_pass_percent: Option<f64>,
}

/// One test that only idempotent-id matching counts as passed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct UuidMatch<'a> {
    /// Capability id.
    pub capability: &'a str,
    /// Capability status.
    pub status: &'static str,
    /// The guideline's test name.
    pub test: &'a str,
    /// The passed test that carries the same idempotent id.
    pub matched_name: &'a str,
    /// The idempotent id.
    pub idempotent_id: &'a str,
}

/// Outcomes of the required tests that did not pass.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct OutcomeCounts {
    /// Failed or errored.
    pub failed: usize,
    /// Skipped.
    pub skipped: usize,
    /// Not in the run.
    pub not_run: usize,
    /// Expected failures, unexpected successes, incomplete tests.
    pub other: usize,
}

/// Beyond-upstream findings, kept apart from the upstream verdict.
#[derive(Debug, Clone, Serialize)]
pub struct Extras<'a> {
    /// Outcomes of the not-passed required tests (flagged included), when
    /// the full run is known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub required_not_passed: Option<OutcomeCounts>,
    /// Tests (any status) that only idempotent-id matching counts as passed.
    pub uuid_matches: Vec<UuidMatch<'a>>,
    /// Non-flagged required tests passed when idempotent-id matches count.
    pub non_flagged_passed_with_uuid_matching: usize,
    /// The verdict when idempotent-id matches count.
    pub compliant_with_uuid_matching: bool,
    /// Required tests flagged with the 2.0 schema's `flag` key, which
    /// upstream ignores (they count as non-flagged above).
    pub ignored_flag_key_tests: Vec<&'a str>,
    /// Capability ids listed by a component but not defined.
    pub undefined_capabilities: Vec<&'a str>,
}

/// A compliance report.
#[derive(Debug, Clone, Serialize)]
pub struct ComplianceReport<'a> {
    /// Guideline id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub guideline: Option<&'a str>,
    /// Guideline schema.
    pub schema: &'static str,
    /// Target program (`platform`, …).
    pub target: &'static str,
    /// Program name.
    pub program: &'static str,
    /// The upstream verdict.
    pub compliant: bool,
    /// The upstream headline numbers.
    pub required: RequiredSummary,
    /// Required capabilities with a non-flagged test that did not pass.
    pub failing_required_capabilities: Vec<&'a str>,
    /// Per status, in the order required, advisory, deprecated, removed.
    pub statuses: Vec<StatusReport<'a>>,
    /// Beyond-upstream findings.
    pub extras: Extras<'a>,
}

impl<'a> ComplianceReport<'a> {
    /// The report of one status.
    pub fn status(&self, status: &Status) -> Option<&StatusReport<'a>> {
        self.statuses.iter().find(|s| s.status == status.as_str())
    }
}

/// The capabilities of a target with one status each, as the upstream UI
/// resolves them, in first-seen order.
///
/// # Errors
/// [`InvalidTarget`] when the guideline does not define the target's
/// program or components.
pub fn target_capabilities(
    g: &Guideline,
    target: Target,
) -> Result<Vec<(&str, Status)>, InvalidTarget> {
    let invalid = || InvalidTarget(target.as_str().to_owned());
    let mut out: Vec<(&str, Status)> = Vec::new();
    let mut index: HashMap<&str, usize> = HashMap::new();
    if target == Target::Platform || g.schema.is_v2() {
        let names: Vec<String> = if g.is_add_on() {
            vec![format!("os_powered_{}", target.as_str())]
        } else if g.schema.is_v2() {
            let program = g.platform(target.program_name()).ok_or_else(invalid)?;
            program.components.iter().map(|c| c.name.clone()).collect()
        } else {
            let platform = g.legacy_platform.as_ref().ok_or_else(invalid)?;
            platform
                .iter()
                .find(|l| l.status == Status::Required)
                .ok_or_else(invalid)?
                .names
                .clone()
        };
        for name in &names {
            let component = g.component(name).ok_or_else(invalid)?;
            for list in &component.capabilities {
                let Some(priority) = list.status.priority() else {
                    continue;
                };
                for cap in &list.names {
                    match index.get(cap.as_str()) {
                        Some(&i) => {
                            if out[i].1.priority().is_some_and(|p| priority < p) {
                                out[i].1 = list.status.clone();
                            }
                        }
                        None => {
                            index.insert(cap, out.len());
                            out.push((cap, list.status.clone()));
                        }
                    }
                }
            }
        }
    } else {
        let component = g.component(target.as_str()).ok_or_else(invalid)?;
        for list in &component.capabilities {
            if list.status.priority().is_none() {
                continue;
            }
            for cap in &list.names {
                match index.get(cap.as_str()) {
                    Some(&i) => out[i].1 = list.status.clone(),
                    None => {
                        index.insert(cap, out.len());
                        out.push((cap, list.status.clone()));
                    }
                }
            }
        }
    }
    Ok(out)
}

fn passed_by<'a>(test: &'a Test, results: &Results) -> Option<Match<'a>> {
    if results.passed(&test.name) {
        return Some(Match::Name);
    }
    test.aliases
        .iter()
        .find(|a| results.passed(a))
        .map(|a| Match::Alias { name: a })
}

/// The test's outcome in the full run and the name it was found under: a
/// pass under any name wins, else the first name's outcome.
fn outcome_of<'t>(
    test: &'t Test,
    outcomes: &HashMap<String, Outcome>,
) -> (Outcome, Option<&'t str>) {
    let mut best = (Outcome::NotRun, None);
    for name in test.names() {
        match outcomes.get(name) {
            Some(Outcome::Passed) => return (Outcome::Passed, Some(name)),
            Some(&o) if best.1.is_none() => best = (o, Some(name)),
            _ => {}
        }
    }
    best
}

fn build_capability<'a>(
    id: &'a str,
    cap: Option<&'a Capability>,
    results: &'a Results,
) -> CapabilityReport<'a> {
    let mut report = CapabilityReport {
        id,
        defined: cap.is_some(),
        total: 0,
        passed: 0,
        flagged_passed: 0,
        flagged_failed: 0,
        passes: true,
        tests: Vec::new(),
    };
    let Some(cap) = cap else {
        return report;
    };
    report.tests.reserve(cap.tests.len());
    for test in &cap.tests {
        let matched_by = passed_by(test, results);
        let passed = matched_by.is_some();
        let flagged = test.flagged_for_scoring();
        report.total += 1;
        if passed {
            report.passed += 1;
        }
        if flagged {
            if passed {
                report.flagged_passed += 1;
            } else {
                report.flagged_failed += 1;
            }
        } else if !passed {
            report.passes = false;
        }
        let uuid_match = if passed {
            None
        } else {
            test.idempotent_id.as_deref().and_then(|id| {
                results
                    .passed_uuids
                    .get(normalized_uuid(id).as_ref())
                    .map(AsRef::as_ref)
            })
        };
        let found = results.outcomes.as_ref().map(|o| outcome_of(test, o));
        report.tests.push(TestReport {
            name: &test.name,
            idempotent_id: test.idempotent_id.as_deref(),
            passed,
            matched_by,
            flagged,
            flag_reason: test
                .flag
                .as_ref()
                .filter(|_| flagged)
                .and_then(|f| f.reason.as_ref())
                .map(|r| r.raw.as_str()),
            outcome: found.map(|(o, _)| o),
            outcome_name: found.and_then(|(_, n)| n),
            mismatch: found.is_some_and(|(o, _)| passed != (o == Outcome::Passed)),
            uuid_match,
        });
    }
    report
}

fn percent(part: usize, whole: usize) -> Option<f64> {
    (whole > 0).then(|| part as f64 * 100.0 / whole as f64)
}

/// Scores a result against a guideline and target.
///
/// # Errors
/// [`InvalidTarget`] when the guideline does not define the target.
pub fn score<'a>(
    g: &'a Guideline,
    target: Target,
    results: &'a Results,
) -> Result<ComplianceReport<'a>, InvalidTarget> {
    let caps = target_capabilities(g, target)?;
    let mut statuses: Vec<StatusReport<'a>> = Status::SCORED
        .iter()
        .map(|s| StatusReport {
            status: static_status(s),
            count: 0,
            passed: 0,
            flagged_passed: 0,
            flagged_failed: 0,
            capabilities: Vec::new(),
        })
        .collect();
    let mut extras = Extras {
        required_not_passed: results.outcomes.as_ref().map(|_| OutcomeCounts::default()),
        uuid_matches: Vec::new(),
        non_flagged_passed_with_uuid_matching: 0,
        compliant_with_uuid_matching: true,
        ignored_flag_key_tests: Vec::new(),
        undefined_capabilities: Vec::new(),
    };
    for (id, status) in caps {
        let Some(slot) = status
            .priority()
            .and_then(|p| statuses.get_mut(usize::from(p) - 1))
        else {
            continue;
        };
        let cap = g.capability(id);
        if cap.is_none() {
            extras.undefined_capabilities.push(id);
        }
        let report = build_capability(id, cap, results);
        slot.count += report.total;
        slot.passed += report.passed;
        slot.flagged_passed += report.flagged_passed;
        slot.flagged_failed += report.flagged_failed;
        let required = status == Status::Required;
        let guideline_tests = cap.map(|c| c.tests.as_slice()).unwrap_or_default();
        for (t, gt) in report.tests.iter().zip(guideline_tests) {
            if let (Some(matched_name), Some(idempotent_id)) = (t.uuid_match, t.idempotent_id) {
                extras.uuid_matches.push(UuidMatch {
                    capability: id,
                    status: slot.status,
                    test: t.name,
                    matched_name,
                    idempotent_id,
                });
            }
            if !required {
                continue;
            }
            if !t.flagged && (t.passed || t.uuid_match.is_some()) {
                extras.non_flagged_passed_with_uuid_matching += 1;
            }
            if !t.flagged && !t.passed && t.uuid_match.is_none() {
                extras.compliant_with_uuid_matching = false;
            }
            if gt.flag.as_ref().is_some_and(|f| f.key == FlagKey::Flag) {
                extras.ignored_flag_key_tests.push(t.name);
            }
            if let (Some(counts), false) = (extras.required_not_passed.as_mut(), t.passed) {
                match t.outcome {
                    Some(Outcome::Failed) => counts.failed += 1,
                    Some(Outcome::Skipped) => counts.skipped += 1,
                    Some(Outcome::NotRun) | None => counts.not_run += 1,
                    Some(_) => counts.other += 1,
                }
            }
        }
        slot.capabilities.push(report);
    }
    for s in &mut statuses {
        s.capabilities.sort_by(|a, b| a.id.cmp(b.id));
    }
    let req = &statuses[0];
    let not_passed = req.count - req.passed;
    let flagged = req.flagged_failed + req.flagged_passed;
    let non_flagged_total = req.count - flagged;
    let non_flagged_passed = non_flagged_total - (not_passed - req.flagged_failed);
    let required = RequiredSummary {
        capabilities: req.capabilities.len(),
        count: req.count,
        passed: req.passed,
        not_passed,
        flagged_passed: req.flagged_passed,
        flagged_failed: req.flagged_failed,
        non_flagged_total,
        non_flagged_passed,
        pass_percent: percent(req.passed, req.count),
        non_flagged_pass_percent: percent(non_flagged_passed, non_flagged_total),
    };
    let failing_required_capabilities = req
        .capabilities
        .iter()
        .filter(|c| !c.passes)
        .map(|c| c.id)
        .collect();
    Ok(ComplianceReport {
        guideline: g.id.as_deref(),
        schema: g.schema.as_str(),
        target: target.as_str(),
        program: target.program_name(),
        compliant: non_flagged_passed == non_flagged_total,
        required,
        failing_required_capabilities,
        statuses,
        extras,
    })
}

fn static_status(s: &Status) -> &'static str {
    match s {
        Status::Required => "required",
        Status::Advisory => "advisory",
        Status::Deprecated => "deprecated",
        Status::Removed | Status::Other(_) => "removed",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn g(json: &str) -> Guideline {
        match Guideline::from_json(json.as_bytes()) {
            Ok(g) => g,
            Err(e) => panic!("{e}"),
        }
    }

    /// Outcomes from a separately uploaded stream: statuses per test, the
    /// name an alias was found under, and passes that disagree are marked
    /// while the verdict follows the passed names.
    #[test]
    fn outcomes_added_to_passed_names() {
        let g = g(r#"{"schema": "1.4", "platform": {"required": ["compute"]},
          "components": {"compute": {"required": ["c"], "advisory": [], "deprecated": [], "removed": []}},
          "capabilities": {"c": {"tests": {
            "t1": {"idempotent_id": "id-1"},
            "t2": {"idempotent_id": "id-2", "aliases": ["old_t2"]},
            "t3": {"idempotent_id": "id-3"},
            "t4": {"idempotent_id": "id-4"},
            "t5": {"idempotent_id": "id-5"}}}}}"#);
        let results = Results::from_passed_names(["t1", "t4"]).with_outcomes([
            ("t1", Outcome::Passed),
            ("old_t2", Outcome::Skipped),
            ("t3", Outcome::Passed),
            ("t3", Outcome::Failed),
            ("t5", Outcome::Failed),
        ]);
        let r = match score(&g, Target::Platform, &results) {
            Ok(r) => r,
            Err(e) => panic!("{e}"),
        };
        let t = &r.statuses[0].capabilities[0].tests;
        let got: Vec<_> = t
            .iter()
            .map(|t| (t.name, t.outcome, t.outcome_name, t.mismatch, t.passed))
            .collect();
        assert_eq!(
            got,
            [
                ("t1", Some(Outcome::Passed), Some("t1"), false, true),
                ("t2", Some(Outcome::Skipped), Some("old_t2"), false, false),
                // The stream passed it, the upload did not: not a pass, marked.
                ("t3", Some(Outcome::Passed), Some("t3"), true, false),
                // The upload passed it, the stream never ran it: a pass, marked.
                ("t4", Some(Outcome::NotRun), None, true, true),
                ("t5", Some(Outcome::Failed), Some("t5"), false, false),
            ]
        );
        assert_eq!(r.required.passed, 2);
        let counts = r.extras.required_not_passed.unwrap_or_default();
        assert_eq!((counts.failed, counts.skipped), (1, 1));
    }

    /// The worked example of the upstream UI unit test (ControllerSpec.js).
    #[test]
    fn upstream_ui_unit_test_example() {
        let g = g(r#"{"schema": "1.4", "platform": {"required": ["compute"]},
          "components": {"compute": {"required": ["cap_id_1"], "advisory": [], "deprecated": [], "removed": []}},
          "capabilities": {"cap_id_1": {"tests": {
            "test_id_1": {"idempotent_id": "id-1", "flagged": {"reason": "foo"}},
            "test_id_2": {"idempotent_id": "id-2"},
            "test_id_3": {"idempotent_id": "id-3", "aliases": ["old_test_id_3"]},
            "test_id_4": {"idempotent_id": "id-4"}}}}}"#);
        let results = Results::from_passed_names(["test_id_1", "old_test_id_3", "test_id_4"]);
        let r = match score(&g, Target::Platform, &results) {
            Ok(r) => r,
            Err(e) => panic!("{e}"),
        };
        assert_eq!(r.required.count, 4);
        assert_eq!(r.required.passed, 3);
        assert_eq!(r.required.flagged_passed, 1);
        assert_eq!(r.required.flagged_failed, 0);
        assert_eq!(r.required.pass_percent, Some(75.0));
        assert_eq!(r.required.non_flagged_total, 3);
        assert_eq!(r.required.non_flagged_passed, 2);
        assert!(!r.compliant);
        assert_eq!(r.failing_required_capabilities, ["cap_id_1"]);
        let tests = &r.statuses[0].capabilities[0].tests;
        assert_eq!(
            tests[2].matched_by,
            Some(Match::Alias {
                name: "old_test_id_3"
            })
        );
        assert_eq!(tests[0].flag_reason, Some("foo"));
        assert_eq!(tests[1].matched_by, None);
    }

    const V2: &str = r#"{"metadata": {"schema": "2.0", "id": "t"},
      "platforms": {"OpenStack Powered Platform": {"components": [{"name": "a"}, {"name": "b"}]},
                    "OpenStack Powered Compute": {"components": [{"name": "a"}]}},
      "components": {"a": {"capabilities": {"required": ["shared", "ca"], "advisory": ["adv"]}},
                     "b": {"capabilities": {"advisory": ["shared"], "required": ["cb", "ghost"]}}},
      "capabilities": {
        "shared": {"tests": {"s.t": {"idempotent_id": "id-AAAA"}}},
        "ca": {"tests": {"a.renamed": {"idempotent_id": "id-bbbb"},
                         "a.flag": {"idempotent_id": "id-cccc", "flag": {"reason": "D400 x"}}}},
        "cb": {"tests": {"b.t": {"idempotent_id": "id-dddd"}}},
        "adv": {"tests": {"adv.t": {"idempotent_id": "id-eeee"}}}}}"#;

    #[test]
    fn status_priority_and_extras() {
        let g = g(V2);
        let caps = target_capabilities(&g, Target::Platform).unwrap_or_default();
        assert_eq!(
            caps,
            [
                ("shared", Status::Required),
                ("ca", Status::Required),
                ("adv", Status::Advisory),
                ("cb", Status::Required),
                ("ghost", Status::Required)
            ]
        );
        let records = [
            TestRecord::new("s.t[id-aaaa,smoke]", TestStatus::Success),
            TestRecord::new("a.new_name[id-bbbb]", TestStatus::Success),
            TestRecord::new("a.flag[id-cccc]", TestStatus::Skip),
            TestRecord::new("b.t[id-dddd]", TestStatus::Fail),
        ];
        let results = Results::from_records(&records);
        let r = match score(&g, Target::Platform, &results) {
            Ok(r) => r,
            Err(e) => panic!("{e}"),
        };
        assert_eq!(r.required.capabilities, 4);
        assert_eq!(r.required.count, 4);
        assert_eq!(r.required.passed, 1);
        assert!(!r.compliant);
        assert_eq!(r.failing_required_capabilities, ["ca", "cb"]);
        assert_eq!(r.status(&Status::Advisory).map(|s| s.count), Some(1));
        let extras = &r.extras;
        assert_eq!(extras.undefined_capabilities, ["ghost"]);
        assert_eq!(extras.ignored_flag_key_tests, ["a.flag"]);
        assert_eq!(
            extras.uuid_matches,
            [UuidMatch {
                capability: "ca",
                status: "required",
                test: "a.renamed",
                matched_name: "a.new_name",
                idempotent_id: "id-bbbb"
            }]
        );
        assert_eq!(extras.non_flagged_passed_with_uuid_matching, 2);
        assert!(!extras.compliant_with_uuid_matching);
        assert_eq!(
            extras.required_not_passed,
            Some(OutcomeCounts {
                failed: 1,
                skipped: 1,
                not_run: 1,
                other: 0
            })
        );
        // Compute: only component a.
        let r = score(&g, Target::Compute, &results).map(|r| r.required.count);
        assert_eq!(r, Ok(3));
        assert_eq!(
            score(&g, Target::Object, &results).map(|r| r.compliant),
            Err(InvalidTarget("object".into()))
        );
    }

    #[test]
    fn vacuous_compliance_and_json() {
        let g = g(V2);
        let results = Results::from_passed_names(Vec::<String>::new());
        let Ok(r) = score(&g, Target::Compute, &results) else {
            panic!("compute is defined");
        };
        assert!(!r.compliant);
        assert_eq!(r.required.pass_percent, Some(0.0));
        let json = serde_json::to_value(&r).unwrap_or_default();
        for key in [
            "count",
            "passed",
            "flagged_passed",
            "flagged_failed",
            "non_flagged_total",
            "non_flagged_passed",
        ] {
            assert!(json["required"].get(key).is_some(), "{key}");
        }
        assert_eq!(json["compliant"], false);
        assert!(json["extras"].get("required_not_passed").is_none());
        let g2 = self::g(
            r#"{"schema": "1.6", "platform": {"required": []}, "components": {}, "capabilities": {}}"#,
        );
        let Ok(r) = score(&g2, Target::Platform, &results) else {
            panic!("platform is defined");
        };
        assert!(r.compliant);
        assert_eq!(r.required.pass_percent, None);
    }

    proptest::proptest! {
        /// The upstream headline arithmetic equals direct counting, and the
        /// verdict equals "no failing required capability".
        #[test]
        fn headline_numbers_are_consistent(mask in proptest::collection::vec(proptest::bool::ANY, 6)) {
            let g = g(V2);
            let names = ["s.t", "a.renamed", "a.flag", "b.t", "adv.t", "a.new_name"];
            let passed: Vec<&str> = names
                .iter()
                .zip(&mask)
                .filter(|(_, keep)| **keep)
                .map(|(n, _)| *n)
                .collect();
            let results = Results::from_passed_names(passed.iter().copied());
            let Ok(r) = score(&g, Target::Platform, &results) else {
                return Err(proptest::test_runner::TestCaseError::fail("platform is defined"));
            };
            let required = r.status(&Status::Required).map(|s| s.capabilities.as_slice()).unwrap_or_default();
            let tests = required.iter().flat_map(|c| &c.tests);
            let non_flagged = tests.clone().filter(|t| !t.flagged).count();
            let non_flagged_passed = tests.clone().filter(|t| !t.flagged && t.passed).count();
            proptest::prop_assert_eq!(r.required.non_flagged_total, non_flagged);
            proptest::prop_assert_eq!(r.required.non_flagged_passed, non_flagged_passed);
            proptest::prop_assert_eq!(r.required.count, tests.clone().count());
            proptest::prop_assert_eq!(r.compliant, r.failing_required_capabilities.is_empty());
            proptest::prop_assert!(r.extras.non_flagged_passed_with_uuid_matching >= r.required.non_flagged_passed);
            proptest::prop_assert!(!r.compliant || r.extras.compliant_with_uuid_matching);
        }
    }

    #[test]
    fn v1_non_platform_targets_take_the_last_status() {
        let g = g(r#"{"schema": "1.5", "platform": {"required": ["compute"]},
          "components": {"compute": {"required": ["c"], "removed": ["c"]}},
          "capabilities": {"c": {"tests": {"t": {"idempotent_id": "id-1"}}}}}"#);
        assert_eq!(
            target_capabilities(&g, Target::Compute),
            Ok(vec![("c", Status::Removed)])
        );
        assert_eq!(
            target_capabilities(&g, Target::Platform),
            Ok(vec![("c", Status::Required)])
        );
    }
}
