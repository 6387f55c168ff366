//! The sandbox, driven over HTTP with plain reqwest.

mod common;

use std::time::Duration;

use enkash::enums::{ApprovalStatus, BillpayStatus, PaymentStatus};
use enkash::{Amount, Credentials, types};
use enkash_sandbox::{Fault, Operation, Sandbox, SandboxBuilder, SandboxHandle};
use reqwest::StatusCode;
use serde_json::{Value, json};

/// A started sandbox and a client holding a token for it.
struct Api {
    sandbox: SandboxHandle,
    http: reqwest::Client,
    token: String,
}

impl Api {
    async fn start(builder: SandboxBuilder) -> Self {
        let sandbox = builder.start().await.expect("sandbox starts");
        let http = common::plain_http();
        let token = token(&http, &sandbox).await;
        Self {
            sandbox,
            http,
            token,
        }
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.sandbox.base_url())
    }

    async fn send(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        let mut request = self
            .http
            .request(method, self.url(path))
            .bearer_auth(&self.token);
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.expect("an HTTP answer");
        let status = response.status();
        (status, response.json().await.expect("a JSON body"))
    }

    async fn post(&self, path: &str, body: Value) -> (StatusCode, Value) {
        self.send(reqwest::Method::POST, path, Some(body)).await
    }

    async fn get(&self, path: &str) -> (StatusCode, Value) {
        self.send(reqwest::Method::GET, path, None).await
    }

    /// Fetches the bill of `cn` at biller 2001 (circle MUM) and creates it with `reference`.
    async fn fetch_and_create(&self, cn: &str, reference: &str) -> types::UtilityPaymentV2Envelope {
        let fetch = json!({"billerId": 2001, "circle": "MUM", "billParams": {"cn": cn}});
        let (status, body) = self.post("/api/v2/biller/fetchOrAddBill", fetch).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        let fetched: types::BillFetchEnvelope = serde_json::from_value(body).unwrap();
        let bill = fetched.payload.expect("a fetched bill");
        let create = json!({
            "referenceId": reference,
            "companyBillerId": bill.company_biller_id,
            "billNetAmount": bill.billnetamount,
            "billAmount": bill.bill_amount,
            "billNumber": bill.bill_number,
            "validationId": bill.validation_id,
            "billId": bill.bill_id,
        });
        let (status, body) = self.post("/api/v2/utilityPayment", create).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        serde_json::from_value(body).unwrap()
    }

    async fn confirm(&self, ids: &[&str]) -> (StatusCode, Value) {
        let body = json!({"utilityPaymentIds": ids, "approvalStatus": "CHECKER_APPROVED", "remarks": "Approved for May cycle"});
        self.send(
            reqwest::Method::PUT,
            "/api/v0/utilityPayment/status",
            Some(body),
        )
        .await
    }
}

/// The token call's form fields.
fn token_form(credentials: &Credentials) -> [(&'static str, &str); 4] {
    [
        ("username", credentials.username.as_str()),
        ("password", credentials.password.expose()),
        ("grant_type", "password"),
        ("clientId", credentials.client_id.as_str()),
    ]
}

/// Asks the sandbox for a token with its own credentials.
async fn token(http: &reqwest::Client, sandbox: &SandboxHandle) -> String {
    let credentials = sandbox.credentials();
    let response = http
        .post(format!("{}/oauth/token", sandbox.base_url()))
        .basic_auth(
            &credentials.client_id,
            Some(credentials.client_secret.expose()),
        )
        .form(&token_form(credentials))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    // Either documented casing decodes.
    let body: enkash::auth::TokenResponse = response.json().await.unwrap();
    body.access_token
        .expect("an access token")
        .expose()
        .to_owned()
}

#[tokio::test]
async fn token_is_issued_to_the_right_credentials_only_and_guards_every_call() {
    let sandbox = Sandbox::builder().start().await.unwrap();
    let http = common::plain_http();
    let credentials = sandbox.credentials().clone();
    let token_url = format!("{}/oauth/token", sandbox.base_url());

    let response = http
        .post(&token_url)
        .basic_auth(
            &credentials.client_id,
            Some(credentials.client_secret.expose()),
        )
        .form(&token_form(&credentials))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["token_type"], "bearer");
    assert_eq!(body["expires_in"], 86399);
    assert_eq!(body["scope"], "read write trust");
    let decoded: enkash::auth::TokenResponse = serde_json::from_value(body.clone()).unwrap();
    assert!(decoded.refresh_token.is_some());

    let wrong_secret = http
        .post(&token_url)
        .basic_auth(&credentials.client_id, Some("not-the-secret"))
        .form(&token_form(&credentials))
        .send()
        .await
        .unwrap();
    assert_eq!(wrong_secret.status(), StatusCode::UNAUTHORIZED);
    let mut form = token_form(&credentials);
    form[1].1 = "wrong-password";
    let wrong_password = http
        .post(&token_url)
        .basic_auth(
            &credentials.client_id,
            Some(credentials.client_secret.expose()),
        )
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(wrong_password.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(sandbox.token_requests(), 3);
    assert_eq!(sandbox.stats().tokens_issued, 1);

    let lookup = format!("{}/api/v2/utilityPayment/UTIL-00000001", sandbox.base_url());
    let anonymous = http.get(&lookup).send().await.unwrap();
    assert_eq!(anonymous.status(), StatusCode::UNAUTHORIZED);
    let envelope: types::ErrorEnvelope = anonymous.json().await.unwrap();
    assert_eq!(envelope.response_code, Some(1));
    let forged = http
        .get(&lookup)
        .bearer_auth("forged-token")
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), StatusCode::UNAUTHORIZED);
    let access = body["access_token"].as_str().unwrap();
    let with_token = http.get(&lookup).bearer_auth(access).send().await.unwrap();
    assert_eq!(
        with_token.status(),
        StatusCode::BAD_REQUEST,
        "authorized, but no such bill"
    );
    assert_eq!(sandbox.stats().unauthorized, 4);
    sandbox.shutdown().await;
}

#[tokio::test]
async fn camel_case_token_decodes_and_expired_tokens_are_refused() {
    let api = Api::start(
        Sandbox::builder()
            .camel_case_token(true)
            .token_lifetime(Duration::from_secs(1)),
    )
    .await;
    let credentials = api.sandbox.credentials();
    let body: enkash::auth::TokenResponse = api
        .http
        .post(api.url("/oauth/token"))
        .basic_auth(
            &credentials.client_id,
            Some(credentials.client_secret.expose()),
        )
        .form(&token_form(credentials))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(body.expires_in, Some(1));
    assert!(body.access_token.is_some());

    let search = json!({"offset": 0, "limit": 10});
    assert_eq!(
        api.post("/api/v1/utilityPayment/search", search.clone())
            .await
            .0,
        StatusCode::OK
    );
    // Past the token's lifetime on the sandbox's clock, without waiting.
    api.sandbox.advance_clock(Duration::from_millis(1200));
    let (status, body) = api.post("/api/v1/utilityPayment/search", search).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
}

#[tokio::test]
async fn fetch_create_confirm_then_look_up_in_every_shape() {
    let api = Api::start(Sandbox::builder()).await;
    let created = api.fetch_and_create("CN123456789", "REF-FLOW-1").await;
    assert_eq!(created.response_code, 0);
    let bill = created.payload.expect("the created bill");
    let id = bill.utility_enkash_id.clone().expect("utilityEnkashId");
    assert_eq!(
        bill.approval_status,
        Some(ApprovalStatus::MakerApprovalPending)
    );
    assert_eq!(bill.payment_status, Some(PaymentStatus::Init));
    assert_eq!(bill.billpay_status, Some(BillpayStatus::Pending));
    let amount = bill.amount.expect("amount");
    assert_eq!(
        amount.as_decimal().scale(),
        2,
        "amounts carry paise: {amount}"
    );
    assert!(amount >= Amount::from(100));

    // The same consumer number always gets the same bill.
    let again = api
        .fetch_and_create("CN123456789", "REF-FLOW-2")
        .await
        .payload
        .unwrap();
    assert_eq!(again.amount, Some(amount));
    assert_ne!(again.utility_enkash_id.as_deref(), Some(id.as_str()));

    let (status, body) = api.confirm(&[&id]).await;
    assert_eq!(status, StatusCode::OK);
    let confirmed: types::ConfirmDebitEnvelope = serde_json::from_value(body).unwrap();
    assert_eq!(confirmed.response_code, 0);

    for path in [
        format!("/api/v2/utilityPayment/{id}"),
        "/api/v2/utilityPayment/referenceId/REF-FLOW-1".to_owned(),
    ] {
        let (status, body) = api.get(&path).await;
        assert_eq!(status, StatusCode::OK, "{path}");
        let paid: types::UtilityPaymentV2Envelope = serde_json::from_value(body).unwrap();
        let paid = paid.payload.unwrap();
        assert_eq!(paid.utility_enkash_id.as_deref(), Some(id.as_str()));
        assert_eq!(paid.approval_status, Some(ApprovalStatus::CheckerApproved));
        assert_eq!(paid.payment_status, Some(PaymentStatus::Success));
        assert_eq!(paid.billpay_status, Some(BillpayStatus::Success));
        assert_eq!(
            paid.approval_remarks.as_deref(),
            Some("Approved for May cycle")
        );
        assert!(paid.billpay_date.is_some() && paid.bill_reference_id.is_some());
        assert_eq!(paid.amount, Some(amount));
    }
    for path in [
        format!("/api/v0/utilityPayment/{id}"),
        "/api/v0/utilityPayment/referenceId/REF-FLOW-1".to_owned(),
    ] {
        let (status, body) = api.get(&path).await;
        assert_eq!(status, StatusCode::OK, "{path}");
        let paid: types::UtilityPaymentEnvelope = serde_json::from_value(body).unwrap();
        let paid = paid.payload.unwrap();
        assert_eq!(paid.reference_id.as_deref(), Some("REF-FLOW-1"));
        assert_eq!(paid.billpay_status, Some(BillpayStatus::Success));
        assert_eq!(
            paid.company_biller
                .and_then(|c| c.consumer_number)
                .as_deref(),
            Some("CN123456789")
        );
    }

    // Bulk search: AND-filters, exact amount range, paging.
    let search = |filter: Value| api.post("/api/v1/utilityPayment/search", filter);
    let found = |(status, body): (StatusCode, Value)| {
        assert_eq!(status, StatusCode::OK, "{body}");
        let envelope: types::UtilityBillSearchEnvelope = serde_json::from_value(body).unwrap();
        envelope
            .payload
            .into_iter()
            .filter_map(|b| b.utility_enkash_id)
            .collect::<Vec<_>>()
    };
    assert_eq!(
        found(search(json!({"utilityEnkashIds": [id]})).await),
        vec![id.clone()]
    );
    assert_eq!(
        found(search(json!({"consumerNumber": "CN123456789"})).await).len(),
        2
    );
    assert_eq!(
        found(search(json!({"consumerNumbers": ["CN123456789"], "statuses": ["SUCCESS"]})).await),
        vec![id.clone()]
    );
    assert_eq!(
        found(search(json!({"paymentStatus": "INIT", "billpayStatus": "PENDING"})).await).len(),
        1
    );
    let exact =
        json!({"amountRangeStart": amount, "amountRangeEnd": amount, "limit": 1, "offset": 1});
    assert_eq!(found(search(exact).await).len(), 1);
    let above = amount.as_decimal() + enkash::money::Decimal::new(1, 2);
    assert!(found(search(json!({"amountRangeStart": Amount::new(above)})).await).is_empty());
}

#[tokio::test]
async fn bills_without_fetch_and_failing_consumers() {
    let api = Api::start(Sandbox::builder()).await;
    let add = json!({"referenceId": "REF-ADD-1", "billerId": 3001, "billParams": {"cn": "WATER0001"}, "billAmount": 1234.56});
    let (status, body) = api.post("/api/v2/biller/addBill", add).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let added: types::AddBillV2Envelope = serde_json::from_value(body).unwrap();
    let added = added.payload.unwrap();
    assert_eq!(
        added.amount.map(|a| a.to_string()).as_deref(),
        Some("1234.56")
    );
    assert_eq!(added.payment_status, Some(PaymentStatus::Init));

    // v0 with autoDebit is approved and paid at once; a consumer number ending FAIL is refused.
    let add_v0 = json!({"referenceId": "REF-ADD-2", "billerId": 10, "billParams": {"cn": "ELEC01FAIL"}, "autoDebit": "BKCJC126GDK5"});
    let (status, body) = api.post("/api/v0/biller/addBill", add_v0).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let added_v0: types::BillAddEnvelope = serde_json::from_value(body).unwrap();
    let id = added_v0.payload.unwrap().utility_enkash_id.unwrap();
    let failed = api.sandbox.bill(&id).unwrap();
    assert_eq!(failed.billpay_status, Some(BillpayStatus::Failed));
    assert_eq!(failed.payment_status, Some(PaymentStatus::Refunded));
    assert!(failed.failure_reason.is_some() && failed.refund.is_some());
}

#[tokio::test]
async fn absent_reference_is_400_no_utility_payment_found() {
    let api = Api::start(Sandbox::builder()).await;
    for path in [
        "/api/v2/utilityPayment/referenceId/REF-NEVER-SENT",
        "/api/v0/utilityPayment/referenceId/REF-NEVER-SENT",
    ] {
        let (status, body) = api.get(path).await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert_eq!(
            body,
            json!({"response_code": 1, "response_message": "Failed", "payload": "No utility payment found"})
        );
    }
}

#[tokio::test]
async fn duplicate_reference_is_refused_with_code_38() {
    let api = Api::start(Sandbox::builder()).await;
    api.fetch_and_create("CN555000111", "REF-DUP").await;
    let again = api.fetch_and_create("CN555000111", "REF-DUP").await;
    assert_eq!(again.response_code, 38);
    assert!(again.payload.is_none());
    let add =
        json!({"referenceId": "REF-DUP", "billerId": 10, "billParams": {"cn": "CN555000111"}});
    let (status, body) = api.post("/api/v2/biller/addBill", add).await;
    assert_eq!(
        (status, body["response_code"].as_i64()),
        (StatusCode::OK, Some(38))
    );
    assert_eq!(api.sandbox.bills().len(), 1);
}

#[tokio::test]
async fn velocity_limit_is_refused_with_code_36() {
    let api = Api::start(Sandbox::builder().velocity_limit(2, Duration::from_secs(60))).await;
    assert_eq!(
        api.fetch_and_create("CN000000001", "REF-V1")
            .await
            .response_code,
        0
    );
    assert_eq!(
        api.fetch_and_create("CN000000002", "REF-V2")
            .await
            .response_code,
        0
    );
    let third = api.fetch_and_create("CN000000003", "REF-V3").await;
    assert_eq!(third.response_code, 36);
    assert!(api.sandbox.bill_by_reference("REF-V3").is_none());
}

#[tokio::test]
async fn invalid_requests_get_the_documented_statuses() {
    let api = Api::start(Sandbox::builder()).await;
    let cases = [
        (
            "/api/v2/biller/fetchOrAddBill",
            json!({"billParams": {"cn": "CN123456"}}),
            412,
        ),
        (
            "/api/v2/biller/fetchOrAddBill",
            json!({"billerId": "10", "billParams": {"cn": "CN123456"}}),
            412,
        ),
        (
            "/api/v2/biller/fetchOrAddBill",
            json!({"billerId": 4242, "billParams": {"cn": "CN123456"}}),
            400,
        ),
        (
            "/api/v2/biller/fetchOrAddBill",
            json!({"billerId": 9001, "billParams": {"cn": "CN123456"}}),
            422,
        ),
        (
            "/api/v2/biller/fetchOrAddBill",
            json!({"billerId": 2001, "billParams": {"cn": "CN123456"}}),
            412,
        ),
        (
            "/api/v2/biller/fetchOrAddBill",
            json!({"billerId": 10, "billParams": {"cn": "cn-1"}}),
            412,
        ),
        (
            "/api/v2/biller/fetchOrAddBill",
            json!({"billerId": 10, "circle": "NOWHERE", "billParams": {"cn": "CN123456"}}),
            400,
        ),
        (
            "/api/v2/utilityPayment",
            json!({"companyBillerId": "CB1", "billNetAmount": "12.00", "billAmount": 12}),
            412,
        ),
        (
            "/api/v2/utilityPayment",
            json!({"companyBillerId": "CB1", "billNetAmount": 0.99, "billAmount": 1}),
            400,
        ),
        (
            "/api/v2/utilityPayment",
            json!({"companyBillerId": "CB-UNKNOWN", "billNetAmount": 10, "billAmount": 10}),
            400,
        ),
        (
            "/api/v0/biller/addBill",
            json!({"billerId": 10, "billParams": {"cn": "CN123456"}, "autoDebit": "BKC123"}),
            400,
        ),
        ("/api/v1/utilityPayment/search", json!({"limit": 5001}), 400),
        (
            "/api/v1/utilityPayment/search",
            json!({"statuses": ["INIT"]}),
            412,
        ),
    ];
    for (path, body, expected) in cases {
        let (status, answer) = api.post(path, body.clone()).await;
        assert_eq!(status.as_u16(), expected, "{path} {body} -> {answer}");
        let envelope: types::ErrorEnvelope = serde_json::from_value(answer).unwrap();
        assert_eq!(envelope.response_code, Some(1));
    }
    let bad_remarks = json!({"utilityPaymentIds": ["UTIL-00000001"], "remarks": "no <html> here"});
    let (status, _) = api
        .send(
            reqwest::Method::PUT,
            "/api/v0/utilityPayment/status",
            Some(bad_remarks),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let none = json!({"utilityPaymentIds": []});
    let (status, _) = api
        .send(
            reqwest::Method::PUT,
            "/api/v0/utilityPayment/status",
            Some(none),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let response = api
        .http
        .post(api.url("/api/v2/utilityPayment"))
        .bearer_auth(&api.token)
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::PRECONDITION_FAILED);
    let (status, _) = api.get("/api/v9/nothing").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn scripted_html_gateway_error_changes_nothing_and_applies_once() {
    let api = Api::start(Sandbox::builder()).await;
    api.sandbox.inject(
        Operation::GetUtilityBillByReferenceId,
        Fault::gateway_html(504),
        1,
    );
    let response = api
        .http
        .get(api.url("/api/v2/utilityPayment/referenceId/REF-X"))
        .bearer_auth(&api.token)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::GATEWAY_TIMEOUT);
    assert_eq!(response.headers()["content-type"], "text/html");
    assert!(
        response
            .text()
            .await
            .unwrap()
            .contains("504 Gateway Time-out")
    );
    let (status, _) = api.get("/api/v2/utilityPayment/referenceId/REF-X").await;
    assert_eq!(
        status,
        StatusCode::BAD_REQUEST,
        "the fault applied to one call only"
    );
    assert_eq!(api.sandbox.calls(Operation::GetUtilityBillByReferenceId), 2);

    api.sandbox
        .inject(Operation::CreateBill, Fault::server_error(503), 1);
    let fetch = json!({"billerId": 10, "billParams": {"cn": "CN777000"}});
    let (_, fetched) = api.post("/api/v2/biller/fetchOrAddBill", fetch).await;
    let create = json!({"referenceId": "REF-503", "companyBillerId": fetched["payload"]["companyBillerId"], "billNetAmount": 10, "billAmount": 10});
    let (status, body) = api.post("/api/v2/utilityPayment", create).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(body["response_message"], "Internal server error");
    assert!(api.sandbox.bill_by_reference("REF-503").is_none());
}

#[tokio::test]
async fn dropped_connections_are_connection_errors_before_or_after_the_change() {
    let api = Api::start(Sandbox::builder()).await;
    let fetch = json!({"billerId": 10, "billParams": {"cn": "CN888000"}});
    let (_, fetched) = api.post("/api/v2/biller/fetchOrAddBill", fetch).await;
    let create = |reference: &str| {
        let body = json!({"referenceId": reference, "companyBillerId": fetched["payload"]["companyBillerId"], "billNetAmount": 10, "billAmount": 10});
        api.http
            .post(api.url("/api/v2/utilityPayment"))
            .bearer_auth(&api.token)
            .json(&body)
            .send()
    };

    api.sandbox
        .inject(Operation::CreateBill, Fault::drop_before_apply(), 1);
    let err = create("REF-DROP-BEFORE").await.expect_err("no HTTP answer");
    assert!(err.is_request() || err.is_connect(), "{err:?}");
    let (status, _) = api
        .get("/api/v2/utilityPayment/referenceId/REF-DROP-BEFORE")
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "nothing was created");

    api.sandbox
        .inject(Operation::CreateBill, Fault::apply_then_drop(), 1);
    let err = create("REF-DROP-AFTER").await.expect_err("no HTTP answer");
    assert!(err.is_request() || err.is_connect(), "{err:?}");
    let (status, body) = api
        .get("/api/v2/utilityPayment/referenceId/REF-DROP-AFTER")
        .await;
    assert_eq!(status, StatusCode::OK, "the bill was created: {body}");
    assert_eq!(api.sandbox.calls(Operation::CreateBill), 2);

    api.sandbox
        .inject(Operation::CreateBill, Fault::malformed_body(), 1);
    let response = create("REF-MALFORMED").await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert!(serde_json::from_slice::<Value>(&response.bytes().await.unwrap()).is_err());
    assert!(api.sandbox.bill_by_reference("REF-MALFORMED").is_some());
}

#[tokio::test]
async fn delay_fault_holds_the_answer() {
    let api = Api::start(Sandbox::builder().fault(
        Operation::SearchUtilityBills,
        Fault::delay(Duration::from_millis(300)),
        1,
    ))
    .await;
    let started = std::time::Instant::now();
    let (status, _) = api.post("/api/v1/utilityPayment/search", json!({})).await;
    assert_eq!(status, StatusCode::OK);
    assert!(started.elapsed() >= Duration::from_millis(300));
}

/// What the webhook receiver saw: headers and body of each POST.
type Received = tokio::sync::mpsc::UnboundedSender<(axum::http::HeaderMap, axum::body::Bytes)>;

#[tokio::test]
async fn webhook_is_delivered_with_the_static_headers_after_confirm_debit() {
    let (sender, mut received) = tokio::sync::mpsc::unbounded_channel();
    let receiver = axum::Router::new().route(
        "/hooks/enkash",
        axum::routing::post(|axum::extract::State(sender): axum::extract::State<Received>, headers, body| async move {
            let _ = sender.send((headers, body));
            ([("content-type", "application/json")], "{}")
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let hook_url = format!("http://{}/hooks/enkash", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, receiver.with_state(sender)).await });

    let api = Api::start(
        Sandbox::builder()
            .webhook(hook_url)
            .webhook_header("X-Enkash-Token", "static-secret-42")
            .settle_after(Duration::from_secs(3600)),
    )
    .await;
    let bill = api
        .fetch_and_create("CN424242", "REF-HOOK")
        .await
        .payload
        .unwrap();
    let id = bill.utility_enkash_id.unwrap();
    assert_eq!(api.confirm(&[&id]).await.0, StatusCode::OK);
    let (status, body) = api.get(&format!("/api/v2/utilityPayment/{id}")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        body["payload"]["billpayStatus"], "IN_PROGRESS",
        "settles after a delay"
    );
    // The hour passes on the sandbox's clock; the bill settles and its webhook goes out.
    api.sandbox.advance_clock(Duration::from_secs(3600));

    let (headers, body) = tokio::time::timeout(Duration::from_secs(5), received.recv())
        .await
        .expect("a webhook within 5 s")
        .expect("a webhook");
    assert_eq!(headers["x-enkash-token"], "static-secret-42");
    assert_eq!(headers["content-type"], "application/json");
    let hook: types::UtilityBillWebhookRequest = serde_json::from_slice(&body).unwrap();
    assert_eq!(hook.utility_enkash_id.as_deref(), Some(id.as_str()));
    assert_eq!(hook.reference_id.as_deref(), Some("REF-HOOK"));
    assert_eq!(hook.billpay_status, Some(BillpayStatus::Success));
    assert_eq!(hook.payment_status, Some(PaymentStatus::Success));
    assert_eq!(hook.amount, bill.amount);
    assert_eq!(
        hook.company_biller.consumer_number.as_deref(),
        Some("CN424242")
    );

    let deliveries = api
        .sandbox
        .wait_for_webhooks(1, Duration::from_secs(5))
        .await;
    assert_eq!(deliveries.len(), 1);
    assert!(deliveries[0].is_acknowledged(), "{:?}", deliveries[0]);
    assert!(received.try_recv().is_err(), "one webhook per final state");
}

#[tokio::test]
async fn the_crate_client_settles_a_dropped_create_through_the_sandbox() {
    use enkash::{Client, Resolution};

    let sandbox = Sandbox::builder().start().await.unwrap();
    let client = Client::from_config(sandbox.client_config().unwrap()).unwrap();
    let fetch = types::BillFetchRequest::builder()
        .biller_id(2001)
        .circle(Some(enkash::enums::Circle::Mum))
        .bill_params(types::BillParams::consumer_number("CN123456789"));
    let bill = client
        .fetch_current_bill()
        .body(fetch)
        .send()
        .await
        .unwrap();
    let create = |reference: &str| {
        types::CreateBillRequest::builder()
            .reference_id(reference.to_owned())
            .company_biller_id(bill.company_biller_id.clone().unwrap())
            .bill_amount(bill.bill_amount.unwrap())
            .bill_net_amount(bill.billnetamount.unwrap())
    };

    sandbox.inject(Operation::CreateBill, Fault::apply_then_drop(), 1);
    let err = client
        .create_bill()
        .body(create("REF-CLIENT-1"))
        .send()
        .await
        .unwrap_err();
    assert!(err.is_outcome_unknown(), "{err}");
    match client
        .resolve_by_reference_id("REF-CLIENT-1")
        .await
        .unwrap()
    {
        Resolution::WentThrough(found) => assert_eq!(found.amount, bill.billnetamount),
        other => panic!("the create was applied: {other:?}"),
    }

    sandbox.inject(Operation::CreateBill, Fault::drop_before_apply(), 1);
    let err = client
        .create_bill()
        .body(create("REF-CLIENT-2"))
        .send()
        .await
        .unwrap_err();
    assert!(err.is_outcome_unknown(), "{err}");
    assert!(matches!(
        client
            .resolve_by_reference_id("REF-CLIENT-2")
            .await
            .unwrap(),
        Resolution::DidNotGoThrough
    ));
    let again = client
        .create_bill()
        .body(create("REF-CLIENT-1"))
        .send()
        .await
        .unwrap_err();
    assert!(again.is_duplicate_reference_id(), "{again}");
    assert_eq!(sandbox.token_requests(), 1, "one token serves every call");
    assert_eq!(
        sandbox.calls(Operation::CreateBill),
        3,
        "money-moving calls are not resent"
    );
}
