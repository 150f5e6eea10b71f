use std::process::ExitCode;

fn main() -> ExitCode {
    eprintln!("refstack-tester: not built yet");
    ExitCode::FAILURE
}
