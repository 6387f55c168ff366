//! Reading an answer: the payload of a success, or a typed [`Error`] for everything else.
//!
//! Every generated `send()` comes through [`call`]: [`crate::driver::send`] makes the call, and
//! [`decode`] reads the envelope into the operation's payload. The one generic piece is the
//! decoding of the operation's own type.

use std::time::{Duration, Instant};

use reqwest::header::HeaderMap;
use serde::de::DeserializeOwned;
use tracing::Instrument as _;
use tracing::field::Empty;

use crate::driver::{Answer, Built};
use crate::error::{
    ApiError, DecodeError, Error, OutcomeUnknown, RedirectError, ResponseCode, TokenError,
    TransportError, TransportErrorKind, UnknownCause, excerpt,
};
use crate::generated::Client;
use crate::operation::{CallKind, FailureBody, OperationSpec};
use crate::response::{Response, ResponseMetadata};
use crate::types;

/// What the pipeline learnt about one call, returned with its answer or its error.
#[derive(Debug, Default)]
pub(crate) struct Facts {
    pub attempts: u32,
    pub request_id: Option<String>,
    pub retry_after: Option<Duration>,
    /// What settles a money-moving call; boxed, as most calls have none and every waiting call
    /// carries its facts.
    pub settle: Option<Box<SettleIds>>,
    pub token_error: Option<Box<TokenError>>,
    pub body_too_large: bool,
    /// The last 401 carried an RFC 6750 `invalid_token` challenge.
    pub refused_unread: bool,
}

/// The request's identifiers that settle a money-moving call after an unknown outcome.
#[derive(Debug, Default)]
pub(crate) struct SettleIds {
    pub reference_id: Option<String>,
    pub utility_payment_ids: Vec<String>,
    pub echoed_id: Option<String>,
}

/// A response body wrapped in EnKash's envelope (`build.rs` writes the impls from the spec's
/// `x-payload`), or the token response.
pub(crate) trait Envelope {
    /// What the call returns for it.
    type Output;
    fn response_code(&self) -> i64;
    fn response_message(&self) -> Option<&str>;
    /// The payload, or `None` when a success carries none although one is due.
    fn into_output(self) -> Option<Self::Output>;
}

impl Envelope for crate::auth::TokenResponse {
    type Output = crate::auth::TokenResponse;
    fn response_code(&self) -> i64 {
        0
    }
    fn response_message(&self) -> Option<&str> {
        None
    }
    fn into_output(self) -> Option<Self> {
        Some(self)
    }
}

/// Makes the call `built` is for and returns its payload: what every generated `send()` runs.
/// One `enkash.call` span per call (operation, attempt, HTTP status, response_code, duration),
/// without bodies or secrets.
pub(crate) fn call<'a, T>(
    client: &'a Client,
    operation: &'static OperationSpec,
    built: Built,
) -> impl Future<Output = Result<T::Output, Error>> + Send + 'a
where
    T: Envelope + DeserializeOwned + 'a,
{
    let answered = answer::<T>(client, operation, built, false);
    async move { answered.await.map(|(output, _)| output) }
}

/// [`call`], with the answer's metadata beside the payload: what every generated
/// `send_with_metadata()` runs.
pub(crate) fn call_with_metadata<'a, T>(
    client: &'a Client,
    operation: &'static OperationSpec,
    built: Built,
) -> impl Future<Output = Result<Response<T::Output>, Error>> + Send + 'a
where
    T: Envelope + DeserializeOwned + 'a,
{
    let answered = answer::<T>(client, operation, built, true);
    async move {
        let (payload, metadata) = answered.await?;
        Ok(Response { payload, metadata })
    }
}

/// The call itself, in its span: the payload and the answer's facts (its headers and request id
/// only when `keep_metadata`).
fn answer<'a, T>(
    client: &'a Client,
    operation: &'static OperationSpec,
    built: Built,
    keep_metadata: bool,
) -> impl Future<Output = Result<(T::Output, ResponseMetadata), Error>> + Send + 'a
where
    T: Envelope + DeserializeOwned + 'a,
{
    // The request is checked and handed to the driver now, so the future below holds a pointer
    // to the driver's state, not the request (see BENCHMARKS.md).
    let driven = crate::driver::send(client, operation, built);
    async move {
        let span = call_span(operation.id);
        let started = Instant::now();
        let answer = driven.instrument(span.clone()).await;
        // Only a caller who asked for them pays for a copy of the headers.
        let (http_status, headers, attempts) = match &answer {
            Ok(answer) if keep_metadata => {
                (answer.status, answer.headers.clone(), answer.facts.attempts)
            }
            Ok(answer) => (answer.status, HeaderMap::new(), answer.facts.attempts),
            Err(_) => (0, HeaderMap::new(), 0),
        };
        // A secret EnKash echoes back (the password, the client secret, the current token) is
        // masked wherever the error quotes the answer.
        let output = decode::<T>(operation, answer)
            .map_err(|err| crate::redact::scrub_for(err, Some(&client.inner)));
        let duration = started.elapsed();
        span.record("duration_ms", duration.as_millis() as u64);
        match &output {
            Err(err) => {
                if let Some(code) = err.response_code() {
                    span.record("response_code", code.code());
                }
                span.in_scope(|| tracing::debug!(error = %err, "call failed"));
            }
            Ok(_) => {
                span.record("response_code", 0);
            }
        }
        let metadata = ResponseMetadata {
            http_status,
            request_id: crate::driver::request_id_of(&headers),
            headers,
            attempts,
            duration,
        };
        output.map(|output| (output, metadata))
    }
}

/// The span of one call: operation, attempt, HTTP status, response_code, duration.
pub(crate) fn call_span(operation: &'static str) -> tracing::Span {
    tracing::info_span!(
        "enkash.call",
        operation,
        attempt = Empty,
        http.status = Empty,
        response_code = Empty,
        duration_ms = Empty,
    )
}

/// Reads the answer of `operation` into its payload or a typed error.
pub(crate) fn decode<T>(
    operation: &'static OperationSpec,
    answer: Result<Answer, Error>,
) -> Result<T::Output, Error>
where
    T: Envelope + DeserializeOwned,
{
    let answer = answer?;
    let failure = Failure::new(operation, &answer.facts).with_headers(&answer.headers);
    let status = answer.status;
    let body = &answer.body;
    if answer.facts.body_too_large {
        return Err(failure.undecodable(
            status,
            "the body is larger than the configured limit",
            b"",
            None,
        ));
    }
    match status {
        200 => match serde_json::from_slice::<T>(body) {
            Ok(envelope) => {
                let code = envelope.response_code();
                if code != 0 {
                    // The failure's own envelope says what the success envelope does not keep:
                    // its payload (a string, null or an object) and `errorResponse`.
                    let parts = failure_parts(operation, body).unwrap_or_default();
                    return Err(Error::Api(Box::new(ApiError {
                        operation: operation.id,
                        http_status: status,
                        code: Some(ResponseCode::from_code(code)),
                        message: envelope.response_message().map(str::to_owned),
                        payload: parts.payload,
                        request_id: failure.request_id(),
                        retry_after: None,
                        error_response: parts.error_response,
                    })));
                }
                envelope
                    .into_output()
                    .ok_or_else(|| failure.undecodable(status, "the payload is missing", b"", None))
            }
            Err(err) => {
                // A failure whose payload does not fit the success schema (often a plain string).
                if let Some(parts) = failure_parts(operation, body)
                    && parts.code.is_some_and(|code| code != 0)
                {
                    return failure.answered(status, parts);
                }
                // The path and the expected type, never the value; the value is masked in the
                // excerpt too. The payload itself goes with the error, for the caller to read.
                let raw = raw_payload(body);
                let (reason, masked) = crate::redact::unreadable::<T>(body, err);
                Err(failure.undecodable(status, &reason, &masked, raw))
            }
        },
        300..=399 => {
            let location = answer
                .headers
                .get(reqwest::header::LOCATION)
                .and_then(|value| value.to_str().ok());
            Err(Error::Redirected(Box::new(RedirectError::new(
                operation.id,
                status,
                location,
            ))))
        }
        400..=599 => match failure_parts(operation, body) {
            Some(parts) => failure.answered(status, parts),
            None => failure.answered(
                status,
                FailureParts {
                    payload: Some(excerpt(body)),
                    ..FailureParts::default()
                },
            ),
        },
        _ => failure.answered(status, FailureParts::default()),
    }
}

/// What a failed answer's envelope says.
#[derive(Default)]
struct FailureParts {
    code: Option<i64>,
    message: Option<String>,
    /// The payload as bounded, masked text.
    payload: Option<String>,
    /// `errorResponse`, masked.
    error_response: Option<Box<serde_json::Value>>,
}

impl FailureParts {
    fn new(
        code: Option<i64>,
        message: Option<String>,
        payload: Option<&serde_json::Value>,
        error_response: Option<&types::ErrorResponse>,
    ) -> Self {
        Self {
            code,
            message,
            payload: payload_excerpt(payload),
            error_response: error_response
                .and_then(|detail| serde_json::to_value(detail).ok())
                .map(|detail| Box::new(crate::redact::masked_json(detail))),
        }
    }
}

/// Reads a failure's body with the error envelope of `operation` (`FailureBody`), or Bill
/// Payment's plain one when it does not fit; `None` when the body is no envelope at all.
fn failure_parts(operation: &OperationSpec, body: &[u8]) -> Option<FailureParts> {
    // Accounts Receivable's and Vendor Payment's envelopes have the same members.
    macro_rules! with_error_response {
        ($envelope:ty) => {
            serde_json::from_slice::<$envelope>(body).ok().map(|e| {
                FailureParts::new(
                    e.response_code,
                    e.response_message,
                    e.payload.as_ref(),
                    e.error_response.as_ref(),
                )
            })
        };
    }
    let detailed = match operation.failure_body {
        FailureBody::Receivables => with_error_response!(types::ArErrorEnvelope),
        FailureBody::Vendor => with_error_response!(types::VendorErrorEnvelope),
        FailureBody::Plain => None,
    };
    detailed.or_else(|| {
        serde_json::from_slice::<types::ErrorEnvelope>(body)
            .ok()
            .map(|e| {
                FailureParts::new(
                    e.response_code,
                    e.response_message,
                    e.payload.as_ref(),
                    None,
                )
            })
    })
}

/// The payload of a JSON answer that does not match its typed model: the envelope's `payload`
/// when the body is an envelope, else the whole body; `None` when the body is not JSON.
fn raw_payload(body: &[u8]) -> Option<crate::secret::JsonPayload> {
    let mut value: serde_json::Value = serde_json::from_slice(body).ok()?;
    let envelope = value
        .as_object()
        .is_some_and(|map| map.contains_key("response_code") && map.contains_key("payload"));
    if envelope {
        value = value.get_mut("payload").map(serde_json::Value::take)?;
    }
    Some(crate::secret::JsonPayload::new(value))
}

/// An error payload as bounded, masked text.
fn payload_excerpt(payload: Option<&serde_json::Value>) -> Option<String> {
    payload.map(|payload| match payload {
        serde_json::Value::String(text) => excerpt(text.as_bytes()),
        other => excerpt(other.to_string().as_bytes()),
    })
}

/// Builds the error of a failed call from what is known about it.
pub(crate) struct Failure<'a> {
    spec: &'a OperationSpec,
    facts: &'a Facts,
    /// The headers of the answer the call ended with, if it ended with one.
    headers: Option<&'a HeaderMap>,
}

impl<'a> Failure<'a> {
    pub(crate) fn new(spec: &'a OperationSpec, facts: &'a Facts) -> Self {
        Self {
            spec,
            facts,
            headers: None,
        }
    }

    /// The call ended with an answer carrying `headers`.
    fn with_headers(mut self, headers: &'a HeaderMap) -> Self {
        self.headers = Some(headers);
        self
    }

    /// EnKash's request id: read from the last answer only when the call fails, so a success
    /// does not pay for the lookup.
    fn request_id(&self) -> Option<String> {
        match self.headers {
            Some(headers) => crate::driver::request_id_of(headers),
            None => self.facts.request_id.clone(),
        }
    }

    fn retry_after(&self) -> Option<Duration> {
        match self.headers {
            Some(headers) => crate::driver::retry_after_of(headers),
            None => self.facts.retry_after,
        }
    }

    /// The call's total deadline passed before an attempt could start.
    pub(crate) fn deadline_passed(&self) -> Error {
        let message = "the total timeout passed before the call could be sent".to_owned();
        if self.moves_state() && self.facts.attempts > 0 {
            return self.unknown(UnknownCause::Timeout, None);
        }
        Error::Transport(Box::new(TransportError {
            operation: self.spec.id,
            kind: TransportErrorKind::Timeout,
            message,
        }))
    }

    fn unknown(&self, cause: UnknownCause, http_status: Option<u16>) -> Error {
        let settle = self.facts.settle.as_deref();
        Error::OutcomeUnknown(Box::new(OutcomeUnknown {
            operation: self.spec.id,
            cause,
            http_status,
            reference_id: settle.and_then(|ids| ids.reference_id.clone()),
            utility_payment_ids: settle
                .map(|ids| ids.utility_payment_ids.clone())
                .unwrap_or_default(),
            echoed_id: settle.and_then(|ids| ids.echoed_id.clone()),
        }))
    }

    fn moves_state(&self) -> bool {
        self.spec.kind != CallKind::Lookup
    }

    /// EnKash answered with a failure status or code.
    fn answered<T>(&self, status: u16, parts: FailureParts) -> Result<T, Error> {
        if status == 401
            && let Some(token_error) = &self.facts.token_error
        {
            return Err(Error::Token(token_error.clone()));
        }
        // A 401 on a call that changes state is an unknown outcome unless it proved the request
        // was refused unread (and then it was resent once, so this is the second refusal).
        if status == 401 && self.moves_state() && !self.facts.refused_unread {
            return Err(self.unknown(UnknownCause::Unauthorized, Some(status)));
        }
        if status >= 500 && self.moves_state() {
            return Err(self.unknown(UnknownCause::ServerError, Some(status)));
        }
        Err(Error::Api(Box::new(ApiError {
            operation: self.spec.id,
            http_status: status,
            code: parts.code.map(ResponseCode::from_code),
            message: parts.message,
            payload: parts.payload,
            request_id: self.request_id(),
            retry_after: self.retry_after(),
            error_response: parts.error_response,
        })))
    }

    /// An answer that could not be read: for a call that changes state, its outcome is unknown.
    fn undecodable(
        &self,
        status: u16,
        reason: &str,
        body: &[u8],
        raw: Option<crate::secret::JsonPayload>,
    ) -> Error {
        if self.moves_state() {
            return self.unknown(UnknownCause::UnreadableAnswer, Some(status));
        }
        Error::Decode(Box::new(DecodeError {
            operation: self.spec.id,
            http_status: status,
            reason: reason.chars().take(200).collect(),
            excerpt: excerpt(body),
            raw_payload: raw.map(Box::new),
        }))
    }

    /// No (complete) answer.
    pub(crate) fn no_answer(&self, err: &reqwest::Error) -> Error {
        let not_sent = err.is_connect();
        if self.moves_state() && !not_sent {
            let cause = if err.is_timeout() {
                UnknownCause::Timeout
            } else {
                UnknownCause::ConnectionLost
            };
            return self.unknown(cause, None);
        }
        let kind = if not_sent {
            TransportErrorKind::Connect
        } else if err.is_timeout() {
            TransportErrorKind::Timeout
        } else {
            TransportErrorKind::ConnectionLost
        };
        Error::Transport(Box::new(TransportError {
            operation: self.spec.id,
            kind,
            message: transport_message(err),
        }))
    }
}

/// The causes of a transport failure, without reqwest's own line (which quotes the URL).
fn transport_message(err: &reqwest::Error) -> String {
    let mut causes = Vec::new();
    let mut source = std::error::Error::source(err);
    while let Some(cause) = source {
        causes.push(cause.to_string());
        source = cause.source();
    }
    if causes.is_empty() {
        causes.push(
            if err.is_timeout() {
                "timed out"
            } else {
                "request failed"
            }
            .to_owned(),
        );
    }
    causes.join(": ").chars().take(300).collect()
}

/// Entry points for the fuzz targets in `fuzz/` (built with `--cfg fuzzing` only).
#[cfg(fuzzing)]
pub mod fuzzing {
    use super::*;

    /// Reads a token answer the way the client does and caches it; returns how long until the
    /// token would be renewed (`None` when the answer is refused).
    pub fn token_renewal(body: &[u8]) -> Option<std::time::Duration> {
        let response: crate::auth::TokenResponse = serde_json::from_slice(body).ok()?;
        let cache = crate::auth::TokenCache::new(std::time::Duration::from_secs(60));
        let cached = cache.cache(response).ok()?;
        Some(
            cached
                .renew_at
                .saturating_duration_since(tokio::time::Instant::now()),
        )
    }

    /// Reads an answer with this status and body the way a status lookup does, and returns the
    /// error message it gives (empty on success).
    pub fn read_answer(status: u16, body: &[u8]) -> String {
        let answer = Answer {
            status,
            headers: reqwest::header::HeaderMap::new(),
            body: bytes::Bytes::copy_from_slice(body),
            facts: Facts::default(),
        };
        let operation = &crate::generated::operations::GET_UTILITY_BILL_STATUS;
        match decode::<types::UtilityPaymentV2Envelope>(operation, Ok(answer)) {
            Ok(_) => String::new(),
            Err(err) => err.to_string(),
        }
    }
}
