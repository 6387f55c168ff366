//! Receiving the webhooks EnKash POSTs to the merchant: the bill payment webhook and the twelve
//! Vendor Payment (Bharat Connect B2B) webhooks listed under `x-webhooks` in `spec/enkash.yaml`.
//!
//! * [`WebhookKind`] names a webhook and the body EnKash expects back
//!   ([`WebhookKind::acknowledgement`]).
//! * [`WebhookEvent`] is a decoded webhook body. The bodies carry no type tag, so the caller says
//!   which webhook a body is, usually by the route it was received on: [`WebhookEvent::parse`].
//! * [`WebhookVerifier`] checks the static headers agreed with EnKash, the only authentication
//!   EnKash documents for webhooks.
//! * [`WebhookReceiver::receive`] does all of it for one request, framework-free: headers,
//!   content type, body size, then the body.
//! * With the `axum` feature, `enkash::webhook::axum::handler` mounts a receiver as an axum route.
//!
//! Bodies are decoded tolerantly, as everything the client reads: unknown fields are ignored,
//! values outside an enumeration are kept as `Unknown`, date-times with or without an offset and
//! `null` where a string is typed are accepted, and amounts are exact. Nothing here logs a body.
//!
//! # Other frameworks
//!
//! Hand the request's headers and body to [`WebhookReceiver::receive`] and map a
//! [`WebhookError`] to its [`http_status`](WebhookError::http_status) and
//! [`json_body`](WebhookError::json_body). With hyper (or anything built on the `http` crate):
//!
//! ```
//! use enkash::webhook::{WebhookEvent, WebhookKind, WebhookReceiver, WebhookVerifier};
//! use http::{Response, StatusCode, header};
//!
//! fn answer(
//!     receiver: &WebhookReceiver,
//!     kind: WebhookKind,
//!     request: &http::Request<Vec<u8>>,
//!     handle: impl FnOnce(WebhookEvent),
//! ) -> Response<String> {
//!     let (status, body) = match receiver.receive(kind, request.headers(), request.body()) {
//!         Ok(event) => {
//!             handle(event);
//!             (200, kind.acknowledgement().to_owned())
//!         }
//!         Err(err) => (err.http_status(), err.json_body()),
//!     };
//!     let mut response = Response::new(body);
//!     *response.status_mut() = StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_REQUEST);
//!     response
//!         .headers_mut()
//!         .insert(header::CONTENT_TYPE, header::HeaderValue::from_static("application/json"));
//!     response
//! }
//!
//! let receiver = WebhookReceiver::new(WebhookVerifier::new("x-enkash-token", "agreed-value")?);
//! let request = http::Request::builder()
//!     .method("POST")
//!     .header("x-enkash-token", "agreed-value")
//!     .header("content-type", "application/json")
//!     .body(br#"{"utilityEnkashId":"UTIL-1","companyBiller":{"companyBillerId":"CB-1"}}"#.to_vec())?;
//! let response = answer(&receiver, WebhookKind::UtilityBill, &request, |event| {
//!     assert_eq!(event.kind(), WebhookKind::UtilityBill);
//! });
//! assert_eq!(response.status(), 200);
//! assert_eq!(response.body(), "{}");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! With actix-web the same: read the body as `web::Bytes`, copy the headers into an
//! [`http::HeaderMap`], call `receive`, and answer
//! `HttpResponse::build(StatusCode::from_u16(err.http_status())?)` with `err.json_body()`. Frameworks
//! that stream the body can refuse a request before reading it with
//! [`WebhookReceiver::check_headers`] and [`WebhookReceiver::check_length`].

#[cfg(feature = "axum")]
#[cfg_attr(docsrs, doc(cfg(feature = "axum")))]
pub mod axum;
mod error;
mod verify;

use std::fmt;

use http::HeaderMap;
use http::header::CONTENT_TYPE;

pub use error::WebhookError;
pub use verify::WebhookVerifier;

use crate::types;

/// The acknowledgement of the bill payment webhook, as documented.
const EMPTY_OBJECT: &str = "{}";
/// The Vendor Payment section envelope, as the spec's examples answer the webhooks whose answer
/// EnKash does not publish.
const VENDOR_SUCCESS: &str =
    r#"{"response_code":0,"response_message":"SUCCESS","payload":"SUCCESS"}"#;
/// The envelope of an answer whose documented payload echoes the message (Status Change Invoice,
/// Share Bid), without that payload.
const VENDOR_SUCCESS_NO_PAYLOAD: &str = r#"{"response_code":0,"response_message":"SUCCESS"}"#;

macro_rules! webhooks {
    ($(
        $(#[doc = $doc:literal])+
        $variant:ident = $name:literal, $body:ident, $ack:expr;
    )+) => {
        /// One of the webhooks EnKash POSTs to the merchant (the entries of `x-webhooks` in
        /// `spec/enkash.yaml`).
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        #[non_exhaustive]
        pub enum WebhookKind {
            $(
                $(#[doc = $doc])+
                #[doc = ""]
                #[doc = concat!("`x-webhooks` entry `", $name, "`, body [`types::", stringify!($body), "`].")]
                $variant,
            )+
        }

        impl WebhookKind {
            /// Every webhook, in the order of the spec.
            pub const ALL: &'static [WebhookKind] = &[$(WebhookKind::$variant),+];

            /// The webhook's name under `x-webhooks` in the spec (`utilityBill`, `vendorRespPay`, ...).
            pub fn name(self) -> &'static str {
                match self {
                    $(WebhookKind::$variant => $name,)+
                }
            }

            /// The spec's component schema of the body (`UtilityBillWebhookRequest`, ...), which is
            /// also the name of the type in [`crate::types`].
            pub fn body_schema(self) -> &'static str {
                match self {
                    $(WebhookKind::$variant => stringify!($body),)+
                }
            }

            /// The JSON body EnKash expects with the HTTP 200 that acknowledges the webhook.
            ///
            /// `{}` for the bill payment webhook, as documented. For the Vendor Payment webhooks, the
            /// section's success envelope `{"response_code":0,"response_message":"SUCCESS","payload":"SUCCESS"}`
            /// as in the spec's examples; for Status Change Invoice and Share Bid, whose documented
            /// answer echoes the message in `payload`, the envelope without a payload
            /// (`{"response_code":0,"response_message":"SUCCESS"}`).
            pub fn acknowledgement(self) -> &'static str {
                match self {
                    $(WebhookKind::$variant => $ack,)+
                }
            }
        }

        /// A decoded webhook body, one variant per [`WebhookKind`].
        #[derive(Debug, Clone)]
        #[non_exhaustive]
        pub enum WebhookEvent {
            $(
                $(#[doc = $doc])+
                $variant(Box<types::$body>),
            )+
        }

        impl WebhookEvent {
            /// Which webhook this is.
            pub fn kind(&self) -> WebhookKind {
                match self {
                    $(WebhookEvent::$variant(_) => WebhookKind::$variant,)+
                }
            }

            /// Decodes `body` as the body of `kind`. Checks nothing else: use
            /// [`WebhookReceiver::receive`] for a request from the network.
            ///
            /// ```
            /// use enkash::webhook::{WebhookEvent, WebhookKind};
            /// let body = br#"{"utilityEnkashId":"UTIL-1","paymentStatus":"COMPLETED","companyBiller":{}}"#;
            /// let WebhookEvent::UtilityBill(bill) = WebhookEvent::parse(WebhookKind::UtilityBill, body)? else {
            ///     unreachable!()
            /// };
            /// assert_eq!(bill.utility_enkash_id.as_deref(), Some("UTIL-1"));
            /// assert!(WebhookEvent::parse(WebhookKind::UtilityBill, b"{").unwrap_err().is_malformed_body());
            /// # Ok::<(), enkash::webhook::WebhookError>(())
            /// ```
            pub fn parse(kind: WebhookKind, body: &[u8]) -> Result<WebhookEvent, WebhookError> {
                let failed = |failure| error::malformed(kind, body, &failure);
                Ok(match kind {
                    $(WebhookKind::$variant => {
                        WebhookEvent::$variant(Box::new(crate::redact::decode_json(body).map_err(failed)?))
                    })+
                })
            }
        }
    };
}

webhooks! {
    /// Bill payment webhook: a bill's state after a change (Bill Payment).
    UtilityBill = "utilityBill", UtilityBillWebhookRequest, EMPTY_OBJECT;
    /// The network's answer to Initiate Entity Check (`respCheckEntity`).
    VendorCheckEntityResponse = "vendorRespCheckEntity", CheckEntityWebhook, VENDOR_SUCCESS;
    /// The network's answer to Register Entity, with the registered profile (`respRegEntity`).
    VendorEntityRegistrationResponse = "vendorRespRegEntity", EntityRegistrationResponseWebhook, VENDOR_SUCCESS;
    /// The entities found by a Search Entity request (`respSearchEntity`).
    VendorSearchEntityResponse = "vendorRespSearchEntity", SearchEntityResponseWebhook, VENDOR_SUCCESS;
    /// The network's outcome of a Pay Invoice request (`resp-pay`).
    VendorPaymentResponse = "vendorRespPay", PaymentResponseWebhook, VENDOR_SUCCESS;
    /// The supplier's acknowledgement of a payment (`resp-pay-confirmation`).
    VendorPaymentConfirmationResponse = "vendorRespPayConfirmation", PaymentConfirmationResponseWebhook, VENDOR_SUCCESS;
    /// The network's answer to Send C/N Request (`cd-note/resp-send`).
    VendorCdNoteSendResponse = "vendorCdNoteRespSend", CdNoteSendResponseWebhook, VENDOR_SUCCESS;
    /// The answer to Change Purchase Order Status (`purchase-order/resp-status-change`).
    VendorPurchaseOrderStatusChangeResponse = "vendorPoRespStatusChange", PurchaseOrderStatusChangeResponseWebhook, VENDOR_SUCCESS;
    /// A payment request for the merchant's invoice (`req-pay`).
    VendorPaymentRequest = "vendorReqPay", PaymentRequestWebhook, VENDOR_SUCCESS;
    /// A purchase order for the merchant to confirm (`purchase-order/req-confirm`).
    VendorPurchaseOrderConfirmRequest = "vendorPoReqConfirm", PurchaseOrderConfirmRequestWebhook, VENDOR_SUCCESS;
    /// A purchase order's status change (`purchase-order/req-status-change`).
    VendorPurchaseOrderStatusChangeRequest = "vendorPoReqStatusChange", PurchaseOrderStatusChangeRequestWebhook, VENDOR_SUCCESS;
    /// The supplier's status change of an invoice (`req-status-change-invoice`).
    VendorInvoiceStatusChangeRequest = "vendorInvoiceReqStatusChange", InvoiceStatusChangeRequestWebhook, VENDOR_SUCCESS_NO_PAYLOAD;
    /// Financiers' bids on a financing request (`finance/shareBid`).
    VendorShareBidRequest = "vendorShareBid", ShareBidRequestWebhook, VENDOR_SUCCESS_NO_PAYLOAD;
}

impl fmt::Display for WebhookKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Shorthand for [`WebhookEvent::parse`].
pub fn parse(kind: WebhookKind, body: &[u8]) -> Result<WebhookEvent, WebhookError> {
    WebhookEvent::parse(kind, body)
}

/// The body limit of [`WebhookReceiver::new`]: 1 MiB, far above any documented webhook body.
pub const DEFAULT_MAX_BODY_BYTES: usize = 1024 * 1024;

/// How long [`WebhookReceiver::new`] lets a body take to arrive where the receiver reads it from
/// the network (the `axum` handler): 10 s, ample for 1 MiB, short enough that a sender trickling a
/// body cannot hold a connection and a task for long.
pub const DEFAULT_BODY_READ_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);

/// Receives webhooks: checks the static headers, the content type and the body size, then decodes
/// the body. Framework-free; see the [module documentation](self) for mounting it.
///
/// ```
/// use enkash::webhook::{WebhookKind, WebhookReceiver, WebhookVerifier};
/// use http::HeaderMap;
///
/// let receiver = WebhookReceiver::new(WebhookVerifier::new("x-enkash-token", "agreed-value")?)
///     .with_max_body_bytes(64 * 1024);
/// let mut headers = HeaderMap::new();
/// headers.insert("x-enkash-token", "agreed-value".parse()?);
/// headers.insert("content-type", "application/json; charset=utf-8".parse()?);
/// let event = receiver.receive(WebhookKind::UtilityBill, &headers, br#"{"companyBiller":{}}"#)?;
/// assert_eq!(event.kind(), WebhookKind::UtilityBill);
///
/// headers.remove("x-enkash-token");
/// let err = receiver.receive(WebhookKind::UtilityBill, &headers, b"not even read").unwrap_err();
/// assert_eq!(err.http_status(), 401);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone)]
pub struct WebhookReceiver {
    verifier: WebhookVerifier,
    max_body_bytes: usize,
    body_read_timeout: std::time::Duration,
}

impl WebhookReceiver {
    /// A receiver that checks `verifier`'s headers and accepts bodies up to
    /// [`DEFAULT_MAX_BODY_BYTES`] that arrive within [`DEFAULT_BODY_READ_TIMEOUT`].
    pub fn new(verifier: WebhookVerifier) -> Self {
        Self {
            verifier,
            max_body_bytes: DEFAULT_MAX_BODY_BYTES,
            body_read_timeout: DEFAULT_BODY_READ_TIMEOUT,
        }
    }

    /// Lets a body take up to `timeout` to arrive instead, where the receiver reads it from the
    /// network (the `axum` handler); a slower one is [`WebhookError::BodyTimeout`] (HTTP 408).
    #[must_use]
    pub fn with_body_read_timeout(mut self, timeout: std::time::Duration) -> Self {
        self.body_read_timeout = timeout;
        self
    }

    /// How long a body may take to arrive.
    pub fn body_read_timeout(&self) -> std::time::Duration {
        self.body_read_timeout
    }

    /// Accepts bodies up to `max_body_bytes` bytes instead.
    #[must_use]
    pub fn with_max_body_bytes(mut self, max_body_bytes: usize) -> Self {
        self.max_body_bytes = max_body_bytes;
        self
    }

    /// The header check.
    pub fn verifier(&self) -> &WebhookVerifier {
        &self.verifier
    }

    /// The largest body accepted, in bytes.
    pub fn max_body_bytes(&self) -> usize {
        self.max_body_bytes
    }

    /// Checks a request from the network and decodes its body as `kind`, in this order: the
    /// static headers ([`WebhookVerifier::verify`]), the content type, the body's size, the body.
    /// The body is not looked at unless the headers are right.
    pub fn receive(
        &self,
        kind: WebhookKind,
        headers: &HeaderMap,
        body: &[u8],
    ) -> Result<WebhookEvent, WebhookError> {
        self.check_headers(headers)?;
        self.check_length(body.len())?;
        WebhookEvent::parse(kind, body)
    }

    /// The checks [`receive`](Self::receive) makes before it reads the body: the static headers,
    /// then the content type (`application/json`, with or without `charset=utf-8`), then a
    /// `content-length` over the limit.
    pub fn check_headers(&self, headers: &HeaderMap) -> Result<(), WebhookError> {
        self.verifier.verify(headers)?;
        check_content_type(headers)?;
        let declared = headers
            .get(http::header::CONTENT_LENGTH)
            .and_then(|value| value.to_str().ok())
            .and_then(|value| value.trim().parse::<u64>().ok());
        match declared {
            Some(length) if length > self.max_body_bytes as u64 => {
                Err(WebhookError::BodyTooLarge {
                    limit: self.max_body_bytes,
                })
            }
            _ => Ok(()),
        }
    }

    /// [`WebhookError::BodyTooLarge`] when `length` bytes are over the limit.
    pub fn check_length(&self, length: usize) -> Result<(), WebhookError> {
        if length > self.max_body_bytes {
            Err(WebhookError::BodyTooLarge {
                limit: self.max_body_bytes,
            })
        } else {
            Ok(())
        }
    }
}

/// `application/json`, in any case, with no parameter but `charset=utf-8` (JSON is UTF-8).
fn check_content_type(headers: &HeaderMap) -> Result<(), WebhookError> {
    let Some(value) = headers.get(CONTENT_TYPE) else {
        return Err(WebhookError::UnsupportedContentType { content_type: None });
    };
    let Ok(text) = value.to_str() else {
        return Err(WebhookError::UnsupportedContentType { content_type: None });
    };
    let mut parts = text.split(';');
    let media_type = parts.next().unwrap_or_default().trim();
    let charset_ok = parts.all(|parameter| {
        let Some((name, value)) = parameter.split_once('=') else {
            // `application/json;` with nothing after the semicolon.
            return parameter.trim().is_empty();
        };
        let value = value.trim().trim_matches('"');
        name.trim().eq_ignore_ascii_case("charset")
            && (value.eq_ignore_ascii_case("utf-8") || value.eq_ignore_ascii_case("utf8"))
    });
    if media_type.eq_ignore_ascii_case("application/json") && charset_ok {
        Ok(())
    } else {
        Err(WebhookError::UnsupportedContentType {
            content_type: Some(media_type.chars().take(64).collect()),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with_content_type(value: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(CONTENT_TYPE, value.parse().unwrap());
        headers
    }

    #[test]
    fn json_with_or_without_charset_is_accepted() {
        for accepted in [
            "application/json",
            "Application/JSON",
            "application/json; charset=utf-8",
            "application/json;charset=\"UTF-8\"",
            "application/json;",
        ] {
            assert!(
                check_content_type(&with_content_type(accepted)).is_ok(),
                "{accepted}"
            );
        }
        for refused in [
            "text/plain",
            "application/json; charset=iso-8859-1",
            "application/jsonx",
            "application/x-www-form-urlencoded",
            "application/json; boundary=x",
        ] {
            let err = check_content_type(&with_content_type(refused)).unwrap_err();
            assert!(err.is_unsupported_content_type(), "{refused}");
        }
        assert_eq!(
            check_content_type(&HeaderMap::new()),
            Err(WebhookError::UnsupportedContentType { content_type: None })
        );
    }

    #[test]
    fn every_kind_has_a_distinct_name_and_schema() {
        let mut names: Vec<_> = WebhookKind::ALL.iter().map(|kind| kind.name()).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), 13);
        for kind in WebhookKind::ALL {
            let ack: serde_json::Value = serde_json::from_str(kind.acknowledgement()).unwrap();
            assert!(ack.is_object(), "{kind}");
        }
    }

    #[test]
    fn malformed_reasons_name_the_problem() {
        let reason = |body: &[u8]| match WebhookEvent::parse(WebhookKind::UtilityBill, body) {
            Err(WebhookError::MalformedBody { reason, .. }) => reason,
            other => panic!("{other:?}"),
        };
        assert_eq!(reason(b""), "empty body");
        assert!(reason(b"{\"companyBiller\":").starts_with("truncated JSON"));
        assert!(reason(b"<html>").starts_with("not valid JSON"));
        assert_eq!(reason(b"{}"), "missing field `companyBiller`");
        assert_eq!(
            reason(br#"{"companyBiller":{},"numberOfUnits":"50200012345678"}"#),
            "at numberOfUnits: invalid type: string, expected i64"
        );
    }
}
