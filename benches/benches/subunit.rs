//! refstack-subunit: decode (with CRC), lifecycle folding, the `Read`
//! driver, whole files through `fold_file` (parallel parts) and encoding, on the real streams of the shared data set and on
//! large generated streams.
//!
//! `cargo bench -p benches --bench subunit -- --measurement-time 3`

use std::hint::black_box;

use benches::{biglogs_stream, shared_subunit_files, tempest_stream};
use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use refstack_subunit::{
    Counts, Fold, FoldOptions, Item, Packet, PacketStatus, Packets, ParallelOptions, Reader,
    StatusCounts, fold_file, parse_slice,
};

fn count(bytes: &[u8]) -> Counts {
    let mut c = Counts::default();
    parse_slice(bytes, &mut c).unwrap_or_else(|e| match e {});
    c
}

fn fold_counts(bytes: &[u8]) -> StatusCounts {
    let mut f = Fold::with_options(
        StatusCounts::default(),
        FoldOptions {
            attachments: false,
            tags: false,
        },
    );
    parse_slice(bytes, &mut f).unwrap_or_else(|e| match e {});
    f.finish().0
}

fn streams() -> Vec<(String, Vec<u8>)> {
    let mut all = shared_subunit_files();
    let (tempest, _) = tempest_stream(50_000, 42);
    all.push(("generated_tempest_50k.v2".to_string(), tempest));
    let (big, _) = biglogs_stream(16, 4 << 20, 1 << 20);
    all.push(("generated_biglogs_64MiB.v2".to_string(), big));
    all
}

fn benches(c: &mut Criterion) {
    let streams = streams();

    // Packets per second, CRC checked on every packet.
    let mut g = c.benchmark_group("subunit_decode_packets");
    for (name, bytes) in &streams {
        let n = count(bytes).packets;
        g.throughput(Throughput::Elements(n));
        g.bench_with_input(BenchmarkId::from_parameter(name), bytes, |b, s| {
            b.iter(|| count(black_box(s)))
        });
    }
    g.finish();

    // The same in bytes per second.
    let mut g = c.benchmark_group("subunit_decode_bytes");
    for (name, bytes) in &streams {
        g.throughput(Throughput::Bytes(bytes.len() as u64));
        g.bench_with_input(BenchmarkId::from_parameter(name), bytes, |b, s| {
            b.iter(|| count(black_box(s)))
        });
    }
    g.finish();

    // The zero-copy iterator.
    let mut g = c.benchmark_group("subunit_iter_packets");
    for (name, bytes) in streams.iter().filter(|(n, _)| n.ends_with(".v2")) {
        g.throughput(Throughput::Elements(count(bytes).packets));
        g.bench_with_input(BenchmarkId::from_parameter(name), bytes, |b, s| {
            b.iter(|| {
                Packets::new(black_box(s))
                    .filter(|i| matches!(i, Item::Packet(..)))
                    .count()
            })
        });
    }
    g.finish();

    // Lifecycle folding: tests per second (decode included).
    let mut g = c.benchmark_group("subunit_fold_tests");
    for (name, bytes) in &streams {
        g.throughput(Throughput::Elements(fold_counts(bytes).tests));
        g.bench_with_input(BenchmarkId::from_parameter(name), bytes, |b, s| {
            b.iter(|| fold_counts(black_box(s)))
        });
    }
    g.finish();

    // Through `Read` with the reusable buffer (copies every byte once).
    let mut g = c.benchmark_group("subunit_reader_bytes");
    for (name, bytes) in &streams {
        g.throughput(Throughput::Bytes(bytes.len() as u64));
        g.bench_with_input(BenchmarkId::from_parameter(name), bytes, |b, s| {
            b.iter(|| {
                let mut c = Counts::default();
                Reader::new(black_box(&s[..])).run(&mut c).expect("reads");
                c
            })
        });
    }
    g.finish();

    // A whole file folded by `fold_file`: one thread, and the default
    // threads in parts of 512 KiB (files of 2 MiB or more), as the `stats`
    // example does. Read from a file in the page cache.
    let mut g = c.benchmark_group("subunit_fold_file");
    let dir = std::env::temp_dir().join(format!("refstack-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    for (name, bytes) in streams.iter().filter(|(n, _)| !n.contains("biglogs")) {
        let path = dir.join(name);
        std::fs::write(&path, bytes).expect("writes");
        let file = std::fs::File::open(&path).expect("opens");
        g.throughput(Throughput::Elements(fold_counts(bytes).tests));
        for threads in [1, 0] {
            let mut options = ParallelOptions {
                min_file_size: 2 << 20,
                part_size: 512 << 10,
                cut_v1: true,
                ..ParallelOptions::default()
            };
            if threads == 1 {
                options.threads = 1;
            }
            let label = if threads == 1 {
                "1_thread"
            } else {
                "default_threads"
            };
            g.bench_with_input(BenchmarkId::new(label, name), &file, |b, f| {
                b.iter(|| {
                    fold_file(
                        black_box(f),
                        &options,
                        FoldOptions {
                            attachments: false,
                            tags: false,
                        },
                        StatusCounts::default,
                    )
                    .expect("folds")
                    .records
                })
            });
        }
    }
    g.finish();
    let _ = std::fs::remove_dir_all(&dir);

    // Encoding tempest-like packets.
    let mut g = c.benchmark_group("subunit_encode");
    let id = "tempest.api.compute.servers.test_create_server.ServersTestJSON.test_list_servers[id-5de47127-9977-400a-936f-abcfbec1218f,smoke]";
    g.throughput(Throughput::Elements(10_000));
    g.bench_function("status_packets_10k", |b| {
        let mut out = Vec::with_capacity(2 << 20);
        b.iter(|| {
            out.clear();
            for i in 0..10_000u32 {
                Packet::new(PacketStatus::Success)
                    .with_test_id(id)
                    .with_timestamp(refstack_subunit::Timestamp::new(
                        1_700_000_000 + i,
                        123_456_000,
                    ))
                    .with_tags(&["worker-0"])
                    .encode(&mut out)
                    .expect("encodes");
            }
            out.len()
        })
    });
    g.finish();
}

criterion_group!(all, benches);
criterion_main!(all);
