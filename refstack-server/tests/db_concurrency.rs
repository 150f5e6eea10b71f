//! Concurrent writers on every available backend (SQLite always; PostgreSQL / MariaDB with
//! `REFSTACK_TEST_POSTGRES_URL` / `REFSTACK_TEST_MYSQL_URL`): many uploads, meta writes and
//! reads at once must all succeed and store exactly what was sent, in order.

use std::collections::BTreeSet;

use refstack_server::db::results::{self, NewResult, NewTestRun, RunFilter, TestResult};
use refstack_server::db::testing::databases;
use refstack_server::db::{Db, DbError, meta};

/// Upload `i`: `n` results named after the upload, every third one with a uuid.
fn upload(i: usize, n: usize) -> NewTestRun {
    NewTestRun {
        cpid: format!("cloud-{}", i % 3),
        duration_seconds: i64::try_from(i).unwrap_or(0),
        results: (0..n)
            .map(|k| NewResult {
                name: format!("tempest.api.upload{i}.test_{k:05}"),
                uuid: (k % 3 == 0).then(|| format!("{i:08}-0000-4000-8000-{k:012}")),
            })
            .collect(),
        uploader: None,
    }
}

/// One writer task: an upload (sizes vary, one crosses the 1000-row insert chunk), a meta
/// write on it, and reads of the listing.
async fn writer(db: Db, i: usize) -> Result<(String, NewTestRun), DbError> {
    let n = match i {
        0 => 0,
        1 => 2500,
        _ => 300 + i,
    };
    let run = upload(i, n);
    let stored = results::store_upload(&db, &run).await?;
    meta::set(&db, &stored.id, "shared", "true").await?;
    results::count_runs(&db, &RunFilter::default()).await?;
    Ok((stored.id, run))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_uploads_all_succeed_and_store_everything() {
    const WRITERS: usize = 24;
    for test_db in databases().await {
        let label = test_db.label().to_owned();
        let tasks: Vec<_> = (0..WRITERS)
            .map(|i| tokio::spawn(writer(test_db.db().clone(), i)))
            .collect();
        let mut ids = BTreeSet::new();
        for task in tasks {
            let (id, sent) = match task.await {
                Ok(Ok(done)) => done,
                Ok(Err(e)) => panic!("[{label}] a concurrent writer failed: {e}"),
                Err(e) => panic!("[{label}] a writer task panicked: {e}"),
            };
            let stored = results::results(&test_db, &id)
                .await
                .unwrap_or_else(|e| panic!("[{label}] {e}"));
            let expected: Vec<TestResult> = sent
                .results
                .iter()
                .map(|r| TestResult {
                    name: r.name.clone(),
                    uuid: r.uuid.clone(),
                })
                .collect();
            assert_eq!(stored, expected, "[{label}] results of {id}");
            let value = meta::get(&test_db, &id, "shared")
                .await
                .unwrap_or_else(|e| panic!("[{label}] {e}"));
            assert_eq!(value.as_deref(), Some("true"), "[{label}] meta of {id}");
            ids.insert(id);
        }
        assert_eq!(ids.len(), WRITERS, "[{label}] distinct run ids");
        let total = results::count_runs(&test_db, &RunFilter::default())
            .await
            .unwrap_or_else(|e| panic!("[{label}] {e}"));
        assert_eq!(total, WRITERS as u64, "[{label}] stored runs");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn duplicate_names_fail_atomically_next_to_concurrent_uploads() {
    for test_db in databases().await {
        let label = test_db.label().to_owned();
        let mut bad = upload(100, 50);
        bad.results.push(bad.results[10].clone());
        let good = tokio::spawn(writer(test_db.db().clone(), 7));
        let refused = results::store_upload(&test_db, &bad).await;
        assert!(
            matches!(&refused, Err(DbError::Conflict(m)) if m.contains("test_00010")),
            "[{label}] duplicate upload: {refused:?}"
        );
        match good.await {
            Ok(Ok(_)) => {}
            other => panic!("[{label}] concurrent upload: {other:?}"),
        }
        let total = results::count_runs(&test_db, &RunFilter::default())
            .await
            .unwrap_or_else(|e| panic!("[{label}] {e}"));
        assert_eq!(total, 1, "[{label}] only the valid upload is stored");
    }
}
