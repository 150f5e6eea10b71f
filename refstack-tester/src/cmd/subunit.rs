//! `subunit stats|ls|to-json|to-junit|filter|convert`.

use std::io::Write;
use std::path::Path;

use anyhow::{Context, Result};
use refstack_subunit::{Fold, FoldOptions, StatusCounts, parse_slice};
use refstack_tester::{convert, results};

use crate::cli::{GlobalArgs, StreamVersion, SubunitCommand};

fn read_input(path: &Path) -> Result<Vec<u8>> {
    if path.as_os_str() == "-" {
        let mut buf = Vec::new();
        std::io::Read::read_to_end(&mut std::io::stdin().lock(), &mut buf)
            .context("cannot read stdin")?;
        return Ok(buf);
    }
    std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))
}

fn records(path: &Path, bytes: &[u8], details: bool) -> Result<Vec<refstack_subunit::TestRecord>> {
    let recs = results::records_from_bytes(bytes, details);
    if recs.is_empty() && !bytes.is_empty() {
        anyhow::bail!(
            "{}: no subunit test events found (not a subunit v1/v2 stream, or corrupt)",
            path.display()
        );
    }
    Ok(recs)
}

fn write_out(bytes: &[u8]) -> Result<()> {
    super::out::print(bytes)
}

pub(crate) async fn run(cmd: SubunitCommand, _global: &GlobalArgs) -> Result<u8> {
    match cmd {
        SubunitCommand::Stats(a) => {
            let bytes = read_input(&a.input)?;
            let mut fold = Fold::with_options(
                StatusCounts::default(),
                FoldOptions {
                    attachments: false,
                    tags: false,
                },
            );
            let mut counts = refstack_subunit::Counts::default();
            let mut both = (&mut fold, &mut counts);
            parse_slice(&bytes, &mut Tee(&mut both)).unwrap_or_else(|e| match e {});
            let (c, summary) = fold.finish();
            if c.tests == 0 && c.exists == 0 && !bytes.is_empty() {
                anyhow::bail!("{}: no subunit test events found", a.input.display());
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
        SubunitCommand::Ls(a) => {
            let bytes = read_input(&a.stream.input)?;
            let recs = records(&a.stream.input, &bytes, false)?;
            let mut out = std::io::BufWriter::new(std::io::stdout().lock());
            for r in recs
                .iter()
                .filter(|r| a.status.as_deref().is_none_or(|s| s == r.status.as_str()))
            {
                writeln!(out, "{} {}", r.status.as_str(), r.id)?;
            }
            out.flush()?;
            Ok(0)
        }
        SubunitCommand::ToJson(a) => {
            let duration = i64::try_from(a.duration).unwrap_or(i64::MAX);
            results::write_results_json_from_stream_file(
                &a.stream.input,
                &a.cpid,
                duration,
                &mut std::io::stdout().lock(),
                Path::new("-"),
            )?;
            Ok(0)
        }
        SubunitCommand::ToJunit(a) => {
            let bytes = read_input(&a.input)?;
            let recs = records(&a.input, &bytes, true)?;
            let suite = a
                .input
                .file_name()
                .map_or("subunit".into(), |n| n.to_string_lossy().into_owned());
            write_out(convert::records_to_junit(&recs, &suite).as_bytes())?;
            Ok(0)
        }
        SubunitCommand::Filter(a) => {
            let bytes = read_input(&a.stream.input)?;
            let recs = records(&a.stream.input, &bytes, a.to == StreamVersion::V1)?;
            let ids = convert::select_ids(&recs, &a.matches, &a.status);
            match a.to {
                StreamVersion::V2 => {
                    let (out, _) = convert::to_v2_filtered(&bytes, &|id| ids.contains(id), false);
                    write_out(&out)?;
                }
                StreamVersion::V1 => {
                    let kept: Vec<_> = recs.into_iter().filter(|r| ids.contains(&r.id)).collect();
                    write_out(&convert::records_to_v1(&kept))?;
                }
            }
            Ok(0)
        }
        SubunitCommand::Convert(a) => {
            let bytes = read_input(&a.stream.input)?;
            match a.to {
                StreamVersion::V2 => {
                    let (out, corrupt) = convert::to_v2(&bytes);
                    if out.is_empty() && !bytes.is_empty() {
                        anyhow::bail!("{}: no subunit packets found", a.stream.input.display());
                    }
                    if corrupt > 0 {
                        tracing::warn!("skipped {corrupt} corrupt packet(s)");
                    }
                    write_out(&out)?;
                }
                StreamVersion::V1 => {
                    let recs = records(&a.stream.input, &bytes, true)?;
                    write_out(&convert::records_to_v1(&recs))?;
                }
            }
            Ok(0)
        }
    }
}

/// Feeds two sinks at once.
struct Tee<'a, A, B>(&'a mut (A, B));

impl<
    A: refstack_subunit::Sink<Error = std::convert::Infallible>,
    B: refstack_subunit::Sink<Error = std::convert::Infallible>,
> refstack_subunit::Sink for Tee<'_, A, B>
{
    type Error = std::convert::Infallible;
    fn packet(&mut self, offset: u64, p: &refstack_subunit::Packet<'_>) -> Result<(), Self::Error> {
        self.0.0.packet(offset, p)?;
        self.0.1.packet(offset, p)
    }
    fn noise(&mut self, offset: u64, bytes: &[u8]) -> Result<(), Self::Error> {
        self.0.0.noise(offset, bytes)?;
        self.0.1.noise(offset, bytes)
    }
    fn corrupt(
        &mut self,
        offset: u64,
        bytes: &[u8],
        e: &refstack_subunit::Corruption,
    ) -> Result<(), Self::Error> {
        self.0.0.corrupt(offset, bytes, e)?;
        self.0.1.corrupt(offset, bytes, e)
    }
}
