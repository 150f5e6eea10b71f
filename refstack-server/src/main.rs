//! `refstack-server`: the RefStack v1 API server binary (a thin layer over
//! the library; one module per subcommand in `cmd/`).

mod cmd;

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = cmd::Cli::parse();
    cmd::init_logging(cli.global.verbose);
    match cmd::run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}
