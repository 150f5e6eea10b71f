//! The migrated schema of every dialect matches upstream's data model
//! (`refstack-v1-api.md` §4: table and column names), minus the never-used soft-delete
//! columns and the timestamps of `results` (a view over `result_parts` since migration 0003),
//! plus `test.listed` (migration 0005: whether the run is in the public list).

use refstack_server::db::testing::{columns, databases};

const TABLES: &[(&str, &[&str])] = &[
    (
        "test",
        &[
            "id",
            "cpid",
            "duration_seconds",
            "product_version_id",
            "verification_status",
            "created_at",
            "updated_at",
            "listed",
        ],
    ),
    ("results", &["_id", "test_id", "name", "uuid"]),
    (
        "meta",
        &[
            "_id",
            "test_id",
            "meta_key",
            "value",
            "created_at",
            "updated_at",
        ],
    ),
    (
        "user",
        &[
            "_id",
            "openid",
            "email",
            "fullname",
            "created_at",
            "updated_at",
        ],
    ),
    (
        "pubkeys",
        &[
            "id",
            "openid",
            "format",
            "pubkey",
            "md5_hash",
            "comment",
            "created_at",
            "updated_at",
        ],
    ),
    (
        "group",
        &["id", "name", "description", "created_at", "updated_at"],
    ),
    (
        "user_to_group",
        &[
            "_id",
            "group_id",
            "user_openid",
            "created_by_user",
            "created_at",
            "updated_at",
        ],
    ),
    (
        "organization",
        &[
            "id",
            "type",
            "name",
            "description",
            "group_id",
            "created_by_user",
            "properties",
            "created_at",
            "updated_at",
        ],
    ),
    (
        "product",
        &[
            "id",
            "name",
            "description",
            "organization_id",
            "created_by_user",
            "public",
            "properties",
            "type",
            "product_type",
            "created_at",
            "updated_at",
        ],
    ),
    (
        "product_version",
        &[
            "id",
            "product_id",
            "version",
            "cpid",
            "created_by_user",
            "created_at",
            "updated_at",
        ],
    ),
];

#[tokio::test]
async fn every_dialect_has_the_upstream_tables_and_columns() {
    for db in databases().await {
        for (table, expected) in TABLES {
            let mut expected: Vec<String> = expected.iter().map(|c| (*c).to_owned()).collect();
            expected.sort();
            assert_eq!(
                columns(&db, table).await,
                expected,
                "{}: table {table}",
                db.label()
            );
        }
    }
}
