//! Receiving the bill payment webhook with `enkash::webhook`.
//!
//! ```text
//! cargo run --example webhook_receiver --features axum
//! ```
//!
//! Starts an axum app on 127.0.0.1 with the webhook handler mounted at `/enkash/bill-payment`,
//! starts the sandbox (`enkash-sandbox`) with that URL and a static header, creates and confirms a bill
//! through the client, and prints the webhook the handler received. Exits 0 once it arrived,
//! 1 when none came within 10 s (or anything else failed).

use std::process::ExitCode;
use std::time::Duration;

use enkash::webhook::{WebhookEvent, WebhookKind, WebhookReceiver, WebhookVerifier};
use enkash::{Client, types};
use enkash_sandbox::Sandbox;
use tokio::sync::mpsc;

/// The static header agreed with EnKash (here: with the sandbox).
const HEADER_NAME: &str = "x-enkash-webhook-token";
const HEADER_VALUE: &str = "example-static-header-value";

#[tokio::main]
async fn main() -> ExitCode {
    match run().await {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("webhook_receiver failed: {message}");
            ExitCode::FAILURE
        }
    }
}

async fn run() -> Result<(), String> {
    // 1. The merchant's webhook endpoint.
    let (events, mut received) = mpsc::channel::<WebhookEvent>(8);
    let verifier = WebhookVerifier::new(HEADER_NAME, HEADER_VALUE).map_err(|e| e.to_string())?;
    let receiver = WebhookReceiver::new(verifier);
    let app = axum::Router::new().route(
        "/enkash/bill-payment",
        enkash::webhook::axum::handler(receiver, WebhookKind::UtilityBill, move |event| {
            let events = events.clone();
            async move {
                let _ = events.send(event).await;
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .map_err(|e| e.to_string())?;
    let url = format!(
        "http://{}/enkash/bill-payment",
        listener.local_addr().map_err(|e| e.to_string())?
    );
    tokio::spawn(async move { axum::serve(listener, app).await });
    println!("webhook endpoint: {url}");

    // 2. The sandbox, delivering webhooks there with the static header.
    let sandbox = Sandbox::builder()
        .webhook(url)
        .webhook_header(HEADER_NAME, HEADER_VALUE)
        .start()
        .await
        .map_err(|e| e.to_string())?;
    println!("sandbox: {}", sandbox.base_url());
    let client = Client::from_config(sandbox.client_config().map_err(|e| e.to_string())?)
        .map_err(|e| e.to_string())?;

    // 3. Fetch, create and confirm a bill: it settles, and the sandbox POSTs the webhook.
    let bill = client
        .fetch_current_bill()
        .body(
            types::BillFetchRequest::builder()
                .biller_id(2001)
                .circle(Some(enkash::enums::Circle::Mum))
                .bill_params(types::BillParams::consumer_number("CN123456789")),
        )
        .send()
        .await
        .map_err(|e| e.to_string())?;
    let company_biller_id = bill
        .company_biller_id
        .ok_or("the fetch gave no companyBillerId")?;
    let amount = bill
        .billnetamount
        .or(bill.bill_amount)
        .ok_or("the fetch gave no amount")?;
    let reference_id = format!("WH-{}", chrono::Utc::now().format("%Y%m%d%H%M%S%3f"));
    let created = client
        .create_bill()
        .body(
            types::CreateBillRequest::builder()
                .reference_id(reference_id.clone())
                .company_biller_id(company_biller_id)
                .bill_amount(amount)
                .bill_net_amount(amount),
        )
        .send()
        .await
        .map_err(|e| e.to_string())?;
    let utility_enkash_id = created.utility_enkash_id.ok_or("no utilityEnkashId")?;
    println!("created bill {utility_enkash_id} (referenceId {reference_id})");
    client
        .confirm_debit()
        .body(
            types::UtilityPaymentApprovalRequest::builder()
                .utility_payment_ids(vec![utility_enkash_id.clone()]),
        )
        .send()
        .await
        .map_err(|e| e.to_string())?;
    println!("confirmed the debit; waiting for the webhook");

    // 4. The event the handler received.
    let event = tokio::time::timeout(Duration::from_secs(10), received.recv())
        .await
        .map_err(|_| "no webhook within 10 s")?
        .ok_or("the webhook endpoint stopped")?;
    let WebhookEvent::UtilityBill(hook) = &event else {
        return Err(format!("unexpected webhook {}", event.kind()));
    };
    println!(
        "received {}: bill {}, referenceId {}, paymentStatus {}, billpayStatus {}, amount {}",
        event.kind(),
        hook.utility_enkash_id.as_deref().unwrap_or("-"),
        hook.reference_id.as_deref().unwrap_or("-"),
        show(&hook.payment_status),
        show(&hook.billpay_status),
        show(&hook.amount),
    );
    if hook.utility_enkash_id.as_deref() != Some(utility_enkash_id.as_str()) {
        return Err("the webhook is about another bill".to_owned());
    }
    sandbox.shutdown().await;
    Ok(())
}

fn show<T: std::fmt::Display>(value: &Option<T>) -> String {
    value
        .as_ref()
        .map_or_else(|| "-".to_owned(), ToString::to_string)
}
