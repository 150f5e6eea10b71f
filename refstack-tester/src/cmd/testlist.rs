//! `testlist`: a guideline's test list, byte for byte as the server's
//! `GET /v1/guidelines/<version>/tests` returns it.

use std::io::Write;

use anyhow::{Context, Result};
use refstack_core::testlist::{StatusFilter, TestListQuery, query_bool, test_list_text};
use refstack_tester::guideline::{self, GuidelineSource};
use refstack_tester::http;

use crate::cli::{GlobalArgs, TestlistArgs};

pub(crate) async fn run(args: TestlistArgs, _global: &GlobalArgs) -> Result<u8> {
    let g = &args.guideline;
    let text = match GuidelineSource::parse(&g.guideline) {
        source @ GuidelineSource::File(_) => {
            let guideline = guideline::load(&source, &g.url, g.insecure).await?;
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
        GuidelineSource::Version(version) => {
            let client = http::client(&http::HttpOptions {
                insecure: g.insecure,
                ..Default::default()
            })?;
            let mut endpoint = reqwest::Url::parse(&format!(
                "{}/v1/guidelines/{version}/tests",
                g.url.trim_end_matches('/')
            ))
            .with_context(|| format!("invalid --url {}", g.url))?;
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
    let mut out = std::io::stdout().lock();
    out.write_all(text.as_bytes())?;
    out.flush()?;
    Ok(0)
}
