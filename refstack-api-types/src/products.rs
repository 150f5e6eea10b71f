//! `/v1/products` and `/v1/products/{id}/versions`.

use serde::{Deserialize, Serialize};

use crate::Timestamp;
use crate::serde_util::{double_option, int_enum, non_null, object_only};

int_enum! {
    /// What kind of product this is (`product_type`, chosen by the creator).
    pub enum ProductType {
        /// A distribution / installable software.
        Distro = 0,
        /// A public cloud.
        PublicCloud = 1,
        /// A hosted private cloud.
        HostedPrivateCloud = 2,
    }
}

int_enum! {
    /// The server-derived product `type`: software for distros, cloud
    /// otherwise (see [`ProductType::kind`]).
    pub enum ProductKind {
        /// A cloud (public or hosted private).
        Cloud = 0,
        /// Software (a distro).
        Software = 1,
    }
}

impl ProductType {
    /// The `type` upstream stores for this `product_type`
    /// (`1 if product_type == 0 else 0`).
    pub const fn kind(self) -> ProductKind {
        match self {
            ProductType::Distro => ProductKind::Software,
            ProductType::PublicCloud | ProductType::HostedPrivateCloud => ProductKind::Cloud,
        }
    }
}

/// A product as embedded in a product version (`product_info`), and the
/// default product keys.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ProductInfo {
    /// Product id.
    pub id: String,
    /// Product name.
    pub name: String,
    /// Owning vendor (organization) id.
    pub organization_id: String,
    /// Whether the product is public.
    pub public: bool,
}

/// A product version with its product: the `product_version` of a test run
/// and the answer of `PUT /v1/products/{id}/versions/{vid}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ProductVersionWithProduct {
    /// Version id.
    pub id: String,
    /// Version string; `null` for the implicit version created with the product.
    pub version: Option<String>,
    /// Cloud provider id bound to this version, or `null`.
    pub cpid: Option<String>,
    /// The product.
    pub product_info: ProductInfo,
}

/// A product version as listed by `GET /v1/products/{id}/versions`,
/// returned by `GET .../versions/{vid}` and by `POST .../versions` (201).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ProductVersion {
    /// Version id.
    pub id: String,
    /// Product id.
    pub product_id: String,
    /// Version string; `null` for the implicit version.
    pub version: Option<String>,
    /// Cloud provider id, or `null`.
    pub cpid: Option<String>,
}

/// A product as seen by a non-admin: items of `GET /v1/products` and
/// `GET /v1/products/{id}` of a public product.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ProductSummary {
    /// Product id.
    pub id: String,
    /// Product name.
    pub name: String,
    /// Description, or `null`.
    pub description: Option<String>,
    /// Owning vendor id.
    pub organization_id: String,
    /// Whether the product is public.
    pub public: bool,
    /// Derived kind (`type`).
    #[serde(rename = "type")]
    pub kind: ProductKind,
    /// Product type chosen at creation.
    pub product_type: ProductType,
    /// Whether the caller administers the product.
    pub can_manage: bool,
}

/// A product as seen by an admin (foundation or vendor member):
/// `GET /v1/products/{id}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ProductFull {
    /// Creation time.
    pub created_at: Timestamp,
    /// Last update, or `null`.
    pub updated_at: Option<Timestamp>,
    /// Product id.
    pub id: String,
    /// Product name.
    pub name: String,
    /// Description, or `null`.
    pub description: Option<String>,
    /// Owning vendor id.
    pub organization_id: String,
    /// Openid of the creator.
    pub created_by_user: String,
    /// Whether the product is public.
    pub public: bool,
    /// Free-form properties as a **JSON-encoded string**, or `null`.
    pub properties: Option<String>,
    /// Derived kind (`type`).
    #[serde(rename = "type")]
    pub kind: ProductKind,
    /// Product type chosen at creation.
    pub product_type: ProductType,
    /// Always `true` in this view.
    pub can_manage: bool,
}

/// Answer of `GET /v1/products/{id}`: the full view for admins, the
/// summary for others. Deserialization tries the full view first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum ProductDetail {
    /// Admin view.
    Full(ProductFull),
    /// Non-admin view of a public product.
    Summary(ProductSummary),
}

/// Answer of `GET /v1/products[?organization_id=X]`, sorted by name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ProductList {
    /// The visible products.
    pub products: Vec<ProductSummary>,
}

/// Body of `POST /v1/products` (no unknown keys; a JSON object).
///
/// An absent or empty `organization_id` makes the server use (or create)
/// the caller's private vendor `vendor_<openid>`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(remote = "Self", deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ProductCreateRequest {
    /// Product name (must not be blank).
    pub name: String,
    /// Description.
    #[serde(
        default,
        deserialize_with = "non_null",
        skip_serializing_if = "Option::is_none"
    )]
    #[cfg_attr(feature = "openapi", schema(nullable = false))]
    pub description: Option<String>,
    /// Product type.
    pub product_type: ProductType,
    /// Vendor to create the product under.
    #[serde(
        default,
        deserialize_with = "non_null",
        skip_serializing_if = "Option::is_none"
    )]
    #[cfg_attr(feature = "openapi", schema(nullable = false))]
    pub organization_id: Option<String>,
    /// Version string of the initial product version.
    #[serde(
        default,
        deserialize_with = "non_null",
        skip_serializing_if = "Option::is_none"
    )]
    #[cfg_attr(feature = "openapi", schema(nullable = false))]
    pub version: Option<String>,
}
object_only!(
    ProductCreateRequest,
    "a JSON object with name and product_type"
);

/// Body of `PUT /v1/products/{id}`; every key optional, unknown keys
/// (including the dead `product_ref_id`) ignored.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ProductUpdateRequest {
    /// New name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// New description.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// New publicity: a JSON boolean or a string (`"true"`, `"false"`, ...)
    /// that the server interprets as a boolean.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<Object>))]
    pub public: Option<serde_json::Value>,
    /// New properties: any JSON value (stored JSON-encoded).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<Object>))]
    pub properties: Option<serde_json::Value>,
}

/// Answer of `PUT /v1/products/{id}`: only the default product keys plus
/// `can_manage: true`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ProductUpdateResponse {
    /// Product id.
    pub id: String,
    /// Product name.
    pub name: String,
    /// Owning vendor id.
    pub organization_id: String,
    /// Whether the product is public.
    pub public: bool,
    /// Always `true`.
    pub can_manage: bool,
}

/// Body of `POST /v1/products/{id}/versions` (no unknown keys; a JSON object).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(remote = "Self", deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ProductVersionCreateRequest {
    /// Version string (must not be blank).
    pub version: String,
    /// Cloud provider id.
    #[serde(
        default,
        deserialize_with = "non_null",
        skip_serializing_if = "Option::is_none"
    )]
    #[cfg_attr(feature = "openapi", schema(nullable = false))]
    pub cpid: Option<String>,
}
object_only!(
    ProductVersionCreateRequest,
    "a JSON object with version and optional cpid"
);

/// Body of `PUT /v1/products/{id}/versions/{vid}`: only `cpid` is applied
/// (absent → unchanged, `null` → cleared). Unknown keys are ignored.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ProductVersionUpdateRequest {
    /// New cloud provider id.
    #[serde(
        default,
        deserialize_with = "double_option",
        skip_serializing_if = "Option::is_none"
    )]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>))]
    pub cpid: Option<Option<String>>,
}

/// Answer (201) of `POST /v1/vendors` and `POST /v1/products`: `{"id": ...}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CreatedId {
    /// Id of the new object.
    pub id: String,
}
