//! Test lists on the tester side: reading one from a file or URL, matching
//! it against the ids the installed Tempest knows (by name, then by
//! idempotent id so renamed tests still run), writing the include list
//! Tempest selects with, and noticing missing Tempest plugins.

use std::collections::{HashMap, HashSet};
use std::path::Path;

use crate::error::Error;

/// The parts of a test id: `module.Class.test[attrs](scenario)`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdParts<'a> {
    /// The id without its `[...]` part, scenario kept: what results carry as `name`.
    pub name: String,
    /// The idempotent id (the `id-` attribute without its prefix, or a bare uuid).
    pub uuid: Option<&'a str>,
}

/// Split a test id or test-list line into name and idempotent id.
pub fn id_parts(line: &str) -> IdParts<'_> {
    let parsed = refstack_core::testid::TestId::parse(line);
    // Add-on guideline lists carry bare uuids: `name[855399c1-…]`.
    let uuid = parsed.uuid().or_else(|| {
        parsed
            .attributes()
            .find(|a| a.len() == 36 && a.bytes().all(|b| b.is_ascii_hexdigit() || b == b'-'))
    });
    IdParts {
        name: parsed.upload_name().into_owned(),
        uuid,
    }
}

/// Read a test list from a file path or an http(s) URL; blank lines and
/// `#` comments are dropped. Unlike upstream, an HTTP error status is an
/// error instead of being parsed as test names.
pub async fn read_list(client: &reqwest::Client, location: &str) -> Result<Vec<String>, Error> {
    Ok(list_entries(&read_list_text(client, location).await?))
}

/// The entries of a test list's text: lines that are not blank or `#` comments.
pub fn list_entries(text: &str) -> Vec<String> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(str::to_string)
        .collect()
}

/// The text of a test list, from a file path or an http(s) URL, exactly
/// as read (an error text of the server's test-list endpoint is an error).
pub async fn read_list_text(client: &reqwest::Client, location: &str) -> Result<String, Error> {
    let text = if location.starts_with("http://") || location.starts_with("https://") {
        crate::http::get_text(client, location).await?
    } else {
        let path = location.strip_prefix("file://").unwrap_or(location);
        std::fs::read_to_string(path).map_err(|source| Error::Io {
            action: "read the test list",
            path: path.into(),
            source,
        })?
    };
    if text.starts_with("Error getting JSON content") || text.starts_with("Invalid target") {
        return Err(Error::Input {
            origin: location.to_string(),
            message: text.trim().to_string(),
        });
    }
    Ok(text)
}

/// The error texts RefStack's test-list endpoint sends with status 200
/// (`Error getting JSON content for version: X`, `Invalid target: X`).
pub fn server_error_text(body: &str) -> Option<&str> {
    let t = body.trim();
    (t.starts_with("Error getting JSON content") || t.starts_with("Invalid target")).then_some(t)
}

/// The outcome of matching a list against Tempest's ids.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Normalized {
    /// Full Tempest ids to run, in list order, without duplicates.
    pub ids: Vec<String>,
    /// List entries found only through their idempotent id (renamed tests):
    /// `(list entry, tempest ids)`.
    pub by_uuid: Vec<(String, Vec<String>)>,
    /// List entries matched neither by name nor by idempotent id.
    pub unmatched: Vec<String>,
}

/// Match `list` against `tempest_ids`: by exact name (brackets stripped,
/// scenario kept) first; entries not found by name are looked up by
/// idempotent id. An entry whose name or uuid is already covered by an
/// alias in the list adds nothing new.
pub fn normalize(list: &[String], tempest_ids: &[String]) -> Normalized {
    let mut by_name: HashMap<String, &str> = HashMap::new();
    let mut by_uuid: HashMap<&str, Vec<&str>> = HashMap::new();
    for id in tempest_ids {
        let parts = id_parts(id);
        if let Some(u) = parts.uuid {
            by_uuid.entry(u).or_default().push(id);
        }
        by_name.insert(parts.name, id);
    }
    let mut out = Normalized::default();
    let mut seen: HashSet<&str> = HashSet::new();
    let mut covered_uuids: HashSet<String> = HashSet::new();
    let mut pending: Vec<(&String, Option<String>)> = Vec::new();
    for entry in list {
        let parts = id_parts(entry);
        match by_name.get(&parts.name) {
            Some(full) => {
                if seen.insert(full) {
                    out.ids.push((*full).to_string());
                }
                if let Some(u) = parts.uuid {
                    covered_uuids.insert(u.to_ascii_lowercase());
                }
            }
            None => pending.push((entry, parts.uuid.map(str::to_ascii_lowercase))),
        }
    }
    for (entry, uuid) in pending {
        let found = uuid.as_deref().and_then(|u| by_uuid.get(u));
        match (found, &uuid) {
            (Some(ids), Some(u)) => {
                if covered_uuids.contains(u) {
                    continue;
                }
                let mut added = Vec::new();
                for id in ids {
                    if seen.insert(id) {
                        out.ids.push((*id).to_string());
                        added.push((*id).to_string());
                    }
                }
                if !added.is_empty() {
                    out.by_uuid.push((entry.clone(), added));
                }
            }
            _ => out.unmatched.push(entry.clone()),
        }
    }
    out
}

/// Escape a string for Python's `re` (stestr matches include lists with `re.search`).
pub fn re_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        if "\\.^$*+?{}[]|()".contains(c) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// The include-list text for exact ids: one anchored, escaped regex per
/// line (`^id$`), so tests without attributes are kept and a scenario
/// selects only itself (both were upstream bugs).
pub fn include_list_text(ids: &[String]) -> String {
    let mut text = String::new();
    for id in ids {
        text.push('^');
        text.push_str(&re_escape(id));
        text.push_str("$\n");
    }
    text
}

/// Write the include list for `ids` into `path`.
pub fn write_include_list(path: &Path, ids: &[String]) -> Result<(), Error> {
    std::fs::write(path, include_list_text(ids)).map_err(|source| Error::Io {
        action: "write the include list",
        path: path.to_path_buf(),
        source,
    })
}

/// Tempest plugins of the interop add-on programs: (test module root,
/// plugin package).
pub const ADD_ON_PLUGINS: &[(&str, &str)] = &[
    ("designate_tempest_plugin", "designate-tempest-plugin"),
    ("heat_tempest_plugin", "heat-tempest-plugin"),
    ("manila_tempest_tests", "manila-tempest-plugin"),
    ("octavia_tempest_plugin", "octavia-tempest-plugin"),
    ("barbican_tempest_plugin", "barbican-tempest-plugin"),
];

/// The plugins a list needs that are not installed: for every test module
/// root other than `tempest` found among `entries` that no installed
/// plugin's entry point (`module:Class`) provides, `(root, package)`; the
/// package is known for the add-on programs and guessed otherwise.
pub fn missing_plugins(
    entries: &[String],
    installed: &[(String, String)],
) -> Vec<(String, String)> {
    let installed_roots: HashSet<&str> = installed
        .iter()
        .filter_map(|(_, entry)| entry.split([':', '.']).next())
        .collect();
    let mut missing: Vec<(String, String)> = Vec::new();
    for entry in entries {
        let root = entry.split('.').next().unwrap_or_default();
        if root.is_empty() || root == "tempest" || installed_roots.contains(root) {
            continue;
        }
        if missing.iter().any(|(r, _)| r == root) {
            continue;
        }
        let package = ADD_ON_PLUGINS
            .iter()
            .find(|(r, _)| *r == root)
            .map(|(_, p)| (*p).to_string())
            .unwrap_or_else(|| root.replace('_', "-"));
        missing.push((root.to_string(), package));
    }
    missing
}

/// `"<N> <what>: a, b, c (and N-3 more)"`: a list bounded to its first
/// `shown` items for one-line messages.
pub fn summarize(what: &str, items: &[String], shown: usize) -> String {
    let head = items
        .iter()
        .take(shown)
        .map(String::as_str)
        .collect::<Vec<_>>()
        .join(", ");
    let more = items.len().saturating_sub(shown);
    if more == 0 {
        format!("{} {what}: {head}", items.len())
    } else {
        format!("{} {what}: {head} (and {more} more)", items.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_lists_are_summarized() {
        let items: Vec<String> = (0..363).map(|i| format!("tempest.api.t{i}")).collect();
        let line = summarize("test(s) missing", &items, 3);
        assert_eq!(
            line,
            "363 test(s) missing: tempest.api.t0, tempest.api.t1, tempest.api.t2 (and 360 more)"
        );
        assert_eq!(
            summarize("x", &items[..2], 3),
            "2 x: tempest.api.t0, tempest.api.t1"
        );
    }

    fn s(v: &[&str]) -> Vec<String> {
        v.iter().map(|x| x.to_string()).collect()
    }

    #[test]
    fn normalize_by_name_and_uuid() {
        let tempest = s(&[
            "tempest.test.one[gate,id-11111111-1111-4111-8111-111111111111]",
            "tempest.test.new_name[id-22222222-2222-4222-8222-222222222222]",
            "tempest.test.scn[id-33333333-3333-4333-8333-333333333333](alpha)",
            "tempest.test.scn[id-33333333-3333-4333-8333-333333333333](beta)",
            "plugin.test.no_id",
        ]);
        let list = s(&[
            "tempest.test.one[id-11111111-1111-4111-8111-111111111111]",
            "tempest.test.old_name[id-22222222-2222-4222-8222-222222222222]",
            "tempest.test.scn[id-33333333-3333-4333-8333-333333333333](alpha)",
            "plugin.test.no_id",
            "tempest.test.gone[id-44444444-4444-4444-8444-444444444444]",
            "tempest.test.one",
        ]);
        let n = normalize(&list, &tempest);
        assert_eq!(
            n.ids,
            s(&[
                "tempest.test.one[gate,id-11111111-1111-4111-8111-111111111111]",
                "tempest.test.scn[id-33333333-3333-4333-8333-333333333333](alpha)",
                "plugin.test.no_id",
                "tempest.test.new_name[id-22222222-2222-4222-8222-222222222222]",
            ])
        );
        assert_eq!(n.by_uuid.len(), 1);
        assert_eq!(
            n.unmatched,
            s(&["tempest.test.gone[id-44444444-4444-4444-8444-444444444444]"])
        );
    }

    #[test]
    fn alias_covered_uuid_is_not_widened() {
        let tempest = s(&[
            "t.a.new[id-55555555-5555-4555-8555-555555555555]",
            "t.a.other[id-55555555-5555-4555-8555-555555555555]",
        ]);
        let list = s(&[
            "t.a.new[id-55555555-5555-4555-8555-555555555555]",
            "t.a.old[id-55555555-5555-4555-8555-555555555555]",
        ]);
        let n = normalize(&list, &tempest);
        assert_eq!(
            n.ids,
            s(&["t.a.new[id-55555555-5555-4555-8555-555555555555]"])
        );
        assert!(n.unmatched.is_empty());
    }

    #[test]
    fn include_list_is_anchored_and_escaped() {
        let text = include_list_text(&s(&["a.B.t[id-1,smoke](x)", "p.no_id"]));
        assert_eq!(text, "^a\\.B\\.t\\[id-1,smoke\\]\\(x\\)$\n^p\\.no_id$\n");
    }

    #[test]
    fn plugins() {
        let installed = vec![(
            "fake_tests".to_string(),
            "fake_tempest_plugin.plugin:FakeTempestPlugin".to_string(),
        )];
        let entries = s(&[
            "tempest.api.x.T.t",
            "fake_tempest_plugin.tests.T.t",
            "designate_tempest_plugin.tests.api.v2.T.t[id-1]",
            "designate_tempest_plugin.tests.api.v2.T.u",
        ]);
        assert_eq!(
            missing_plugins(&entries, &installed),
            vec![(
                "designate_tempest_plugin".to_string(),
                "designate-tempest-plugin".to_string()
            )]
        );
    }
}
