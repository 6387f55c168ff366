//! [`Error`], the one error type of the crate, and what it carries.
//!
//! Match on the variant for the broad kind, or ask the `is_*()` helpers for the common cases:
//!
//! ```no_run
//! # async fn demo(client: &enkash::Client, request: enkash::types::CreateBillRequest) {
//! match client.create_bill().body(request).send().await {
//!     Ok(bill) => println!("created {:?}", bill.utility_enkash_id),
//!     Err(err) if err.is_duplicate_reference_id() => println!("already created"),
//!     Err(enkash::Error::OutcomeUnknown(unknown)) => {
//!         // Do not resend: look the bill up first.
//!         if let Some(reference) = unknown.reference_id() {
//!             let resolution = client.resolve_by_reference_id(reference).await;
//!             println!("{resolution:?}");
//!         }
//!     }
//!     Err(err) => eprintln!("{err} ({:?})", err.meta()),
//! }
//! # }
//! ```

use std::fmt;
use std::time::Duration;

/// Payload text EnKash sends (HTTP 400) when a lookup finds no bill.
pub(crate) const NO_UTILITY_PAYMENT_FOUND: &str = "No utility payment found";

/// Everything that can go wrong in a call.
#[derive(Debug)]
#[non_exhaustive]
pub enum Error {
    /// EnKash answered and refused or failed the call: a non-zero `response_code`, an HTTP 4XX,
    /// or (for a call that is safe to repeat, after retries) an HTTP 5XX.
    Api(Box<ApiError>),
    /// A call that moves money may or may not have taken effect (timeout, connection lost, 5XX or
    /// an unreadable answer after the request was sent). Resolve it before sending it again.
    OutcomeUnknown(Box<OutcomeUnknown>),
    /// No access token could be obtained.
    Token(Box<TokenError>),
    /// No answer from EnKash (connection refused or reset, timeout) for a call that is safe to
    /// repeat, after retries; or a connection that failed before a money-moving request was sent.
    Transport(Box<TransportError>),
    /// EnKash answered with a body the client cannot read.
    Decode(Box<DecodeError>),
    /// The request was refused before anything was sent.
    InvalidRequest(Box<ValidationError>),
    /// The client configuration is unusable.
    Config(ConfigError),
    /// An incoming webhook was refused (see [`crate::webhook::WebhookReceiver`]).
    Webhook(Box<crate::webhook::WebhookError>),
    /// EnKash (or something in between) answered with a redirect (HTTP 3XX). EnKash documents
    /// none, and the client never follows one: credentials and bodies go only to the configured
    /// base URL.
    Redirected(Box<RedirectError>),
    /// [`crate::Client::create_bill_once`] or [`crate::Client::confirm_debit_once`] could not
    /// settle the call: the `referenceId` belongs to a different bill, or the outcome is still
    /// unknown after every lookup allowed.
    ExactlyOnce(Box<crate::exactly_once::ExactlyOnceError>),
}

/// What an error says about the call, for logs and metrics.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct ErrorMeta<'a> {
    /// The operation (`create_bill`, `get_utility_bill_status`, ...).
    pub operation: Option<&'a str>,
    /// HTTP status of the last answer.
    pub http_status: Option<u16>,
    /// EnKash `response_code`.
    pub code: Option<i64>,
    /// EnKash `response_message`, or the error's own message.
    pub message: Option<&'a str>,
    /// Request id from the answer's `x-request-id` header, when EnKash sent one.
    pub request_id: Option<&'a str>,
}

impl Error {
    /// The operation, status, code, message and request id, where known.
    pub fn meta(&self) -> ErrorMeta<'_> {
        match self {
            Error::Api(api) => ErrorMeta {
                operation: Some(api.operation),
                http_status: Some(api.http_status),
                code: api.code.map(ResponseCode::code),
                message: api.message.as_deref(),
                request_id: api.request_id.as_deref(),
            },
            Error::OutcomeUnknown(unknown) => ErrorMeta {
                operation: Some(unknown.operation),
                http_status: unknown.http_status,
                ..ErrorMeta::default()
            },
            Error::Token(token) => ErrorMeta {
                operation: Some(crate::generated::operations::OAUTH_TOKEN.id),
                http_status: token.http_status,
                message: Some(&token.message),
                ..ErrorMeta::default()
            },
            Error::Transport(transport) => ErrorMeta {
                operation: Some(transport.operation),
                message: Some(&transport.message),
                ..ErrorMeta::default()
            },
            Error::Decode(decode) => ErrorMeta {
                operation: Some(decode.operation),
                http_status: Some(decode.http_status),
                message: Some(&decode.reason),
                ..ErrorMeta::default()
            },
            Error::InvalidRequest(invalid) => ErrorMeta {
                operation: invalid.operation,
                message: Some(&invalid.rule),
                ..ErrorMeta::default()
            },
            Error::Config(config) => ErrorMeta {
                message: Some(&config.message),
                ..ErrorMeta::default()
            },
            Error::Webhook(webhook) => ErrorMeta {
                operation: Some("webhook"),
                http_status: Some(webhook.http_status()),
                message: Some(match webhook.as_ref() {
                    crate::webhook::WebhookError::MalformedBody { reason, .. } => reason,
                    other => other.summary(),
                }),
                ..ErrorMeta::default()
            },
            Error::Redirected(redirect) => ErrorMeta {
                operation: Some(redirect.operation),
                http_status: Some(redirect.http_status),
                ..ErrorMeta::default()
            },
            Error::ExactlyOnce(settle) => ErrorMeta {
                operation: Some(settle.operation),
                ..ErrorMeta::default()
            },
        }
    }

    /// The `referenceId` given to [`crate::Client::create_bill_once`] belongs to a different
    /// bill (its biller, consumer or amounts differ). Nothing was created.
    pub fn is_reference_id_mismatch(&self) -> bool {
        self.exactly_once_error()
            .is_some_and(crate::exactly_once::ExactlyOnceError::is_reference_id_mismatch)
    }

    /// [`crate::Client::create_bill_once`] or [`crate::Client::confirm_debit_once`] gave up:
    /// the outcome is still unknown after every lookup allowed.
    pub fn is_still_unknown(&self) -> bool {
        self.exactly_once_error()
            .is_some_and(crate::exactly_once::ExactlyOnceError::is_still_unknown)
    }

    /// The unsettled call, with its `referenceId` (or bill ids) and the steps tried.
    pub fn exactly_once_error(&self) -> Option<&crate::exactly_once::ExactlyOnceError> {
        match self {
            Error::ExactlyOnce(settle) => Some(settle),
            _ => None,
        }
    }

    /// The answer was a redirect, which the client does not follow.
    pub fn is_redirect(&self) -> bool {
        matches!(self, Error::Redirected(_))
    }

    /// The EnKash failure, when EnKash answered with one.
    pub fn api_error(&self) -> Option<&ApiError> {
        match self {
            Error::Api(api) => Some(api),
            _ => None,
        }
    }

    /// The EnKash `response_code`, when the answer carried one.
    pub fn response_code(&self) -> Option<ResponseCode> {
        self.api_error().and_then(|api| api.code)
    }

    /// EnKash refused the request as it was sent (HTTP 400, 412 or 422): fix it, do not retry it.
    pub fn is_rejected(&self) -> bool {
        self.api_error()
            .is_some_and(|api| matches!(api.http_status, 400 | 412 | 422))
    }

    /// A lookup found no bill (HTTP 400 with payload "No utility payment found").
    pub fn is_not_found(&self) -> bool {
        self.api_error().is_some_and(ApiError::is_not_found)
    }

    /// `response_code` 38: a bill with this `referenceId` exists already.
    pub fn is_duplicate_reference_id(&self) -> bool {
        self.response_code() == Some(ResponseCode::DuplicateReferenceId)
    }

    /// `response_code` 36 or 37: the velocity limit is breached.
    pub fn is_velocity_limit(&self) -> bool {
        matches!(self.response_code(), Some(ResponseCode::VelocityLimit(_)))
    }

    /// HTTP 429: too many requests.
    pub fn is_throttled(&self) -> bool {
        self.api_error().is_some_and(|api| api.http_status == 429)
    }

    /// HTTP 401 after the one re-authentication the client makes.
    pub fn is_unauthorized(&self) -> bool {
        self.api_error().is_some_and(|api| api.http_status == 401)
    }

    /// EnKash answered with HTTP 5XX.
    pub fn is_server_error(&self) -> bool {
        self.api_error().is_some_and(|api| api.http_status >= 500)
    }

    /// A money-moving call may or may not have taken effect.
    pub fn is_outcome_unknown(&self) -> bool {
        matches!(self, Error::OutcomeUnknown(_))
    }

    /// The unknown outcome, with what is needed to resolve it.
    pub fn outcome_unknown(&self) -> Option<&OutcomeUnknown> {
        match self {
            Error::OutcomeUnknown(unknown) => Some(unknown),
            _ => None,
        }
    }

    /// A timeout, whether or not the outcome is known.
    pub fn is_timeout(&self) -> bool {
        match self {
            Error::Transport(transport) => transport.kind == TransportErrorKind::Timeout,
            Error::OutcomeUnknown(unknown) => unknown.cause == UnknownCause::Timeout,
            _ => false,
        }
    }

    /// No access token could be obtained.
    pub fn is_token_error(&self) -> bool {
        matches!(self, Error::Token(_))
    }

    /// The request was refused before anything was sent.
    pub fn is_invalid_request(&self) -> bool {
        matches!(self, Error::InvalidRequest(_))
    }

    /// EnKash's answer could not be read.
    pub fn is_decode(&self) -> bool {
        matches!(self, Error::Decode(_))
    }

    /// An incoming webhook was refused.
    pub fn is_webhook(&self) -> bool {
        matches!(self, Error::Webhook(_))
    }

    /// The refused webhook, with why it was refused.
    pub fn webhook_error(&self) -> Option<&crate::webhook::WebhookError> {
        match self {
            Error::Webhook(webhook) => Some(webhook),
            _ => None,
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Api(api) => fmt::Display::fmt(api, f),
            Error::OutcomeUnknown(unknown) => fmt::Display::fmt(unknown, f),
            Error::Token(token) => fmt::Display::fmt(token, f),
            Error::Transport(transport) => fmt::Display::fmt(transport, f),
            Error::Decode(decode) => fmt::Display::fmt(decode, f),
            Error::InvalidRequest(invalid) => fmt::Display::fmt(invalid, f),
            Error::Config(config) => fmt::Display::fmt(config, f),
            Error::Webhook(webhook) => fmt::Display::fmt(webhook, f),
            Error::Redirected(redirect) => fmt::Display::fmt(redirect, f),
            Error::ExactlyOnce(settle) => fmt::Display::fmt(settle, f),
        }
    }
}

impl std::error::Error for Error {}

/// EnKash's `response_code`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ResponseCode {
    /// `0`: the call succeeded.
    Success,
    /// `1`: the call failed; the payload says why.
    Failure,
    /// `36` or `37`: velocity limit breached (the docs give both the same meaning).
    VelocityLimit(i64),
    /// `38`: a bill with this `referenceId` exists already.
    DuplicateReferenceId,
    /// A code the docs do not list, kept as sent.
    Other(i64),
}

impl ResponseCode {
    /// Reads a code as sent.
    pub fn from_code(code: i64) -> Self {
        match code {
            0 => ResponseCode::Success,
            1 => ResponseCode::Failure,
            36 | 37 => ResponseCode::VelocityLimit(code),
            38 => ResponseCode::DuplicateReferenceId,
            other => ResponseCode::Other(other),
        }
    }

    /// The code as sent.
    pub fn code(self) -> i64 {
        match self {
            ResponseCode::Success => 0,
            ResponseCode::Failure => 1,
            ResponseCode::VelocityLimit(code) | ResponseCode::Other(code) => code,
            ResponseCode::DuplicateReferenceId => 38,
        }
    }
}

impl fmt::Display for ResponseCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let meaning = match self {
            ResponseCode::Success => "success",
            ResponseCode::Failure => "failure",
            ResponseCode::VelocityLimit(_) => "velocity limit breached",
            ResponseCode::DuplicateReferenceId => "duplicate referenceId",
            ResponseCode::Other(_) => "undocumented code",
        };
        write!(f, "{} ({meaning})", self.code())
    }
}

/// A failure EnKash answered with.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ApiError {
    /// The operation.
    pub operation: &'static str,
    /// HTTP status of the answer.
    pub http_status: u16,
    /// `response_code`, when the body had one.
    pub code: Option<ResponseCode>,
    /// `response_message`, when the body had one.
    pub message: Option<String>,
    /// The payload as text (bounded, with secrets masked), when the body had one.
    pub payload: Option<String>,
    /// Request id from the `x-request-id` header, when sent.
    pub request_id: Option<String>,
    /// How long the server asked to wait (`Retry-After`), when it did.
    pub retry_after: Option<Duration>,
    /// `errorResponse` of an Accounts Receivable or Vendor Payment failure, as JSON with
    /// secrets masked (read it with [`ApiError::error_response`]).
    pub(crate) error_response: Option<Box<serde_json::Value>>,
}

impl ApiError {
    /// The structured `errorResponse` an Accounts Receivable or Vendor Payment failure carries
    /// (`errorType`, `errorMessage`, `requestId`, `timestamp`, `apiSubErrors`), with secrets
    /// masked as in the rest of the error. `None` for a Bill Payment failure, or when the body had
    /// none.
    pub fn error_response(&self) -> Option<crate::types::ErrorResponse> {
        let value = self.error_response.as_deref()?;
        serde_json::from_value(value.clone()).ok()
    }

    /// HTTP 400 with payload "No utility payment found": the looked-up bill does not exist.
    pub fn is_not_found(&self) -> bool {
        self.http_status == 400
            && self
                .payload
                .as_deref()
                .is_some_and(|payload| payload.contains(NO_UTILITY_PAYMENT_FOUND))
    }
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} failed with HTTP {}",
            self.operation, self.http_status
        )?;
        if let Some(code) = self.code {
            write!(f, ", response_code {code}")?;
        }
        if let Some(message) = &self.message {
            write!(f, ": {message}")?;
        }
        if let Some(payload) = &self.payload {
            write!(f, " [{payload}]")?;
        }
        Ok(())
    }
}

/// Why the outcome of a money-moving call is unknown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum UnknownCause {
    /// The request was sent and no answer came in time.
    Timeout,
    /// The connection broke after the request was sent.
    ConnectionLost,
    /// EnKash answered 5XX; the docs say to enquire before any retry.
    ServerError,
    /// EnKash answered, but the answer could not be read.
    UnreadableAnswer,
    /// HTTP 401 without proof that the request was refused unread (no RFC 6750
    /// `error="invalid_token"` challenge), so it was not resent. The token is renewed for the
    /// next call.
    Unauthorized,
}

impl fmt::Display for UnknownCause {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            UnknownCause::Timeout => "no answer in time after the request was sent",
            UnknownCause::ConnectionLost => "the connection broke after the request was sent",
            UnknownCause::ServerError => "EnKash answered with a server error",
            UnknownCause::UnreadableAnswer => "EnKash's answer could not be read",
            UnknownCause::Unauthorized => {
                "HTTP 401 without a sign that the request was refused unread"
            }
        })
    }
}

/// A money-moving call that may or may not have taken effect.
///
/// Do not send it again blindly. Wait a few minutes (the docs say 2 to 5), then resolve it:
/// [`crate::Client::resolve_by_reference_id`] for bill creation, a status lookup per bill for
/// Confirm Debit, the response webhook that echoes [`OutcomeUnknown::echoed_id`] for a Vendor
/// Payment call.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct OutcomeUnknown {
    /// The operation.
    pub operation: &'static str,
    /// Why the outcome is unknown.
    pub cause: UnknownCause,
    /// HTTP status, when EnKash answered.
    pub http_status: Option<u16>,
    /// The `referenceId` the request carried, to look the bill up by.
    pub reference_id: Option<String>,
    /// The bill ids the request carried (Confirm Debit), to look each one up by.
    pub utility_payment_ids: Vec<String>,
    /// The caller-made id the request carried and its response webhook echoes (Vendor Payment:
    /// the payment's `objectId`, the financing request's `financingRequestId`).
    pub echoed_id: Option<String>,
}

impl OutcomeUnknown {
    /// The `referenceId` the request carried.
    pub fn reference_id(&self) -> Option<&str> {
        self.reference_id.as_deref()
    }
}

impl fmt::Display for OutcomeUnknown {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "outcome of {} is unknown: {}",
            self.operation, self.cause
        )?;
        if let Some(status) = self.http_status {
            write!(f, " (HTTP {status})")?;
        }
        if let Some(echoed) = &self.echoed_id {
            return write!(
                f,
                "; wait for its response webhook (it echoes {echoed}) before sending it again"
            );
        }
        match (&self.reference_id, self.utility_payment_ids.as_slice()) {
            (Some(reference), _) => write!(
                f,
                "; look up referenceId {reference} before sending it again"
            ),
            // No lookup key: a bill is looked up; a Vendor Payment call is settled from its response
            // webhook (Payment Response for Pay Invoice).
            (None, []) => f.write_str(
                "; look it up, or wait for its response webhook, before sending it again",
            ),
            (None, ids) => write!(
                f,
                "; look up the status of {} before sending it again",
                ids.join(", ")
            ),
        }
    }
}

/// The token call failed.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct TokenError {
    /// HTTP status, when the token endpoint answered.
    pub http_status: Option<u16>,
    /// What went wrong (never includes a credential).
    pub message: String,
}

impl fmt::Display for TokenError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "could not obtain an access token")?;
        if let Some(status) = self.http_status {
            write!(f, " (HTTP {status})")?;
        }
        write!(f, ": {}", self.message)
    }
}

/// What kind of transport failure.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum TransportErrorKind {
    /// The connection could not be made; nothing was sent.
    Connect,
    /// No answer in time.
    Timeout,
    /// The connection broke.
    ConnectionLost,
}

/// A redirect the client did not follow.
///
/// For a money-moving call the request reached something that answered: look the call up (by
/// its `referenceId`) before sending it again, as after an unknown outcome.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct RedirectError {
    /// The operation.
    pub operation: &'static str,
    /// HTTP status of the answer (301, 302, 303, 307, 308, ...).
    pub http_status: u16,
    /// Host (and port, when one is given) of the `Location` header, when it names one. The rest
    /// of the URL is left out: it may carry tokens.
    pub location_host: Option<String>,
}

impl RedirectError {
    /// The redirect of `operation` answered with `status` and this `Location` header value.
    pub(crate) fn new(operation: &'static str, http_status: u16, location: Option<&str>) -> Self {
        let location_host = location
            .and_then(|location| reqwest::Url::parse(location).ok())
            .and_then(|url| {
                let host = url.host_str()?.to_owned();
                Some(match url.port() {
                    Some(port) => format!("{host}:{port}"),
                    None => host,
                })
            });
        Self {
            operation,
            http_status,
            location_host,
        }
    }
}

impl fmt::Display for RedirectError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} was answered with a redirect (HTTP {}",
            self.operation, self.http_status
        )?;
        match &self.location_host {
            Some(host) => write!(f, " to {host}")?,
            None => f.write_str(", no absolute Location")?,
        }
        f.write_str("), which the client does not follow")
    }
}

/// No answer from EnKash.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct TransportError {
    /// The operation.
    pub operation: &'static str,
    /// What failed.
    pub kind: TransportErrorKind,
    /// Details from the HTTP stack.
    pub message: String,
}

impl fmt::Display for TransportError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let what = match self.kind {
            TransportErrorKind::Connect => "could not connect",
            TransportErrorKind::Timeout => "timed out",
            TransportErrorKind::ConnectionLost => "lost the connection",
        };
        write!(f, "{} {what}: {}", self.operation, self.message)
    }
}

/// An answer that could not be read.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct DecodeError {
    /// The operation.
    pub operation: &'static str,
    /// HTTP status of the answer.
    pub http_status: u16,
    /// Why it could not be read.
    pub reason: String,
    /// The start of the body (bounded, with secrets masked).
    pub excerpt: String,
    /// The answer's payload as sent, when the answer is JSON but does not match the typed model.
    pub(crate) raw_payload: Option<Box<crate::secret::JsonPayload>>,
}

impl DecodeError {
    /// The payload of an answer that is JSON but does not match the operation's typed model (its
    /// envelope's `payload`, or the whole body when it is no envelope), so a caller can still
    /// read it: the bulk bill search's answer, whose body EnKash does not publish, for one. Its
    /// `Debug` and `Display` mask sensitive values; configured secrets it echoes are masked.
    pub fn raw_payload(&self) -> Option<&crate::secret::JsonPayload> {
        self.raw_payload.as_deref()
    }
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} answered HTTP {} with an unreadable body ({}): {}",
            self.operation, self.http_status, self.reason, self.excerpt
        )
    }
}

/// A request refused before sending: which field, and which rule it breaks.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ValidationError {
    /// The operation, when known.
    pub operation: Option<&'static str>,
    /// The field at fault (`billParams.cn`, `referenceId`, ...), when known.
    pub field: Option<String>,
    /// The rule the value breaks.
    pub rule: String,
}

impl ValidationError {
    /// Reads the message of a generated builder ("conversion to `X` for body failed: error
    /// converting supplied value for bill_params: no value supplied for cn") into the field path
    /// (`bill_params.cn`) and the rule.
    pub(crate) fn from_builder_message(operation: &'static str, message: &str) -> Self {
        let mut rest = message
            .split_once(" failed: ")
            .map_or(message, |(_, detail)| detail);
        let mut path = Vec::new();
        loop {
            if let Some(field) = rest.strip_prefix("no value supplied for ") {
                path.push(field.trim());
                rest = "a value is required";
                break;
            }
            match rest
                .strip_prefix("error converting supplied value for ")
                .and_then(|tail| tail.split_once(": "))
            {
                Some((field, detail)) => {
                    path.push(field.trim());
                    rest = detail;
                }
                None => break,
            }
        }
        ValidationError {
            operation: Some(operation),
            field: (!path.is_empty()).then(|| path.join(".")),
            rule: rest.to_owned(),
        }
    }
}

impl fmt::Display for ValidationError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("invalid request")?;
        if let Some(operation) = self.operation {
            write!(f, " to {operation}")?;
        }
        if let Some(field) = &self.field {
            write!(f, ": field `{field}`")?;
        }
        write!(f, ": {}", self.rule)
    }
}

/// An unusable configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ConfigError {
    /// What is wrong (never includes a credential).
    pub message: String,
}

impl ConfigError {
    pub(crate) fn new(message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
        }
    }
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "invalid enkash configuration: {}", self.message)
    }
}

/// Bodies are quoted in errors through the one redaction path.
pub(crate) use crate::redact::excerpt;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn response_codes_map_to_their_meaning_and_back() {
        let table = [
            (0, ResponseCode::Success),
            (1, ResponseCode::Failure),
            (36, ResponseCode::VelocityLimit(36)),
            (37, ResponseCode::VelocityLimit(37)),
            (38, ResponseCode::DuplicateReferenceId),
            (99, ResponseCode::Other(99)),
        ];
        for (code, expected) in table {
            assert_eq!(ResponseCode::from_code(code), expected);
            assert_eq!(expected.code(), code);
        }
    }

    #[test]
    fn builder_messages_name_the_field_path_and_the_rule() {
        let table = [
            (
                "conversion to `CreateBillRequest` for body failed: no value supplied for company_biller_id",
                Some("company_biller_id"),
                "a value is required",
            ),
            (
                "conversion to `BillFetchRequest` for body failed: error converting supplied value for bill_params: no value supplied for cn",
                Some("bill_params.cn"),
                "a value is required",
            ),
            (
                "conversion to `UtilityPaymentApprovalRequest` for body failed: error converting supplied value for remarks: doesn't match pattern \"^[A-Z]$\"",
                Some("remarks"),
                "doesn't match pattern \"^[A-Z]$\"",
            ),
            ("something else", None, "something else"),
        ];
        for (message, field, rule) in table {
            let invalid = ValidationError::from_builder_message("op", message);
            assert_eq!(invalid.field.as_deref(), field, "{message}");
            assert_eq!(invalid.rule, rule, "{message}");
        }
    }

    #[test]
    fn outcome_unknown_says_what_to_do() {
        let unknown = OutcomeUnknown {
            operation: crate::operations::CREATE_BILL.id,
            cause: UnknownCause::Timeout,
            http_status: None,
            reference_id: Some("REF-1".into()),
            utility_payment_ids: vec![],
            echoed_id: None,
        };
        assert_eq!(
            unknown.to_string(),
            "outcome of create_bill is unknown: no answer in time after the request was sent; \
             look up referenceId REF-1 before sending it again"
        );
    }
}
