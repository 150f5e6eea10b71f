//! `list`: every page of the server's results, as lines or as one JSON array.

use std::io::{BufRead, IsTerminal};

use anyhow::Result;
use refstack_tester::http::{self, ListFilters};

use crate::cli::{GlobalArgs, ListArgs};

pub(crate) async fn run(args: ListArgs, global: &GlobalArgs) -> Result<u8> {
    let client = http::client(&super::api_http(&args.net))?;
    let url = args.net.api_url()?;
    let filters = ListFilters {
        start_date: args.start_date.clone(),
        end_date: args.end_date.clone(),
        cpid: args.cpid.clone(),
        signed: args.signed,
    };
    let interactive = !global.json
        && !global.assume_yes
        && std::io::stdin().is_terminal()
        && std::io::stdout().is_terminal();
    let mut all = Vec::new();
    let mut page = 1u64;
    loop {
        let body =
            http::get_results_page_as(&client, &url, page, &filters, args.token.as_deref()).await?;
        let total_pages = body.pagination.total_pages;
        if global.json {
            all.extend(body.results);
        } else {
            let mut lines = String::new();
            for r in &body.results {
                lines.push_str(&format!("{} - {}\n", r.created_at, r.url));
            }
            super::out::print(lines)?;
        }
        if page >= total_pages {
            break;
        }
        page += 1;
        if interactive {
            super::out::print("Press Enter to go to next page...")?;
            let mut line = String::new();
            if std::io::stdin().lock().read_line(&mut line)? == 0 {
                break;
            }
        }
    }
    if global.json {
        super::out::print(serde_json::to_string_pretty(&all)? + "\n")?;
    }
    Ok(0)
}
