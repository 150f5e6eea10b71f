//! The shipped files are byte-identical to the shared reference copies
//! (`$REFSTACK_SHARED_DATA/guidelines`, verbatim from the interop repository).

use std::io::Write as _;
use std::path::PathBuf;

#[test]
fn shipped_files_equal_the_published_ones() {
    let Some(data) = std::env::var_os("REFSTACK_SHARED_DATA").filter(|d| !d.is_empty()) else {
        if std::env::var("REFSTACK_CI").as_deref() == Ok("1") {
            panic!("REFSTACK_SHARED_DATA must be set under REFSTACK_CI=1");
        }
        // Straight to the terminal, past the test harness's capture.
        let _ = std::io::stderr().write_all(
            b"SKIPPED shipped_files_equal_the_published_ones: REFSTACK_SHARED_DATA is unset\n",
        );
        return;
    };
    let dir = PathBuf::from(data).join("guidelines");
    for b in refstack_guidelines::ALL {
        let path = match b.addon {
            Some(_) => dir.join("add-ons").join(b.file),
            None => dir.join(b.file),
        };
        let published =
            std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        assert!(
            published == b.json,
            "{} differs from {}",
            b.file,
            path.display()
        );
    }
}
