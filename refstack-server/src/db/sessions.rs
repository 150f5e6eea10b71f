//! Browser sessions and pending OpenID Connect sign-ins (tables `sessions` and
//! `auth_states`, migration 0004).
//!
//! Only digests are stored: the caller hashes the cookie value or the `state` parameter
//! (hex SHA-256, see `auth::secret`) before calling here. Lookups are by primary key, so an
//! authenticated request costs one indexed read. Expired rows are invisible to lookups and
//! are purged whenever a new row of the same table is written.

use time::PrimitiveDateTime;

use super::{
    Db, DbResult, Dialect, check_text, check_text_opt, now, q, row_struct, with_db, with_db_write,
};

row_struct! {
    /// A live session, as read on each request.
    #[derive(Debug, Clone, PartialEq, Eq)]
    pub struct Session {
        /// The signed-in user.
        pub openid: String,
        /// The token that cookie-authenticated state-changing requests must echo in
        /// `X-CSRF-Token`.
        pub csrf_token: String,
        /// When the session ends (UTC).
        pub expires_at: PrimitiveDateTime,
    }
}

/// A session to store with [`create`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewSession {
    /// Hex SHA-256 of the cookie value.
    pub id_hash: String,
    /// The signed-in user (must exist).
    pub openid: String,
    /// See [`Session::csrf_token`].
    pub csrf_token: String,
    /// When the session ends (UTC).
    pub expires_at: PrimitiveDateTime,
}

/// Stores a new session (and purges expired ones). [`DbError::InUse`] if the user does not
/// exist.
pub async fn create(db: &Db, s: &NewSession) -> DbResult<()> {
    let created_at = now();
    with_db_write!(db, |pool, DB| {
        let mut tx = DB::begin_write(pool).await?;
        sqlx::query(q::<DB>("DELETE FROM sessions WHERE expires_at <= $1"))
            .bind(created_at)
            .execute(&mut *tx)
            .await?;
        sqlx::query(q::<DB>(
            "INSERT INTO sessions (id_hash, openid, csrf_token, created_at, expires_at) \
             VALUES ($1, $2, $3, $4, $5)",
        ))
        .bind(&s.id_hash)
        .bind(&s.openid)
        .bind(&s.csrf_token)
        .bind(created_at)
        .bind(s.expires_at)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
    });
    Ok(())
}

/// The unexpired session with this id digest, if any (one primary-key read).
pub async fn find(db: &Db, id_hash: &str) -> DbResult<Option<Session>> {
    let at = now();
    Ok(with_db!(db, |pool, DB| {
        sqlx::query_as(q::<DB>(
            "SELECT openid, csrf_token, expires_at FROM sessions \
             WHERE id_hash = $1 AND expires_at > $2",
        ))
        .bind(id_hash)
        .bind(at)
        .fetch_optional(pool)
        .await?
    }))
}

/// Ends a session; `Ok(false)` if there was none.
pub async fn delete(db: &Db, id_hash: &str) -> DbResult<bool> {
    let affected = with_db_write!(db, |pool, DB| {
        sqlx::query(q::<DB>("DELETE FROM sessions WHERE id_hash = $1"))
            .bind(id_hash)
            .execute(pool)
            .await?
            .rows_affected()
    });
    Ok(affected > 0)
}

/// Ends every session of a user; returns how many there were.
pub async fn delete_for_user(db: &Db, openid: &str) -> DbResult<u64> {
    Ok(with_db_write!(db, |pool, DB| {
        sqlx::query(q::<DB>("DELETE FROM sessions WHERE openid = $1"))
            .bind(openid)
            .execute(pool)
            .await?
            .rows_affected()
    }))
}

row_struct! {
    /// A sign-in in progress: what the callback needs to finish it.
    #[derive(Debug, Clone, PartialEq, Eq)]
    pub struct AuthState {
        /// Hex SHA-256 of the `state` parameter.
        pub state_hash: String,
        /// The `nonce` sent in the authorization request.
        pub nonce: String,
        /// The PKCE code verifier.
        pub pkce_verifier: String,
        /// Where to go after sign-in (a path on this server), if asked.
        pub next_path: Option<String>,
        /// When the sign-in attempt lapses (UTC).
        pub expires_at: PrimitiveDateTime,
    }
}

/// Longest `next_path` stored.
pub const MAX_NEXT_LEN: usize = 512;

/// Stores a pending sign-in (and purges lapsed ones).
pub async fn create_auth_state(db: &Db, s: &AuthState) -> DbResult<()> {
    check_text_opt("next", s.next_path.as_deref(), MAX_NEXT_LEN)?;
    check_text("nonce", &s.nonce, 128)?;
    check_text("pkce_verifier", &s.pkce_verifier, 128)?;
    let created_at = now();
    with_db_write!(db, |pool, DB| {
        let mut tx = DB::begin_write(pool).await?;
        sqlx::query(q::<DB>("DELETE FROM auth_states WHERE expires_at <= $1"))
            .bind(created_at)
            .execute(&mut *tx)
            .await?;
        sqlx::query(q::<DB>(
            "INSERT INTO auth_states (state_hash, nonce, pkce_verifier, next_path, created_at, \
             expires_at) VALUES ($1, $2, $3, $4, $5, $6)",
        ))
        .bind(&s.state_hash)
        .bind(&s.nonce)
        .bind(&s.pkce_verifier)
        .bind(&s.next_path)
        .bind(created_at)
        .bind(s.expires_at)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
    });
    Ok(())
}

/// Consumes a pending sign-in: returns it and deletes it, so that a `state` is good for one
/// callback only. `Ok(None)` if it is unknown, lapsed or already consumed (also by a
/// concurrent callback on another server process: only the caller whose delete removed the
/// row gets it).
pub async fn take_auth_state(db: &Db, state_hash: &str) -> DbResult<Option<AuthState>> {
    let at = now();
    let found: Option<AuthState> = with_db!(db, |pool, DB| {
        sqlx::query_as(q::<DB>(
            "SELECT state_hash, nonce, pkce_verifier, next_path, expires_at FROM auth_states \
             WHERE state_hash = $1",
        ))
        .bind(state_hash)
        .fetch_optional(pool)
        .await?
    });
    let Some(found) = found else {
        return Ok(None);
    };
    let affected = with_db_write!(db, |pool, DB| {
        sqlx::query(q::<DB>("DELETE FROM auth_states WHERE state_hash = $1"))
            .bind(state_hash)
            .execute(pool)
            .await?
            .rows_affected()
    });
    if affected == 0 || found.expires_at <= at {
        return Ok(None);
    }
    Ok(Some(found))
}
