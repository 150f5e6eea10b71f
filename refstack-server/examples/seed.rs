//! Fills a database with realistic test runs through the server's own storage layer (the
//! upload write path, `db::results::store_upload`), for measurements at scale (issue 15
//! item 9).
//!
//!     cargo run --release -p refstack-server --example seed -- \
//!         --database-url sqlite:///tmp/big.sqlite --runs 1000000 [--tests 300] [--concurrency 8]
//!
//! The mix, by run number modulo 10: 0-3 anonymous; 4-7 signed by one of 50 users and
//! private; 8 signed and shared; 9 signed by the admin of a vendor whose product version
//! has the run's cpid (associated automatically) and shared. Each run has `--tests` passed
//! tests with uuids, named like Tempest's. Prints what it stored and the database size per
//! run.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use anyhow::{Context, bail};
use refstack_server::db::{self, Backend, Db};

struct Args {
    url: String,
    runs: u64,
    tests: usize,
    concurrency: usize,
}

fn args() -> anyhow::Result<Args> {
    let mut a = Args {
        url: String::new(),
        runs: 10_000,
        tests: 300,
        concurrency: 8,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut value = || it.next().with_context(|| format!("{flag} needs a value"));
        match flag.as_str() {
            "--database-url" => a.url = value()?,
            "--runs" => a.runs = value()?.parse().context("--runs")?,
            "--tests" => a.tests = value()?.parse().context("--tests")?,
            "--concurrency" => a.concurrency = value()?.parse().context("--concurrency")?,
            "--help" | "-h" => {
                println!(
                    "seed --database-url URL [--runs N (10000)] [--tests N (300)] \
                     [--concurrency N (8)]"
                );
                std::process::exit(0);
            }
            other => bail!("unknown argument {other:?} (see --help)"),
        }
    }
    if a.url.is_empty() {
        bail!("--database-url is required");
    }
    Ok(a)
}

const USERS: u64 = 50;
const VENDOR_ADMIN: &str = "https://openstackid.org/seed-vendor-admin";
const PRODUCT_CPID: &str = "seed-product-cpid";

fn user(n: u64) -> String {
    format!("https://openstackid.org/seed-user-{n}")
}

async fn setup(db: &Db) -> anyhow::Result<()> {
    for openid in (0..USERS).map(user).chain([VENDOR_ADMIN.to_owned()]) {
        db::users::upsert(
            db,
            &db::users::NewUser {
                openid,
                email: None,
                fullname: None,
            },
        )
        .await?;
    }
    let org = db::vendors::create(
        db,
        &db::vendors::NewOrganization {
            name: "Seed Vendor".into(),
            description: None,
            created_by: VENDOR_ADMIN.into(),
            kind: db::vendors::OrgType::PrivateVendor,
            properties: None,
        },
    )
    .await?;
    let (product, _) = db::products::create(
        db,
        &db::products::NewProduct {
            name: "Seed Cloud".into(),
            description: None,
            organization_id: org.id,
            created_by: VENDOR_ADMIN.into(),
            product_type: 1,
            version: None,
            properties: None,
        },
    )
    .await?;
    db::versions::create(
        db,
        &db::versions::NewVersion {
            product_id: product.id,
            version: Some("2026.1".into()),
            cpid: Some(PRODUCT_CPID.into()),
            created_by: VENDOR_ADMIN.into(),
        },
    )
    .await?;
    Ok(())
}

fn run(n: u64, tests: usize) -> (db::results::NewTestRun, bool) {
    let kind = n % 10;
    let (uploader, cpid, shared) = match kind {
        0..=3 => (None, format!("{:032x}", n.wrapping_mul(0x9E37_79B9)), false),
        4..=7 => (Some(user(n % USERS)), format!("{:032x}", n % 977), false),
        8 => (Some(user(n % USERS)), format!("{:032x}", n % 977), true),
        _ => (Some(VENDOR_ADMIN.to_owned()), PRODUCT_CPID.to_owned(), true),
    };
    let results = (0..tests)
        .map(|k| db::results::NewResult {
            name: format!(
                "tempest.api.compute.servers.test_servers.ServersTestJSON.test_case_{k:04}"
            ),
            uuid: Some(format!("{:08x}-0000-4000-8000-{:012x}", k, n)),
        })
        .collect();
    (
        db::results::NewTestRun {
            cpid,
            duration_seconds: 1200 + (n % 600) as i64,
            results,
            uploader,
        },
        shared,
    )
}

async fn size_bytes(db: &Db, url: &str) -> anyhow::Result<u64> {
    Ok(match db.backend() {
        Backend::Sqlite => {
            let path = url
                .trim_start_matches("sqlite://")
                .trim_start_matches("sqlite:")
                .split('?')
                .next()
                .unwrap_or_default()
                .to_owned();
            let main = std::fs::metadata(&path).map_or(0, |m| m.len());
            let wal = std::fs::metadata(format!("{path}-wal")).map_or(0, |m| m.len());
            main + wal
        }
        Backend::Postgres => u64::try_from(
            db::testing::scalar_i64(db, "SELECT pg_database_size(current_database())").await,
        )
        .unwrap_or(0),
        Backend::MySql => u64::try_from(
            db::testing::scalar_i64(
                db,
                "SELECT CAST(SUM(data_length + index_length) AS SIGNED) \
                 FROM information_schema.tables WHERE table_schema = DATABASE()",
            )
            .await,
        )
        .unwrap_or(0),
    })
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let a = args()?;
    let db = Db::connect(&a.url).await?;
    db.migrate().await?;
    setup(&db).await?;
    let before = db::results::count_runs(
        &db,
        &db::results::RunFilter {
            visibility: db::results::Visibility::All,
            ..Default::default()
        },
    )
    .await?;
    let size_before = size_bytes(&db, &a.url).await?;
    let next = Arc::new(AtomicU64::new(0));
    let started = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..a.concurrency.max(1) {
        let (db, next, runs, tests) = (db.clone(), next.clone(), a.runs, a.tests);
        tasks.push(tokio::spawn(async move {
            loop {
                let n = next.fetch_add(1, Ordering::Relaxed);
                if n >= runs {
                    return Ok::<_, anyhow::Error>(());
                }
                let (new, shared) = run(before + n, tests);
                let stored = db::results::store_upload(&db, &new).await?;
                if shared {
                    db::meta::set(&db, &stored.id, "shared", "true").await?;
                }
                if (n + 1) % 50_000 == 0 {
                    eprintln!("seed: {} runs", n + 1);
                }
            }
        }));
    }
    for t in tasks {
        t.await??;
    }
    let elapsed = started.elapsed().as_secs_f64();
    let size_after = size_bytes(&db, &a.url).await?;
    let all = db::results::count_runs(
        &db,
        &db::results::RunFilter {
            visibility: db::results::Visibility::All,
            ..Default::default()
        },
    )
    .await?;
    let public = db::results::count_runs(&db, &db::results::RunFilter::default()).await?;
    let per_run = size_after.saturating_sub(size_before) / a.runs.max(1);
    println!(
        "seeded {} runs of {} tests in {elapsed:.1} s ({:.0} runs/s): 40% anonymous, 40% signed \
         private, 10% signed shared, 10% vendor runs associated with a product and shared",
        a.runs,
        a.tests,
        a.runs as f64 / elapsed.max(1e-9)
    );
    println!(
        "database now holds {all} runs ({public} public); size {size_after} bytes, \
         {per_run} bytes per seeded run"
    );
    db.close().await;
    Ok(())
}
