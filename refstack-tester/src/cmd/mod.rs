//! One module per subcommand; each exposes `run(args, global) -> Result<exit code>`.

use std::io::{BufRead, IsTerminal};

use anyhow::Result;
use refstack_tester::http::HttpOptions;

use crate::cli::{Cli, Command, GlobalArgs, NetworkArgs};

mod certify;
mod config;
mod docs;
mod init;
mod list;
pub(crate) mod oci;
pub(crate) mod out;
mod report;
mod runner;
mod sign;
mod subunit;
mod test;
mod testlist;

pub(crate) use test::EXIT_TOOL_FAILED;
mod upload;

/// Run the parsed command line; the value is the process exit code.
pub(crate) async fn dispatch(cli: Cli) -> Result<u8> {
    let g = &cli.global;
    if g.json
        && let Some(output) = not_data(&cli.command)
    {
        anyhow::bail!(
            "--json does not apply here: this command writes {output}, not data \
             (README \"JSON output\" lists the commands that print JSON)"
        );
    }
    match cli.command {
        Command::Config(a) => config::run(a, g).await,
        Command::Init(a) => init::run(a, g).await,
        Command::List(a) => list::run(a, g).await,
        Command::Sign(a) => sign::run(a, g).await,
        Command::Upload(a) => upload::run(a, g).await,
        Command::UploadSubunit(a) => upload::run_subunit(a, g).await,
        Command::Publish(a) => oci::publish(a, g).await,
        Command::Pull(a) => oci::pull(a, g).await,
        Command::Runs(a) => oci::runs(a, g).await,
        Command::Runner(c) => runner::run(c, g).await,
        Command::Certify(a) => certify::run(a, g).await,
        Command::Completions(a) => docs::completions(a),
        Command::Man(a) => docs::man(a),
        Command::Test(a) => test::run(a, g).await,
        Command::Testlist(a) => testlist::run(a, g).await,
        Command::Report(a) => report::run(a, g).await,
        Command::Compare(a) => report::compare(a, g).await,
        Command::Subunit(c) => subunit::run(c, g).await,
    }
}

/// What a command whose output is not data writes (it refuses `--json`).
fn not_data(command: &Command) -> Option<&'static str> {
    use crate::cli::SubunitCommand as S;
    match command {
        Command::Completions(_) => Some("a shell completion script"),
        Command::Man(_) => Some("a man page"),
        Command::Subunit(S::ToJunit(_)) => Some("JUnit XML"),
        Command::Subunit(S::Filter(_) | S::Convert(_)) => Some("a subunit stream"),
        Command::Report(a)
            if a.format
                .is_some_and(|f| f != crate::cli::ReportFormat::Json) =>
        {
            Some("the format --format asks for")
        }
        _ => None,
    }
}

/// Prints `value` as pretty JSON and a newline.
pub(crate) fn print_json(value: &impl serde::Serialize) -> Result<()> {
    out::print(serde_json::to_string_pretty(value)? + "\n")
}

/// The HTTP options for the RefStack API.
pub(crate) fn api_http(net: &NetworkArgs) -> HttpOptions {
    HttpOptions {
        insecure: net.insecure,
        ca_bundle: net.ca_bundle.clone(),
        timeout: None,
    }
}

/// Ask a yes/no question on stdout unless `-y`; only `yes`/`y` accept.
pub(crate) fn confirm(global: &GlobalArgs, question: &str) -> Result<bool> {
    if global.assume_yes {
        return Ok(true);
    }
    let stdin = std::io::stdin();
    if !stdin.is_terminal() {
        tracing::debug!("stdin is not a terminal; reading the answer from it anyway");
    }
    // With --json, standard output holds only the JSON document.
    let ask = |text: &str| -> Result<()> {
        if global.json {
            eprint!("{text}");
            Ok(())
        } else {
            out::print(text)
        }
    };
    ask(&format!("{question} (yes/y): "))?;
    let mut answer = String::new();
    if stdin.lock().read_line(&mut answer)? == 0 {
        ask("\n")?;
        anyhow::bail!("no answer on standard input; pass -y to answer yes without a prompt");
    }
    let answer = answer.trim().to_ascii_lowercase();
    Ok(answer == "yes" || answer == "y")
}
