//! Products (upstream table `product`).
//!
//! A product belongs to an organization; its admins are that organization's members
//! ([`is_admin`]). Creating a product also creates its implicit version
//! (`version = body.version`, usually `None`). `type` is derived from `product_type`:
//! 1 (software) for a distro (`product_type` 0), else 0 (cloud).

use time::PrimitiveDateTime;

use super::versions::{MAX_VERSION_LEN, ProductVersion};
use super::{
    Db, DbError, DbResult, Dialect, MAX_DESCRIPTION_LEN, MAX_PROPERTIES_LEN, check_text,
    check_text_opt, new_id, now, q, row_struct, with_db, with_db_write,
};

/// Longest product name accepted (upstream `VARCHAR(80)`).
pub const MAX_NAME_LEN: usize = 80;

row_struct! {
    /// One product.
    #[derive(Debug, Clone, PartialEq, Eq)]
    pub struct Product {
        /// UUID string: a time-ordered UUIDv7 for new rows (older rows may hold uuid4 ids).
        pub id: String,
        /// Name.
        pub name: String,
        /// Description.
        pub description: Option<String>,
        /// Owning organization (vendor).
        pub organization_id: String,
        /// Creator's openid.
        pub created_by_user: String,
        /// Whether everyone may see the product.
        pub public: bool,
        /// JSON text, if set.
        pub properties: Option<String>,
        /// Column `type`: 0 cloud, 1 software (derived from `product_type`).
        pub kind: i32,
        /// 0 distro, 1 public cloud, 2 hosted private cloud.
        pub product_type: i32,
        /// Creation time (UTC).
        pub created_at: PrimitiveDateTime,
        /// Last update (UTC).
        pub updated_at: Option<PrimitiveDateTime>,
    }
}

/// A product to create with [`create`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewProduct {
    /// Name (at most [`MAX_NAME_LEN`] characters).
    pub name: String,
    /// Description.
    pub description: Option<String>,
    /// Owning organization (must exist).
    pub organization_id: String,
    /// Creator's openid (must be a user).
    pub created_by: String,
    /// 0 distro, 1 public cloud, 2 hosted private cloud.
    pub product_type: i32,
    /// Version string of the implicit first version.
    pub version: Option<String>,
    /// Initial properties (JSON text).
    pub properties: Option<String>,
}

/// Changes for [`update`]: `None` leaves a field alone; `Some(None)` clears it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ProductUpdate {
    /// New name.
    pub name: Option<String>,
    /// New description.
    pub description: Option<Option<String>>,
    /// New visibility.
    pub public: Option<bool>,
    /// New properties (JSON text).
    pub properties: Option<Option<String>>,
}

macro_rules! product_select {
    () => {
        "SELECT p.id, p.name, p.description, p.organization_id, p.created_by_user, p.public, \
         p.properties, p.type AS kind, p.product_type, p.created_at, p.updated_at FROM product p"
    };
}

/// The `type` stored for a `product_type`.
pub fn kind_for(product_type: i32) -> i32 {
    if product_type == 0 { 1 } else { 0 }
}

/// Creates a private product and its implicit version in one transaction.
/// [`DbError::NotFound`] if the organization or the creator does not exist.
pub async fn create(db: &Db, new: &NewProduct) -> DbResult<(Product, ProductVersion)> {
    check_text("name", &new.name, MAX_NAME_LEN)?;
    check_text_opt(
        "description",
        new.description.as_deref(),
        MAX_DESCRIPTION_LEN,
    )?;
    check_text_opt("properties", new.properties.as_deref(), MAX_PROPERTIES_LEN)?;
    check_text(
        "version",
        new.version.as_deref().unwrap_or_default(),
        MAX_VERSION_LEN,
    )?;
    let stamp = now();
    let product = Product {
        id: new_id(),
        name: new.name.clone(),
        description: new.description.clone(),
        organization_id: new.organization_id.clone(),
        created_by_user: new.created_by.clone(),
        public: false,
        properties: new.properties.clone(),
        kind: kind_for(new.product_type),
        product_type: new.product_type,
        created_at: stamp,
        updated_at: None,
    };
    let version = ProductVersion {
        id: new_id(),
        product_id: product.id.clone(),
        version: new.version.clone(),
        cpid: None,
        created_by_user: new.created_by.clone(),
        created_at: stamp,
        updated_at: None,
    };
    with_db_write!(db, |pool, DB| {
        let mut tx = DB::begin_write(pool).await?;
        let org: i64 =
            sqlx::query_scalar(q::<DB>("SELECT COUNT(*) FROM organization WHERE id = $1"))
                .bind(&product.organization_id)
                .fetch_one(&mut *tx)
                .await?;
        if org == 0 {
            return Err(DbError::not_found(
                "organization",
                product.organization_id.as_str(),
            ));
        }
        let user: i64 =
            sqlx::query_scalar(q::<DB>("SELECT COUNT(*) FROM \"user\" WHERE openid = $1"))
                .bind(&product.created_by_user)
                .fetch_one(&mut *tx)
                .await?;
        if user == 0 {
            return Err(DbError::not_found("user", product.created_by_user.as_str()));
        }
        sqlx::query(q::<DB>(
            "INSERT INTO product (id, name, description, organization_id, created_by_user, public, \
             properties, type, product_type, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        ))
        .bind(&product.id)
        .bind(&product.name)
        .bind(&product.description)
        .bind(&product.organization_id)
        .bind(&product.created_by_user)
        .bind(product.public)
        .bind(&product.properties)
        .bind(product.kind)
        .bind(product.product_type)
        .bind(product.created_at)
        .execute(&mut *tx)
        .await?;
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
        .await?;
        tx.commit().await?;
        Ok::<(), DbError>(())
    })?;
    Ok((product, version))
}

/// One product; [`DbError::NotFound`] if there is none.
pub async fn get(db: &Db, id: &str) -> DbResult<Product> {
    let row: Option<Product> = with_db!(db, |pool, DB| {
        sqlx::query_as(q::<DB>(concat!(product_select!(), " WHERE p.id = $1")))
            .bind(id)
            .fetch_optional(pool)
            .await?
    });
    row.ok_or_else(|| DbError::not_found("product", id))
}

fn by_name(mut products: Vec<Product>) -> Vec<Product> {
    // Plain code point order, as upstream's Python sort (independent of DB collations).
    products.sort_by(|a, b| a.name.cmp(&b.name).then_with(|| a.id.cmp(&b.id)));
    products
}

/// Every product (of one organization if given), sorted by name.
pub async fn list(db: &Db, organization_id: Option<&str>) -> DbResult<Vec<Product>> {
    let rows: Vec<Product> = with_db!(db, |pool, DB| {
        match organization_id {
            Some(org) => {
                sqlx::query_as(q::<DB>(concat!(
                    product_select!(),
                    " WHERE p.organization_id = $1"
                )))
                .bind(org)
                .fetch_all(pool)
                .await?
            }
            None => {
                sqlx::query_as(q::<DB>(product_select!()))
                    .fetch_all(pool)
                    .await?
            }
        }
    });
    Ok(by_name(rows))
}

/// The public products (of one organization if given), sorted by name.
pub async fn list_public(db: &Db, organization_id: Option<&str>) -> DbResult<Vec<Product>> {
    let mut rows = list(db, organization_id).await?;
    rows.retain(|p| p.public);
    Ok(rows)
}

/// The products of the organizations `openid` is a member of (of one organization if
/// given), sorted by name.
pub async fn list_for_member(
    db: &Db,
    openid: &str,
    organization_id: Option<&str>,
) -> DbResult<Vec<Product>> {
    let rows: Vec<Product> = with_db!(db, |pool, DB| {
        sqlx::query_as(q::<DB>(concat!(
            product_select!(),
            " JOIN organization o ON o.id = p.organization_id \
             WHERE o.group_id IN (SELECT ug.group_id FROM user_to_group ug WHERE ug.user_openid = $1)"
        )))
        .bind(openid)
        .fetch_all(pool)
        .await?
    });
    let mut rows = by_name(rows);
    if let Some(org) = organization_id {
        rows.retain(|p| p.organization_id == org);
    }
    Ok(rows)
}

/// Applies `changes` and returns the updated product.
pub async fn update(db: &Db, id: &str, changes: &ProductUpdate) -> DbResult<Product> {
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
    let public = changes.public.unwrap_or(current.public);
    let properties = changes.properties.clone().unwrap_or(current.properties);
    let affected = with_db_write!(db, |pool, DB| {
        sqlx::query(q::<DB>(
            "UPDATE product SET name = $1, description = $2, public = $3, properties = $4, \
             updated_at = $5 WHERE id = $6",
        ))
        .bind(&name)
        .bind(&description)
        .bind(public)
        .bind(&properties)
        .bind(now())
        .bind(id)
        .execute(pool)
        .await?
        .rows_affected()
    });
    if affected == 0 {
        return Err(DbError::not_found("product", id));
    }
    get(db, id).await
}

/// Deletes a product and its versions. [`DbError::NotFound`] if it does not exist;
/// [`DbError::InUse`] (nothing deleted) if test runs are associated with a version.
pub async fn delete(db: &Db, id: &str) -> DbResult<()> {
    let affected = with_db_write!(db, |pool, DB| {
        sqlx::query(q::<DB>("DELETE FROM product WHERE id = $1"))
            .bind(id)
            .execute(pool)
            .await
            .map_err(|e| match DbError::from(e) {
                DbError::InUse(_) => DbError::InUse(
                    "Unable to delete. There are still tests associated to versions of this product."
                        .into(),
                ),
                other => other,
            })?
            .rows_affected()
    });
    if affected == 0 {
        return Err(DbError::not_found("product", id));
    }
    Ok(())
}

/// Whether `openid` administers the product (is a member of its organization).
/// [`DbError::NotFound`] if the product does not exist.
pub async fn is_admin(db: &Db, product_id: &str, openid: &str) -> DbResult<bool> {
    let product = get(db, product_id).await?;
    super::vendors::is_member(db, &product.organization_id, openid).await
}
