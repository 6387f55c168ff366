//! Bounds on request values that the generated types cannot express (numeric minimums and
//! maximums, list lengths), checked before a request is sent.
//!
//! Patterns and required fields are enforced by the generated types themselves: a value breaking
//! them cannot be built. `tests/request_rules.rs` checks that this table holds every bound of the
//! spec's request bodies and parameters.

use reqwest::Request;
use rust_decimal::Decimal;

use crate::error::ValidationError;
use crate::operation::OperationSpec;

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

/// A bound on one value of one operation, as decimal text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct Bound {
    /// The generated operation name.
    pub operation: &'static str,
    /// Where the value is.
    pub place: Place,
    /// What is limited.
    pub measure: Measure,
    /// Lower limit, when there is one.
    pub min: Option<&'static str>,
    /// Upper limit, when there is one.
    pub max: Option<&'static str>,
    /// The lower limit itself is out of bounds (`exclusiveMinimum`).
    pub min_exclusive: bool,
    /// The upper limit itself is out of bounds (`exclusiveMaximum`).
    pub max_exclusive: bool,
}

/// Every bound of the spec's requests (`minimum`, `maximum`, `exclusiveMinimum`,
/// `exclusiveMaximum`, `minItems`, `maxItems` on request bodies and query parameters), generated
/// from the spec by `build.rs`. The amount bounds of EnKash's field tables (`billNetAmount >= 1`,
/// `baseAmount >= 0.1`) are written there as `allOf: [Amount]` with a `minimum`.
pub use crate::generated::operations::BOUNDS;

/// The JSON of a request's body, read once for every check that needs it (bounds, the ids a
/// money-moving call is settled by), and not at all when none does.
#[derive(Default)]
pub(crate) struct JsonBody(Option<serde_json::Value>);

impl JsonBody {
    /// The body of `request` as JSON (`null` when it has none or it is not JSON).
    pub(crate) fn of(&mut self, request: &Request) -> &serde_json::Value {
        self.0.get_or_insert_with(|| {
            request
                .body()
                .and_then(reqwest::Body::as_bytes)
                .and_then(|bytes| serde_json::from_slice(bytes).ok())
                .unwrap_or_default()
        })
    }
}

/// Checks every bound of `operation` on the request about to be sent, and that no path parameter
/// is empty or blank (`/referenceId/` or `/referenceId/%20` would name no record, and a lookup's
/// answer to it could be mistaken for one).
pub(crate) fn check(
    operation: &OperationSpec,
    request: &Request,
    body: &mut JsonBody,
) -> Result<(), ValidationError> {
    check_path(operation, request)?;
    for bound in operation.bounds {
        let (field, measured) = match bound.place {
            Place::Body(pointer) => {
                let value = body.of(request).pointer(pointer);
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
            .is_some_and(|m| measured < m || (bound.min_exclusive && measured == m));
        let above = bound
            .max
            .and_then(|m| m.parse::<Decimal>().ok())
            .is_some_and(|m| measured > m || (bound.max_exclusive && measured == m));
        if below || above {
            return Err(ValidationError {
                operation: Some(operation.id),
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
    match (
        bound.min,
        bound.max,
        bound.min_exclusive || bound.max_exclusive,
    ) {
        (Some(min), Some(max), false) => format!("{what} must be from {min} to {max}"),
        (Some(min), None, false) => format!("{what} must be at least {min}"),
        (None, Some(max), false) => format!("{what} must be at most {max}"),
        (min, max, _) => {
            let mut rules = Vec::new();
            if let Some(min) = min {
                let word = if bound.min_exclusive {
                    "more than"
                } else {
                    "at least"
                };
                rules.push(format!("{word} {min}"));
            }
            if let Some(max) = max {
                let word = if bound.max_exclusive {
                    "less than"
                } else {
                    "at most"
                };
                rules.push(format!("{word} {max}"));
            }
            format!("{what} must be {}", rules.join(" and "))
        }
    }
}

/// Refuses a request whose URL has an empty or blank segment where the template has a
/// `{parameter}`, naming the parameter.
fn check_path(operation: &OperationSpec, request: &Request) -> Result<(), ValidationError> {
    if !operation.path.contains('{') {
        return Ok(());
    }
    let path = request.url().path();
    // Only an empty segment or an encoded character (a blank is `%20`, `%09`, ...) can make a
    // blank parameter: most calls stop here.
    if !path.contains("//") && !path.ends_with('/') && !path.contains('%') {
        return Ok(());
    }
    // The base URL may have a path of its own: the template matches the last segments.
    let template = operation.path.trim_start_matches('/').rsplit('/');
    let sent = path.trim_start_matches('/').rsplit('/');
    for (expected, sent) in template.zip(sent) {
        let Some(name) = expected
            .strip_prefix('{')
            .and_then(|rest| rest.strip_suffix('}'))
        else {
            continue;
        };
        let decoded = percent_encoding::percent_decode_str(sent).decode_utf8_lossy();
        if decoded.trim().is_empty() {
            return Err(ValidationError {
                operation: Some(operation.id),
                field: Some(name.to_owned()),
                rule: "required: an empty or blank path parameter names no record".into(),
            });
        }
    }
    Ok(())
}
