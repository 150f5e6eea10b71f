//! The test list of `GET /v1/guidelines/{version}/tests`, byte for byte.
//!
//! RefStack's algorithm (`refstack/api/guidelines.py`):
//!
//! 1. target → components: schema 2.0 add-on targets use
//!    `os_powered_<target>`, the platform targets the components of
//!    `platforms[<program name>]`; schema 1.x `platform` uses
//!    `platform.required`, any other target is itself a component name;
//! 2. the set union of the capability ids listed under a selected status;
//! 3. for each selected capability (document order) each test: schema 1.2
//!    emits bare names, others `name[idempotent_id]`; flagged tests only with
//!    `flag=true`; with `alias=true` every alias of an emitted test as
//!    `alias[idempotent_id]`;
//! 4. sort by code point, keep duplicates, join with `\n`.

use std::collections::HashSet;

use crate::guideline::{Component, Guideline, Schema, Status};
use crate::target::{InvalidTarget, Target};

/// Which statuses a query selects (the `type` parameter).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum StatusFilter {
    /// No `type` parameter: every status.
    #[default]
    All,
    /// The comma-separated `type` values, verbatim (unknown values match
    /// nothing, values are not trimmed).
    Only(Vec<String>),
}

impl StatusFilter {
    /// Parses RefStack's `type` parameter (`required,advisory`).
    pub fn from_query(value: &str) -> Self {
        Self::Only(value.split(',').map(str::to_owned).collect())
    }

    /// Selects exactly the given statuses.
    pub fn statuses(statuses: &[Status]) -> Self {
        Self::Only(statuses.iter().map(|s| s.as_str().to_owned()).collect())
    }

    /// Whether a status is selected.
    pub fn matches(&self, status: &Status) -> bool {
        match self {
            Self::All => true,
            Self::Only(values) => values.iter().any(|v| v == status.as_str()),
        }
    }
}

/// A test-list query: the parameters of the endpoint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TestListQuery {
    /// `target`, default `platform`.
    pub target: Target,
    /// `type`, default all statuses.
    pub statuses: StatusFilter,
    /// `alias`, default true: also list every alias of an emitted test.
    pub alias: bool,
    /// `flag`, default true: include flagged tests.
    pub flagged: bool,
}

impl Default for TestListQuery {
    fn default() -> Self {
        Self {
            target: Target::Platform,
            statuses: StatusFilter::All,
            alias: true,
            flagged: true,
        }
    }
}

impl TestListQuery {
    /// Interprets the endpoint's raw query parameters with RefStack's
    /// defaults and parsing (`target` default `platform`, `type` default all
    /// statuses, `alias`/`flag` default true).
    ///
    /// # Errors
    /// [`InvalidTarget`] for a target name RefStack does not know.
    pub fn from_wire(
        q: &refstack_api_types::guidelines::TestListQuery,
    ) -> Result<Self, InvalidTarget> {
        // `target=` (present but empty) is an invalid target upstream.
        let target = match q.target.as_deref() {
            None => Target::Platform,
            Some(t) => t.parse()?,
        };
        Ok(Self {
            target,
            statuses: q
                .kind
                .as_deref()
                .map_or(StatusFilter::All, StatusFilter::from_query),
            alias: query_bool(q.alias.as_deref(), true),
            flagged: query_bool(q.flag.as_deref(), true),
        })
    }
}

/// Parses a boolean query parameter like RefStack's `str_to_bool`: absent or
/// empty gives `default`, otherwise true iff the lower-cased value is
/// `true`, `yes` or `1`.
pub fn query_bool(value: Option<&str>, default: bool) -> bool {
    match value {
        None | Some("") => default,
        Some(v) => matches!(v.to_ascii_lowercase().as_str(), "true" | "yes" | "1"),
    }
}

/// The components RefStack's server selects for a target.
///
/// # Errors
/// [`InvalidTarget`] where the server answers `Invalid target: <t>` (a
/// platform target on an add-on file, an add-on target on a platform or
/// 1.x file, a program or component the file does not define).
pub fn server_components(g: &Guideline, target: Target) -> Result<Vec<&Component>, InvalidTarget> {
    let invalid = || InvalidTarget(target.as_str().to_owned());
    let names: Vec<&str> = if g.schema.is_v2() {
        match target.add_on() {
            Some(add_on) => vec![add_on.component()],
            None => g
                .platform(target.program_name())
                .ok_or_else(invalid)?
                .components
                .iter()
                .map(|c| c.name.as_str())
                .collect(),
        }
    } else if target == Target::Platform {
        let platform = g.legacy_platform.as_ref().ok_or_else(invalid)?;
        let required = platform
            .iter()
            .find(|l| l.status == Status::Required)
            .ok_or_else(invalid)?;
        required.names.iter().map(String::as_str).collect()
    } else {
        vec![target.as_str()]
    };
    names
        .into_iter()
        .map(|n| g.component(n).ok_or_else(invalid))
        .collect()
}

/// The test list lines, sorted, duplicates kept.
///
/// # Errors
/// [`InvalidTarget`] as for [`server_components`].
pub fn test_list(g: &Guideline, query: &TestListQuery) -> Result<Vec<String>, InvalidTarget> {
    let components = server_components(g, query.target)?;
    let mut selected: HashSet<&str> = HashSet::new();
    for component in components {
        for list in &component.capabilities {
            if query.statuses.matches(&list.status) {
                selected.extend(list.names.iter().map(String::as_str));
            }
        }
    }
    let mut out = Vec::new();
    for cap in g
        .capabilities
        .iter()
        .filter(|c| selected.contains(c.id.as_str()))
    {
        if g.schema == Schema::V1_2 {
            for test in &cap.tests {
                if query.flagged || !test.flagged_for_test_list() {
                    out.push(test.name.clone());
                }
            }
            continue;
        }
        for test in &cap.tests {
            if test.flagged_for_test_list() && !query.flagged {
                continue;
            }
            let id = test.idempotent_id.as_deref().unwrap_or("");
            out.push(line(&test.name, id));
            if query.alias {
                out.extend(test.aliases.iter().map(|a| line(a, id)));
            }
        }
    }
    out.sort_unstable();
    Ok(out)
}

fn line(name: &str, id: &str) -> String {
    let mut s = String::with_capacity(name.len() + id.len() + 2);
    s.push_str(name);
    s.push('[');
    s.push_str(id);
    s.push(']');
    s
}

/// The response body: the lines joined with `\n`, no trailing newline.
///
/// # Errors
/// [`InvalidTarget`] as for [`server_components`].
pub fn test_list_text(g: &Guideline, query: &TestListQuery) -> Result<String, InvalidTarget> {
    Ok(test_list(g, query)?.join("\n"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::target::AddOn;

    const V16: &str = r#"{"schema": "1.6",
      "platform": {"required": ["compute", "object"]},
      "components": {"compute": {"required": ["c1", "shared"], "advisory": ["c2"]},
                     "object": {"required": ["o1", "shared"], "removed": ["gone"]}},
      "capabilities": {
        "c1": {"tests": {"t.b": {"idempotent_id": "id-b", "aliases": ["t.b_old"]},
                         "t.a": {"idempotent_id": "id-a", "flagged": {"reason": "D401"}, "aliases": ["t.a2"]}}},
        "c2": {"tests": {"t.c": {"idempotent_id": "id-c"}}},
        "o1": {"tests": {"t.o": {"idempotent_id": "id-o"}}},
        "shared": {"tests": {"t.s": {"idempotent_id": "id-s"}}}}}"#;

    fn g(json: &str) -> Guideline {
        match Guideline::from_json(json.as_bytes()) {
            Ok(g) => g,
            Err(e) => panic!("{e}"),
        }
    }

    fn q(target: Target, types: Option<&str>, alias: bool, flagged: bool) -> TestListQuery {
        TestListQuery {
            target,
            statuses: types.map_or(StatusFilter::All, StatusFilter::from_query),
            alias,
            flagged,
        }
    }

    #[test]
    fn v1_platform_lists() {
        let g = g(V16);
        let list = test_list(&g, &q(Target::Platform, Some("required"), true, false));
        assert_eq!(
            list.as_deref().map(|l| l.join("\n")),
            Ok("t.b[id-b]\nt.b_old[id-b]\nt.o[id-o]\nt.s[id-s]".to_owned())
        );
        let list = test_list(&g, &q(Target::Platform, None, false, true));
        assert_eq!(
            list.map(|l| l.join(",")),
            Ok("t.a[id-a],t.b[id-b],t.c[id-c],t.o[id-o],t.s[id-s]".to_owned())
        );
        let list = test_list(
            &g,
            &q(Target::Compute, Some("advisory,required"), true, true),
        );
        assert_eq!(
            list.map(|l| l.join(",")),
            Ok("t.a2[id-a],t.a[id-a],t.b[id-b],t.b_old[id-b],t.c[id-c],t.s[id-s]".to_owned())
        );
        assert_eq!(
            test_list(&g, &q(Target::Object, Some("removed"), true, true)),
            Ok(vec![])
        );
        assert_eq!(
            test_list(&g, &q(Target::AddOn(AddOn::Dns), None, true, true)),
            Err(InvalidTarget("dns".into()))
        );
        // Unknown and untrimmed statuses match nothing.
        assert_eq!(
            test_list(
                &g,
                &q(Target::Platform, Some(" required,bogus"), true, true)
            ),
            Ok(vec![])
        );
    }

    #[test]
    fn v12_bare_names_and_capability_flags() {
        let g = g(r#"{"schema": "1.2", "platform": {"required": ["compute"]},
          "components": {"compute": {"required": ["c"]}},
          "capabilities": {"c": {"tests": ["z.t", "a.t", "a.t"], "flagged": ["z.t"]}}}"#);
        assert_eq!(
            test_list_text(&g, &q(Target::Platform, None, true, true)),
            Ok("a.t\na.t\nz.t".to_owned())
        );
        assert_eq!(
            test_list_text(&g, &q(Target::Platform, None, true, false)),
            Ok("a.t\na.t".to_owned())
        );
    }

    #[test]
    fn v2_add_on_and_duplicates() {
        let g = g(r#"{"metadata": {"schema": "2.0"},
          "add-ons": {"DNS": {"components": [{"name": "os_powered_dns"}]}},
          "components": {"os_powered_dns": {"capabilities": {"required": ["d1", "d2"]}}},
          "capabilities": {"d1": {"tests": {"p.t": {"idempotent_id": "u-1"}}},
                           "d2": {"tests": {"p.t": {"idempotent_id": "u-1"}}}}}"#);
        assert_eq!(
            test_list_text(
                &g,
                &q(Target::AddOn(AddOn::Dns), Some("required"), true, false)
            ),
            Ok("p.t[u-1]\np.t[u-1]".to_owned())
        );
        assert_eq!(
            test_list(&g, &q(Target::Platform, None, true, true)),
            Err(InvalidTarget("platform".into()))
        );
        assert_eq!(
            test_list(
                &g,
                &q(Target::AddOn(AddOn::Orchestration), None, true, true)
            ),
            Err(InvalidTarget("orchestration".into()))
        );
    }

    #[test]
    fn wire_queries() {
        let wire = refstack_api_types::guidelines::TestListQuery {
            target: Some("dns".into()),
            kind: Some("required".into()),
            alias: Some("False".into()),
            flag: None,
        };
        assert_eq!(
            TestListQuery::from_wire(&wire),
            Ok(q(Target::AddOn(AddOn::Dns), Some("required"), false, true))
        );
        assert_eq!(
            TestListQuery::from_wire(&Default::default()),
            Ok(TestListQuery::default())
        );
        let bad = refstack_api_types::guidelines::TestListQuery {
            target: Some("nfv".into()),
            ..Default::default()
        };
        assert_eq!(
            TestListQuery::from_wire(&bad),
            Err(InvalidTarget("nfv".into()))
        );
    }

    #[test]
    fn query_bools() {
        assert!(query_bool(None, true));
        assert!(!query_bool(Some(""), false));
        assert!(query_bool(Some("YES"), false));
        assert!(query_bool(Some("1"), false));
        assert!(!query_bool(Some("on"), true));
    }
}
