//! Product versions (upstream table `product_version`).
//!
//! Every product has an implicit version with `version = NULL`, created with the product
//! (`DELETE` of that one must be refused by the HTTP layer: check [`ProductVersion::version`]).
//! `(product_id, version)` is unique; NULL versions never collide.

use time::PrimitiveDateTime;

use super::{
    Db, DbError, DbResult, Dialect, check_text, new_id, now, q, row_struct, with_db, with_db_write,
};

/// Longest version string and cpid accepted (upstream `VARCHAR(36)`).
pub const MAX_VERSION_LEN: usize = 36;

row_struct! {
    /// One product version.
    #[derive(Debug, Clone, PartialEq, Eq)]
    pub struct ProductVersion {
        /// UUID string: a time-ordered UUIDv7 for new rows (older rows may hold uuid4 ids).
        pub id: String,
        /// The product.
        pub product_id: String,
        /// Version string; `None` for the product's implicit version.
        pub version: Option<String>,
        /// Cloud provider id used to auto-associate signed uploads.
        pub cpid: Option<String>,
        /// Creator's openid.
        pub created_by_user: String,
        /// Creation time (UTC).
        pub created_at: PrimitiveDateTime,
        /// Last update (UTC).
        pub updated_at: Option<PrimitiveDateTime>,
    }
}

row_struct! {
    /// A version with the product fields the API shows as `product_info`.
    #[derive(Debug, Clone, PartialEq, Eq)]
    pub struct VersionInfo {
        /// Version id.
        pub id: String,
        /// Product id.
        pub product_id: String,
        /// Version string (`None` for the implicit version).
        pub version: Option<String>,
        /// Cloud provider id.
        pub cpid: Option<String>,
        /// Product name.
        pub product_name: String,
        /// The product's organization (vendor).
        pub organization_id: String,
        /// Whether the product is public.
        pub public: bool,
    }
}

/// A version to create with [`create`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewVersion {
    /// The product (must exist).
    pub product_id: String,
    /// Version string (unique within the product).
    pub version: Option<String>,
    /// Cloud provider id.
    pub cpid: Option<String>,
    /// Creator's openid (must be a user).
    pub created_by: String,
}

const VERSION_COLUMNS_BY_ID: &str = "SELECT id, product_id, version, cpid, created_by_user, \
     created_at, updated_at FROM product_version WHERE id = $1";

/// Creates a version. [`DbError::NotFound`] if the product does not exist;
/// [`DbError::Conflict`] if the product has this version already.
pub async fn create(db: &Db, new: &NewVersion) -> DbResult<ProductVersion> {
    check_text(
        "version",
        new.version.as_deref().unwrap_or_default(),
        MAX_VERSION_LEN,
    )?;
    check_text(
        "cpid",
        new.cpid.as_deref().unwrap_or_default(),
        MAX_VERSION_LEN,
    )?;
    let version = ProductVersion {
        id: new_id(),
        product_id: new.product_id.clone(),
        version: new.version.clone(),
        cpid: new.cpid.clone(),
        created_by_user: new.created_by.clone(),
        created_at: now(),
        updated_at: None,
    };
    with_db_write!(db, |pool, DB| {
        let mut tx = DB::begin_write(pool).await?;
        let product: i64 =
            sqlx::query_scalar(q::<DB>("SELECT COUNT(*) FROM product WHERE id = $1"))
                .bind(&version.product_id)
                .fetch_one(&mut *tx)
                .await?;
        if product == 0 {
            return Err(DbError::not_found("product", version.product_id.as_str()));
        }
        sqlx::query(q::<DB>(
            "INSERT INTO product_version (id, product_id, version, cpid, created_by_user, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6)",
        ))
        .bind(&version.id)
        .bind(&version.product_id)
        .bind(&version.version)
        .bind(&version.cpid)
        .bind(&version.created_by_user)
        .bind(version.created_at)
        .execute(&mut *tx)
        .await
        .map_err(|e| match DbError::from(e) {
            DbError::Conflict(_) => DbError::Conflict(format!(
                "product {} already has version {:?}",
                version.product_id,
                version.version.as_deref().unwrap_or_default()
            )),
            DbError::InUse(m) => DbError::Invalid(format!("unknown creator: {m}")),
            other => other,
        })?;
        tx.commit().await?;
        Ok::<(), DbError>(())
    })?;
    Ok(version)
}

/// One version; [`DbError::NotFound`] if there is none.
pub async fn get(db: &Db, id: &str) -> DbResult<ProductVersion> {
    let row: Option<ProductVersion> = with_db!(db, |pool, DB| {
        sqlx::query_as(q::<DB>(VERSION_COLUMNS_BY_ID))
            .bind(id)
            .fetch_optional(pool)
            .await?
    });
    row.ok_or_else(|| DbError::not_found("product version", id))
}

/// One version with its product's fields; [`DbError::NotFound`] if there is none.
pub async fn get_info(db: &Db, id: &str) -> DbResult<VersionInfo> {
    let row: Option<VersionInfo> = with_db!(db, |pool, DB| {
        sqlx::query_as(q::<DB>(
            "SELECT pv.id, pv.product_id, pv.version, pv.cpid, p.name AS product_name, \
             p.organization_id, p.public FROM product_version pv \
             JOIN product p ON p.id = pv.product_id WHERE pv.id = $1",
        ))
        .bind(id)
        .fetch_optional(pool)
        .await?
    });
    row.ok_or_else(|| DbError::not_found("product version", id))
}

/// The versions of a product, oldest first (the implicit version comes first).
pub async fn list(db: &Db, product_id: &str) -> DbResult<Vec<ProductVersion>> {
    Ok(with_db!(db, |pool, DB| {
        sqlx::query_as(q::<DB>(
            "SELECT id, product_id, version, cpid, created_by_user, created_at, updated_at \
             FROM product_version WHERE product_id = $1 ORDER BY created_at, id",
        ))
        .bind(product_id)
        .fetch_all(pool)
        .await?
    }))
}

/// Every version with this cpid (auto-association uses it only when there is exactly one).
pub async fn find_by_cpid(db: &Db, cpid: &str) -> DbResult<Vec<ProductVersion>> {
    Ok(with_db!(db, |pool, DB| {
        sqlx::query_as(q::<DB>(
            "SELECT id, product_id, version, cpid, created_by_user, created_at, updated_at \
             FROM product_version WHERE cpid = $1 ORDER BY created_at, id",
        ))
        .bind(cpid)
        .fetch_all(pool)
        .await?
    }))
}

/// Replaces a version's cpid (the only field `PUT .../versions/{id}` changes) and returns it.
pub async fn set_cpid(db: &Db, id: &str, cpid: Option<&str>) -> DbResult<ProductVersion> {
    check_text("cpid", cpid.unwrap_or_default(), MAX_VERSION_LEN)?;
    with_db_write!(db, |pool, DB| {
        let mut tx = DB::begin_write(pool).await?;
        let done = sqlx::query(q::<DB>(
            "UPDATE product_version SET cpid = $1, updated_at = $2 WHERE id = $3",
        ))
        .bind(cpid)
        .bind(now())
        .bind(id)
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() == 0 {
            return Err(DbError::not_found("product version", id));
        }
        let row: ProductVersion = sqlx::query_as(q::<DB>(VERSION_COLUMNS_BY_ID))
            .bind(id)
            .fetch_one(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(row)
    })
}

/// Deletes a version. [`DbError::NotFound`] if it does not exist; [`DbError::InUse`] if
/// test runs are still associated with it.
pub async fn delete(db: &Db, id: &str) -> DbResult<()> {
    let affected = with_db_write!(db, |pool, DB| {
        sqlx::query(q::<DB>("DELETE FROM product_version WHERE id = $1"))
            .bind(id)
            .execute(pool)
            .await
            .map_err(|e| match DbError::from(e) {
                DbError::InUse(_) => DbError::InUse(
                    "Unable to delete. There are still tests associated to this product version."
                        .into(),
                ),
                other => other,
            })?
            .rows_affected()
    });
    if affected == 0 {
        return Err(DbError::not_found("product version", id));
    }
    Ok(())
}
