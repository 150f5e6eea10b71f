//! `/v1/guidelines`: the guideline list and the test-list query.
//!
//! `GET /v1/guidelines/{file}` answers the guideline document exactly as
//! fetched from the source (use `serde_json::Value`), and
//! `GET /v1/guidelines/{version}/tests` answers plain text; neither has a
//! type here beyond [`TestListQuery`].

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// One guideline file in [`GuidelineList`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct GuidelineFile {
    /// Version part of the file name: `2020.06.json`, `next.json`.
    pub name: String,
    /// File name: `2020.06.json`, or `dns.2020.06.json` for an add-on.
    pub file: String,
}

/// Answer of `GET /v1/guidelines`: `powered` plus one key per add-on
/// prefix (`dns`, `orchestration`, ...).
///
/// ```
/// use refstack_api_types::guidelines::GuidelineList;
///
/// let list: GuidelineList = serde_json::from_str(
///     r#"{"dns": [{"name": "2020.06.json", "file": "dns.2020.06.json"}],
///         "powered": [{"name": "2020.06.json", "file": "2020.06.json"}]}"#,
/// )?;
/// assert_eq!(list.powered[0].file, "2020.06.json");
/// assert_eq!(list.add_ons["dns"][0].file, "dns.2020.06.json");
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct GuidelineList {
    /// Add-on guidelines keyed by prefix (the file name before the first
    /// dot). Serialized before `powered`, as upstream does.
    #[serde(flatten)]
    pub add_ons: BTreeMap<String, Vec<GuidelineFile>>,
    /// The OpenStack Powered guidelines, in source listing order.
    pub powered: Vec<GuidelineFile>,
}

/// Query parameters of `GET /v1/guidelines/{version}/tests`, kept as raw
/// strings (upstream parses them loosely: `type` is comma-separated,
/// `alias`/`flag` are true iff lower-cased in `true`, `yes`, `1`; an empty
/// value means the default).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema, utoipa::IntoParams))]
#[cfg_attr(feature = "openapi", into_params(parameter_in = Query))]
pub struct TestListQuery {
    /// Target program (default `platform`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target: Option<String>,
    /// Comma-separated capability statuses (default: all).
    #[serde(rename = "type", default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    /// Include test aliases (default true).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alias: Option<String>,
    /// Include flagged tests (default true).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub flag: Option<String>,
}

/// The target programs upstream 2.1.0 knows (the `target` meta value and
/// the `target` parameter of the test list).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum Target {
    /// OpenStack Powered Platform.
    Platform,
    /// OpenStack Powered Compute.
    Compute,
    /// OpenStack Powered Storage.
    Object,
    /// DNS add-on.
    Dns,
    /// Orchestration add-on.
    Orchestration,
    /// Shared file system add-on.
    SharedFileSystem,
    /// Load balancer add-on.
    LoadBalancer,
    /// Key manager add-on.
    KeyManager,
}

impl Target {
    /// Every target.
    pub const ALL: [Target; 8] = [
        Target::Platform,
        Target::Compute,
        Target::Object,
        Target::Dns,
        Target::Orchestration,
        Target::SharedFileSystem,
        Target::LoadBalancer,
        Target::KeyManager,
    ];

    /// The wire name (`platform`, `shared_file_system`, ...).
    pub const fn as_str(self) -> &'static str {
        match self {
            Target::Platform => "platform",
            Target::Compute => "compute",
            Target::Object => "object",
            Target::Dns => "dns",
            Target::Orchestration => "orchestration",
            Target::SharedFileSystem => "shared_file_system",
            Target::LoadBalancer => "load_balancer",
            Target::KeyManager => "key_manager",
        }
    }

    /// The target with this wire name, if any.
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|t| t.as_str() == name)
    }

    /// Whether this target is an add-on program (served by add-on files
    /// such as `dns.2020.06.json`).
    pub const fn is_add_on(self) -> bool {
        !matches!(self, Target::Platform | Target::Compute | Target::Object)
    }
}
