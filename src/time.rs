//! [`Timestamp`]: a date-time as EnKash sends it, with or without a UTC offset.

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, FixedOffset, NaiveDateTime, Offset, TimeZone, Utc};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A date-time from EnKash.
///
/// EnKash sends RFC 3339 values (`2025-06-02T14:24:14.670Z`) and also values without an offset
/// (`2025-05-12T14:30:25` in its webhook). Both decode; the text is kept and sent back unchanged.
/// A value without an offset is a local time whose zone EnKash does not state: use
/// [`Timestamp::to_utc_assuming`] (for example with [`Timestamp::IST`]) to place it.
///
/// ```
/// use enkash::Timestamp;
/// let t: Timestamp = "2025-05-12T14:30:25".parse().unwrap();
/// assert_eq!(t.offset(), None);
/// assert_eq!(t.to_utc_assuming(Timestamp::IST).to_rfc3339(), "2025-05-12T09:00:25+00:00");
/// ```
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Timestamp {
    text: String,
    local: NaiveDateTime,
    offset: Option<FixedOffset>,
}

/// Naive date-time layouts accepted after RFC 3339 fails, most common first.
const NAIVE_LAYOUTS: &[&str] = &[
    "%Y-%m-%dT%H:%M:%S%.f",
    "%Y-%m-%d %H:%M:%S%.f",
    "%Y-%m-%dT%H:%M",
];

impl Timestamp {
    /// India Standard Time, UTC+05:30.
    pub const IST: FixedOffset = match FixedOffset::east_opt(5 * 3600 + 30 * 60) {
        Some(offset) => offset,
        None => panic!("UTC+05:30 is a valid offset"),
    };

    /// The text as EnKash sent it.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// The wall-clock date and time, without its offset.
    pub fn naive_local(&self) -> NaiveDateTime {
        self.local
    }

    /// The UTC offset, when the value carried one.
    pub fn offset(&self) -> Option<FixedOffset> {
        self.offset
    }

    /// The instant in UTC, when the value carried an offset.
    pub fn to_utc(&self) -> Option<DateTime<Utc>> {
        let offset = self.offset?;
        Some(self.place(offset))
    }

    /// The instant in UTC, reading a value without an offset as local time at `assumed`.
    pub fn to_utc_assuming(&self, assumed: FixedOffset) -> DateTime<Utc> {
        self.place(self.offset.unwrap_or(assumed))
    }

    fn place(&self, offset: FixedOffset) -> DateTime<Utc> {
        // A fixed offset maps every local time to exactly one instant.
        offset
            .from_local_datetime(&self.local)
            .single()
            .map_or_else(|| self.local.and_utc(), |at| at.with_timezone(&Utc))
    }
}

impl From<DateTime<Utc>> for Timestamp {
    fn from(value: DateTime<Utc>) -> Self {
        Self {
            text: value.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true),
            local: value.naive_utc(),
            offset: Some(Utc.fix()),
        }
    }
}

/// Text that is not a date-time in any layout EnKash uses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TimestampParseError {
    text: String,
}

impl fmt::Display for TimestampParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "`{}` is not a date-time (expected e.g. 2025-06-02T14:24:14.670Z or 2025-05-12T14:30:25)",
            self.text
        )
    }
}

impl std::error::Error for TimestampParseError {}

/// Longest input text quoted back in an error.
const QUOTED_TEXT_LIMIT: usize = 40;

impl FromStr for Timestamp {
    type Err = TimestampParseError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        if let Ok(at) = DateTime::parse_from_rfc3339(text) {
            return Ok(Self {
                text: text.to_owned(),
                local: at.naive_local(),
                offset: Some(*at.offset()),
            });
        }
        NAIVE_LAYOUTS
            .iter()
            .find_map(|layout| NaiveDateTime::parse_from_str(text, layout).ok())
            .map(|local| Self {
                text: text.to_owned(),
                local,
                offset: None,
            })
            .ok_or_else(|| TimestampParseError {
                text: text.chars().take(QUOTED_TEXT_LIMIT).collect(),
            })
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl fmt::Debug for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Timestamp({:?})", self.text)
    }
}

impl Serialize for Timestamp {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.text)
    }
}

impl<'de> Deserialize<'de> for Timestamp {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        crate::de::from_text(deserializer, "a date-time string", str::parse)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_every_layout_enkash_sends_and_keeps_the_text() {
        let cases = [
            ("2025-06-02T14:24:14.670Z", Some(0)),
            ("2019-08-24T14:15:22Z", Some(0)),
            ("2025-05-12T14:30:25+05:30", Some(19800)),
            ("2025-05-12T14:30:25", None),
            ("2025-05-12T14:30:25.123456", None),
            ("2025-05-12 14:30:25", None),
        ];
        for (text, offset) in cases {
            let t: Timestamp = serde_json::from_value(serde_json::json!(text)).unwrap();
            assert_eq!(t.offset().map(|o| o.local_minus_utc()), offset, "{text}");
            assert_eq!(serde_json::to_value(&t).unwrap(), serde_json::json!(text));
        }
    }

    #[test]
    fn places_zoneless_values_at_the_assumed_offset() {
        let t: Timestamp = "2025-05-20T10:15:30".parse().unwrap();
        assert_eq!(t.to_utc(), None);
        assert_eq!(
            t.to_utc_assuming(Timestamp::IST).to_rfc3339(),
            "2025-05-20T04:45:30+00:00"
        );
        let z: Timestamp = "2025-05-20T10:15:30Z".parse().unwrap();
        assert_eq!(
            z.to_utc_assuming(Timestamp::IST).to_rfc3339(),
            "2025-05-20T10:15:30+00:00"
        );
    }

    #[test]
    fn rejects_garbage_with_a_bounded_message() {
        let err = format!(
            "{}",
            "yesterday".repeat(50).parse::<Timestamp>().unwrap_err()
        );
        assert!(err.len() < 160, "{err}");
        assert!("".parse::<Timestamp>().is_err());
    }
}
