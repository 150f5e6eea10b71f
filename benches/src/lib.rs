//! Shared helpers for the criterion benchmarks: locating the shared data
//! set, and generating large subunit streams with our own encoder.

use std::path::PathBuf;

use refstack_subunit::{Packet, PacketStatus, Timestamp};

/// `$REFSTACK_SHARED_DATA`, or `None` (after saying so on stderr) when it
/// is unset.
pub fn shared_data() -> Option<PathBuf> {
    match std::env::var_os("REFSTACK_SHARED_DATA") {
        Some(d) => Some(PathBuf::from(d)),
        None => {
            eprintln!(
                "REFSTACK_SHARED_DATA is unset: skipping the benchmarks over the shared data"
            );
            None
        }
    }
}

/// The real subunit streams of the shared data set that exist.
pub fn shared_subunit_files() -> Vec<(String, Vec<u8>)> {
    let Some(dir) = shared_data() else {
        return Vec::new();
    };
    [
        "real_stestr_last_oslo_utils.v2",
        "real_subunit_run_oslo_config.v2",
        "synthetic_tempest_small.v2",
        "real_stestr_repo_oslo_utils.v1",
    ]
    .iter()
    .filter_map(|name| {
        let bytes = std::fs::read(dir.join("subunit").join(name)).ok()?;
        Some((name.to_string(), bytes))
    })
    .collect()
}

/// A small deterministic generator (64-bit LCG), so benches need no
/// `rand` dependency and streams are reproducible.
#[derive(Debug, Clone)]
pub struct Lcg(u64);

impl Lcg {
    /// A generator from a seed.
    pub fn new(seed: u64) -> Self {
        Self(seed ^ 0x9E37_79B9_7F4A_7C15)
    }

    /// The next value.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        self.0 >> 11
    }

    /// A value in `0..n`.
    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n.max(1)
    }
}

const WORDS: [&str; 16] = [
    "create", "server", "volume", "list", "delete", "image", "port", "network", "router", "attach",
    "detach", "snapshot", "rebuild", "resize", "quota", "keypair",
];

const SERVICES: [&str; 6] = [
    "compute",
    "network",
    "volume",
    "image",
    "identity",
    "object_storage",
];

/// A tempest-like stream: `tests` tests on 4 interleaved workers;
/// `inprogress` → [attachments] → final status with a `worker-N` tag and
/// microsecond timestamps; 2 % fail with a 12-packet traceback, 7 % skip
/// with a reason, 10 % of passes carry a small log. Returns the stream and
/// its packet count.
pub fn tempest_stream(tests: usize, seed: u64) -> (Vec<u8>, u64) {
    let mut rng = Lcg::new(seed);
    let mut out = Vec::with_capacity(tests * 400);
    let mut packets = 0u64;
    let mut now = 1_700_000_000u64 * 1_000_000;
    let ts = |us: u64| Timestamp::new((us / 1_000_000) as u32, ((us % 1_000_000) * 1000) as u32);
    let log = vec![b'l'; 4096];
    let tags = [["worker-0"], ["worker-1"], ["worker-2"], ["worker-3"]];
    let mut push = |p: Packet<'_>, out: &mut Vec<u8>| {
        p.encode(out).expect("bench packets encode");
        packets += 1;
    };
    for n in 0..tests {
        let svc = SERVICES[rng.below(6) as usize];
        let id = format!(
            "tempest.api.{svc}.test_{}_{}.{}TestJSON.test_{}_{}_{}[id-{:08x}-{:04x}-4{:03x}-a{:03x}-{:012x},smoke]",
            WORDS[rng.below(16) as usize],
            WORDS[rng.below(16) as usize],
            WORDS[rng.below(16) as usize].to_uppercase(),
            WORDS[rng.below(16) as usize],
            WORDS[rng.below(16) as usize],
            n,
            rng.next_u64() as u32,
            rng.below(1 << 16),
            rng.below(1 << 12),
            rng.below(1 << 12),
            rng.next_u64() & 0xFFFF_FFFF_FFFF,
        );
        let worker = &tags[n % 4];
        push(
            Packet::new(PacketStatus::InProgress)
                .with_test_id(&id)
                .with_timestamp(ts(now)),
            &mut out,
        );
        now += 1 + rng.below(2_000_000);
        let roll = rng.below(100);
        let status = if roll < 2 {
            for line in 0..12 {
                let text = format!(
                    "  File \"/opt/stack/tempest/tempest/api/{svc}.py\", line {line}, in test\n"
                );
                push(
                    Packet::new(PacketStatus::Undefined)
                        .with_test_id(&id)
                        .with_timestamp(ts(now))
                        .with_mime_type("text/x-traceback; charset=\"utf8\"; language=\"python\"")
                        .with_file("traceback", text.as_bytes())
                        .with_eof(line == 11),
                    &mut out,
                );
            }
            PacketStatus::Fail
        } else if roll < 9 {
            push(
                Packet::new(PacketStatus::Undefined)
                    .with_test_id(&id)
                    .with_timestamp(ts(now))
                    .with_mime_type("text/plain; charset=utf8")
                    .with_file("reason", b"Feature not enabled in the configuration")
                    .with_eof(true),
                &mut out,
            );
            PacketStatus::Skip
        } else {
            if roll >= 90 {
                let len = 512 + rng.below(3584) as usize;
                push(
                    Packet::new(PacketStatus::Undefined)
                        .with_test_id(&id)
                        .with_timestamp(ts(now))
                        .with_mime_type("text/plain; charset=\"utf8\"")
                        .with_file("pythonlogging:''", &log[..len])
                        .with_eof(true),
                    &mut out,
                );
            }
            PacketStatus::Success
        };
        push(
            Packet::new(status)
                .with_test_id(&id)
                .with_timestamp(ts(now))
                .with_tags(worker),
            &mut out,
        );
    }
    (out, packets)
}

/// A large-attachment stream: `tests` tests, each with `per_test` bytes of
/// log split into packets of `chunk` bytes (≤ 4 MiB).
pub fn biglogs_stream(tests: usize, per_test: usize, chunk: usize) -> (Vec<u8>, u64) {
    let mut rng = Lcg::new(7);
    let content: Vec<u8> = (0..chunk).map(|_| b' ' + rng.below(95) as u8).collect();
    let mut out = Vec::with_capacity(tests * (per_test + 4096));
    let mut packets = 0u64;
    for n in 0..tests {
        let id = format!("tempest.scenario.test_big.TestBig.test_{n}");
        let t = Timestamp::new(1_700_000_000 + n as u32, 0);
        Packet::new(PacketStatus::InProgress)
            .with_test_id(&id)
            .with_timestamp(t)
            .encode(&mut out)
            .expect("encodes");
        let mut left = per_test;
        while left > 0 {
            let take = left.min(chunk);
            left -= take;
            Packet::new(PacketStatus::Undefined)
                .with_test_id(&id)
                .with_timestamp(t)
                .with_mime_type("text/plain; charset=\"utf8\"")
                .with_file("pythonlogging:''", &content[..take])
                .with_eof(left == 0)
                .encode(&mut out)
                .expect("encodes");
            packets += 1;
        }
        Packet::new(PacketStatus::Success)
            .with_test_id(&id)
            .with_timestamp(t)
            .with_tags(&["worker-0"])
            .encode(&mut out)
            .expect("encodes");
        packets += 2;
    }
    (out, packets)
}

#[cfg(test)]
mod tests {
    use super::*;
    use refstack_subunit::{Counts, Fold, StatusCounts, parse_slice};

    #[test]
    fn generated_streams_parse_cleanly() {
        let (s, n) = tempest_stream(300, 1);
        let mut c = Counts::default();
        parse_slice(&s, &mut c).unwrap_or_else(|e| match e {});
        assert_eq!((c.packets, c.noise_bytes, c.corrupt), (n, 0, 0));
        let mut f = Fold::new(StatusCounts::default());
        parse_slice(&s, &mut f).unwrap_or_else(|e| match e {});
        assert_eq!(f.finish().0.tests, 300);
        let (s, n) = biglogs_stream(2, 3_000_000, 1 << 20);
        let mut c = Counts::default();
        parse_slice(&s, &mut c).unwrap_or_else(|e| match e {});
        assert_eq!((c.packets, c.corrupt), (n, 0));
    }
}
