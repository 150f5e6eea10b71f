//! The `refstack-tester` command: a thin shell over the library.
use std::io::Write;
use std::process::ExitCode;

use clap::Parser;

mod cli;
mod cmd;

fn init_logging(global: &cli::GlobalArgs) {
    let level = if global.silent {
        "warn"
    } else if global.verbose > 0 {
        "debug"
    } else {
        "info"
    };
    let filter = tracing_subscriber::EnvFilter::try_from_env("REFSTACK_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(format!("refstack_tester={level}")));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(refstack_tester::progress::LogWriter::stderr())
        .with_target(false)
        // Colour only on a terminal, and not under NO_COLOR (no-color.org).
        .with_ansi(
            std::io::IsTerminal::is_terminal(&std::io::stderr())
                && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty()),
        )
        .without_time()
        .init();
}

/// One line: the error and those of its causes that add something.
fn render(err: &anyhow::Error) -> String {
    let mut text = String::new();
    for cause in err.chain() {
        let part = cause.to_string();
        if text.contains(&part) {
            continue;
        }
        if !text.is_empty() {
            text.push_str(": ");
        }
        text.push_str(&part);
    }
    text.replace('\n', " ")
}

fn main() -> ExitCode {
    let cli = cli::Cli::parse();
    init_logging(&cli.global);
    // `test` (and `certify`) keep exit status 1 for failed tests: their own
    // errors are 2.
    let error_code = if matches!(
        cli.command,
        cli::Command::Test(_) | cli::Command::Certify(_)
    ) {
        ExitCode::from(cmd::EXIT_TOOL_FAILED)
    } else {
        ExitCode::FAILURE
    };
    // The stream conversions do their own threading (and no network):
    // no worker threads to start for them.
    let mut builder = if matches!(cli.command, cli::Command::Subunit(_)) {
        tokio::runtime::Builder::new_current_thread()
    } else {
        let mut b = tokio::runtime::Builder::new_multi_thread();
        b.worker_threads(2);
        b
    };
    let runtime = match builder.enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            let _ = writeln!(
                std::io::stderr().lock(),
                "error: cannot start the async runtime: {e}"
            );
            return error_code;
        }
    };
    match runtime.block_on(cmd::dispatch(cli)) {
        Ok(code) => ExitCode::from(code),
        // A closed standard output (`| head -1`): the reader has what it
        // wanted; exit quietly.
        Err(e) if cmd::out::is_closed_output(&e) => ExitCode::SUCCESS,
        Err(e) => {
            // Not `eprintln!`, which panics when stderr is closed too.
            let _ = writeln!(std::io::stderr().lock(), "error: {}", render(&e));
            error_code
        }
    }
}
