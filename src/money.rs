//! Exact decimal numbers: [`Amount`] for money, [`Quantity`] for other measurements.
//!
//! EnKash sends amounts as JSON numbers (`2450.75`), sometimes as integers for the same field.
//! Both types decode numbers, integers and numeric strings into a [`Decimal`] without going
//! through `f64`, and encode as JSON numbers, keeping the written scale (`100.10` stays `100.10`)
//! both ways. They read the number's own text through serde_json's additive `raw_value` feature,
//! so nothing changes for other crates in the build. Only a value that went through a buffer first
//! (a `serde_json::Value`, or serde's buffering for untagged and flattened types) arrives as an
//! `f64`: its value is still exact (`100.10 == 100.1`) but trailing zeros are lost there, unless
//! the opt-in `exact-scale` feature turns on serde_json's `arbitrary_precision`.

use std::fmt;
use std::str::FromStr;

pub use rust_decimal::Decimal;
use serde::de::{self, Deserializer, MapAccess, Visitor};
use serde::{Deserialize, Serialize, Serializer};

/// The key serde_json uses to pass a number's text through `deserialize_any` when its
/// `arbitrary_precision` feature is on.
const JSON_NUMBER_TOKEN: &str = "$serde_json::private::Number";
/// The name under which serde_json's `raw_value` feature hands a value's text to a visitor, as a
/// one-entry map keyed by this same name (`serde_json::value::RawValue` asks for it this way).
const JSON_RAW_TOKEN: &str = "$serde_json::private::RawValue";

macro_rules! exact_decimal {
    ($(#[$meta:meta])* $name:ident, $what:literal) => {
        $(#[$meta])*
        #[derive(Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub struct $name(Decimal);

        impl $name {
            #[doc = concat!("Wraps an exact decimal as ", $what, ".")]
            pub const fn new(value: Decimal) -> Self {
                Self(value)
            }

            /// The exact decimal value.
            pub const fn as_decimal(&self) -> Decimal {
                self.0
            }
        }

        impl From<Decimal> for $name {
            fn from(value: Decimal) -> Self {
                Self(value)
            }
        }

        impl From<$name> for Decimal {
            fn from(value: $name) -> Self {
                value.0
            }
        }

        impl From<i64> for $name {
            fn from(value: i64) -> Self {
                Self(Decimal::from(value))
            }
        }

        impl FromStr for $name {
            type Err = DecimalParseError;

            /// Parses `2450.75`, `-3`, `1e3`; keeps the written scale.
            fn from_str(text: &str) -> Result<Self, Self::Err> {
                parse_decimal(text).map(Self)
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                fmt::Display::fmt(&self.0, f)
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}({})", stringify!($name), self.0)
            }
        }

        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serialize_decimal(&self.0, serializer)
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                // serde_json answers with the value's text; any other deserializer calls
                // `visit_newtype_struct`, which reads the value as it comes.
                deserializer
                    .deserialize_newtype_struct(JSON_RAW_TOKEN, DecimalVisitor)
                    .map(Self)
            }
        }
    };
}

exact_decimal!(
    /// A sum of money in rupees, exact to the paisa (and beyond): never a float.
    ///
    /// ```
    /// use enkash::Amount;
    /// let amount: Amount = serde_json::from_str("2450.75").unwrap();
    /// assert_eq!(amount.to_string(), "2450.75");
    /// assert_eq!(serde_json::to_string(&amount).unwrap(), "2450.75");
    /// ```
    Amount,
    "an amount of money"
);

exact_decimal!(
    /// A non-monetary decimal quantity (load, meter reading, power factor), kept exact.
    Quantity,
    "a quantity"
);

/// A decimal that could not be parsed: the text (bounded) and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DecimalParseError {
    text: String,
    reason: String,
}

impl fmt::Display for DecimalParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "`{}` is not a decimal number: {}",
            self.text, self.reason
        )
    }
}

impl std::error::Error for DecimalParseError {}

/// Longest input text quoted back in an error.
const QUOTED_TEXT_LIMIT: usize = 40;

fn parse_decimal(text: &str) -> Result<Decimal, DecimalParseError> {
    let trimmed = text.trim();
    let parsed = if trimmed.contains(['e', 'E']) {
        Decimal::from_scientific(trimmed)
    } else {
        Decimal::from_str_exact(trimmed)
    };
    parsed.map_err(|err| DecimalParseError {
        text: trimmed.chars().take(QUOTED_TEXT_LIMIT).collect(),
        reason: err.to_string(),
    })
}

/// A decimal from the JSON text of a number, or of a string holding one.
fn parse_raw_json(raw: &str) -> Result<Decimal, DecimalParseError> {
    let raw = raw.trim();
    if raw.starts_with('"') {
        let text: String = serde_json::from_str(raw).map_err(|_| DecimalParseError {
            text: raw.chars().take(QUOTED_TEXT_LIMIT).collect(),
            reason: "not a JSON string".into(),
        })?;
        return parse_decimal(&text);
    }
    if raw.starts_with(|c: char| c == '-' || c.is_ascii_digit()) {
        return parse_decimal(raw);
    }
    Err(DecimalParseError {
        text: raw.chars().take(QUOTED_TEXT_LIMIT).collect(),
        reason: "a decimal number or a string holding one is expected".into(),
    })
}

fn serialize_decimal<S: Serializer>(value: &Decimal, serializer: S) -> Result<S::Ok, S::Error> {
    // As raw JSON text, serde_json writes the digits as they are (`100.10`); another serializer
    // (`serde_json::to_value`, say) reads the text as a number.
    let raw = serde_json::value::RawValue::from_string(value.to_string())
        .map_err(serde::ser::Error::custom)?;
    raw.serialize(serializer)
}

struct DecimalVisitor;

impl<'de> Visitor<'de> for DecimalVisitor {
    type Value = Decimal;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a decimal number or a string holding one")
    }

    fn visit_i64<E: de::Error>(self, value: i64) -> Result<Decimal, E> {
        Ok(Decimal::from(value))
    }

    fn visit_u64<E: de::Error>(self, value: u64) -> Result<Decimal, E> {
        Ok(Decimal::from(value))
    }

    fn visit_i128<E: de::Error>(self, value: i128) -> Result<Decimal, E> {
        Decimal::try_from_i128_with_scale(value, 0).map_err(E::custom)
    }

    fn visit_f64<E: de::Error>(self, value: f64) -> Result<Decimal, E> {
        if !value.is_finite() {
            return Err(E::custom("a decimal must be finite"));
        }
        // Rust prints the shortest text that reads back as the same f64: for any amount with up
        // to 15 significant digits that is exactly the text that was sent.
        parse_decimal(&value.to_string()).map_err(E::custom)
    }

    fn visit_str<E: de::Error>(self, value: &str) -> Result<Decimal, E> {
        parse_decimal(value).map_err(|_| crate::de::invalid_text(value, &self))
    }

    fn visit_newtype_struct<D: Deserializer<'de>>(
        self,
        deserializer: D,
    ) -> Result<Decimal, D::Error> {
        deserializer.deserialize_any(self)
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Decimal, A::Error> {
        let token = crate::de::FromText::new("a map key", |key: &str| {
            Ok::<_, std::convert::Infallible>(match key {
                JSON_NUMBER_TOKEN => Some(false),
                JSON_RAW_TOKEN => Some(true),
                _ => None,
            })
        });
        match map.next_key_seed(token)? {
            Some(Some(false)) => map.next_value_seed(crate::de::FromText::new(
                "the digits of a number",
                parse_decimal,
            )),
            Some(Some(true)) => map.next_value_seed(crate::de::FromText::new(
                "a decimal number or a string holding one",
                parse_raw_json,
            )),
            _ => Err(de::Error::invalid_type(de::Unexpected::Map, &self)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_numbers_integers_and_strings_exactly() {
        let cases = [
            ("2450.75", "2450.75"),
            ("2400.00", "2400.00"),
            ("100.10", "100.10"),
            ("0.1", "0.1"),
            ("110", "110"),
            ("-5", "-5"),
            ("\"2525.50\"", "2525.50"),
            ("99999999999999.99", "99999999999999.99"),
        ];
        for (json, expected) in cases {
            let amount: Amount = serde_json::from_str(json).unwrap();
            assert_eq!(amount.to_string(), expected, "decoding {json}");
        }
    }

    #[test]
    fn encodes_as_a_json_number() {
        let amount = Amount::from_str("100.10").unwrap();
        assert_eq!(serde_json::to_string(&amount).unwrap(), "100.10");
        assert!(serde_json::to_value(amount).unwrap().is_number());
    }

    #[test]
    fn rejects_what_is_not_a_number_with_a_bounded_message() {
        let long = format!("\"{}\"", "x".repeat(500));
        let err = serde_json::from_str::<Amount>(&long)
            .unwrap_err()
            .to_string();
        assert!(err.len() < 200, "{err}");
        assert!(serde_json::from_str::<Amount>("true").is_err());
        assert!(serde_json::from_str::<Amount>("{\"a\":1}").is_err());
    }

    #[test]
    fn debug_names_the_type() {
        assert_eq!(format!("{:?}", Amount::from(7)), "Amount(7)");
        assert_eq!(
            format!("{:?}", Quantity::from_str("0.95").unwrap()),
            "Quantity(0.95)"
        );
    }
}
