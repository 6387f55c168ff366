//! `enkash::webhook`: every documented webhook body is received as its kind; bad headers, content
//! types, sizes and bodies are refused with their error, and through the axum handler with their
//! status and a JSON error body that quotes no secret; the sandbox's webhook reaches an axum app
//! mounted with the handler.

mod common;

use http::HeaderMap;
use http::header::CONTENT_TYPE;

use enkash::enums::{ApprovalStatus, Circle, PaymentStatus};
use enkash::webhook::{WebhookError, WebhookEvent, WebhookKind, WebhookReceiver, WebhookVerifier};

const HEADER: &str = "x-enkash-token";
const SECRET: &str = "static-secret-7f3a9c";
const OTHER_HEADER: &str = "x-enkash-partner";
const OTHER_SECRET: &str = "partner-value-0b21";

fn verifier() -> WebhookVerifier {
    WebhookVerifier::new(HEADER, SECRET)
        .and_then(|verifier| verifier.header(OTHER_HEADER, OTHER_SECRET))
        .unwrap()
}

fn receiver() -> WebhookReceiver {
    WebhookReceiver::new(verifier())
}

/// The headers EnKash sends: both static headers and JSON.
fn good_headers() -> HeaderMap {
    let mut headers = HeaderMap::new();
    headers.insert(HEADER, SECRET.parse().unwrap());
    headers.insert(OTHER_HEADER, OTHER_SECRET.parse().unwrap());
    headers.insert(CONTENT_TYPE, "application/json".parse().unwrap());
    headers
}

fn seed(name: &str) -> Vec<u8> {
    let path = format!("{}/tests/fixtures/seeds/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read(&path).unwrap_or_else(|err| panic!("{path}: {err}"))
}

fn vendor(name: &str) -> Vec<u8> {
    let path = format!(
        "{}/tests/fixtures/vendor/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    std::fs::read(&path).unwrap_or_else(|err| panic!("{path}: {err}"))
}

/// Each Vendor Payment webhook fixture and the webhook it is the body of.
const VENDOR_FIXTURES: &[(&str, WebhookKind)] = &[
    (
        "check-entity-webhook.webhook.json",
        WebhookKind::VendorCheckEntityResponse,
    ),
    (
        "entity-registration-response-webhook.webhook.json",
        WebhookKind::VendorEntityRegistrationResponse,
    ),
    (
        "search-entity-response-webhook.webhook.json",
        WebhookKind::VendorSearchEntityResponse,
    ),
    (
        "payment-response-webhook.webhook.json",
        WebhookKind::VendorPaymentResponse,
    ),
    (
        "payment-confirmation-response-webhook.webhook.json",
        WebhookKind::VendorPaymentConfirmationResponse,
    ),
    (
        "send-cn-response-webhook.webhook.json",
        WebhookKind::VendorCdNoteSendResponse,
    ),
    (
        "status-change-purchase-order-response-webhook.webhook.json",
        WebhookKind::VendorPurchaseOrderStatusChangeResponse,
    ),
    (
        "payment-request-webhook.webhook.json",
        WebhookKind::VendorPaymentRequest,
    ),
    (
        "confirm-purchase-order-request-webhook.webhook.json",
        WebhookKind::VendorPurchaseOrderConfirmRequest,
    ),
    (
        "status-change-purchase-order-request-webhook.webhook.json",
        WebhookKind::VendorPurchaseOrderStatusChangeRequest,
    ),
    (
        "status-change-invoice-request-webhook.webhook.json",
        WebhookKind::VendorInvoiceStatusChangeRequest,
    ),
    (
        "share-bid-request-webhook.webhook.json",
        WebhookKind::VendorShareBidRequest,
    ),
];

/// The `x-webhooks` entries of the spec.
fn spec_webhooks() -> Vec<(String, serde_yaml::Value)> {
    let spec = common::spec();
    spec["x-webhooks"]
        .as_mapping()
        .expect("x-webhooks")
        .iter()
        .map(|(name, entry)| (name.as_str().unwrap().to_owned(), entry.clone()))
        .collect()
}

fn schema_name(reference: &serde_yaml::Value) -> String {
    reference["$ref"]
        .as_str()
        .expect("$ref")
        .rsplit('/')
        .next()
        .unwrap()
        .to_owned()
}

fn kind_named(name: &str) -> WebhookKind {
    *WebhookKind::ALL
        .iter()
        .find(|kind| kind.name() == name)
        .unwrap_or_else(|| panic!("no WebhookKind for x-webhooks entry {name}"))
}

#[test]
fn one_kind_per_spec_webhook_with_its_body_schema() {
    let webhooks = spec_webhooks();
    let names: Vec<&str> = webhooks.iter().map(|(name, _)| name.as_str()).collect();
    let kinds: Vec<&str> = WebhookKind::ALL.iter().map(|kind| kind.name()).collect();
    assert_eq!(kinds, names);
    for (name, entry) in &webhooks {
        let schema = &entry["post"]["requestBody"]["content"]["application/json"]["schema"];
        assert_eq!(
            kind_named(name).body_schema(),
            schema_name(schema),
            "{name}"
        );
    }
}

#[test]
fn acknowledgements_are_the_spec_answers_of_each_webhook() {
    for (name, entry) in spec_webhooks() {
        let kind = kind_named(&name);
        let answer = &entry["post"]["responses"]["200"]["content"]["application/json"];
        let ack = kind.acknowledgement();
        let ack_json: serde_json::Value = serde_json::from_str(ack).unwrap();
        let example: serde_json::Value = serde_json::to_value(&answer["example"]).unwrap();
        match schema_name(&answer["schema"]).as_str() {
            "WebhookAcknowledgement" => {
                assert_eq!(ack, "{}", "{name}");
                serde_json::from_str::<enkash::types::WebhookAcknowledgement>(ack).unwrap();
            }
            "VendorEnvelope" => {
                assert_eq!(ack_json, example, "{name}");
                serde_json::from_str::<enkash::types::VendorEnvelope>(ack).unwrap();
            }
            "InvoiceStatusChangeEnvelope" => {
                let envelope: enkash::types::InvoiceStatusChangeEnvelope =
                    serde_json::from_str(ack).unwrap();
                assert_eq!(envelope.response_code, example["response_code"]);
                assert_eq!(
                    envelope.response_message.as_deref(),
                    example["response_message"].as_str()
                );
            }
            "ShareBidAckEnvelope" => {
                let envelope: enkash::types::ShareBidAckEnvelope =
                    serde_json::from_str(ack).unwrap();
                assert_eq!(
                    envelope.response_code.map(i64::from),
                    example["response_code"].as_i64()
                );
                assert_eq!(
                    envelope.response_message.as_deref(),
                    example["response_message"].as_str()
                );
            }
            other => panic!("{name}: unexpected answer schema {other}"),
        }
    }
}

#[test]
fn every_spec_example_is_received_as_its_kind() {
    let receiver = receiver();
    for (name, entry) in spec_webhooks() {
        let kind = kind_named(&name);
        let example = &entry["post"]["requestBody"]["content"]["application/json"]["example"];
        let body = serde_json::to_vec(example).unwrap();
        let event = receiver
            .receive(kind, &good_headers(), &body)
            .unwrap_or_else(|err| panic!("{name}: {err}"));
        assert_eq!(event.kind(), kind);
    }
}

#[test]
fn enkash_bill_payment_example_is_received_with_its_quirks() {
    let event = receiver()
        .receive(
            WebhookKind::UtilityBill,
            &good_headers(),
            &seed("bill-payment-webhook.json"),
        )
        .unwrap();
    assert_eq!(event.kind(), WebhookKind::UtilityBill);
    let WebhookEvent::UtilityBill(bill) = event else {
        panic!("not a bill payment webhook");
    };
    assert_eq!(
        bill.payment_status,
        Some(PaymentStatus::Unknown("COMPLETED".into()))
    );
    assert_eq!(
        bill.approval_status,
        Some(ApprovalStatus::Unknown("APPROVED".into()))
    );
    assert_eq!(
        bill.company_biller.circle_enum,
        Some(Circle::Unknown("MUMBAI".into()))
    );
    let created = bill.created_date.expect("createdDate");
    assert_eq!(created.to_string(), "2025-05-12T14:30:25");
    assert_eq!(created.offset(), None);
    assert_eq!(bill.failure_reason, None);
    assert_eq!(bill.amount.expect("amount").to_string(), "2450.75");
}

#[test]
fn every_vendor_webhook_fixture_is_received_as_its_kind() {
    let receiver = receiver();
    for (name, kind) in VENDOR_FIXTURES {
        let event = receiver
            .receive(*kind, &good_headers(), &vendor(name))
            .unwrap_or_else(|err| panic!("{name}: {err}"));
        assert_eq!(event.kind(), *kind, "{name}");
    }
    let WebhookEvent::VendorPaymentResponse(payment) = receiver
        .receive(
            WebhookKind::VendorPaymentResponse,
            &good_headers(),
            &vendor("payment-response-webhook.webhook.json"),
        )
        .unwrap()
    else {
        panic!("not a payment response");
    };
    assert_eq!(
        payment.payment.expect("payment").type_,
        Some(enkash::enums::PaymentPlatform::Unknown("string".into()))
    );
}

#[test]
fn every_webhook_fixture_and_every_kind_is_covered() {
    let dir = format!("{}/tests/fixtures/vendor", env!("CARGO_MANIFEST_DIR"));
    let mut on_disk: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|entry| entry.unwrap().file_name().into_string().unwrap())
        .filter(|name| name.ends_with(".webhook.json"))
        .collect();
    on_disk.sort();
    let mut listed: Vec<String> = VENDOR_FIXTURES
        .iter()
        .map(|(name, _)| (*name).to_owned())
        .collect();
    listed.sort();
    assert_eq!(on_disk, listed);
    for kind in WebhookKind::ALL {
        assert!(
            *kind == WebhookKind::UtilityBill
                || VENDOR_FIXTURES.iter().any(|(_, listed)| listed == kind),
            "no fixture for {kind}"
        );
    }
}

/// The failures of the brief, each with its headers, body, expected error and status.
struct Bad {
    what: &'static str,
    headers: HeaderMap,
    body: Vec<u8>,
    check: fn(&WebhookError) -> bool,
    status: u16,
}

/// Receivers in these cases accept at most this many bytes.
const SMALL_LIMIT: usize = 4096;

fn bad_requests() -> Vec<Bad> {
    let good_body = seed("bill-payment-webhook.json");
    let mut wrong_value = good_headers();
    wrong_value.insert(HEADER, "static-secret-7f3a9d".parse().unwrap());
    let mut missing = good_headers();
    missing.remove(OTHER_HEADER);
    let mut text = good_headers();
    text.insert(CONTENT_TYPE, "text/plain".parse().unwrap());
    let mut no_content_type = good_headers();
    no_content_type.remove(CONTENT_TYPE);
    let mut oversize = good_body.clone();
    oversize.truncate(oversize.len() - 2);
    oversize
        .extend_from_slice(format!(",\"padding\":\"{}\"}}", "x".repeat(SMALL_LIMIT)).as_bytes());
    vec![
        Bad {
            what: "wrong header value",
            headers: wrong_value,
            body: good_body.clone(),
            check: |err| err.is_wrong_header() && err.header_name() == Some(HEADER),
            status: 401,
        },
        Bad {
            what: "missing header",
            headers: missing,
            body: good_body.clone(),
            check: |err| err.is_missing_header() && err.header_name() == Some(OTHER_HEADER),
            status: 401,
        },
        Bad {
            what: "malformed JSON",
            headers: good_headers(),
            body: b"{\"utilityEnkashId\": UTIL-1}".to_vec(),
            check: WebhookError::is_malformed_body,
            status: 400,
        },
        Bad {
            what: "truncated body",
            headers: good_headers(),
            body: good_body[..good_body.len() / 2].to_vec(),
            check: |err| matches!(err, WebhookError::MalformedBody { reason, .. } if reason.starts_with("truncated JSON")),
            status: 400,
        },
        Bad {
            what: "wrong content type",
            headers: text,
            body: good_body.clone(),
            check: |err| {
                *err == WebhookError::UnsupportedContentType {
                    content_type: Some("text/plain".into()),
                }
            },
            status: 415,
        },
        Bad {
            what: "missing content type",
            headers: no_content_type,
            body: good_body,
            check: |err| *err == WebhookError::UnsupportedContentType { content_type: None },
            status: 415,
        },
        Bad {
            what: "oversize body",
            headers: good_headers(),
            body: oversize,
            check: |err| *err == WebhookError::BodyTooLarge { limit: SMALL_LIMIT },
            status: 413,
        },
    ]
}

#[test]
fn each_bad_request_gives_its_error_and_status() {
    let receiver = receiver().with_max_body_bytes(SMALL_LIMIT);
    for bad in bad_requests() {
        let err = receiver
            .receive(WebhookKind::UtilityBill, &bad.headers, &bad.body)
            .err()
            .unwrap_or_else(|| panic!("{} was accepted", bad.what));
        assert!((bad.check)(&err), "{}: {err:?}", bad.what);
        assert_eq!(err.http_status(), bad.status, "{}", bad.what);
        for shown in [err.to_string(), format!("{err:?}"), err.json_body()] {
            assert!(!shown.contains(SECRET), "{}: {shown}", bad.what);
            assert!(!shown.contains(OTHER_SECRET), "{}: {shown}", bad.what);
            assert!(!shown.contains("static-secret"), "{}: {shown}", bad.what);
        }
        if err.is_unauthorized() {
            // The answer names no header: a caller without the secret learns nothing of it.
            assert_eq!(err.json_body(), r#"{"error":"not authenticated"}"#);
        }
        let as_crate_error = enkash::Error::from(err.clone());
        assert!(as_crate_error.is_webhook());
        assert_eq!(as_crate_error.meta().http_status, Some(bad.status));
        assert_eq!(as_crate_error.webhook_error(), Some(&err));
    }
}

#[test]
fn headers_are_checked_before_the_body_is_read() {
    let mut headers = good_headers();
    headers.insert(HEADER, "guess".parse().unwrap());
    headers.insert(CONTENT_TYPE, "text/html".parse().unwrap());
    let err = receiver()
        .receive(WebhookKind::UtilityBill, &headers, b"<html>not json")
        .unwrap_err();
    assert!(err.is_wrong_header(), "{err:?}");
}

#[test]
fn a_body_of_another_webhook_is_malformed_for_this_one() {
    let err = receiver()
        .receive(
            WebhookKind::UtilityBill,
            &good_headers(),
            &vendor("payment-response-webhook.webhook.json"),
        )
        .unwrap_err();
    assert_eq!(
        err.public_message(),
        "malformed utilityBill body: missing field `companyBiller`"
    );
}

#[test]
fn malformed_errors_quote_a_bounded_redacted_excerpt() {
    let body = format!(
        r#"{{"companyBiller":{{}},"accountNumber":"50200012345678","numberOfUnits":"x","pad":"{}"}}"#,
        "y".repeat(2000)
    );
    let err = receiver()
        .receive(WebhookKind::UtilityBill, &good_headers(), body.as_bytes())
        .unwrap_err();
    let WebhookError::MalformedBody {
        excerpt, reason, ..
    } = &err
    else {
        panic!("{err:?}");
    };
    assert_eq!(
        excerpt,
        &format!(
            r#"{{"accountNumber":"**********5678","companyBiller":{{}},"numberOfUnits":"** redacted **","pad":"{}..."#,
            "y".repeat(163)
        )
    );
    assert_eq!(
        reason,
        "at numberOfUnits: invalid type: string, expected i64"
    );
    assert!(
        !err.json_body().contains("accountNumber"),
        "{}",
        err.json_body()
    );
}

#[test]
fn debug_output_names_the_headers_never_their_values() {
    let verifier = verifier();
    assert_eq!(
        format!("{verifier:?}"),
        r#"WebhookVerifier { headers: ["x-enkash-token", "x-enkash-partner"] }"#
    );
    let receiver = WebhookReceiver::new(verifier).with_max_body_bytes(SMALL_LIMIT);
    assert_eq!(
        format!("{receiver:?}"),
        r#"WebhookReceiver { verifier: WebhookVerifier { headers: ["x-enkash-token", "x-enkash-partner"] }, max_body_bytes: 4096, body_read_timeout: 10s }"#
    );
}

#[cfg(feature = "axum")]
mod through_axum {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::*;

    /// An axum app on 127.0.0.1 with the handler mounted at `/hook` for `kind`; counts the events
    /// the user function saw.
    async fn serve(kind: WebhookKind, limit: usize) -> (String, Arc<AtomicUsize>) {
        serve_receiver(kind, receiver().with_max_body_bytes(limit)).await
    }

    /// [`serve`] with this receiver.
    async fn serve_receiver(
        kind: WebhookKind,
        receiver: WebhookReceiver,
    ) -> (String, Arc<AtomicUsize>) {
        let calls = Arc::new(AtomicUsize::new(0));
        let counter = Arc::clone(&calls);
        let app = axum::Router::new().route(
            "/hook",
            enkash::webhook::axum::handler(receiver, kind, move |event: WebhookEvent| {
                let counter = Arc::clone(&counter);
                async move {
                    assert_eq!(event.kind(), kind);
                    counter.fetch_add(1, Ordering::SeqCst);
                }
            }),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/hook", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await });
        (url, calls)
    }

    async fn post(
        url: &str,
        headers: HeaderMap,
        body: impl Into<reqwest::Body>,
    ) -> reqwest::Response {
        common::plain_http()
            .post(url)
            .headers(headers)
            .body(body)
            .send()
            .await
            .unwrap()
    }

    fn is_json(response: &reqwest::Response) -> bool {
        response
            .headers()
            .get(CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            == Some("application/json")
    }

    #[tokio::test]
    async fn a_good_webhook_is_handed_over_and_acknowledged() {
        let (url, calls) = serve(WebhookKind::UtilityBill, SMALL_LIMIT).await;
        let response = post(&url, good_headers(), seed("bill-payment-webhook.json")).await;
        assert_eq!(response.status(), 200);
        assert!(is_json(&response));
        assert_eq!(response.text().await.unwrap(), "{}");
        assert_eq!(calls.load(Ordering::SeqCst), 1);

        let (url, calls) = serve(WebhookKind::VendorPaymentResponse, SMALL_LIMIT).await;
        let response = post(
            &url,
            good_headers(),
            vendor("payment-response-webhook.webhook.json"),
        )
        .await;
        assert_eq!(response.status(), 200);
        assert!(is_json(&response));
        assert_eq!(
            response.text().await.unwrap(),
            r#"{"response_code":0,"response_message":"SUCCESS","payload":"SUCCESS"}"#
        );
        assert_eq!(calls.load(Ordering::SeqCst), 1);
    }

    #[tokio::test]
    async fn each_bad_request_gets_its_status_and_a_json_error_without_secrets() {
        let (url, calls) = serve(WebhookKind::UtilityBill, SMALL_LIMIT).await;
        for bad in bad_requests() {
            let response = post(&url, bad.headers, bad.body.clone()).await;
            assert_eq!(response.status().as_u16(), bad.status, "{}", bad.what);
            assert!(is_json(&response), "{}", bad.what);
            let text = response.text().await.unwrap();
            let json: serde_json::Value = serde_json::from_str(&text).unwrap();
            let message = json["error"]
                .as_str()
                .unwrap_or_else(|| panic!("{}: {text}", bad.what));
            assert_eq!(json.as_object().unwrap().len(), 1, "{text}");
            assert!(!message.is_empty());
            for secret in [
                SECRET,
                OTHER_SECRET,
                "static-secret",
                "Tech Solutions",
                "UTIL-1",
            ] {
                assert!(!text.contains(secret), "{}: {text}", bad.what);
            }
        }
        assert_eq!(calls.load(Ordering::SeqCst), 0, "the user function ran");
    }

    #[tokio::test]
    async fn error_bodies_name_the_problem() {
        let (url, _) = serve(WebhookKind::UtilityBill, SMALL_LIMIT).await;
        let mut headers = good_headers();
        headers.remove(HEADER);
        let response = post(&url, headers, "{}").await;
        assert_eq!(
            response.text().await.unwrap(),
            r#"{"error":"not authenticated"}"#
        );
        let mut headers = good_headers();
        headers.insert(HEADER, "nope".parse().unwrap());
        let response = post(&url, headers, "{}").await;
        assert_eq!(
            response.text().await.unwrap(),
            r#"{"error":"not authenticated"}"#
        );
    }

    #[tokio::test]
    async fn a_body_that_stops_arriving_is_refused_at_the_read_timeout() {
        let receiver = receiver().with_body_read_timeout(std::time::Duration::from_millis(100));
        let (url, calls) = serve_receiver(WebhookKind::UtilityBill, receiver).await;
        // The start of a body, then nothing more, ever.
        let start =
            futures::stream::iter([Ok::<_, std::io::Error>(b"{\"companyBiller\"".to_vec())]);
        let body = reqwest::Body::wrap_stream(futures::StreamExt::chain(
            start,
            futures::stream::pending(),
        ));
        let response = post(&url, good_headers(), body).await;
        assert_eq!(response.status(), 408);
        assert_eq!(
            response.text().await.unwrap(),
            r#"{"error":"body too slow: the limit is 100 ms"}"#
        );
        assert_eq!(calls.load(Ordering::SeqCst), 0);
    }

    #[tokio::test]
    async fn an_oversize_body_without_a_length_is_cut_off_at_the_limit() {
        let (url, calls) = serve(WebhookKind::UtilityBill, SMALL_LIMIT).await;
        let chunks: Vec<Result<Vec<u8>, std::io::Error>> =
            (0..16).map(|_| Ok(vec![b' '; 1024])).collect();
        let body = reqwest::Body::wrap_stream(futures::stream::iter(chunks));
        let response = post(&url, good_headers(), body).await;
        assert_eq!(response.status(), 413);
        assert_eq!(calls.load(Ordering::SeqCst), 0);
    }

    mod end_to_end {
        use std::time::Duration;

        use enkash::{Client, types};
        use enkash_sandbox::Sandbox;

        use super::*;

        async fn create_and_confirm(client: &Client, reference: &str) -> String {
            let bill = client
                .fetch_current_bill()
                .body(
                    types::BillFetchRequest::builder()
                        .biller_id(2001)
                        .circle(Some(Circle::Mum))
                        .bill_params(types::BillParams::consumer_number("CN123456789")),
                )
                .send()
                .await
                .unwrap();
            let created = client
                .create_bill()
                .body(
                    types::CreateBillRequest::builder()
                        .reference_id(reference.to_owned())
                        .company_biller_id(bill.company_biller_id.clone().unwrap())
                        .bill_amount(bill.bill_amount.unwrap())
                        .bill_net_amount(bill.billnetamount.unwrap()),
                )
                .send()
                .await
                .unwrap();
            let id = created.utility_enkash_id.unwrap();
            client
                .confirm_debit()
                .body(
                    types::UtilityPaymentApprovalRequest::builder()
                        .utility_payment_ids(vec![id.clone()]),
                )
                .send()
                .await
                .unwrap();
            id
        }

        #[tokio::test]
        async fn the_sandbox_webhook_is_received_with_its_headers_checked() {
            let (events, mut received) = tokio::sync::mpsc::channel::<WebhookEvent>(4);
            let app = axum::Router::new().route(
                "/enkash/bill-payment",
                enkash::webhook::axum::handler(
                    receiver(),
                    WebhookKind::UtilityBill,
                    move |event| {
                        let events = events.clone();
                        async move {
                            let _ = events.send(event).await;
                        }
                    },
                ),
            );
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
            let url = format!(
                "http://{}/enkash/bill-payment",
                listener.local_addr().unwrap()
            );
            tokio::spawn(async move { axum::serve(listener, app).await });

            let sandbox = Sandbox::builder()
                .webhook(url)
                .webhook_header(HEADER, SECRET)
                .webhook_header(OTHER_HEADER, OTHER_SECRET)
                .start()
                .await
                .unwrap();
            let client = Client::from_config(sandbox.client_config().unwrap()).unwrap();
            let id = create_and_confirm(&client, "REF-WEBHOOK-E2E").await;

            let event = tokio::time::timeout(Duration::from_secs(10), received.recv())
                .await
                .expect("a webhook within 10 s")
                .expect("a webhook");
            let WebhookEvent::UtilityBill(hook) = event else {
                panic!("not a bill payment webhook");
            };
            assert_eq!(hook.utility_enkash_id.as_deref(), Some(id.as_str()));
            assert_eq!(hook.reference_id.as_deref(), Some("REF-WEBHOOK-E2E"));
            let deliveries = sandbox.wait_for_webhooks(1, Duration::from_secs(5)).await;
            assert_eq!(deliveries.len(), 1);
            assert_eq!(deliveries[0].status, Some(200));
            assert!(deliveries[0].is_acknowledged());
        }

        #[tokio::test]
        async fn a_sandbox_with_the_wrong_header_value_is_refused() {
            let (url, calls) = serve(WebhookKind::UtilityBill, SMALL_LIMIT).await;
            let sandbox = Sandbox::builder()
                .webhook(url)
                .webhook_header(HEADER, "not-the-agreed-value")
                .webhook_header(OTHER_HEADER, OTHER_SECRET)
                .start()
                .await
                .unwrap();
            let client = Client::from_config(sandbox.client_config().unwrap()).unwrap();
            create_and_confirm(&client, "REF-WEBHOOK-BAD").await;
            let deliveries = sandbox.wait_for_webhooks(1, Duration::from_secs(10)).await;
            assert_eq!(deliveries.len(), 1);
            assert_eq!(deliveries[0].status, Some(401));
            assert_eq!(calls.load(Ordering::SeqCst), 0);
        }
    }
}
