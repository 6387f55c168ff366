//! The whole bill payment flow through the public client.
//!
//! ```text
//! cargo run --example quickstart
//! ```
//!
//! Without `ENKASH_*` credentials it starts the sandbox (the `enkash-sandbox` crate of this workspace) (and a webhook receiver) on
//! 127.0.0.1 and runs against them. With `ENKASH_CLIENT_ID`, `ENKASH_CLIENT_SECRET`,
//! `ENKASH_USERNAME` and `ENKASH_PASSWORD` set (and `ENKASH_BASE_URL` for anything but UAT) it runs
//! against that EnKash environment instead, and stops before money moves unless given
//! `--move-money`. The biller and consumer number default to the sandbox's; set
//! `ENKASH_QUICKSTART_BILLER_ID` and `ENKASH_QUICKSTART_CONSUMER_NUMBER` for a real one.

use std::process::ExitCode;
use std::time::Duration;

use axum::Json;
use axum::extract::State;
use axum::http::HeaderMap;
use enkash::enums::BillpayStatus;
use enkash::{Client, types};
use enkash_sandbox::{Sandbox, SandboxHandle};
use tokio::sync::mpsc;

/// The static header the sandbox sends with every webhook, and the receiver checks.
const WEBHOOK_HEADER: (&str, &str) = ("x-quickstart-secret", "s3cr3t-webhook-header");

#[tokio::main]
async fn main() -> ExitCode {
    match run().await {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("\nquickstart failed: {message}");
            ExitCode::FAILURE
        }
    }
}

/// Where the flow runs.
enum Target {
    Sandbox {
        sandbox: SandboxHandle,
        webhooks: mpsc::Receiver<types::UtilityBillWebhookRequest>,
    },
    Configured {
        move_money: bool,
    },
}

async fn run() -> Result<(), String> {
    let credentials_set = std::env::var_os("ENKASH_CLIENT_ID").is_some();
    let (client, mut target) = if credentials_set {
        let client = Client::from_env().map_err(|err| err.to_string())?;
        step(&format!(
            "using EnKash at {}",
            client.config().environment.base_url()
        ));
        let move_money = std::env::args().any(|arg| arg == "--move-money");
        (client, Target::Configured { move_money })
    } else {
        let (webhook_url, webhooks) = start_webhook_receiver().await?;
        let sandbox = Sandbox::builder()
            .webhook(webhook_url.clone())
            .webhook_header(WEBHOOK_HEADER.0, WEBHOOK_HEADER.1)
            .settle_after(Duration::from_millis(300))
            .start()
            .await
            .map_err(|err| err.to_string())?;
        step(&format!(
            "started the sandbox at {} (webhooks to {webhook_url})",
            sandbox.base_url()
        ));
        let config = sandbox.client_config().map_err(|err| err.to_string())?;
        let client = Client::from_config(config).map_err(|err| err.to_string())?;
        (client, Target::Sandbox { sandbox, webhooks })
    };

    let biller_id: i32 = env_or("ENKASH_QUICKSTART_BILLER_ID", "2001")
        .parse()
        .map_err(|_| "ENKASH_QUICKSTART_BILLER_ID must be a number")?;
    let consumer_number = env_or("ENKASH_QUICKSTART_CONSUMER_NUMBER", "CN123456789");

    step(&format!(
        "fetch the current bill of consumer {consumer_number} at biller {biller_id}"
    ));
    let fetch = types::BillFetchRequest::builder()
        .biller_id(biller_id)
        .circle(Some(enkash::enums::Circle::Mum))
        .bill_params(types::BillParams::consumer_number(consumer_number.clone()));
    let bill = client
        .fetch_current_bill()
        .body(fetch)
        .send()
        .await
        .map_err(|e| e.to_string())?;
    if let Target::Sandbox { sandbox, .. } = &target {
        detail(&format!(
            "token requests so far: {}",
            sandbox.token_requests()
        ));
    }
    detail(&format!(
        "bill {} for {}: amount {}, net {}, due {}",
        bill.bill_number.as_deref().unwrap_or("?"),
        bill.user_name.as_deref().unwrap_or("?"),
        show(&bill.bill_amount),
        show(&bill.billnetamount),
        show(&bill.due_date),
    ));

    if let Target::Configured { move_money: false } = target {
        step("stopping before money moves (pass --move-money to create and approve the bill)");
        return Ok(());
    }

    // A fetch answer without a biller id or an amount is no bill to pay: never pay a default.
    let company_biller_id = bill
        .company_biller_id
        .clone()
        .ok_or("the fetch gave no companyBillerId")?;
    let amount = bill
        .billnetamount
        .or(bill.bill_amount)
        .ok_or("the fetch gave no amount")?;
    let reference_id = format!("QS-{}", chrono::Utc::now().format("%Y%m%d%H%M%S%3f"));
    step(&format!("create the bill with referenceId {reference_id}"));
    let create = types::CreateBillRequest::builder()
        .reference_id(reference_id.clone())
        .company_biller_id(company_biller_id)
        .bill_amount(amount)
        .bill_net_amount(amount)
        .bill_number(bill.bill_number.clone())
        .bill_id(bill.bill_id.clone())
        .validation_id(bill.validation_id.clone());
    let created = client
        .create_bill()
        .body(create)
        .send()
        .await
        .map_err(|e| e.to_string())?;
    let utility_enkash_id = created
        .utility_enkash_id
        .clone()
        .ok_or("no utilityEnkashId")?;
    detail(&format!(
        "created {utility_enkash_id}: approval {}, payment {}",
        show(&created.approval_status),
        show(&created.payment_status)
    ));

    step("confirm the debit (checker approval)");
    let approve = types::UtilityPaymentApprovalRequest::builder()
        .utility_payment_ids(vec![utility_enkash_id.clone()])
        .approval_status(types::CheckerApproval::CheckerApproved)
        // Text is checked against the field's pattern when the request is built.
        .remarks("Approved by quickstart");
    client
        .confirm_debit()
        .body(approve)
        .send()
        .await
        .map_err(|e| e.to_string())?;
    detail("approved");

    step("poll the bill's status until BBPS settles it");
    let mut settled = None;
    for attempt in 1..=40 {
        let status = client
            .get_utility_bill_status()
            .utility_enkash_id(&utility_enkash_id)
            .send()
            .await
            .map_err(|e| e.to_string())?;
        detail(&format!(
            "poll {attempt}: billpayStatus {}, paymentStatus {}",
            show(&status.billpay_status),
            show(&status.payment_status)
        ));
        if matches!(
            status.billpay_status,
            Some(BillpayStatus::Success | BillpayStatus::Failed)
        ) {
            settled = Some(status);
            break;
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    let settled = settled.ok_or("the bill did not settle")?;

    if let Target::Sandbox { webhooks, .. } = &mut target {
        step("receive the webhook");
        let hook = tokio::time::timeout(Duration::from_secs(10), webhooks.recv())
            .await
            .map_err(|_| "no webhook within 10 s")?
            .ok_or("the webhook receiver stopped")?;
        detail(&format!(
            "webhook for {}: billpayStatus {}, amount {} (static header checked)",
            hook.utility_enkash_id.as_deref().unwrap_or("?"),
            show(&hook.billpay_status),
            show(&hook.amount)
        ));
    }

    step(&format!("look the bill up by referenceId {reference_id}"));
    match client
        .resolve_by_reference_id(&reference_id)
        .await
        .map_err(|e| e.to_string())?
    {
        enkash::Resolution::WentThrough(found) => detail(&format!(
            "found {}, billReferenceId {}",
            found.utility_enkash_id.as_deref().unwrap_or("?"),
            found.bill_reference_id.as_deref().unwrap_or("?")
        )),
        other => return Err(format!("unexpected resolution {other:?}")),
    }

    step("search bills by consumer number");
    let search = types::UtilityBillSearchRequest::builder()
        .consumer_number(&consumer_number)
        .offset(Some(0))
        .limit(std::num::NonZeroU32::new(10));
    let found = client
        .search_utility_bills()
        .body(search)
        .send()
        .await
        .map_err(|e| e.to_string())?;
    detail(&format!("{} bill(s) found", found.len()));

    step(&format!(
        "done: bill {utility_enkash_id} is {} ({} paid)",
        show(&settled.billpay_status),
        show(&settled.amount)
    ));
    if let Target::Sandbox { sandbox, .. } = target {
        detail(&format!(
            "token requests in total: {}",
            sandbox.token_requests()
        ));
        sandbox.shutdown().await;
    }
    Ok(())
}

/// Starts an axum app on 127.0.0.1 that accepts the bill payment webhook when it carries the
/// agreed static header, and answers `{}` as EnKash expects.
async fn start_webhook_receiver()
-> Result<(String, mpsc::Receiver<types::UtilityBillWebhookRequest>), String> {
    async fn receive(
        State(sender): State<mpsc::Sender<types::UtilityBillWebhookRequest>>,
        headers: HeaderMap,
        Json(body): Json<types::UtilityBillWebhookRequest>,
    ) -> Result<Json<serde_json::Value>, axum::http::StatusCode> {
        if headers.get(WEBHOOK_HEADER.0).and_then(|v| v.to_str().ok()) != Some(WEBHOOK_HEADER.1) {
            return Err(axum::http::StatusCode::UNAUTHORIZED);
        }
        let _ = sender.send(body).await;
        Ok(Json(serde_json::json!({})))
    }
    let (sender, receiver) = mpsc::channel(16);
    let app = axum::Router::new()
        .route("/enkash/webhook", axum::routing::post(receive))
        .with_state(sender);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .map_err(|err| err.to_string())?;
    let url = format!(
        "http://{}/enkash/webhook",
        listener.local_addr().map_err(|err| err.to_string())?
    );
    tokio::spawn(async move { axum::serve(listener, app).await });
    Ok((url, receiver))
}

fn env_or(name: &str, default: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| default.to_owned())
}

fn show<T: std::fmt::Display>(value: &Option<T>) -> String {
    value
        .as_ref()
        .map_or_else(|| "-".to_owned(), ToString::to_string)
}

fn step(text: &str) {
    println!("\n==> {text}");
}

fn detail(text: &str) {
    println!("    {text}");
}
