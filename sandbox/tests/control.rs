//! The control endpoint under `/_sandbox/`, driven with plain HTTP as a test in any language
//! would: faults, the journal of received calls, the clock, reset and Vendor Payment invoices.

use enkash_sandbox::{Sandbox, SandboxHandle};
use serde_json::{Value, json};

struct Control {
    sandbox: SandboxHandle,
    http: reqwest::Client,
}

impl Control {
    async fn start() -> Self {
        let sandbox = Sandbox::builder().seed(42).start().await.unwrap();
        Self {
            sandbox,
            http: enkash::tls::client_builder().unwrap().build().unwrap(),
        }
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.sandbox.base_url())
    }

    async fn send(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> (u16, Value) {
        let mut request = self.http.request(method, self.url(path));
        if let Some(body) = body {
            request = request
                .header("content-type", "application/json")
                .body(body.to_string());
        }
        let response = request.send().await.unwrap();
        let status = response.status().as_u16();
        let text = response.text().await.unwrap();
        (
            status,
            serde_json::from_str(&text).unwrap_or(Value::String(text)),
        )
    }

    async fn get(&self, path: &str) -> (u16, Value) {
        self.send(reqwest::Method::GET, path, None).await
    }

    async fn post(&self, path: &str, body: Value) -> (u16, Value) {
        self.send(reqwest::Method::POST, path, Some(body)).await
    }

    async fn token(&self) -> String {
        let credentials = self.sandbox.credentials();
        let form = [
            ("username", credentials.username.as_str()),
            ("password", credentials.password.expose()),
            ("grant_type", "password"),
            ("clientId", credentials.client_id.as_str()),
        ];
        let body: Value = self
            .http
            .post(self.url("/oauth/token"))
            .basic_auth(
                &credentials.client_id,
                Some(credentials.client_secret.expose()),
            )
            .form(&form)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        body["access_token"].as_str().unwrap().to_owned()
    }

    async fn confirm_debit(&self, token: &str) -> u16 {
        self.http
            .put(self.url("/api/v0/utilityPayment/status"))
            .bearer_auth(token)
            .json(&json!({"utilityPaymentIds": ["UTIL-00000001"]}))
            .send()
            .await
            .map(|response| response.status().as_u16())
            .unwrap_or(0)
    }
}

#[tokio::test]
async fn faults_are_scripted_listed_and_applied_over_http() {
    let control = Control::start().await;
    let (status, _) = control
        .post(
            "/_sandbox/faults",
            json!({"operation": "confirmDebit", "fault": {"kind": "server_error", "status": 503}, "times": 2}),
        )
        .await;
    assert_eq!(status, 200);
    let (_, faults) = control.get("/_sandbox/faults").await;
    assert_eq!(
        faults,
        json!({"faults": [{"operation": "confirm_debit", "kind": "status", "times": 2}]})
    );
    let token = control.token().await;
    assert_eq!(control.confirm_debit(&token).await, 503);
    assert_eq!(control.confirm_debit(&token).await, 503);
    assert_eq!(control.confirm_debit(&token).await, 400, "no such bill");

    let (status, body) = control
        .post(
            "/_sandbox/faults",
            json!({"operation": "no_such_call", "fault": {"kind": "malformed_body"}}),
        )
        .await;
    assert_eq!(status, 400);
    assert!(
        body["error"].as_str().unwrap().contains("no_such_call"),
        "{body}"
    );
}

#[tokio::test]
async fn the_journal_lists_each_call_without_the_token_form() {
    let control = Control::start().await;
    let token = control.token().await;
    control.confirm_debit(&token).await;
    let (_, journal) = control.get("/_sandbox/requests").await;
    let requests = journal["requests"].as_array().unwrap();
    assert_eq!(requests.len(), 2);
    assert_eq!(requests[0]["operation"], "oauth_token");
    assert_eq!(requests[0]["body"], Value::Null, "the form carries secrets");
    assert_eq!(requests[1]["operation"], "confirm_debit");
    assert_eq!(requests[1]["method"], "PUT");
    assert_eq!(requests[1]["status"], 400);
    assert_eq!(
        requests[1]["body"],
        json!({"utilityPaymentIds": ["UTIL-00000001"]})
    );
    assert!(!journal.to_string().contains(&token));
}

#[tokio::test]
async fn advancing_the_clock_expires_tokens_without_waiting() {
    let control = Control::start().await;
    let token = control.token().await;
    assert_eq!(control.confirm_debit(&token).await, 400);
    let (_, before) = control.get("/_sandbox/clock").await;
    assert_eq!(before["offsetMs"], 0);
    let (status, after) = control
        .post("/_sandbox/clock/advance", json!({"seconds": 86_400}))
        .await;
    assert_eq!(status, 200);
    assert_eq!(after["offsetMs"], 86_400_000);
    assert!(after["now"].as_str().unwrap() > before["now"].as_str().unwrap());
    assert_eq!(
        control.confirm_debit(&token).await,
        401,
        "a day later the token is dead"
    );
}

#[tokio::test]
async fn reset_forgets_records_and_journal_but_keeps_tokens() {
    let control = Control::start().await;
    let invoice: Value = serde_json::from_str(
        r#"{"objectId": "INVEH60KVJ50CE9UVW53EFR4EDT2SYWB3WK", "supplierInvoiceNumber": "SS/1",
            "buyerB2BId": "buyer@b2b", "supplierB2BId": "supplier@b2b", "totalAmount": 100.10}"#,
    )
    .unwrap();
    assert_eq!(
        control.post("/_sandbox/vendor/invoices", invoice).await.0,
        200
    );
    let (_, vendor) = control.get("/_sandbox/vendor").await;
    let due: enkash::Amount =
        serde_json::from_value(vendor["invoices"][0]["dueAmount"].clone()).unwrap();
    assert_eq!(due, "100.10".parse().unwrap());
    let token = control.token().await;

    assert_eq!(control.post("/_sandbox/reset", json!({})).await.0, 200);
    let (_, vendor) = control.get("/_sandbox/vendor").await;
    assert_eq!(vendor["invoices"], json!([]));
    let (_, journal) = control.get("/_sandbox/requests").await;
    assert_eq!(journal["requests"], json!([]));
    assert_eq!(
        control.confirm_debit(&token).await,
        400,
        "the token still works"
    );
}

#[tokio::test]
async fn a_seed_gives_the_same_tokens_on_every_run() {
    let first = Control::start().await;
    let second = Control::start().await;
    assert_eq!(first.token().await, second.token().await);
}
