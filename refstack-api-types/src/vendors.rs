//! `/v1/vendors`: organizations, their registration workflow and users.

use std::fmt;

use serde::de::{IgnoredAny, MapAccess, Visitor};
use serde::ser::SerializeMap;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::Timestamp;
use crate::serde_util::{int_enum, non_null, object_only};

int_enum! {
    /// Organization (vendor) `type`.
    pub enum OrganizationType {
        /// The foundation itself (its group members are foundation admins).
        Foundation = 0,
        /// A vendor visible only to its members.
        PrivateVendor = 1,
        /// A vendor whose registration awaits foundation approval.
        PendingVendor = 2,
        /// A vendor approved by the foundation (publicly listed).
        OfficialVendor = 3,
    }
}

/// A vendor as listed by `GET /v1/vendors` and as `GET /v1/vendors/{id}`
/// shows it to non-admins.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct VendorSummary {
    /// Organization id.
    pub id: String,
    /// Organization type.
    #[serde(rename = "type")]
    pub kind: OrganizationType,
    /// Name.
    pub name: String,
    /// Description, or `null`.
    pub description: Option<String>,
    /// Whether the caller administers the vendor.
    pub can_manage: bool,
}

/// A vendor as seen by its admins and foundation admins
/// (`GET /v1/vendors/{id}`, and the answer of `PUT /v1/vendors/{id}`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct VendorFull {
    /// Creation time.
    pub created_at: Timestamp,
    /// Last update, or `null`.
    pub updated_at: Option<Timestamp>,
    /// Organization id.
    pub id: String,
    /// Organization type.
    #[serde(rename = "type")]
    pub kind: OrganizationType,
    /// Name.
    pub name: String,
    /// Description, or `null`.
    pub description: Option<String>,
    /// Id of the group whose members administer the vendor.
    pub group_id: String,
    /// Openid of the creator.
    pub created_by_user: String,
    /// Free-form properties as a **JSON-encoded string**, or `null`
    /// (e.g. `"{\"registration_decline_reason\": \"...\"}"`).
    pub properties: Option<String>,
    /// Always `true` in this view.
    pub can_manage: bool,
}

/// Answer of `GET /v1/vendors/{id}`: the full view for admins, the summary
/// for others. Deserialization tries the full view first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum VendorDetail {
    /// Admin view.
    Full(VendorFull),
    /// Non-admin view (foundation and official vendors only).
    Summary(VendorSummary),
}

/// Answer of `GET /v1/vendors`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct VendorList {
    /// The visible vendors.
    pub vendors: Vec<VendorSummary>,
}

/// Body of `POST /v1/vendors` (no unknown keys; a JSON object). The answer
/// is a [`CreatedId`](crate::CreatedId).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(remote = "Self", deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct VendorCreateRequest {
    /// Name (must not be blank).
    pub name: String,
    /// Description.
    #[serde(
        default,
        deserialize_with = "non_null",
        skip_serializing_if = "Option::is_none"
    )]
    #[cfg_attr(feature = "openapi", schema(nullable = false))]
    pub description: Option<String>,
}
object_only!(
    VendorCreateRequest,
    "a JSON object with name and optional description"
);

/// Body of `PUT /v1/vendors/{id}`; every key optional, unknown keys ignored.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct VendorUpdateRequest {
    /// New name (official vendors: foundation admins only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// New description.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// New properties: any JSON value (stored JSON-encoded).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<Object>))]
    pub properties: Option<serde_json::Value>,
}

/// The registration workflow step of `POST /v1/vendors/{id}/action`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum VendorAction {
    /// Vendor member asks for official status (private → pending).
    Register,
    /// Foundation approves (pending → official).
    Approve,
    /// Foundation declines with a reason (pending → private).
    Deny,
    /// Vendor member withdraws the request (pending → private).
    Cancel,
}

impl VendorAction {
    /// Every action, as upstream checks them.
    pub const ALL: [VendorAction; 4] = [
        VendorAction::Register,
        VendorAction::Approve,
        VendorAction::Deny,
        VendorAction::Cancel,
    ];

    /// The body key naming this action.
    pub const fn as_str(self) -> &'static str {
        match self {
            VendorAction::Register => "register",
            VendorAction::Approve => "approve",
            VendorAction::Deny => "deny",
            VendorAction::Cancel => "cancel",
        }
    }

    /// The action named by a body key, if any.
    pub fn from_key(key: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|a| a.as_str() == key)
    }
}

/// Body of `POST /v1/vendors/{id}/action`: exactly one of the keys
/// `register`, `approve`, `deny`, `cancel` (their values are ignored; the
/// UI sends `null`), plus `registration_decline_reason` for `deny`.
/// Other keys are ignored. The answer is 200 with body `null`.
///
/// Serializes as `{"<action>": null}` (+ the reason when set). A body with
/// zero or several action keys fails to deserialize with exactly upstream's
/// message, e.g. `Invalid actions in the body: ['register', 'approve']`
/// (see [`VendorActionRequest::from_json`]).
///
/// ```
/// use refstack_api_types::vendors::{VendorAction, VendorActionRequest};
///
/// let req: VendorActionRequest = serde_json::from_str(r#"{"register": null}"#)?;
/// assert_eq!(req.action, VendorAction::Register);
/// assert_eq!(serde_json::to_string(&req)?, r#"{"register":null}"#);
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VendorActionRequest {
    /// The single requested action.
    pub action: VendorAction,
    /// Why the registration is declined (used by `deny`).
    pub registration_decline_reason: Option<String>,
}

/// Error for a [`VendorActionRequest`] body that is not exactly one action.
///
/// `Display` is upstream's 400 `title`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VendorActionError {
    /// Zero or several action keys; holds the action keys found, in body order.
    #[error("Invalid actions in the body: [{}]", quoted_list(.0))]
    InvalidActions(Vec<String>),
    /// The body is not valid JSON or not an object.
    #[error("Malformed request")]
    Malformed,
}

fn quoted_list(keys: &[String]) -> String {
    keys.iter()
        .map(|k| format!("'{k}'"))
        .collect::<Vec<_>>()
        .join(", ")
}

const DECLINE_REASON: &str = "registration_decline_reason";

impl VendorActionRequest {
    /// A request for `action` without decline reason.
    pub fn new(action: VendorAction) -> Self {
        VendorActionRequest {
            action,
            registration_decline_reason: None,
        }
    }

    /// Parses a raw body with upstream's error messages.
    pub fn from_json(body: &[u8]) -> Result<Self, VendorActionError> {
        let mut de = serde_json::Deserializer::from_slice(body);
        let keys = de
            .deserialize_map(ActionKeysVisitor)
            .map_err(|_| VendorActionError::Malformed)?;
        de.end().map_err(|_| VendorActionError::Malformed)?;
        keys.into_request()
    }
}

/// The keys of an action body, collected in order.
struct ActionKeys {
    actions: Vec<String>,
    reason: Option<String>,
}

impl ActionKeys {
    fn into_request(self) -> Result<VendorActionRequest, VendorActionError> {
        match self.actions.as_slice() {
            [one] => match VendorAction::from_key(one) {
                Some(action) => Ok(VendorActionRequest {
                    action,
                    registration_decline_reason: self.reason,
                }),
                None => Err(VendorActionError::InvalidActions(self.actions)),
            },
            _ => Err(VendorActionError::InvalidActions(self.actions)),
        }
    }
}

struct ActionKeysVisitor;

impl<'de> Visitor<'de> for ActionKeysVisitor {
    type Value = ActionKeys;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON object with one of register, approve, deny, cancel")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<ActionKeys, A::Error> {
        let mut keys = ActionKeys {
            actions: Vec::new(),
            reason: None,
        };
        while let Some(key) = map.next_key::<String>()? {
            if key == DECLINE_REASON {
                keys.reason = map.next_value::<Option<String>>()?;
            } else {
                map.next_value::<IgnoredAny>()?;
                if VendorAction::from_key(&key).is_some() {
                    keys.actions.push(key);
                }
            }
        }
        Ok(keys)
    }
}

impl Serialize for VendorActionRequest {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let len = 1 + usize::from(self.registration_decline_reason.is_some());
        let mut map = serializer.serialize_map(Some(len))?;
        map.serialize_entry(self.action.as_str(), &())?;
        if let Some(reason) = &self.registration_decline_reason {
            map.serialize_entry(DECLINE_REASON, reason)?;
        }
        map.end()
    }
}

impl<'de> Deserialize<'de> for VendorActionRequest {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer
            .deserialize_map(ActionKeysVisitor)?
            .into_request()
            .map_err(serde::de::Error::custom)
    }
}

#[cfg(feature = "openapi")]
impl utoipa::PartialSchema for VendorActionRequest {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        use utoipa::openapi::schema::{ObjectBuilder, Type};
        let mut object = ObjectBuilder::new()
            .schema_type(Type::Object)
            .description(Some(
                "Exactly one of the keys register, approve, deny, cancel (value ignored, \
             usually null); registration_decline_reason is required by deny.",
            ));
        for action in VendorAction::ALL {
            object = object.property(
                action.as_str(),
                ObjectBuilder::new().schema_type(Type::Null),
            );
        }
        object
            .property(
                DECLINE_REASON,
                ObjectBuilder::new().schema_type(Type::String),
            )
            .examples([serde_json::json!({"register": null})])
            .into()
    }
}

#[cfg(feature = "openapi")]
impl utoipa::ToSchema for VendorActionRequest {}

/// A member of a vendor's group (`GET /v1/vendors/{id}/users` items).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct VendorUser {
    /// The user's openid.
    pub openid: String,
    /// E-mail address, or `null`.
    pub email: Option<String>,
    /// Full name, or `null`.
    pub fullname: Option<String>,
}

/// Answer of `GET /v1/vendors/{id}/users`: a bare array for admins;
/// upstream answers `null` to other users.
pub type VendorUsers = Option<Vec<VendorUser>>;
