//! Users (upstream table `user`) and the foundation-admin role.
//!
//! A foundation admin is a member of the group of the first organization of type 0
//! (ordered by creation time), as upstream's `check_user_is_foundation_admin`.
//! [`set_foundation_admin`] creates that organization on first use (what upstream's
//! documentation did with hand-written SQL).

use time::PrimitiveDateTime;

use super::vendors::{FOUNDATION_NAME, OrgType};
use super::{
    Backend, Db, DbError, DbResult, Dialect, check_text, new_id, now, q, row_struct, with_db,
    with_db_write,
};

/// Longest openid, email or full name accepted (upstream `VARCHAR(128)`).
pub const MAX_FIELD_LEN: usize = 128;

row_struct! {
    /// A user account.
    #[derive(Debug, Clone, PartialEq, Eq)]
    pub struct User {
        /// The OpenID claimed id, e.g. `https://openstackid.org/john.doe`; the user's key.
        pub openid: String,
        /// E-mail address.
        pub email: Option<String>,
        /// Full name.
        pub fullname: Option<String>,
        /// Creation time (UTC).
        pub created_at: PrimitiveDateTime,
        /// Last update (UTC).
        pub updated_at: Option<PrimitiveDateTime>,
    }
}

/// A user to create with [`create`] or [`upsert`].
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct NewUser {
    /// OpenID (unique).
    pub openid: String,
    /// E-mail address.
    pub email: Option<String>,
    /// Full name.
    pub fullname: Option<String>,
}

const USER_SELECT: &str =
    "SELECT openid, email, fullname, created_at, updated_at FROM \"user\" WHERE openid = $1";

fn validate(user: &NewUser) -> DbResult<()> {
    if user.openid.is_empty() {
        return Err(DbError::Invalid("openid must not be empty".into()));
    }
    check_text("openid", &user.openid, MAX_FIELD_LEN)?;
    check_text(
        "email",
        user.email.as_deref().unwrap_or_default(),
        MAX_FIELD_LEN,
    )?;
    check_text(
        "fullname",
        user.fullname.as_deref().unwrap_or_default(),
        MAX_FIELD_LEN,
    )
}

/// The user with this openid, if any.
pub async fn find(db: &Db, openid: &str) -> DbResult<Option<User>> {
    Ok(with_db!(db, |pool, DB| {
        sqlx::query_as(q::<DB>(USER_SELECT))
            .bind(openid)
            .fetch_optional(pool)
            .await?
    }))
}

/// The user with this openid; [`DbError::NotFound`] if there is none.
pub async fn get(db: &Db, openid: &str) -> DbResult<User> {
    find(db, openid)
        .await?
        .ok_or_else(|| DbError::not_found("user", openid))
}

/// Every user, ordered by openid.
pub async fn list(db: &Db) -> DbResult<Vec<User>> {
    Ok(with_db!(db, |pool, DB| {
        sqlx::query_as(q::<DB>(
            "SELECT openid, email, fullname, created_at, updated_at FROM \"user\" ORDER BY openid",
        ))
        .fetch_all(pool)
        .await?
    }))
}

/// Creates a user; [`DbError::Conflict`] if the openid exists already.
pub async fn create(db: &Db, user: &NewUser) -> DbResult<User> {
    validate(user)?;
    let created_at = now();
    with_db_write!(db, |pool, DB| {
        sqlx::query(q::<DB>(
            "INSERT INTO \"user\" (openid, email, fullname, created_at) VALUES ($1, $2, $3, $4)",
        ))
        .bind(&user.openid)
        .bind(&user.email)
        .bind(&user.fullname)
        .bind(created_at)
        .execute(pool)
        .await
        .map_err(|e| match DbError::from(e) {
            DbError::Conflict(_) => {
                DbError::Conflict(format!("user {} already exists", user.openid))
            }
            other => other,
        })?;
    });
    Ok(User {
        openid: user.openid.clone(),
        email: user.email.clone(),
        fullname: user.fullname.clone(),
        created_at,
        updated_at: None,
    })
}

/// Creates the user or, if the openid exists, replaces its email and full name (sign-in).
pub async fn upsert(db: &Db, user: &NewUser) -> DbResult<User> {
    validate(user)?;
    let stamp = now();
    with_db_write!(db, |pool, DB| {
        let sql = if <DB as Dialect>::BACKEND == Backend::MySql {
            q::<DB>(
                "INSERT INTO \"user\" (openid, email, fullname, created_at) VALUES ($1, $2, $3, $4) \
                 ON DUPLICATE KEY UPDATE email = VALUES(email), fullname = VALUES(fullname), \
                 updated_at = VALUES(created_at)",
            )
        } else {
            q::<DB>(
                "INSERT INTO \"user\" (openid, email, fullname, created_at) VALUES ($1, $2, $3, $4) \
                 ON CONFLICT (openid) DO UPDATE SET email = excluded.email, \
                 fullname = excluded.fullname, updated_at = excluded.created_at",
            )
        };
        sqlx::query(sql)
            .bind(&user.openid)
            .bind(&user.email)
            .bind(&user.fullname)
            .bind(stamp)
            .execute(pool)
            .await?;
    });
    get(db, &user.openid).await
}

/// Whether the user is a foundation admin (member of the first type-0 organization's group).
pub async fn is_foundation_admin(db: &Db, openid: &str) -> DbResult<bool> {
    let count: i64 = with_db!(db, |pool, DB| {
        sqlx::query_scalar(q::<DB>(
            "SELECT COUNT(*) FROM user_to_group ug JOIN organization o ON o.group_id = ug.group_id \
             WHERE ug.user_openid = $1 AND o.id = (SELECT f.id FROM organization f \
             WHERE f.type = 0 ORDER BY f.created_at, f.id LIMIT 1)",
        ))
        .bind(openid)
        .fetch_one(pool)
        .await?
    });
    Ok(count > 0)
}

/// The openids of every foundation admin, ordered.
pub async fn foundation_admins(db: &Db) -> DbResult<Vec<String>> {
    Ok(with_db!(db, |pool, DB| {
        sqlx::query_scalar(q::<DB>(
            "SELECT ug.user_openid FROM user_to_group ug JOIN organization o \
             ON o.group_id = ug.group_id WHERE o.id = (SELECT f.id FROM organization f \
             WHERE f.type = 0 ORDER BY f.created_at, f.id LIMIT 1) ORDER BY ug.user_openid",
        ))
        .fetch_all(pool)
        .await?
    }))
}

/// Grants (`true`) or revokes (`false`) the foundation-admin role. Granting creates the
/// foundation organization (named [`FOUNDATION_NAME`], created by this user) and its group
/// when none exists. Idempotent. [`DbError::NotFound`] if the user does not exist.
pub async fn set_foundation_admin(db: &Db, openid: &str, admin: bool) -> DbResult<()> {
    let stamp = now();
    with_db_write!(db, |pool, DB| {
        let mut tx = DB::begin_write(pool).await?;
        let exists: i64 =
            sqlx::query_scalar(q::<DB>("SELECT COUNT(*) FROM \"user\" WHERE openid = $1"))
                .bind(openid)
                .fetch_one(&mut *tx)
                .await?;
        if exists == 0 {
            return Err(DbError::not_found("user", openid));
        }
        let foundation: Option<String> = sqlx::query_scalar(q::<DB>(
            "SELECT group_id FROM organization WHERE type = $1 ORDER BY created_at, id LIMIT 1",
        ))
        .bind(OrgType::Foundation as i32)
        .fetch_optional(&mut *tx)
        .await?;
        let group_id = match (foundation, admin) {
            (Some(group_id), _) => group_id,
            (None, false) => return Ok(()),
            (None, true) => {
                let group_id = new_id();
                sqlx::query(q::<DB>(
                    "INSERT INTO \"group\" (id, name, description, created_at) VALUES ($1, $2, $3, $4)",
                ))
                .bind(&group_id)
                .bind(format!("Group for {FOUNDATION_NAME}"))
                .bind(Option::<String>::None)
                .bind(stamp)
                .execute(&mut *tx)
                .await?;
                sqlx::query(q::<DB>(
                    "INSERT INTO organization (id, type, name, description, group_id, \
                     created_by_user, properties, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
                ))
                .bind(new_id())
                .bind(OrgType::Foundation as i32)
                .bind(FOUNDATION_NAME)
                .bind(Option::<String>::None)
                .bind(&group_id)
                .bind(openid)
                .bind(Option::<String>::None)
                .bind(stamp)
                .execute(&mut *tx)
                .await?;
                group_id
            }
        };
        if admin {
            let member: i64 = sqlx::query_scalar(q::<DB>(
                "SELECT COUNT(*) FROM user_to_group WHERE group_id = $1 AND user_openid = $2",
            ))
            .bind(&group_id)
            .bind(openid)
            .fetch_one(&mut *tx)
            .await?;
            if member == 0 {
                sqlx::query(q::<DB>(
                    "INSERT INTO user_to_group (group_id, user_openid, created_by_user, created_at) \
                     VALUES ($1, $2, $3, $4)",
                ))
                .bind(&group_id)
                .bind(openid)
                .bind(openid)
                .bind(stamp)
                .execute(&mut *tx)
                .await?;
            }
        } else {
            sqlx::query(q::<DB>(
                "DELETE FROM user_to_group WHERE group_id = $1 AND user_openid = $2",
            ))
            .bind(&group_id)
            .bind(openid)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(())
    })
}
