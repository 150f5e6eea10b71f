//! The published OpenStack interop guideline files, compiled in.
//!
//! The JSON files of the OpenStack interop repository (openstack/interop,
//! later openinfra/interop; Apache-2.0, see `NOTICE`) at commit
//! `5f7a8cf9c43015a27c2ed56cad8501d470807461`, byte for byte. They are the
//! default guideline source of `refstack-server` and what `refstack-tester`
//! scores against offline. Data only: no dependencies, no I/O, no parsing
//! (`refstack_core::Guideline::from_json` parses them).

/// A guideline file shipped with this crate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Builtin {
    /// File name as the server serves it: `2020.06.json`,
    /// `dns.2020.06.json` (add-ons carry their program as a prefix).
    pub file: &'static str,
    /// The add-on program (`dns`), or `None` for a powered guideline.
    pub addon: Option<&'static str>,
    /// The file's bytes, as published.
    pub json: &'static str,
}

macro_rules! builtin {
    ($file:literal) => {
        Builtin {
            file: $file,
            addon: None,
            json: include_str!(concat!("../data/", $file)),
        }
    };
    ($addon:literal, $file:literal) => {
        Builtin {
            file: $file,
            addon: Some($addon),
            json: include_str!(concat!("../data/add-ons/", $file)),
        }
    };
}

/// Every shipped file: add-ons first, then the powered guidelines, each in
/// name order (the order of a directory source's listing).
pub const ALL: &[Builtin] = &[
    builtin!("dns", "dns.2020.06.json"),
    builtin!("orchestration", "orchestration.2020.06.json"),
    builtin!("2015.05.json"),
    builtin!("2016.08.json"),
    builtin!("2020.06.json"),
    builtin!("next.json"),
];

/// The commit of the interop repository the files were taken from.
pub const SOURCE_COMMIT: &str = "5f7a8cf9c43015a27c2ed56cad8501d470807461";

/// The shipped file named `name`: a file name (`2020.06.json`,
/// `dns.2020.06.json`) or the same without `.json` (`2020.06`, `next`).
pub fn get(name: &str) -> Option<&'static Builtin> {
    let stem = name.strip_suffix(".json").unwrap_or(name);
    ALL.iter()
        .find(|b| b.file.strip_suffix(".json") == Some(stem))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_resolve() {
        assert_eq!(get("2020.06").map(|b| b.file), Some("2020.06.json"));
        assert_eq!(get("2020.06.json").map(|b| b.file), Some("2020.06.json"));
        assert_eq!(get("next").map(|b| b.addon), Some(None));
        assert_eq!(get("dns.2020.06").map(|b| b.addon), Some(Some("dns")));
        assert!(get("1999.01").is_none());
        assert!(get("dns").is_none());
        for b in ALL {
            assert!(b.json.trim_start().starts_with('{'), "{}", b.file);
            assert_eq!(
                b.addon.is_some(),
                b.file.matches('.').count() == 3,
                "{}",
                b.file
            );
        }
    }
}
