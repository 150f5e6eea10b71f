//! The guideline parser (`refstack_core::guideline::Guideline::from_json`)
//! on arbitrary bytes, and everything the server and the tester do with a
//! parsed guideline: test lists for every target and query, and scoring
//! against half of its tests. No panic; a parse is deterministic; scores
//! never count more passes than tests.
#![no_main]

use libfuzzer_sys::fuzz_target;
use refstack_core::guideline::{Guideline, Status};
use refstack_core::score::{self, Results};
use refstack_core::target::Target;
use refstack_core::testlist::{self, StatusFilter, TestListQuery};

fuzz_target!(|data: &[u8]| {
    let Ok(g) = Guideline::from_json(data) else {
        return;
    };
    assert_eq!(
        Guideline::from_json(data).ok().as_ref(),
        Some(&g),
        "parse is deterministic"
    );
    let names: Vec<&str> = g.tests().flat_map(|(_, t)| t.names()).collect();
    let half = Results::from_passed_names(names.iter().step_by(2).copied());
    let filters = [
        StatusFilter::All,
        StatusFilter::statuses(&[Status::Required]),
        StatusFilter::statuses(&[Status::Advisory, Status::Deprecated]),
    ];
    for target in Target::ALL {
        for statuses in &filters {
            for alias in [false, true] {
                for flagged in [false, true] {
                    let q = TestListQuery {
                        target,
                        statuses: statuses.clone(),
                        alias,
                        flagged,
                    };
                    let list = testlist::test_list(&g, &q);
                    let text = testlist::test_list_text(&g, &q);
                    assert_eq!(list.is_ok(), text.is_ok(), "list and text agree");
                }
            }
        }
        if let Ok(report) = score::score(&g, target, &half) {
            for s in &report.statuses {
                assert!(
                    s.passed <= s.count,
                    "{}: {} > {}",
                    s.status,
                    s.passed,
                    s.count
                );
            }
        }
    }
});
