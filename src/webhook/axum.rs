//! Mounting a [`WebhookReceiver`] in an axum app (feature `axum`).
//!
//! ```no_run
//! use enkash::webhook::{WebhookEvent, WebhookKind, WebhookReceiver, WebhookVerifier};
//!
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! let receiver = WebhookReceiver::new(WebhookVerifier::new("x-enkash-token", "agreed-value")?);
//! let app = axum::Router::new()
//!     .route(
//!         "/enkash/bill-payment",
//!         enkash::webhook::axum::handler(receiver.clone(), WebhookKind::UtilityBill, on_bill),
//!     )
//!     .route(
//!         "/enkash/resp-pay",
//!         enkash::webhook::axum::handler(receiver, WebhookKind::VendorPaymentResponse, on_payment),
//!     );
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:8080").await?;
//! axum::serve(listener, app).await?;
//! # Ok(())
//! # }
//!
//! async fn on_bill(event: WebhookEvent) {
//!     if let WebhookEvent::UtilityBill(bill) = event {
//!         println!("bill {:?} is {:?}", bill.utility_enkash_id, bill.billpay_status);
//!     }
//! }
//!
//! async fn on_payment(event: WebhookEvent) {
//!     println!("{} received", event.kind());
//! }
//! ```

use std::future::Future;
use std::sync::Arc;

use ::axum::body::Body;
use ::axum::extract::Request;
use ::axum::response::Response;
use ::axum::routing::{MethodRouter, post};
use futures::StreamExt;
use http::StatusCode;
use http::header::{CONTENT_TYPE, HeaderValue};

use super::{WebhookError, WebhookEvent, WebhookKind, WebhookReceiver};

/// A `POST` route that receives webhooks of `kind` and hands each to `on_event`.
///
/// For every request, in this order: the static headers are checked (before the body is read), then
/// the content type and the declared length; the body is read up to the receiver's size limit,
/// within its [`body_read_timeout`](WebhookReceiver::body_read_timeout) (10 s by default; it needs
/// tokio's time driver, which `#[tokio::main]` turns on), and decoded as `kind`. On success
/// `on_event` is awaited, then the route answers HTTP 200 with [`WebhookKind::acknowledgement`] and
/// `content-type: application/json`. On failure `on_event` is
/// not called and the route answers [`WebhookError::http_status`] (401, 415, 413, 408 or 400) with
/// [`WebhookError::json_body`], `{"error":"..."}`, which names the problem but never a header, a
/// header value or a value of the body. Nothing is logged.
pub fn handler<S, F, Fut>(
    receiver: WebhookReceiver,
    kind: WebhookKind,
    on_event: F,
) -> MethodRouter<S>
where
    S: Clone + Send + Sync + 'static,
    F: Fn(WebhookEvent) -> Fut + Clone + Send + Sync + 'static,
    Fut: Future<Output = ()> + Send + 'static,
{
    let receiver = Arc::new(receiver);
    post(move |request: Request| {
        let receiver = Arc::clone(&receiver);
        let on_event = on_event.clone();
        async move {
            match receive(&receiver, kind, request).await {
                Ok(event) => {
                    on_event(event).await;
                    json_response(StatusCode::OK, kind.acknowledgement().to_owned())
                }
                Err(err) => json_response(
                    StatusCode::from_u16(err.http_status()).unwrap_or(StatusCode::BAD_REQUEST),
                    err.json_body(),
                ),
            }
        }
    })
}

/// Checks the headers, reads the body up to the limit and decodes it.
async fn receive(
    receiver: &WebhookReceiver,
    kind: WebhookKind,
    request: Request,
) -> Result<WebhookEvent, WebhookError> {
    let (parts, body) = request.into_parts();
    receiver.check_headers(&parts.headers)?;
    let limit = receiver.body_read_timeout();
    let body = tokio::time::timeout(limit, read_limited(body, receiver.max_body_bytes(), kind))
        .await
        .map_err(|_| WebhookError::BodyTimeout { limit })??;
    receiver.receive(kind, &parts.headers, &body)
}

/// The body, or [`WebhookError::BodyTooLarge`] as soon as it passes `limit` bytes.
async fn read_limited(
    body: Body,
    limit: usize,
    kind: WebhookKind,
) -> Result<Vec<u8>, WebhookError> {
    let mut stream = body.into_data_stream();
    let mut read = Vec::new();
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(|_| WebhookError::MalformedBody {
            kind,
            reason: "the body could not be read to its end".to_owned(),
            excerpt: String::new(),
        })?;
        if read.len().saturating_add(chunk.len()) > limit {
            return Err(WebhookError::BodyTooLarge { limit });
        }
        read.extend_from_slice(&chunk);
    }
    Ok(read)
}

fn json_response(status: StatusCode, body: String) -> Response {
    let mut response = Response::new(Body::from(body));
    *response.status_mut() = status;
    response
        .headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    response
}
