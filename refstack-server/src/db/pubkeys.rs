//! Users' OpenSSH public keys (upstream table `pubkeys`).
//!
//! A key is stored as `format` (`ssh-rsa`), `pubkey` (the base64 blob, no comment) and
//! `md5_hash` = hex MD5 of the decoded blob; uploads are matched by that fingerprint
//! (upstream §3.4). A key can be registered once globally.

use base64::Engine as _;
use md5::{Digest as _, Md5};
use time::PrimitiveDateTime;

use super::{
    Db, DbError, DbResult, Dialect, check_text, new_id, now, q, row_struct, with_db, with_db_write,
};

/// Longest stored key blob (base64), in characters: an 8192-bit RSA key
/// takes about 1,400.
pub const MAX_PUBKEY_LEN: usize = 4096;

row_struct! {
    /// One stored public key.
    #[derive(Debug, Clone, PartialEq, Eq)]
    pub struct Pubkey {
        /// UUID string: a time-ordered UUIDv7 for new rows (older rows may hold uuid4 ids).
        pub id: String,
        /// Owner's openid.
        pub openid: String,
        /// Key type, e.g. `ssh-rsa`.
        pub format: String,
        /// Base64 key blob (the second field of an OpenSSH public key line).
        pub pubkey: String,
        /// Hex MD5 of the decoded blob (see [`fingerprint`]).
        pub md5_hash: String,
        /// Comment (third field of the key line), if any.
        pub comment: Option<String>,
        /// Registration time (UTC).
        pub created_at: PrimitiveDateTime,
    }
}

/// A key to register with [`add`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewPubkey {
    /// Owner's openid (the user must exist).
    pub openid: String,
    /// Key type, e.g. `ssh-rsa` (at most 24 characters).
    pub format: String,
    /// Base64 key blob.
    pub pubkey: String,
    /// Comment (at most 128 characters; may contain spaces).
    pub comment: Option<String>,
}

/// Hex MD5 of the base64-decoded key blob (upstream's `md5_hash`).
/// [`DbError::Invalid`] if `pubkey_b64` is not valid base64.
pub fn fingerprint(pubkey_b64: &str) -> DbResult<String> {
    let blob = base64::engine::general_purpose::STANDARD
        .decode(pubkey_b64.trim())
        .map_err(|_| DbError::Invalid("Malformed public key".into()))?;
    Ok(hex::encode(Md5::digest(&blob)))
}

/// Registers a key. [`DbError::NotFound`] if the user does not exist;
/// [`DbError::Conflict`] ("Public key already exists.") if the key is registered already
/// (by anyone); [`DbError::Invalid`] for a bad blob or over-long fields.
pub async fn add(db: &Db, key: &NewPubkey) -> DbResult<Pubkey> {
    check_text("format", &key.format, 24)?;
    check_text("pubkey", &key.pubkey, MAX_PUBKEY_LEN)?;
    check_text("comment", key.comment.as_deref().unwrap_or_default(), 128)?;
    let md5_hash = fingerprint(&key.pubkey)?;
    let stored = Pubkey {
        id: new_id(),
        openid: key.openid.clone(),
        format: key.format.clone(),
        pubkey: key.pubkey.trim().to_owned(),
        md5_hash,
        comment: key.comment.clone(),
        created_at: now(),
    };
    with_db_write!(db, |pool, DB| {
        let mut tx = DB::begin_write(pool).await?;
        let user: i64 =
            sqlx::query_scalar(q::<DB>("SELECT COUNT(*) FROM \"user\" WHERE openid = $1"))
                .bind(&stored.openid)
                .fetch_one(&mut *tx)
                .await?;
        if user == 0 {
            return Err(DbError::not_found("user", stored.openid.as_str()));
        }
        sqlx::query(q::<DB>(
            "INSERT INTO pubkeys (id, openid, format, pubkey, md5_hash, comment, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        ))
        .bind(&stored.id)
        .bind(&stored.openid)
        .bind(&stored.format)
        .bind(&stored.pubkey)
        .bind(&stored.md5_hash)
        .bind(&stored.comment)
        .bind(stored.created_at)
        .execute(&mut *tx)
        .await
        .map_err(|e| match DbError::from(e) {
            DbError::Conflict(_) => DbError::Conflict("Public key already exists.".into()),
            other => other,
        })?;
        tx.commit().await?;
        Ok::<(), DbError>(())
    })?;
    Ok(stored)
}

/// The keys of one user, oldest first.
pub async fn list_for_user(db: &Db, openid: &str) -> DbResult<Vec<Pubkey>> {
    Ok(with_db!(db, |pool, DB| {
        sqlx::query_as(q::<DB>(
            "SELECT id, openid, format, pubkey, md5_hash, comment, created_at FROM pubkeys \
             WHERE openid = $1 ORDER BY created_at, id",
        ))
        .bind(openid)
        .fetch_all(pool)
        .await?
    }))
}

/// One key by id; [`DbError::NotFound`] if there is none.
pub async fn get(db: &Db, id: &str) -> DbResult<Pubkey> {
    let key: Option<Pubkey> = with_db!(db, |pool, DB| {
        sqlx::query_as(q::<DB>(
            "SELECT id, openid, format, pubkey, md5_hash, comment, created_at FROM pubkeys \
             WHERE id = $1",
        ))
        .bind(id)
        .fetch_optional(pool)
        .await?
    });
    key.ok_or_else(|| DbError::not_found("public key", id))
}

/// Deletes one of the user's keys; [`DbError::NotFound`] if the user has no key with that id.
pub async fn delete_for_user(db: &Db, openid: &str, id: &str) -> DbResult<()> {
    let affected = with_db_write!(db, |pool, DB| {
        sqlx::query(q::<DB>("DELETE FROM pubkeys WHERE id = $1 AND openid = $2"))
            .bind(id)
            .bind(openid)
            .execute(pool)
            .await?
            .rows_affected()
    });
    if affected == 0 {
        return Err(DbError::not_found("public key", id));
    }
    Ok(())
}

/// The key with this fingerprint (hex MD5 of the blob), if any.
pub async fn find_by_fingerprint(db: &Db, md5_hash: &str) -> DbResult<Option<Pubkey>> {
    Ok(with_db!(db, |pool, DB| {
        sqlx::query_as(q::<DB>(
            "SELECT id, openid, format, pubkey, md5_hash, comment, created_at FROM pubkeys \
             WHERE md5_hash = $1",
        ))
        .bind(md5_hash)
        .fetch_optional(pool)
        .await?
    }))
}

/// The stored key matching a base64 blob (e.g. the second field of `X-Public-Key`):
/// looked up by fingerprint, and the stored blob must equal the given one.
/// `Ok(None)` if no user registered it; [`DbError::Invalid`] if the blob is not base64.
pub async fn find_by_key(db: &Db, pubkey_b64: &str) -> DbResult<Option<Pubkey>> {
    let md5_hash = fingerprint(pubkey_b64)?;
    Ok(find_by_fingerprint(db, &md5_hash)
        .await?
        .filter(|key| key.pubkey == pubkey_b64.trim()))
}

#[cfg(test)]
mod tests {
    #[test]
    fn fingerprint_is_md5_of_the_decoded_blob() {
        // base64("abc") = "YWJj"; md5("abc") is the RFC 1321 test vector.
        assert_eq!(
            super::fingerprint("YWJj").ok().as_deref(),
            Some("900150983cd24fb0d6963f7d28e17f72")
        );
        assert!(super::fingerprint("not base64!").is_err());
    }
}
