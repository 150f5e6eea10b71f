//! The v1 wire format of timestamps: `YYYY-MM-DD HH:MM:SS`, naive UTC.
//!
//! Upstream renders Python `datetime` values with `str()`: a space between
//! date and time, no `T`, no zone. Values read back from the database have
//! no fractional seconds; values returned straight after a write can carry
//! microseconds (`2026-11-22 01:53:33.907213`). [`Timestamp`] therefore
//! *reads* both forms and always *writes* whole seconds.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use time::format_description::BorrowedFormatItem;
use time::macros::format_description;
use time::{OffsetDateTime, PrimitiveDateTime, UtcOffset};

/// `YYYY-MM-DD HH:MM:SS`, the format written on the wire and the default
/// `[api] input_date_format` of the `start_date`/`end_date` query parameters.
pub const WIRE_FORMAT: &[BorrowedFormatItem<'static>] =
    format_description!("[year]-[month]-[day] [hour]:[minute]:[second]");

/// [`WIRE_FORMAT`] with optional fractional seconds, accepted when reading.
const LENIENT_FORMAT: &[BorrowedFormatItem<'static>] = format_description!(
    "[year]-[month]-[day] [hour]:[minute]:[second][optional [.[subsecond digits:1+]]]"
);

/// A naive UTC timestamp in the v1 wire format.
///
/// Serializes as `"2026-11-22 01:53:33"` (sub-second precision, if any, is
/// dropped). Deserializes from that form or with a fractional part
/// (`"2026-11-22 01:53:33.907213"`).
///
/// ```
/// use refstack_api_types::Timestamp;
///
/// let t: Timestamp = "2026-11-22 01:53:33".parse()?;
/// assert_eq!(t.to_string(), "2026-11-22 01:53:33");
/// assert_eq!(serde_json::to_string(&t)?, "\"2026-11-22 01:53:33\"");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp(pub PrimitiveDateTime);

/// Error returned when a string is not a v1 timestamp.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid timestamp {input:?}: expected YYYY-MM-DD HH:MM:SS ({reason})")]
pub struct TimestampParseError {
    input: String,
    reason: String,
}

impl Timestamp {
    /// Parses exactly `YYYY-MM-DD HH:MM:SS` (what [`FromStr`] does).
    pub fn parse_strict(input: &str) -> Result<Self, TimestampParseError> {
        Self::parse_with(input, WIRE_FORMAT)
    }

    /// Parses `YYYY-MM-DD HH:MM:SS` with optional fractional seconds
    /// (what deserialization does).
    pub fn parse_lenient(input: &str) -> Result<Self, TimestampParseError> {
        Self::parse_with(input, LENIENT_FORMAT)
    }

    fn parse_with(
        input: &str,
        format: &[BorrowedFormatItem<'static>],
    ) -> Result<Self, TimestampParseError> {
        PrimitiveDateTime::parse(input, format)
            .map(Timestamp)
            .map_err(|e| TimestampParseError {
                input: input.to_owned(),
                reason: e.to_string(),
            })
    }

    /// The value with its sub-second part removed (what goes on the wire).
    pub fn truncated_to_seconds(self) -> Self {
        // Setting nanoseconds to 0 is always in range.
        Timestamp(self.0.replace_nanosecond(0).unwrap_or(self.0))
    }

    /// The timestamp as an `OffsetDateTime` in UTC.
    pub fn assume_utc(self) -> OffsetDateTime {
        self.0.assume_utc()
    }
}

impl From<PrimitiveDateTime> for Timestamp {
    fn from(value: PrimitiveDateTime) -> Self {
        Timestamp(value)
    }
}

impl From<OffsetDateTime> for Timestamp {
    /// Converts to UTC and drops the offset.
    fn from(value: OffsetDateTime) -> Self {
        let utc = value.to_offset(UtcOffset::UTC);
        Timestamp(PrimitiveDateTime::new(utc.date(), utc.time()))
    }
}

impl From<Timestamp> for PrimitiveDateTime {
    fn from(value: Timestamp) -> Self {
        value.0
    }
}

impl FromStr for Timestamp {
    type Err = TimestampParseError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse_strict(s)
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let d = self.0;
        write!(
            f,
            "{:04}-{:02}-{:02} {:02}:{:02}:{:02}",
            d.year(),
            u8::from(d.month()),
            d.day(),
            d.hour(),
            d.minute(),
            d.second()
        )
    }
}

impl Serialize for Timestamp {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Timestamp {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct TimestampVisitor;
        impl serde::de::Visitor<'_> for TimestampVisitor {
            type Value = Timestamp;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a timestamp string YYYY-MM-DD HH:MM:SS")
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Timestamp, E> {
                Timestamp::parse_lenient(v).map_err(E::custom)
            }
        }
        deserializer.deserialize_str(TimestampVisitor)
    }
}

#[cfg(feature = "openapi")]
impl utoipa::PartialSchema for Timestamp {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        utoipa::openapi::ObjectBuilder::new()
            .schema_type(utoipa::openapi::schema::Type::String)
            .pattern(Some(r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}(\.\d+)?$"))
            .description(Some(
                "Naive UTC timestamp `YYYY-MM-DD HH:MM:SS` (space separator, no zone).",
            ))
            .examples([serde_json::json!("2026-11-22 01:53:33")])
            .into()
    }
}

#[cfg(feature = "openapi")]
impl utoipa::ToSchema for Timestamp {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_whole_seconds() -> Result<(), Box<dyn std::error::Error>> {
        let t: Timestamp = serde_json::from_str("\"2026-11-22 01:53:33\"")?;
        assert_eq!(t.0.year(), 2026);
        assert_eq!(t.0.second(), 33);
        assert_eq!(serde_json::to_string(&t)?, "\"2026-11-22 01:53:33\"");
        Ok(())
    }

    #[test]
    fn reads_microseconds_and_writes_seconds() -> Result<(), Box<dyn std::error::Error>> {
        let t: Timestamp = serde_json::from_str("\"2026-11-22 01:53:33.907213\"")?;
        assert_eq!(t.0.microsecond(), 907_213);
        assert_eq!(serde_json::to_string(&t)?, "\"2026-11-22 01:53:33\"");
        assert_eq!(t.truncated_to_seconds().0.nanosecond(), 0);
        Ok(())
    }

    #[test]
    fn strict_parse_rejects_other_forms() {
        for bad in [
            "2026-11-22T01:53:33",
            "2026-11-22 01:53:33Z",
            "2026-11-22",
            "2026-11-22 01:53:33.5",
            "2026-13-01 00:00:00",
            "",
        ] {
            assert!(Timestamp::parse_strict(bad).is_err(), "{bad} accepted");
        }
        assert!(serde_json::from_str::<Timestamp>("\"2026-11-22T01:53:33\"").is_err());
        assert!(serde_json::from_str::<Timestamp>("1700000000").is_err());
    }

    #[test]
    fn converts_offset_datetimes_to_utc() -> Result<(), Box<dyn std::error::Error>> {
        let t = OffsetDateTime::parse(
            "2026-11-22T03:53:33+02:00",
            &time::format_description::well_known::Rfc3339,
        )?;
        assert_eq!(Timestamp::from(t).to_string(), "2026-11-22 01:53:33");
        Ok(())
    }

    #[test]
    fn pads_small_years_and_fields() -> Result<(), Box<dyn std::error::Error>> {
        let t = Timestamp::parse_strict("0999-01-02 03:04:05")?;
        assert_eq!(t.to_string(), "0999-01-02 03:04:05");
        Ok(())
    }
}
