//! The upload write path after migrations 0002 (time-ordered ids) and 0003 (results stored
//! as parts of their list, with a `results` view), on every available backend: existing
//! results survive both migrations, lists round-trip across part boundaries, deleting a run
//! deletes its results, duplicate names are still refused with nothing stored, and new ids
//! are UUIDv7 in creation order.

mod common;

use common::{TestApp, upload_body};
use refstack_server::db::results::{
    self, NewResult, NewTestRun, RunFilter, TestResult, Visibility,
};
use refstack_server::db::testing::{
    OnDb, TestDb, databases, databases_at, execute, foreign_keys, indexes, migrate_to, scalar_i64,
};
use refstack_server::db::users::{self, NewUser};
use refstack_server::db::{Backend, DbError, meta};

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

async fn count(db: &TestDb, sql: &str) -> i64 {
    scalar_i64(db, sql).await
}

/// A string literal of `db`'s dialect (MariaDB reads backslashes in literals as escapes).
fn literal(db: &TestDb, text: &str) -> String {
    let quoted = text.replace('\'', "''");
    match db.backend() {
        Backend::MySql => format!("'{}'", quoted.replace('\\', "\\\\")),
        _ => format!("'{quoted}'"),
    }
}

/// The creation time of rows written with plain SQL, as a literal of `db`'s dialect.
fn legacy_timestamp(db: &TestDb) -> &'static str {
    match db.backend() {
        Backend::Postgres => "'2020-01-02 03:04:05'::timestamp",
        _ => "'2020-01-02 03:04:05'",
    }
}

/// A meta row written with plain SQL (the schema of any version has these columns).
async fn legacy_meta(db: &TestDb, id: &str, key: &str, value: &str) {
    let created = legacy_timestamp(db);
    execute(
        db,
        &format!(
            "INSERT INTO meta (test_id, meta_key, value, created_at) VALUES ('{id}', {}, {}, \
             {created})",
            literal(db, key),
            literal(db, value)
        ),
    )
    .await;
}

/// Issue 15 item 9: migration 0005 marks which stored runs are in the public list
/// (anonymous or shared) and counts them; the server keeps flag and counters right as
/// runs are uploaded, shared, unshared and deleted.
#[tokio::test]
async fn migration_0005_lists_and_counts_existing_runs() {
    for db in databases_at(3).await {
        let l = db.label().to_owned();
        let ids = [
            "11111111-1111-4111-8111-111111111111", // anonymous
            "22222222-2222-4222-8222-222222222222", // signed, private
            "33333333-3333-4333-8333-333333333333", // signed, shared
        ];
        users::upsert(
            &db,
            &NewUser {
                openid: "https://openstackid.org/owner".into(),
                email: None,
                fullname: None,
            },
        )
        .await
        .on(&db);
        for id in ids {
            legacy_run(&db, id, &[]).await;
        }
        for id in &ids[1..] {
            legacy_meta(&db, id, "user", "https://openstackid.org/owner").await;
        }
        legacy_meta(&db, ids[2], "shared", "true").await;
        db.migrate().await.on(&db);
        let public = RunFilter::default();
        assert_eq!(
            public_ids(&db).await,
            (2, vec![ids[0].to_owned(), ids[2].to_owned()]),
            "{l}"
        );
        assert_eq!(results::count_runs(&db, &all()).await.on(&db), 3, "{l}");
        // Share, unshare, a new signed upload, deletes: flag and counters follow.
        meta::set(&db, ids[1], "shared", "true").await.on(&db);
        assert_eq!(results::count_runs(&db, &public).await.on(&db), 3, "{l}");
        meta::delete(&db, ids[2], "shared").await.on(&db);
        meta::delete(&db, ids[1], "shared").await.on(&db);
        assert_eq!(public_ids(&db).await, (1, vec![ids[0].to_owned()]), "{l}");
        let signed = results::store_upload(
            &db,
            &upload("c", &names("new", 2), Some("https://openstackid.org/owner")),
        )
        .await
        .on(&db);
        results::store_upload(&db, &upload("c", &names("anon", 2), None))
            .await
            .on(&db);
        assert_eq!(results::count_runs(&db, &public).await.on(&db), 2, "{l}");
        assert_eq!(results::count_runs(&db, &all()).await.on(&db), 5, "{l}");
        results::delete_run(&db, &signed.id).await.on(&db);
        results::delete_run(&db, ids[0]).await.on(&db);
        assert_eq!(results::count_runs(&db, &public).await.on(&db), 1, "{l}");
        assert_eq!(results::count_runs(&db, &all()).await.on(&db), 3, "{l}");
        // The counters agree with the rows.
        assert_eq!(
            count(&db, "SELECT COUNT(*) FROM test").await,
            3,
            "{l}: total"
        );
        assert_eq!(
            i64::try_from(results::count_runs(&db, &public).await.on(&db)).unwrap_or(-1),
            count(
                &db,
                "SELECT COUNT(*) FROM test t WHERE NOT EXISTS (SELECT 1 FROM meta m \
                 WHERE m.test_id = t.id AND m.meta_key = 'user') OR EXISTS (SELECT 1 FROM \
                 meta s WHERE s.test_id = t.id AND s.meta_key = 'shared')"
            )
            .await,
            "{l}: listed"
        );
    }
}

/// The total and the sorted ids of the public list.
async fn public_ids(db: &TestDb) -> (u64, Vec<String>) {
    let page = results::list_runs(db, &RunFilter::default(), 1, 100)
        .await
        .on(db);
    let mut ids: Vec<String> = page.items.iter().map(|r| r.run.id.clone()).collect();
    ids.sort();
    (page.total, ids)
}

/// Every page, read from either end of the list, together gives the whole list in order.
#[tokio::test]
async fn pages_from_both_ends_make_the_whole_list() {
    for db in databases().await {
        let l = db.label().to_owned();
        users::upsert(
            &db,
            &NewUser {
                openid: "https://openstackid.org/owner".into(),
                email: None,
                fullname: None,
            },
        )
        .await
        .on(&db);
        for i in 0..23 {
            let uploader = (i % 3 == 0).then_some("https://openstackid.org/owner");
            let run =
                results::store_upload(&db, &upload(&format!("c{i}"), &names("p", 1), uploader))
                    .await
                    .on(&db);
            if i % 6 == 0 {
                meta::set(&db, &run.id, "shared", "true").await.on(&db);
            }
        }
        for filter in [RunFilter::default(), all()] {
            let whole = results::list_runs(&db, &filter, 1, 1000).await.on(&db);
            let whole: Vec<String> = whole.items.into_iter().map(|r| r.run.id).collect();
            for per_page in [1u32, 2, 5, 7, 10, 22, 23, 40] {
                let mut paged = Vec::new();
                let mut page = 1;
                loop {
                    let p = results::list_runs(&db, &filter, page, per_page)
                        .await
                        .on(&db);
                    if p.items.is_empty() {
                        break;
                    }
                    assert!(p.items.len() <= per_page as usize, "{l}");
                    paged.extend(p.items.into_iter().map(|r| r.run.id));
                    page += 1;
                }
                assert_eq!(
                    paged, whole,
                    "{l}: {per_page} per page, {:?}",
                    filter.visibility
                );
            }
        }
    }
}

/// Stores a run the way the schema before migration 0003 held it: a `test` row and one
/// `results` row per test (in `_id` order), written with plain SQL.
async fn legacy_run(db: &TestDb, id: &str, results: &[TestResult]) {
    let created = legacy_timestamp(db);
    execute(
        db,
        &format!(
            "INSERT INTO test (id, cpid, duration_seconds, verification_status, created_at) \
             VALUES ('{id}', 'legacy', 5, 0, {created})"
        ),
    )
    .await;
    for chunk in results.chunks(500) {
        let rows: Vec<String> = chunk
            .iter()
            .map(|r| {
                let uuid = r
                    .uuid
                    .as_deref()
                    .map_or("NULL".to_owned(), |u| literal(db, u));
                format!("('{id}', {}, {uuid})", literal(db, &r.name))
            })
            .collect();
        execute(
            db,
            &format!(
                "INSERT INTO results (test_id, name, uuid) VALUES {}",
                rows.join(", ")
            ),
        )
        .await;
    }
}

/// `n` results whose names exercise JSON and SQL escaping, every third without a uuid.
fn legacy_results(prefix: &str, n: usize) -> Vec<TestResult> {
    const ODD: [&str; 6] = [
        "quote'd",
        "back\\slash",
        "\"dq\"",
        "new\nline",
        "ünï ✓",
        "tab\t",
    ];
    (0..n)
        .map(|i| TestResult {
            name: format!("tempest.{prefix}.test_{i:05}{}", ODD[i % ODD.len()]),
            uuid: (i % 3 != 0).then(|| format!("00000000-0000-4000-8000-{i:012}")),
        })
        .collect()
}

/// Runs stored before migrations 0002 and 0003 keep every result, in order, through both:
/// 0002 keeps the rows and their `_id`s while replacing the constraint and index; 0003
/// copies them into parts of at most [`results::PART_LEN`] and leaves a `results` view with
/// the same rows, numbered by position.
#[tokio::test]
async fn migrations_0002_and_0003_keep_existing_results() {
    for db in databases_at(1).await {
        let l = db.label().to_owned();
        assert_eq!(foreign_keys(&db, "results").await, 1, "{l}: at 0001");
        let big = legacy_results("big", 2_345);
        let small = legacy_results("small", 7);
        let ids = [
            "11111111-1111-4111-8111-111111111111",
            "22222222-2222-4222-8222-222222222222",
            "33333333-3333-4333-8333-333333333333",
            "44444444-4444-4444-8444-444444444444",
        ];
        legacy_run(&db, ids[0], &big).await;
        legacy_run(&db, ids[1], &small).await;
        legacy_run(&db, ids[2], &legacy_results("gone", 5)).await;
        legacy_run(&db, ids[3], &[]).await;
        legacy_meta(&db, ids[1], "shared", "true").await;
        execute(&db, &format!("DELETE FROM test WHERE id = '{}'", ids[2])).await;
        assert_eq!(
            count(&db, "SELECT COUNT(*) FROM results").await,
            2_352,
            "{l}"
        );
        let ids_before = (
            count(&db, "SELECT MIN(_id) FROM results").await,
            count(&db, "SELECT MAX(_id) FROM results").await,
        );

        migrate_to(&db, 2).await.on(&db);
        assert_eq!(
            count(&db, "SELECT COUNT(*) FROM results").await,
            2_352,
            "{l}"
        );
        assert_eq!(
            (
                count(&db, "SELECT MIN(_id) FROM results").await,
                count(&db, "SELECT MAX(_id) FROM results").await,
            ),
            ids_before,
            "{l}: 0002 keeps the _id values"
        );
        assert_eq!(foreign_keys(&db, "results").await, 0, "{l}: after 0002");
        assert_eq!(
            indexes(&db, "results").await,
            [(
                "ix_results_test_id".to_owned(),
                vec!["test_id".to_owned()],
                false
            )],
            "{l}: after 0002"
        );

        db.migrate().await.on(&db);
        assert_eq!(results::results(&db, ids[0]).await.on(&db), big, "{l}");
        assert_eq!(results::results(&db, ids[1]).await.on(&db), small, "{l}");
        assert_eq!(results::results(&db, ids[3]).await.on(&db), [], "{l}");
        assert_eq!(
            count(&db, "SELECT COUNT(*) FROM result_parts").await,
            3 + 1,
            "{l}: 2,345 results make 3 parts, 7 make 1, none make none"
        );
        assert_eq!(foreign_keys(&db, "result_parts").await, 1, "{l}");
        assert_eq!(foreign_keys(&db, "meta").await, 1, "{l}: meta keeps its FK");
        assert_eq!(results::count_runs(&db, &all()).await.on(&db), 3, "{l}");
        assert_eq!(
            meta::get_all(&db, ids[1])
                .await
                .on(&db)
                .get("shared")
                .map(String::as_str),
            Some("true"),
            "{l}"
        );
        // The view: every row, each numbered by its 1-based position in its run.
        assert_eq!(
            count(&db, "SELECT COUNT(*) FROM results").await,
            2_352,
            "{l}"
        );
        for (position, result) in [(1, &big[0]), (1_001, &big[1_000]), (2_345, &big[2_344])] {
            let matching = format!(
                "SELECT COUNT(*) FROM results WHERE test_id = '{}' AND _id = {position} \
                 AND name = {}",
                ids[0],
                literal(&db, &result.name)
            );
            assert_eq!(count(&db, &matching).await, 1, "{l}: position {position}");
        }
        assert_eq!(
            count(&db, "SELECT COUNT(*) FROM results WHERE uuid IS NULL").await,
            782 + 3,
            "{l}: missing uuids are NULL"
        );

        // The new schema takes uploads; deleting a run takes its parts with it.
        let new = results::store_upload(&db, &upload("c4", &names("d", 3), None))
            .await
            .on(&db);
        assert_eq!(
            results::result_names(&db, &new.id).await.on(&db),
            names("d", 3),
            "{l}"
        );
        results::delete_run(&db, ids[0]).await.on(&db);
        assert_eq!(
            count(&db, "SELECT COUNT(*) FROM result_parts").await,
            2,
            "{l}"
        );
        assert_eq!(
            count(&db, "SELECT COUNT(*) FROM results").await,
            7 + 3,
            "{l}"
        );
    }
}

/// Result lists are cut into parts of [`results::PART_LEN`] and read back whole and in
/// order, at and around every part boundary.
#[tokio::test]
async fn result_lists_round_trip_across_part_boundaries() {
    let len = results::PART_LEN;
    for db in databases().await {
        let l = db.label().to_owned();
        for (n, parts) in [
            (1, 1),
            (len - 1, 1),
            (len, 1),
            (len + 1, 2),
            (2 * len + 1, 3),
        ] {
            let list = names(&format!("p{n}"), n);
            let run = results::store_upload(&db, &upload("c", &list, None))
                .await
                .on(&db);
            assert_eq!(
                results::result_names(&db, &run.id).await.on(&db),
                list,
                "{l}: {n}"
            );
            let stored = results::results(&db, &run.id).await.on(&db);
            assert_eq!(stored.len(), n, "{l}");
            assert!(
                stored
                    .iter()
                    .enumerate()
                    .all(|(i, r)| r.uuid.is_some() == (i % 2 == 0)),
                "{l}: uuids stay with their names"
            );
            let rows = format!(
                "SELECT COUNT(*) FROM result_parts WHERE test_id = '{}'",
                run.id
            );
            assert_eq!(count(&db, &rows).await, parts, "{l}: {n} results");
        }
        let empty = results::store_upload(&db, &upload("c", &[], None))
            .await
            .on(&db);
        assert_eq!(results::results(&db, &empty.id).await.on(&db), [], "{l}");
    }
}

/// On PostgreSQL 14 and later the parts' arrays are compressed with lz4 (cheaper than the
/// default pglz per upload; migration 0003 falls back to the default where lz4 is missing).
#[tokio::test]
async fn postgres_compresses_parts_with_lz4() {
    for db in databases().await {
        if db.backend() != Backend::Postgres
            || count(&db, "SELECT current_setting('server_version_num')::BIGINT").await < 140_000
        {
            continue;
        }
        let lz4 = "SELECT COUNT(*) FROM pg_attribute WHERE attrelid = 'result_parts'::regclass \
                   AND attname IN ('names', 'uuids') AND attcompression = 'l'";
        assert_eq!(count(&db, lz4).await, 2, "{}", db.label());
    }
}

/// A stored part that is not what the server writes (edited by hand) is reported as a
/// database error, not a panic or a silently shortened list.
#[tokio::test]
async fn malformed_parts_are_errors() {
    for db in databases().await {
        let l = db.label().to_owned();
        for (names_json, uuids_json) in [
            ("not json", "[]"),
            ("[\"a\",\"b\"]", "[null]"),
            ("[1]", "[null]"),
        ] {
            let run = results::store_upload(&db, &upload("c", &[], None))
                .await
                .on(&db);
            execute(
                &db,
                &format!(
                    "INSERT INTO result_parts (test_id, part, names, uuids) \
                     VALUES ('{}', 0, '{names_json}', '{uuids_json}')",
                    run.id
                ),
            )
            .await;
            let err = results::results(&db, &run.id).await;
            assert!(
                matches!(err, Err(DbError::Backend(_))),
                "{l}: {names_json} / {uuids_json}: {err:?}"
            );
        }
    }
}

/// `delete_run` removes the run's parts (by the foreign key's cascade) and only those.
#[tokio::test]
async fn deleting_a_run_deletes_its_results() {
    for db in databases().await {
        let l = db.label().to_owned();
        assert_eq!(foreign_keys(&db, "result_parts").await, 1, "{l}");
        let kept = results::store_upload(&db, &upload("c", &names("k", 20), None))
            .await
            .on(&db);
        let doomed = results::store_upload(&db, &upload("c", &names("k", 2_500), None))
            .await
            .on(&db);
        meta::set(&db, &doomed.id, "shared", "true").await.on(&db);
        let parts_of =
            |id: &str| format!("SELECT COUNT(*) FROM result_parts WHERE test_id = '{id}'");
        let rows_of = |id: &str| format!("SELECT COUNT(*) FROM results WHERE test_id = '{id}'");
        assert_eq!(count(&db, &parts_of(&doomed.id)).await, 3, "{l}");
        assert_eq!(count(&db, &rows_of(&doomed.id)).await, 2_500, "{l}");

        results::delete_run(&db, &doomed.id).await.on(&db);
        assert_eq!(count(&db, &parts_of(&doomed.id)).await, 0, "{l}");
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
        assert_eq!(
            count(&db, "SELECT COUNT(*) FROM result_parts").await,
            1,
            "{l}"
        );
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
        for table in ["test", "result_parts", "meta"] {
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
            &format!(
                "INSERT INTO result_parts (test_id, part, names, uuids) \
                 VALUES ('{old}', 0, '[\"t.old\"]', '[null]')"
            ),
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
