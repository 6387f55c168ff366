//! [`Timestamp`]: a date-time as EnKash sends it, with or without a UTC offset.

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, FixedOffset, NaiveDateTime, TimeZone, Utc};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A date-time from EnKash.
///
/// EnKash sends RFC 3339 values (`2025-06-02T14:24:14.670Z`) and also values without an offset
/// (`2025-05-12T14:30:25` in its webhook). Both decode; the text is sent back exactly as it came.
/// A value without an offset is a local time whose zone EnKash does not state: use
/// [`Timestamp::to_utc_assuming`] (for example with [`Timestamp::IST`]) to place it.
///
/// ```
/// use enkash::Timestamp;
/// let t: Timestamp = "2025-05-12T14:30:25".parse().unwrap();
/// assert_eq!(t.offset(), None);
/// assert_eq!(t.to_string(), "2025-05-12T14:30:25");
/// assert_eq!(t.to_utc_assuming(Timestamp::IST).to_rfc3339(), "2025-05-12T09:00:25+00:00");
/// ```
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Timestamp {
    local: NaiveDateTime,
    /// Minutes east of UTC (0 when `zone` is `Zone::Local`).
    offset_minutes: i16,
    layout: Layout,
    zone: Zone,
    /// The text as sent, kept only when `layout` cannot spell it again (an offset written
    /// `-00:00`, more than nine fraction digits, ...). A list of 10,000 bills has some 70,000
    /// date-time fields: rebuilt from 24 bytes, not each a copy of its text (see BENCHMARKS.md).
    text: Option<Box<Verbatim>>,
}

/// A text kept as sent, behind one thin pointer (8 bytes in the `Timestamp`, not a `String`'s 24).
#[derive(Clone, PartialEq, Eq, Hash)]
struct Verbatim(String);

/// How the text was laid out, packed in a byte: bit 0 set for a space between date and time
/// (else `T`), bit 1 set when seconds are written, bits 2 to 5 the number of fraction digits.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
struct Layout(u8);

impl Layout {
    const SPACE: u8 = 1;
    const SECONDS: u8 = 2;

    /// The layout `text` appears to use; the caller checks that it spells `text` again.
    fn of(text: &str) -> Self {
        let bytes = text.as_bytes();
        let mut bits = 0;
        if bytes.get(10) == Some(&b' ') {
            bits |= Self::SPACE;
        }
        let (mut colons, mut digits, mut in_fraction) = (0, 0u8, false);
        for &byte in bytes.get(11..).unwrap_or_default() {
            match byte {
                b':' => colons += 1,
                b'.' => in_fraction = true,
                b'0'..=b'9' if in_fraction => digits = digits.saturating_add(1),
                b'Z' | b'z' | b'+' | b'-' => break,
                _ => {}
            }
        }
        if colons >= 2 {
            bits |= Self::SECONDS;
        }
        Self(bits | (digits.min(15) << 2))
    }

    fn separator(self) -> u8 {
        if self.0 & Self::SPACE != 0 {
            b' '
        } else {
            b'T'
        }
    }

    fn seconds(self) -> bool {
        self.0 & Self::SECONDS != 0
    }

    fn fraction_digits(self) -> u32 {
        u32::from(self.0 >> 2)
    }
}

/// How the offset was written.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
enum Zone {
    /// None: a local time.
    Local,
    /// `Z`.
    Utc,
    /// `+hh:mm` or `-hh:mm`.
    Offset,
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

    /// The wall-clock date and time, without its offset.
    pub fn naive_local(&self) -> NaiveDateTime {
        self.local
    }

    /// The UTC offset, when the value carried one.
    pub fn offset(&self) -> Option<FixedOffset> {
        match self.zone {
            Zone::Local => None,
            Zone::Utc | Zone::Offset => FixedOffset::east_opt(i32::from(self.offset_minutes) * 60),
        }
    }

    /// The instant in UTC, when the value carried an offset.
    pub fn to_utc(&self) -> Option<DateTime<Utc>> {
        Some(self.place(self.offset()?))
    }

    /// The instant in UTC, reading a value without an offset as local time at `assumed`.
    pub fn to_utc_assuming(&self, assumed: FixedOffset) -> DateTime<Utc> {
        self.place(self.offset().unwrap_or(assumed))
    }

    fn place(&self, offset: FixedOffset) -> DateTime<Utc> {
        // A fixed offset maps every local time to exactly one instant.
        offset
            .from_local_datetime(&self.local)
            .single()
            .map_or_else(|| self.local.and_utc(), |at| at.with_timezone(&Utc))
    }

    /// The value in its layout, or `None` when the layout cannot hold it (a year of more than
    /// four digits, more fraction digits than nanoseconds have). Built on the stack: every
    /// decoded date-time is spelled once, to check it against its text.
    fn spelled(&self) -> Option<Spelled> {
        use chrono::{Datelike as _, Timelike as _};

        let (date, time) = (self.local.date(), self.local.time());
        let mut out = Spelled::default();
        out.digits(u32::try_from(date.year()).ok().filter(|&y| y <= 9999)?, 4);
        out.push(b'-');
        out.digits(date.month(), 2);
        out.push(b'-');
        out.digits(date.day(), 2);
        out.push(self.layout.separator());
        out.digits(time.hour(), 2);
        out.push(b':');
        out.digits(time.minute(), 2);
        if self.layout.seconds() {
            out.push(b':');
            out.digits(time.second(), 2);
        }
        let width = self.layout.fraction_digits();
        if width > 0 {
            out.push(b'.');
            out.digits(
                time.nanosecond() / 10u32.checked_pow(9u32.checked_sub(width)?)?,
                width,
            );
        }
        match self.zone {
            Zone::Local => {}
            Zone::Utc => out.push(b'Z'),
            Zone::Offset => {
                let minutes = self.offset_minutes;
                out.push(if minutes < 0 { b'-' } else { b'+' });
                let minutes = u32::from(minutes.unsigned_abs());
                out.digits(minutes / 60, 2);
                out.push(b':');
                out.digits(minutes % 60, 2);
            }
        }
        Some(out)
    }

    /// The value read from `text`, keeping the text only when its layout cannot spell it again.
    fn read(text: &str, local: NaiveDateTime, zone: Zone, offset_minutes: i16) -> Self {
        let mut read = Self {
            local,
            offset_minutes,
            layout: Layout::of(text),
            zone,
            text: None,
        };
        if read
            .spelled()
            .is_none_or(|spelled| spelled.as_str() != text)
        {
            read.text = Some(Box::new(Verbatim(text.to_owned())));
        }
        read
    }
}

/// Longest spelling: `9999-12-31T23:59:59.999999999+23:59`.
const SPELLED_MAX: usize = 35;

/// A date-time spelled out in a buffer on the stack.
struct Spelled {
    bytes: [u8; SPELLED_MAX],
    len: usize,
}

impl Default for Spelled {
    fn default() -> Self {
        Self {
            bytes: [0; SPELLED_MAX],
            len: 0,
        }
    }
}

impl Spelled {
    fn push(&mut self, byte: u8) {
        // Cannot overflow for the layouts above; if it did, the spelling would not match and
        // the text would be kept.
        if let Some(slot) = self.bytes.get_mut(self.len) {
            *slot = byte;
            self.len += 1;
        }
    }

    /// The last `width` decimal digits of `value`, with leading zeros.
    fn digits(&mut self, value: u32, width: u32) {
        for place in (0..width).rev() {
            self.push(b'0' + (value / 10u32.pow(place) % 10) as u8);
        }
    }

    fn as_str(&self) -> &str {
        std::str::from_utf8(&self.bytes[..self.len]).unwrap_or_default()
    }
}

impl From<DateTime<Utc>> for Timestamp {
    fn from(value: DateTime<Utc>) -> Self {
        let text = value.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true);
        Self::read(&text, value.naive_utc(), Zone::Utc, 0)
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
            let seconds = at.offset().local_minus_utc();
            let zone = if text.ends_with('Z') {
                Zone::Utc
            } else {
                Zone::Offset
            };
            // RFC 3339 offsets are whole minutes within a day.
            let minutes = i16::try_from(seconds / 60).unwrap_or_default();
            return Ok(Self::read(text, at.naive_local(), zone, minutes));
        }
        NAIVE_LAYOUTS
            .iter()
            .find_map(|layout| NaiveDateTime::parse_from_str(text, layout).ok())
            .map(|local| Self::read(text, local, Zone::Local, 0))
            .ok_or_else(|| TimestampParseError {
                text: text.chars().take(QUOTED_TEXT_LIMIT).collect(),
            })
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(text) = &self.text {
            return f.write_str(&text.0);
        }
        match self.spelled() {
            Some(spelled) => f.write_str(spelled.as_str()),
            // Not reached: a value its layout cannot spell keeps its text.
            None => write!(f, "{}", self.local.format("%Y-%m-%dT%H:%M:%S%.f")),
        }
    }
}

impl fmt::Debug for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Timestamp({:?})", self.to_string())
    }
}

impl Serialize for Timestamp {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Timestamp {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        crate::de::from_text(
            deserializer,
            "a date-time such as 2025-06-02T14:24:14.670Z or 2025-05-12T14:30:25",
            str::parse,
        )
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
    fn spells_back_what_its_layouts_cannot_rebuild() {
        // Parsed to the same instant as `+00:00`, a lowercase `t`, a tenth fraction digit: the
        // text is kept for these.
        for text in [
            "2025-05-12T14:30:25-00:00",
            "2025-05-12t14:30:25Z",
            "2025-05-12T14:30:25.1234567891Z",
            "2025-05-12T14:30:25.5+05:30",
            "2025-05-12 14:30:25.000001",
        ] {
            let Ok(t) = text.parse::<Timestamp>() else {
                continue;
            };
            assert_eq!(t.to_string(), text);
            assert_eq!(format!("{t:?}"), format!("Timestamp({text:?})"));
        }
        let t: Timestamp = "2025-05-12T14:30:25-00:00".parse().unwrap();
        assert!(
            t.text.is_some(),
            "`-00:00` is rebuilt as `+00:00`, so the text is kept"
        );
        let t: Timestamp = "2025-05-12T14:30:25.120Z".parse().unwrap();
        assert!(t.text.is_none(), "a usual layout keeps no copy of its text");
    }

    #[test]
    fn stays_small_inside_the_records_that_hold_it() {
        // Held in `Option`s by every record: 24 bytes, not 48 as a text-keeping value would be.
        assert!(std::mem::size_of::<Option<Timestamp>>() <= 24);
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
