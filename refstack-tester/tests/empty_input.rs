//! One rule for input without any test event, as ARCHITECTURE.md states
//! it: empty (0 bytes) or not (1 byte, text), from a file or from stdin,
//! every stream command exits 1 with one `error:` line that says so.

mod common;

use std::process::Command;

fn run(args: &[&str], stdin: &[u8]) -> std::process::Output {
    use std::io::Write;
    let mut child = Command::new(env!("CARGO_BIN_EXE_refstack-tester"))
        .args(args)
        .env_remove("REFSTACK_URL")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(stdin).unwrap();
    child.wait_with_output().unwrap()
}

#[test]
fn no_test_events_is_one_error_whatever_the_size() {
    let dir = tempfile::tempdir().unwrap();
    let guideline = dir.path().join("g.json");
    std::fs::write(&guideline, common::GUIDELINE).unwrap();
    let g = guideline.display().to_string();
    for content in [&b""[..], b"x", b"\n", b"plain text, not subunit\n"] {
        let file = dir.path().join("in");
        std::fs::write(&file, content).unwrap();
        let f = file.display().to_string();
        for (args, expect) in [
            (vec!["subunit", "stats"], "no subunit test events found"),
            (vec!["subunit", "ls"], "no subunit test events found"),
            (vec!["subunit", "to-json"], "no subunit test events found"),
            (vec!["subunit", "to-junit"], "no subunit test events found"),
            (
                vec!["subunit", "convert", "--to", "v1"],
                "no subunit test events found",
            ),
            (
                vec!["subunit", "convert", "--to", "v2"],
                "no subunit test events found",
            ),
            (
                vec!["subunit", "filter", "--status", "fail"],
                "no subunit test events found",
            ),
            (
                vec![
                    "upload-subunit",
                    "-y",
                    "--keystone-endpoint",
                    "http://h:5000/v3",
                ],
                "no subunit test events found",
            ),
            (
                vec!["report", "--guideline", &g],
                "neither a results JSON nor a subunit stream with tests",
            ),
        ] {
            let mut from_file = args.clone();
            from_file.push(&f);
            let mut outs = vec![(from_file.clone(), run(&from_file, b""))];
            if args[0] == "subunit" {
                let mut from_stdin = args.clone();
                from_stdin.push("-");
                outs.push((from_stdin.clone(), run(&from_stdin, content)));
            }
            for (a, out) in outs {
                let err = String::from_utf8_lossy(&out.stderr);
                assert_eq!(out.status.code(), Some(1), "{a:?} {content:?}: {err}");
                assert!(
                    err.starts_with("error: ")
                        && err.trim_end().lines().count() == 1
                        && err.contains(expect),
                    "{a:?} {content:?}: {err}"
                );
                if content.is_empty() && expect.starts_with("no subunit") {
                    assert!(err.contains("the input is empty"), "{a:?}: {err}");
                }
                assert!(out.stdout.is_empty(), "{a:?} {content:?}");
            }
        }
    }
}
