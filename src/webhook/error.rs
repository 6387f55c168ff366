//! [`WebhookError`]: why an incoming webhook was refused, and the HTTP status to answer with.

use std::fmt;

use super::WebhookKind;

/// Why an incoming webhook was refused.
///
/// Every variant maps to the HTTP status to answer EnKash with ([`WebhookError::http_status`]) and a
/// short JSON body ([`WebhookError::json_body`]) that names the problem without quoting a secret or
/// the request body. `Display` adds, for a malformed body, a bounded excerpt of the body with
/// secrets, account numbers and long digit runs masked: fit for a log line, not for the answer.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum WebhookError {
    /// A static header agreed with EnKash is not in the request (HTTP 401).
    MissingHeader {
        /// The header's name (lower case).
        name: String,
    },
    /// A static header agreed with EnKash has another value, or is sent more than once (HTTP 401).
    /// Neither the expected nor the received value is kept.
    WrongHeader {
        /// The header's name (lower case).
        name: String,
    },
    /// The request has no `content-type`, or one other than `application/json` (HTTP 415).
    UnsupportedContentType {
        /// The media type sent, without parameters (at most 64 characters), or `None` when the
        /// request had no readable `content-type`.
        content_type: Option<String>,
    },
    /// The body is longer than the receiver accepts (HTTP 413).
    BodyTooLarge {
        /// The receiver's limit, in bytes.
        limit: usize,
    },
    /// The body did not arrive in the time the receiver allows (HTTP 408).
    BodyTimeout {
        /// The receiver's limit.
        limit: std::time::Duration,
    },
    /// The body is not the JSON of the webhook it was received as (HTTP 400).
    MalformedBody {
        /// The webhook the body was read as.
        kind: WebhookKind,
        /// Why it could not be read: empty, truncated, not JSON, or the field at fault (`missing
        /// field `companyBiller``, `invalid type: ...`), with the position.
        /// Quoted values are replaced by `"…"` and long digit runs masked.
        reason: String,
        /// The start of the body (bounded, with secrets masked), for logs only.
        excerpt: String,
    },
}

impl WebhookError {
    /// The HTTP status to answer with: 401 for a missing or wrong header, 415 for the content
    /// type, 413 for a body too large, 408 for a body too slow, 400 for a malformed body.
    pub fn http_status(&self) -> u16 {
        match self {
            WebhookError::MissingHeader { .. } | WebhookError::WrongHeader { .. } => 401,
            WebhookError::UnsupportedContentType { .. } => 415,
            WebhookError::BodyTooLarge { .. } => 413,
            WebhookError::BodyTimeout { .. } => 408,
            WebhookError::MalformedBody { .. } => 400,
        }
    }

    /// A static header is missing.
    pub fn is_missing_header(&self) -> bool {
        matches!(self, WebhookError::MissingHeader { .. })
    }

    /// A static header has the wrong value.
    pub fn is_wrong_header(&self) -> bool {
        matches!(self, WebhookError::WrongHeader { .. })
    }

    /// A static header is missing or wrong: the sender is not the one the headers were agreed
    /// with (HTTP 401).
    pub fn is_unauthorized(&self) -> bool {
        self.is_missing_header() || self.is_wrong_header()
    }

    /// The content type is missing or not JSON.
    pub fn is_unsupported_content_type(&self) -> bool {
        matches!(self, WebhookError::UnsupportedContentType { .. })
    }

    /// The body is over the receiver's limit.
    pub fn is_body_too_large(&self) -> bool {
        matches!(self, WebhookError::BodyTooLarge { .. })
    }

    /// The body did not arrive in time.
    pub fn is_body_timeout(&self) -> bool {
        matches!(self, WebhookError::BodyTimeout { .. })
    }

    /// The body could not be read as the webhook's JSON.
    pub fn is_malformed_body(&self) -> bool {
        matches!(self, WebhookError::MalformedBody { .. })
    }

    /// The name of the header at fault, for a header failure.
    pub fn header_name(&self) -> Option<&str> {
        match self {
            WebhookError::MissingHeader { name } | WebhookError::WrongHeader { name } => Some(name),
            _ => None,
        }
    }

    /// The problem in a few words, with no request data: `missing header`, `wrong header value`,
    /// `unsupported content type`, `body too large`, `body too slow` or `malformed body`.
    pub fn summary(&self) -> &'static str {
        match self {
            WebhookError::MissingHeader { .. } => "missing header",
            WebhookError::WrongHeader { .. } => "wrong header value",
            WebhookError::UnsupportedContentType { .. } => "unsupported content type",
            WebhookError::BodyTooLarge { .. } => "body too large",
            WebhookError::BodyTimeout { .. } => "body too slow",
            WebhookError::MalformedBody { .. } => "malformed body",
        }
    }

    /// What to tell the sender: the problem and the limit or JSON error at fault, never a header
    /// value, never a value of the body. A missing or wrong header gets one answer that names no
    /// header, so an unauthenticated caller learns nothing of what is checked.
    pub fn public_message(&self) -> String {
        match self {
            WebhookError::MissingHeader { .. } | WebhookError::WrongHeader { .. } => {
                "not authenticated".to_owned()
            }
            WebhookError::UnsupportedContentType { .. } => {
                "unsupported content type: expected application/json".to_owned()
            }
            WebhookError::BodyTooLarge { limit } => {
                format!("body too large: the limit is {limit} bytes")
            }
            WebhookError::BodyTimeout { limit } => {
                format!("body too slow: the limit is {} ms", limit.as_millis())
            }
            WebhookError::MalformedBody { kind, reason, .. } => {
                format!("malformed {kind} body: {reason}")
            }
        }
    }

    /// The JSON body to answer with: `{"error":"<public message>"}`.
    ///
    /// ```
    /// use enkash::webhook::WebhookError;
    /// let err = WebhookError::BodyTooLarge { limit: 1024 };
    /// assert_eq!(err.json_body(), r#"{"error":"body too large: the limit is 1024 bytes"}"#);
    /// ```
    pub fn json_body(&self) -> String {
        serde_json::json!({ "error": self.public_message() }).to_string()
    }
}

impl fmt::Display for WebhookError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "webhook refused (HTTP {}): ", self.http_status())?;
        match self {
            WebhookError::UnsupportedContentType {
                content_type: Some(sent),
            } => write!(
                f,
                "unsupported content type `{sent}`: expected application/json"
            ),
            WebhookError::UnsupportedContentType { content_type: None } => {
                f.write_str("no content type: expected application/json")
            }
            WebhookError::MalformedBody {
                kind,
                reason,
                excerpt,
            } => write!(f, "malformed {kind} body: {reason}: {excerpt}"),
            // For the log: which header, never its value.
            WebhookError::MissingHeader { name } => write!(f, "missing header `{name}`"),
            WebhookError::WrongHeader { name } => write!(f, "wrong value for header `{name}`"),
            other => f.write_str(&other.public_message()),
        }
    }
}

impl std::error::Error for WebhookError {}

impl From<WebhookError> for crate::Error {
    fn from(err: WebhookError) -> Self {
        crate::Error::Webhook(Box::new(err))
    }
}

/// Why `body` is not the JSON of `kind`: the field path and what was expected there, never a
/// value of the body.
pub(crate) fn malformed(
    kind: WebhookKind,
    body: &[u8],
    failure: &crate::redact::JsonFailure,
) -> WebhookError {
    WebhookError::MalformedBody {
        kind,
        reason: failure.reason(body),
        excerpt: crate::redact::excerpt(&failure.masked_body(body)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_follow_the_kind_of_failure() {
        let table = [
            (WebhookError::MissingHeader { name: "x".into() }, 401),
            (WebhookError::WrongHeader { name: "x".into() }, 401),
            (
                WebhookError::UnsupportedContentType { content_type: None },
                415,
            ),
            (WebhookError::BodyTooLarge { limit: 1 }, 413),
            (
                WebhookError::BodyTimeout {
                    limit: std::time::Duration::from_secs(1),
                },
                408,
            ),
            (
                WebhookError::MalformedBody {
                    kind: WebhookKind::UtilityBill,
                    reason: "r".into(),
                    excerpt: "e".into(),
                },
                400,
            ),
        ];
        for (err, status) in table {
            assert_eq!(err.http_status(), status, "{err}");
            let as_crate_error = crate::Error::from(err);
            assert_eq!(as_crate_error.meta().http_status, Some(status));
        }
    }
}
