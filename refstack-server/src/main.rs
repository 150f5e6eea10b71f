use std::process::ExitCode;

fn main() -> ExitCode {
    eprintln!("refstack-server: not built yet");
    ExitCode::FAILURE
}
