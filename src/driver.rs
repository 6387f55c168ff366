//! The one call pipeline: every generated `send()` builds its request and hands it here.
//!
//! [`send`] is not generic: the attempt loop, the token, the retries and the bounded read are one
//! piece of code for every operation, driven by the operation's entry in the table the spec
//! produced ([`crate::operations`]). It owns one deadline for the whole call (token acquisition,
//! every attempt, every backoff) and returns what happened directly: the answer's bytes with the
//! facts of the call, or a typed error. The generic part that remains, decoding the answer into
//! the operation's type, is [`crate::answer::decode`].

use std::future::Future;
use std::pin::Pin;
use std::time::SystemTime;

use base64::Engine as _;
use reqwest::header::{AUTHORIZATION, HeaderMap, HeaderValue};
use reqwest::{Request, Response};
use tokio::time::Instant;
use tracing::Instrument as _;

use crate::answer::{Facts, Failure};
use crate::auth::{AccessToken, TokenResponse};
use crate::error::{Error, TokenError, TransportErrorKind, ValidationError};
use crate::generated::{Client, operations};
use crate::operation::{Auth, CallKind, LookupKey, OperationSpec};
use crate::retry::{AttemptOutcome, is_retryable, parse_retry_after, refused_unread};
use crate::types;
use crate::validate::JsonBody;

/// What a generated builder hands over: the request it built, or why it could not build one.
pub(crate) type Built = Result<Request, String>;

/// Why a generated builder could not build its request, whatever the operation's error type.
pub(crate) fn refused<E: std::fmt::Debug>(err: progenitor_client::Error<E>) -> String {
    match err {
        progenitor_client::Error::InvalidRequest(message) => message,
        other => other.to_string(),
    }
}

/// An answer read in full (at most the configured limit), with the facts of the call.
#[derive(Debug)]
pub(crate) struct Answer {
    pub status: u16,
    pub headers: HeaderMap,
    pub body: bytes::Bytes,
    pub facts: Facts,
}

/// Sends `built` as `operation` with the full semantics of the client: request checks, the token,
/// the attempt loop with its retries and its one re-authentication, the bounded read. Everything
/// runs inside the call's `enkash.call` span and within one total deadline.
pub(crate) fn send<'a>(
    client: &'a Client,
    operation: &'static OperationSpec,
    built: Built,
) -> Pin<Box<dyn Future<Output = Result<Answer, Error>> + Send + 'a>> {
    send_until(client, operation, built, None)
}

/// [`send`] with a deadline given by the caller (the token call inherits its caller's); without
/// one, the call's total timeout starts when it is first polled.
fn send_until<'a>(
    client: &'a Client,
    operation: &'static OperationSpec,
    built: Built,
    deadline: Option<Instant>,
) -> Pin<Box<dyn Future<Output = Result<Answer, Error>> + Send + 'a>> {
    // The checks run before the future is made, so it holds the checked request only.
    let mut facts = Facts::default();
    let prepared = prepare(operation, built, &mut facts).map(Box::new);
    // Boxed: the token call runs this same pipeline from inside it, which makes it recursive; a
    // pointer is also what then travels through the caller's layers (see BENCHMARKS.md).
    Box::pin(async move {
        let mut request = prepared?;
        let deadline = deadline.unwrap_or_else(|| {
            let now = Instant::now();
            // The configuration caps the total at a day, so this cannot overflow; checked all
            // the same, since a panic here would take down the caller's task.
            now.checked_add(client.inner.config().timeouts.total)
                .unwrap_or(now)
        });
        authorize(client, operation, &mut request, deadline).await?;
        if operation.auth == Auth::Bearer
            && let Some(extra) = client.inner.extra_headers()
        {
            for (name, value) in extra {
                request.headers_mut().append(name, value.clone());
            }
        }
        attempts(client, operation, request, deadline, facts).await
    })
}

/// The built request, checked: bounds, path parameters, and the identifiers a money-moving call
/// is settled by (recorded in `facts`).
fn prepare(
    operation: &'static OperationSpec,
    built: Built,
    facts: &mut Facts,
) -> Result<Request, Error> {
    let request = built_request(operation, built)?;
    let mut body = JsonBody::default();
    crate::validate::check(operation, &request, &mut body)
        .and_then(|()| settle_ids(operation, &request, &mut body, facts))
        .map_err(|invalid| Error::InvalidRequest(Box::new(invalid)))?;
    Ok(request)
}

/// The request a builder built, or the builder's error as [`Error::InvalidRequest`].
pub(crate) fn built_request(
    operation: &'static OperationSpec,
    built: Built,
) -> Result<Request, Error> {
    built.map_err(|message| {
        Error::InvalidRequest(Box::new(ValidationError::from_builder_message(
            operation.id,
            &message,
        )))
    })
}

/// Sets the `Authorization` header: Basic for the token call, the bearer token for the others
/// (fetched within the call's deadline when there is none yet).
async fn authorize(
    client: &Client,
    operation: &'static OperationSpec,
    request: &mut Request,
    deadline: Instant,
) -> Result<(), Error> {
    match operation.auth {
        Auth::Basic => {
            let credentials = &client.inner.config().credentials;
            let basic = base64::engine::general_purpose::STANDARD.encode(format!(
                "{}:{}",
                credentials.client_id,
                credentials.client_secret.expose()
            ));
            set_authorization(request, "Basic", &basic);
            Ok(())
        }
        Auth::Bearer => {
            // Most calls find a fresh token; the wait for a new one lives on the heap, so its
            // state does not weigh on every call's future.
            let token = match client.inner.tokens().fresh() {
                Some(token) => token,
                None => {
                    let tokens = client.inner.tokens();
                    let fetch = tokens.token(|| fetch_token(client, deadline));
                    Box::pin(within(deadline, fetch))
                        .await
                        .map_err(|err| Error::Token(Box::new(err)))?
                }
            };
            request.headers_mut().insert(AUTHORIZATION, token.header());
            Ok(())
        }
    }
}

/// A token future cut off at the deadline.
async fn within(
    deadline: Instant,
    token: impl Future<Output = Result<AccessToken, TokenError>>,
) -> Result<AccessToken, TokenError> {
    match tokio::time::timeout_at(deadline, token).await {
        Ok(result) => result,
        Err(_) => Err(TokenError {
            http_status: None,
            message: "no access token within the call's total timeout".into(),
        }),
    }
}

/// The attempt loop: sends, reads the answer under the limit, and decides whether to send again.
async fn attempts(
    client: &Client,
    operation: &'static OperationSpec,
    mut request: Box<Request>,
    deadline: Instant,
    mut facts: Facts,
) -> Result<Answer, Error> {
    // The request and its spare copy live on the heap: held inline, each would add its size to
    // the state every waiting call keeps (see BENCHMARKS.md).
    let config = client.inner.config();
    let mut reauthenticated = false;
    let mut attempt: u32 = 1;
    loop {
        // The HTTP client applies the attempt timeout; a request carries its own only when the
        // call's total deadline is nearer (setting one allocates on every request).
        let remaining = deadline.saturating_duration_since(Instant::now());
        if remaining.is_zero() {
            return Err(Failure::new(operation, &facts).deadline_passed());
        }
        match client.inner.attempt_timeout_override() {
            Some(attempt) => *request.timeout_mut() = Some(remaining.min(attempt)),
            None if remaining < config.timeouts.attempt => *request.timeout_mut() = Some(remaining),
            None => {}
        }
        let spare = spare_of(&request).map(Box::new);
        let span = tracing::Span::current();
        span.record("attempt", attempt);
        // The response goes straight into the read, unnamed: a named value keeps its place in
        // the state of this loop even after it moved (see BENCHMARKS.md).
        let sent = client.client.execute(*request);
        let result = async { read_bounded(sent.await?, config.max_response_bytes).await }.await;
        let outcome = match &result {
            Ok(read) => AttemptOutcome::Status(read.status),
            Err(err) if err.is_connect() => AttemptOutcome::NotSent,
            Err(_) => AttemptOutcome::NoAnswer,
        };
        facts.attempts = attempt;
        if let AttemptOutcome::Status(status) = outcome {
            span.record("http.status", status);
        }
        // The last answer's request id and Retry-After are read from its headers only if the
        // call fails (`answer::decode`); an answer that is retried leaves them in the facts.
        if let Ok(read) = &result {
            facts.body_too_large = read.too_large;
        }
        let Some(mut next) = spare else {
            return finish(operation, result, facts);
        };

        // A 401: renew the token once and resend, if resending is safe. A lookup always is; a call
        // that changes state only with proof that the request was refused unread.
        if outcome == AttemptOutcome::Status(401) && operation.needs_token() && !reauthenticated {
            let rejected = bearer_of(&next).unwrap_or_default();
            let proven = result
                .as_ref()
                .is_ok_and(|read| refused_unread(&read.headers));
            facts.refused_unread = proven;
            if operation.kind != CallKind::Lookup && !proven {
                client.inner.tokens().forget(&rejected);
                return finish(operation, result, facts);
            }
            reauthenticated = true;
            // Made and boxed in one expression: a named future would keep its place in this
            // loop's state even after it moved into the box.
            let renewal = Box::pin(within(
                deadline,
                client
                    .inner
                    .tokens()
                    .renew(&rejected, || fetch_token(client, deadline)),
            ));
            match renewal.await {
                Ok(token) => {
                    next.headers_mut().insert(AUTHORIZATION, token.header());
                    request = next;
                    attempt += 1;
                    continue;
                }
                Err(err) => {
                    facts.token_error = Some(Box::new(err));
                    return finish(operation, result, facts);
                }
            }
        }

        let retries_used = attempt - u32::from(reauthenticated);
        if !is_retryable(operation.kind, outcome) || retries_used >= config.retry.max_attempts() {
            return finish(operation, result, facts);
        }
        if let Ok(read) = &result {
            facts.request_id = request_id_of(&read.headers);
            facts.retry_after = retry_after_of(&read.headers);
        }
        let Some(wait) = config.retry.backoff(retries_used, facts.retry_after) else {
            return finish(operation, result, facts);
        };
        if Instant::now()
            .checked_add(wait)
            .is_none_or(|end| end >= deadline)
        {
            return finish(operation, result, facts);
        }
        tracing::debug!(
            operation = operation.id,
            attempt,
            ?outcome,
            ?wait,
            "retrying"
        );
        drop(result);
        // Boxed: a timer is large, and only a retried call needs one.
        Box::pin(tokio::time::sleep(wait)).await;
        request = next;
        attempt += 1;
    }
}

/// The last attempt's result as the call's.
fn finish(
    operation: &'static OperationSpec,
    result: reqwest::Result<Read>,
    facts: Facts,
) -> Result<Answer, Error> {
    match result {
        Ok(read) => Ok(Answer {
            status: read.status,
            headers: read.headers,
            body: read.body,
            facts,
        }),
        Err(err) => Err(Failure::new(operation, &facts).no_answer(&err)),
    }
}

/// Requests a token with the configured credentials, through this same pipeline, within the
/// caller's deadline. Its facts are its own: they never reach the caller's.
fn fetch_token(
    client: &Client,
    deadline: Instant,
) -> Pin<Box<dyn Future<Output = Result<TokenResponse, TokenError>> + Send + '_>> {
    let operation = &operations::OAUTH_TOKEN;
    let span = crate::answer::call_span(operation.id);
    let started = std::time::Instant::now();
    Box::pin(
        async move {
            let credentials = &client.inner.config().credentials;
            // The generated builder, not a struct literal: a field added to the spec's token
            // request changes nothing here.
            let form = types::OAuthTokenRequest::builder()
                .username(credentials.username.clone())
                .password(credentials.password.clone())
                .grant_type(types::OAuthTokenRequestGrantType::Password)
                .client_id(credentials.client_id.clone());
            let built = client.oauth_token().body(form).request().map_err(refused);
            let answer = send_until(client, operation, built, Some(deadline)).await;
            let result =
                crate::answer::decode::<TokenResponse>(operation, answer).map_err(token_error);
            tracing::Span::current().record("duration_ms", started.elapsed().as_millis() as u64);
            result
        }
        .instrument(span),
    )
}

/// What a failed token call says, as a [`TokenError`].
fn token_error(err: Error) -> TokenError {
    let message = match &err {
        Error::Api(api) => match (&api.message, api.code) {
            (Some(message), _) => message.clone(),
            (None, Some(_)) => "the token request was refused".into(),
            (None, None) => "the token endpoint answered with an unreadable body".into(),
        },
        Error::Transport(transport) if transport.kind == TransportErrorKind::Timeout => {
            "the token request timed out".into()
        }
        Error::Transport(_) => "the token endpoint could not be reached".into(),
        Error::Token(token) => return (**token).clone(),
        Error::Redirected(_) => "the token endpoint answered with a redirect".into(),
        _ => "the token endpoint answered with an unreadable body".into(),
    };
    TokenError {
        http_status: err.meta().http_status,
        message,
    }
}

/// Records the identifiers a money-moving request is settled by, and refuses one that could not
/// be settled after an unknown outcome.
fn settle_ids(
    operation: &OperationSpec,
    request: &Request,
    body: &mut JsonBody,
    facts: &mut Facts,
) -> Result<(), ValidationError> {
    if operation.kind != CallKind::MoneyMoving || operation.lookup_key == LookupKey::None {
        return Ok(());
    }
    let body = body.of(request);
    let ids = facts.settle.get_or_insert_with(Box::default);
    match operation.lookup_key {
        LookupKey::ReferenceId(pointer) => {
            let reference = body
                .pointer(pointer)
                .and_then(|id| id.as_str())
                .unwrap_or_default()
                .trim();
            if reference.is_empty() {
                return Err(ValidationError {
                    operation: Some(operation.id),
                    field: Some(pointer.trim_start_matches('/').replace('/', ".")),
                    rule: "required: a money-moving call needs a unique referenceId so an \
                           unknown outcome can be looked up"
                        .into(),
                });
            }
            ids.reference_id = Some(reference.to_owned());
        }
        LookupKey::BillIds(pointer) => {
            ids.utility_payment_ids = body
                .pointer(pointer)
                .and_then(|ids| ids.as_array())
                .map(|ids| ids.iter().filter_map(|id| id.as_str().map(str::to_owned)))
                .into_iter()
                .flatten()
                .collect();
        }
        LookupKey::Echoed(pointer) => {
            ids.echoed_id = body
                .pointer(pointer)
                .and_then(|id| id.as_str())
                .map(str::to_owned);
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

/// EnKash's id of the request an answer is for.
pub(crate) fn request_id_of(headers: &HeaderMap) -> Option<String> {
    let value = headers.get("x-request-id")?;
    value.to_str().ok().map(str::to_owned)
}

/// How long an answer asks the client to wait before trying again.
pub(crate) fn retry_after_of(headers: &HeaderMap) -> Option<std::time::Duration> {
    let value = headers.get(reqwest::header::RETRY_AFTER)?;
    parse_retry_after(value.to_str().ok()?, SystemTime::now())
}

/// An answer as the attempt loop read it.
struct Read {
    status: u16,
    headers: HeaderMap,
    body: bytes::Bytes,
    /// The body was over the limit and was not read.
    too_large: bool,
}

/// Reads the whole body, at most `limit` bytes, so a slow or huge answer is bounded by the
/// attempt timeout and the limit, and a body cut off mid-way counts as no answer (retried like
/// one). A larger body is left unread and marked.
fn read_bounded(
    mut response: Response,
    limit: usize,
) -> impl Future<Output = reqwest::Result<Read>> {
    use futures::StreamExt as _;
    let length = response.content_length();
    let status = response.status().as_u16();
    let headers = std::mem::take(response.headers_mut());
    // Only the body stream goes into the future: the response around it would weigh on the
    // state of every waiting call (an async fn keeps its arguments for its whole life).
    let chunks = response.bytes_stream();
    async move {
        let mut chunks = std::pin::pin!(chunks);
        let mut too_large = length.is_some_and(|length| length > limit as u64);
        // Most answers arrive as one chunk: kept as it is, without a copy.
        let mut body = bytes::Bytes::new();
        let mut joined: Option<bytes::BytesMut> = None;
        while !too_large {
            let Some(chunk) = chunks.next().await.transpose()? else {
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
        } else if let Some(buffer) = joined {
            body = buffer.freeze();
        }
        Ok(Read {
            status,
            headers,
            body,
            too_large,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn client() -> Client {
        let config = crate::Config::builder()
            .base_url("http://127.0.0.1:9")
            .credentials(crate::Credentials {
                client_id: "CEKFOWV7UQ".into(),
                client_secret: "client-secret".into(),
                username: "ops@example.com".into(),
                password: "password".into(),
            })
            .build()
            .unwrap();
        Client::from_config(config).unwrap()
    }

    #[test]
    fn an_upload_has_no_spare_copy_so_it_is_never_sent_twice() {
        let client = client();
        // Even a file held in memory goes out as a stream: nothing is copied for a resend.
        let upload = client
            .create_bulk_customer()
            .company_id("CEKFOWV7UQ")
            .file(crate::Upload::bytes("customers.csv", "legalName\nAcme\n"))
            .request()
            .unwrap();
        assert!(upload.body().is_some_and(|body| body.as_bytes().is_none()));
        assert!(spare_of(&upload).is_none());
        // A call without a body (or with a JSON one) keeps its spare copy.
        let lookup = client
            .get_utility_bill_status()
            .utility_enkash_id("UP123")
            .request()
            .unwrap();
        assert!(spare_of(&lookup).is_some());
    }
}
