//! Webhook delivery: a bill that reaches a final state is POSTed to the configured URL (and the
//! Vendor Payment response webhooks under theirs, see [`crate::vendor`]), as
//! `content-type: application/json` with the configured static headers: what
//! [`enkash::webhook::WebhookReceiver`] accepts for [`enkash::webhook::WebhookKind::UtilityBill`].

use reqwest::header::{CONTENT_TYPE, HeaderMap, HeaderValue};

use super::App;
use enkash::types;

/// Where and how the sandbox delivers webhooks.
#[derive(Debug)]
pub(crate) struct Webhook {
    pub url: String,
    pub headers: HeaderMap,
    pub client: reqwest::Client,
}

/// One webhook POST and what became of it.
#[derive(Clone, Debug, serde::Serialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct WebhookDelivery {
    /// The bill the webhook is about.
    pub utility_enkash_id: String,
    /// The body that was sent.
    pub body: types::UtilityBillWebhookRequest,
    /// The receiver's HTTP status, when it answered.
    pub status: Option<u16>,
    /// Why no answer came (connection refused, timeout, ...).
    pub error: Option<String>,
}

impl WebhookDelivery {
    /// True when the receiver answered with a 2xx status.
    pub fn is_acknowledged(&self) -> bool {
        self.status
            .is_some_and(|status| (200..300).contains(&status))
    }
}

/// POSTs `body` (the type [`enkash::webhook::WebhookEvent::UtilityBill`] holds) to the webhook URL
/// in a spawned task and records the outcome. One attempt.
pub(crate) fn deliver(app: &App, body: types::UtilityBillWebhookRequest) {
    if app.webhook.is_none() {
        return;
    }
    let app = App::clone(app);
    tokio::spawn(async move {
        let Some(hook) = &app.webhook else {
            return;
        };
        let (status, error) = post(hook, &hook.url, &body).await;
        let delivery = WebhookDelivery {
            utility_enkash_id: body.utility_enkash_id.clone().unwrap_or_default(),
            body,
            status,
            error,
        };
        app.lock().deliveries.push(delivery);
    });
}

/// One POST of `body` as JSON to `url` with the static headers: the receiver's status, or why
/// there is none.
pub(crate) async fn post(
    hook: &Webhook,
    url: &str,
    body: &impl serde::Serialize,
) -> (Option<u16>, Option<String>) {
    let json = match serde_json::to_vec(body) {
        Ok(json) => json,
        Err(err) => return (None, Some(format!("cannot encode the body: {err}"))),
    };
    // The static headers, then the content type EnKash sends (replacing any configured).
    let mut headers = hook.headers.clone();
    headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    match hook
        .client
        .post(url)
        .headers(headers)
        .body(json)
        .send()
        .await
    {
        Ok(response) => (Some(response.status().as_u16()), None),
        Err(err) => (None, Some(err.to_string())),
    }
}
