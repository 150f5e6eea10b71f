//! `subunit stats|ls|to-json|to-junit|filter|convert`: every one reads its
//! input in bounded memory through `refstack_tester::stream` (see there
//! for which read in parallel parts), except `filter` and `to-junit` from a
//! pipe or standard input, which hold the whole input (`filter`) or the
//! records with their details (`to-junit`) in memory: both need a second
//! look at the input that only a regular file allows.

use std::collections::HashSet;
use std::io::Write;
use std::path::Path;

use anyhow::Result;
use refstack_subunit::{FoldOptions, MergeRecords, RecordSink, Records, StatusCounts, TestRecord};
use refstack_tester::convert::{self, JunitCounts};
use refstack_tester::{output, results, stream};

use crate::cli::{GlobalArgs, StreamVersion, SubunitCommand};

const NO_DETAILS: FoldOptions = FoldOptions {
    attachments: false,
    tags: false,
};

const ALL_DETAILS: FoldOptions = FoldOptions {
    attachments: true,
    tags: true,
};

/// Standard output as the stream writers' name for it.
fn stdout_name() -> &'static Path {
    Path::new("standard output")
}

/// The ids of the tests `filter` keeps: an id is kept if one of its
/// records matches (as `convert::select_ids`).
#[derive(Debug, Default)]
struct Selected<'a> {
    ids: HashSet<String>,
    matches: &'a [regex::Regex],
    statuses: &'a [String],
}

impl RecordSink for Selected<'_> {
    fn record(&mut self, r: TestRecord) {
        if (self.matches.is_empty() || self.matches.iter().any(|m| m.is_match(&r.id)))
            && (self.statuses.is_empty() || self.statuses.iter().any(|s| s == r.status.as_str()))
        {
            self.ids.insert(r.id);
        }
    }
}

impl MergeRecords for Selected<'_> {
    fn merge(&mut self, later: Self, _order_offset: u64) {
        self.ids.extend(later.ids);
    }
}

/// Every record with its details, in memory (pipes only).
fn all_records(path: &Path) -> Result<Vec<TestRecord>> {
    Ok(stream::fold(path, ALL_DETAILS, true, Records::default)?
        .records
        .into_vec())
}

pub(crate) async fn run(cmd: SubunitCommand, global: &GlobalArgs) -> Result<u8> {
    let mut out = std::io::stdout().lock();
    match cmd {
        SubunitCommand::Stats(a) => {
            // Wall and test time are printed: v1 is read in one pass.
            let f = stream::fold(&a.input, NO_DETAILS, true, StatusCounts::default)?;
            let (c, counts, summary) = (f.records, f.counts, f.summary);
            if global.json {
                super::print_json(&output::StreamStats {
                    tests: c.tests,
                    passed: c.success,
                    failed: c.fail,
                    skipped: c.skip,
                    xfail: c.xfail,
                    uxsuccess: c.uxsuccess,
                    inprogress: c.inprogress,
                    exists: c.exists,
                    packets: counts.packets,
                    corrupt: counts.corrupt,
                    noise_bytes: counts.noise_bytes,
                    wall_time_seconds: summary.wall_time().map(|w| w.as_secs_f64()),
                    test_time_seconds: summary.total_test_time.as_secs_f64(),
                })?;
                return Ok(0);
            }
            let mut text = format!(
                "tests       {}\npassed      {}\nfailed      {}\nskipped     {}\nxfail       {}\n\
                 uxsuccess   {}\ninprogress  {}\nexists      {}\npackets     {}\ncorrupt     {}\n\
                 noise bytes {}\n",
                c.tests,
                c.success,
                c.fail,
                c.skip,
                c.xfail,
                c.uxsuccess,
                c.inprogress,
                c.exists,
                counts.packets,
                counts.corrupt,
                counts.noise_bytes
            );
            if let Some(w) = summary.wall_time() {
                text.push_str(&format!("wall time   {:.3}s\n", w.as_secs_f64()));
            }
            text.push_str(&format!(
                "test time   {:.3}s\n",
                summary.total_test_time.as_secs_f64()
            ));
            super::out::print(text)?;
            Ok(0)
        }
        SubunitCommand::Ls(a) if global.json => {
            // One JSON array, written as the records come.
            let status = a.status.as_deref();
            let first = std::cell::Cell::new(true);
            super::out::print("[")?;
            stream::render_records(
                &a.stream.input,
                NO_DETAILS,
                &mut out,
                stdout_name(),
                |r: &TestRecord, buf: &mut Vec<u8>| {
                    if status.is_none_or(|s| s == r.status.as_str()) {
                        buf.extend_from_slice(if first.replace(false) {
                            b"\n  "
                        } else {
                            b",\n  "
                        });
                        let item = output::ListedTest {
                            id: &r.id,
                            status: r.status.as_str(),
                        };
                        // A struct of two strings always serialises.
                        if serde_json::to_writer(&mut *buf, &item).is_err() {
                            buf.extend_from_slice(b"null");
                        }
                    }
                },
            )?;
            super::out::print(if first.get() { "]\n" } else { "\n]\n" })?;
            Ok(0)
        }
        SubunitCommand::Ls(a) => {
            let status = a.status.as_deref();
            stream::render_records(
                &a.stream.input,
                NO_DETAILS,
                &mut out,
                stdout_name(),
                |r: &TestRecord, buf: &mut Vec<u8>| {
                    if status.is_none_or(|s| s == r.status.as_str()) {
                        buf.extend_from_slice(r.status.as_str().as_bytes());
                        buf.push(b' ');
                        buf.extend_from_slice(r.id.as_bytes());
                        buf.push(b'\n');
                    }
                },
            )?;
            Ok(0)
        }
        SubunitCommand::ToJson(a) => {
            let duration = i64::try_from(a.duration).unwrap_or(i64::MAX);
            results::write_results_json_from_stream_file(
                &a.stream.input,
                &a.cpid,
                duration,
                &mut out,
                stdout_name(),
            )?;
            Ok(0)
        }
        SubunitCommand::ToJunit(a) => {
            let suite = a
                .input
                .file_name()
                .map_or("subunit".into(), |n| n.to_string_lossy().into_owned());
            if !stream::is_regular_file(&a.input) {
                let recs = all_records(&a.input)?;
                super::out::print(convert::records_to_junit(&recs, &suite))?;
                return Ok(0);
            }
            // A file is read twice: the counts for the start tag, then the
            // test cases, written as they come.
            let mut counts = JunitCounts::default();
            stream::fold(&a.input, NO_DETAILS, true, || {
                JunitSink(JunitCounts::default())
            })
            .map(|f| counts = f.records.0)?;
            let head = convert::junit_head(&suite, &counts);
            out.write_all(head.as_bytes())
                .map_err(|e| anyhow::Error::new(e).context("cannot write to standard output"))?;
            let details = FoldOptions {
                attachments: true,
                tags: false,
            };
            stream::render_records(&a.input, details, &mut out, stdout_name(), |r, buf| {
                let mut x = String::new();
                convert::junit_testcase(r, &mut x);
                buf.extend_from_slice(x.as_bytes());
            })?;
            super::out::print(convert::JUNIT_TAIL)?;
            Ok(0)
        }
        SubunitCommand::Filter(a) => {
            let patterns = a
                .matches
                .iter()
                .map(|m| {
                    regex::Regex::new(m).map_err(|e| {
                        anyhow::anyhow!("--match {m:?} is not a regular expression: {e}")
                    })
                })
                .collect::<Result<Vec<_>>>()?;
            let input = &a.stream.input;
            if !stream::is_regular_file(input) {
                // A pipe: the whole input in memory, read once.
                let bytes = if input.as_os_str() == "-" {
                    let mut bytes = Vec::new();
                    std::io::Read::read_to_end(&mut std::io::stdin().lock(), &mut bytes)
                        .map_err(|e| anyhow::Error::new(e).context("cannot read standard input"))?;
                    bytes
                } else {
                    std::fs::read(input).map_err(|e| {
                        anyhow::Error::new(e).context(format!("cannot read {}", input.display()))
                    })?
                };
                let recs = results::records_from_bytes(&bytes, a.to == StreamVersion::V1);
                if recs.is_empty() {
                    return Err(stream::no_tests(input, bytes.len() as u64).into());
                }
                let ids = convert::select_ids(&recs, &patterns, &a.status);
                match a.to {
                    StreamVersion::V2 => {
                        let (v2, _) =
                            convert::to_v2_filtered(&bytes, &|id| ids.contains(id), false);
                        super::out::print(v2)?;
                    }
                    StreamVersion::V1 => {
                        let kept: Vec<_> =
                            recs.into_iter().filter(|r| ids.contains(&r.id)).collect();
                        super::out::print(convert::records_to_v1(&kept))?;
                    }
                }
                return Ok(0);
            }
            let selected = stream::fold(input, NO_DETAILS, false, || Selected {
                ids: HashSet::new(),
                matches: &patterns,
                statuses: &a.status,
            })?
            .records
            .ids;
            match a.to {
                StreamVersion::V2 => {
                    stream::write_v2(
                        input,
                        &|id: &str| selected.contains(id),
                        false,
                        &mut out,
                        stdout_name(),
                    )?;
                }
                StreamVersion::V1 => {
                    stream::render_records(
                        input,
                        ALL_DETAILS,
                        &mut out,
                        stdout_name(),
                        |r, buf| {
                            if selected.contains(&r.id) {
                                convert::record_to_v1(r, buf);
                            }
                        },
                    )?;
                }
            }
            Ok(0)
        }
        SubunitCommand::Convert(a) => {
            match a.to {
                StreamVersion::V2 => {
                    let corrupt = stream::write_v2(
                        &a.stream.input,
                        &|_| true,
                        true,
                        &mut out,
                        stdout_name(),
                    )?;
                    if corrupt > 0 {
                        tracing::warn!("skipped {corrupt} corrupt packet(s)");
                    }
                }
                StreamVersion::V1 => {
                    stream::render_records(
                        &a.stream.input,
                        ALL_DETAILS,
                        &mut out,
                        stdout_name(),
                        convert::record_to_v1,
                    )?;
                }
            }
            Ok(0)
        }
    }
}

/// Counts for the JUnit start tag.
#[derive(Debug, Default)]
struct JunitSink(JunitCounts);

impl RecordSink for JunitSink {
    fn record(&mut self, r: TestRecord) {
        self.0.add(&r);
    }
}

impl MergeRecords for JunitSink {
    fn merge(&mut self, later: Self, _order_offset: u64) {
        let (a, b) = (&mut self.0, later.0);
        a.tests += b.tests;
        a.failures += b.failures;
        a.errors += b.errors;
        a.skipped += b.skipped;
        a.time += b.time;
    }
}
