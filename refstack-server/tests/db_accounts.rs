//! Storage suite for users, public keys, organizations (vendor workflow and membership),
//! products and versions, run on every available backend. References are to
//! `refstack-v1-api.md`.

use refstack_server::db::pubkeys::{self, NewPubkey};
use refstack_server::db::results::{self, NewResult, NewTestRun, RunFilter, Visibility};
use refstack_server::db::testing::{OnDb, TestDb, databases};
use refstack_server::db::users::{self, NewUser};
use refstack_server::db::vendors::{self, NewOrganization, OrgType, OrgUpdate};
use refstack_server::db::{Db, DbError, products, versions};

async fn user(db: &TestDb, openid: &str) {
    users::create(
        db,
        &NewUser {
            openid: openid.to_owned(),
            email: None,
            fullname: None,
        },
    )
    .await
    .on(db);
}

fn vendor(name: &str, creator: &str) -> NewOrganization {
    NewOrganization {
        name: name.to_owned(),
        description: Some("desc".into()),
        created_by: creator.to_owned(),
        kind: OrgType::PrivateVendor,
        properties: None,
    }
}

fn product(name: &str, org: &str, creator: &str) -> products::NewProduct {
    products::NewProduct {
        name: name.to_owned(),
        description: None,
        organization_id: org.to_owned(),
        created_by: creator.to_owned(),
        product_type: 0,
        version: None,
        properties: None,
    }
}

/// §2.4 profile, `user add`: create, unique openid, upsert on sign-in, foundation admins (§8.4).
#[tokio::test]
async fn users_and_foundation_admins() {
    for db in databases().await {
        let alice = users::create(
            &db,
            &NewUser {
                openid: "https://openstackid.org/alice".into(),
                email: Some("alice@example.org".into()),
                fullname: Some("Alice A".into()),
            },
        )
        .await
        .on(&db);
        let got = users::get(&db, &alice.openid).await.on(&db);
        assert_eq!(got, alice, "{}", db.label());
        assert!(matches!(
            users::create(
                &db,
                &NewUser {
                    openid: alice.openid.clone(),
                    ..NewUser::default()
                }
            )
            .await,
            Err(DbError::Conflict(_))
        ));
        assert!(matches!(
            users::get(&db, "https://openstackid.org/ALICE").await,
            Err(DbError::NotFound { entity: "user", .. })
        ));
        assert!(matches!(
            users::create(
                &db,
                &NewUser {
                    openid: "x".repeat(129),
                    ..NewUser::default()
                }
            )
            .await,
            Err(DbError::Invalid(_))
        ));
        let renamed = users::upsert(
            &db,
            &NewUser {
                openid: alice.openid.clone(),
                email: Some("new@example.org".into()),
                fullname: Some("Alice B".into()),
            },
        )
        .await
        .on(&db);
        assert_eq!(
            renamed.email.as_deref(),
            Some("new@example.org"),
            "{}",
            db.label()
        );
        assert_eq!(renamed.created_at, alice.created_at);
        assert!(renamed.updated_at.is_some());
        let bob = users::upsert(
            &db,
            &NewUser {
                openid: "bob".into(),
                ..NewUser::default()
            },
        )
        .await
        .on(&db);
        assert_eq!(bob.email, None);
        assert_eq!(users::list(&db).await.on(&db).len(), 2);

        assert!(!users::is_foundation_admin(&db, "bob").await.on(&db));
        assert!(vendors::foundation(&db).await.on(&db).is_none());
        users::set_foundation_admin(&db, "bob", false).await.on(&db);
        users::set_foundation_admin(&db, "bob", true).await.on(&db);
        users::set_foundation_admin(&db, "bob", true).await.on(&db);
        assert!(
            users::is_foundation_admin(&db, "bob").await.on(&db),
            "{}",
            db.label()
        );
        let foundation = vendors::foundation(&db)
            .await
            .on(&db)
            .unwrap_or_else(|| panic!("no foundation"));
        assert_eq!(foundation.org_type(), Some(OrgType::Foundation));
        assert_eq!(foundation.name, vendors::FOUNDATION_NAME);
        users::set_foundation_admin(&db, &alice.openid, true)
            .await
            .on(&db);
        assert_eq!(
            users::foundation_admins(&db).await.on(&db),
            ["bob".to_owned(), alice.openid.clone()]
        );
        users::set_foundation_admin(&db, "bob", false).await.on(&db);
        assert!(!users::is_foundation_admin(&db, "bob").await.on(&db));
        assert!(users::is_foundation_admin(&db, &alice.openid).await.on(&db));
        assert!(matches!(
            users::set_foundation_admin(&db, "nobody", true).await,
            Err(DbError::NotFound { entity: "user", .. })
        ));
        // Only the first type-0 organization counts.
        assert_eq!(
            vendors::list_by_types(&db, &[OrgType::Foundation])
                .await
                .on(&db)
                .len(),
            1
        );
    }
}

/// §2.4 pubkeys and §3.4 lookup by MD5 of the key blob; a key is registered once globally.
#[tokio::test]
async fn pubkeys_add_find_delete() {
    // Any base64 blob will do for storage; signature checks are the HTTP layer's.
    let blob = "AAAAB3NzaC1yc2EgZmFrZSBrZXkgb25l";
    let other = "AAAAB3NzaC1yc2Egb3RoZXIga2V5ISE=";
    for db in databases().await {
        user(&db, "alice").await;
        user(&db, "bob").await;
        let key = pubkeys::add(
            &db,
            &NewPubkey {
                openid: "alice".into(),
                format: "ssh-rsa".into(),
                pubkey: blob.into(),
                comment: Some("alice@host with spaces".into()),
            },
        )
        .await
        .on(&db);
        assert_eq!(key.md5_hash, pubkeys::fingerprint(blob).on(&db));
        assert_eq!(key.md5_hash.len(), 32);
        let found = pubkeys::find_by_key(&db, blob).await.on(&db);
        assert_eq!(
            found.as_ref().map(|k| k.openid.as_str()),
            Some("alice"),
            "{}",
            db.label()
        );
        assert_eq!(found, Some(key.clone()));
        assert_eq!(
            pubkeys::find_by_fingerprint(&db, &key.md5_hash)
                .await
                .on(&db),
            Some(key.clone())
        );
        assert_eq!(pubkeys::find_by_key(&db, other).await.on(&db), None);
        assert!(matches!(
            pubkeys::find_by_key(&db, "%%%").await,
            Err(DbError::Invalid(_))
        ));

        let dup = NewPubkey {
            openid: "bob".into(),
            format: "ssh-rsa".into(),
            pubkey: blob.into(),
            comment: None,
        };
        match pubkeys::add(&db, &dup).await {
            Err(DbError::Conflict(m)) => assert_eq!(m, "Public key already exists."),
            other => panic!("[{}] expected conflict, got {other:?}", db.label()),
        }
        assert!(matches!(
            pubkeys::add(
                &db,
                &NewPubkey {
                    openid: "nobody".into(),
                    pubkey: other.into(),
                    ..dup.clone()
                }
            )
            .await,
            Err(DbError::NotFound { entity: "user", .. })
        ));
        pubkeys::add(
            &db,
            &NewPubkey {
                pubkey: other.into(),
                ..dup.clone()
            },
        )
        .await
        .on(&db);
        let second = pubkeys::add(
            &db,
            &NewPubkey {
                openid: "alice".into(),
                format: "ssh-rsa".into(),
                pubkey: "dGhpcmQ=".into(),
                comment: None,
            },
        )
        .await
        .on(&db);
        let alices = pubkeys::list_for_user(&db, "alice").await.on(&db);
        assert_eq!(alices.len(), 2, "{}", db.label());
        assert_eq!(alices[0].id, key.id);
        assert_eq!(pubkeys::get(&db, &second.id).await.on(&db), second);

        assert!(matches!(
            pubkeys::delete_for_user(&db, "bob", &key.id).await,
            Err(DbError::NotFound { .. })
        ));
        pubkeys::delete_for_user(&db, "alice", &key.id)
            .await
            .on(&db);
        assert_eq!(pubkeys::find_by_key(&db, blob).await.on(&db), None);
        assert_eq!(pubkeys::list_for_user(&db, "alice").await.on(&db).len(), 1);
    }
}

/// §2.5 POST /v1/vendors/{id}/action: register/approve/deny/cancel transitions.
#[tokio::test]
async fn vendor_workflow() {
    for db in databases().await {
        user(&db, "alice").await;
        let org = vendors::create(&db, &vendor("Acme", "alice")).await.on(&db);
        assert_eq!(org.org_type(), Some(OrgType::PrivateVendor));
        let invalid_state = |r: Result<vendors::Organization, DbError>| matches!(r, Err(DbError::InvalidState(m)) if m == "Invalid organization state for this action.");
        assert!(
            invalid_state(vendors::approve(&db, &org.id).await),
            "{}",
            db.label()
        );
        assert!(invalid_state(vendors::cancel(&db, &org.id).await));
        assert!(invalid_state(vendors::deny(&db, &org.id, "no").await));

        let pending = vendors::register(&db, &org.id).await.on(&db);
        assert_eq!(pending.kind, 2, "{}", db.label());
        assert!(invalid_state(vendors::register(&db, &org.id).await));
        assert!(matches!(
            vendors::deny(&db, &org.id, " ").await,
            Err(DbError::Invalid(_))
        ));
        let denied = vendors::deny(&db, &org.id, "Missing documents")
            .await
            .on(&db);
        assert_eq!(denied.org_type(), Some(OrgType::PrivateVendor));
        let props: serde_json::Value =
            serde_json::from_str(denied.properties.as_deref().unwrap_or("null")).on(&db);
        assert_eq!(props["registration_decline_reason"], "Missing documents");

        vendors::register(&db, &org.id).await.on(&db);
        assert_eq!(vendors::cancel(&db, &org.id).await.on(&db).kind, 1);
        vendors::register(&db, &org.id).await.on(&db);
        let official = vendors::approve(&db, &org.id).await.on(&db);
        assert_eq!(
            official.org_type(),
            Some(OrgType::OfficialVendor),
            "{}",
            db.label()
        );
        let props: serde_json::Value =
            serde_json::from_str(official.properties.as_deref().unwrap_or("null")).on(&db);
        assert_eq!(props, serde_json::json!({}), "{}", db.label());
        assert!(invalid_state(vendors::register(&db, &org.id).await));
        assert!(invalid_state(vendors::cancel(&db, &org.id).await));
        assert!(invalid_state(vendors::approve(&db, &org.id).await));
        assert!(matches!(
            vendors::register(&db, "nope").await,
            Err(DbError::NotFound {
                entity: "organization",
                ..
            })
        ));

        // Deny keeps other properties; non-object properties are replaced.
        let other = vendors::create(
            &db,
            &NewOrganization {
                properties: Some(r#"{"a": 1}"#.into()),
                ..vendor("Other", "alice")
            },
        )
        .await
        .on(&db);
        vendors::register(&db, &other.id).await.on(&db);
        let denied = vendors::deny(&db, &other.id, "why").await.on(&db);
        let props: serde_json::Value =
            serde_json::from_str(denied.properties.as_deref().unwrap_or("null")).on(&db);
        assert_eq!(
            props,
            serde_json::json!({"a": 1, "registration_decline_reason": "why"})
        );
    }
}

/// §2.5 vendors: create (group + creator membership), list orders, update, members.
#[tokio::test]
async fn vendors_and_membership() {
    for db in databases().await {
        for u in ["alice", "bob", "carol"] {
            user(&db, u).await;
        }
        assert!(matches!(
            vendors::create(&db, &vendor("X", "nobody")).await,
            Err(DbError::NotFound { entity: "user", .. })
        ));
        assert!(matches!(
            vendors::create(&db, &vendor(&"n".repeat(81), "alice")).await,
            Err(DbError::Invalid(_))
        ));
        let a = vendors::create(&db, &vendor("A", "alice")).await.on(&db);
        let b = vendors::create(&db, &vendor("B", "bob")).await.on(&db);
        vendors::register(&db, &b.id).await.on(&db);
        vendors::approve(&db, &b.id).await.on(&db);
        assert_eq!(vendors::get(&db, &a.id).await.on(&db), a, "{}", db.label());
        let ids: Vec<String> = vendors::list(&db)
            .await
            .on(&db)
            .into_iter()
            .map(|o| o.id)
            .collect();
        assert_eq!(
            ids,
            [b.id.clone(), a.id.clone()],
            "{}: newest first",
            db.label()
        );
        let official: Vec<String> =
            vendors::list_by_types(&db, &[OrgType::Foundation, OrgType::OfficialVendor])
                .await
                .on(&db)
                .into_iter()
                .map(|o| o.id)
                .collect();
        assert_eq!(official.as_slice(), std::slice::from_ref(&b.id));

        assert!(vendors::is_member(&db, &a.id, "alice").await.on(&db));
        assert!(!vendors::is_member(&db, &a.id, "bob").await.on(&db));
        assert!(
            vendors::add_member(&db, &a.id, "bob", "alice")
                .await
                .on(&db)
        );
        assert!(
            !vendors::add_member(&db, &a.id, "bob", "alice")
                .await
                .on(&db),
            "{}: idempotent",
            db.label()
        );
        assert!(matches!(
            vendors::add_member(&db, &a.id, "nobody", "alice").await,
            Err(DbError::NotFound { entity: "user", .. })
        ));
        assert!(matches!(
            vendors::add_member(&db, "nope", "bob", "alice").await,
            Err(DbError::NotFound {
                entity: "organization",
                ..
            })
        ));
        let members: Vec<String> = vendors::members(&db, &a.id)
            .await
            .on(&db)
            .into_iter()
            .map(|u| u.openid)
            .collect();
        assert_eq!(members, ["alice", "bob"], "{}", db.label());
        let bobs: Vec<String> = vendors::list_for_member(&db, "bob")
            .await
            .on(&db)
            .into_iter()
            .map(|o| o.id)
            .collect();
        assert_eq!(bobs, [b.id.clone(), a.id.clone()]);
        assert!(vendors::remove_member(&db, &a.id, "bob").await.on(&db));
        assert!(!vendors::remove_member(&db, &a.id, "bob").await.on(&db));
        assert!(!vendors::is_member(&db, &a.id, "bob").await.on(&db));

        let updated = vendors::update(
            &db,
            &a.id,
            &OrgUpdate {
                name: Some("A2".into()),
                description: Some(None),
                properties: Some(Some("[1, 2]".into())),
            },
        )
        .await
        .on(&db);
        assert_eq!(updated.name, "A2");
        assert_eq!(updated.description, None);
        assert_eq!(updated.properties.as_deref(), Some("[1, 2]"));
        assert!(updated.updated_at.is_some());
        assert!(matches!(
            vendors::update(&db, "nope", &OrgUpdate::default()).await,
            Err(DbError::NotFound { .. })
        ));

        let own = vendors::find_or_create_for_member(&db, "vendor_carol", "carol")
            .await
            .on(&db);
        assert_eq!(own.org_type(), Some(OrgType::PrivateVendor));
        let again = vendors::find_or_create_for_member(&db, "vendor_carol", "carol")
            .await
            .on(&db);
        assert_eq!(own.id, again.id, "{}", db.label());
    }
}

async fn associated_run(db: &TestDb, version: &str) -> String {
    let run = results::store_upload(
        db,
        &NewTestRun {
            cpid: "c".into(),
            duration_seconds: 1,
            results: vec![NewResult {
                name: "t".into(),
                uuid: None,
            }],
            uploader: None,
        },
    )
    .await
    .on(db);
    results::set_product_version(db, &run.id, Some(version))
        .await
        .on(db);
    run.id
}

/// §2.6 products and versions: implicit version, listing, update, unique versions.
#[tokio::test]
async fn products_and_versions() {
    for db in databases().await {
        user(&db, "alice").await;
        user(&db, "bob").await;
        let org = vendors::create(&db, &vendor("A", "alice")).await.on(&db);
        let (zeta, implicit) = products::create(&db, &product("zeta", &org.id, "alice"))
            .await
            .on(&db);
        assert_eq!(
            (zeta.kind, zeta.product_type, zeta.public),
            (1, 0, false),
            "{}",
            db.label()
        );
        assert_eq!(implicit.version, None);
        assert_eq!(products::get(&db, &zeta.id).await.on(&db), zeta);
        let (alpha, _) = products::create(
            &db,
            &products::NewProduct {
                product_type: 1,
                version: Some("v1".into()),
                ..product("Alpha", &org.id, "alice")
            },
        )
        .await
        .on(&db);
        assert_eq!(alpha.kind, 0);
        assert!(matches!(
            products::create(&db, &product("x", "nope", "alice")).await,
            Err(DbError::NotFound {
                entity: "organization",
                ..
            })
        ));
        let names: Vec<String> = products::list(&db, None)
            .await
            .on(&db)
            .into_iter()
            .map(|p| p.name)
            .collect();
        assert_eq!(names, ["Alpha", "zeta"], "{}: code point order", db.label());
        assert!(products::list_public(&db, None).await.on(&db).is_empty());
        products::update(
            &db,
            &zeta.id,
            &products::ProductUpdate {
                public: Some(true),
                name: Some("Zeta".into()),
                ..Default::default()
            },
        )
        .await
        .on(&db);
        let public: Vec<String> = products::list_public(&db, Some(&org.id))
            .await
            .on(&db)
            .into_iter()
            .map(|p| p.name)
            .collect();
        assert_eq!(public, ["Zeta"]);
        assert_eq!(
            products::list_for_member(&db, "alice", None)
                .await
                .on(&db)
                .len(),
            2
        );
        assert!(
            products::list_for_member(&db, "bob", None)
                .await
                .on(&db)
                .is_empty()
        );
        assert!(products::is_admin(&db, &zeta.id, "alice").await.on(&db));
        assert!(!products::is_admin(&db, &zeta.id, "bob").await.on(&db));

        let versions = versions::list(&db, &alpha.id).await.on(&db);
        assert_eq!(versions.len(), 1);
        assert_eq!(versions[0].version.as_deref(), Some("v1"));
        let v2 = versions::create(
            &db,
            &versions::NewVersion {
                product_id: alpha.id.clone(),
                version: Some("v2".into()),
                cpid: Some("cp".into()),
                created_by: "alice".into(),
            },
        )
        .await
        .on(&db);
        assert!(
            matches!(
                versions::create(
                    &db,
                    &versions::NewVersion {
                        product_id: alpha.id.clone(),
                        version: Some("v2".into()),
                        cpid: None,
                        created_by: "alice".into(),
                    },
                )
                .await,
                Err(DbError::Conflict(_))
            ),
            "{}",
            db.label()
        );
        // NULL versions never collide (§4 prod_ver_uc).
        versions::create(
            &db,
            &versions::NewVersion {
                product_id: zeta.id.clone(),
                version: None,
                cpid: None,
                created_by: "alice".into(),
            },
        )
        .await
        .on(&db);
        assert!(matches!(
            versions::create(
                &db,
                &versions::NewVersion {
                    product_id: "nope".into(),
                    version: None,
                    cpid: None,
                    created_by: "alice".into(),
                },
            )
            .await,
            Err(DbError::NotFound {
                entity: "product",
                ..
            })
        ));
        assert_eq!(versions::get(&db, &v2.id).await.on(&db), v2);
        let info = versions::get_info(&db, &v2.id).await.on(&db);
        assert_eq!((info.product_name.as_str(), info.public), ("Alpha", false));
        let recpid = versions::set_cpid(&db, &v2.id, Some("cp2")).await.on(&db);
        assert_eq!(recpid.cpid.as_deref(), Some("cp2"));
        assert_eq!(versions::find_by_cpid(&db, "cp2").await.on(&db).len(), 1);
        assert!(versions::find_by_cpid(&db, "cp").await.on(&db).is_empty());
        versions::delete(&db, &v2.id).await.on(&db);
        assert!(matches!(
            versions::get(&db, &v2.id).await,
            Err(DbError::NotFound { .. })
        ));
        assert!(matches!(
            versions::delete(&db, &v2.id).await,
            Err(DbError::NotFound { .. })
        ));
    }
}

/// §2.5/§2.6 deletes: versions, products and vendors with associated runs are refused
/// (nothing deleted); otherwise children cascade (versions, products, group, members).
#[tokio::test]
async fn cascades_and_in_use() {
    for db in databases().await {
        user(&db, "alice").await;
        user(&db, "bob").await;
        let org = vendors::create(&db, &vendor("A", "alice")).await.on(&db);
        vendors::add_member(&db, &org.id, "bob", "alice")
            .await
            .on(&db);
        let (p, implicit) = products::create(&db, &product("P", &org.id, "alice"))
            .await
            .on(&db);
        let run = associated_run(&db, &implicit.id).await;

        let in_use = |r: Result<(), DbError>| matches!(r, Err(DbError::InUse(_)));
        assert!(
            in_use(versions::delete(&db, &implicit.id).await),
            "{}",
            db.label()
        );
        assert!(in_use(products::delete(&db, &p.id).await), "{}", db.label());
        assert!(
            in_use(vendors::delete(&db, &org.id).await),
            "{}",
            db.label()
        );
        // Nothing was deleted.
        products::get(&db, &p.id).await.on(&db);
        versions::get(&db, &implicit.id).await.on(&db);
        assert!(vendors::is_member(&db, &org.id, "bob").await.on(&db));

        results::set_product_version(&db, &run, None).await.on(&db);
        products::create(&db, &product("Q", &org.id, "alice"))
            .await
            .on(&db);
        vendors::delete(&db, &org.id).await.on(&db);
        assert!(matches!(
            vendors::get(&db, &org.id).await,
            Err(DbError::NotFound { .. })
        ));
        assert!(matches!(
            products::get(&db, &p.id).await,
            Err(DbError::NotFound { .. })
        ));
        assert!(matches!(
            versions::get(&db, &implicit.id).await,
            Err(DbError::NotFound { .. })
        ));
        assert!(
            products::list(&db, None).await.on(&db).is_empty(),
            "{}",
            db.label()
        );
        assert!(
            vendors::list_for_member(&db, "bob")
                .await
                .on(&db)
                .is_empty()
        );
        assert!(matches!(
            vendors::delete(&db, &org.id).await,
            Err(DbError::NotFound { .. })
        ));
        // The run itself survives, unassociated.
        assert_eq!(
            results::count_runs(
                &db,
                &RunFilter {
                    visibility: Visibility::All,
                    ..RunFilter::default()
                }
            )
            .await
            .on(&db),
            1
        );

        // Product delete cascades to its versions.
        let org2 = vendors::create(&db, &vendor("B", "alice")).await.on(&db);
        let (p2, v0) = products::create(&db, &product("P2", &org2.id, "alice"))
            .await
            .on(&db);
        products::delete(&db, &p2.id).await.on(&db);
        assert!(matches!(
            versions::get(&db, &v0.id).await,
            Err(DbError::NotFound { .. })
        ));
        assert!(matches!(
            products::delete(&db, &p2.id).await,
            Err(DbError::NotFound { .. })
        ));
    }
}

/// `Db::connect`: SQLite files and their directories are created; in-memory databases work
/// with a single connection; unknown schemes are rejected.
#[tokio::test]
async fn connect_urls() {
    let dir = std::env::temp_dir().join(format!("refstack-db-connect-{}", std::process::id()));
    let path = dir.join("nested").join("refstack.db");
    let db = Db::connect(&format!("sqlite:{}", path.display())).await;
    let db = db.unwrap_or_else(|e| panic!("sqlite file: {e}"));
    db.migrate()
        .await
        .unwrap_or_else(|e| panic!("migrate: {e}"));
    assert!(path.exists());
    assert_eq!(db.backend().name(), "sqlite");
    db.close().await;
    let _ = std::fs::remove_dir_all(&dir);

    let mem = Db::connect("sqlite::memory:")
        .await
        .unwrap_or_else(|e| panic!("memory: {e}"));
    mem.migrate()
        .await
        .unwrap_or_else(|e| panic!("migrate memory: {e}"));
    users::create(
        &mem,
        &NewUser {
            openid: "m".into(),
            ..NewUser::default()
        },
    )
    .await
    .unwrap_or_else(|e| panic!("memory insert: {e}"));
    assert_eq!(users::list(&mem).await.map(|u| u.len()).ok(), Some(1));

    assert!(matches!(
        Db::connect("oracle://x").await,
        Err(DbError::Url(_))
    ));
}
