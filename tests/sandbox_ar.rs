//! The public client driving every Accounts Receivable operation against the sandbox: the
//! customer life cycle (create, search, partial update with `null` and with values, activate,
//! delete), the invoice life cycle (create, get, partial update, search, dispatch, payment
//! confirmation), the bulk uploads, and the error answers and scripted faults.

mod common;

use chrono::NaiveDate;
use enkash::patch::{CustomerUpdate, InvoiceUpdate};
use enkash::{Amount, Client, types};
use enkash_sandbox::{Fault, Operation, Sandbox, SandboxHandle};
use serde_json::{Value, json};

fn client_for(sandbox: &SandboxHandle) -> Client {
    Client::from_config(sandbox.client_config().unwrap()).unwrap()
}

fn customer_request(name: &str, account: &str) -> types::CustomerCreateRequest {
    serde_json::from_value(json!({
        "legalName": name,
        "accountNumber": account,
        "address": "14 MG Road, Indiranagar, Bengaluru",
        "pinCode": "560038",
        "customerKeyContacts": [{
            "deleted": false,
            "legalName": name,
            "mobile": "9876543210",
            "name": "Priya Sharma",
            "email": "priya.sharma@example.com",
        }],
    }))
    .unwrap()
}

async fn create_customer(client: &Client, name: &str, account: &str) -> String {
    let payload = client
        .create_customer()
        .body(customer_request(name, account))
        .send()
        .await
        .unwrap()
        .unwrap();
    payload["customerId"].as_str().unwrap().to_owned()
}

fn invoice_request(customer_id: &str) -> types::InvoiceCreateRequest {
    serde_json::from_value(json!({
        "customerId": customer_id,
        "invoiceNumber": "INV-2025-0142",
        "dueDate": "2025-06-30",
        "baseAmount": 10000.00,
        "cgst": 900.00,
        "sgst": 900.00,
        "poNumber": "PO-7781",
        "description": "Supply of packaging material, May 2025",
        "partialPaymentAllowed": true,
    }))
    .unwrap()
}

async fn search_customers(client: &Client, filter: Value) -> Vec<Value> {
    let payload = client
        .search_customer()
        .body(serde_json::from_value::<types::CustomerSearchRequest>(filter).unwrap())
        .send()
        .await
        .unwrap()
        .unwrap();
    payload.as_array().unwrap().clone()
}

async fn search_invoices(client: &Client, filter: Value) -> Vec<String> {
    let payload = client
        .search_collection_invoices()
        .body(serde_json::from_value::<types::InvoiceSearchRequest>(filter).unwrap())
        .send()
        .await
        .unwrap()
        .unwrap();
    payload
        .as_array()
        .unwrap()
        .iter()
        .map(|invoice| invoice["invoiceId"].as_str().unwrap().to_owned())
        .collect()
}

fn is_customer_id(id: &str) -> bool {
    id.len() == 16
        && id.starts_with("KC")
        && id[2..]
            .chars()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
}

#[tokio::test]
async fn a_customer_is_created_searched_updated_activated_and_deleted() {
    let sandbox = Sandbox::builder().start().await.unwrap();
    let client = client_for(&sandbox);

    let id = create_customer(&client, "Sharma Traders Private Limited", "50100234567890").await;
    assert!(is_customer_id(&id), "{id}");
    let other = create_customer(&client, "Verma Textiles LLP", "60200345678901").await;
    assert_ne!(id, other);
    assert_eq!(sandbox.customers().len(), 2);

    let found = search_customers(&client, json!({"accountNumber": "50100234567890"})).await;
    assert_eq!(found.len(), 1);
    assert_eq!(found[0]["customerId"], id.as_str());
    assert_eq!(found[0]["status"], "ACTIVE");

    // A value sets, null clears, a field left out stays.
    let updated = client
        .update_customer()
        .customer_id(id.as_str())
        .body(
            CustomerUpdate::new()
                .assigned_agent("Rahul Verma")
                .pin_code("560025")
                .branch_codes(vec!["BLR-01".to_owned()])
                .clear_address(),
        )
        .send()
        .await
        .unwrap()
        .unwrap();
    assert_eq!(updated["assignedAgent"], "Rahul Verma");
    assert_eq!(updated["pinCode"], "560025");
    assert_eq!(updated["branchCodes"], json!(["BLR-01"]));
    assert!(updated.get("address").is_none(), "{updated}");
    assert_eq!(updated["legalName"], "Sharma Traders Private Limited");
    let stored = sandbox.customer(&id).unwrap();
    assert!(stored.get("address").is_none());
    assert_eq!(stored["assignedAgent"], "Rahul Verma");

    let by_agent = search_customers(&client, json!({"assignedAgent": "rahul verma"})).await;
    assert_eq!(by_agent.len(), 1);
    assert_eq!(by_agent[0]["customerId"], id.as_str());

    // Clearing the value set above.
    client
        .update_customer()
        .customer_id(id.as_str())
        .body(CustomerUpdate::new().clear_assigned_agent())
        .send()
        .await
        .unwrap();
    assert!(
        sandbox
            .customer(&id)
            .unwrap()
            .get("assignedAgent")
            .is_none()
    );
    assert!(
        search_customers(&client, json!({"assignedAgent": "Rahul Verma"}))
            .await
            .is_empty()
    );

    assert!(sandbox.deactivate_customer(&id));
    assert_eq!(sandbox.customer(&id).unwrap()["status"], "INACTIVE");
    let activated = client
        .activate_customer()
        .customer_id(id.as_str())
        .send()
        .await
        .unwrap()
        .unwrap();
    assert_eq!(activated["status"], "ACTIVE");
    assert_eq!(activated["active"], true);

    let deleted = client
        .delete_customer_by_customer_id()
        .customer_id(id.as_str())
        .send()
        .await
        .unwrap();
    assert_eq!(deleted.as_deref(), Some("Customer deleted successfully"));
    assert!(sandbox.customer(&id).is_none());
    assert_eq!(sandbox.customers().len(), 1);
    let err = client
        .activate_customer()
        .customer_id(id.as_str())
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.meta().http_status, Some(404), "{err:?}");
}

#[tokio::test]
async fn an_invoice_is_created_updated_searched_dispatched_and_paid() {
    let sandbox = Sandbox::builder().start().await.unwrap();
    let client = client_for(&sandbox);
    let customer =
        create_customer(&client, "Sharma Traders Private Limited", "50100234567890").await;

    let created = client
        .create_invoice()
        .body(invoice_request(&customer))
        .send()
        .await
        .unwrap()
        .unwrap();
    let id = created["invoiceId"].as_str().unwrap().to_owned();
    assert_eq!(
        serde_json::from_value::<Amount>(created["netAmount"].clone()).unwrap(),
        Amount::from(11_800)
    );
    assert_eq!(created["receivableStatus"]["name"], "UNPAID");

    let invoice = client.get_invoice().invoice_id(&id).send().await.unwrap();
    assert_eq!(invoice.invoice_id.as_deref(), Some(id.as_str()));
    assert_eq!(invoice.customer_id.as_deref(), Some(customer.as_str()));
    assert_eq!(
        invoice.customer_legal_name.as_deref(),
        Some("Sharma Traders Private Limited")
    );
    assert_eq!(invoice.net_amount, Some(Amount::from(11_800)));
    assert_eq!(invoice.balance_amount, Some(Amount::from(11_800)));
    assert_eq!(invoice.dispatched, Some(false));
    assert_eq!(invoice.has_key_contacts, Some(true));

    let due = NaiveDate::from_ymd_opt(2025, 7, 15).unwrap();
    let updated = client
        .update_invoice()
        .invoice_id(&id)
        .body(
            InvoiceUpdate::new()
                .due_date(due)
                .clear_po_number()
                .sgst(Amount::from(1_000))
                .description("Revised due date"),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(updated.due_date, Some(due));
    assert_eq!(updated.po_number, None);
    assert_eq!(updated.description.as_deref(), Some("Revised due date"));
    assert_eq!(updated.net_amount, Some(Amount::from(11_900)));
    assert_eq!(updated.invoice_number.as_deref(), Some("INV-2025-0142"));
    assert_eq!(sandbox.invoice(&id).unwrap().po_number, None);

    let filter = json!({"customerIds": [customer], "dispatched": false});
    assert_eq!(search_invoices(&client, filter).await, vec![id.clone()]);
    let due_in_july =
        json!({"dueDateFrom": "2025-07-01 00:00:00", "dueDateTo": "2025-07-31 23:59:59"});
    assert_eq!(
        search_invoices(&client, due_in_july).await,
        vec![id.clone()]
    );
    assert!(
        search_invoices(&client, json!({"dueDateTo": "2025-06-30 23:59:59"}))
            .await
            .is_empty()
    );

    client
        .dispatch_invoice_collection()
        .body(
            serde_json::from_value::<types::InvoiceDispatchRequest>(
                json!({"invoiceIds": [id], "partialPaymentAllowed": false}),
            )
            .unwrap(),
        )
        .send()
        .await
        .unwrap();
    let dispatched = sandbox.invoice(&id).unwrap();
    assert_eq!(dispatched.dispatched, Some(true));
    assert!(dispatched.dispatched_on.is_some());
    assert_eq!(dispatched.partial_payment_allowed, Some(false));
    assert_eq!(
        search_invoices(&client, json!({"dispatched": true})).await,
        vec![id.clone()]
    );

    let confirmation: types::PaymentConfirmationRequest = serde_json::from_value(json!({
        "invoiceIds": [id],
        "paymentId": "PAYR4T7W2X9Z6K",
        "remarks": "Received by NEFT",
        "response": "ACCEPT",
        "type": "OFFPLATFORM",
    }))
    .unwrap();
    client
        .confirm_invoice_payment()
        .body(confirmation.clone())
        .send()
        .await
        .unwrap();
    let paid = client.get_invoice().invoice_id(&id).send().await.unwrap();
    assert_eq!(
        paid.receivable_status
            .and_then(|status| status.name)
            .as_deref(),
        Some("PAID")
    );
    assert_eq!(paid.total_received, Some(Amount::from(11_900)));
    assert_eq!(paid.balance_amount, Some(Amount::from(0)));
    let payments = sandbox.invoice_payments(&id);
    assert_eq!(payments.len(), 1);
    assert_eq!(payments[0].payment_id, "PAYR4T7W2X9Z6K");
    assert_eq!(payments[0].response, "ACCEPT");
    assert_eq!(
        search_invoices(&client, json!({"collectionMode": ["OFFPLATFORM"]})).await,
        vec![id.clone()]
    );

    // A paid invoice cannot be paid again.
    let err = client
        .confirm_invoice_payment()
        .body(confirmation)
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.meta().http_status, Some(422), "{err:?}");
    assert_eq!(sandbox.invoice_payments(&id).len(), 1);
}

#[tokio::test]
async fn unknown_records_are_404_and_inactive_customers_422() {
    let sandbox = Sandbox::builder().start().await.unwrap();
    let client = client_for(&sandbox);

    let err = client
        .get_invoice()
        .invoice_id("INVC-NOPE")
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.meta().http_status, Some(404));
    let err = client
        .create_invoice()
        .body(invoice_request("KCAAAAAAAAAAAAAA"))
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.meta().http_status, Some(404));
    assert!(sandbox.invoices().is_empty());

    let customer = create_customer(&client, "Dormant Pvt Ltd", "50100234567890").await;
    sandbox.deactivate_customer(&customer);
    let err = client
        .create_invoice()
        .body(invoice_request(&customer))
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.meta().http_status, Some(422));
    assert!(sandbox.invoices().is_empty());
}

#[tokio::test]
async fn bulk_uploads_acknowledge_that_nothing_was_parsed() {
    let sandbox = Sandbox::builder().start().await.unwrap();
    let client = client_for(&sandbox);

    let customers = client
        .create_bulk_customer()
        .company_id("CEKFOWV7UQ")
        .send()
        .await
        .unwrap()
        .unwrap();
    assert_eq!(customers["fileReceived"], false);
    assert_eq!(customers["rowsParsed"], 0);
    let updates = client
        .bulk_update_customers()
        .send()
        .await
        .unwrap()
        .unwrap();
    assert_eq!(updates["rowsApplied"], 0);
    let invoices = client.invoice_bulk_upload().send().await.unwrap().unwrap();
    assert_eq!(invoices["rowsParsed"], 0);
    assert!(sandbox.customers().is_empty() && sandbox.invoices().is_empty());

    // A real multipart upload is acknowledged, not read.
    let token = bearer(&sandbox).await;
    let http = common::plain_http();
    let body = "--XyZ\r\nContent-Disposition: form-data; name=\"file\"; filename=\"customers.csv\"\r\n\
                Content-Type: text/csv\r\n\r\nlegalName\r\nAcme\r\n--XyZ--\r\n";
    let answer: Value = http
        .post(format!(
            "{}/api/v0/customer/bulk?companyId=CEKFOWV7UQ",
            sandbox.base_url()
        ))
        .bearer_auth(&token)
        .header("content-type", "multipart/form-data; boundary=XyZ")
        .body(body)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(answer["response_code"], 0);
    assert_eq!(answer["payload"]["fileReceived"], true);
    assert_eq!(answer["payload"]["fileName"], "customers.csv");
    assert_eq!(answer["payload"]["rowsParsed"], 0);
    assert!(sandbox.customers().is_empty());

    let refused = http
        .post(format!("{}/api/v0/invoice/bulk/create", sandbox.base_url()))
        .bearer_auth(&token)
        .header("content-type", "application/json")
        .body("{}")
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status().as_u16(), 415);
}

async fn bearer(sandbox: &SandboxHandle) -> String {
    let credentials = sandbox.credentials();
    let answer: Value = common::plain_http()
        .post(format!("{}/oauth/token", sandbox.base_url()))
        .basic_auth(
            &credentials.client_id,
            Some(credentials.client_secret.expose()),
        )
        .form(&[
            ("username", credentials.username.as_str()),
            ("password", credentials.password.expose()),
            ("grant_type", "password"),
            ("clientId", credentials.client_id.as_str()),
        ])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    answer["access_token"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn wire_rules_bearer_token_error_shape_and_plain_fields() {
    let sandbox = Sandbox::builder().start().await.unwrap();
    let http = common::plain_http();
    let url = |path: &str| format!("{}{path}", sandbox.base_url());

    let anonymous = http
        .post(url("/api/v0/customer/search"))
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(anonymous.status().as_u16(), 401);

    let token = bearer(&sandbox).await;
    let missing = http
        .get(url("/api/v0/invoice/INVC-NOPE"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status().as_u16(), 404);
    let body: Value = missing.json().await.unwrap();
    assert_eq!(body["response_code"], 1);
    assert_eq!(body["errorResponse"]["errorType"], "RECORD_NOT_FOUND");

    // customerId is the one field of the invoice update that cannot be null; amounts are numbers.
    for patch in [json!({"customerId": null}), json!({"baseAmount": "100"})] {
        let answer = http
            .patch(url("/api/v0/invoice/INVC-NOPE"))
            .bearer_auth(&token)
            .json(&patch)
            .send()
            .await
            .unwrap();
        assert_eq!(answer.status().as_u16(), 412, "{patch}");
    }
    let bad_id = http
        .put(url("/api/v0/customer/activate/KC123"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(bad_id.status().as_u16(), 400);
    let bad_limit = http
        .post(url("/api/v0/customer/search?limit=51"))
        .bearer_auth(&token)
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(bad_limit.status().as_u16(), 400);
}

#[tokio::test]
async fn scripted_faults_apply_to_receivables_operations() {
    let sandbox = Sandbox::builder().start().await.unwrap();
    let client = client_for(&sandbox);
    let customer =
        create_customer(&client, "Sharma Traders Private Limited", "50100234567890").await;

    assert_eq!("create_invoice".parse(), Ok(Operation::CreateInvoice));
    sandbox.inject(Operation::CreateInvoice, Fault::gateway_html(504), 1);
    sandbox.inject(Operation::GetInvoice, Fault::malformed_body(), 1);
    let err = client
        .create_invoice()
        .body(invoice_request(&customer))
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.meta().http_status, Some(504), "{err:?}");
    assert!(sandbox.invoices().is_empty());

    let created = client
        .create_invoice()
        .body(invoice_request(&customer))
        .send()
        .await
        .unwrap()
        .unwrap();
    let id = created["invoiceId"].as_str().unwrap();
    let err = client
        .get_invoice()
        .invoice_id(id)
        .send()
        .await
        .unwrap_err();
    assert!(err.is_decode(), "{err:?}");
    assert!(client.get_invoice().invoice_id(id).send().await.is_ok());
    assert_eq!(sandbox.calls(Operation::CreateInvoice), 2);
    assert_eq!(sandbox.calls(Operation::GetInvoice), 2);
}
