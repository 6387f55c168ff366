//! [`Execute`]: send a generated request and get its payload or a typed [`Error`].

use std::time::Instant;

use progenitor_client::ResponseValue;
use tracing::Instrument as _;
use tracing::field::Empty;

use crate::context::{CallContext, CallFacts};
use crate::error::{
    ApiError, DecodeError, Error, OutcomeUnknown, RedirectError, ResponseCode, TokenError,
    TransportError, TransportErrorKind, UnknownCause, ValidationError, excerpt,
};
use crate::operation::{CallKind, OperationSpec};
use crate::retry::AttemptOutcome;
use crate::types;

/// Sends a request built with a [`crate::Client`] operation and returns its payload.
///
/// On top of the generated `send()` (which already carries the token, the retries of safe calls
/// and the one re-authentication after a 401), `execute()`:
/// * returns the envelope's payload when `response_code` is 0, and [`Error::Api`] otherwise;
/// * reports a money-moving call whose outcome is unknown as [`Error::OutcomeUnknown`], with the
///   request's `referenceId`;
/// * traces one span per call (`enkash.call`: operation, attempt, HTTP status, response_code,
///   duration), without bodies or secrets.
pub trait Execute {
    /// What a successful call returns.
    type Output;

    /// Sends the request; see the trait documentation.
    fn execute(self) -> impl Future<Output = Result<Self::Output, Error>> + Send;
}

/// A response body wrapped in EnKash's envelope, or the token response.
pub(crate) trait Envelope {
    /// What `execute()` returns for it.
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

/// Bridges a generated builder to its `send()` and its entry in the operation table.
pub(crate) trait SendOutput: Sized + Send {
    type Body: Envelope + Send;
    const OPERATION: &'static OperationSpec;
    fn send(self) -> impl Future<Output = SendResult<Self::Body>> + Send;
}

/// Sends the request a generated builder made (`build.rs` writes this impl for each builder,
/// see `crate::generated`) and returns the payload or a typed error.
pub(crate) async fn run<B: SendOutput>(builder: B) -> Result<<B::Body as Envelope>::Output, Error> {
    let spec = *B::OPERATION;
    let span = call_span(spec.id);
    let started = Instant::now();
    // Boxed: the generated future and its answer take kilobytes. Behind a pointer they are not
    // copied at every poll through the task-local and tracing layers (see BENCHMARKS.md).
    let send = Box::pin(async move { boxed(builder.send().await) });
    let (result, facts) = CallContext::scope(send).instrument(span.clone()).await;
    let output = interpret(&spec, result, facts);
    span.record("duration_ms", started.elapsed().as_millis() as u64);
    if let Err(err) = &output {
        if let Some(code) = err.response_code() {
            span.record("response_code", code.code());
        }
        span.in_scope(|| tracing::debug!(error = %err, "call failed"));
    } else {
        span.record("response_code", 0);
    }
    output
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

pub(crate) type SendResult<T> =
    Result<ResponseValue<T>, progenitor_client::Error<types::ErrorEnvelope>>;

/// What `send()` returned, boxed: a decoded body takes kilobytes, and a pointer is what then
/// travels through the task-local and tracing layers (see BENCHMARKS.md).
type Answer<T> = Result<(u16, Box<T>), Box<progenitor_client::Error<types::ErrorEnvelope>>>;

fn boxed<T>(result: SendResult<T>) -> Answer<T> {
    result
        .map(|response| (response.status().as_u16(), Box::new(response.into_inner())))
        .map_err(Box::new)
}

/// Turns what `send()` returned, and what the hooks recorded, into the payload or a typed error.
fn interpret<T: Envelope>(
    spec: &OperationSpec,
    result: Answer<T>,
    mut facts: CallFacts,
) -> Result<T::Output, Error> {
    use progenitor_client::Error as Raw;

    let failure = Failure {
        spec,
        facts: &facts,
    };
    match result.map_err(|raw| *raw) {
        Ok((status, envelope)) => {
            let request_id = facts.request_id.clone();
            let code = envelope.response_code();
            if code != 0 {
                return Err(Error::Api(Box::new(ApiError {
                    operation: spec.id,
                    http_status: status,
                    code: Some(ResponseCode::from_code(code)),
                    message: envelope.response_message().map(str::to_owned),
                    payload: None,
                    request_id,
                    retry_after: None,
                })));
            }
            envelope
                .into_output()
                .ok_or_else(|| failure.undecodable(status, "the payload is missing", b""))
        }
        Err(Raw::ErrorResponse(response)) => {
            let status = response.status().as_u16();
            let body = response.into_inner();
            let payload = body.payload.as_ref().map(|payload| match payload {
                serde_json::Value::String(text) => excerpt(text.as_bytes()),
                other => excerpt(other.to_string().as_bytes()),
            });
            failure.answered(status, body.response_code, body.response_message, payload)
        }
        Err(Raw::InvalidResponsePayload(bytes, err)) => {
            let status = match facts.last_outcome {
                Some(AttemptOutcome::Status(status)) => status,
                _ => 200,
            };
            if facts.body_too_large {
                return Err(failure.undecodable(
                    status,
                    "the body is larger than the configured limit",
                    b"",
                ));
            }
            // A failure whose payload does not fit the success schema (often a plain string).
            if let Ok(generic) = serde_json::from_slice::<types::ErrorEnvelope>(&bytes) {
                let failed = generic.response_code.is_some_and(|code| code != 0) || status >= 400;
                if failed {
                    let payload = generic.payload.as_ref().map(|payload| match payload {
                        serde_json::Value::String(text) => excerpt(text.as_bytes()),
                        other => excerpt(other.to_string().as_bytes()),
                    });
                    return failure.answered(
                        status,
                        generic.response_code,
                        generic.response_message,
                        payload,
                    );
                }
            }
            if status >= 400 {
                return failure.answered(status, None, None, Some(excerpt(&bytes)));
            }
            Err(failure.undecodable(status, &err.to_string(), &bytes))
        }
        Err(Raw::InvalidRequest(message)) => Err(Error::InvalidRequest(Box::new(
            facts
                .invalid
                .take()
                .unwrap_or_else(|| ValidationError::from_builder_message(spec.id, &message)),
        ))),
        Err(Raw::Custom(message)) => Err(Error::Token(Box::new(
            facts.token_error.take().unwrap_or(TokenError {
                http_status: None,
                message,
            }),
        ))),
        Err(
            Raw::CommunicationError(err) | Raw::ResponseBodyError(err) | Raw::InvalidUpgrade(err),
        ) => Err(failure.no_answer(&err)),
        Err(Raw::UnexpectedResponse(response)) => {
            let status = response.status().as_u16();
            if response.status().is_redirection() {
                let location = response
                    .headers()
                    .get(reqwest::header::LOCATION)
                    .and_then(|value| value.to_str().ok());
                return Err(Error::Redirected(Box::new(RedirectError::new(
                    spec.id, status, location,
                ))));
            }
            failure.answered(status, None, None, None)
        }
    }
}

/// Builds the error of a failed call from what is known about it.
struct Failure<'a> {
    spec: &'a OperationSpec,
    facts: &'a CallFacts,
}

impl Failure<'_> {
    fn unknown(&self, cause: UnknownCause, http_status: Option<u16>) -> Error {
        Error::OutcomeUnknown(Box::new(OutcomeUnknown {
            operation: self.spec.id,
            cause,
            http_status,
            reference_id: self.facts.reference_id.clone(),
            utility_payment_ids: self.facts.utility_payment_ids.clone(),
            echoed_id: self.facts.echoed_id.clone(),
        }))
    }

    fn moves_state(&self) -> bool {
        self.spec.kind != CallKind::Lookup
    }

    /// EnKash answered with a failure status or code.
    fn answered<T>(
        &self,
        status: u16,
        code: Option<i64>,
        message: Option<String>,
        payload: Option<String>,
    ) -> Result<T, Error> {
        if status == 401
            && let Some(token_error) = &self.facts.token_error
        {
            return Err(Error::Token(Box::new(token_error.clone())));
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
            code: code.map(ResponseCode::from_code),
            message,
            payload,
            request_id: self.facts.request_id.clone(),
            retry_after: self.facts.retry_after,
        })))
    }

    /// An answer that could not be read: for a call that changes state, its outcome is unknown.
    fn undecodable(&self, status: u16, reason: &str, body: &[u8]) -> Error {
        if self.moves_state() {
            return self.unknown(UnknownCause::UnreadableAnswer, Some(status));
        }
        Error::Decode(Box::new(DecodeError {
            operation: self.spec.id,
            http_status: status,
            reason: reason.chars().take(200).collect(),
            excerpt: excerpt(body),
        }))
    }

    /// No (complete) answer.
    fn no_answer(&self, err: &reqwest::Error) -> Error {
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
        let spec = crate::generated::operations::GET_UTILITY_BILL_STATUS;
        let facts = CallFacts {
            last_outcome: Some(AttemptOutcome::Status(status)),
            ..CallFacts::default()
        };
        let Ok(code) = reqwest::StatusCode::from_u16(status) else {
            return String::new();
        };
        let headers = reqwest::header::HeaderMap::new();
        let bytes = || bytes::Bytes::copy_from_slice(body);
        let result = if status == 200 {
            serde_json::from_slice::<types::UtilityPaymentV2Envelope>(body)
                .map(|envelope| ResponseValue::new(envelope, code, headers))
                .map_err(|err| progenitor_client::Error::InvalidResponsePayload(bytes(), err))
        } else {
            match serde_json::from_slice::<types::ErrorEnvelope>(body) {
                Ok(envelope) => Err(progenitor_client::Error::ErrorResponse(ResponseValue::new(
                    envelope, code, headers,
                ))),
                Err(err) => Err(progenitor_client::Error::InvalidResponsePayload(
                    bytes(),
                    err,
                )),
            }
        };
        match interpret(&spec, boxed(result), facts) {
            Ok(_) => String::new(),
            Err(err) => err.to_string(),
        }
    }
}
