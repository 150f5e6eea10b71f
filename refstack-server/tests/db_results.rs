//! Storage suite for test runs, results and meta, run on every available backend
//! (SQLite always; PostgreSQL / MariaDB with `REFSTACK_TEST_POSTGRES_URL` /
//! `REFSTACK_TEST_MYSQL_URL`). References are to `refstack-v1-api.md`.

use refstack_server::db::results::{
    self, NewResult, NewTestRun, RunFilter, TestResult, Visibility,
};
use refstack_server::db::testing::{OnDb, TestDb, databases};
use refstack_server::db::users::{self, NewUser};
use refstack_server::db::vendors::{self, NewOrganization, OrgType};
use refstack_server::db::{DbError, meta, products, versions};

fn upload(cpid: &str, names: &[&str], uploader: Option<&str>) -> NewTestRun {
    NewTestRun {
        cpid: cpid.to_owned(),
        duration_seconds: 10,
        results: names
            .iter()
            .map(|n| NewResult {
                name: (*n).to_owned(),
                uuid: None,
            })
            .collect(),
        uploader: uploader.map(str::to_owned),
    }
}

async fn user(db: &TestDb, openid: &str) {
    users::create(
        db,
        &NewUser {
            openid: openid.to_owned(),
            email: Some(format!("{openid}@example.org")),
            fullname: Some(openid.to_uppercase()),
        },
    )
    .await
    .on(db);
}

fn all() -> RunFilter {
    RunFilter {
        visibility: Visibility::All,
        ..RunFilter::default()
    }
}

#[tokio::test]
async fn migrations_are_idempotent() {
    for db in databases().await {
        db.migrate().await.on(&db);
        db.ping().await.on(&db);
        assert_eq!(
            results::count_runs(&db, &all()).await.on(&db),
            0,
            "{}",
            db.label()
        );
    }
}

/// §2.1 GET /v1/results/{id}, §3.1 step 7: the run, its results (names and uuids, in upload
/// order) and the `user` meta of a signed upload.
#[tokio::test]
async fn upload_round_trip() {
    for db in databases().await {
        user(&db, "alice").await;
        let mut new = upload(
            "cloud-1",
            &["tempest.b", "tempest.a", "Tempest.a"],
            Some("alice"),
        );
        new.results[0].uuid = Some("6c0a0990-43b6-4529-9b61-5fd8daf7c55c".into());
        new.duration_seconds = 4242;
        let stored = results::store_upload(&db, &new).await.on(&db);
        assert_eq!(stored.id.len(), 36, "{}", db.label());
        assert_eq!(stored.verification_status, 0);
        assert_eq!(stored.product_version_id, None);

        let got = results::get_run(&db, &stored.id).await.on(&db);
        assert_eq!(got.run, stored, "{}", db.label());
        assert_eq!(got.meta.get("user").map(String::as_str), Some("alice"));
        assert_eq!(got.meta.len(), 1);
        assert_eq!(got.product_version, None);
        assert_eq!(
            results::result_names(&db, &stored.id).await.on(&db),
            ["tempest.b", "tempest.a", "Tempest.a"],
            "{}",
            db.label()
        );
        assert_eq!(
            results::results(&db, &stored.id).await.on(&db)[0],
            TestResult {
                name: "tempest.b".into(),
                uuid: Some("6c0a0990-43b6-4529-9b61-5fd8daf7c55c".into())
            }
        );
        assert_eq!(results::get_test_run(&db, &stored.id).await.on(&db), stored);

        // Anonymous upload: no meta at all. Non-ASCII names are stored as UTF-8.
        let anon = results::store_upload(&db, &upload("", &["tést.ü"], None))
            .await
            .on(&db);
        assert!(
            results::get_run(&db, &anon.id)
                .await
                .on(&db)
                .meta
                .is_empty()
        );
        assert_eq!(
            results::result_names(&db, &anon.id).await.on(&db),
            ["tést.ü"]
        );

        assert!(matches!(
            results::get_run(&db, "no-such-run").await,
            Err(DbError::NotFound {
                entity: "test run",
                ..
            })
        ));
    }
}

/// §3.5: an upload is one transaction; a failure half-way (duplicate name in the second
/// INSERT chunk) leaves nothing behind.
#[tokio::test]
async fn upload_is_atomic() {
    for db in databases().await {
        user(&db, "alice").await;
        let mut names: Vec<String> = (0..2500).map(|i| format!("tempest.test_{i:05}")).collect();
        names[2100] = names[3].clone();
        let new = NewTestRun {
            cpid: "cloud".into(),
            duration_seconds: 1,
            results: names
                .iter()
                .map(|n| NewResult {
                    name: n.clone(),
                    uuid: None,
                })
                .collect(),
            uploader: Some("alice".into()),
        };
        match results::store_upload(&db, &new).await {
            Err(DbError::Conflict(message)) => {
                assert!(
                    message.contains("tempest.test_00003"),
                    "{}: {message}",
                    db.label()
                );
            }
            other => panic!("[{}] expected a conflict, got {other:?}", db.label()),
        }
        assert_eq!(
            results::count_runs(&db, &all()).await.on(&db),
            0,
            "{}",
            db.label()
        );

        // Limits are checked before anything is written, identically on every backend.
        for bad in [
            upload(&"c".repeat(129), &["a"], None),
            upload("c", &[&"n".repeat(513)], None),
            NewTestRun {
                duration_seconds: i64::from(i32::MAX) + 1,
                ..upload("c", &["a"], None)
            },
        ] {
            assert!(
                matches!(
                    results::store_upload(&db, &bad).await,
                    Err(DbError::Invalid(_))
                ),
                "{}",
                db.label()
            );
        }
        let mut long_uuid = upload("c", &["a"], None);
        long_uuid.results[0].uuid = Some("u".repeat(37));
        assert!(matches!(
            results::store_upload(&db, &long_uuid).await,
            Err(DbError::Invalid(_))
        ));
        // The limits themselves are accepted (multi-byte characters count once).
        let edge = upload(&"c".repeat(128), &[&"é".repeat(512)], None);
        results::store_upload(&db, &edge).await.on(&db);
        assert_eq!(
            results::count_runs(&db, &all()).await.on(&db),
            1,
            "{}",
            db.label()
        );

        // A large upload goes through in several chunks.
        let big = NewTestRun {
            results: names
                .iter()
                .enumerate()
                .map(|(i, n)| NewResult {
                    name: format!("{n}.{i}"),
                    uuid: Some(format!("{i:036}")),
                })
                .collect(),
            ..new
        };
        let stored = results::store_upload(&db, &big).await.on(&db);
        assert_eq!(
            results::result_names(&db, &stored.id).await.on(&db).len(),
            2500
        );
    }
}

/// §2.1 GET /v1/results: default visibility = anonymous ∪ shared; `signed` = own uploads;
/// admins listing a product see everything.
#[tokio::test]
async fn list_visibility() {
    for db in databases().await {
        user(&db, "alice").await;
        user(&db, "bob").await;
        let anon = results::store_upload(&db, &upload("c", &["a"], None))
            .await
            .on(&db);
        let private = results::store_upload(&db, &upload("c", &["a"], Some("alice")))
            .await
            .on(&db);
        let shared = results::store_upload(&db, &upload("c", &["a"], Some("alice")))
            .await
            .on(&db);
        meta::set(&db, &shared.id, "shared", "true").await.on(&db);
        let bobs = results::store_upload(&db, &upload("c", &["a"], Some("bob")))
            .await
            .on(&db);

        let ids = |filter: RunFilter| {
            let db = &db;
            async move {
                let mut ids: Vec<String> = results::list_runs(db, &filter, 1, 100)
                    .await
                    .on(db)
                    .items
                    .into_iter()
                    .map(|r| r.run.id)
                    .collect();
                ids.sort();
                ids
            }
        };
        let sorted = |mut v: Vec<&str>| {
            v.sort_unstable();
            v.into_iter().map(str::to_owned).collect::<Vec<_>>()
        };
        assert_eq!(
            ids(RunFilter::default()).await,
            sorted(vec![&anon.id, &shared.id]),
            "{}",
            db.label()
        );
        assert_eq!(
            ids(RunFilter {
                visibility: Visibility::UploadedBy("alice".into()),
                ..RunFilter::default()
            })
            .await,
            sorted(vec![&private.id, &shared.id]),
            "{}",
            db.label()
        );
        assert_eq!(
            ids(RunFilter {
                visibility: Visibility::UploadedBy("bob".into()),
                ..RunFilter::default()
            })
            .await,
            sorted(vec![&bobs.id])
        );
        assert_eq!(
            ids(RunFilter {
                visibility: Visibility::UploadedBy("carol".into()),
                ..RunFilter::default()
            })
            .await,
            Vec::<String>::new()
        );
        assert_eq!(ids(all()).await.len(), 4);
        assert_eq!(
            results::count_runs(&db, &RunFilter::default())
                .await
                .on(&db),
            2
        );

        // Listed items carry every meta key; role filtering is the HTTP layer's job.
        let page = results::list_runs(
            &db,
            &RunFilter {
                visibility: Visibility::UploadedBy("alice".into()),
                ..RunFilter::default()
            },
            1,
            10,
        )
        .await
        .on(&db);
        let listed_shared = page
            .items
            .iter()
            .find(|r| r.run.id == shared.id)
            .unwrap_or_else(|| panic!("[{}] shared run missing", db.label()));
        assert_eq!(
            listed_shared.meta.get("user").map(String::as_str),
            Some("alice")
        );
        assert_eq!(
            listed_shared.meta.get("shared").map(String::as_str),
            Some("true")
        );
    }
}

/// §2.1 filters: cpid, verification status, inclusive start/end dates; combined with AND.
#[tokio::test]
async fn list_filters() {
    for db in databases().await {
        let a = results::store_upload(&db, &upload("cpid-a", &["t"], None))
            .await
            .on(&db);
        let b = results::store_upload(&db, &upload("cpid-b", &["t"], None))
            .await
            .on(&db);
        let c = results::store_upload(&db, &upload("cpid-b", &["t"], None))
            .await
            .on(&db);
        results::set_verification_status(&db, &c.id, 1)
            .await
            .on(&db);

        let count = |filter: RunFilter| {
            let db = &db;
            async move { results::count_runs(db, &filter).await.on(db) }
        };
        let cpid = |c: &str| RunFilter {
            cpid: Some(c.into()),
            ..RunFilter::default()
        };
        assert_eq!(count(cpid("cpid-a")).await, 1, "{}", db.label());
        assert_eq!(count(cpid("cpid-b")).await, 2);
        assert_eq!(
            count(cpid("CPID-B")).await,
            0,
            "{}: exact match",
            db.label()
        );
        assert_eq!(
            count(RunFilter {
                verification_status: Some(1),
                ..RunFilter::default()
            })
            .await,
            1
        );
        assert_eq!(
            count(RunFilter {
                verification_status: Some(0),
                ..cpid("cpid-b")
            })
            .await,
            1
        );
        // Dates are inclusive and compare at full precision on every backend.
        let exactly_b = RunFilter {
            start_date: Some(b.created_at),
            end_date: Some(b.created_at),
            ..RunFilter::default()
        };
        let page = results::list_runs(&db, &exactly_b, 1, 10).await.on(&db);
        assert_eq!(page.total, 1, "{}", db.label());
        assert_eq!(page.items[0].run.id, b.id);
        assert_eq!(
            count(RunFilter {
                start_date: Some(a.created_at),
                ..RunFilter::default()
            })
            .await,
            3
        );
        assert_eq!(
            count(RunFilter {
                end_date: Some(a.created_at),
                ..RunFilter::default()
            })
            .await,
            1
        );
        let later = c.created_at + time::Duration::hours(1);
        assert_eq!(
            count(RunFilter {
                start_date: Some(later),
                ..RunFilter::default()
            })
            .await,
            0
        );
        let earlier = a.created_at - time::Duration::days(400);
        assert_eq!(
            count(RunFilter {
                start_date: Some(earlier),
                end_date: Some(later),
                ..cpid("cpid-b")
            })
            .await,
            2
        );
    }
}

/// §2.1: ordering `created_at DESC` and pages of `per_page` with the total count.
#[tokio::test]
async fn list_pagination() {
    for db in databases().await {
        for i in 0..23 {
            results::store_upload(&db, &upload(&format!("c{i}"), &["t"], None))
                .await
                .on(&db);
        }
        let mut seen = Vec::new();
        for (page, expected) in [(1, 10), (2, 10), (3, 3), (4, 0)] {
            let got = results::list_runs(&db, &RunFilter::default(), page, 10)
                .await
                .on(&db);
            assert_eq!(got.total, 23, "{}", db.label());
            assert_eq!(got.items.len(), expected, "{} page {page}", db.label());
            seen.extend(got.items);
        }
        let mut ids: Vec<&str> = seen.iter().map(|r| r.run.id.as_str()).collect();
        ids.sort_unstable();
        ids.dedup();
        assert_eq!(ids.len(), 23, "{}: pages overlap", db.label());
        assert!(
            seen.windows(2)
                .all(|w| w[0].run.created_at >= w[1].run.created_at),
            "{}: not newest first",
            db.label()
        );
        // Uploads are serialised by creation time, so the newest is c22.
        assert_eq!(seen[0].run.cpid, "c22", "{}", db.label());
        let empty = results::list_runs(
            &db,
            &RunFilter {
                cpid: Some("none".into()),
                ..RunFilter::default()
            },
            1,
            10,
        )
        .await
        .on(&db);
        assert_eq!((empty.total, empty.items.len()), (0, 0));
    }
}

struct Catalog {
    org: String,
    product: String,
    version: String,
}

async fn catalog(db: &TestDb, admin: &str, cpid: Option<&str>, public: bool) -> Catalog {
    let org = vendors::create(
        db,
        &NewOrganization {
            name: format!("Vendor of {admin}"),
            description: None,
            created_by: admin.to_owned(),
            kind: OrgType::PrivateVendor,
            properties: None,
        },
    )
    .await
    .on(db);
    let (product, _) = products::create(
        db,
        &products::NewProduct {
            name: format!("Cloud of {admin}"),
            description: None,
            organization_id: org.id.clone(),
            created_by: admin.to_owned(),
            product_type: 1,
            version: None,
            properties: None,
        },
    )
    .await
    .on(db);
    if public {
        products::update(
            db,
            &product.id,
            &products::ProductUpdate {
                public: Some(true),
                ..Default::default()
            },
        )
        .await
        .on(db);
    }
    let version = versions::create(
        db,
        &versions::NewVersion {
            product_id: product.id.clone(),
            version: Some("1.0".into()),
            cpid: cpid.map(str::to_owned),
            created_by: admin.to_owned(),
        },
    )
    .await
    .on(db);
    Catalog {
        org: org.id,
        product: product.id,
        version: version.id,
    }
}

/// §3.1 step 6: a signed upload is associated with the only version with its cpid when the
/// uploader is a foundation admin or an admin of that version's vendor.
#[tokio::test]
async fn auto_association() {
    for db in databases().await {
        for u in ["alice", "bob", "root"] {
            user(&db, u).await;
        }
        users::set_foundation_admin(&db, "root", true).await.on(&db);
        let cat = catalog(&db, "alice", Some("cloud-1"), true).await;

        let by_alice = results::store_upload(&db, &upload("cloud-1", &["t"], Some("alice")))
            .await
            .on(&db);
        assert_eq!(
            by_alice.product_version_id.as_deref(),
            Some(cat.version.as_str()),
            "{}",
            db.label()
        );
        let shown = results::get_run(&db, &by_alice.id).await.on(&db);
        let info = shown
            .product_version
            .unwrap_or_else(|| panic!("[{}] no product version", db.label()));
        assert_eq!(info.id, cat.version);
        assert_eq!(info.product_id, cat.product);
        assert_eq!(info.organization_id, cat.org);
        assert_eq!(info.version.as_deref(), Some("1.0"));
        assert_eq!(info.cpid.as_deref(), Some("cloud-1"));
        assert_eq!(info.product_name, "Cloud of alice");
        assert!(info.public);

        let by_root = results::store_upload(&db, &upload("cloud-1", &["t"], Some("root")))
            .await
            .on(&db);
        assert_eq!(
            by_root.product_version_id.as_deref(),
            Some(cat.version.as_str())
        );
        let by_bob = results::store_upload(&db, &upload("cloud-1", &["t"], Some("bob")))
            .await
            .on(&db);
        assert_eq!(
            by_bob.product_version_id,
            None,
            "{}: bob is no admin",
            db.label()
        );
        let anon = results::store_upload(&db, &upload("cloud-1", &["t"], None))
            .await
            .on(&db);
        assert_eq!(anon.product_version_id, None, "{}: unsigned", db.label());
        let other_cpid = results::store_upload(&db, &upload("cloud-2", &["t"], Some("alice")))
            .await
            .on(&db);
        assert_eq!(other_cpid.product_version_id, None);

        // Two versions with that cpid: ambiguous, no association.
        versions::create(
            &db,
            &versions::NewVersion {
                product_id: cat.product.clone(),
                version: Some("2.0".into()),
                cpid: Some("cloud-1".into()),
                created_by: "alice".into(),
            },
        )
        .await
        .on(&db);
        let ambiguous = results::store_upload(&db, &upload("cloud-1", &["t"], Some("alice")))
            .await
            .on(&db);
        assert_eq!(ambiguous.product_version_id, None, "{}", db.label());

        // `product_id` filter: runs associated through any version of the product.
        let filter = RunFilter {
            product_id: Some(cat.product.clone()),
            visibility: Visibility::All,
            ..RunFilter::default()
        };
        assert_eq!(
            results::count_runs(&db, &filter).await.on(&db),
            2,
            "{}",
            db.label()
        );
        let public_only = RunFilter {
            visibility: Visibility::Public,
            ..filter.clone()
        };
        assert_eq!(results::count_runs(&db, &public_only).await.on(&db), 0);
        meta::set(&db, &by_root.id, "shared", "true").await.on(&db);
        assert_eq!(results::count_runs(&db, &public_only).await.on(&db), 1);
    }
}

/// §2.1 PUT /v1/results/{id} and DELETE: association, verification, deletion with cascade.
#[tokio::test]
async fn update_and_delete() {
    for db in databases().await {
        user(&db, "alice").await;
        let cat = catalog(&db, "alice", None, false).await;
        let run = results::store_upload(&db, &upload("c", &["t1", "t2"], Some("alice")))
            .await
            .on(&db);
        meta::set(&db, &run.id, "shared", "true").await.on(&db);

        let updated = results::set_product_version(&db, &run.id, Some(&cat.version))
            .await
            .on(&db);
        assert_eq!(
            updated.product_version_id.as_deref(),
            Some(cat.version.as_str())
        );
        assert!(updated.updated_at.is_some(), "{}", db.label());
        let shown = results::get_run(&db, &run.id).await.on(&db);
        assert_eq!(shown.product_version.map(|v| v.public), Some(false));
        assert!(matches!(
            results::set_product_version(&db, &run.id, Some("nope")).await,
            Err(DbError::NotFound {
                entity: "product version",
                ..
            })
        ));
        assert!(matches!(
            results::set_product_version(&db, "nope", None).await,
            Err(DbError::NotFound {
                entity: "test run",
                ..
            })
        ));
        let cleared = results::set_product_version(&db, &run.id, None)
            .await
            .on(&db);
        assert_eq!(cleared.product_version_id, None);

        assert_eq!(
            results::set_verification_status(&db, &run.id, 1)
                .await
                .on(&db)
                .verification_status,
            1
        );
        assert!(matches!(
            results::set_verification_status(&db, &run.id, 5).await,
            Err(DbError::Invalid(_))
        ));
        assert!(matches!(
            results::set_verification_status(&db, "nope", 0).await,
            Err(DbError::NotFound { .. })
        ));

        results::delete_run(&db, &run.id).await.on(&db);
        assert!(matches!(
            results::delete_run(&db, &run.id).await,
            Err(DbError::NotFound { .. })
        ));
        assert!(
            results::result_names(&db, &run.id).await.on(&db).is_empty(),
            "{}",
            db.label()
        );
        assert!(
            meta::get_all(&db, &run.id).await.on(&db).is_empty(),
            "{}",
            db.label()
        );
    }
}

/// §2.1 meta endpoints: values stored verbatim, upsert, delete, missing key/run.
#[tokio::test]
async fn meta_get_set_delete() {
    for db in databases().await {
        let run = results::store_upload(&db, &upload("c", &["t"], None))
            .await
            .on(&db);
        assert_eq!(meta::get(&db, &run.id, "shared").await.on(&db), None);
        meta::set(&db, &run.id, "guideline", "\"2020.06.json\"")
            .await
            .on(&db);
        meta::set(&db, &run.id, "target", "platform").await.on(&db);
        meta::set(&db, &run.id, "target", "compute").await.on(&db);
        assert_eq!(
            meta::get(&db, &run.id, "guideline")
                .await
                .on(&db)
                .as_deref(),
            Some("\"2020.06.json\""),
            "{}",
            db.label()
        );
        let all = meta::get_all(&db, &run.id).await.on(&db);
        assert_eq!(all.len(), 2);
        assert_eq!(
            all.get("target").map(String::as_str),
            Some("compute"),
            "{}",
            db.label()
        );
        meta::delete(&db, &run.id, "target").await.on(&db);
        assert!(matches!(
            meta::delete(&db, &run.id, "target").await,
            Err(DbError::NotFound {
                entity: "meta key",
                ..
            })
        ));
        assert!(matches!(
            meta::set(&db, "no-such-run", "shared", "true").await,
            Err(DbError::NotFound {
                entity: "test run",
                ..
            })
        ));
        assert!(matches!(
            meta::set(&db, &run.id, &"k".repeat(65), "v").await,
            Err(DbError::Invalid(_))
        ));
        // Values are bounded (issue 15 item 3): the longest allowed is stored whole.
        let long = "v".repeat(meta::MAX_VALUE_LEN);
        meta::set(&db, &run.id, "shared", &long).await.on(&db);
        assert_eq!(meta::get(&db, &run.id, "shared").await.on(&db), Some(long));
        assert!(matches!(
            meta::set(&db, &run.id, "shared", &"v".repeat(meta::MAX_VALUE_LEN + 1)).await,
            Err(DbError::Invalid(_))
        ));
    }
}

/// Concurrent uploads on one pool all succeed (SQLite: WAL + immediate write transactions).
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_uploads() {
    for db in databases().await {
        let tasks: Vec<_> = (0..16)
            .map(|i| {
                let handle = db.db().clone();
                tokio::spawn(async move {
                    let names: Vec<String> = (0..50).map(|j| format!("t{i}.{j}")).collect();
                    let refs: Vec<&str> = names.iter().map(String::as_str).collect();
                    results::store_upload(&handle, &upload(&format!("c{i}"), &refs, None)).await
                })
            })
            .collect();
        for task in tasks {
            match task.await {
                Ok(result) => {
                    result.on(&db);
                }
                Err(e) => panic!("[{}] task failed: {e}", db.label()),
            }
        }
        assert_eq!(
            results::count_runs(&db, &all()).await.on(&db),
            16,
            "{}",
            db.label()
        );
    }
}
