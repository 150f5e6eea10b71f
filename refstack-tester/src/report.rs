//! Rendering `refstack-core`'s compliance report as text, JSON, JUnit XML
//! or HTML, and reading the result to score (a results JSON or a subunit
//! stream).

use std::fmt::Write as _;
use std::path::Path;

use refstack_core::payload::PassedTest;
use refstack_core::score::{ComplianceReport, Outcome, Results};

use crate::convert::xml_escape;
use crate::error::Error;
use crate::results;

/// Read what to score: a results JSON (passed tests only) or a subunit
/// stream (then failures, skips and tests not run are known too).
pub fn read_results(path: &Path) -> Result<Results, Error> {
    // The first bytes tell a results JSON from a stream; a stream is then
    // folded in bounded memory (a large file in parallel parts).
    let mut head = [0u8; 256];
    let n = {
        let mut file = std::fs::File::open(path).map_err(|source| Error::Io {
            action: "read the result",
            path: path.to_path_buf(),
            source,
        })?;
        let mut n = 0;
        while n < head.len() {
            match std::io::Read::read(&mut file, &mut head[n..]) {
                Ok(0) => break,
                Ok(k) => n += k,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(source) => {
                    return Err(Error::Io {
                        action: "read the result",
                        path: path.to_path_buf(),
                        source,
                    });
                }
            }
        }
        n
    };
    if results::looks_like_json(&head[..n]) {
        let payload = results::read_results_json(path)?;
        let passed: Vec<PassedTest> = payload.results.into_iter().map(PassedTest::from).collect();
        return Ok(Results::from_passed_tests(&passed));
    }
    let options = refstack_subunit::FoldOptions {
        attachments: false,
        tags: false,
    };
    let folded = crate::stream::fold(path, options, false, refstack_subunit::Records::default)
        .map_err(|e| match e {
            Error::Input { origin, .. } => Error::Input {
                origin,
                message: "neither a results JSON nor a subunit stream with tests".into(),
            },
            e => e,
        })?;
    Ok(Results::from_records(&folded.records.into_vec()))
}

/// [`read_results`] over bytes already read: a results JSON (first
/// non-blank byte `{`) or a subunit stream with at least one test; `origin`
/// names the input in the error.
pub fn results_from_bytes(bytes: &[u8], origin: &str) -> Result<Results, Error> {
    if results::looks_like_json(bytes) {
        let payload = results::parse_results_json(bytes, origin)?;
        let passed: Vec<PassedTest> = payload.results.into_iter().map(PassedTest::from).collect();
        return Ok(Results::from_passed_tests(&passed));
    }
    let records = results::records_from_bytes(bytes, false);
    if records.is_empty() {
        return Err(Error::Input {
            origin: origin.to_owned(),
            message: "neither a results JSON nor a subunit stream with tests".into(),
        });
    }
    Ok(Results::from_records(&records))
}

fn pct(p: Option<f64>) -> String {
    p.map_or("n/a".to_string(), |v| format!("{v:.1}%"))
}

fn outcome_word(o: Option<Outcome>) -> &'static str {
    match o {
        Some(Outcome::Passed) => "passed",
        Some(Outcome::Failed) => "failed",
        Some(Outcome::Skipped) => "skipped",
        Some(Outcome::ExpectedFailure) => "expected failure",
        Some(Outcome::UnexpectedSuccess) => "unexpected success",
        Some(Outcome::Incomplete) => "incomplete",
        Some(Outcome::NotRun) => "not run",
        None => "not passed",
    }
}

/// The report as text for a terminal.
pub fn text(r: &ComplianceReport<'_>) -> String {
    let mut t = String::new();
    let q = &r.required;
    let _ = writeln!(
        t,
        "Guideline {} (schema {}), target {} ({})",
        r.guideline.unwrap_or("?"),
        r.schema,
        r.target,
        r.program
    );
    let _ = writeln!(
        t,
        "Result: {}",
        if r.compliant {
            "COMPLIANT"
        } else {
            "NOT COMPLIANT"
        }
    );
    let _ = writeln!(
        t,
        "Required: {} capabilities, {}/{} tests passed ({}); non-flagged {}/{} passed ({}); flagged: {} passed, {} not passed",
        q.capabilities,
        q.passed,
        q.count,
        pct(q.pass_percent),
        q.non_flagged_passed,
        q.non_flagged_total,
        pct(q.non_flagged_pass_percent),
        q.flagged_passed,
        q.flagged_failed
    );
    for s in r
        .statuses
        .iter()
        .filter(|s| s.status != "required" && s.count > 0)
    {
        let _ = writeln!(
            t,
            "{}: {} capabilities, {}/{} tests passed",
            s.status,
            s.capabilities.len(),
            s.passed,
            s.count
        );
    }
    if !r.failing_required_capabilities.is_empty() {
        let _ = writeln!(t, "\nFailing required capabilities:");
        for s in r.statuses.iter().filter(|s| s.status == "required") {
            for c in s.capabilities.iter().filter(|c| !c.passes) {
                let _ = writeln!(t, "  {} [{}/{}]", c.id, c.passed, c.total);
                for test in c.tests.iter().filter(|x| !x.passed && !x.flagged) {
                    let _ = writeln!(t, "    {}: {}", outcome_word(test.outcome), test.name);
                }
            }
        }
    }
    if let Some(o) = &r.extras.required_not_passed {
        // `other` split into the categories the run's summary names.
        let (mut xfail, mut uxsuccess, mut incomplete) = (0, 0, 0);
        for s in r.statuses.iter().filter(|s| s.status == "required") {
            for test in s.capabilities.iter().flat_map(|c| &c.tests) {
                match (test.passed, test.outcome) {
                    (false, Some(Outcome::ExpectedFailure)) => xfail += 1,
                    (false, Some(Outcome::UnexpectedSuccess)) => uxsuccess += 1,
                    (false, Some(Outcome::Incomplete)) => incomplete += 1,
                    _ => {}
                }
            }
        }
        let other = if xfail + uxsuccess + incomplete == o.other {
            format!(
                "{xfail} expected failures, {uxsuccess} unexpected successes, {incomplete} \
                 incomplete"
            )
        } else {
            format!("{} other", o.other)
        };
        let _ = writeln!(
            t,
            "\nRequired tests not passed: {} failed, {} skipped, {other}, {} not run",
            o.failed, o.skipped, o.not_run
        );
    }
    if !r.extras.uuid_matches.is_empty() {
        let _ = writeln!(
            t,
            "\n{} test(s) pass only by idempotent id (renamed); counting them the cloud would be {}",
            r.extras.uuid_matches.len(),
            if r.extras.compliant_with_uuid_matching {
                "COMPLIANT"
            } else {
                "NOT COMPLIANT"
            }
        );
    }
    t
}

/// The report as pretty JSON (`refstack-core`'s serialisation).
pub fn json(r: &ComplianceReport<'_>) -> Result<String, Error> {
    serde_json::to_string_pretty(r).map_err(|e| Error::Input {
        origin: "report".into(),
        message: e.to_string(),
    })
}

/// The report as JUnit XML: one suite per status, one test case per
/// guideline test (`classname` = capability); non-flagged tests that did
/// not pass are failures, flagged ones that did not pass are skipped.
pub fn junit(r: &ComplianceReport<'_>) -> String {
    let mut x = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let _ = writeln!(
        x,
        "<testsuites name=\"{} {}\">",
        xml_escape(r.guideline.unwrap_or("guideline")),
        r.target
    );
    for s in &r.statuses {
        let tests: usize = s.capabilities.iter().map(|c| c.tests.len()).sum();
        let failures: usize = s
            .capabilities
            .iter()
            .flat_map(|c| &c.tests)
            .filter(|t| !t.passed && !t.flagged)
            .count();
        let skipped: usize = s
            .capabilities
            .iter()
            .flat_map(|c| &c.tests)
            .filter(|t| !t.passed && t.flagged)
            .count();
        let _ = writeln!(
            x,
            "  <testsuite name=\"{}\" tests=\"{tests}\" failures=\"{failures}\" skipped=\"{skipped}\">",
            s.status
        );
        for c in &s.capabilities {
            for t in &c.tests {
                let _ = write!(
                    x,
                    "    <testcase classname=\"{}\" name=\"{}\"",
                    xml_escape(c.id),
                    xml_escape(t.name)
                );
                if t.passed {
                    x.push_str("/>\n");
                } else if t.flagged {
                    let _ = write!(
                        x,
                        ">\n      <skipped message=\"flagged: {}\"/>\n    </testcase>\n",
                        xml_escape(t.flag_reason.unwrap_or(""))
                    );
                } else {
                    let _ = write!(
                        x,
                        ">\n      <failure message=\"{}\"/>\n    </testcase>\n",
                        outcome_word(t.outcome)
                    );
                }
            }
        }
        x.push_str("  </testsuite>\n");
    }
    x.push_str("</testsuites>\n");
    x
}

/// The report as a standalone HTML page.
pub fn html(r: &ComplianceReport<'_>) -> String {
    let mut h = String::from(
        "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>RefStack compliance report</title>\n<style>body{font-family:sans-serif;margin:2em}td,th{padding:2px 8px;text-align:left}.pass{color:#1a7f37}.fail{color:#cf222e}.flag{color:#9a6700}</style></head><body>\n",
    );
    let _ = writeln!(
        h,
        "<h1>{} &mdash; {} ({})</h1>",
        xml_escape(r.guideline.unwrap_or("Guideline")),
        r.target,
        xml_escape(r.program)
    );
    let q = &r.required;
    let _ = writeln!(
        h,
        "<p class=\"{}\"><strong>{}</strong></p>\n<p>Required: {}/{} tests passed ({}); non-flagged {}/{} ({}).</p>",
        if r.compliant { "pass" } else { "fail" },
        if r.compliant {
            "Compliant"
        } else {
            "Not compliant"
        },
        q.passed,
        q.count,
        pct(q.pass_percent),
        q.non_flagged_passed,
        q.non_flagged_total,
        pct(q.non_flagged_pass_percent)
    );
    for s in r.statuses.iter().filter(|s| !s.capabilities.is_empty()) {
        let _ = writeln!(
            h,
            "<h2>{} ({}/{} passed)</h2>\n<table>",
            s.status, s.passed, s.count
        );
        for c in &s.capabilities {
            let _ = writeln!(
                h,
                "<tr><th class=\"{}\">{}</th><td>[{}/{}]</td></tr>",
                if c.passes { "pass" } else { "fail" },
                xml_escape(c.id),
                c.passed,
                c.total
            );
            for t in &c.tests {
                let (class, word) = match (t.passed, t.flagged) {
                    (true, _) => ("pass", "passed"),
                    (false, true) => ("flag", "flagged"),
                    (false, false) => ("fail", outcome_word(t.outcome)),
                };
                let _ = writeln!(
                    h,
                    "<tr><td class=\"{class}\">{word}</td><td>{}</td></tr>",
                    xml_escape(t.name)
                );
            }
        }
        h.push_str("</table>\n");
    }
    h.push_str("</body></html>\n");
    h
}

/// A test outcome of a server's report, in words.
fn outcome_text(o: refstack_api_types::compliance::TestOutcome) -> &'static str {
    use refstack_api_types::compliance::TestOutcome;
    match o {
        TestOutcome::Passed => "passed",
        TestOutcome::Failed => "failed",
        TestOutcome::Skipped => "skipped",
        TestOutcome::ExpectedFailure => "expected failure",
        TestOutcome::UnexpectedSuccess => "unexpected success",
        TestOutcome::Incomplete => "incomplete",
        TestOutcome::NotRun => "not run",
    }
}

/// The text of a server's compliance report of a run
/// (`GET /v1/results/{id}/compliance`, `report --server`): the verdict, the
/// required numbers, the failing required capabilities, and every required
/// test that did not pass with its outcome, skip reason and the last line
/// of its traceback (the full traceback is in the `--json` document).
pub fn server_text(r: &refstack_api_types::compliance::ComplianceReport) -> String {
    use refstack_api_types::compliance::CapabilityStatus;
    let mut out = String::new();
    let _ = writeln!(
        out,
        "Run {} against guideline {} ({}, target {})",
        r.test_id,
        r.guideline,
        r.program,
        r.target.as_str()
    );
    let _ = writeln!(
        out,
        "{}",
        if r.compliant {
            "COMPLIANT: every non-flagged required test passed"
        } else {
            "NOT COMPLIANT"
        }
    );
    let q = &r.required;
    let _ = writeln!(
        out,
        "Required: {} capabilities, {}/{} tests passed{} ({} flagged: {} passed, {} not)",
        q.capabilities,
        q.passed,
        q.count,
        q.pass_percent
            .map(|p| format!(" ({p:.1}%)"))
            .unwrap_or_default(),
        q.flagged_passed + q.flagged_failed,
        q.flagged_passed,
        q.flagged_failed
    );
    match &r.stream {
        Some(s) => {
            let _ = writeln!(
                out,
                "Full results: {} tests in the uploaded stream, {} corrupt packets, {} mismatches",
                s.tests, s.rejected_packets, s.mismatches
            );
        }
        None => {
            let _ = writeln!(
                out,
                "Passed tests only (no stream uploaded): a test that did not pass shows as not run"
            );
        }
    }
    if !r.failing_required_capabilities.is_empty() {
        let _ = writeln!(
            out,
            "Failing required capabilities ({}): {}",
            r.failing_required_capabilities.len(),
            r.failing_required_capabilities.join(", ")
        );
    }
    for status in r
        .statuses
        .iter()
        .filter(|s| s.status == CapabilityStatus::Required)
    {
        for cap in &status.capabilities {
            for t in cap.tests.iter().filter(|t| !t.passed) {
                let _ = write!(
                    out,
                    "  {} {}: {}{}",
                    cap.id,
                    t.name,
                    outcome_text(t.status),
                    if t.flagged { " (flagged)" } else { "" }
                );
                if let Some(reason) = &t.skip_reason {
                    let _ = write!(out, ": {}", reason.trim());
                }
                if let Some(last) = t
                    .traceback
                    .as_deref()
                    .and_then(|tb| tb.lines().rev().find(|l| !l.trim().is_empty()))
                {
                    let _ = write!(out, ": {}", last.trim());
                }
                if t.mismatch {
                    let _ = write!(out, " [stream and upload disagree]");
                }
                out.push('\n');
            }
        }
    }
    out
}

/// The text of a comparison of two runs (`compare A B`).
pub fn compare_text(r: &refstack_api_types::compare::CompareReport) -> String {
    use refstack_api_types::compare::CompareRun;
    let mut out = String::new();
    let _ = writeln!(
        out,
        "Guideline {} ({}, target {})",
        r.guideline,
        r.program,
        r.target.as_str()
    );
    let run = |label: &str, c: &CompareRun, out: &mut String| {
        let _ = writeln!(
            out,
            "{label} {}: {}, {}/{} required tests passed{}{}",
            c.test_id,
            if c.compliant {
                "compliant"
            } else {
                "not compliant"
            },
            c.passed,
            c.count,
            c.pass_percent
                .map(|p| format!(" ({p:.1}%)"))
                .unwrap_or_default(),
            if c.full_results {
                ""
            } else {
                " (passed tests only)"
            }
        );
    };
    run("A", &r.before, &mut out);
    run("B", &r.after, &mut out);
    let verdict = |passes: bool| if passes { "passes" } else { "fails" };
    let _ = writeln!(out, "Capabilities that changed: {}", r.capabilities.len());
    for c in &r.capabilities {
        let _ = writeln!(
            out,
            "  {} {}: {} -> {}",
            format!("{:?}", c.status).to_lowercase(),
            c.id,
            verdict(c.before),
            verdict(c.after)
        );
    }
    let _ = writeln!(out, "Tests that changed: {}", r.tests.len());
    for t in &r.tests {
        let _ = writeln!(
            out,
            "  {} {}: {} -> {}{}",
            t.capability,
            t.name,
            outcome_text(t.before),
            outcome_text(t.after),
            if t.flagged { " (flagged)" } else { "" }
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn results_from_bytes_reads_json_and_refuses_the_rest() {
        let r = results_from_bytes(
            br#"{"cpid":"c","duration_seconds":1,"results":[{"name":"t.a"}]}"#,
            "x",
        )
        .expect("a results JSON");
        assert!(r.passed("t.a"));
        let e = results_from_bytes(b" {", "x").expect_err("truncated JSON");
        assert!(e.to_string().contains("not a RefStack results JSON"), "{e}");
        let e = results_from_bytes(b"", "x").expect_err("empty input");
        assert!(e.to_string().contains("neither a results JSON"), "{e}");
    }
}
