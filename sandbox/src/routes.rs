//! The HTTP layer: routes, bearer authentication, scripted faults and fallbacks.

use std::convert::Infallible;

use axum::Router;
use axum::body::Bytes;
use axum::extract::rejection::PathRejection;
use axum::extract::{ConnectInfo, FromRequest, Path, Request, State};
use axum::http::header::{self, AUTHORIZATION, HeaderMap, HeaderValue};
use axum::http::{Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, patch, post, put};

use super::faults::{DropMode, Fault, FaultBody, Operation};
use super::listener::Connection;
use super::ops::{self, Answer, Lookup};
use super::receivables::bulk::{self, Upload};
use super::receivables::{customers, invoices};
use super::state::ReceivedRequest;
use super::wire::{QueryParams, Reply, with_error_response};
use super::{App, control, vendor};

/// Largest request body read; a larger one is answered 413.
const MAX_BODY: usize = 1024 * 1024;

/// The router serving every operation of the spec.
pub(crate) fn router(app: App) -> Router {
    Router::new()
        .route("/oauth/token", post(oauth_token))
        .route("/api/v0/biller/fetchOrAddBill", post(fetch_or_add_bill_v0))
        .route("/api/v2/biller/fetchOrAddBill", post(fetch_current_bill))
        .route("/api/v2/utilityPayment", post(create_bill))
        .route("/api/v0/biller/addBill", post(create_bill_without_fetch_v0))
        .route("/api/v2/biller/addBill", post(create_bill_without_fetch))
        // A concrete path wins over a templated one (OpenAPI path matching): GET here is 405.
        .route("/api/v0/utilityPayment/status", put(confirm_debit))
        .route(
            "/api/v0/utilityPayment/{id}",
            bill_lookup(
                Operation::GetUtilityBillStatusV0,
                Lookup::Id,
                FIRST_GENERATION,
            ),
        )
        .route(
            "/api/v2/utilityPayment/{id}",
            bill_lookup(
                Operation::GetUtilityBillStatus,
                Lookup::Id,
                !FIRST_GENERATION,
            ),
        )
        .route(
            "/api/v0/utilityPayment/referenceId/{reference}",
            bill_lookup(
                Operation::GetUtilityBillByReferenceIdV0,
                Lookup::Reference,
                FIRST_GENERATION,
            ),
        )
        .route(
            "/api/v2/utilityPayment/referenceId/{reference}",
            bill_lookup(
                Operation::GetUtilityBillByReferenceId,
                Lookup::Reference,
                !FIRST_GENERATION,
            ),
        )
        .route("/api/v1/utilityPayment/search", post(search_utility_bills))
        // Accounts Receivable. Concrete paths win over templated ones, as above.
        .route("/api/v0/customer", post(create_customer))
        .route("/api/v0/customer/search", post(search_customer))
        .route(
            "/api/v0/customer/activate/{customerId}",
            put(activate_customer),
        )
        .route("/api/v0/customer/bulk", post(create_bulk_customer))
        .route("/api/v0/customer/bulk/update", post(bulk_update_customers))
        .route(
            "/api/v0/customer/{customerId}",
            patch(update_customer).delete(delete_customer_by_customer_id),
        )
        .route("/api/v0/invoice", post(create_invoice))
        .route("/api/v0/invoice/search", post(search_collection_invoices))
        .route("/api/v0/invoice/bulk/create", post(invoice_bulk_upload))
        .route(
            "/api/v0/invoice/bulk/dispatch",
            post(dispatch_invoice_collection),
        )
        .route(
            "/api/v0/invoice/payment-confirmation",
            post(confirm_invoice_payment),
        )
        .route(
            "/api/v0/invoice/{invoiceId}",
            get(get_invoice).patch(update_invoice),
        )
        // Vendor Payment: every call is a POST of JSON, served the same way.
        .route(
            "/api/v0/business-onboarding/reg-check-entity",
            vendor_route(
                Operation::InitiateEntityCheck,
                vendor::initiate_entity_check,
            ),
        )
        .route(
            "/api/v0/business-onboarding/reg-entity",
            vendor_route(Operation::RegisterEntity, vendor::register_entity),
        )
        .route(
            "/api/v0/business-onboarding/reg-id",
            vendor_route(Operation::RegisterB2bId, vendor::register_b2b_id),
        )
        .route(
            "/api/v0/invoice/req-confirm-invoice",
            vendor_route(Operation::ConfirmInvoice, vendor::confirm_invoice),
        )
        .route(
            "/api/v0/invoice/req-status-change-invoice",
            vendor_route(
                Operation::ChangeInvoiceStatus,
                vendor::change_invoice_status,
            ),
        )
        .route(
            "/api/v0/payment/req-pay",
            vendor_route(Operation::PayInvoice, vendor::pay_invoice),
        )
        .route(
            "/api/v0/purchase-order/req-send",
            vendor_route(Operation::SendPurchaseOrder, vendor::send_purchase_order),
        )
        .route(
            "/api/v0/purchase-order/req-confirm",
            vendor_route(
                Operation::ConfirmPurchaseOrder,
                vendor::confirm_purchase_order,
            ),
        )
        .route(
            "/api/v0/purchase-order/req-status-change",
            vendor_route(
                Operation::ChangePurchaseOrderStatus,
                vendor::change_purchase_order_status,
            ),
        )
        .route(
            "/api/v0/cd-note/req-send",
            vendor_route(Operation::SendCdNote, vendor::send_cd_note),
        )
        .route(
            "/api/v0/cd-note/req-confirm",
            vendor_route(Operation::ConfirmCdNote, vendor::confirm_cd_note),
        )
        .route(
            "/api/v0/finance/req-financing",
            vendor_route(Operation::RequestFinancing, vendor::request_financing),
        )
        .merge(control::router())
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .with_state(app)
}

/// A Vendor Payment operation: `POST` of a JSON body, answered by `handle`.
fn vendor_route(
    operation: Operation,
    handle: fn(&App, &[u8]) -> Answer,
) -> axum::routing::MethodRouter<App> {
    post(move |State(app): State<App>, call: Call| async move {
        serve(app, operation, call, move |app, _, body| handle(app, body)).await
    })
}

/// One incoming call: its connection, headers and body.
pub(crate) struct Call {
    connection: Option<Connection>,
    method: Method,
    path: String,
    headers: HeaderMap,
    query: Option<String>,
    body: Result<Bytes, Reply>,
}

impl FromRequest<App> for Call {
    type Rejection = Infallible;

    async fn from_request(request: Request, _app: &App) -> Result<Self, Infallible> {
        let (parts, body) = request.into_parts();
        let connection = parts
            .extensions
            .get::<ConnectInfo<Connection>>()
            .map(|info| info.0.clone());
        let body = axum::body::to_bytes(body, MAX_BODY).await.map_err(|_| {
            Reply::failed(
                StatusCode::PAYLOAD_TOO_LARGE,
                "The request body is too large",
            )
        });
        Ok(Self {
            connection,
            method: parts.method,
            path: parts.uri.path().to_owned(),
            headers: parts.headers,
            query: parts.uri.query().map(str::to_owned),
            body,
        })
    }
}

/// Runs one call: counts it, applies its scripted fault, checks the bearer token (except for
/// the token call itself), then lets `operation` answer. Every call is written to the journal.
async fn serve(
    app: App,
    operation: Operation,
    call: Call,
    handle: impl FnOnce(&App, &Call, &[u8]) -> Answer + Send + 'static,
) -> Response {
    // Calls that were in flight and whose time has come land before this one is served.
    app.late.run_due(&app);
    let (fault, sequence) = {
        let mut state = app.lock();
        *state.stats.calls.entry(operation).or_default() += 1;
        if operation == Operation::OauthToken {
            state.stats.token_requests += 1;
        }
        let fault = state.faults.take(operation);
        let sequence = state.journal.len() as u64 + 1;
        let entry = journal_entry(&app, operation, &call, sequence, fault.as_ref());
        state.journal.push(entry);
        (fault, sequence)
    };
    let answered = |status: Option<StatusCode>| {
        let mut state = app.lock();
        let index = usize::try_from(sequence - 1).unwrap_or(usize::MAX);
        if let Some(entry) = state
            .journal
            .get_mut(index)
            .filter(|entry| entry.sequence == sequence)
        {
            entry.status = status.map(|status| status.as_u16());
        }
    };
    match &fault {
        Some(Fault::Delay(delay)) => tokio::time::sleep(*delay).await,
        Some(Fault::Status { status, body }) => {
            let response = fault_response(*status, body);
            answered(Some(response.status()));
            return response;
        }
        Some(Fault::Drop(DropMode::DropBeforeApply)) => {
            answered(None);
            return cut(&call);
        }
        Some(Fault::ApplyLate(after)) => {
            answered(None);
            let response = cut(&call);
            // Only a call EnKash accepted on arrival can land later.
            let accepted =
                operation == Operation::OauthToken || has_valid_token(&app, &call.headers);
            if accepted {
                let due = app.clock.now() + *after;
                app.late.push(
                    due,
                    Box::new(move |app: &App| {
                        if let Ok(body) = &call.body {
                            let _ = handle(app, &call, body);
                        }
                    }),
                );
            }
            return response;
        }
        _ => {}
    }
    let answer = match &call.body {
        Err(reply) => Err(reply.clone()),
        Ok(_) if operation != Operation::OauthToken && !has_valid_token(&app, &call.headers) => {
            Err(Reply::unauthorized(
                "Bearer",
                "Full authentication is required to access this resource",
            ))
        }
        Ok(body) => handle(&app, &call, body),
    };
    let reply = answer.unwrap_or_else(|reply| reply);
    if reply.status == StatusCode::UNAUTHORIZED {
        app.lock().stats.unauthorized += 1;
    }
    match fault {
        Some(Fault::Drop(DropMode::ApplyThenDrop)) => {
            answered(None);
            cut(&call)
        }
        Some(Fault::MalformedBody) => {
            answered(Some(StatusCode::OK));
            malformed(&reply)
        }
        _ => {
            answered(Some(reply.status));
            reply.into_response()
        }
    }
}

/// The journal's record of a call as it arrives (its status is filled in when answered).
fn journal_entry(
    app: &App,
    operation: Operation,
    call: &Call,
    sequence: u64,
    fault: Option<&Fault>,
) -> ReceivedRequest {
    let parts = match &call.body {
        Ok(bytes) => bulk::form_parts(&call.headers, bytes).unwrap_or_default(),
        Err(_) => Vec::new(),
    };
    let body = match &call.body {
        // The token form carries the client secret and the password.
        _ if operation == Operation::OauthToken => serde_json::Value::Null,
        // A file is recorded by its parts.
        Ok(_) if !parts.is_empty() => serde_json::Value::Null,
        Ok(bytes) if bytes.is_empty() => serde_json::Value::Null,
        Ok(bytes) => serde_json::from_slice(bytes).unwrap_or_else(|_| {
            serde_json::Value::String(String::from_utf8_lossy(bytes).into_owned())
        }),
        Err(_) => serde_json::Value::String("(body over the size limit)".to_owned()),
    };
    ReceivedRequest {
        sequence,
        operation,
        method: call.method.to_string(),
        path: call.path.clone(),
        query: call.query.clone(),
        body,
        parts,
        status: None,
        fault: fault.map(Fault::kind),
        received: app.clock.now_utc(),
    }
}

fn has_valid_token(app: &App, headers: &HeaderMap) -> bool {
    headers
        .get(AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.split_once(' '))
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
        .is_some_and(|(_, token)| {
            let now = app.clock.now();
            app.lock().token_is_valid(token.trim(), now)
        })
}

/// Cuts the call's connection: the returned response is never written.
fn cut(call: &Call) -> Response {
    if let Some(connection) = &call.connection {
        connection.cut();
    }
    StatusCode::SERVICE_UNAVAILABLE.into_response()
}

fn fault_response(status: u16, body: &FaultBody) -> Response {
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_GATEWAY);
    let (content_type, bytes) = match body {
        FaultBody::Json(value) => (
            "application/json",
            serde_json::to_vec(value).unwrap_or_default(),
        ),
        FaultBody::Html(page) => ("text/html", page.clone().into_bytes()),
    };
    (
        status,
        [(header::CONTENT_TYPE, HeaderValue::from_static(content_type))],
        bytes,
    )
        .into_response()
}

/// The reply's body cut in half: HTTP 200, `application/json`, not parsable.
fn malformed(reply: &Reply) -> Response {
    let mut body = reply.body_bytes();
    body.truncate(body.len() / 2);
    let reply = Reply::raw(StatusCode::OK, serde_json::Value::Null);
    let mut response = reply.into_response();
    *response.body_mut() = body.into();
    response
}

async fn oauth_token(State(app): State<App>, call: Call) -> Response {
    serve(app, Operation::OauthToken, call, |app, call, body| {
        ops::oauth_token(app, &call.headers, body)
    })
    .await
}

async fn fetch_or_add_bill_v0(State(app): State<App>, call: Call) -> Response {
    serve(app, Operation::FetchOrAddBillV0, call, |app, _, body| {
        ops::fetch_or_add_bill_v0(app, body)
    })
    .await
}

async fn fetch_current_bill(State(app): State<App>, call: Call) -> Response {
    serve(app, Operation::FetchCurrentBill, call, |app, _, body| {
        ops::fetch_current_bill(app, body)
    })
    .await
}

async fn create_bill(State(app): State<App>, call: Call) -> Response {
    serve(app, Operation::CreateBill, call, |app, _, body| {
        ops::create_bill(app, body)
    })
    .await
}

async fn create_bill_without_fetch_v0(State(app): State<App>, call: Call) -> Response {
    serve(
        app,
        Operation::CreateBillWithoutFetchV0,
        call,
        |app, _, body| ops::create_bill_without_fetch(app, body, true),
    )
    .await
}

async fn create_bill_without_fetch(State(app): State<App>, call: Call) -> Response {
    serve(
        app,
        Operation::CreateBillWithoutFetch,
        call,
        |app, _, body| ops::create_bill_without_fetch(app, body, false),
    )
    .await
}

async fn confirm_debit(State(app): State<App>, call: Call) -> Response {
    serve(app, Operation::ConfirmDebit, call, |app, _, body| {
        ops::confirm_debit(app, body)
    })
    .await
}

/// Answers with the first-generation (v0) bill record instead of the current one.
const FIRST_GENERATION: bool = true;

/// `GET` of one bill by the key in its path, in the record shape of its generation.
fn bill_lookup(
    operation: Operation,
    key: fn(String) -> Lookup,
    first_generation: bool,
) -> axum::routing::MethodRouter<App> {
    get(
        move |State(app): State<App>, path: Result<Path<String>, PathRejection>, call: Call| async move {
            let key = path_key(path, key);
            serve(app, operation, call, move |app, _, _| {
                ops::lookup(app, &key?, first_generation)
            })
            .await
        },
    )
}

/// The lookup key from the path; an unreadable path parameter is answered 400.
fn path_key(
    path: Result<Path<String>, PathRejection>,
    key: fn(String) -> Lookup,
) -> Result<Lookup, Reply> {
    path.map(|Path(value)| key(value))
        .map_err(|rejection| Reply::invalid(rejection.body_text()))
}

async fn search_utility_bills(State(app): State<App>, call: Call) -> Response {
    serve(app, Operation::SearchUtilityBills, call, |app, _, body| {
        ops::search(app, body)
    })
    .await
}

/// Runs an Accounts Receivable call: like [`serve`], with the query string read first and
/// `errorResponse` added to the operation's error answers.
async fn serve_ar(
    app: App,
    operation: Operation,
    call: Call,
    handle: impl FnOnce(&App, &Call, &QueryParams, &[u8]) -> Answer + Send + 'static,
) -> Response {
    serve(app, operation, call, |app, call, body| {
        let answer = QueryParams::parse(call.query.as_deref())
            .and_then(|query| handle(app, call, &query, body));
        match answer {
            Ok(reply) if reply.status.is_success() => Ok(reply),
            Ok(reply) | Err(reply) => Err(with_error_response(reply)),
        }
    })
    .await
}

/// The id of a path; an unreadable path parameter is answered 400.
fn path_id(path: Result<Path<String>, PathRejection>) -> Result<String, Reply> {
    path.map(|Path(value)| value)
        .map_err(|rejection| Reply::invalid(rejection.body_text()))
}

/// A customer id from the path, checked against the `CustomerIdentifier` pattern (400).
fn customer_path(path: Result<Path<String>, PathRejection>) -> Result<String, Reply> {
    customers::path_id(&path_id(path)?)
}

async fn create_customer(State(app): State<App>, call: Call) -> Response {
    serve_ar(app, Operation::CreateCustomer, call, |app, _, _, body| {
        customers::create(app, body)
    })
    .await
}

async fn search_customer(State(app): State<App>, call: Call) -> Response {
    serve_ar(
        app,
        Operation::SearchCustomer,
        call,
        |app, _, query, body| customers::search(app, query, body),
    )
    .await
}

async fn activate_customer(
    State(app): State<App>,
    path: Result<Path<String>, PathRejection>,
    call: Call,
) -> Response {
    let id = customer_path(path);
    serve_ar(
        app,
        Operation::ActivateCustomer,
        call,
        move |app, _, query, _| customers::activate(app, &id?, query),
    )
    .await
}

async fn update_customer(
    State(app): State<App>,
    path: Result<Path<String>, PathRejection>,
    call: Call,
) -> Response {
    let id = customer_path(path);
    serve_ar(
        app,
        Operation::UpdateCustomer,
        call,
        move |app, _, query, body| customers::update(app, &id?, query, body),
    )
    .await
}

async fn delete_customer_by_customer_id(
    State(app): State<App>,
    path: Result<Path<String>, PathRejection>,
    call: Call,
) -> Response {
    let id = customer_path(path);
    serve_ar(
        app,
        Operation::DeleteCustomerByCustomerId,
        call,
        move |app, _, query, _| customers::delete(app, &id?, query),
    )
    .await
}

async fn create_bulk_customer(State(app): State<App>, call: Call) -> Response {
    serve_ar(
        app,
        Operation::CreateBulkCustomer,
        call,
        |_, call, query, body| bulk::upload(Upload::CreateCustomers, query, &call.headers, body),
    )
    .await
}

async fn bulk_update_customers(State(app): State<App>, call: Call) -> Response {
    serve_ar(
        app,
        Operation::BulkUpdateCustomers,
        call,
        |_, call, query, body| bulk::upload(Upload::UpdateCustomers, query, &call.headers, body),
    )
    .await
}

async fn invoice_bulk_upload(State(app): State<App>, call: Call) -> Response {
    serve_ar(
        app,
        Operation::InvoiceBulkUpload,
        call,
        |_, call, query, body| bulk::upload(Upload::CreateInvoices, query, &call.headers, body),
    )
    .await
}

async fn create_invoice(State(app): State<App>, call: Call) -> Response {
    serve_ar(app, Operation::CreateInvoice, call, |app, _, _, body| {
        invoices::create(app, body)
    })
    .await
}

async fn get_invoice(
    State(app): State<App>,
    path: Result<Path<String>, PathRejection>,
    call: Call,
) -> Response {
    let id = path_id(path);
    serve_ar(app, Operation::GetInvoice, call, move |app, _, query, _| {
        invoices::get(app, &id?, query)
    })
    .await
}

async fn update_invoice(
    State(app): State<App>,
    path: Result<Path<String>, PathRejection>,
    call: Call,
) -> Response {
    let id = path_id(path);
    serve_ar(
        app,
        Operation::UpdateInvoice,
        call,
        move |app, _, query, body| invoices::update(app, &id?, query, body),
    )
    .await
}

async fn search_collection_invoices(State(app): State<App>, call: Call) -> Response {
    serve_ar(
        app,
        Operation::SearchCollectionInvoices,
        call,
        |app, _, query, body| invoices::search(app, query, body),
    )
    .await
}

async fn dispatch_invoice_collection(State(app): State<App>, call: Call) -> Response {
    serve_ar(
        app,
        Operation::DispatchInvoiceCollection,
        call,
        |app, _, _, body| invoices::dispatch(app, body),
    )
    .await
}

async fn confirm_invoice_payment(State(app): State<App>, call: Call) -> Response {
    serve_ar(
        app,
        Operation::ConfirmInvoicePayment,
        call,
        |app, _, _, body| invoices::confirm_payment(app, body),
    )
    .await
}

async fn not_found(method: Method, uri: Uri) -> Response {
    Reply::failed(
        StatusCode::NOT_FOUND,
        format!("No operation at {method} {}", uri.path()),
    )
    .into_response()
}

async fn method_not_allowed(method: Method, uri: Uri) -> Response {
    Reply::failed(
        StatusCode::METHOD_NOT_ALLOWED,
        format!("{method} is not allowed on {}", uri.path()),
    )
    .into_response()
}
