//! The public client driving every Vendor Payment operation against the sandbox: onboarding
//! (entity check, registration, B2B id), documents (invoice confirmation and status change,
//! purchase orders, credit notes), money (Pay Invoice, Request Financing) with duplicate and
//! unknown ids, the response webhooks received with `enkash::webhook`, scripted faults, and the
//! outcome-unknown cases settled from the response webhook as the README says.

mod common;

use std::time::Duration;

use enkash::webhook::{WebhookEvent, WebhookKind, WebhookReceiver, WebhookVerifier};
use enkash::{Amount, Client, Error, types};
use enkash_sandbox::{Fault, Operation, Sandbox, SandboxHandle, VendorInvoice, VendorWebhook};
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

const INVOICE: &str = "INVEH60KVJ50CE9UVW53EFR4EDT2SYWB3WK";
const PAYMENT: &str = "PMTLQSAJ08XUI6D39ZZZZG4ZDMEN2KHVDGA";
const BUYER: &str = "acmeindustries@b2b";
const SUPPLIER: &str = "sharmasupplies@b2b";

/// The request example of the spec's operation at `path`, changed by `edit`, as the body type.
fn example<T: DeserializeOwned>(path: &str, edit: impl FnOnce(&mut Value)) -> T {
    let spec = common::spec();
    let mut body = common::find_operation(&spec, "POST", path)
        .and_then(|operation| operation.request_example())
        .unwrap_or_else(|| panic!("a request example for {path}"));
    edit(&mut body);
    serde_json::from_value(body).unwrap_or_else(|err| panic!("{path}: {err}"))
}

fn client_for(sandbox: &SandboxHandle) -> Client {
    Client::from_config(sandbox.client_config().unwrap()).unwrap()
}

/// The spec examples' invoice: version 1, `CREATED`, 117500.50 due.
fn add_invoice(sandbox: &SandboxHandle, object_id: &str) {
    sandbox.add_vendor_invoice(VendorInvoice::new(
        object_id,
        "SS/2025-26/0412",
        BUYER,
        SUPPLIER,
        "117500.50".parse::<Amount>().unwrap(),
    ));
}

/// Waits for the `count`th webhook and checks the client's webhook types decode it.
async fn webhook(sandbox: &SandboxHandle, count: usize) -> VendorWebhook {
    let webhooks = sandbox
        .wait_for_vendor_webhooks(count, Duration::from_secs(5))
        .await;
    let hook = webhooks
        .get(count - 1)
        .unwrap_or_else(|| panic!("webhook {count} within 5 s: {webhooks:?}"))
        .clone();
    let bytes = serde_json::to_vec(&hook.body).unwrap();
    let event = WebhookEvent::parse(hook.kind, &bytes).expect("the client decodes the webhook");
    assert_eq!(event.kind(), hook.kind);
    hook
}

fn invoice_state(sandbox: &SandboxHandle, object_id: &str) -> Value {
    sandbox.vendor_state()["invoices"]
        .as_array()
        .unwrap()
        .iter()
        .find(|invoice| invoice["objectId"] == object_id)
        .cloned()
        .unwrap_or(Value::Null)
}

fn http_status(err: &Error) -> Option<u16> {
    err.meta().http_status
}

#[tokio::test]
async fn onboarding_goes_check_then_registration_then_b2b_id() {
    let sandbox = Sandbox::builder().start().await.unwrap();
    let client = client_for(&sandbox);

    let register: types::RegisterEntityRequest =
        example("/api/v0/business-onboarding/reg-entity", |_| {});
    let err = client
        .register_entity()
        .body(register.clone())
        .send()
        .await
        .unwrap_err();
    assert!(err.is_rejected(), "{err}");
    assert_eq!(
        http_status(&err),
        Some(422),
        "registration needs a check first"
    );

    client
        .initiate_entity_check()
        .body(example::<types::InitiateEntityCheckRequest>(
            "/api/v0/business-onboarding/reg-check-entity",
            |_| {},
        ))
        .send()
        .await
        .unwrap();
    let check = webhook(&sandbox, 1).await;
    assert_eq!(check.kind, WebhookKind::VendorCheckEntityResponse);
    assert_eq!(check.body["resp"]["result"], "SUCCESS");
    assert_eq!(check.body["instituteStatus"]["institutes"], json!([]));

    client
        .register_entity()
        .body(register.clone())
        .send()
        .await
        .unwrap();
    let registered = webhook(&sandbox, 2).await;
    assert_eq!(
        registered.kind,
        WebhookKind::VendorEntityRegistrationResponse
    );
    assert_eq!(
        registered.body["institute"]["defaultB2BId"],
        "acmeindustries@b2b"
    );
    let again = client
        .register_entity()
        .body(register)
        .send()
        .await
        .unwrap_err();
    assert_eq!(http_status(&again), Some(422), "registered once only");

    client
        .register_b2b_id()
        .body(example::<types::RegisterB2bIdRequest>(
            "/api/v0/business-onboarding/reg-id",
            |_| {},
        ))
        .send()
        .await
        .unwrap();
    let entity = &sandbox.vendor_state()["entities"][0];
    assert_eq!(entity["status"], "REGISTERED");
    assert_eq!(
        entity["b2bIds"],
        json!(["acmeindustries@b2b", "acme.payables@b2b"])
    );

    // Another entity with the same PAN now learns of the registered one.
    client
        .initiate_entity_check()
        .body(example::<types::InitiateEntityCheckRequest>(
            "/api/v0/business-onboarding/reg-check-entity",
            |body| body["objectId"] = json!("ORGZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZ"),
        ))
        .send()
        .await
        .unwrap();
    let second = webhook(&sandbox, 3).await;
    assert_eq!(
        second.body["instituteStatus"]["institutes"][0]["defaultB2BId"],
        "acmeindustries@b2b"
    );
}

#[tokio::test]
async fn invoices_purchase_orders_and_notes_move_through_their_states() {
    let sandbox = Sandbox::builder().start().await.unwrap();
    let client = client_for(&sandbox);
    add_invoice(&sandbox, INVOICE);

    let confirm: types::ConfirmInvoiceRequest =
        example("/api/v0/invoice/req-confirm-invoice", |_| {});
    client
        .confirm_invoice()
        .body(confirm.clone())
        .send()
        .await
        .unwrap();
    let invoice = invoice_state(&sandbox, INVOICE);
    assert_eq!(
        (invoice["status"].as_str(), invoice["version"].as_i64()),
        (Some("ACCEPTED"), Some(2))
    );
    let stale = client
        .confirm_invoice()
        .body(confirm)
        .send()
        .await
        .unwrap_err();
    assert_eq!(http_status(&stale), Some(422));

    let changed = client
        .change_invoice_status()
        .body(example::<types::ChangeInvoiceStatusRequest>(
            "/api/v0/invoice/req-status-change-invoice",
            |body| body["invoiceStatus"]["statusTransition"]["currentStatus"] = json!("ACCEPTED"),
        ))
        .send()
        .await
        .unwrap();
    let changed = serde_json::to_value(changed).unwrap();
    assert_eq!(
        changed["invoiceStatus"]["statusTransition"]["newStatus"],
        "CANCELLED"
    );
    assert_eq!(changed["resp"]["result"], "SUCCESS");
    assert_eq!(invoice_state(&sandbox, INVOICE)["status"], "CANCELLED");

    let unknown = client
        .confirm_invoice()
        .body(example::<types::ConfirmInvoiceRequest>(
            "/api/v0/invoice/req-confirm-invoice",
            |body| {
                body["invoiceConfirmation"]["objectId"] =
                    json!("INVAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")
            },
        ))
        .send()
        .await
        .unwrap_err();
    assert_eq!(http_status(&unknown), Some(404), "{unknown}");

    // Purchase order: send, confirm, status change (whose response webhook echoes it).
    let order: types::SendPurchaseOrderRequest = example("/api/v0/purchase-order/req-send", |_| {});
    client
        .send_purchase_order()
        .body(order.clone())
        .send()
        .await
        .unwrap();
    let resent = client
        .send_purchase_order()
        .body(order)
        .send()
        .await
        .unwrap_err();
    assert!(resent.is_duplicate_reference_id(), "{resent}");
    client
        .confirm_purchase_order()
        .body(example::<types::ConfirmPurchaseOrderRequest>(
            "/api/v0/purchase-order/req-confirm",
            |_| {},
        ))
        .send()
        .await
        .unwrap();
    client
        .change_purchase_order_status()
        .body(example::<types::ChangePurchaseOrderStatusRequest>(
            "/api/v0/purchase-order/req-status-change",
            |_| {},
        ))
        .send()
        .await
        .unwrap();
    let po = webhook(&sandbox, 1).await;
    assert_eq!(
        po.kind,
        WebhookKind::VendorPurchaseOrderStatusChangeResponse
    );
    assert_eq!(
        po.body["poStatus"]["poStatusTransition"]["newStatus"],
        "CANCELLED"
    );
    let orders = &sandbox.vendor_state()["purchaseOrders"];
    assert_eq!(orders[0]["status"], "CANCELLED");
    assert_eq!(orders[0]["version"], 3);

    // Credit note: send (response webhook), then the buyer confirms it.
    client
        .send_cd_note()
        .body(example::<types::SendCdNoteRequest>(
            "/api/v0/cd-note/req-send",
            |_| {},
        ))
        .send()
        .await
        .unwrap();
    let note = webhook(&sandbox, 2).await;
    assert_eq!(note.kind, WebhookKind::VendorCdNoteSendResponse);
    assert_eq!(note.object_id, "CDN4B8E2A6C0F1D3E5A7C9B1D3F5A7C9E1B");
    client
        .confirm_cd_note()
        .body(example::<types::ConfirmCdNoteRequest>(
            "/api/v0/cd-note/req-confirm",
            |_| {},
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(sandbox.vendor_state()["cdNotes"][0]["status"], "ACCEPTED");
}

#[tokio::test]
async fn payments_reach_the_receiver_with_the_static_headers_and_refuse_duplicates() {
    let (sender, mut received) = tokio::sync::mpsc::unbounded_channel();
    let receiver = axum::Router::new().fallback(
        |uri: axum::http::Uri, headers: axum::http::HeaderMap, body: axum::body::Bytes| async move {
            let _ = sender.send((uri.path().to_owned(), headers, body));
            ([("content-type", "application/json")], "{}")
        },
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}/hooks", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, receiver).await });

    let sandbox = Sandbox::builder()
        .vendor_webhook(base)
        .webhook_header("x-enkash-token", "vendor-static-secret")
        .start()
        .await
        .unwrap();
    let client = client_for(&sandbox);
    add_invoice(&sandbox, INVOICE);

    let pay: types::PayInvoiceRequest = example("/api/v0/payment/req-pay", |_| {});
    client.pay_invoice().body(pay.clone()).send().await.unwrap();
    let (path, headers, body) = tokio::time::timeout(Duration::from_secs(5), received.recv())
        .await
        .expect("the payment response within 5 s")
        .unwrap();
    assert_eq!(path, "/hooks/api/v0/payment/resp-pay");
    let verifier = WebhookVerifier::new("x-enkash-token", "vendor-static-secret").unwrap();
    let event = WebhookReceiver::new(verifier)
        .receive(WebhookKind::VendorPaymentResponse, &headers, &body)
        .expect("accepted by the client's receiver");
    assert_eq!(event.kind(), WebhookKind::VendorPaymentResponse);
    let hook: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(hook["resp"]["result"], "SUCCESS");
    assert_eq!(hook["payment"]["objectId"], PAYMENT);
    assert!(webhook(&sandbox, 1).await.is_acknowledged());
    let invoice = invoice_state(&sandbox, INVOICE);
    assert_eq!(invoice["status"], "PAID");
    assert_eq!(amount_of(&invoice["dueAmount"]), Amount::from(0));

    // The same payment objectId again moves no money.
    let duplicate = client.pay_invoice().body(pay).send().await.unwrap_err();
    assert!(duplicate.is_duplicate_reference_id(), "{duplicate}");
    // A payment naming no known invoice is refused before anything happens.
    let unknown = client
        .pay_invoice()
        .body(example::<types::PayInvoiceRequest>(
            "/api/v0/payment/req-pay",
            |body| {
                body["payment"]["objectId"] = json!("PMTBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB");
                body["payment"]["invoicesPayInfos"][0]["objectId"] =
                    json!("INVAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA");
            },
        ))
        .send()
        .await
        .unwrap_err();
    assert_eq!(http_status(&unknown), Some(404), "{unknown}");
    // A paid invoice cannot be paid again: the network answers FAILURE.
    client
        .pay_invoice()
        .body(example::<types::PayInvoiceRequest>(
            "/api/v0/payment/req-pay",
            |body| {
                body["payment"]["objectId"] = json!("PMTCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCC");
            },
        ))
        .send()
        .await
        .unwrap();
    let failed = webhook(&sandbox, 2).await;
    assert_eq!(failed.body["resp"]["result"], "FAILURE");
    assert_eq!(failed.body["resp"]["errorCd"], "INVOICE_NOT_PAYABLE");
    assert_eq!(sandbox.calls(Operation::PayInvoice), 4);
}

#[tokio::test]
async fn a_dropped_payment_is_outcome_unknown_and_settled_from_its_response_webhook() {
    let sandbox = Sandbox::builder()
        .respond_after(Duration::from_secs(300))
        .start()
        .await
        .unwrap();
    let client = client_for(&sandbox);
    add_invoice(&sandbox, INVOICE);
    sandbox.inject(Operation::PayInvoice, Fault::apply_then_drop(), 1);

    let pay: types::PayInvoiceRequest = example("/api/v0/payment/req-pay", |_| {});
    let err = client
        .pay_invoice()
        .body(pay.clone())
        .send()
        .await
        .unwrap_err();
    let Error::OutcomeUnknown(unknown) = &err else {
        panic!("outcome unknown, got {err}");
    };
    assert_eq!(unknown.echoed_id.as_deref(), Some(PAYMENT));
    assert_eq!(sandbox.calls(Operation::PayInvoice), 1, "never resent");

    // The network answers five minutes later on the sandbox's clock: no waiting.
    assert!(sandbox.vendor_webhooks().is_empty());
    sandbox.advance_clock(Duration::from_secs(300));
    let settled = webhook(&sandbox, 1).await;
    assert_eq!(settled.kind, WebhookKind::VendorPaymentResponse);
    assert_eq!(settled.object_id, PAYMENT);
    assert_eq!(settled.body["resp"]["result"], "SUCCESS", "it went through");
    let again = client.pay_invoice().body(pay).send().await.unwrap_err();
    assert!(again.is_duplicate_reference_id(), "{again}");
    assert_eq!(invoice_state(&sandbox, INVOICE)["status"], "PAID");
}

#[tokio::test]
async fn a_payment_dropped_before_it_applied_gets_no_webhook_and_is_safe_to_send_again() {
    let sandbox = Sandbox::builder().start().await.unwrap();
    let client = client_for(&sandbox);
    add_invoice(&sandbox, INVOICE);
    sandbox.inject(Operation::PayInvoice, Fault::drop_before_apply(), 1);

    let pay: types::PayInvoiceRequest = example("/api/v0/payment/req-pay", |_| {});
    let err = client
        .pay_invoice()
        .body(pay.clone())
        .send()
        .await
        .unwrap_err();
    assert!(err.is_outcome_unknown(), "{err}");
    sandbox.advance_clock(Duration::from_secs(600));
    assert!(
        sandbox.vendor_webhooks().is_empty(),
        "no response webhook: it did not go through"
    );
    assert_eq!(sandbox.vendor_state()["payments"], json!([]));
    client.pay_invoice().body(pay).send().await.unwrap();
    assert_eq!(webhook(&sandbox, 1).await.body["resp"]["result"], "SUCCESS");
}

#[tokio::test]
async fn a_financing_request_that_timed_out_is_settled_from_its_bids() {
    let sandbox = Sandbox::builder()
        .respond_after(Duration::from_secs(60))
        .start()
        .await
        .unwrap();
    let client = client_for(&sandbox);
    add_invoice(&sandbox, INVOICE);
    sandbox.inject(Operation::RequestFinancing, Fault::apply_then_drop(), 1);

    let request: types::RequestFinancingRequest = example("/api/v0/finance/req-financing", |_| {});
    let err = client
        .request_financing()
        .body(request.clone())
        .send()
        .await
        .unwrap_err();
    let Error::OutcomeUnknown(unknown) = &err else {
        panic!("outcome unknown, got {err}");
    };
    assert_eq!(unknown.echoed_id.as_deref(), Some("FR-2025-000311"));

    sandbox.advance_clock(Duration::from_secs(60));
    // One bid per financier of the request (FIN-HDFC-01, FIN-SIDBI-02).
    let first = webhook(&sandbox, 1).await;
    let second = webhook(&sandbox, 2).await;
    for bid in [&first, &second] {
        assert_eq!(bid.kind, WebhookKind::VendorShareBidRequest);
        assert_eq!(bid.body["bid"]["financingRequestId"], "FR-2025-000311");
        assert_eq!(
            amount_of(&bid.body["bid"]["bidDetails"][0]["approvedAmount"]),
            Amount::from(95_000)
        );
    }
    let again = client
        .request_financing()
        .body(request)
        .send()
        .await
        .unwrap_err();
    assert!(again.is_duplicate_reference_id(), "{again}");
    let unknown_invoice = client
        .request_financing()
        .body(example::<types::RequestFinancingRequest>(
            "/api/v0/finance/req-financing",
            |body| {
                body["financeRequest"]["financingRequestId"] = json!("FR-2025-000312");
                body["financeRequest"]["invoices"][0]["objectId"] =
                    json!("INVAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA");
            },
        ))
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        http_status(&unknown_invoice),
        Some(404),
        "{unknown_invoice}"
    );
}

#[tokio::test]
async fn a_scripted_server_error_changes_nothing() {
    let sandbox = Sandbox::builder().start().await.unwrap();
    let client = client_for(&sandbox);
    add_invoice(&sandbox, INVOICE);
    sandbox.inject(Operation::ConfirmInvoice, Fault::server_error(503), 1);
    let confirm: types::ConfirmInvoiceRequest =
        example("/api/v0/invoice/req-confirm-invoice", |_| {});
    let err = client
        .confirm_invoice()
        .body(confirm.clone())
        .send()
        .await
        .unwrap_err();
    assert_eq!(http_status(&err), Some(503), "{err}");
    assert_eq!(invoice_state(&sandbox, INVOICE)["status"], "CREATED");
    client.confirm_invoice().body(confirm).send().await.unwrap();
    assert_eq!(invoice_state(&sandbox, INVOICE)["status"], "ACCEPTED");
    let journal = sandbox.requests();
    let faulted: Vec<_> = journal
        .iter()
        .filter(|request| request.operation == Operation::ConfirmInvoice)
        .map(|request| (request.status, request.fault))
        .collect();
    assert_eq!(faulted, [(Some(503), Some("status")), (Some(200), None)]);
}

/// An amount read from a JSON value (its value: a `serde_json::Value` keeps no written scale).
fn amount_of(value: &Value) -> Amount {
    serde_json::from_value(value.clone()).expect("an amount")
}
