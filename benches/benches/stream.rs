//! refstack-server: stream ingest, `PUT /v1/results/{id}/stream` through
//! `app()` on a SQLite file, end to end: auth (an API token), parse while
//! the body arrives, gzip of a plain body on a second thread, the blob into
//! a directory store, every outcome into the database. Streams are made by
//! `benches::tempest_stream` (our encoder): 300 and 20,000 tests, sent plain
//! and gzipped. Throughput is subunit bytes (decompressed) per second.
//!
//! `stream_parse` measures the blocking half alone (`ingest_reader`:
//! decompress, count, parse, fold into outcomes) on the same streams.
//!
//! Before measuring, it prints the storage one run takes (blob bytes, the
//! database's stored values, SQLite file growth) for 300 and 20,000 tests.
//!
//! `cargo bench -p benches --bench stream -- --measurement-time 10`

use std::io::Write;
use std::path::Path;
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::http::Request;
use benches::tempest_stream;
use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use refstack_server::db::{self, Db};
use refstack_server::stream::{Encoding, IngestLimits, ingest_reader};
use refstack_server::{AppState, Config};
use refstack_subunit::{Packet, PacketStatus};
use sha2::Digest;
use tower::ServiceExt;

const OWNER: &str = "https://openstackid.org/bench";

struct Env {
    _dir: tempfile::TempDir,
    db_file: std::path::PathBuf,
    blobs: std::path::PathBuf,
    db: Db,
    app: axum::Router,
    token: String,
}

async fn env() -> Env {
    let dir = tempfile::tempdir().expect("tempdir");
    let db_file = dir.path().join("bench.sqlite");
    let blobs = dir.path().join("blobs");
    let db = Db::connect(&format!("sqlite://{}?mode=rwc", db_file.display()))
        .await
        .expect("sqlite");
    db.migrate().await.expect("migrate");
    db::users::upsert(
        &db,
        &db::users::NewUser {
            openid: OWNER.into(),
            email: None,
            fullname: None,
        },
    )
    .await
    .expect("user");
    // The shape of a real token: the prefix and 43 characters.
    let token = format!("rst_{}", "b".repeat(43));
    db::tokens::create(
        &db,
        &db::tokens::NewApiToken {
            token_hash: hex::encode(sha2::Sha256::digest(token.as_bytes())),
            openid: OWNER.into(),
            name: "bench".into(),
            expires_at: None,
        },
    )
    .await
    .expect("token");
    let mut cfg = Config::default();
    cfg.streams.blob_store = blobs.to_string_lossy().into_owned();
    cfg.streams.limit = 1 << 30;
    let app = refstack_server::app(AppState::new(cfg, db.clone()));
    Env {
        _dir: dir,
        db_file,
        blobs,
        db,
        app,
        token,
    }
}

/// A signed-upload run of the owner with `passed` names; its id.
async fn new_run(db: &Db, passed: &[String]) -> String {
    db::results::store_upload(
        db,
        &db::results::NewTestRun {
            cpid: "bench".into(),
            duration_seconds: 1,
            results: passed
                .iter()
                .map(|n| db::results::NewResult {
                    name: n.clone(),
                    uuid: None,
                })
                .collect(),
            uploader: Some(OWNER.into()),
        },
    )
    .await
    .expect("run")
    .id
}

/// The stream's passed names as the tester uploads them.
fn passed_names(stream: &[u8]) -> Vec<String> {
    let mut fold = refstack_subunit::Fold::new(refstack_subunit::Records::default());
    refstack_subunit::parse_slice(stream, &mut fold).unwrap_or_else(|e| match e {});
    let (records, _) = fold.finish();
    records
        .into_vec()
        .into_iter()
        .filter(|r| r.status == refstack_subunit::TestStatus::Success)
        .map(|r| {
            refstack_core::testid::TestId::parse(&r.id)
                .upload_name()
                .into_owned()
        })
        .collect()
}

/// `stream` with one more passed test of a unique name, so that no two
/// uploads share a blob.
fn unique(stream: &[u8], n: u64) -> Vec<u8> {
    let mut s = stream.to_vec();
    let id = format!("bench.unique.Test.test_{n}");
    Packet::new(PacketStatus::Success)
        .with_test_id(&id)
        .encode(&mut s)
        .expect("encode");
    s
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    e.write_all(bytes).expect("gzip");
    e.finish().expect("gzip")
}

async fn put(env: &Env, id: &str, body: Vec<u8>) {
    let req = Request::put(format!("/v1/results/{id}/stream"))
        .header("authorization", format!("Bearer {}", env.token))
        .body(Body::from(body))
        .expect("request");
    let resp = env.app.clone().oneshot(req).await.expect("infallible");
    assert_eq!(resp.status(), 201, "stream upload");
}

fn dir_bytes(dir: &Path) -> u64 {
    let mut total = 0;
    let Ok(entries) = std::fs::read_dir(dir) else {
        return 0;
    };
    for e in entries.flatten() {
        let p = e.path();
        total += if p.is_dir() {
            dir_bytes(&p)
        } else {
            e.metadata().map(|m| m.len()).unwrap_or(0)
        };
    }
    total
}

async fn sqlite_bytes(env: &Env) -> u64 {
    // Everything into the main file first.
    db::testing::execute(&env.db, "PRAGMA wal_checkpoint(TRUNCATE)").await;
    std::fs::metadata(&env.db_file)
        .map(|m| m.len())
        .unwrap_or(0)
}

/// Storage of one run with its stream, printed once.
async fn storage(tests: usize) {
    let env = env().await;
    let (stream, _) = tempest_stream(tests, 7);
    let passed = passed_names(&stream);
    let before_db = sqlite_bytes(&env).await;
    let id = new_run(&env.db, &passed).await;
    let with_run = sqlite_bytes(&env).await;
    put(&env, &id, stream.clone()).await;
    let after = sqlite_bytes(&env).await;
    let info = db::outcomes::stream_info(&env.db, &id)
        .await
        .expect("info")
        .expect("stored");
    let values = db::testing::scalar_i64(
        &env.db,
        &format!("SELECT SUM(LENGTH(outcomes)) FROM outcome_parts WHERE test_id = '{id}'"),
    )
    .await;
    println!(
        "storage {tests} tests: stream {} B, blob {} B (gzip -1; {} B in the store dir), \
         database: run {} B, stream + outcomes {} B of SQLite file growth ({} B of stored \
         outcome JSON)",
        stream.len(),
        info.stored_bytes,
        dir_bytes(&env.blobs),
        with_run - before_db,
        after - with_run,
        values,
    );
}

fn benches(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(storage(300));
    rt.block_on(storage(20_000));
    // The blocking half alone (decompress, count, parse, fold, outcomes):
    // what bounds the ingest rate when storage keeps up.
    let mut g = c.benchmark_group("stream_parse");
    let limits = IngestLimits {
        max_bytes: 1 << 30,
        traceback_limit: 16 << 10,
    };
    for tests in [300usize, 20_000] {
        let (stream, _) = tempest_stream(tests, 42);
        let gz = gzip(&stream);
        g.throughput(Throughput::Bytes(stream.len() as u64));
        for (name, body, enc) in [
            ("plain", &stream, Encoding::Identity),
            ("gzip", &gz, Encoding::Gzip),
        ] {
            g.bench_function(
                BenchmarkId::from_parameter(format!("{tests}_tests_{name}")),
                |b| b.iter(|| ingest_reader(&body[..], enc, limits).map(|i| i.outcomes.len())),
            );
        }
    }
    g.finish();

    let env = rt.block_on(env());
    let mut g = c.benchmark_group("stream_ingest_sqlite");
    g.sample_size(10);
    let mut n = 0u64;
    for tests in [300usize, 20_000] {
        let (stream, _) = tempest_stream(tests, 42);
        let passed = passed_names(&stream);
        for gz in [false, true] {
            let name = format!("{tests}_tests_{}", if gz { "gzip" } else { "plain" });
            g.throughput(Throughput::Bytes(stream.len() as u64));
            g.bench_function(BenchmarkId::from_parameter(&name), |b| {
                b.iter_custom(|iters| {
                    rt.block_on(async {
                        let mut total = Duration::ZERO;
                        for _ in 0..iters {
                            n += 1;
                            let s = unique(&stream, n);
                            let body = if gz { gzip(&s) } else { s };
                            let id = new_run(&env.db, &passed).await;
                            let t0 = Instant::now();
                            put(&env, &id, body).await;
                            total += t0.elapsed();
                        }
                        total
                    })
                })
            });
        }
    }
    g.finish();
}

criterion_group!(all, benches);
criterion_main!(all);
