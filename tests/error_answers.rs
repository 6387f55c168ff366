//! Failures as EnKash sends them: a non-zero `response_code` with a string, `null` or object
//! payload at any HTTP status; Accounts Receivable and Vendor Payment failures with their
//! `errorResponse`; and an answer that does not match its typed model (the bulk bill search's,
//! whose body is not published), which keeps its raw payload.

mod common;

use common::server::{Action, Server};
use enkash::enums::ErrorType;
use enkash::{Client, Error, types};
use serde_json::{Value, json};

use common::PASSWORD;

fn client(server: &Server) -> Client {
    common::client(&server.base_url)
}

fn create_request() -> types::CreateBillRequest {
    serde_json::from_str(
        r#"{"companyBillerId":"CB-54321","billNetAmount":100.10,"billAmount":100.10,"referenceId":"REF-1"}"#,
    )
    .unwrap()
}

async fn create_bill_error(answer: Value) -> Error {
    let server = Server::start(3600, move |_, _| Action::json(200, answer.clone())).await;
    client(&server)
        .create_bill()
        .body(create_request())
        .send()
        .await
        .unwrap_err()
}

#[tokio::test]
async fn a_failure_at_http_200_keeps_its_string_null_or_object_payload() {
    let err = create_bill_error(json!({
        "response_code": 38, "response_message": "Duplicate", "payload": "Duplicate reference id"
    }))
    .await;
    assert!(err.is_duplicate_reference_id(), "{err:?}");
    let api = err.api_error().unwrap();
    assert_eq!(api.payload.as_deref(), Some("Duplicate reference id"));
    assert!(api.error_response().is_none(), "Bill Payment has none");

    let err = create_bill_error(json!({
        "response_code": 36, "response_message": "Velocity limit", "payload": null
    }))
    .await;
    assert!(err.is_velocity_limit(), "{err:?}");
    assert_eq!(err.api_error().unwrap().payload, None);

    // An object payload that the success envelope would read too: the failure keeps it.
    let err = create_bill_error(json!({
        "response_code": 1, "response_message": "Failed", "payload": {"reason": "biller inactive"}
    }))
    .await;
    let payload = err.api_error().unwrap().payload.clone().unwrap();
    assert!(payload.contains("biller inactive"), "{payload}");
}

fn ar_failure(code: i64) -> Value {
    json!({
        "response_code": code,
        "response_message": "Failed",
        "payload": null,
        "errorResponse": {
            "errorType": "RECORD_NOT_FOUND",
            "errorMessage": format!("no invoice for user with password {PASSWORD}"),
            "requestId": "7c1e2a9d4b",
            "timestamp": "2025-05-12 14:30:25",
            "apiSubErrors": [{"field": "invoiceId", "accountNumber": "50100234567890"}]
        }
    })
}

async fn get_invoice_error(status: u16, body: Value) -> Error {
    let server = Server::start(3600, move |_, _| Action::json(status, body.clone())).await;
    client(&server)
        .get_invoice()
        .invoice_id("INVC5K8M2Q7R1T")
        .seller_id("CEK1234567")
        .send()
        .await
        .unwrap_err()
}

#[tokio::test]
async fn an_accounts_receivable_failure_exposes_its_error_response_with_secrets_masked() {
    for (status, code) in [(404, 1), (200, 1), (422, 7)] {
        let err = get_invoice_error(status, ar_failure(code)).await;
        let api = err.api_error().unwrap_or_else(|| panic!("{err:?}"));
        assert_eq!(api.http_status, status);
        let detail = api.error_response().expect("errorResponse");
        assert_eq!(
            detail.error_type,
            Some(ErrorType::RecordNotFound),
            "HTTP {status}"
        );
        assert_eq!(detail.request_id.as_deref(), Some("7c1e2a9d4b"));
        assert_eq!(detail.timestamp.as_deref(), Some("2025-05-12 14:30:25"));
        let message = detail.error_message.unwrap();
        assert!(message.starts_with("no invoice for user"), "{message}");
        assert!(!message.contains(PASSWORD), "{message}");
        let sub = serde_json::to_string(&detail.api_sub_errors).unwrap();
        assert!(sub.contains("invoiceId"), "{sub}");
        assert!(!sub.contains("50100234567890"), "{sub}");
        assert!(!format!("{err:?}").contains(PASSWORD));
    }
}

#[tokio::test]
async fn a_failure_without_error_response_or_envelope_still_reads() {
    let err = get_invoice_error(400, json!({"response_code": 1, "payload": "bad seller"})).await;
    let api = err.api_error().unwrap();
    assert!(api.error_response().is_none());
    assert_eq!(api.payload.as_deref(), Some("bad seller"));

    // A gateway's body: no envelope at all.
    let err = get_invoice_error(404, json!({"error": "not found"})).await;
    let api = err.api_error().unwrap();
    assert_eq!(api.code, None);
    assert!(api.error_response().is_none());
}

#[tokio::test]
async fn a_vendor_payment_failure_at_http_200_carries_its_error_response() {
    let body = json!({
        "response_code": 1,
        "response_message": "FAILED",
        "payload": "Invalid b2bIds",
        "errorResponse": {"errorType": "VALIDATION_ERROR", "errorMessage": "supplierB2BId is invalid"}
    });
    let server = Server::start(3600, move |_, _| Action::json(200, body.clone())).await;
    let spec = common::spec();
    let example = common::find_operation(
        &spec,
        "post",
        "/api/v0/business-onboarding/reg-check-entity",
    )
    .and_then(|operation| operation.request_example())
    .expect("a request example");
    let request: types::InitiateEntityCheckRequest = serde_json::from_value(example).unwrap();
    let err = client(&server)
        .initiate_entity_check()
        .body(request)
        .send()
        .await
        .unwrap_err();
    let api = err.api_error().unwrap_or_else(|| panic!("{err:?}"));
    assert_eq!(api.http_status, 200);
    assert_eq!(api.payload.as_deref(), Some("Invalid b2bIds"));
    let detail = api.error_response().expect("errorResponse");
    assert_eq!(detail.error_type, Some(ErrorType::ValidationError));
    assert_eq!(
        detail.error_message.as_deref(),
        Some("supplierB2BId is invalid")
    );
}

/// The error of a bulk bill search answered by `answer`.
async fn search_error(answer: fn() -> Action) -> Error {
    let server = Server::start(3600, move |_, _| answer()).await;
    let request: types::UtilityBillSearchRequest =
        serde_json::from_str(r#"{"statuses": ["PENDING"], "offset": 0, "limit": 10}"#).unwrap();
    client(&server)
        .search_utility_bills()
        .body(request)
        .send()
        .await
        .unwrap_err()
}

fn raw_payload(err: &Error) -> Option<Value> {
    match err {
        Error::Decode(decode) => decode.raw_payload().map(|raw| raw.clone().into_value()),
        other => panic!("a decode error: {other:?}"),
    }
}

fn other_shape() -> Value {
    json!({"records": [{"utilityEnkashId": "UTIL-1", "amount": 10.5}], "total": 1})
}

#[tokio::test]
async fn a_bulk_search_answer_of_another_shape_keeps_its_raw_payload() {
    let err = search_error(|| {
        Action::json(
            200,
            json!({"response_code": 0, "response_message": "Success", "payload": other_shape()}),
        )
    })
    .await;
    let raw = raw_payload(&err).expect("the raw payload");
    assert_eq!(raw, other_shape());
    assert_eq!(raw["records"][0]["utilityEnkashId"], "UTIL-1");

    // A body that is not JSON has none.
    let err = search_error(|| {
        Action::Reply(
            200,
            vec![("content-type", "text/html".into())],
            "<html>".into(),
        )
    })
    .await;
    assert_eq!(raw_payload(&err), None);
}

#[tokio::test]
async fn a_raw_payload_masks_configured_secrets_it_echoes() {
    let err = search_error(|| {
        Action::json(
            200,
            json!({"response_code": 0, "payload": {"note": format!("echo {PASSWORD}")}}),
        )
    })
    .await;
    let raw = raw_payload(&err).expect("the raw payload");
    assert!(!raw.to_string().contains(PASSWORD), "{raw}");
    assert!(raw["note"].as_str().unwrap().starts_with("echo "));
}
