//! The typed interop guideline model.
//!
//! One model covers every guideline shape RefStack ever consumed:
//!
//! * schema **1.2**: `tests` is a list of names, flags are a capability-level
//!   `flagged` list;
//! * schemas **1.3 to 1.6**: `tests` maps a name to `{idempotent_id, aliases,
//!   flagged}`, programs come from `platform.required`;
//! * schema **2.0**: `metadata`, `platforms`, components holding capabilities
//!   by status, underscored keys;
//! * schema **2.0 add-ons**: `add-ons` instead of `platforms`, components
//!   named `os_powered_<add-on>`.
//!
//! Parse with [`Guideline::from_json`]; errors name the JSON path of the
//! offending value ([`GuidelineError`]).

mod parse;

use std::collections::HashMap;
use std::fmt;

pub use parse::GuidelineError;

/// A guideline schema version this crate understands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Schema {
    /// `"1.2"`: tests are a list of names, flags a capability-level list.
    V1_2,
    /// `"1.3"`: tests become objects with `idempotent_id` and `flagged`.
    V1_3,
    /// `"1.4"`: adds `aliases`.
    V1_4,
    /// `"1.5"`: formal JSON Schema, `cutoff_score`.
    V1_5,
    /// `"1.6"`: stricter properties.
    V1_6,
    /// `"2.0"`: `metadata`, `platforms`/`add-ons`, components by status.
    V2_0,
}

impl Schema {
    /// Parses the version string as written in a guideline (`"1.6"`, `"2.0"`).
    pub fn from_version(version: &str) -> Option<Self> {
        Some(match version {
            "1.2" => Self::V1_2,
            "1.3" => Self::V1_3,
            "1.4" => Self::V1_4,
            "1.5" => Self::V1_5,
            "1.6" => Self::V1_6,
            "2.0" => Self::V2_0,
            _ => return None,
        })
    }

    /// The version string as written in a guideline.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::V1_2 => "1.2",
            Self::V1_3 => "1.3",
            Self::V1_4 => "1.4",
            Self::V1_5 => "1.5",
            Self::V1_6 => "1.6",
            Self::V2_0 => "2.0",
        }
    }

    /// Whether this is a 2.x schema (`metadata`, `platforms`, `add-ons`).
    pub fn is_v2(self) -> bool {
        self == Self::V2_0
    }
}

impl fmt::Display for Schema {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A capability status, as used for component and program lists.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Status {
    /// Must pass now.
    Required,
    /// Proposed for a later guideline; never affects compliance.
    Advisory,
    /// Still listed, about to be removed.
    Deprecated,
    /// Was required or deprecated in the previous guideline.
    Removed,
    /// Any other key found in a status map (kept verbatim, matched only by
    /// name in test-list queries).
    Other(String),
}

impl Status {
    /// The four statuses the upstream UI scores, in priority order.
    pub const SCORED: [Status; 4] = [
        Status::Required,
        Status::Advisory,
        Status::Deprecated,
        Status::Removed,
    ];

    /// Parses a status key; unknown keys become [`Status::Other`].
    pub fn parse(key: &str) -> Self {
        match key {
            "required" => Self::Required,
            "advisory" => Self::Advisory,
            "deprecated" => Self::Deprecated,
            "removed" => Self::Removed,
            other => Self::Other(other.to_owned()),
        }
    }

    /// The key as written in guidelines and RefStack queries.
    pub fn as_str(&self) -> &str {
        match self {
            Self::Required => "required",
            Self::Advisory => "advisory",
            Self::Deprecated => "deprecated",
            Self::Removed => "removed",
            Self::Other(s) => s,
        }
    }

    /// The upstream UI's priority (`required` 1 … `removed` 4); `None` for
    /// statuses the UI does not know.
    pub fn priority(&self) -> Option<u8> {
        match self {
            Self::Required => Some(1),
            Self::Advisory => Some(2),
            Self::Deprecated => Some(3),
            Self::Removed => Some(4),
            Self::Other(_) => None,
        }
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A status with the names listed under it (capability ids in a component,
/// component names in a 1.x `platform`), in document order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusList {
    /// The status key.
    pub status: Status,
    /// The names listed under it.
    pub names: Vec<String>,
}

/// A reference to a component, as 2.0 programs list them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ComponentRef {
    /// Component name, e.g. `os_powered_compute`.
    pub name: String,
    /// URL of another guideline defining the component, if not this one.
    pub source: Option<String>,
}

/// A 2.0 program: an entry of `platforms` or of `add-ons`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Program {
    /// The program name, e.g. `OpenStack Powered Platform` or `DNS`.
    pub name: String,
    /// Free-text description.
    pub description: Option<String>,
    /// The components making up the program.
    pub components: Vec<ComponentRef>,
    /// Add-ons only: platform components the add-on requires.
    pub required_platform_components: Vec<ComponentRef>,
    /// Add-ons only: platform components the add-on may use.
    pub optional_platform_components: Vec<ComponentRef>,
}

/// A component: capability ids grouped by status, in document order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Component {
    /// Component name: `compute`/`object` (1.x), `os_powered_<x>` (2.0).
    pub name: String,
    /// Capability ids by status, in document order.
    pub capabilities: Vec<StatusList>,
}

/// A flag turning a must-pass test into an optional one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Flag {
    /// Where the flag came from.
    pub key: FlagKey,
    /// The reason, parsed leniently.
    pub reason: Option<FlagReason>,
    /// How the flag will be resolved.
    pub action: Option<String>,
    /// When the flag was set (`yyyy-mm-dd` by convention, kept verbatim).
    pub date: Option<String>,
    /// The flag value was JSON `null`, `false`, an empty object or an empty
    /// string. Upstream's test-list endpoint then treats the test as not
    /// flagged (a Python truthiness test) while its UI treats it as flagged
    /// (a key presence test); both behaviours are reproduced.
    pub empty: bool,
}

impl Flag {
    /// Whether RefStack (server and UI) reads this flag at all: only the
    /// `flagged` key (and the 1.2 capability list) counts upstream; the
    /// `flag` key documented by the 2.0 schema is ignored there.
    pub fn read_upstream(&self) -> bool {
        matches!(self.key, FlagKey::Flagged | FlagKey::CapabilityList)
    }
}

/// The key a [`Flag`] was read from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FlagKey {
    /// `tests.<name>.flagged` (1.3+, every real 2.0 file).
    Flagged,
    /// `tests.<name>.flag` (what the 2.0 JSON Schema documents; ignored by
    /// RefStack).
    Flag,
    /// The schema 1.2 capability-level `flagged` list.
    CapabilityList,
}

/// A flag reason such as `[D401] This test is skipped …`, `D400 …`, or plain
/// text with no code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FlagReason {
    /// The `Dnnn` code (HACKING D400–D406), if the reason starts with one.
    pub code: Option<u16>,
    /// The text after the code (the whole reason when there is no code).
    pub text: String,
    /// The reason exactly as written.
    pub raw: String,
}

impl FlagReason {
    /// Parses a reason leniently: `[D401] text`, `D400 text`, `D400: text`,
    /// or text without a code.
    pub fn parse(raw: &str) -> Self {
        let trimmed = raw.trim_start();
        let (inner, bracketed) = match trimmed.strip_prefix('[') {
            Some(rest) => (rest, true),
            None => (trimmed, false),
        };
        let code = inner
            .strip_prefix('D')
            .or_else(|| inner.strip_prefix('d'))
            .and_then(|rest| {
                let digits = rest.get(..3)?;
                if digits.bytes().all(|b| b.is_ascii_digit()) {
                    let after = &rest[3..];
                    let after = if bracketed {
                        after.strip_prefix(']')?
                    } else {
                        after
                    };
                    // A code must stand alone: `D4001` is not a code.
                    if after
                        .chars()
                        .next()
                        .is_some_and(|c| c.is_ascii_alphanumeric())
                    {
                        return None;
                    }
                    Some((digits.parse::<u16>().ok()?, after))
                } else {
                    None
                }
            });
        match code {
            Some((code, after)) => {
                let text = after
                    .trim_start_matches(|c: char| c == ':' || c == '-' || c.is_whitespace())
                    .to_owned();
                Self {
                    code: Some(code),
                    text,
                    raw: raw.to_owned(),
                }
            }
            None => Self {
                code: None,
                text: raw.trim().to_owned(),
                raw: raw.to_owned(),
            },
        }
    }
}

/// One test of a capability.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Test {
    /// The fully qualified test name at approval time (the map key).
    pub name: String,
    /// The Tempest idempotent id exactly as stored: `id-<uuid>` in platform
    /// files, a bare `<uuid>` in add-on files; `None` for schema 1.2.
    pub idempotent_id: Option<String>,
    /// Other names of the same test, in document order.
    pub aliases: Vec<String>,
    /// The flag, if any key carried one.
    pub flag: Option<Flag>,
}

impl Test {
    /// The idempotent id as a bare lower-case uuid (`id-` prefix removed).
    pub fn uuid(&self) -> Option<String> {
        self.idempotent_id.as_deref().map(normalize_uuid)
    }

    /// Flagged for RefStack's test-list endpoint (`if details.get('flagged')`).
    pub fn flagged_for_test_list(&self) -> bool {
        self.flag
            .as_ref()
            .is_some_and(|f| f.read_upstream() && !f.empty)
    }

    /// Flagged for RefStack's UI scoring (`'flagged' in details`).
    pub fn flagged_for_scoring(&self) -> bool {
        self.flag.as_ref().is_some_and(Flag::read_upstream)
    }

    /// Every name this test answers to: the key, then the aliases.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        std::iter::once(self.name.as_str()).chain(self.aliases.iter().map(String::as_str))
    }
}

/// Strips an `id-` prefix and lower-cases a uuid, so guideline ids and
/// uploaded uuids compare equal.
pub fn normalize_uuid(id: &str) -> String {
    normalized_uuid(id).into_owned()
}

/// [`normalize_uuid`] without allocating when the id is already bare
/// lower case.
pub(crate) fn normalized_uuid(id: &str) -> std::borrow::Cow<'_, str> {
    let id = id.trim();
    let bare = id.strip_prefix("id-").unwrap_or(id);
    if bare.bytes().any(|b| b.is_ascii_uppercase()) {
        std::borrow::Cow::Owned(bare.to_ascii_lowercase())
    } else {
        std::borrow::Cow::Borrowed(bare)
    }
}

/// A capability and its tests.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Capability {
    /// Capability id, e.g. `compute-servers-create`.
    pub id: String,
    /// Description (absent in a few real files, which misspell the key).
    pub description: Option<String>,
    /// Designated-section project, e.g. `nova`.
    pub project: Option<String>,
    /// Needs admin credentials.
    pub admin: Option<bool>,
    /// Criteria keys the capability meets.
    pub achievements: Vec<String>,
    /// Guideline in which the capability became required.
    pub required_since: Option<String>,
    /// The tests, in document order. Schema 1.2 lists may repeat a name;
    /// later schemas key tests by name (a repeated key keeps the last
    /// value at the first position, like Python's `json`).
    pub tests: Vec<Test>,
}

/// A test repository (`test_repositories` / `test-repositories`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TestRepository {
    /// Repository key, e.g. `tempest`.
    pub name: String,
    /// Repository URL (`repository` in 2.0, `url` in 1.x).
    pub url: Option<String>,
    /// Pinned reference (`reference` in 2.0, `git-sha` in 1.x).
    pub reference: Option<String>,
}

/// A parsed interop guideline.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Guideline {
    /// The schema version.
    pub schema: Schema,
    /// Guideline id: `2020.06`, `next`, `dns.2020.06`, …
    pub id: Option<String>,
    /// `draft`, `advisory`, `approved`, `superseded` (kept verbatim).
    pub status: Option<String>,
    /// Covered OpenStack releases.
    pub releases: Vec<String>,
    /// The guideline this one replaces.
    pub replaces: Option<String>,
    /// Target approval date/id.
    pub target_approval: Option<String>,
    /// Minimum capability score (`cutoff_score`).
    pub cutoff_score: Option<u32>,
    /// URL of the schema document.
    pub reference: Option<String>,
    /// URL of this file or its repository.
    pub source: Option<String>,
    /// Schema 1.x: components of the platform program, by status.
    pub legacy_platform: Option<Vec<StatusList>>,
    /// Schema 2.0: the `platforms` programs.
    pub platforms: Option<Vec<Program>>,
    /// Schema 2.0 add-on files: the `add-ons` programs.
    pub add_ons: Option<Vec<Program>>,
    /// Components, in document order.
    pub components: Vec<Component>,
    /// Capabilities, in document order.
    pub capabilities: Vec<Capability>,
    /// Test repositories, in document order.
    pub test_repositories: Vec<TestRepository>,
    capability_index: HashMap<String, usize>,
    component_index: HashMap<String, usize>,
}

impl Guideline {
    /// Parses a guideline document from its JSON bytes.
    ///
    /// # Errors
    /// [`GuidelineError`] naming the JSON path of the first offending value,
    /// or the unsupported schema version.
    pub fn from_json(bytes: &[u8]) -> Result<Self, GuidelineError> {
        parse::parse(bytes)
    }

    /// Looks a capability up by id.
    pub fn capability(&self, id: &str) -> Option<&Capability> {
        self.capability_index
            .get(id)
            .and_then(|&i| self.capabilities.get(i))
    }

    /// Looks a component up by name.
    pub fn component(&self, name: &str) -> Option<&Component> {
        self.component_index
            .get(name)
            .and_then(|&i| self.components.get(i))
    }

    /// Whether the document has an `add-ons` key (an add-on guideline).
    pub fn is_add_on(&self) -> bool {
        self.add_ons.is_some()
    }

    /// Looks a 2.0 platform program up by name.
    pub fn platform(&self, name: &str) -> Option<&Program> {
        self.platforms.as_ref()?.iter().find(|p| p.name == name)
    }

    /// Every distinct test name and alias with its capability, in document
    /// order (convenience for tools that index guidelines).
    pub fn tests(&self) -> impl Iterator<Item = (&Capability, &Test)> {
        self.capabilities
            .iter()
            .flat_map(|c| c.tests.iter().map(move |t| (c, t)))
    }

    pub(crate) fn build_indexes(&mut self) {
        self.capability_index = self
            .capabilities
            .iter()
            .enumerate()
            .map(|(i, c)| (c.id.clone(), i))
            .collect();
        self.component_index = self
            .components
            .iter()
            .enumerate()
            .map(|(i, c)| (c.name.clone(), i))
            .collect();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flag_reasons_parse_leniently() {
        let r = FlagReason::parse("[D401] This test is skipped");
        assert_eq!(r.code, Some(401));
        assert_eq!(r.text, "This test is skipped");
        let r = FlagReason::parse("D400 This test requires admin credentials.");
        assert_eq!(r.code, Some(400));
        assert_eq!(r.text, "This test requires admin credentials.");
        let r = FlagReason::parse("D406: removed");
        assert_eq!(r.code, Some(406));
        assert_eq!(r.text, "removed");
        let r = FlagReason::parse("Resize capabilities use an insecure mechanism");
        assert_eq!(r.code, None);
        assert_eq!(r.text, "Resize capabilities use an insecure mechanism");
        let r = FlagReason::parse("D4001 not a code");
        assert_eq!(r.code, None);
        let r = FlagReason::parse("[D40] short");
        assert_eq!(r.code, None);
        let r = FlagReason::parse("[D402 unterminated");
        assert_eq!(r.code, None);
        assert_eq!(r.raw, "[D402 unterminated");
        let r = FlagReason::parse("");
        assert_eq!(r.code, None);
        assert_eq!(r.text, "");
    }

    #[test]
    fn uuids_normalize() {
        assert_eq!(normalize_uuid("id-ABC-def"), "abc-def");
        assert_eq!(normalize_uuid("abc-def"), "abc-def");
    }

    #[test]
    fn statuses_round_trip() {
        for s in [
            "required",
            "advisory",
            "deprecated",
            "removed",
            "informational",
        ] {
            assert_eq!(Status::parse(s).as_str(), s);
        }
        assert_eq!(Status::parse("informational").priority(), None);
        assert!(Status::Required.priority() < Status::Removed.priority());
    }
}
