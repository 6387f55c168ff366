//! Webhook parsing: any body, for every kind, through the same entry point merchants call.
#![no_main]

use enkash::webhook::{WebhookKind, WebhookReceiver, WebhookVerifier};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(verifier) = WebhookVerifier::new("x-enkash-token", "agreed-value") else {
        return;
    };
    let receiver = WebhookReceiver::new(verifier);
    let mut headers = http::HeaderMap::new();
    headers.insert(
        "x-enkash-token",
        http::HeaderValue::from_static("agreed-value"),
    );
    headers.insert(
        http::header::CONTENT_TYPE,
        http::HeaderValue::from_static("application/json"),
    );
    for &kind in WebhookKind::ALL {
        if let Err(err) = receiver.receive(kind, &headers, data) {
            assert!(
                err.to_string().chars().count() <= 2_000,
                "an error message must stay bounded"
            );
        }
    }
});
