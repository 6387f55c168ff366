//! Decoding a value from JSON text without keeping the text: open enums, timestamps and amounts
//! read the string where the decoder holds it and build their value from it.
//!
//! serde's `Cow<str>` and `String` always allocate; for the thousands of statuses and amounts of
//! a large search response that was most of the decoding time (see BENCHMARKS.md).

use std::fmt;
use std::marker::PhantomData;

use serde::Deserializer;
use serde::de::{self, DeserializeSeed, Visitor};

/// Builds a `T` from a string with `build`; `expecting` names what the string should hold.
pub(crate) struct FromText<F, T> {
    expecting: &'static str,
    build: F,
    output: PhantomData<fn() -> T>,
}

impl<F, T, E> FromText<F, T>
where
    F: FnOnce(&str) -> Result<T, E>,
    E: fmt::Display,
{
    pub(crate) fn new(expecting: &'static str, build: F) -> Self {
        Self {
            expecting,
            build,
            output: PhantomData,
        }
    }
}

/// Decodes a string with `build`, without allocating for it.
pub(crate) fn from_text<'de, D, F, T, E>(
    deserializer: D,
    expecting: &'static str,
    build: F,
) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    F: FnOnce(&str) -> Result<T, E>,
    E: fmt::Display,
{
    deserializer.deserialize_str(FromText::new(expecting, build))
}

impl<'de, F, T, E> Visitor<'de> for FromText<F, T>
where
    F: FnOnce(&str) -> Result<T, E>,
    E: fmt::Display,
{
    type Value = T;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.expecting)
    }

    fn visit_str<Er: de::Error>(self, text: &str) -> Result<T, Er> {
        (self.build)(text).map_err(Er::custom)
    }
}

impl<'de, F, T, E> DeserializeSeed<'de> for FromText<F, T>
where
    F: FnOnce(&str) -> Result<T, E>,
    E: fmt::Display,
{
    type Value = T;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<T, D::Error> {
        deserializer.deserialize_str(self)
    }
}
