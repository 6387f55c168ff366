//! What travels on the wire: strict reading of request bodies and EnKash's envelopes.

use axum::http::StatusCode;
use axum::http::header::{self, HeaderValue};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

/// Longest error text quoted back to the caller.
const MESSAGE_LIMIT: usize = 200;

/// An answer before it is written: an HTTP status and a JSON body.
#[derive(Clone, Debug)]
pub(crate) struct Reply {
    pub status: StatusCode,
    /// The `WWW-Authenticate` challenge of a 401.
    pub challenge: Option<&'static str>,
    pub body: Value,
}

impl Reply {
    /// HTTP `status` with `body` as is.
    pub(crate) fn raw(status: StatusCode, body: Value) -> Self {
        Self {
            status,
            challenge: None,
            body,
        }
    }

    /// HTTP 200, `response_code` 0 and `payload`.
    pub(crate) fn ok(payload: impl Serialize) -> Self {
        match serde_json::to_value(payload) {
            Ok(payload) => Self::raw(
                StatusCode::OK,
                json!({"response_code": 0, "response_message": "Success", "payload": payload}),
            ),
            Err(err) => Self::failed(StatusCode::INTERNAL_SERVER_ERROR, err.to_string()),
        }
    }

    /// HTTP 200 with a non-zero `response_code` (36 velocity limit, 38 duplicate referenceId).
    pub(crate) fn refused(code: i64, message: &str) -> Self {
        Self::raw(
            StatusCode::OK,
            json!({"response_code": code, "response_message": message}),
        )
    }

    /// An error status with the error envelope: `response_code` 1, `response_message`
    /// "Failed" and `payload` saying why.
    pub(crate) fn failed(status: StatusCode, payload: impl Into<String>) -> Self {
        let payload: String = payload.into().chars().take(MESSAGE_LIMIT).collect();
        Self::raw(
            status,
            json!({"response_code": 1, "response_message": "Failed", "payload": payload}),
        )
    }

    /// HTTP 400: a field breaks a documented rule, or names nothing the sandbox knows.
    pub(crate) fn invalid(payload: impl Into<String>) -> Self {
        Self::failed(StatusCode::BAD_REQUEST, payload)
    }

    /// HTTP 412: the body cannot be read as the operation's request.
    pub(crate) fn unreadable(payload: impl Into<String>) -> Self {
        Self::failed(StatusCode::PRECONDITION_FAILED, payload)
    }

    /// HTTP 404: an Accounts Receivable id that names no record.
    pub(crate) fn not_found(payload: impl Into<String>) -> Self {
        Self::failed(StatusCode::NOT_FOUND, payload)
    }

    /// HTTP 422: the request is valid but the record's state does not allow it.
    pub(crate) fn unprocessable(payload: impl Into<String>) -> Self {
        Self::failed(StatusCode::UNPROCESSABLE_ENTITY, payload)
    }

    /// HTTP 400 with the exact body EnKash sends for an absent bill.
    pub(crate) fn no_such_bill() -> Self {
        Self::invalid("No utility payment found")
    }

    /// HTTP 401 with a `WWW-Authenticate` challenge for `scheme` (`Basic` or `Bearer`).
    pub(crate) fn unauthorized(scheme: &'static str, payload: &str) -> Self {
        let mut reply = Self::raw(
            StatusCode::UNAUTHORIZED,
            json!({"response_code": 1, "response_message": "Unauthorized", "payload": payload}),
        );
        reply.challenge = Some(if scheme == "Basic" {
            "Basic realm=\"oauth2/client\""
        } else {
            // RFC 6750: the token was refused unread, so a client may resend with a new one.
            "Bearer realm=\"enkash\", error=\"invalid_token\""
        });
        reply
    }

    /// The body as bytes; a body that cannot be serialized becomes `{}`.
    pub(crate) fn body_bytes(&self) -> Vec<u8> {
        serde_json::to_vec(&self.body).unwrap_or_else(|_| b"{}".to_vec())
    }
}

impl IntoResponse for Reply {
    fn into_response(self) -> Response {
        let body = self.body_bytes();
        let mut response = (
            self.status,
            [(
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/json"),
            )],
            body,
        )
            .into_response();
        if let Some(challenge) = self.challenge {
            response.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static(challenge),
            );
        }
        response
    }
}

/// Tells whether a string matches a documented pattern.
pub(crate) type PatternCheck = fn(&str) -> bool;

/// How strictly a JSON body is read beyond what its Rust type checks.
pub(crate) struct Strict<'a> {
    /// Top-level money fields: must be JSON numbers (`Amount` also decodes numeric strings).
    pub amounts: &'a [&'a str],
    /// Top-level string fields with a documented pattern, and the check for it.
    pub patterns: &'a [(&'a str, PatternCheck)],
    /// Top-level string fields that EnKash's docs leave optional but the client's types require
    /// (the `referenceId` a money-moving call is settled by): an absent one is read as empty.
    pub optional: &'a [&'a str],
}

impl Strict<'_> {
    /// Nothing beyond the Rust type.
    pub(crate) const NONE: Strict<'static> = Strict {
        amounts: &[],
        patterns: &[],
        optional: &[],
    };
}

/// Reads a JSON request body into `T`.
///
/// * 412: not JSON, not an object, a `null` anywhere (no request field is nullable), a money
///   field that is not a number, a missing required field or a value of the wrong type.
/// * 400: a string field that breaks its documented pattern.
pub(crate) fn decode<T: DeserializeOwned>(body: &[u8], strict: &Strict<'_>) -> Result<T, Reply> {
    let mut value: Value = serde_json::from_slice(body)
        .map_err(|err| Reply::unreadable(format!("Malformed JSON body: {err}")))?;
    if let Some(path) = find_null(&value, &mut String::new()) {
        return Err(Reply::unreadable(format!("`{path}` must not be null")));
    }
    let Some(fields) = value.as_object_mut() else {
        return Err(Reply::unreadable("The request body must be a JSON object"));
    };
    for name in strict.optional {
        fields
            .entry(*name)
            .or_insert_with(|| Value::String(String::new()));
    }
    for name in strict.amounts {
        if fields.get(*name).is_some_and(|v| !v.is_number()) {
            return Err(Reply::unreadable(format!("`{name}` must be a number")));
        }
    }
    for (name, matches) in strict.patterns {
        if let Some(text) = fields.get(*name).and_then(Value::as_str)
            && !matches(text)
        {
            return Err(Reply::invalid(format!("`{name}` has an invalid format")));
        }
    }
    serde_json::from_value(value).map_err(|err| Reply::unreadable(err.to_string()))
}

/// Reads a partial-update (PATCH) JSON body into `T`.
///
/// Like [`decode`], except that a top-level field may be `null` (it clears the field), unless it
/// is one of `plain` (fields documented without the nullable wrapper). A `null` nested inside a
/// value is still refused, and each of `amounts` must be a JSON number or `null`.
pub(crate) fn decode_patch<T: DeserializeOwned>(
    body: &[u8],
    plain: &[&str],
    amounts: &[&str],
) -> Result<T, Reply> {
    let value: Value = serde_json::from_slice(body)
        .map_err(|err| Reply::unreadable(format!("Malformed JSON body: {err}")))?;
    let Some(fields) = value.as_object() else {
        return Err(Reply::unreadable("The request body must be a JSON object"));
    };
    for (name, field) in fields {
        if field.is_null() {
            if plain.contains(&name.as_str()) {
                return Err(Reply::unreadable(format!("`{name}` must not be null")));
            }
            continue;
        }
        if let Some(path) = find_null(field, &mut name.clone()) {
            return Err(Reply::unreadable(format!("`{path}` must not be null")));
        }
        if amounts.contains(&name.as_str()) && !field.is_number() {
            return Err(Reply::unreadable(format!("`{name}` must be a number")));
        }
    }
    serde_json::from_value(value).map_err(|err| Reply::unreadable(err.to_string()))
}

/// The query string of a call, read once.
pub(crate) struct QueryParams(Vec<(String, String)>);

impl QueryParams {
    /// Decodes `query` (the part of the URI after `?`); 400 when it is not URL-encoded text.
    pub(crate) fn parse(query: Option<&str>) -> Result<Self, Reply> {
        serde_urlencoded::from_str(query.unwrap_or_default())
            .map(Self)
            .map_err(|_| Reply::invalid("The query string is not valid URL-encoded text"))
    }

    /// The value of `name`; 400 when it is given more than once.
    pub(crate) fn get(&self, name: &str) -> Result<Option<&str>, Reply> {
        let mut values = self.0.iter().filter(|(key, _)| key == name);
        let first = values.next().map(|(_, value)| value.as_str());
        if values.next().is_some() {
            return Err(Reply::invalid(format!("`{name}` must be given once")));
        }
        Ok(first)
    }

    /// The value of a required parameter; 412 when it is missing.
    pub(crate) fn required(&self, name: &str) -> Result<&str, Reply> {
        self.get(name)?
            .ok_or_else(|| Reply::unreadable(format!("Required parameter `{name}` is missing")))
    }

    /// The value of `name`, which must parse as the generated pattern type `P`; 400 otherwise.
    pub(crate) fn pattern<P: std::str::FromStr>(&self, name: &str) -> Result<Option<P>, Reply> {
        self.get(name)?
            .map(|text| {
                text.parse::<P>()
                    .map_err(|_| Reply::invalid(format!("`{name}` has an invalid format")))
            })
            .transpose()
    }

    /// An integer parameter within `min..=max`: 412 when it is not an integer, 400 when it is
    /// out of range.
    pub(crate) fn integer(&self, name: &str, min: i64, max: i64) -> Result<Option<i64>, Reply> {
        let Some(text) = self.get(name)? else {
            return Ok(None);
        };
        let number: i64 = text
            .parse()
            .map_err(|_| Reply::unreadable(format!("`{name}` must be an integer")))?;
        if number < min || number > max {
            return Err(Reply::invalid(format!(
                "`{name}` must be between {min} and {max}"
            )));
        }
        Ok(Some(number))
    }
}

/// Adds the Accounts Receivable `errorResponse` object to an error reply: `errorType` from the
/// status (400 `VALIDATION_ERROR`, 404 `RECORD_NOT_FOUND`, 422 `UNPROCESSABLE_REQUEST`, 401
/// `UNAUTHORIZED`, 500 and above `SYSTEM_ERROR`, any other 4xx `CLIENT_REQUEST_ERROR`),
/// `errorMessage` from the payload, and the time in EnKash's `yyyy-MM-dd HH:mm:ss` layout.
pub(crate) fn with_error_response(mut reply: Reply) -> Reply {
    let error_type = match reply.status.as_u16() {
        400 => "VALIDATION_ERROR",
        401 => "UNAUTHORIZED",
        404 => "RECORD_NOT_FOUND",
        422 => "UNPROCESSABLE_REQUEST",
        500.. => "SYSTEM_ERROR",
        _ => "CLIENT_REQUEST_ERROR",
    };
    if let Some(fields) = reply.body.as_object_mut() {
        let message = fields
            .get("payload")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned();
        let timestamp = chrono::Utc::now().format("%Y-%m-%d %H:%M:%S").to_string();
        fields.insert(
            "errorResponse".to_owned(),
            json!({"errorType": error_type, "errorMessage": message, "timestamp": timestamp}),
        );
    }
    reply
}

/// The path of the first `null` inside `value`.
fn find_null(value: &Value, path: &mut String) -> Option<String> {
    match value {
        Value::Null => Some(if path.is_empty() {
            "body".into()
        } else {
            path.clone()
        }),
        Value::Array(items) => items.iter().enumerate().find_map(|(index, item)| {
            let len = path.len();
            path.push_str(&format!("[{index}]"));
            let found = find_null(item, path);
            path.truncate(len);
            found
        }),
        Value::Object(fields) => fields.iter().find_map(|(name, item)| {
            let len = path.len();
            if !path.is_empty() {
                path.push('.');
            }
            path.push_str(name);
            let found = find_null(item, path);
            path.truncate(len);
            found
        }),
        _ => None,
    }
}

/// True when `text` parses as the generated pattern type `P` (e.g. `types::BankCardId`).
pub(crate) fn matches_pattern<P: std::str::FromStr>(text: &str) -> bool {
    text.parse::<P>().is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use enkash::types;

    const STRICT: Strict<'static> = Strict {
        amounts: &["billNetAmount", "billAmount"],
        patterns: &[],
        optional: &["referenceId"],
    };

    fn status(result: Result<types::CreateBillRequest, Reply>) -> u16 {
        result.err().map_or(200, |reply| reply.status.as_u16())
    }

    #[test]
    fn structural_problems_are_412_and_values_are_kept_exact() {
        let ok = br#"{"companyBillerId":"CB1","billNetAmount":2450.75,"billAmount":2450.75}"#;
        let request: types::CreateBillRequest = decode(ok, &STRICT).unwrap();
        assert_eq!(request.bill_net_amount.to_string(), "2450.75");
        for body in [
            &b"{"[..],
            b"[]",
            br#"{"companyBillerId":"CB1","billNetAmount":"2450.75","billAmount":1}"#,
            br#"{"companyBillerId":"CB1","billNetAmount":1,"billAmount":1,"billId":null}"#,
            br#"{"companyBillerId":"CB1","billAmount":1}"#,
            br#"{"companyBillerId":7,"billNetAmount":1,"billAmount":1}"#,
        ] {
            assert_eq!(
                status(decode(body, &STRICT)),
                412,
                "{}",
                String::from_utf8_lossy(body)
            );
        }
    }

    #[test]
    fn pattern_violations_are_400() {
        let strict = Strict {
            amounts: &[],
            patterns: &[("autoDebit", matches_pattern::<types::BankCardId>)],
            optional: &[],
        };
        let bad = br#"{"billerId":10,"billParams":{"cn":"CN1234567"},"autoDebit":"BKC123"}"#;
        let result: Result<types::AddBillV0Request, Reply> = decode(bad, &strict);
        assert_eq!(result.err().map(|r| r.status.as_u16()), Some(400));
    }
}
