//! Tempest test ids: `module.Class.test_method[attr,attr](scenario)`.
//!
//! The attributes are testtools attributes, sorted and comma-joined by
//! Tempest; `id-<uuid>` is the idempotent id, the others are tags such as
//! `smoke` or `negative`. A testscenarios suffix `(scenario)` follows the
//! brackets.
//!
//! The name uploaded to RefStack is refstack-client's
//! `re.sub(r'\[.*\]', '', test_id)`: everything from the first `[` to the
//! last `]` of a line removed, the scenario suffix kept
//! ([`TestId::upload_name`]). The uuid is the first `id-` attribute of the
//! first bracket block, without the `id-` prefix ([`TestId::uuid`]).

use std::borrow::Cow;

/// A parsed test id, borrowing from the original string.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct TestId<'a> {
    raw: &'a str,
    /// Byte range of the first bracket block's contents, if any.
    attrs: Option<(usize, usize)>,
}

impl<'a> TestId<'a> {
    /// Parses a test id. Never fails: an id without brackets simply has no
    /// attributes.
    pub fn parse(raw: &'a str) -> Self {
        // Python: test_id.split('[')[1].split(']')[0]
        let attrs = raw.find('[').map(|open| {
            let start = open + 1;
            let end = raw[start..]
                .find([']', '['])
                .map_or(raw.len(), |i| start + i);
            (start, end)
        });
        Self { raw, attrs }
    }

    /// The id as given.
    pub fn raw(&self) -> &'a str {
        self.raw
    }

    /// The dotted test path: everything before the first `[` or `(`.
    pub fn name(&self) -> &'a str {
        let end = self.raw.find(['[', '(']).unwrap_or(self.raw.len());
        &self.raw[..end]
    }

    /// The attributes of the first bracket block, in order.
    pub fn attributes(&self) -> impl Iterator<Item = &'a str> + 'a {
        let block = self.attrs.map_or("", |(s, e)| &self.raw[s..e]);
        block.split(',').filter(|a| !a.is_empty())
    }

    /// The idempotent id: the first `id-` attribute without its prefix.
    pub fn uuid(&self) -> Option<&'a str> {
        self.attributes().find_map(|a| a.strip_prefix("id-"))
    }

    /// The attributes other than the idempotent id (`smoke`, `negative`, …).
    pub fn tags(&self) -> impl Iterator<Item = &'a str> + 'a {
        let uuid_attr = self.attributes().find(|a| a.starts_with("id-"));
        self.attributes().filter(move |a| Some(*a) != uuid_attr)
    }

    /// The testscenarios suffix without parentheses: `alpha` in
    /// `t.T.test_scn[id-…](alpha)`.
    pub fn scenario(&self) -> Option<&'a str> {
        let name = self.name();
        let rest = &self.raw[name.len()..];
        // Skip the bracket block(s), then expect `(…)` at the end.
        let after = match rest.rfind(']') {
            Some(i) if rest.starts_with('[') => &rest[i + 1..],
            _ => rest,
        };
        after.strip_prefix('(')?.strip_suffix(')')
    }

    /// The name refstack-client uploads: `re.sub(r'\[.*\]', '', id)`.
    pub fn upload_name(&self) -> Cow<'a, str> {
        upload_name(self.raw)
    }
}

/// refstack-client's `re.sub(r'\[.*\]', '', test_id)`: on each line, the
/// text from the first `[` to the last `]` after it is removed.
pub fn upload_name(raw: &str) -> Cow<'_, str> {
    if !raw.contains('[') {
        return Cow::Borrowed(raw);
    }
    // The common case: one line.
    if !raw.contains('\n') {
        return match (raw.find('['), raw.rfind(']')) {
            (Some(open), Some(close)) if close > open => {
                let mut out = String::with_capacity(raw.len() - (close + 1 - open));
                out.push_str(&raw[..open]);
                out.push_str(&raw[close + 1..]);
                Cow::Owned(out)
            }
            _ => Cow::Borrowed(raw),
        };
    }
    let mut out = String::with_capacity(raw.len());
    let mut changed = false;
    for (i, line) in raw.split('\n').enumerate() {
        if i > 0 {
            out.push('\n');
        }
        match (line.find('['), line.rfind(']')) {
            (Some(open), Some(close)) if close > open => {
                out.push_str(&line[..open]);
                out.push_str(&line[close + 1..]);
                changed = true;
            }
            _ => out.push_str(line),
        }
    }
    if changed {
        Cow::Owned(out)
    } else {
        Cow::Borrowed(raw)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn full_tempest_id() {
        let id = TestId::parse("a.B.test_x[id-0146f675-ffbd-4208-b3a4-60eb628dbc5e,smoke](scen)");
        assert_eq!(id.name(), "a.B.test_x");
        assert_eq!(id.upload_name(), "a.B.test_x(scen)");
        assert_eq!(id.uuid(), Some("0146f675-ffbd-4208-b3a4-60eb628dbc5e"));
        assert_eq!(id.tags().collect::<Vec<_>>(), ["smoke"]);
        assert_eq!(id.scenario(), Some("scen"));
        assert_eq!(id.attributes().count(), 2);
    }

    #[test]
    fn client_fixture_ids() {
        let id = TestId::parse(
            "tempest.tagged_passed.test[gate,id-0146f675-ffbd-4208-b3a4-60eb628dbc5e]",
        );
        assert_eq!(id.upload_name(), "tempest.tagged_passed.test");
        assert_eq!(id.uuid(), Some("0146f675-ffbd-4208-b3a4-60eb628dbc5e"));
        assert_eq!(id.tags().collect::<Vec<_>>(), ["gate"]);
        let id = TestId::parse("tempest.passed.test");
        assert_eq!(id.upload_name(), "tempest.passed.test");
        assert_eq!(id.uuid(), None);
        assert_eq!(id.scenario(), None);
        assert_eq!(id.name(), "tempest.passed.test");
        let id = TestId::parse("tempest.test.three(scenario)");
        assert_eq!(id.scenario(), Some("scenario"));
        assert_eq!(id.name(), "tempest.test.three");
        assert_eq!(id.upload_name(), "tempest.test.three(scenario)");
    }

    #[test]
    fn odd_ids_follow_the_python_regex() {
        // Greedy: first `[` to last `]`.
        assert_eq!(upload_name("t[a]x[b]y"), "ty");
        assert_eq!(upload_name("t[a"), "t[a");
        assert_eq!(upload_name("t]x[a"), "t]x[a");
        assert_eq!(upload_name("t[a]\nu[b]v"), "t\nuv");
        assert_eq!(TestId::parse("t[id-]").uuid(), Some(""));
        assert_eq!(TestId::parse("t[]").attributes().count(), 0);
        // Only the first bracket block holds attributes.
        assert_eq!(TestId::parse("t[smoke][id-x]").uuid(), None);
        assert_eq!(TestId::parse("t[id-a,id-b]").uuid(), Some("a"));
        assert_eq!(
            TestId::parse("t[id-a,id-b]").tags().collect::<Vec<_>>(),
            ["id-b"]
        );
    }
}
