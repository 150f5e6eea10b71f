//! `testlist`: a guideline's test list, byte for byte as the server's
//! `GET /v1/guidelines/<version>/tests` returns it: computed locally for a
//! file or a built-in version, asked of the server for any other version.

use std::io::Write;

use anyhow::{Context, Result};
use refstack_core::testlist::{StatusFilter, TestListQuery, query_bool, test_list_text};
use refstack_tester::guideline::{self, GuidelineSource};
use refstack_tester::{http, output};

use crate::cli::{GlobalArgs, TestlistArgs};

pub(crate) async fn run(args: TestlistArgs, global: &GlobalArgs) -> Result<u8> {
    let g = &args.guideline;
    let source = GuidelineSource::parse(&g.guideline);
    // A version that is neither a file nor built in comes from the server.
    let remote = match &source {
        GuidelineSource::Version(v) if source.builtin().is_none() => Some(v.clone()),
        _ => None,
    };
    let text = match remote {
        // A file, or a published version built into the tester: computed
        // here with the server's algorithm (`refstack_core::test_list_text`).
        None => {
            let guideline = guideline::load(&source, None, g.insecure).await?;
            let query = TestListQuery {
                target: g.target.parse().map_err(|e| anyhow::anyhow!("{e}"))?,
                statuses: args
                    .types
                    .as_deref()
                    .map_or(StatusFilter::All, StatusFilter::from_query),
                alias: query_bool(Some(&args.alias), true),
                flagged: query_bool(Some(&args.flag), true),
            };
            test_list_text(&guideline, &query).map_err(|e| anyhow::anyhow!("{e}"))?
        }
        Some(version) => {
            let url = refstack_tester::server::refstack_url(g.url.as_deref()).map_err(|e| {
                anyhow::anyhow!(
                    "guideline {version} is not built in (built in: {}): {e}",
                    guideline::builtin_versions()
                )
            })?;
            let client = http::client(&http::HttpOptions {
                insecure: g.insecure,
                ..Default::default()
            })?;
            let mut endpoint = reqwest::Url::parse(&format!(
                "{}/v1/guidelines/{version}/tests",
                url.trim_end_matches('/')
            ))
            .with_context(|| format!("invalid --url {url}"))?;
            {
                let mut q = endpoint.query_pairs_mut();
                q.append_pair("target", &g.target);
                if let Some(t) = &args.types {
                    q.append_pair("type", t);
                }
                q.append_pair("alias", &args.alias);
                q.append_pair("flag", &args.flag);
            }
            let body = http::get_text(&client, endpoint.as_str()).await?;
            if let Some(message) = refstack_tester::testlist::server_error_text(&body) {
                anyhow::bail!("{endpoint}: {message}");
            }
            body
        }
    };
    if global.json {
        super::print_json(&output::TestList {
            guideline: g.guideline.clone(),
            target: g.target.clone(),
            tests: text
                .lines()
                .filter(|l| !l.trim().is_empty())
                .map(str::to_owned)
                .collect(),
        })?;
        return Ok(0);
    }
    let mut out = std::io::stdout().lock();
    out.write_all(text.as_bytes())?;
    out.flush()?;
    Ok(0)
}
