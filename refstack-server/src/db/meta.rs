//! Per-run metadata (upstream table `meta`): `user` (written by [`super::results::store_upload`]
//! for signed uploads, never through the API), `shared`, `guideline`, `target`.
//!
//! Values are stored verbatim (upstream stores the raw request body as text).

use std::collections::BTreeMap;

use super::{
    Backend, Db, DbError, DbResult, Dialect, check_text, now, q, row_struct, with_db, with_db_write,
};

/// Longest meta key accepted (upstream `VARCHAR(64)`).
pub const MAX_KEY_LEN: usize = 64;
/// Longest meta value, in characters. The writable keys hold `true`, a
/// guideline file name and a target; `user` holds an openid (at most 128).
pub const MAX_VALUE_LEN: usize = 256;

row_struct! {
    struct KeyValue {
        meta_key: String,
        value: Option<String>,
    }
}

/// Every meta key of a run (empty when the run has none or does not exist).
pub async fn get_all(db: &Db, test_id: &str) -> DbResult<BTreeMap<String, String>> {
    let rows: Vec<KeyValue> = with_db!(db, |pool, DB| {
        sqlx::query_as(q::<DB>(
            "SELECT meta_key, value FROM meta WHERE test_id = $1",
        ))
        .bind(test_id)
        .fetch_all(pool)
        .await?
    });
    Ok(rows
        .into_iter()
        .map(|kv| (kv.meta_key, kv.value.unwrap_or_default()))
        .collect())
}

/// One meta value of a run, `None` when the key is not set.
pub async fn get(db: &Db, test_id: &str, key: &str) -> DbResult<Option<String>> {
    let value: Option<Option<String>> = with_db!(db, |pool, DB| {
        sqlx::query_scalar(q::<DB>(
            "SELECT value FROM meta WHERE test_id = $1 AND meta_key = $2",
        ))
        .bind(test_id)
        .bind(key)
        .fetch_optional(pool)
        .await?
    });
    Ok(value.map(Option::unwrap_or_default))
}

/// Sets (inserts or replaces) one meta value. [`DbError::NotFound`] if the run does not
/// exist; [`DbError::Invalid`] if the key is longer than [`MAX_KEY_LEN`].
pub async fn set(db: &Db, test_id: &str, key: &str, value: &str) -> DbResult<()> {
    check_text("meta key", key, MAX_KEY_LEN)?;
    check_text("meta value", value, MAX_VALUE_LEN)?;
    let stamp = now();
    with_db_write!(db, |pool, DB| {
        let mut tx = DB::begin_write(pool).await?;
        let exists: i64 = sqlx::query_scalar(q::<DB>("SELECT COUNT(*) FROM test WHERE id = $1"))
            .bind(test_id)
            .fetch_one(&mut *tx)
            .await?;
        if exists == 0 {
            return Err(DbError::not_found("test run", test_id));
        }
        let sql = if <DB as Dialect>::BACKEND == Backend::MySql {
            q::<DB>(
                "INSERT INTO meta (test_id, meta_key, value, created_at) VALUES ($1, $2, $3, $4) \
                 ON DUPLICATE KEY UPDATE value = VALUES(value), updated_at = VALUES(created_at)",
            )
        } else {
            q::<DB>(
                "INSERT INTO meta (test_id, meta_key, value, created_at) VALUES ($1, $2, $3, $4) \
                 ON CONFLICT (test_id, meta_key) \
                 DO UPDATE SET value = excluded.value, updated_at = excluded.created_at",
            )
        };
        sqlx::query(sql)
            .bind(test_id)
            .bind(key)
            .bind(value)
            .bind(stamp)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    })
}

/// Removes one meta key. [`DbError::NotFound`] (entity `"meta key"`) if it was not set.
pub async fn delete(db: &Db, test_id: &str, key: &str) -> DbResult<()> {
    let affected = with_db_write!(db, |pool, DB| {
        sqlx::query(q::<DB>(
            "DELETE FROM meta WHERE test_id = $1 AND meta_key = $2",
        ))
        .bind(test_id)
        .bind(key)
        .execute(pool)
        .await?
        .rows_affected()
    });
    if affected == 0 {
        return Err(DbError::not_found("meta key", key));
    }
    Ok(())
}
