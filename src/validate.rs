//! Bounds on request values that the generated types cannot express (numeric minimums and
//! maximums, list lengths), checked before a request is sent.
//!
//! Patterns and required fields are enforced by the generated types themselves: a value breaking
//! them cannot be built. `tests/request_rules.rs` checks that this table holds every bound of the
//! spec's request bodies and parameters.

use reqwest::Request;
use rust_decimal::Decimal;

use crate::error::ValidationError;

/// Where a bounded value sits in a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Place {
    /// A member of the JSON body, by JSON pointer (`/limit`).
    Body(&'static str),
    /// A query parameter.
    Query(&'static str),
}

/// What a bound limits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Measure {
    /// A number's value.
    Value,
    /// A list's number of items.
    Items,
}

/// A bound on one value of one operation: inclusive limits, as decimal text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct Bound {
    /// The generated operation id.
    pub operation: &'static str,
    /// Where the value is.
    pub place: Place,
    /// What is limited.
    pub measure: Measure,
    /// Lower limit, when there is one.
    pub min: Option<&'static str>,
    /// Upper limit, when there is one.
    pub max: Option<&'static str>,
}

const fn bound(
    operation: &'static str,
    place: Place,
    measure: Measure,
    min: Option<&'static str>,
    max: Option<&'static str>,
) -> Bound {
    Bound {
        operation,
        place,
        measure,
        min,
        max,
    }
}

/// Every bound of the spec's requests, plus the bounds EnKash's field tables put on amounts
/// (`billNetAmount >= 1`, `baseAmount >= 0.1`), which a `$ref` to `Amount` cannot carry in
/// OpenAPI 3.0.
pub const BOUNDS: &[Bound] = &[
    bound(
        "create_bill",
        Place::Body("/billNetAmount"),
        Measure::Value,
        Some("1"),
        None,
    ),
    bound(
        "confirm_debit",
        Place::Body("/utilityPaymentIds"),
        Measure::Items,
        Some("1"),
        Some("1000"),
    ),
    bound(
        "search_utility_bills",
        Place::Body("/offset"),
        Measure::Value,
        Some("0"),
        None,
    ),
    bound(
        "search_utility_bills",
        Place::Body("/limit"),
        Measure::Value,
        Some("1"),
        Some("5000"),
    ),
    bound(
        "search_customer",
        Place::Query("offset"),
        Measure::Value,
        Some("0"),
        None,
    ),
    bound(
        "search_customer",
        Place::Query("limit"),
        Measure::Value,
        Some("1"),
        Some("50"),
    ),
    bound(
        "search_collection_invoices",
        Place::Query("offset"),
        Measure::Value,
        Some("0"),
        None,
    ),
    bound(
        "search_collection_invoices",
        Place::Query("limit"),
        Measure::Value,
        Some("1"),
        Some("5000"),
    ),
];

/// Checks every bound of `operation` on the request about to be sent.
pub(crate) fn check(operation: &'static str, request: &Request) -> Result<(), ValidationError> {
    let mut body = None;
    for bound in BOUNDS.iter().filter(|b| b.operation == operation) {
        let (field, measured) = match bound.place {
            Place::Body(pointer) => {
                let json = body.get_or_insert_with(|| {
                    request
                        .body()
                        .and_then(reqwest::Body::as_bytes)
                        .and_then(|bytes| serde_json::from_slice::<serde_json::Value>(bytes).ok())
                        .unwrap_or_default()
                });
                let value = json.pointer(pointer);
                let measured = match (bound.measure, value) {
                    (Measure::Items, Some(serde_json::Value::Array(items))) => {
                        Some(Decimal::from(items.len()))
                    }
                    (Measure::Value, Some(serde_json::Value::Number(number))) => {
                        number.to_string().parse().ok()
                    }
                    _ => None,
                };
                (pointer.trim_start_matches('/'), measured)
            }
            Place::Query(name) => (
                name,
                request
                    .url()
                    .query_pairs()
                    .find(|(key, _)| key == name)
                    .and_then(|(_, value)| value.parse::<Decimal>().ok()),
            ),
        };
        let Some(measured) = measured else { continue };
        let below = bound
            .min
            .and_then(|m| m.parse::<Decimal>().ok())
            .is_some_and(|m| measured < m);
        let above = bound
            .max
            .and_then(|m| m.parse::<Decimal>().ok())
            .is_some_and(|m| measured > m);
        if below || above {
            return Err(ValidationError {
                operation: Some(operation),
                field: Some(field.to_owned()),
                rule: describe(bound),
            });
        }
    }
    Ok(())
}

fn describe(bound: &Bound) -> String {
    let what = match bound.measure {
        Measure::Items => "number of items",
        Measure::Value => "value",
    };
    match (bound.min, bound.max) {
        (Some(min), Some(max)) => format!("{what} must be from {min} to {max}"),
        (Some(min), None) => format!("{what} must be at least {min}"),
        (None, Some(max)) => format!("{what} must be at most {max}"),
        (None, None) => format!("{what} is unbounded"),
    }
}
