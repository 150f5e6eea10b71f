//! JSON → [`Guideline`]: private raw shapes per schema, converted into the
//! one public model. Every error carries the JSON path of the bad value.

use std::fmt::{self, Write as _};
use std::marker::PhantomData;

use serde::de::{DeserializeOwned, MapAccess, Visitor};
use serde::{Deserialize, Deserializer};
use serde_json::Value;

use super::{
    Capability, Component, ComponentRef, Flag, FlagKey, FlagReason, Guideline, Program, Schema,
    Status, StatusList, Test, TestRepository,
};

/// Why a guideline document could not be parsed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum GuidelineError {
    /// The document is not valid JSON, or a value has the wrong shape.
    #[error("malformed guideline at {path}: {message}")]
    Malformed {
        /// JSON path of the offending value, e.g.
        /// `$.capabilities["compute-servers-create"].tests`.
        path: String,
        /// What is wrong there.
        message: String,
    },
    /// The schema version is not one of 1.2, 1.3, 1.4, 1.5, 1.6, 2.0.
    #[error("unsupported guideline schema {version:?} at {path}")]
    UnsupportedSchema {
        /// `$.schema` or `$.metadata.schema`.
        path: String,
        /// The version found.
        version: String,
    },
    /// Neither `metadata.schema` nor `schema` is present.
    #[error("guideline has no schema version at $.schema or $.metadata.schema")]
    MissingSchema,
}

impl GuidelineError {
    /// The JSON path the error refers to, when there is one.
    pub fn path(&self) -> Option<&str> {
        match self {
            Self::Malformed { path, .. } | Self::UnsupportedSchema { path, .. } => Some(path),
            Self::MissingSchema => None,
        }
    }
}

/// Appends one map-key segment to a JSON path: `.key` for plain keys,
/// `["key"]` for keys with dots or other punctuation (test names).
fn push_key(path: &mut String, key: &str) {
    let plain = !key.is_empty()
        && key
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
    if plain {
        path.push('.');
        path.push_str(key);
    } else {
        path.push('[');
        // Debug formatting of a str gives a quoted, escaped string.
        let _ = write!(path, "{key:?}");
        path.push(']');
    }
}

fn render_path(path: &serde_path_to_error::Path) -> String {
    let mut out = String::from("$");
    for segment in path.iter() {
        match segment {
            serde_path_to_error::Segment::Seq { index } => {
                let _ = write!(out, "[{index}]");
            }
            serde_path_to_error::Segment::Map { key } => push_key(&mut out, key),
            serde_path_to_error::Segment::Enum { variant } => push_key(&mut out, variant),
            serde_path_to_error::Segment::Unknown => out.push_str(".?"),
        }
    }
    out
}

fn deserialize<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, GuidelineError> {
    // Fast path without path tracking; only a failing document is parsed a
    // second time to find the path of the error.
    if let Ok(value) = serde_json::from_slice(bytes) {
        return Ok(value);
    }
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let value = serde_path_to_error::deserialize(&mut de).map_err(|e| {
        let path = render_path(e.path());
        GuidelineError::Malformed {
            path,
            message: e.into_inner().to_string(),
        }
    })?;
    de.end().map_err(|e| GuidelineError::Malformed {
        path: "$".to_owned(),
        message: e.to_string(),
    })?;
    Ok(value)
}

/// A JSON object read into a vector, keeping document order. A repeated key
/// keeps its first position and its last value (Python `json` semantics).
struct OrderedMap<T>(Vec<(String, T)>);

impl<'de, T: Deserialize<'de>> Deserialize<'de> for OrderedMap<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct MapVisitor<T>(PhantomData<T>);
        impl<'de, T: Deserialize<'de>> Visitor<'de> for MapVisitor<T> {
            type Value = OrderedMap<T>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a JSON object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                let mut out: Vec<(String, T)> = Vec::with_capacity(map.size_hint().unwrap_or(0));
                while let Some(key) = map.next_key::<String>()? {
                    let value = map.next_value::<T>()?;
                    match out.iter_mut().find(|(k, _)| *k == key) {
                        Some(slot) => slot.1 = value,
                        None => out.push((key, value)),
                    }
                }
                Ok(OrderedMap(out))
            }
        }
        deserializer.deserialize_map(MapVisitor(PhantomData))
    }
}

/// Keeps `Some(Value::Null)` for a present `null` (serde's `Option` would
/// fold it into `None`).
fn present<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<Value>, D::Error> {
    Value::deserialize(deserializer).map(Some)
}

/// `cutoff_score` is a number in 2.0 files and a string (`"74"`) in 1.x.
fn lenient_score<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<u32>, D::Error> {
    use serde::de::Error as _;
    match Option::<Value>::deserialize(deserializer)? {
        None => Ok(None),
        Some(Value::Number(n)) => n
            .as_u64()
            .and_then(|v| u32::try_from(v).ok())
            .map(Some)
            .ok_or_else(|| D::Error::custom(format!("expected a whole score, found {n}"))),
        Some(Value::String(s)) if s.trim().is_empty() => Ok(None),
        Some(Value::String(s)) => s
            .trim()
            .parse()
            .map(Some)
            .map_err(|_| D::Error::custom(format!("expected a whole score, found {s:?}"))),
        Some(other) => Err(D::Error::custom(format!(
            "expected a number or numeric string, found {other}"
        ))),
    }
}

#[derive(Deserialize)]
struct Probe {
    #[serde(default)]
    metadata: Option<ProbeMeta>,
    #[serde(default)]
    schema: Option<String>,
}

#[derive(Deserialize)]
struct ProbeMeta {
    #[serde(default)]
    schema: Option<String>,
}

#[derive(Deserialize)]
struct RawV1<C> {
    #[serde(default)]
    id: Option<String>,
    schema: String,
    #[serde(default)]
    status: Option<String>,
    #[serde(default)]
    releases: Option<Vec<String>>,
    #[serde(default)]
    replaces: Option<String>,
    #[serde(default)]
    target_approval: Option<String>,
    #[serde(default, deserialize_with = "lenient_score")]
    cutoff_score: Option<u32>,
    #[serde(default)]
    reference: Option<String>,
    #[serde(default)]
    source: Option<String>,
    #[serde(default)]
    platform: Option<OrderedMap<Vec<String>>>,
    components: OrderedMap<OrderedMap<Vec<String>>>,
    capabilities: OrderedMap<C>,
    #[serde(default, rename = "test-repositories")]
    test_repositories: Option<OrderedMap<RawRepo>>,
}

#[derive(Deserialize)]
struct RawV2 {
    metadata: RawMeta,
    #[serde(default)]
    platforms: Option<OrderedMap<RawProgram>>,
    #[serde(default, rename = "add-ons")]
    add_ons: Option<OrderedMap<RawProgram>>,
    components: OrderedMap<RawComponentV2>,
    capabilities: OrderedMap<RawCapMap>,
    #[serde(default)]
    test_repositories: Option<OrderedMap<RawRepo>>,
}

#[derive(Deserialize)]
struct RawMeta {
    #[serde(default)]
    id: Option<String>,
    #[serde(default)]
    reference: Option<String>,
    #[serde(default)]
    source: Option<String>,
    #[serde(default)]
    scoring: Option<RawScoring>,
    #[serde(default)]
    os_trademark_approval: Option<RawApproval>,
}

#[derive(Deserialize)]
struct RawScoring {
    #[serde(default, deserialize_with = "lenient_score")]
    cutoff_score: Option<u32>,
}

#[derive(Deserialize)]
struct RawApproval {
    #[serde(default)]
    target_approval: Option<String>,
    #[serde(default)]
    replaces: Option<String>,
    #[serde(default)]
    releases: Option<Vec<String>>,
    #[serde(default)]
    status: Option<String>,
}

#[derive(Deserialize)]
struct RawProgram {
    #[serde(default)]
    description: Option<String>,
    #[serde(default)]
    components: Option<Vec<RawRef>>,
    #[serde(default)]
    required_platform_components: Option<Vec<RawRef>>,
    #[serde(default)]
    optional_platform_components: Option<Vec<RawRef>>,
}

#[derive(Deserialize)]
struct RawRef {
    name: String,
    #[serde(default)]
    source: Option<String>,
}

#[derive(Deserialize)]
struct RawComponentV2 {
    capabilities: OrderedMap<Vec<String>>,
}

#[derive(Deserialize)]
struct RawRepo {
    #[serde(default)]
    repository: Option<String>,
    #[serde(default)]
    url: Option<String>,
    #[serde(default)]
    reference: Option<String>,
    #[serde(default, rename = "git-sha")]
    git_sha: Option<String>,
}

/// A schema 1.2 capability: tests are names, flags a capability-level list.
#[derive(Deserialize)]
struct RawCap12 {
    tests: Vec<String>,
    #[serde(default)]
    flagged: Option<Vec<String>>,
    #[serde(default)]
    description: Option<String>,
    #[serde(default)]
    project: Option<String>,
    #[serde(default)]
    admin: Option<bool>,
    #[serde(default)]
    achievements: Option<Vec<String>>,
    #[serde(default, alias = "required-since")]
    required_since: Option<String>,
}

/// A 1.3+ capability: tests keyed by name.
#[derive(Deserialize)]
struct RawCapMap {
    tests: OrderedMap<RawTest>,
    #[serde(default)]
    description: Option<String>,
    #[serde(default)]
    project: Option<String>,
    #[serde(default)]
    admin: Option<bool>,
    #[serde(default)]
    achievements: Option<Vec<String>>,
    #[serde(default, alias = "required-since")]
    required_since: Option<String>,
}

#[derive(Deserialize)]
struct RawTest {
    #[serde(default)]
    idempotent_id: Option<String>,
    #[serde(default)]
    aliases: Option<Vec<String>>,
    #[serde(default, deserialize_with = "present")]
    flagged: Option<Value>,
    #[serde(default, deserialize_with = "present")]
    flag: Option<Value>,
}

/// What the schema probe saw at the top level.
#[derive(Default)]
struct ProbeState {
    /// A `metadata.schema` >= "2.0": decisive, the scan stopped there.
    decisive: Option<String>,
    schema: Option<String>,
}

/// Scans the top-level keys for the schema version, stopping as soon as a
/// `metadata.schema` >= "2.0" decides it (2.0 files put `metadata` first),
/// so a 2.0 document is not scanned twice.
struct ProbeSeed<'s>(&'s mut ProbeState);

/// The message of the error that stops the scan early (never surfaced).
const PROBE_STOP: &str = "schema probe: decided";

impl<'de> serde::de::DeserializeSeed<'de> for ProbeSeed<'_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for ProbeSeed<'_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON object")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        use serde::de::Error as _;
        while let Some(key) = map.next_key::<String>()? {
            match key.as_str() {
                "metadata" => {
                    let meta: Option<ProbeMeta> = map.next_value()?;
                    if let Some(v) = meta.and_then(|m| m.schema)
                        && v.as_str() >= "2.0"
                    {
                        self.0.decisive = Some(v);
                        return Err(A::Error::custom(PROBE_STOP));
                    }
                }
                "schema" => self.0.schema = map.next_value()?,
                _ => {
                    map.next_value::<serde::de::IgnoredAny>()?;
                }
            }
        }
        Ok(())
    }
}

/// The schema version and the path it was read from, by RefStack's rule
/// (string comparison included):
/// `metadata.schema if 'metadata' in g and metadata.schema >= '2.0' else schema`.
fn probe_schema(bytes: &[u8]) -> Result<(String, &'static str), GuidelineError> {
    use serde::de::DeserializeSeed as _;
    let mut state = ProbeState::default();
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let scanned = ProbeSeed(&mut state)
        .deserialize(&mut de)
        .and_then(|()| de.end());
    if let Some(v) = state.decisive {
        return Ok((v, "$.metadata.schema"));
    }
    let schema = match scanned {
        Ok(()) => state.schema,
        // Malformed: let the path-tracking probe name the place.
        Err(_) => {
            let probe: Probe = deserialize(bytes)?;
            match probe.metadata.and_then(|m| m.schema) {
                Some(v) if v.as_str() >= "2.0" => return Ok((v, "$.metadata.schema")),
                _ => probe.schema,
            }
        }
    };
    schema
        .map(|v| (v, "$.schema"))
        .ok_or(GuidelineError::MissingSchema)
}

pub(super) fn parse(bytes: &[u8]) -> Result<Guideline, GuidelineError> {
    let (version, path) = probe_schema(bytes)?;
    let schema =
        Schema::from_version(&version).ok_or_else(|| GuidelineError::UnsupportedSchema {
            path: path.to_owned(),
            version: version.clone(),
        })?;
    let mut guideline = match schema {
        Schema::V2_0 => convert_v2(deserialize::<RawV2>(bytes)?)?,
        Schema::V1_2 => {
            let raw: RawV1<RawCap12> = deserialize(bytes)?;
            let (mut g, caps) = convert_v1_common(raw, schema);
            g.capabilities = caps
                .into_iter()
                .map(|(id, c)| convert_cap12(id, c))
                .collect();
            g
        }
        _ => {
            let raw: RawV1<RawCapMap> = deserialize(bytes)?;
            let (mut g, caps) = convert_v1_common(raw, schema);
            g.capabilities = caps
                .into_iter()
                .map(|(id, c)| convert_cap_map(id, c))
                .collect::<Result<_, _>>()?;
            g
        }
    };
    guideline.build_indexes();
    Ok(guideline)
}

fn status_lists(map: OrderedMap<Vec<String>>) -> Vec<StatusList> {
    map.0
        .into_iter()
        .map(|(status, names)| StatusList {
            status: Status::parse(&status),
            names,
        })
        .collect()
}

fn repositories(map: Option<OrderedMap<RawRepo>>) -> Vec<TestRepository> {
    map.map(|m| m.0)
        .unwrap_or_default()
        .into_iter()
        .map(|(name, r)| TestRepository {
            name,
            url: r.repository.or(r.url),
            reference: r.reference.or(r.git_sha),
        })
        .collect()
}

fn empty_guideline(schema: Schema) -> Guideline {
    Guideline {
        schema,
        id: None,
        status: None,
        releases: Vec::new(),
        replaces: None,
        target_approval: None,
        cutoff_score: None,
        reference: None,
        source: None,
        legacy_platform: None,
        platforms: None,
        add_ons: None,
        components: Vec::new(),
        capabilities: Vec::new(),
        test_repositories: Vec::new(),
        capability_index: Default::default(),
        component_index: Default::default(),
    }
}

fn convert_v1_common<C>(raw: RawV1<C>, schema: Schema) -> (Guideline, Vec<(String, C)>) {
    debug_assert_eq!(Schema::from_version(&raw.schema), Some(schema));
    let mut g = empty_guideline(schema);
    g.id = raw.id;
    g.status = raw.status;
    g.releases = raw.releases.unwrap_or_default();
    g.replaces = raw.replaces;
    g.target_approval = raw.target_approval;
    g.cutoff_score = raw.cutoff_score;
    g.reference = raw.reference;
    g.source = raw.source;
    g.legacy_platform = raw.platform.map(status_lists);
    g.components = raw
        .components
        .0
        .into_iter()
        .map(|(name, statuses)| Component {
            name,
            capabilities: status_lists(statuses),
        })
        .collect();
    g.test_repositories = repositories(raw.test_repositories);
    (g, raw.capabilities.0)
}

fn convert_refs(refs: Option<Vec<RawRef>>) -> Vec<ComponentRef> {
    refs.unwrap_or_default()
        .into_iter()
        .map(|r| ComponentRef {
            name: r.name,
            source: r.source,
        })
        .collect()
}

fn convert_programs(map: OrderedMap<RawProgram>) -> Vec<Program> {
    map.0
        .into_iter()
        .map(|(name, p)| Program {
            name,
            description: p.description,
            components: convert_refs(p.components),
            required_platform_components: convert_refs(p.required_platform_components),
            optional_platform_components: convert_refs(p.optional_platform_components),
        })
        .collect()
}

fn convert_v2(raw: RawV2) -> Result<Guideline, GuidelineError> {
    let mut g = empty_guideline(Schema::V2_0);
    g.id = raw.metadata.id;
    g.reference = raw.metadata.reference;
    g.source = raw.metadata.source;
    g.cutoff_score = raw.metadata.scoring.and_then(|s| s.cutoff_score);
    if let Some(a) = raw.metadata.os_trademark_approval {
        g.target_approval = a.target_approval;
        g.replaces = a.replaces;
        g.releases = a.releases.unwrap_or_default();
        g.status = a.status;
    }
    g.platforms = raw.platforms.map(convert_programs);
    g.add_ons = raw.add_ons.map(convert_programs);
    g.components = raw
        .components
        .0
        .into_iter()
        .map(|(name, c)| Component {
            name,
            capabilities: status_lists(c.capabilities),
        })
        .collect();
    g.capabilities = raw
        .capabilities
        .0
        .into_iter()
        .map(|(id, c)| convert_cap_map(id, c))
        .collect::<Result<_, _>>()?;
    g.test_repositories = repositories(raw.test_repositories);
    Ok(g)
}

fn convert_cap12(id: String, raw: RawCap12) -> Capability {
    let flagged = raw.flagged.unwrap_or_default();
    let tests = raw
        .tests
        .into_iter()
        .map(|name| {
            let flag = flagged.contains(&name).then_some(Flag {
                key: FlagKey::CapabilityList,
                reason: None,
                action: None,
                date: None,
                empty: false,
            });
            Test {
                name,
                idempotent_id: None,
                aliases: Vec::new(),
                flag,
            }
        })
        .collect();
    Capability {
        id,
        description: raw.description,
        project: raw.project,
        admin: raw.admin,
        achievements: raw.achievements.unwrap_or_default(),
        required_since: raw.required_since,
        tests,
    }
}

fn convert_cap_map(id: String, raw: RawCapMap) -> Result<Capability, GuidelineError> {
    let mut tests = Vec::with_capacity(raw.tests.0.len());
    for (name, t) in raw.tests.0 {
        let flag = match (t.flagged, t.flag) {
            (Some(v), _) => Some(convert_flag(v, FlagKey::Flagged, &id, &name, "flagged")?),
            (None, Some(v)) => Some(convert_flag(v, FlagKey::Flag, &id, &name, "flag")?),
            (None, None) => None,
        };
        tests.push(Test {
            name,
            idempotent_id: t.idempotent_id,
            aliases: t.aliases.unwrap_or_default(),
            flag,
        });
    }
    Ok(Capability {
        id,
        description: raw.description,
        project: raw.project,
        admin: raw.admin,
        achievements: raw.achievements.unwrap_or_default(),
        required_since: raw.required_since,
        tests,
    })
}

fn convert_flag(
    value: Value,
    key: FlagKey,
    cap: &str,
    test: &str,
    field: &str,
) -> Result<Flag, GuidelineError> {
    let mut flag = Flag {
        key,
        reason: None,
        action: None,
        date: None,
        empty: false,
    };
    match value {
        Value::Null => flag.empty = true,
        Value::Bool(b) => flag.empty = !b,
        Value::Number(n) => flag.empty = n.as_f64() == Some(0.0),
        Value::String(s) => {
            flag.empty = s.is_empty();
            flag.reason = Some(FlagReason::parse(&s));
        }
        Value::Array(a) => flag.empty = a.is_empty(),
        Value::Object(map) => {
            flag.empty = map.is_empty();
            for (k, v) in map {
                let slot = match k.as_str() {
                    "reason" => None,
                    "action" => Some(&mut flag.action),
                    "date" => Some(&mut flag.date),
                    _ => continue,
                };
                let text = match v {
                    Value::String(s) => s,
                    Value::Null => continue,
                    other => {
                        let mut path = String::from("$.capabilities");
                        push_key(&mut path, cap);
                        path.push_str(".tests");
                        push_key(&mut path, test);
                        push_key(&mut path, field);
                        push_key(&mut path, &k);
                        return Err(GuidelineError::Malformed {
                            path,
                            message: format!("expected a string, found {other}"),
                        });
                    }
                };
                match slot {
                    Some(slot) => *slot = Some(text),
                    None => flag.reason = Some(FlagReason::parse(&text)),
                }
            }
        }
    }
    Ok(flag)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err(json: &str) -> GuidelineError {
        match Guideline::from_json(json.as_bytes()) {
            Ok(_) => panic!("expected an error for {json}"),
            Err(e) => e,
        }
    }

    #[test]
    fn errors_name_the_json_path() {
        let e = err(r#"{"schema": "1.6", "components": {}, "capabilities": {
            "cap-a": {"tests": {"tempest.api.x.T.test_y": {"idempotent_id": 5}}}}}"#);
        assert_eq!(
            e.path(),
            Some(r#"$.capabilities.cap-a.tests["tempest.api.x.T.test_y"].idempotent_id"#)
        );
        let e = err(
            r#"{"metadata": {"schema": "2.0"}, "components": {"c": {"capabilities": {"required": "x"}}}, "capabilities": {}}"#,
        );
        assert_eq!(e.path(), Some("$.components.c.capabilities.required"));
        let e = err(
            r#"{"schema": "1.2", "components": {}, "capabilities": {"c": {"tests": {"a": 1}}}}"#,
        );
        assert_eq!(e.path(), Some("$.capabilities.c.tests"));
        let e = err(r#"{"schema": "1.5", "components": {}, "capabilities": {"c": {}}}"#);
        assert_eq!(e.path(), Some("$.capabilities.c"));
        assert!(e.to_string().contains("missing field `tests`"), "{e}");
        let e = err(
            r#"{"schema": "1.6", "components": {}, "capabilities": {"c": {"tests": {"t.x": {"flagged": {"reason": 3}}}}}}"#,
        );
        assert_eq!(
            e.path(),
            Some(r#"$.capabilities.c.tests["t.x"].flagged.reason"#)
        );
    }

    #[test]
    fn schema_detection_follows_refstack() {
        assert_eq!(
            err(r#"{"schema": "1.0"}"#),
            GuidelineError::UnsupportedSchema {
                path: "$.schema".into(),
                version: "1.0".into()
            }
        );
        assert_eq!(
            err(r#"{"metadata": {"schema": "2.1"}}"#),
            GuidelineError::UnsupportedSchema {
                path: "$.metadata.schema".into(),
                version: "2.1".into()
            }
        );
        assert_eq!(err(r#"{"metadata": {}}"#), GuidelineError::MissingSchema);
        // A metadata schema below "2.0" defers to the top-level one.
        let g = Guideline::from_json(
            br#"{"metadata": {"schema": "1.9"}, "schema": "1.4", "components": {}, "capabilities": {}}"#,
        );
        assert_eq!(g.map(|g| g.schema), Ok(Schema::V1_4));
        let e = err("not json");
        assert_eq!(e.path(), Some("$"));
        let e = err(r#"{"schema": "1.4", "components": {}, "capabilities": {}} trailing"#);
        assert_eq!(e.path(), Some("$"));
    }

    #[test]
    fn flags_and_duplicates() {
        let g = Guideline::from_json(
            br#"{"metadata": {"schema": "2.0", "id": "x"}, "platforms": {}, "components": {},
            "capabilities": {"c": {"tests": {
                "a": {"idempotent_id": "id-1", "flagged": {"reason": "[D401] bug", "date": "2020-01-01"}},
                "b": {"idempotent_id": "id-2", "flag": {"reason": "D400 no"}},
                "n": {"idempotent_id": "id-3", "flagged": null},
                "a": {"idempotent_id": "id-4", "aliases": ["a2"], "flagged": {"reason": "[D401] bug"}}
            }}}}"#,
        );
        let g = match g {
            Ok(g) => g,
            Err(e) => panic!("{e}"),
        };
        let cap = &g.capabilities[0];
        let names: Vec<_> = cap.tests.iter().map(|t| t.name.as_str()).collect();
        assert_eq!(names, ["a", "b", "n"]);
        assert_eq!(cap.tests[0].idempotent_id.as_deref(), Some("id-4"));
        assert_eq!(cap.tests[0].aliases, ["a2"]);
        assert!(cap.tests[0].flagged_for_test_list());
        let reason = cap.tests[0].flag.as_ref().and_then(|f| f.reason.as_ref());
        assert_eq!(reason.and_then(|r| r.code), Some(401));
        // `flag` is parsed but RefStack ignores it.
        assert_eq!(
            cap.tests[1].flag.as_ref().map(|f| f.key),
            Some(FlagKey::Flag)
        );
        assert!(!cap.tests[1].flagged_for_test_list());
        assert!(!cap.tests[1].flagged_for_scoring());
        // `flagged: null`: not flagged for the list, flagged for the UI.
        assert!(!cap.tests[2].flagged_for_test_list());
        assert!(cap.tests[2].flagged_for_scoring());
    }
}
