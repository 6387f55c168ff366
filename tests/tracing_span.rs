//! One `enkash.call` span per call, with its facts and no secrets. Alone in its test binary:
//! a subscriber set for one thread can miss events while other threads register the same
//! callsites, which would make a shared binary flaky.

mod common;

use common::Captured;
use common::server::{Action, Server};
use enkash::Client;
use serde_json::json;

use common::{CLIENT_SECRET, PASSWORD};

fn client(server: &Server) -> Client {
    common::client(&server.base_url)
}

#[tokio::test(flavor = "current_thread")]
async fn each_call_traces_one_span_with_its_facts_and_no_secrets() {
    let server = Server::start(3600, |_, n| match n {
        0 => Action::Reply(503, vec![], "<html>down</html>".into()),
        _ => Action::json(
            200,
            json!({"response_code": 38, "response_message": "Duplicate", "payload": null}),
        ),
    })
    .await;
    let captured = Captured::default();
    let writer = captured.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_writer(move || writer.clone())
        .with_max_level(tracing::Level::DEBUG)
        .with_span_events(tracing_subscriber::fmt::format::FmtSpan::CLOSE)
        .with_ansi(false)
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);
    let err = client(&server)
        .get_utility_bill_status()
        .utility_enkash_id("UTIL-1")
        .send()
        .await
        .unwrap_err();
    assert!(err.is_duplicate_reference_id());
    let text = captured.text();
    let closes: Vec<&str> = text
        .lines()
        .filter(|l| l.contains("close") && l.contains("enkash.call"))
        .collect();
    let status_call = closes
        .iter()
        .find(|l| l.contains("operation=\"get_utility_bill_status\" attempt="))
        .unwrap_or_else(|| panic!("{text}"));
    for field in [
        "attempt=2",
        "http.status=200",
        "response_code=38",
        "duration_ms=",
    ] {
        assert!(
            status_call.contains(field),
            "{field} missing in {status_call}"
        );
    }
    assert!(
        closes
            .iter()
            .any(|l| l.contains("operation=\"oauth_token\"")),
        "{text}"
    );
    for secret in [CLIENT_SECRET, PASSWORD, "tok-1", "Bearer", "Basic "] {
        assert!(
            !text.contains(secret),
            "`{secret}` leaked into the trace:\n{text}"
        );
    }
}
