//! The public client driving the sandbox through what goes wrong in production: a duplicate
//! referenceId, the velocity limit, a 5XX on create bill settled by the referenceId lookup, a
//! token that expires mid-flow, and the webhook with its static headers.

use std::time::Duration;

use enkash::{Client, Resolution, types};
use enkash_sandbox::{Fault, Operation, Sandbox, SandboxHandle};

async fn client_for(sandbox: &SandboxHandle) -> Client {
    Client::from_config(sandbox.client_config().unwrap()).unwrap()
}

async fn fetched_bill(client: &Client) -> types::BillFetchResponse {
    client
        .fetch_current_bill()
        .body(
            types::BillFetchRequest::builder()
                .biller_id(2001)
                .circle(Some(enkash::enums::Circle::Mum))
                .bill_params(types::BillParams::consumer_number("CN123456789")),
        )
        .send()
        .await
        .unwrap()
}

fn create(bill: &types::BillFetchResponse, reference: &str) -> types::builder::CreateBillRequest {
    types::CreateBillRequest::builder()
        .reference_id(reference.to_owned())
        .company_biller_id(bill.company_biller_id.clone().unwrap())
        .bill_amount(bill.bill_amount.unwrap())
        .bill_net_amount(bill.billnetamount.unwrap())
}

#[tokio::test]
async fn a_duplicate_reference_id_is_code_38_and_the_first_bill_stands() {
    let sandbox = Sandbox::builder().start().await.unwrap();
    let client = client_for(&sandbox).await;
    let bill = fetched_bill(&client).await;
    let first = client
        .create_bill()
        .body(create(&bill, "REF-DUP"))
        .send()
        .await
        .unwrap();
    let err = client
        .create_bill()
        .body(create(&bill, "REF-DUP"))
        .send()
        .await
        .unwrap_err();
    assert!(err.is_duplicate_reference_id(), "{err:?}");
    assert_eq!(err.meta().code, Some(38));
    assert_eq!(sandbox.bills().len(), 1);
    assert_eq!(
        sandbox
            .bill_by_reference("REF-DUP")
            .unwrap()
            .utility_enkash_id,
        first.utility_enkash_id
    );
}

#[tokio::test]
async fn the_velocity_limit_is_code_36_and_not_retried() {
    let sandbox = Sandbox::builder()
        .velocity_limit(2, Duration::from_secs(60))
        .start()
        .await
        .unwrap();
    let client = client_for(&sandbox).await;
    let bill = fetched_bill(&client).await;
    for n in 1..=2 {
        client
            .create_bill()
            .body(create(&bill, &format!("REF-V{n}")))
            .send()
            .await
            .unwrap();
    }
    let err = client
        .create_bill()
        .body(create(&bill, "REF-V3"))
        .send()
        .await
        .unwrap_err();
    assert!(err.is_velocity_limit(), "{err:?}");
    assert_eq!(sandbox.calls(Operation::CreateBill), 3);
    assert!(sandbox.bill_by_reference("REF-V3").is_none());
}

#[tokio::test]
async fn a_5xx_on_create_bill_is_settled_by_the_reference_id_lookup() {
    let sandbox = Sandbox::builder().start().await.unwrap();
    let client = client_for(&sandbox).await;
    let bill = fetched_bill(&client).await;

    sandbox.inject(Operation::CreateBill, Fault::gateway_html(504), 1);
    let err = client
        .create_bill()
        .body(create(&bill, "REF-504"))
        .send()
        .await
        .unwrap_err();
    let unknown = err.outcome_unknown().unwrap_or_else(|| panic!("{err:?}"));
    assert_eq!(unknown.reference_id(), Some("REF-504"));
    assert_eq!(unknown.http_status, Some(504));
    assert_eq!(sandbox.calls(Operation::CreateBill), 1, "not resent");

    // The gateway answered before EnKash applied it: the lookup proves it, and only then is the
    // same request sent again.
    assert!(matches!(
        client.resolve_by_reference_id("REF-504").await.unwrap(),
        Resolution::DidNotGoThrough
    ));
    let created = client
        .create_bill()
        .body(create(&bill, "REF-504"))
        .send()
        .await
        .unwrap();
    assert!(created.utility_enkash_id.is_some());
    assert!(matches!(
        client.resolve_by_reference_id("REF-504").await.unwrap(),
        Resolution::WentThrough(_)
    ));
    assert_eq!(sandbox.calls(Operation::CreateBill), 2);
}

#[tokio::test]
async fn a_token_that_expires_mid_flow_is_renewed_without_failing_a_call() {
    let sandbox = Sandbox::builder()
        .token_lifetime(Duration::from_secs(2))
        .start()
        .await
        .unwrap();
    let client = client_for(&sandbox).await;
    let bill = fetched_bill(&client).await;
    let created = client
        .create_bill()
        .body(create(&bill, "REF-EXP"))
        .send()
        .await
        .unwrap();
    // The token the client holds is now dead on the server's side.
    sandbox.revoke_tokens();
    let id = created.utility_enkash_id.unwrap();
    client
        .get_utility_bill_status()
        .utility_enkash_id(&id)
        .send()
        .await
        .unwrap();
    // And it expires by time: the client renews it ahead of expiry.
    tokio::time::sleep(Duration::from_millis(2100)).await;
    client
        .get_utility_bill_status()
        .utility_enkash_id(&id)
        .send()
        .await
        .unwrap();
    assert_eq!(sandbox.token_requests(), 3);
}

#[tokio::test]
async fn the_webhook_arrives_with_its_static_headers() {
    use axum::http::HeaderMap;
    let (sender, mut received) =
        tokio::sync::mpsc::channel::<(HeaderMap, types::UtilityBillWebhookRequest)>(4);
    let app = axum::Router::new().route(
        "/hook",
        axum::routing::post(
            move |headers: HeaderMap,
                  axum::Json(body): axum::Json<types::UtilityBillWebhookRequest>| {
                let sender = sender.clone();
                async move {
                    let _ = sender.send((headers, body)).await;
                    axum::Json(serde_json::json!({}))
                }
            },
        ),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });

    let sandbox = Sandbox::builder()
        .webhook(url)
        .webhook_header("X-Enkash-Token", "static-value-9")
        .start()
        .await
        .unwrap();
    let client = client_for(&sandbox).await;
    let bill = fetched_bill(&client).await;
    let created = client
        .create_bill()
        .body(create(&bill, "REF-HOOK"))
        .send()
        .await
        .unwrap();
    let id = created.utility_enkash_id.unwrap();
    client
        .confirm_debit()
        .body(types::UtilityPaymentApprovalRequest::builder().utility_payment_ids(vec![id.clone()]))
        .send()
        .await
        .unwrap();
    let (headers, hook) = tokio::time::timeout(Duration::from_secs(10), received.recv())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(headers.get("x-enkash-token").unwrap(), "static-value-9");
    assert_eq!(hook.utility_enkash_id.as_deref(), Some(id.as_str()));
    assert_eq!(hook.reference_id.as_deref(), Some("REF-HOOK"));
    assert_eq!(hook.amount, bill.billnetamount);
}
