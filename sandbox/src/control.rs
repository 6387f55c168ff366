//! The control endpoint under `/_sandbox/`: JSON over HTTP so tests in any language can script
//! faults, read the calls the sandbox received, reset it and move its clock. No token needed;
//! the paths are not part of EnKash's API. Documented in the crate's README.

use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{get, post};
use serde::Deserialize;
use serde_json::{Value, json};

use super::App;
use super::faults::{FaultSpec, Operation};
use super::vendor::VendorInvoice;
use super::wire::Reply;

/// The routes of the control endpoint.
pub(crate) fn router() -> Router<App> {
    Router::new()
        .route("/_sandbox/requests", get(requests).delete(clear_requests))
        .route(
            "/_sandbox/faults",
            get(faults).post(add_fault).delete(clear_faults),
        )
        .route("/_sandbox/reset", post(reset))
        .route("/_sandbox/clock", get(clock))
        .route("/_sandbox/clock/advance", post(advance_clock))
        .route("/_sandbox/webhooks", get(webhooks))
        .route("/_sandbox/stats", get(stats))
        .route("/_sandbox/vendor", get(vendor))
        .route("/_sandbox/vendor/invoices", post(add_vendor_invoice))
}

fn ok(body: Value) -> Reply {
    Reply::raw(StatusCode::OK, body)
}

fn bad_request(message: impl std::fmt::Display) -> Reply {
    Reply::raw(
        StatusCode::BAD_REQUEST,
        json!({"error": message.to_string()}),
    )
}

/// Reads a JSON body; 400 `{"error": ...}` when it is not the expected shape.
fn parse<T: serde::de::DeserializeOwned>(body: &Bytes) -> Result<T, Reply> {
    serde_json::from_slice(body).map_err(bad_request)
}

/// `GET /_sandbox/requests`: `{"requests": [...]}`, oldest first.
async fn requests(State(app): State<App>) -> Reply {
    ok(json!({"requests": app.lock().journal}))
}

/// `DELETE /_sandbox/requests`: empties the journal.
async fn clear_requests(State(app): State<App>) -> Reply {
    app.lock().journal.clear();
    ok(json!({}))
}

/// `GET /_sandbox/faults`: the faults still waiting.
async fn faults(State(app): State<App>) -> Reply {
    let pending: Vec<Value> = app
        .lock()
        .faults
        .pending()
        .into_iter()
        .map(|(operation, kind, times)| json!({"operation": operation, "kind": kind, "times": times}))
        .collect();
    ok(json!({"faults": pending}))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AddFault {
    operation: Operation,
    fault: FaultSpec,
    #[serde(default = "once")]
    times: u32,
}

fn once() -> u32 {
    1
}

/// `POST /_sandbox/faults` `{"operation": "pay_invoice", "fault": {"kind": "apply_then_drop"},
/// "times": 1}`: scripts a fault for the next `times` calls of the operation.
async fn add_fault(State(app): State<App>, body: Bytes) -> Reply {
    match parse::<AddFault>(&body) {
        Ok(add) => {
            app.lock()
                .faults
                .push(add.operation, add.fault.into(), add.times);
            ok(json!({}))
        }
        Err(reply) => reply,
    }
}

/// `DELETE /_sandbox/faults`: forgets every scripted fault.
async fn clear_faults(State(app): State<App>) -> Reply {
    app.lock().faults.clear();
    ok(json!({}))
}

/// `POST /_sandbox/reset`: as [`crate::SandboxHandle::reset`].
async fn reset(State(app): State<App>) -> Reply {
    app.reset();
    ok(json!({}))
}

fn clock_body(app: &App) -> Reply {
    let offset = app.clock.offset();
    ok(json!({
        "now": app.clock.now_utc().to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
        "offsetMs": u64::try_from(offset.as_millis()).unwrap_or(u64::MAX),
    }))
}

/// `GET /_sandbox/clock`: `{"now": "2026-12-02T10:00:00.000Z", "offsetMs": 0}`.
async fn clock(State(app): State<App>) -> Reply {
    clock_body(&app)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Advance {
    #[serde(default)]
    seconds: u64,
    #[serde(default)]
    ms: u64,
}

/// `POST /_sandbox/clock/advance` `{"seconds": 90}` (or `{"ms": 1500}`): moves the clock
/// forward; answers as `GET /_sandbox/clock`.
async fn advance_clock(State(app): State<App>, body: Bytes) -> Reply {
    match parse::<Advance>(&body) {
        Ok(advance) => {
            let by = Duration::from_secs(advance.seconds)
                .saturating_add(Duration::from_millis(advance.ms));
            super::advance_clock(&app, by);
            clock_body(&app)
        }
        Err(reply) => reply,
    }
}

/// `GET /_sandbox/webhooks`: `{"billPayment": [...], "vendorPayment": [...]}`.
async fn webhooks(State(app): State<App>) -> Reply {
    let state = app.lock();
    ok(json!({"billPayment": state.deliveries, "vendorPayment": state.vendor.webhooks}))
}

/// `GET /_sandbox/stats`: the counters of [`crate::SandboxStats`].
async fn stats(State(app): State<App>) -> Reply {
    ok(serde_json::to_value(app.stats()).unwrap_or(Value::Null))
}

/// `GET /_sandbox/vendor`: the Vendor Payment records.
async fn vendor(State(app): State<App>) -> Reply {
    ok(app.lock().vendor.snapshot())
}

/// `POST /_sandbox/vendor/invoices` `{"objectId", "supplierInvoiceNumber", "buyerB2BId",
/// "supplierB2BId", "totalAmount"}`: adds an invoice (version 1, `CREATED`, all of it due).
async fn add_vendor_invoice(State(app): State<App>, body: Bytes) -> Reply {
    match parse::<VendorInvoice>(&body) {
        Ok(invoice) => {
            app.lock().vendor.add_invoice(invoice);
            ok(json!({}))
        }
        Err(reply) => reply,
    }
}
