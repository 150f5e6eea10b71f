//! The stream subcommands read in bounded memory: fed far more input than
//! the bound through a pipe, each one's peak resident set (`VmHWM` in
//! `/proc/<pid>/status`, read while it waits for the end of its input, so
//! the figure is complete and nothing is timed) stays under it. Before,
//! they read the whole input into memory first.

#![cfg(target_os = "linux")]

use std::io::Write;
use std::process::{Command, Stdio};

use refstack_subunit::{Packet, PacketStatus};

/// The bound: far below the input size.
const BOUND_KIB: u64 = 96 * 1024;

/// About 256 MiB of input, in pieces of `chunk`.
const INPUT: usize = 256 << 20;

fn vm_hwm_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap()
}

/// Runs `args` with `chunk` written to its stdin until about [`INPUT`]
/// bytes went in; returns the peak RSS before EOF, and the output.
fn peak_rss(args: &[&str], chunk: &[u8]) -> (u64, std::process::Output) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_refstack-tester"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let mut sent = 0;
    while sent < INPUT {
        stdin.write_all(chunk).unwrap();
        sent += chunk.len();
    }
    // Everything is written; the child waits for more (or for EOF).
    let peak = vm_hwm_kib(child.id());
    drop(stdin);
    (peak, child.wait_with_output().unwrap())
}

/// A v2 stream piece: tests with a 1 MiB log each (many bytes, few tests).
fn big_tests() -> Vec<u8> {
    let log = vec![b'l'; 1 << 20];
    let mut s = Vec::new();
    for i in 0..8 {
        let id = format!("tempest.api.t.T.test_{i}[id-{i}]");
        Packet::new(PacketStatus::InProgress)
            .with_test_id(&id)
            .encode(&mut s)
            .unwrap();
        Packet::new(PacketStatus::Undefined)
            .with_test_id(&id)
            .with_file("pythonlogging:''", &log)
            .encode(&mut s)
            .unwrap();
        Packet::new(PacketStatus::Success)
            .with_test_id(&id)
            .encode(&mut s)
            .unwrap();
    }
    s
}

#[test]
fn stream_commands_stay_bounded_on_noise() {
    // Not subunit at all (like `subunit stats /dev/urandom`): text.
    let noise =
        b"2026-01-01 00:00:00.000 INFO some log line that is not subunit\n".repeat(16 << 10);
    for args in [
        vec!["subunit", "stats", "-"],
        vec!["subunit", "ls", "-"],
        vec!["subunit", "to-json", "-"],
        vec!["subunit", "to-junit", "-"],
        vec!["subunit", "convert", "--to", "v2", "-"],
        vec!["subunit", "convert", "--to", "v1", "-"],
    ] {
        let (peak, out) = peak_rss(&args, &noise);
        assert!(peak < BOUND_KIB, "{args:?}: {peak} KiB");
        // No test in it: one error line.
        assert_eq!(out.status.code(), Some(1), "{args:?}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            err.contains("no subunit test events found"),
            "{args:?}: {err}"
        );
    }
}

#[test]
fn stream_commands_stay_bounded_on_large_streams() {
    let piece = big_tests();
    for args in [
        vec!["subunit", "stats", "-"],
        vec!["subunit", "ls", "-"],
        vec!["subunit", "to-json", "-"],
        vec!["subunit", "convert", "--to", "v2", "-"],
    ] {
        let (peak, out) = peak_rss(&args, &piece);
        assert!(peak < BOUND_KIB, "{args:?}: {peak} KiB");
        assert!(out.status.success(), "{args:?}");
    }
}
