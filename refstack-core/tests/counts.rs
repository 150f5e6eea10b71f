//! The typed model against `guidelines/COUNTS.md` (per guideline, target and
//! status: capabilities, tests, flagged tests, alias entries, list lines),
//! and spot checks of the model on the real files.

mod shared_data;

use std::collections::HashSet;

use refstack_core::guideline::{FlagKey, Guideline, Schema};
use refstack_core::target::{AddOn, Target};
use refstack_core::testlist::{StatusFilter, TestListQuery, server_components, test_list};

fn parse(path: &std::path::Path) -> Guideline {
    match Guideline::from_json(&shared_data::read(path)) {
        Ok(g) => g,
        Err(e) => panic!("{}: {e}", path.display()),
    }
}

#[test]
fn model_matches_counts_md() {
    let Some(data) = shared_data::dir() else {
        return;
    };
    let counts = String::from_utf8_lossy(&shared_data::read(&data.join("guidelines/COUNTS.md")))
        .into_owned();
    let mut rows = 0;
    for line in counts.lines().filter(|l| l.contains(".json |")) {
        let cells: Vec<&str> = line.trim_matches('|').split('|').map(str::trim).collect();
        let [
            file,
            schema,
            target,
            status,
            caps,
            tests,
            flagged,
            aliases,
            l_tf,
            l_tt,
            l_ff,
        ] = cells[..]
        else {
            panic!("unexpected COUNTS.md row {line:?}");
        };
        let num = |s: &str| -> usize {
            match s.parse() {
                Ok(n) => n,
                Err(e) => panic!("{line:?}: {s:?}: {e}"),
            }
        };
        let g = parse(&data.join("guidelines").join(file));
        assert_eq!(g.schema.as_str(), schema, "{file}");
        let target: Target = match target.parse() {
            Ok(t) => t,
            Err(e) => panic!("{e}"),
        };
        let filter = StatusFilter::from_query(status);
        let components = match server_components(&g, target) {
            Ok(c) => c,
            Err(e) => panic!("{file}: {e}"),
        };
        let selected: HashSet<&str> = components
            .iter()
            .flat_map(|c| &c.capabilities)
            .filter(|l| filter.matches(&l.status))
            .flat_map(|l| l.names.iter().map(String::as_str))
            .collect();
        assert_eq!(selected.len(), num(caps), "{line}");
        let defined: Vec<_> = g
            .capabilities
            .iter()
            .filter(|c| selected.contains(c.id.as_str()))
            .collect();
        let all_tests: Vec<_> = defined.iter().flat_map(|c| &c.tests).collect();
        assert_eq!(all_tests.len(), num(tests), "{line}");
        let n_flagged = all_tests
            .iter()
            .filter(|t| t.flagged_for_test_list())
            .count();
        assert_eq!(n_flagged, num(flagged), "{line}");
        let n_aliases: usize = all_tests.iter().map(|t| t.aliases.len()).sum();
        assert_eq!(n_aliases, num(aliases), "{line}");
        for (alias, flag, expected) in [
            (true, false, l_tf),
            (true, true, l_tt),
            (false, false, l_ff),
        ] {
            let q = TestListQuery {
                target,
                statuses: filter.clone(),
                alias,
                flagged: flag,
            };
            let n = test_list(&g, &q).map(|l| l.len());
            assert_eq!(n, Ok(num(expected)), "{line} alias={alias} flag={flag}");
        }
        rows += 1;
    }
    assert!(rows >= 30, "only {rows} COUNTS.md rows checked");
}

#[test]
fn real_files_spot_checks() {
    let Some(data) = shared_data::dir() else {
        return;
    };
    let dir = data.join("guidelines");

    let g = parse(&dir.join("2020.06.json"));
    assert_eq!(g.schema, Schema::V2_0);
    assert_eq!(g.id.as_deref(), Some("2020.06"));
    assert_eq!(g.status.as_deref(), Some("approved"));
    assert_eq!(g.releases, ["stein", "train", "ussuri", "victoria"]);
    assert_eq!(g.replaces.as_deref(), Some("2019.11"));
    assert_eq!(g.cutoff_score, Some(74));
    assert!(!g.is_add_on());
    let platform = g.platform("OpenStack Powered Platform").map(|p| {
        p.components
            .iter()
            .map(|c| c.name.as_str())
            .collect::<Vec<_>>()
    });
    assert_eq!(
        platform,
        Some(vec!["os_powered_compute", "os_powered_storage"])
    );
    assert!(g.capability("images-v2-import").is_some());
    let tempest = g.test_repositories.iter().find(|r| r.name == "tempest");
    assert!(
        tempest
            .and_then(|r| r.url.as_deref())
            .is_some_and(|u| u.contains("tempest"))
    );
    let codes: HashSet<Option<u16>> = g
        .tests()
        .filter_map(|(_, t)| t.flag.as_ref())
        .map(|f| f.reason.as_ref().and_then(|r| r.code))
        .collect();
    // `[D401] …`, `D400 …`, `[D406] …` and reasons without a code.
    for code in [Some(401), Some(400), Some(406), None] {
        assert!(codes.contains(&code), "{code:?} in {codes:?}");
    }

    let g = parse(&dir.join("add-ons/dns.2020.06.json"));
    assert!(g.is_add_on());
    let dns = g.add_ons.as_ref().and_then(|a| a.first());
    assert_eq!(dns.map(|p| p.name.as_str()), Some("DNS"));
    assert_eq!(
        dns.map(|p| p.required_platform_components[0].name.as_str()),
        Some("os_powered_compute")
    );
    assert!(g.component(AddOn::Dns.component()).is_some());
    // Add-on files write bare uuids.
    let (_, t) = g.tests().next().unwrap_or_else(|| panic!("dns has tests"));
    assert!(
        t.idempotent_id
            .as_deref()
            .is_some_and(|id| !id.starts_with("id-"))
    );

    let g = parse(&dir.join("2015.05.json"));
    assert_eq!(g.schema, Schema::V1_2);
    let flagged = g
        .tests()
        .filter(|(_, t)| {
            t.flag
                .as_ref()
                .is_some_and(|f| f.key == FlagKey::CapabilityList)
        })
        .count();
    assert_eq!(
        flagged, 33,
        "1.2 capability-level flags, all in required platform capabilities (COUNTS.md)"
    );

    let g = parse(&dir.join("2016.08.json"));
    assert_eq!(g.schema, Schema::V1_6);
    assert_eq!(g.cutoff_score, Some(74));
    assert!(g.capabilities.iter().any(|c| c.required_since.is_some()));
    assert!(g.legacy_platform.is_some());

    // The 2.0 sample document flags tests with `flag`, which RefStack ignores.
    let g = parse(&dir.join("schema/next.2.0.json"));
    let flag_key = g
        .tests()
        .filter(|(_, t)| t.flag.as_ref().is_some_and(|f| f.key == FlagKey::Flag))
        .count();
    assert!(flag_key > 0);
    assert!(g.tests().all(|(_, t)| !t.flagged_for_test_list()
        || t.flag.as_ref().is_some_and(|f| f.key == FlagKey::Flagged)));
}
