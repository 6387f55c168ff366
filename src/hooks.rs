//! The hooks every generated call runs through: authentication, request checks, the attempt
//! loop with retries and re-authentication, and the response size limit.

use std::pin::Pin;
use std::time::SystemTime;

use base64::Engine as _;
use progenitor_client::{ClientHooks, OperationInfo, ResponseValue};
use reqwest::header::{AUTHORIZATION, HeaderValue};
use reqwest::{Request, Response};
use tokio::time::Instant;
use tracing::Instrument as _;

use crate::auth::TokenResponse;
use crate::context::CallContext;
use crate::error::{TokenError, ValidationError};
use crate::execute::call_span;
use crate::generated::Client;
use crate::operation::{CallKind, LookupKey, OperationSpec, TOKEN_OPERATION, spec_of};
use crate::retry::{AttemptOutcome, is_retryable, parse_retry_after};
use crate::types;

type TokenFuture<'a> = Pin<Box<dyn Future<Output = Result<TokenResponse, TokenError>> + Send + 'a>>;

impl ClientHooks<crate::client::ClientState> for Client {
    async fn pre<E>(
        &self,
        request: &mut Request,
        info: &OperationInfo,
    ) -> Result<(), progenitor_client::Error<E>> {
        let spec = spec_of(info.operation_id);
        CallContext::record(|facts| facts.client = Some(self.inner.clone()));
        if !spec.needs_token() {
            let credentials = &self.inner.config().credentials;
            let basic = base64::engine::general_purpose::STANDARD.encode(format!(
                "{}:{}",
                credentials.client_id,
                credentials.client_secret.expose()
            ));
            set_authorization(request, "Basic", &basic);
            return Ok(());
        }
        let checked =
            crate::validate::check(spec.id, request).and_then(|()| check_reference(&spec, request));
        if let Err(invalid) = checked {
            let message = invalid.to_string();
            CallContext::record(|facts| facts.invalid = Some(invalid));
            return Err(progenitor_client::Error::InvalidRequest(message));
        }
        let token = self
            .inner
            .tokens()
            .token(|| fetch_token(self))
            .await
            .map_err(token_failure)?;
        request.headers_mut().insert(AUTHORIZATION, token.header());
        Ok(())
    }

    async fn exec(&self, request: Request, info: &OperationInfo) -> reqwest::Result<Response> {
        let spec = spec_of(info.operation_id);
        let config = self.inner.config();
        let deadline = Instant::now() + config.timeouts.total;
        let mut request = request;
        let mut reauthenticated = false;
        let mut attempt: u32 = 1;
        loop {
            // The HTTP client applies the attempt timeout; a request carries its own only when
            // the call's total deadline is nearer (setting one allocates on every request).
            let remaining = deadline.saturating_duration_since(Instant::now());
            if remaining < config.timeouts.attempt {
                *request.timeout_mut() = Some(remaining);
            }
            let spare = spare_of(&request);
            tracing::Span::current().record("attempt", attempt);
            let result = match self.client.execute(request).await {
                Ok(response) => read_bounded(response, config.max_response_bytes).await,
                Err(err) => Err(err),
            };
            let outcome = match &result {
                Ok(response) => AttemptOutcome::Status(response.status().as_u16()),
                Err(err) if err.is_connect() => AttemptOutcome::NotSent,
                Err(_) => AttemptOutcome::NoAnswer,
            };
            record_attempt(attempt, outcome, result.as_ref().ok());
            let Some(mut next) = spare else {
                return result;
            };

            // A 401 means the request was refused unread: renew the token once and resend.
            if outcome == AttemptOutcome::Status(401) && spec.needs_token() && !reauthenticated {
                reauthenticated = true;
                let rejected = bearer_of(&next).unwrap_or_default();
                match self
                    .inner
                    .tokens()
                    .renew(&rejected, || fetch_token(self))
                    .await
                {
                    Ok(token) => {
                        next.headers_mut().insert(AUTHORIZATION, token.header());
                        request = next;
                        attempt += 1;
                        continue;
                    }
                    Err(err) => {
                        CallContext::record(|facts| facts.token_error = Some(err));
                        return result;
                    }
                }
            }

            let retries_used = attempt - u32::from(reauthenticated);
            if !is_retryable(spec.kind, outcome) || retries_used >= config.retry.max_attempts() {
                return result;
            }
            let retry_after = result.as_ref().ok().and_then(retry_after_of);
            let Some(wait) = config.retry.backoff(retries_used, retry_after) else {
                return result;
            };
            if Instant::now() + wait >= deadline {
                return result;
            }
            tracing::debug!(operation = spec.id, attempt, ?outcome, ?wait, "retrying");
            drop(result);
            tokio::time::sleep(wait).await;
            request = next;
            attempt += 1;
        }
    }
}

/// Requests a token with the configured credentials (boxed: it runs inside a hook of the same
/// client, which makes the future recursive).
fn fetch_token(client: &Client) -> TokenFuture<'_> {
    let span = call_span(TOKEN_OPERATION);
    let started = std::time::Instant::now();
    let fetch = async move {
        let credentials = &client.inner.config().credentials;
        let form = types::OAuthTokenRequest {
            username: credentials.username.clone(),
            password: credentials.password.clone(),
            grant_type: types::OAuthTokenRequestGrantType::Password,
            client_id: credentials.client_id.clone(),
        };
        match client.oauth_token().body(form).send().await {
            Ok(response) => Ok(response.into_inner()),
            Err(err) => Err(TokenError {
                // An unreadable body (a gateway's HTML page) carries no status; the attempt
                // loop recorded it.
                http_status: err
                    .status()
                    .map(|status| status.as_u16())
                    .or_else(CallContext::last_status),
                message: match &err {
                    progenitor_client::Error::ErrorResponse(response) => {
                        let body = response.as_ref();
                        body.response_message
                            .clone()
                            .unwrap_or_else(|| "the token request was refused".into())
                    }
                    progenitor_client::Error::CommunicationError(err) if err.is_timeout() => {
                        "the token request timed out".into()
                    }
                    progenitor_client::Error::CommunicationError(_) => {
                        "the token endpoint could not be reached".into()
                    }
                    _ => "the token endpoint answered with an unreadable body".into(),
                },
            }),
        }
    };
    Box::pin(
        async move {
            let result = fetch.await;
            tracing::Span::current().record("duration_ms", started.elapsed().as_millis() as u64);
            result
        }
        .instrument(span),
    )
}

fn token_failure<E>(err: TokenError) -> progenitor_client::Error<E> {
    let message = err.to_string();
    CallContext::record(|facts| facts.token_error = Some(err));
    progenitor_client::Error::Custom(message)
}

/// Records the identifiers of a money-moving request, and refuses one that could not be
/// resolved after an unknown outcome.
fn check_reference(spec: &OperationSpec, request: &Request) -> Result<(), ValidationError> {
    if spec.kind != CallKind::MoneyMoving || spec.lookup_key == LookupKey::None {
        return Ok(());
    }
    let body: serde_json::Value = request
        .body()
        .and_then(reqwest::Body::as_bytes)
        .and_then(|bytes| serde_json::from_slice(bytes).ok())
        .unwrap_or_default();
    match spec.lookup_key {
        LookupKey::ReferenceId => {
            let reference = body["referenceId"].as_str().unwrap_or_default().trim();
            if reference.is_empty() {
                return Err(ValidationError {
                    operation: Some(spec.id),
                    field: Some("referenceId".into()),
                    rule: "required: a money-moving call needs a unique referenceId so an \
                           unknown outcome can be looked up"
                        .into(),
                });
            }
            let reference = reference.to_owned();
            CallContext::record(|facts| facts.reference_id = Some(reference));
        }
        LookupKey::UtilityPaymentIds => {
            let ids = body["utilityPaymentIds"]
                .as_array()
                .map(|ids| ids.iter().filter_map(|id| id.as_str().map(str::to_owned)))
                .into_iter()
                .flatten()
                .collect();
            CallContext::record(|facts| facts.utility_payment_ids = ids);
        }
        LookupKey::Echoed(pointer) => {
            let echoed = body
                .pointer(pointer)
                .and_then(|id| id.as_str())
                .map(str::to_owned);
            CallContext::record(|facts| facts.echoed_id = echoed);
        }
        LookupKey::None => {}
    }
    Ok(())
}

/// A copy of the request for a second attempt, or `None` when its body cannot be copied.
///
/// Not reqwest's `try_clone`, which also writes the request's timeout (usually none: the client's
/// applies) into a new extension map, an allocation on every call.
fn spare_of(request: &Request) -> Option<Request> {
    let body = match request.body() {
        Some(body) => Some(reqwest::Body::from(bytes::Bytes::copy_from_slice(
            body.as_bytes()?,
        ))),
        None => None,
    };
    let mut spare = Request::new(request.method().clone(), request.url().clone());
    *spare.headers_mut() = request.headers().clone();
    *spare.version_mut() = request.version();
    // The only per-request setting the client makes (and reqwest lets a caller copy).
    if let Some(timeout) = request.timeout() {
        *spare.timeout_mut() = Some(*timeout);
    }
    *spare.body_mut() = body;
    Some(spare)
}

fn set_authorization(request: &mut Request, scheme: &str, credential: &str) {
    if let Ok(mut value) = HeaderValue::from_str(&format!("{scheme} {credential}")) {
        value.set_sensitive(true);
        request.headers_mut().insert(AUTHORIZATION, value);
    }
}

fn bearer_of(request: &Request) -> Option<String> {
    let value = request.headers().get(AUTHORIZATION)?.to_str().ok()?;
    value.strip_prefix("Bearer ").map(str::to_owned)
}

fn retry_after_of(response: &Response) -> Option<std::time::Duration> {
    let value = response.headers().get(reqwest::header::RETRY_AFTER)?;
    parse_retry_after(value.to_str().ok()?, SystemTime::now())
}

fn record_attempt(attempt: u32, outcome: AttemptOutcome, response: Option<&Response>) {
    if let AttemptOutcome::Status(status) = outcome {
        tracing::Span::current().record("http.status", status);
    }
    let request_id = response
        .and_then(|r| r.headers().get("x-request-id"))
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let retry_after = response.and_then(retry_after_of);
    CallContext::record(|facts| {
        facts.attempts = attempt;
        facts.last_outcome = Some(outcome);
        facts.request_id = request_id;
        facts.retry_after = retry_after;
    });
}

/// The body of an answer as the attempt loop read it (at most the configured limit), kept in the
/// response's extensions for [`response_value`] to decode.
#[derive(Clone)]
struct BodyRead(bytes::Bytes);

/// Reads the whole body, at most `limit` bytes, so a slow or huge answer is bounded by the
/// attempt timeout and the limit, and a body cut off mid-way counts as no answer (retried like
/// one). A larger body is replaced by an empty one and recorded.
///
/// The body is kept in the response's extensions, not in a rebuilt response: rebuilding one costs
/// a copy of the URL, new allocations, and a second read of the body in the generated code.
async fn read_bounded(mut response: Response, limit: usize) -> reqwest::Result<Response> {
    let length = response.content_length();
    let mut too_large = length.is_some_and(|length| length > limit as u64);
    // Most answers arrive as one chunk: kept as it is, without a copy.
    let mut body = bytes::Bytes::new();
    let mut joined: Option<bytes::BytesMut> = None;
    while !too_large {
        let Some(chunk) = response.chunk().await? else {
            break;
        };
        let read = joined.as_ref().map_or(body.len(), bytes::BytesMut::len);
        if read + chunk.len() > limit {
            too_large = true;
        } else if body.is_empty() && joined.is_none() {
            body = chunk;
        } else {
            let buffer = joined.get_or_insert_with(|| {
                let mut buffer = bytes::BytesMut::with_capacity(
                    length
                        .map_or(0, |length| length as usize)
                        .max(read + chunk.len()),
                );
                buffer.extend_from_slice(&body);
                buffer
            });
            buffer.extend_from_slice(&chunk);
        }
    }
    if too_large {
        body = bytes::Bytes::new();
        CallContext::record(|facts| facts.body_too_large = true);
    } else if let Some(buffer) = joined {
        body = buffer.freeze();
    }
    response.extensions_mut().insert(BodyRead(body));
    Ok(response)
}

/// Decodes an answer for the generated code, in place of progenitor's
/// `ResponseValue::from_response` (`build.rs` substitutes it): the same result, but the body is
/// the one the attempt loop read (not collected a second time) and the headers are moved, not
/// cloned.
pub(crate) async fn response_value<T, E>(
    mut response: Response,
) -> Result<ResponseValue<T>, progenitor_client::Error<E>>
where
    T: serde::de::DeserializeOwned,
{
    let status = response.status();
    let headers = std::mem::take(response.headers_mut());
    let body = match response.extensions_mut().remove::<BodyRead>() {
        Some(BodyRead(body)) => body,
        None => response
            .bytes()
            .await
            .map_err(progenitor_client::Error::ResponseBodyError)?,
    };
    match serde_json::from_slice(&body) {
        Ok(inner) => Ok(ResponseValue::new(inner, status, headers)),
        Err(err) => Err(progenitor_client::Error::InvalidResponsePayload(body, err)),
    }
}
