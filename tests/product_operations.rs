//! Every Accounts Receivable and Vendor Payment operation, called through each builder's `send()` against a
//! server that answers with the spec's own 200 example: the request carries the spec's request
//! example (and parameter examples) unchanged, and `send()` returns the example's payload.
//! Then the retry rules per call kind: a 503 is never resent for a Write or MoneyMoving call, and
//! is retried for a Lookup.

mod common;

use std::num::NonZeroU32;

use common::server::{Action, Seen, Server};
use common::{SpecOperation, find_operation};
use enkash::error::UnknownCause;
use enkash::operation::{CallKind, call_kinds};
use enkash::{Client, Error, types};
use futures::future::LocalBoxFuture;
use serde::de::DeserializeOwned;
use serde_json::Value;

const ACCOUNTS_RECEIVABLE: &str = "Accounts Receivable";
const VENDOR_PAYMENT: &str = "Vendor Payment";

/// What a test knows of one operation: its spec examples.
struct Example {
    target: String,
    request: Option<Value>,
    response: Value,
    parameters: Vec<(String, Value)>,
}

impl Example {
    fn of(operation: &SpecOperation<'_>) -> Example {
        let parameters = operation
            .parameters()
            .into_iter()
            .map(|p| {
                let name = p["name"].as_str().expect("parameter name").to_owned();
                let value = operation.parameter_example(&name);
                (name, value)
            })
            .collect();
        Example {
            target: operation.example_target(),
            request: operation.request_example(),
            response: operation.response_example("200"),
            parameters,
        }
    }

    /// The request example decoded into the body type of the call.
    fn body<T: DeserializeOwned>(&self) -> T {
        let example = self
            .request
            .clone()
            .expect("the operation has a request example");
        serde_json::from_value(example).unwrap_or_else(|err| {
            panic!(
                "{}: the request example does not decode into {}: {err}",
                self.target,
                std::any::type_name::<T>()
            )
        })
    }

    /// The example of parameter `name`, decoded into the builder's argument type.
    fn param<T: DeserializeOwned>(&self, name: &str) -> T {
        let (_, value) = self
            .parameters
            .iter()
            .find(|(n, _)| n == name)
            .unwrap_or_else(|| panic!("{}: no parameter {name}", self.target));
        serde_json::from_value(value.clone())
            .unwrap_or_else(|err| panic!("{}: parameter {name}: {err}", self.target))
    }
}

type Run = for<'a> fn(&'a Client, &'a Example) -> LocalBoxFuture<'a, Result<Value, Error>>;

/// One operation as the client calls it.
struct Call {
    /// The client method (the generated operation id).
    operation: &'static str,
    method: &'static str,
    path: &'static str,
    /// Builds the request from the example, executes it, and encodes the payload as JSON.
    run: Run,
}

/// `"POST" "/path" => client_method(ex).builder_method(arg)...;` per operation.
macro_rules! calls {
    ($($method:literal $path:literal => $operation:ident($ex:ident) $(.$setter:ident($arg:expr))*;)*) => {
        vec![$(Call {
            operation: stringify!($operation),
            method: $method,
            path: $path,
            run: {
                fn run<'a>(
                    client: &'a Client,
                    $ex: &'a Example,
                ) -> LocalBoxFuture<'a, Result<Value, Error>> {
                    Box::pin(async move {
                        let payload = client.$operation()$(.$setter($arg))*.send().await?;
                        Ok(serde_json::to_value(payload).expect("the payload encodes"))
                    })
                }
                run
            },
        }),*]
    };
}

fn accounts_receivable() -> Vec<Call> {
    calls![
        "POST" "/api/v0/customer" => create_customer(ex)
            .body(ex.body::<types::CustomerCreateRequest>());
        "POST" "/api/v0/customer/search" => search_customer(ex)
            .direction(ex.param::<types::SortDirection>("direction"))
            .limit(ex.param::<NonZeroU32>("limit"))
            .offset(ex.param::<i32>("offset"))
            .order_by(ex.param::<String>("orderBy"))
            .body(ex.body::<types::CustomerSearchRequest>());
        "PUT" "/api/v0/customer/activate/{customerId}" => activate_customer(ex)
            .customer_id(ex.param::<String>("customerId"))
            .parent_company_id(ex.param::<String>("parentCompanyId"));
        "POST" "/api/v0/customer/bulk" => create_bulk_customer(ex)
            .company_id(ex.param::<String>("companyId"));
        "POST" "/api/v0/customer/bulk/update" => bulk_update_customers(ex)
            .parent_company_id(ex.param::<String>("parentCompanyId"));
        "PATCH" "/api/v0/customer/{customerId}" => update_customer(ex)
            .customer_id(ex.param::<String>("customerId"))
            .parent_company_id(ex.param::<String>("parentCompanyId"))
            .body(ex.body::<enkash::patch::CustomerUpdate>());
        "DELETE" "/api/v0/customer/{customerId}" => delete_customer_by_customer_id(ex)
            .customer_id(ex.param::<String>("customerId"))
            .parent_company_id(ex.param::<String>("parentCompanyId"));
        "POST" "/api/v0/invoice" => create_invoice(ex)
            .body(ex.body::<types::InvoiceCreateRequest>());
        "GET" "/api/v0/invoice/{invoiceId}" => get_invoice(ex)
            .invoice_id(ex.param::<String>("invoiceId"))
            .seller_id(ex.param::<String>("sellerId"));
        "PATCH" "/api/v0/invoice/{invoiceId}" => update_invoice(ex)
            .invoice_id(ex.param::<String>("invoiceId"))
            .seller_id(ex.param::<String>("sellerId"))
            .body(ex.body::<enkash::patch::InvoiceUpdate>());
        "POST" "/api/v0/invoice/search" => search_collection_invoices(ex)
            .direction(ex.param::<types::SortDirection>("direction"))
            .limit(ex.param::<NonZeroU32>("limit"))
            .offset(ex.param::<i32>("offset"))
            .order_by(ex.param::<String>("orderBy"))
            .body(ex.body::<types::InvoiceSearchRequest>());
        "POST" "/api/v0/invoice/bulk/create" => invoice_bulk_upload(ex)
            .seller_id(ex.param::<String>("sellerId"));
        "POST" "/api/v0/invoice/bulk/dispatch" => dispatch_invoice_collection(ex)
            .body(ex.body::<types::InvoiceDispatchRequest>());
        "POST" "/api/v0/invoice/payment-confirmation" => confirm_invoice_payment(ex)
            .body(ex.body::<types::PaymentConfirmationRequest>());
    ]
}

fn vendor_payment() -> Vec<Call> {
    calls![
        "POST" "/api/v0/business-onboarding/reg-check-entity" => initiate_entity_check(ex)
            .body(ex.body::<types::InitiateEntityCheckRequest>());
        "POST" "/api/v0/business-onboarding/reg-entity" => register_entity(ex)
            .body(ex.body::<types::RegisterEntityRequest>());
        "POST" "/api/v0/business-onboarding/reg-id" => register_b2b_id(ex)
            .body(ex.body::<types::RegisterB2bIdRequest>());
        "POST" "/api/v0/invoice/req-confirm-invoice" => confirm_invoice(ex)
            .body(ex.body::<types::ConfirmInvoiceRequest>());
        "POST" "/api/v0/invoice/req-status-change-invoice" => change_invoice_status(ex)
            .body(ex.body::<types::ChangeInvoiceStatusRequest>());
        "POST" "/api/v0/payment/req-pay" => pay_invoice(ex)
            .body(ex.body::<types::PayInvoiceRequest>());
        "POST" "/api/v0/purchase-order/req-send" => send_purchase_order(ex)
            .body(ex.body::<types::SendPurchaseOrderRequest>());
        "POST" "/api/v0/purchase-order/req-confirm" => confirm_purchase_order(ex)
            .body(ex.body::<types::ConfirmPurchaseOrderRequest>());
        "POST" "/api/v0/purchase-order/req-status-change" => change_purchase_order_status(ex)
            .body(ex.body::<types::ChangePurchaseOrderStatusRequest>());
        "POST" "/api/v0/cd-note/req-send" => send_cd_note(ex)
            .body(ex.body::<types::SendCdNoteRequest>());
        "POST" "/api/v0/cd-note/req-confirm" => confirm_cd_note(ex)
            .body(ex.body::<types::ConfirmCdNoteRequest>());
        "POST" "/api/v0/finance/req-financing" => request_financing(ex)
            .body(ex.body::<types::RequestFinancingRequest>());
    ]
}

/// `create_customer` -> `createCustomer`.
fn camel_case(snake: &str) -> String {
    let mut parts = snake.split('_');
    let mut out = parts.next().unwrap_or_default().to_owned();
    for part in parts {
        let mut chars = part.chars();
        if let Some(first) = chars.next() {
            out.extend(first.to_uppercase());
            out.push_str(chars.as_str());
        }
    }
    out
}

/// The spec operation a call stands for, checked to be the one the client method sends.
fn spec_operation<'a>(spec: &'a serde_yaml::Value, call: &Call) -> SpecOperation<'a> {
    let operation = find_operation(spec, call.method, call.path)
        .unwrap_or_else(|| panic!("{} {} is not in the spec", call.method, call.path));
    assert_eq!(
        operation.template, call.path,
        "{}: the table's path",
        call.operation
    );
    assert_eq!(
        operation.id(),
        camel_case(call.operation),
        "{} {}",
        call.method,
        call.path
    );
    operation
}

/// Answers every request with the 200 example of the operation at its method and path.
async fn spec_server() -> Server {
    let spec = common::spec();
    Server::start(3600, move |seen: &Seen, _| {
        answer(&spec, seen).unwrap_or_else(|| Action::json(404, Value::Null))
    })
    .await
}

fn answer(spec: &serde_yaml::Value, seen: &Seen) -> Option<Action> {
    let operation = find_operation(spec, &seen.method, &seen.path)?;
    Some(Action::json(200, operation.response_example("200")))
}

fn client(server: &Server) -> Client {
    common::client(&server.base_url)
}

/// Requests other than the token call.
fn api_requests(server: &Server) -> Vec<Seen> {
    server
        .seen()
        .into_iter()
        .filter(|seen| seen.path != "/oauth/token")
        .collect()
}

/// The operations tagged `tag` in the spec are exactly those of `calls`, `expected` of them.
fn assert_covers_tag(spec: &serde_yaml::Value, tag: &str, calls: &[Call], expected: usize) {
    let mut in_spec = common::operation_ids_tagged(spec, tag);
    let mut called: Vec<String> = calls.iter().map(|c| camel_case(c.operation)).collect();
    in_spec.sort();
    called.sort();
    assert_eq!(called, in_spec, "{tag}: the table against the spec");
    assert_eq!(called.len(), expected, "{tag}: operations");
}

/// Calls every operation of `tag` once, in the table's order, against [`spec_server`].
async fn every_operation_sends_and_returns_the_spec_examples(
    tag: &str,
    calls: Vec<Call>,
    expected: usize,
) {
    let spec = common::spec();
    assert_covers_tag(&spec, tag, &calls, expected);
    let server = spec_server().await;
    let client = client(&server);

    for call in &calls {
        let operation = spec_operation(&spec, call);
        let example = Example::of(&operation);
        let before = api_requests(&server).len();
        let result = (call.run)(&client, &example).await;
        let name = call.operation;

        let sent = &api_requests(&server)[before..];
        assert_eq!(sent.len(), 1, "{name}: requests sent: {sent:#?}");
        let request = &sent[0];
        assert_eq!(request.method, call.method, "{name}: method");
        assert_eq!(request.path, example.target, "{name}: path and query");
        let authorization = request.header("authorization").unwrap_or_default();
        assert!(
            authorization.starts_with("Bearer ") && authorization.len() > "Bearer ".len(),
            "{name}: authorization {authorization:?}"
        );
        match &example.request {
            Some(body) => {
                assert_eq!(
                    request.header("content-type"),
                    Some("application/json"),
                    "{name}: content type"
                );
                let received: Value = serde_json::from_str(&request.body)
                    .unwrap_or_else(|err| panic!("{name}: body is not JSON: {err}"));
                assert_eq!(
                    common::normalize_numbers(received),
                    common::normalize_numbers(body.clone()),
                    "{name}: the body received against the request example"
                );
            }
            None => assert_eq!(request.body, "", "{name}: no body"),
        }

        let payload = result.unwrap_or_else(|err| panic!("{name}: {err:?}"));
        let published = example.response.get("payload").cloned().unwrap_or_default();
        assert_eq!(
            common::canonical(payload),
            common::canonical(published),
            "{name}: the payload returned against the response example"
        );
    }
    assert_eq!(server.token_requests(), 1);
}

#[tokio::test]
async fn every_accounts_receivable_operation_sends_and_returns_the_spec_examples() {
    every_operation_sends_and_returns_the_spec_examples(
        ACCOUNTS_RECEIVABLE,
        accounts_receivable(),
        14,
    )
    .await;
}

#[tokio::test]
async fn every_vendor_payment_operation_sends_and_returns_the_spec_examples() {
    every_operation_sends_and_returns_the_spec_examples(VENDOR_PAYMENT, vendor_payment(), 12).await;
}

/// The calls of these products that move money: never resent, like every Write.
const MONEY_MOVING: &[&str] = &["pay_invoice", "request_financing"];
/// The calls of these products that only read, so are retried.
const LOOKUPS: &[&str] = &[
    "search_customer",
    "get_invoice",
    "search_collection_invoices",
];

fn kind_of(operation: &str) -> CallKind {
    call_kinds()
        .find(|(id, _)| *id == operation)
        .map(|(_, kind)| kind)
        .unwrap_or_else(|| panic!("{operation} has no call kind"))
}

#[tokio::test]
async fn a_503_is_never_resent_for_writes_and_money_and_retried_for_lookups() {
    let spec = common::spec();
    let mut tried = Vec::new();
    for call in accounts_receivable().iter().chain(&vendor_payment()) {
        let name = call.operation;
        let kind = kind_of(name);
        let operation = spec_operation(&spec, call);
        let example = Example::of(&operation);
        let failure = operation.response_example("5XX");
        let success = operation.response_example("200");
        let lookup = kind == CallKind::Lookup;
        let server = Server::start(3600, move |_, n| {
            if n == 0 || !lookup {
                Action::json(503, failure.clone())
            } else {
                Action::json(200, success.clone())
            }
        })
        .await;
        let result = (call.run)(&client(&server), &example).await;
        let sent = api_requests(&server);
        assert!(
            sent.iter()
                .all(|s| s.method == call.method && s.path == example.target),
            "{name}: {sent:#?}"
        );
        match kind {
            CallKind::Lookup => {
                assert_eq!(
                    sent.len(),
                    2,
                    "{name}: a lookup is retried once after a 503"
                );
                let payload = result.unwrap_or_else(|err| panic!("{name}: {err:?}"));
                let published = example.response.get("payload").cloned().unwrap_or_default();
                assert_eq!(common::canonical(payload), common::canonical(published));
            }
            CallKind::Write | CallKind::MoneyMoving => {
                assert_eq!(sent.len(), 1, "{name}: never resent after a 503");
                match result {
                    Err(Error::OutcomeUnknown(unknown)) => {
                        assert_eq!(unknown.operation, name);
                        assert_eq!(unknown.cause, UnknownCause::ServerError, "{name}");
                        assert_eq!(unknown.http_status, Some(503), "{name}");
                        // A money-moving call names the id its response webhook will echo.
                        let echoed = match name {
                            "pay_invoice" => sent[0].json()["payment"]["objectId"]
                                .as_str()
                                .map(str::to_owned),
                            "request_financing" => {
                                sent[0].json()["financeRequest"]["financingRequestId"]
                                    .as_str()
                                    .map(str::to_owned)
                            }
                            _ => None,
                        };
                        assert_eq!(unknown.echoed_id, echoed, "{name}");
                        assert!(
                            unknown.echoed_id.is_some() || kind == CallKind::Write,
                            "{name}"
                        );
                    }
                    other => panic!("{name}: expected OutcomeUnknown, got {other:?}"),
                }
            }
            other => panic!("{name}: unexpected call kind {other:?}"),
        }
        tried.push((name, kind));
    }
    assert_eq!(tried.len(), 26);
    let of_kind = |wanted: CallKind| -> Vec<&str> {
        tried
            .iter()
            .filter(|(_, kind)| *kind == wanted)
            .map(|(name, _)| *name)
            .collect()
    };
    assert_eq!(of_kind(CallKind::MoneyMoving), MONEY_MOVING);
    assert_eq!(of_kind(CallKind::Lookup), LOOKUPS);
    assert_eq!(of_kind(CallKind::Write).len(), 21, "{tried:?}");
}
