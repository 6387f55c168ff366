//! [`Execute`]: send a generated request and get its payload or a typed [`Error`].

use std::time::Instant;

use progenitor_client::ResponseValue;
use tracing::Instrument as _;
use tracing::field::Empty;

use crate::context::{CallContext, CallFacts};
use crate::error::{
    ApiError, DecodeError, Error, OutcomeUnknown, ResponseCode, TokenError, TransportError,
    TransportErrorKind, UnknownCause, ValidationError, excerpt,
};
use crate::generated::builder;
use crate::operation::{CallKind, OperationSpec, spec_of};
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
pub(crate) trait Envelope: serde::de::DeserializeOwned {
    /// What `execute()` returns for it.
    type Output;
    fn response_code(&self) -> i64;
    fn response_message(&self) -> Option<&str>;
    /// The payload, or `None` when a success carries none although one is due.
    fn into_output(self) -> Option<Self::Output>;
}

macro_rules! envelopes {
    ($($envelope:ident => $payload:ty $(, $required:ident)?;)*) => {$(
        impl Envelope for types::$envelope {
            type Output = $payload;
            fn response_code(&self) -> i64 {
                self.response_code
            }
            fn response_message(&self) -> Option<&str> {
                self.response_message.as_deref()
            }
            fn into_output(self) -> Option<$payload> {
                envelopes!(@payload self $($required)?)
            }
        }
    )*};
    (@payload $envelope:ident) => { $envelope.payload };
    (@payload $envelope:ident always) => { Some($envelope.payload) };
}

envelopes! {
    BillFetchEnvelope => types::BillFetchResponse;
    UtilityPaymentV2Envelope => types::UtilityPaymentV2Response;
    UtilityPaymentEnvelope => types::UtilityPaymentResponse;
    BillAddEnvelope => types::BillAddResponse;
    AddBillV2Envelope => types::AddBillV2Response;
    // A search that matches nothing may leave the list out.
    UtilityBillSearchEnvelope => Vec<types::UtilityPaymentV2Response>, always;
    // Accounts Receivable: EnKash publishes no payload for most calls, so it may be absent.
    ArEnvelope => Option<crate::secret::JsonPayload>, always;
    BulkUploadEnvelope => Option<serde_json::Map<String, serde_json::Value>>, always;
    CustomerDeleteEnvelope => Option<String>, always;
    InvoiceEnvelope => types::Invoice;
    // Vendor Payment
    // Acknowledgements; the outcome arrives by webhook. Most payloads are not published.
    VendorAckEnvelope => Option<String>, always;
    VendorEnvelope => Option<serde_json::Value>, always;
    InvoiceStatusChangeEnvelope => Option<types::InvoiceStatusChangeResult>, always;
}

impl Envelope for types::ConfirmDebitEnvelope {
    type Output = ();
    fn response_code(&self) -> i64 {
        self.response_code
    }
    fn response_message(&self) -> Option<&str> {
        self.response_message.as_deref()
    }
    fn into_output(self) -> Option<()> {
        Some(())
    }
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

/// Bridges a generated builder to its `send()` and operation id.
pub(crate) trait SendOutput: Sized + Send {
    type Body: Envelope + Send;
    const OPERATION: &'static str;
    fn send(self) -> impl Future<Output = SendResult<Self::Body>> + Send;
}

macro_rules! operations {
    ($($builder:ident => $operation:literal: $body:ty => $output:ty),* $(,)?) => {$(
        impl SendOutput for builder::$builder<'_> {
            type Body = $body;
            const OPERATION: &'static str = $operation;
            fn send(self) -> impl Future<Output = SendResult<$body>> + Send {
                builder::$builder::send(self)
            }
        }

        impl Execute for builder::$builder<'_> {
            type Output = $output;
            fn execute(self) -> impl Future<Output = Result<Self::Output, Error>> + Send {
                run(self)
            }
        }
    )*};
}

operations! {
    OauthToken => "oauth_token": crate::auth::TokenResponse => crate::auth::TokenResponse,
    FetchOrAddBillV0 => "fetch_or_add_bill_v0": types::BillFetchEnvelope => types::BillFetchResponse,
    FetchCurrentBill => "fetch_current_bill": types::BillFetchEnvelope => types::BillFetchResponse,
    CreateBill => "create_bill": types::UtilityPaymentV2Envelope => types::UtilityPaymentV2Response,
    CreateBillWithoutFetchV0 => "create_bill_without_fetch_v0": types::BillAddEnvelope => types::BillAddResponse,
    CreateBillWithoutFetch => "create_bill_without_fetch": types::AddBillV2Envelope => types::AddBillV2Response,
    ConfirmDebit => "confirm_debit": types::ConfirmDebitEnvelope => (),
    GetUtilityBillStatusV0 => "get_utility_bill_status_v0": types::UtilityPaymentEnvelope => types::UtilityPaymentResponse,
    GetUtilityBillStatus => "get_utility_bill_status": types::UtilityPaymentV2Envelope => types::UtilityPaymentV2Response,
    GetUtilityBillByReferenceIdV0 => "get_utility_bill_by_reference_id_v0": types::UtilityPaymentEnvelope => types::UtilityPaymentResponse,
    GetUtilityBillByReferenceId => "get_utility_bill_by_reference_id": types::UtilityPaymentV2Envelope => types::UtilityPaymentV2Response,
    SearchUtilityBills => "search_utility_bills": types::UtilityBillSearchEnvelope => Vec<types::UtilityPaymentV2Response>,
    CreateCustomer => "create_customer": types::ArEnvelope => Option<crate::secret::JsonPayload>,
    SearchCustomer => "search_customer": types::ArEnvelope => Option<crate::secret::JsonPayload>,
    ActivateCustomer => "activate_customer": types::ArEnvelope => Option<crate::secret::JsonPayload>,
    CreateBulkCustomer => "create_bulk_customer": types::BulkUploadEnvelope => Option<serde_json::Map<String, serde_json::Value>>,
    BulkUpdateCustomers => "bulk_update_customers": types::BulkUploadEnvelope => Option<serde_json::Map<String, serde_json::Value>>,
    DeleteCustomerByCustomerId => "delete_customer_by_customer_id": types::CustomerDeleteEnvelope => Option<String>,
    UpdateCustomer => "update_customer": types::ArEnvelope => Option<crate::secret::JsonPayload>,
    CreateInvoice => "create_invoice": types::ArEnvelope => Option<crate::secret::JsonPayload>,
    GetInvoice => "get_invoice": types::InvoiceEnvelope => types::Invoice,
    UpdateInvoice => "update_invoice": types::InvoiceEnvelope => types::Invoice,
    SearchCollectionInvoices => "search_collection_invoices": types::ArEnvelope => Option<crate::secret::JsonPayload>,
    InvoiceBulkUpload => "invoice_bulk_upload": types::BulkUploadEnvelope => Option<serde_json::Map<String, serde_json::Value>>,
    DispatchInvoiceCollection => "dispatch_invoice_collection": types::ArEnvelope => Option<crate::secret::JsonPayload>,
    ConfirmInvoicePayment => "confirm_invoice_payment": types::ArEnvelope => Option<crate::secret::JsonPayload>,
    // Vendor Payment
    InitiateEntityCheck => "initiate_entity_check": types::VendorAckEnvelope => Option<String>,
    RegisterEntity => "register_entity": types::VendorEnvelope => Option<serde_json::Value>,
    RegisterB2bId => "register_b2b_id": types::VendorEnvelope => Option<serde_json::Value>,
    ConfirmInvoice => "confirm_invoice": types::VendorAckEnvelope => Option<String>,
    ChangeInvoiceStatus => "change_invoice_status": types::InvoiceStatusChangeEnvelope => Option<types::InvoiceStatusChangeResult>,
    PayInvoice => "pay_invoice": types::VendorEnvelope => Option<serde_json::Value>,
    SendPurchaseOrder => "send_purchase_order": types::VendorEnvelope => Option<serde_json::Value>,
    ConfirmPurchaseOrder => "confirm_purchase_order": types::VendorEnvelope => Option<serde_json::Value>,
    ChangePurchaseOrderStatus => "change_purchase_order_status": types::VendorEnvelope => Option<serde_json::Value>,
    SendCdNote => "send_cd_note": types::VendorEnvelope => Option<serde_json::Value>,
    ConfirmCdNote => "confirm_cd_note": types::VendorEnvelope => Option<serde_json::Value>,
    RequestFinancing => "request_financing": types::VendorEnvelope => Option<serde_json::Value>,
}

async fn run<B: SendOutput>(builder: B) -> Result<<B::Body as Envelope>::Output, Error> {
    let spec = spec_of(B::OPERATION);
    let span = call_span(spec.id);
    let started = Instant::now();
    // Boxed: the generated future and its answer take kilobytes. Behind a pointer they are not
    // copied at every poll through the task-local and tracing layers (see BENCHMARKS.md).
    let send = Box::pin(async move { boxed(builder.send().await) });
    let (result, mut facts) = CallContext::scope(send).instrument(span.clone()).await;
    let client = facts.client.take();
    let output = interpret(&spec, result, facts)
        .map_err(|err| crate::redact::scrub_for(err, client.as_ref()));
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

type SendResult<T> = Result<ResponseValue<T>, progenitor_client::Error<types::ErrorEnvelope>>;

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
            let (reason, masked) = crate::redact::unreadable::<T>(&bytes, err);
            Err(failure.undecodable(status, &reason, &masked))
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

    /// Reads an answer with this status and body the way a status lookup does, and returns the
    /// error message it gives (empty on success).
    pub fn read_answer(status: u16, body: &[u8]) -> String {
        let spec = spec_of("get_utility_bill_status");
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
