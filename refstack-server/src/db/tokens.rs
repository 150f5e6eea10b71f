//! Personal API tokens (table `api_tokens`, migration 0004).
//!
//! Only the hex SHA-256 of a token is stored (the caller hashes it, see `auth::secret`); a
//! request presenting a token costs one unique-index read ([`find_by_hash`]).

use time::PrimitiveDateTime;

use super::{
    Db, DbError, DbResult, check_text, new_id, now, q, row_struct, with_db, with_db_write,
};

/// Longest token name accepted.
pub const MAX_NAME_LEN: usize = 128;

row_struct! {
    /// A stored token (without its secret).
    #[derive(Debug, Clone, PartialEq, Eq)]
    pub struct ApiToken {
        /// UUID string.
        pub id: String,
        /// Owner's openid.
        pub openid: String,
        /// The name the user gave it.
        pub name: String,
        /// Creation time (UTC).
        pub created_at: PrimitiveDateTime,
        /// Expiry (UTC), if any.
        pub expires_at: Option<PrimitiveDateTime>,
    }
}

/// A token to store with [`create`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewApiToken {
    /// Hex SHA-256 of the token.
    pub token_hash: String,
    /// Owner's openid (the user must exist).
    pub openid: String,
    /// A name (1 to [`MAX_NAME_LEN`] characters).
    pub name: String,
    /// Expiry (UTC), if any.
    pub expires_at: Option<PrimitiveDateTime>,
}

/// Stores a token. [`DbError::Invalid`] for an empty or over-long name,
/// [`DbError::NotFound`] if the user does not exist.
pub async fn create(db: &Db, t: &NewApiToken) -> DbResult<ApiToken> {
    if t.name.trim().is_empty() {
        return Err(DbError::Invalid("name must not be empty".into()));
    }
    check_text("name", &t.name, MAX_NAME_LEN)?;
    let stored = ApiToken {
        id: new_id(),
        openid: t.openid.clone(),
        name: t.name.clone(),
        created_at: now(),
        expires_at: t.expires_at,
    };
    with_db_write!(db, |pool, DB| {
        sqlx::query(q::<DB>(
            "INSERT INTO api_tokens (id, token_hash, openid, name, created_at, expires_at) \
             VALUES ($1, $2, $3, $4, $5, $6)",
        ))
        .bind(&stored.id)
        .bind(&t.token_hash)
        .bind(&stored.openid)
        .bind(&stored.name)
        .bind(stored.created_at)
        .bind(stored.expires_at)
        .execute(pool)
        .await
        .map_err(|e| match DbError::from(e) {
            DbError::InUse(_) => DbError::not_found("user", t.openid.as_str()),
            other => other,
        })?;
    });
    Ok(stored)
}

/// The user's tokens, newest first (expired ones included, so they can be revoked).
pub async fn list_for_user(db: &Db, openid: &str) -> DbResult<Vec<ApiToken>> {
    Ok(with_db!(db, |pool, DB| {
        sqlx::query_as(q::<DB>(
            "SELECT id, openid, name, created_at, expires_at FROM api_tokens \
             WHERE openid = $1 ORDER BY created_at DESC, id DESC",
        ))
        .bind(openid)
        .fetch_all(pool)
        .await?
    }))
}

/// The unexpired token with this digest, if any (one unique-index read).
pub async fn find_by_hash(db: &Db, token_hash: &str) -> DbResult<Option<ApiToken>> {
    let at = now();
    Ok(with_db!(db, |pool, DB| {
        sqlx::query_as(q::<DB>(
            "SELECT id, openid, name, created_at, expires_at FROM api_tokens \
             WHERE token_hash = $1 AND (expires_at IS NULL OR expires_at > $2)",
        ))
        .bind(token_hash)
        .bind(at)
        .fetch_optional(pool)
        .await?
    }))
}

/// Revokes one of the user's tokens; [`DbError::NotFound`] if the user has no such token.
pub async fn delete_for_user(db: &Db, openid: &str, id: &str) -> DbResult<()> {
    let affected = with_db_write!(db, |pool, DB| {
        sqlx::query(q::<DB>(
            "DELETE FROM api_tokens WHERE id = $1 AND openid = $2",
        ))
        .bind(id)
        .bind(openid)
        .execute(pool)
        .await?
        .rows_affected()
    });
    if affected == 0 {
        return Err(DbError::not_found("api token", id));
    }
    Ok(())
}
