//! The upload write path after migration 0002 (no foreign key and no unique index on
//! `results`, time-ordered ids), on every available backend: existing rows survive the
//! migration, deleting a run deletes its results, duplicate names are still refused with
//! nothing stored, and new ids are UUIDv7 in creation order.

mod common;

use common::{TestApp, upload_body};
use refstack_server::db::results::{
    self, NewResult, NewTestRun, RunFilter, TestResult, Visibility,
};
use refstack_server::db::testing::{
    OnDb, TestDb, databases, databases_at, execute, foreign_keys, indexes, scalar_i64,
};
use refstack_server::db::users::{self, NewUser};
use refstack_server::db::{DbError, meta};

fn upload(cpid: &str, names: &[String], uploader: Option<&str>) -> NewTestRun {
    NewTestRun {
        cpid: cpid.to_owned(),
        duration_seconds: 10,
        results: names
            .iter()
            .enumerate()
            .map(|(i, n)| NewResult {
                name: n.clone(),
                uuid: (i % 2 == 0).then(|| format!("00000000-0000-4000-8000-{i:012}")),
            })
            .collect(),
        uploader: uploader.map(str::to_owned),
    }
}

fn names(prefix: &str, n: usize) -> Vec<String> {
    (0..n)
        .map(|i| format!("tempest.api.{prefix}.test_{i:04}"))
        .collect()
}

fn all() -> RunFilter {
    RunFilter {
        visibility: Visibility::All,
        ..RunFilter::default()
    }
}

/// The results of each run, in upload order.
async fn snapshot(db: &TestDb, runs: &[&str]) -> Vec<Vec<TestResult>> {
    let mut out = Vec::new();
    for id in runs {
        out.push(results::results(db, id).await.on(db));
    }
    out
}

async fn count(db: &TestDb, sql: &str) -> i64 {
    scalar_i64(db, sql).await
}

/// A database at the initial schema with runs in it (one of them deleted, so that the
/// highest `results._id` ever assigned is no longer in the table) is migrated to 0002:
/// every result row is still there with its `_id`, name and uuid, the constraint and
/// index are replaced, and new rows get `_id`s above every one assigned before.
#[tokio::test]
async fn migration_0002_keeps_existing_results() {
    for db in databases_at(1).await {
        let l = db.label().to_owned();
        assert_eq!(foreign_keys(&db, "results").await, 1, "{l}: at 0001");
        users::create(
            &db,
            &NewUser {
                openid: "alice".into(),
                email: None,
                fullname: None,
            },
        )
        .await
        .on(&db);
        let signed = results::store_upload(&db, &upload("c1", &names("a", 300), Some("alice")))
            .await
            .on(&db);
        let anon = results::store_upload(&db, &upload("c2", &names("b", 7), None))
            .await
            .on(&db);
        let gone = results::store_upload(&db, &upload("c3", &names("c", 5), None))
            .await
            .on(&db);
        meta::set(&db, &anon.id, "shared", "true").await.on(&db);
        let max_id_ever = count(&db, "SELECT MAX(_id) FROM results").await;
        results::delete_run(&db, &gone.id).await.on(&db);

        let runs = [signed.id.as_str(), anon.id.as_str()];
        let before = snapshot(&db, &runs).await;
        let ids_before = (
            count(&db, "SELECT MIN(_id) FROM results").await,
            count(&db, "SELECT MAX(_id) FROM results").await,
        );
        let count_before = count(&db, "SELECT COUNT(*) FROM results").await;
        assert_eq!(count_before, 307, "{l}");

        db.migrate().await.on(&db);

        let after = snapshot(&db, &runs).await;
        assert_eq!(after, before, "{l}: names and uuids in upload order");
        assert_eq!(after[0].len(), 300, "{l}");
        assert_eq!(
            count(&db, "SELECT COUNT(*) FROM results").await,
            count_before,
            "{l}"
        );
        assert_eq!(
            (
                count(&db, "SELECT MIN(_id) FROM results").await,
                count(&db, "SELECT MAX(_id) FROM results").await,
            ),
            ids_before,
            "{l}: _id values kept"
        );
        assert_eq!(foreign_keys(&db, "results").await, 0, "{l}: after 0002");
        assert_eq!(foreign_keys(&db, "meta").await, 1, "{l}: meta keeps its FK");
        assert_eq!(
            indexes(&db, "results").await,
            [(
                "ix_results_test_id".to_owned(),
                vec!["test_id".to_owned()],
                false
            )],
            "{l}"
        );
        assert_eq!(
            meta::get_all(&db, &anon.id)
                .await
                .on(&db)
                .get("shared")
                .map(String::as_str),
            Some("true"),
            "{l}"
        );
        assert_eq!(results::count_runs(&db, &all()).await.on(&db), 2, "{l}");

        // The new schema works and keeps counting ids upwards.
        let new = results::store_upload(&db, &upload("c4", &names("d", 3), None))
            .await
            .on(&db);
        let lowest_new = count(
            &db,
            &format!("SELECT MIN(_id) FROM results WHERE test_id = '{}'", new.id),
        )
        .await;
        assert!(
            lowest_new > max_id_ever,
            "{l}: {lowest_new} <= {max_id_ever}"
        );
        results::delete_run(&db, &signed.id).await.on(&db);
        assert_eq!(
            count(&db, "SELECT COUNT(*) FROM results").await,
            7 + 3,
            "{l}"
        );
    }
}

/// `delete_run` removes the run's rows of `results` itself (there is no cascade any more),
/// and only those.
#[tokio::test]
async fn deleting_a_run_deletes_its_result_rows() {
    for db in databases().await {
        let l = db.label().to_owned();
        assert_eq!(foreign_keys(&db, "results").await, 0, "{l}");
        let kept = results::store_upload(&db, &upload("c", &names("k", 20), None))
            .await
            .on(&db);
        let doomed = results::store_upload(&db, &upload("c", &names("k", 30), None))
            .await
            .on(&db);
        meta::set(&db, &doomed.id, "shared", "true").await.on(&db);
        let rows_of = |id: &str| format!("SELECT COUNT(*) FROM results WHERE test_id = '{id}'");
        assert_eq!(count(&db, &rows_of(&doomed.id)).await, 30, "{l}");

        results::delete_run(&db, &doomed.id).await.on(&db);
        assert_eq!(count(&db, &rows_of(&doomed.id)).await, 0, "{l}");
        assert_eq!(
            count(
                &db,
                &format!("SELECT COUNT(*) FROM meta WHERE test_id = '{}'", doomed.id)
            )
            .await,
            0,
            "{l}"
        );
        assert_eq!(count(&db, &rows_of(&kept.id)).await, 20, "{l}");
        assert_eq!(count(&db, "SELECT COUNT(*) FROM results").await, 20, "{l}");
        // A missing run is still a NotFound, and deletes nothing.
        assert!(
            matches!(
                results::delete_run(&db, &doomed.id).await,
                Err(DbError::NotFound { .. })
            ),
            "{l}"
        );
        assert_eq!(count(&db, "SELECT COUNT(*) FROM results").await, 20, "{l}");
    }
}

/// Duplicate names are refused before the transaction starts: the same Conflict message
/// as when the unique index refused them, and no row of `test`, `results` or `meta`.
#[tokio::test]
async fn duplicate_names_are_refused_with_nothing_stored() {
    for db in databases().await {
        let l = db.label().to_owned();
        users::create(
            &db,
            &NewUser {
                openid: "alice".into(),
                email: None,
                fullname: None,
            },
        )
        .await
        .on(&db);
        let mut list = names("dup", 300);
        list[299] = list[17].clone();
        match results::store_upload(&db, &upload("c", &list, Some("alice"))).await {
            Err(DbError::Conflict(message)) => assert_eq!(
                message,
                "results contain the test name \"tempest.api.dup.test_0017\" more than once",
                "{l}"
            ),
            other => panic!("[{l}] expected a conflict, got {other:?}"),
        }
        for table in ["test", "results", "meta"] {
            assert_eq!(
                count(&db, &format!("SELECT COUNT(*) FROM {table}")).await,
                0,
                "{l}: {table}"
            );
        }
        // Names differing only in case or by a trailing space are distinct on every backend
        // (MariaDB's PAD SPACE collation made the unique index refuse "t.a " next to "t.a").
        let distinct = ["t.a", "t.A", "t.a "].map(str::to_owned);
        let run = results::store_upload(&db, &upload("c", &distinct, None))
            .await
            .on(&db);
        assert_eq!(
            results::result_names(&db, &run.id).await.on(&db),
            distinct,
            "{l}"
        );
    }
}

/// New run ids (and every other id the storage layer makes) are UUIDv7 in the canonical
/// 36-character lowercase form, and sort by creation.
#[tokio::test]
async fn new_ids_are_uuid_v7_in_creation_order() {
    for db in databases().await {
        let l = db.label().to_owned();
        let mut ids = Vec::new();
        for i in 0..25 {
            let run = results::store_upload(&db, &upload(&format!("c{i}"), &names("v", 2), None))
                .await
                .on(&db);
            ids.push(run.id);
        }
        for id in &ids {
            let parsed = uuid::Uuid::parse_str(id).on(&db);
            assert_eq!(parsed.get_version_num(), 7, "{l}: {id}");
            assert_eq!(parsed.hyphenated().to_string(), *id, "{l}: canonical form");
            assert_eq!(id.len(), 36, "{l}");
        }
        assert!(
            ids.windows(2).all(|w| w[0] < w[1]),
            "{l}: ids not in creation order: {ids:?}"
        );
        // Ordered by the database too (binary collation on MariaDB, C-like on the others
        // for these ASCII strings): the newest run has the greatest id.
        let newest = count(
            &db,
            &format!(
                "SELECT COUNT(*) FROM test WHERE id > '{}'",
                ids.first().map(String::as_str).unwrap_or_default()
            ),
        )
        .await;
        assert_eq!(newest, 24, "{l}");
    }
}

/// Over HTTP (unchanged): a name sent twice in one upload is stored once (the HTTP layer
/// drops repeats before storing); a run stored with a uuid4 id (as every run before this
/// change) is still served by its URL.
#[tokio::test]
async fn http_repeated_names_and_old_ids() {
    for t in TestApp::all().await {
        let l = t.label().to_owned();
        let r = t
            .post("/v1/results")
            .raw(upload_body("cpid-dup", &["t.one", "t.two", "t.one"]))
            .send()
            .await
            .expect(201, &l);
        let id = r.json()["test_id"].as_str().unwrap_or_default().to_owned();
        let r = t
            .get(&format!("/v1/results/{id}"))
            .send()
            .await
            .expect(200, &l);
        assert_eq!(
            r.json()["results"],
            serde_json::json!(["t.one", "t.two"]),
            "{l}"
        );
        assert_eq!(
            scalar_i64(t.dbh(), "SELECT COUNT(*) FROM results").await,
            2,
            "{l}"
        );

        let old = "6f1c2a3e-8d4b-4c5a-9e7f-0123456789ab";
        let created = match t.dbh().backend() {
            refstack_server::db::Backend::Postgres => "'2020-01-02 03:04:05'::timestamp",
            _ => "'2020-01-02 03:04:05'",
        };
        execute(
            t.dbh(),
            &format!(
                "INSERT INTO test (id, cpid, duration_seconds, verification_status, created_at) \
                 VALUES ('{old}', 'old-cloud', 5, 0, {created})"
            ),
        )
        .await;
        execute(
            t.dbh(),
            &format!("INSERT INTO results (test_id, name) VALUES ('{old}', 't.old')"),
        )
        .await;
        let r = t
            .get(&format!("/v1/results/{old}"))
            .send()
            .await
            .expect(200, &l);
        assert_eq!(r.json()["results"], serde_json::json!(["t.old"]), "{l}");
        assert_eq!(r.json()["id"], old, "{l}");
    }
}

/// Names and uuids with control characters, backslashes and escape look-alikes are stored
/// verbatim on every backend (kept from a trial of PostgreSQL's COPY text format, whose
/// escaping they exercise).
#[tokio::test]
async fn special_characters_round_trip() {
    for db in databases().await {
        let l = db.label().to_owned();
        let tricky = [
            "tab\there",
            "new\nline",
            "carriage\rreturn",
            "back\\slash",
            "\\N",
            "\\.",
            "\\",
            "\\t literally",
            "ünïcødé ✓",
            "",
            " ",
        ];
        let new = NewTestRun {
            cpid: "c".into(),
            duration_seconds: 1,
            results: tricky
                .iter()
                .map(|n| NewResult {
                    name: (*n).to_owned(),
                    uuid: Some(format!("u{n}")),
                })
                .chain(std::iter::once(NewResult {
                    name: "no uuid".into(),
                    uuid: None,
                }))
                .collect(),
            uploader: None,
        };
        let run = results::store_upload(&db, &new).await.on(&db);
        let stored = results::results(&db, &run.id).await.on(&db);
        let expected: Vec<TestResult> = new
            .results
            .iter()
            .map(|r| TestResult {
                name: r.name.clone(),
                uuid: r.uuid.clone(),
            })
            .collect();
        assert_eq!(stored, expected, "{l}");
    }
}
