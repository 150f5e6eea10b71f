//! Organizations (vendors and the foundation; upstream tables `organization`, `group`,
//! `user_to_group`).
//!
//! Every organization owns a group; the group's members are the organization's admins
//! ("vendor admins"). The foundation is the first organization of type
//! [`OrgType::Foundation`]. Vendor workflow ([`register`], [`approve`], [`deny`],
//! [`cancel`]):
//!
//! ```text
//! Private(1) --register--> Pending(2) --approve--> Official(3)
//!     ^                        |
//!     +------deny / cancel-----+
//! ```
//!
//! The transitions check the state only; who may trigger them is the HTTP layer's call.

use serde_json::{Map, Value};
use time::PrimitiveDateTime;

use super::users::User;
use super::{
    Db, DbError, DbResult, Dialect, MAX_DESCRIPTION_LEN, MAX_PROPERTIES_LEN, check_text,
    check_text_opt, new_id, now, q, row_struct, with_db, with_db_write,
};

/// Name of the foundation organization created by [`super::users::set_foundation_admin`].
pub const FOUNDATION_NAME: &str = "OpenStack Foundation";
/// Longest organization name accepted (upstream `VARCHAR(80)`).
pub const MAX_NAME_LEN: usize = 80;
/// Longest decline reason (`deny` action), in characters.
pub const MAX_REASON_LEN: usize = 1024;
/// Property written by [`deny`] and removed by [`approve`].
pub const DECLINE_REASON: &str = "registration_decline_reason";

/// Organization types (upstream `api/constants.py`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(i32)]
pub enum OrgType {
    /// The foundation (its members are foundation admins).
    Foundation = 0,
    /// A vendor visible to its members only.
    PrivateVendor = 1,
    /// A vendor waiting for the foundation's approval.
    PendingVendor = 2,
    /// An approved, public vendor.
    OfficialVendor = 3,
}

impl OrgType {
    /// The stored integer.
    pub fn code(self) -> i32 {
        self as i32
    }

    /// The type of a stored integer.
    pub fn from_code(code: i32) -> Option<OrgType> {
        match code {
            0 => Some(OrgType::Foundation),
            1 => Some(OrgType::PrivateVendor),
            2 => Some(OrgType::PendingVendor),
            3 => Some(OrgType::OfficialVendor),
            _ => None,
        }
    }
}

row_struct! {
    /// One organization.
    #[derive(Debug, Clone, PartialEq, Eq)]
    pub struct Organization {
        /// UUID string: a time-ordered UUIDv7 for new rows (older rows may hold uuid4 ids).
        pub id: String,
        /// The type code (column `type`), see [`OrgType`] and [`Organization::org_type`].
        pub kind: i32,
        /// Name.
        pub name: String,
        /// Description.
        pub description: Option<String>,
        /// The group whose members administer the organization.
        pub group_id: String,
        /// Creator's openid.
        pub created_by_user: String,
        /// JSON text (upstream stores `json.dumps(value)`), if set.
        pub properties: Option<String>,
        /// Creation time (UTC).
        pub created_at: PrimitiveDateTime,
        /// Last update (UTC).
        pub updated_at: Option<PrimitiveDateTime>,
    }
}

impl Organization {
    /// The type as an enum (`None` for a code this version does not know).
    pub fn org_type(&self) -> Option<OrgType> {
        OrgType::from_code(self.kind)
    }
}

/// An organization to create with [`create`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewOrganization {
    /// Name (at most [`MAX_NAME_LEN`] characters).
    pub name: String,
    /// Description.
    pub description: Option<String>,
    /// Creator's openid: must be a user; becomes the first member.
    pub created_by: String,
    /// Initial type (vendors start as [`OrgType::PrivateVendor`]).
    pub kind: OrgType,
    /// Initial properties (JSON text).
    pub properties: Option<String>,
}

/// Changes for [`update`]: `None` leaves a field alone; `Some(None)` clears it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OrgUpdate {
    /// New name.
    pub name: Option<String>,
    /// New description.
    pub description: Option<Option<String>>,
    /// New properties (JSON text).
    pub properties: Option<Option<String>>,
}

macro_rules! org_select {
    () => {
        "SELECT o.id, o.type AS kind, o.name, o.description, o.group_id, o.created_by_user, \
         o.properties, o.created_at, o.updated_at FROM organization o"
    };
}

/// Creates an organization, its group (`Group for <name>`) and the creator's membership,
/// in one transaction. [`DbError::NotFound`] if the creator is not a user.
pub async fn create(db: &Db, new: &NewOrganization) -> DbResult<Organization> {
    check_text("name", &new.name, MAX_NAME_LEN)?;
    check_text_opt(
        "description",
        new.description.as_deref(),
        MAX_DESCRIPTION_LEN,
    )?;
    check_text_opt("properties", new.properties.as_deref(), MAX_PROPERTIES_LEN)?;
    let org = Organization {
        id: new_id(),
        kind: new.kind.code(),
        name: new.name.clone(),
        description: new.description.clone(),
        group_id: new_id(),
        created_by_user: new.created_by.clone(),
        properties: new.properties.clone(),
        created_at: now(),
        updated_at: None,
    };
    with_db_write!(db, |pool, DB| {
        let mut tx = DB::begin_write(pool).await?;
        let user: i64 =
            sqlx::query_scalar(q::<DB>("SELECT COUNT(*) FROM \"user\" WHERE openid = $1"))
                .bind(&org.created_by_user)
                .fetch_one(&mut *tx)
                .await?;
        if user == 0 {
            return Err(DbError::not_found("user", org.created_by_user.as_str()));
        }
        sqlx::query(q::<DB>(
            "INSERT INTO \"group\" (id, name, description, created_at) VALUES ($1, $2, $3, $4)",
        ))
        .bind(&org.group_id)
        .bind(format!("Group for {}", org.name))
        .bind(Option::<String>::None)
        .bind(org.created_at)
        .execute(&mut *tx)
        .await?;
        sqlx::query(q::<DB>(
            "INSERT INTO user_to_group (group_id, user_openid, created_by_user, created_at) \
             VALUES ($1, $2, $3, $4)",
        ))
        .bind(&org.group_id)
        .bind(&org.created_by_user)
        .bind(&org.created_by_user)
        .bind(org.created_at)
        .execute(&mut *tx)
        .await?;
        sqlx::query(q::<DB>(
            "INSERT INTO organization (id, type, name, description, group_id, created_by_user, \
             properties, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        ))
        .bind(&org.id)
        .bind(org.kind)
        .bind(&org.name)
        .bind(&org.description)
        .bind(&org.group_id)
        .bind(&org.created_by_user)
        .bind(&org.properties)
        .bind(org.created_at)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok::<(), DbError>(())
    })?;
    Ok(org)
}

/// One organization; [`DbError::NotFound`] if there is none.
pub async fn get(db: &Db, id: &str) -> DbResult<Organization> {
    let row: Option<Organization> = with_db!(db, |pool, DB| {
        sqlx::query_as(q::<DB>(concat!(org_select!(), " WHERE o.id = $1")))
            .bind(id)
            .fetch_optional(pool)
            .await?
    });
    row.ok_or_else(|| DbError::not_found("organization", id))
}

/// Every organization, newest first.
pub async fn list(db: &Db) -> DbResult<Vec<Organization>> {
    Ok(with_db!(db, |pool, DB| {
        sqlx::query_as(q::<DB>(concat!(
            org_select!(),
            " ORDER BY o.created_at DESC, o.id DESC"
        )))
        .fetch_all(pool)
        .await?
    }))
}

/// The organizations of the given types, newest first (the public listing uses
/// foundation + official).
pub async fn list_by_types(db: &Db, types: &[OrgType]) -> DbResult<Vec<Organization>> {
    let mut all = list(db).await?;
    all.retain(|o| o.org_type().is_some_and(|t| types.contains(&t)));
    Ok(all)
}

/// The organizations the user is a member (admin) of, newest first.
pub async fn list_for_member(db: &Db, openid: &str) -> DbResult<Vec<Organization>> {
    Ok(with_db!(db, |pool, DB| {
        sqlx::query_as(q::<DB>(concat!(
            org_select!(),
            " WHERE o.group_id IN (SELECT ug.group_id FROM user_to_group ug \
             WHERE ug.user_openid = $1) ORDER BY o.created_at DESC, o.id DESC"
        )))
        .bind(openid)
        .fetch_all(pool)
        .await?
    }))
}

/// The foundation: the first organization of type 0, if any.
pub async fn foundation(db: &Db) -> DbResult<Option<Organization>> {
    Ok(with_db!(db, |pool, DB| {
        sqlx::query_as(q::<DB>(concat!(
            org_select!(),
            " WHERE o.type = 0 ORDER BY o.created_at, o.id LIMIT 1"
        )))
        .fetch_optional(pool)
        .await?
    }))
}

/// The oldest organization named `name` that `openid` is a member of, or a new private
/// vendor of that name created by `openid` (`POST /v1/products` without
/// `organization_id` uses `vendor_<openid>`).
pub async fn find_or_create_for_member(
    db: &Db,
    name: &str,
    openid: &str,
) -> DbResult<Organization> {
    let found: Option<Organization> = with_db!(db, |pool, DB| {
        sqlx::query_as(q::<DB>(concat!(
            org_select!(),
            " WHERE o.name = $1 AND o.group_id IN (SELECT ug.group_id FROM user_to_group ug \
             WHERE ug.user_openid = $2) ORDER BY o.created_at, o.id LIMIT 1"
        )))
        .bind(name)
        .bind(openid)
        .fetch_optional(pool)
        .await?
    });
    match found {
        Some(org) => Ok(org),
        None => {
            create(
                db,
                &NewOrganization {
                    name: name.to_owned(),
                    description: None,
                    created_by: openid.to_owned(),
                    kind: OrgType::PrivateVendor,
                    properties: None,
                },
            )
            .await
        }
    }
}

/// Applies `changes` and returns the updated organization.
pub async fn update(db: &Db, id: &str, changes: &OrgUpdate) -> DbResult<Organization> {
    if let Some(name) = &changes.name {
        check_text("name", name, MAX_NAME_LEN)?;
    }
    if let Some(description) = &changes.description {
        check_text_opt("description", description.as_deref(), MAX_DESCRIPTION_LEN)?;
    }
    if let Some(properties) = &changes.properties {
        check_text_opt("properties", properties.as_deref(), MAX_PROPERTIES_LEN)?;
    }
    let current = get(db, id).await?;
    let name = changes.name.clone().unwrap_or(current.name);
    let description = changes.description.clone().unwrap_or(current.description);
    let properties = changes.properties.clone().unwrap_or(current.properties);
    let affected = with_db_write!(db, |pool, DB| {
        sqlx::query(q::<DB>(
            "UPDATE organization SET name = $1, description = $2, properties = $3, \
             updated_at = $4 WHERE id = $5",
        ))
        .bind(&name)
        .bind(&description)
        .bind(&properties)
        .bind(now())
        .bind(id)
        .execute(pool)
        .await?
        .rows_affected()
    });
    if affected == 0 {
        return Err(DbError::not_found("organization", id));
    }
    get(db, id).await
}

/// Deletes an organization with its products, their versions, its group and memberships.
/// [`DbError::NotFound`] if it does not exist; [`DbError::InUse`] (nothing deleted) if
/// test runs are associated with one of its products.
pub async fn delete(db: &Db, id: &str) -> DbResult<()> {
    with_db_write!(db, |pool, DB| {
        let mut tx = DB::begin_write(pool).await?;
        let group: Option<String> =
            sqlx::query_scalar(q::<DB>("SELECT group_id FROM organization WHERE id = $1"))
                .bind(id)
                .fetch_optional(&mut *tx)
                .await?;
        let Some(group) = group else {
            return Err(DbError::not_found("organization", id));
        };
        sqlx::query(q::<DB>("DELETE FROM organization WHERE id = $1"))
            .bind(id)
            .execute(&mut *tx)
            .await
            .map_err(|e| match DbError::from(e) {
                DbError::InUse(_) => DbError::InUse(
                    "Unable to delete. There are still tests associated to products for this vendor."
                        .into(),
                ),
                other => other,
            })?;
        // The group may be shared with another organization (hand-made data): keep it then.
        let users: i64 = sqlx::query_scalar(q::<DB>(
            "SELECT COUNT(*) FROM organization WHERE group_id = $1",
        ))
        .bind(&group)
        .fetch_one(&mut *tx)
        .await?;
        if users == 0 {
            sqlx::query(q::<DB>("DELETE FROM \"group\" WHERE id = $1"))
                .bind(&group)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(())
    })
}

fn properties_object(properties: Option<&str>) -> Map<String, Value> {
    match properties.map(serde_json::from_str::<Value>) {
        Some(Ok(Value::Object(map))) => map,
        _ => Map::new(),
    }
}

/// Moves an organization from `from` to `to`, rewriting its properties with `edit`.
async fn transition(
    db: &Db,
    id: &str,
    from: OrgType,
    to: OrgType,
    edit: impl Fn(Option<String>) -> Option<String>,
) -> DbResult<Organization> {
    with_db_write!(db, |pool, DB| {
        let mut tx = DB::begin_write(pool).await?;
        let current: Option<(i32, Option<String>)> = sqlx::query_as(q::<DB>(
            "SELECT type, properties FROM organization WHERE id = $1",
        ))
        .bind(id)
        .fetch_optional(&mut *tx)
        .await?;
        let Some((kind, properties)) = current else {
            return Err(DbError::not_found("organization", id));
        };
        if kind != from.code() {
            return Err(DbError::InvalidState(
                "Invalid organization state for this action.".into(),
            ));
        }
        let done = sqlx::query(q::<DB>(
            "UPDATE organization SET type = $1, properties = $2, updated_at = $3 \
             WHERE id = $4 AND type = $5",
        ))
        .bind(to.code())
        .bind(edit(properties))
        .bind(now())
        .bind(id)
        .bind(from.code())
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() == 0 {
            return Err(DbError::InvalidState(
                "Invalid organization state for this action.".into(),
            ));
        }
        tx.commit().await?;
        Ok::<(), DbError>(())
    })?;
    get(db, id).await
}

/// `register`: private vendor → pending. [`DbError::InvalidState`] from any other type.
pub async fn register(db: &Db, id: &str) -> DbResult<Organization> {
    transition(
        db,
        id,
        OrgType::PrivateVendor,
        OrgType::PendingVendor,
        |p| p,
    )
    .await
}

/// `cancel`: pending → private vendor. [`DbError::InvalidState`] from any other type.
pub async fn cancel(db: &Db, id: &str) -> DbResult<Organization> {
    transition(
        db,
        id,
        OrgType::PendingVendor,
        OrgType::PrivateVendor,
        |p| p,
    )
    .await
}

/// `approve`: pending → official; removes the property [`DECLINE_REASON`].
/// [`DbError::InvalidState`] from any other type.
pub async fn approve(db: &Db, id: &str) -> DbResult<Organization> {
    transition(
        db,
        id,
        OrgType::PendingVendor,
        OrgType::OfficialVendor,
        |p| {
            let mut map = properties_object(p.as_deref());
            if map.remove(DECLINE_REASON).is_some() {
                Some(Value::Object(map).to_string())
            } else {
                p
            }
        },
    )
    .await
}

/// `deny`: pending → private vendor, storing `reason` as property [`DECLINE_REASON`]
/// (properties that are not a JSON object are replaced by a new object).
/// [`DbError::Invalid`] for an empty reason (checked first), [`DbError::InvalidState`]
/// from any type but pending.
pub async fn deny(db: &Db, id: &str, reason: &str) -> DbResult<Organization> {
    if reason.trim().is_empty() {
        return Err(DbError::Invalid(
            "The decline reason can not be empty".into(),
        ));
    }
    check_text("reason", reason, MAX_REASON_LEN)?;
    transition(
        db,
        id,
        OrgType::PendingVendor,
        OrgType::PrivateVendor,
        |p| {
            let mut map = properties_object(p.as_deref());
            map.insert(DECLINE_REASON.to_owned(), Value::String(reason.to_owned()));
            Some(Value::Object(map).to_string())
        },
    )
    .await
}

/// Whether `openid` is a member (admin) of the organization (false if it does not exist).
pub async fn is_member(db: &Db, organization_id: &str, openid: &str) -> DbResult<bool> {
    let count: i64 = with_db!(db, |pool, DB| {
        sqlx::query_scalar(q::<DB>(
            "SELECT COUNT(*) FROM user_to_group ug JOIN organization o ON o.group_id = ug.group_id \
             WHERE o.id = $1 AND ug.user_openid = $2",
        ))
        .bind(organization_id)
        .bind(openid)
        .fetch_one(pool)
        .await?
    });
    Ok(count > 0)
}

/// The members (admins) of an organization, in the order they were added.
/// [`DbError::NotFound`] if the organization does not exist.
pub async fn members(db: &Db, organization_id: &str) -> DbResult<Vec<User>> {
    let org = get(db, organization_id).await?;
    Ok(with_db!(db, |pool, DB| {
        sqlx::query_as(q::<DB>(
            "SELECT u.openid, u.email, u.fullname, u.created_at, u.updated_at \
             FROM user_to_group ug JOIN \"user\" u ON u.openid = ug.user_openid \
             WHERE ug.group_id = $1 ORDER BY ug._id",
        ))
        .bind(&org.group_id)
        .fetch_all(pool)
        .await?
    }))
}

/// Adds a member. Returns `false` (and changes nothing) if it was a member already.
/// [`DbError::NotFound`] names the missing organization or user.
pub async fn add_member(
    db: &Db,
    organization_id: &str,
    openid: &str,
    added_by: &str,
) -> DbResult<bool> {
    let org = get(db, organization_id).await?;
    with_db_write!(db, |pool, DB| {
        let mut tx = DB::begin_write(pool).await?;
        let user: i64 =
            sqlx::query_scalar(q::<DB>("SELECT COUNT(*) FROM \"user\" WHERE openid = $1"))
                .bind(openid)
                .fetch_one(&mut *tx)
                .await?;
        if user == 0 {
            return Err(DbError::not_found("user", openid));
        }
        let member: i64 = sqlx::query_scalar(q::<DB>(
            "SELECT COUNT(*) FROM user_to_group WHERE group_id = $1 AND user_openid = $2",
        ))
        .bind(&org.group_id)
        .bind(openid)
        .fetch_one(&mut *tx)
        .await?;
        if member > 0 {
            return Ok(false);
        }
        sqlx::query(q::<DB>(
            "INSERT INTO user_to_group (group_id, user_openid, created_by_user, created_at) \
             VALUES ($1, $2, $3, $4)",
        ))
        .bind(&org.group_id)
        .bind(openid)
        .bind(added_by)
        .bind(now())
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(true)
    })
}

/// Removes a member; returns whether a membership was removed.
/// [`DbError::NotFound`] if the organization does not exist.
pub async fn remove_member(db: &Db, organization_id: &str, openid: &str) -> DbResult<bool> {
    let org = get(db, organization_id).await?;
    let affected = with_db_write!(db, |pool, DB| {
        sqlx::query(q::<DB>(
            "DELETE FROM user_to_group WHERE group_id = $1 AND user_openid = $2",
        ))
        .bind(&org.group_id)
        .bind(openid)
        .execute(pool)
        .await?
        .rows_affected()
    });
    Ok(affected > 0)
}
