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

/// Longest start of a refused text that serde's message quotes.
const QUOTED_TEXT_LIMIT: usize = 40;

/// A text that does not hold what `expected` says, in serde's own form (which the crate's errors
/// rewrite without the value), quoting at most the first 40 characters.
pub(crate) fn invalid_text<E: de::Error>(text: &str, expected: &dyn de::Expected) -> E {
    let end = text
        .char_indices()
        .nth(QUOTED_TEXT_LIMIT)
        .map_or(text.len(), |(at, _)| at);
    E::invalid_value(de::Unexpected::Str(&text[..end]), expected)
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
        let expecting = self.expecting;
        (self.build)(text).map_err(|_| invalid_text(text, &expecting))
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

/// Decodes a list into a `Vec` that grows by half its length at a time instead of doubling, and
/// is shrunk to its length at the end. A `null` (how EnKash's back end sends an absent list) is
/// an empty list.
///
/// JSON does not say how long a list is, so serde's `Vec` doubles as it goes: a search answer of
/// 10,000 bills ends up with room for 16,384, and a list of one record with room for four. Every
/// generated list field is read with this instead (build.rs adds it).
pub(crate) fn vec<'de, D, T>(deserializer: D) -> Result<Vec<T>, D::Error>
where
    D: Deserializer<'de>,
    T: de::Deserialize<'de>,
{
    deserializer.deserialize_option(NullOrSeq(PhantomData))
}

/// `null`, or a list read by [`CompactVec`].
struct NullOrSeq<T>(PhantomData<fn() -> T>);

impl<'de, T: de::Deserialize<'de>> Visitor<'de> for NullOrSeq<T> {
    type Value = Vec<T>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an array or null")
    }

    fn visit_none<E: de::Error>(self) -> Result<Vec<T>, E> {
        Ok(Vec::new())
    }

    fn visit_unit<E: de::Error>(self) -> Result<Vec<T>, E> {
        Ok(Vec::new())
    }

    fn visit_some<D: Deserializer<'de>>(self, deserializer: D) -> Result<Vec<T>, D::Error> {
        deserializer.deserialize_seq(CompactVec(PhantomData))
    }
}

struct CompactVec<T>(PhantomData<fn() -> T>);

/// The most room reserved up front from a decoder's length hint: a hint is not a promise.
const HINTED_BYTES_LIMIT: usize = 1 << 20;

impl<'de, T: de::Deserialize<'de>> Visitor<'de> for CompactVec<T> {
    type Value = Vec<T>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an array")
    }

    fn visit_seq<A: de::SeqAccess<'de>>(self, mut seq: A) -> Result<Vec<T>, A::Error> {
        let hinted = seq.size_hint().unwrap_or(0);
        let mut items =
            Vec::with_capacity(hinted.min(HINTED_BYTES_LIMIT / std::mem::size_of::<T>().max(1)));
        while let Some(item) = seq.next_element()? {
            if items.len() == items.capacity() {
                items.reserve_exact((items.len() / 2).max(1));
            }
            items.push(item);
        }
        items.shrink_to_fit();
        Ok(items)
    }
}
