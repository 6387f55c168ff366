//! The hand-written layer against a real HTTP server on 127.0.0.1: tokens, response codes,
//! outcome-unknown handling, retries, timeouts, redaction.

mod common;

use std::sync::Arc;
use std::time::{Duration, Instant};

use common::server::{Action, Seen, Server};
use enkash::error::UnknownCause;
use enkash::{Client, Config, Error, Resolution, RetryPolicy, Timeouts, types};
use serde_json::json;

use common::{CLIENT_SECRET, PASSWORD};

fn config(server: &Server) -> enkash::config::ConfigBuilder {
    common::config(&server.base_url)
}

fn client(server: &Server) -> Client {
    common::client(&server.base_url)
}

fn bill(id: &str, reference: &str) -> serde_json::Value {
    json!({"utilityEnkashId": id, "referenceId": reference, "amount": 2450.75, "paymentStatus": "INIT"})
}

fn create_request(reference: &str) -> types::CreateBillRequest {
    // From text, so the amounts keep their written scale.
    let body = format!(
        r#"{{"companyBillerId":"CB-54321","billNetAmount":100.10,"billAmount":100.10,"referenceId":"{reference}"}}"#
    );
    serde_json::from_str(&body).unwrap()
}

/// A status lookup of the bill `id`.
async fn status(client: &Client, id: &str) -> Result<types::UtilityPaymentV2Response, Error> {
    client
        .get_utility_bill_status()
        .utility_enkash_id(id)
        .send()
        .await
}

/// The error of a status lookup of `UTIL-1` against `server`.
async fn lookup_error(server: &Server) -> Error {
    client(server)
        .get_utility_bill_status()
        .utility_enkash_id("UTIL-1")
        .send()
        .await
        .unwrap_err()
}

/// A server that refuses the first token (`tok-1`) with a 401, with this `WWW-Authenticate`
/// challenge or none, and answers every other call with a bill.
async fn refusing_the_first_token(challenge: Option<&'static str>) -> Server {
    Server::start(3600, move |seen: &Seen, _| {
        if seen.header("authorization") == Some("Bearer tok-1") {
            let mut headers = vec![("content-type", "application/json".to_owned())];
            headers.extend(challenge.map(|c| ("www-authenticate", c.to_owned())));
            let body = json!({"response_code": 1, "response_message": "Unauthorized"});
            return Action::Reply(401, headers, body.to_string());
        }
        Action::ok(bill("UTIL-1", "REF-1"))
    })
    .await
}

const STATUS_PATH: &str = "/api/v2/utilityPayment/UTIL-1";
const CREATE_PATH: &str = "/api/v2/utilityPayment";

#[tokio::test]
async fn one_token_request_serves_a_hundred_concurrent_first_calls() {
    let server = Server::start(3600, |_, _| Action::ok(bill("UTIL-1", "REF-1"))).await;
    let client = client(&server);
    let calls = (0..100).map(|_| {
        let client = client.clone();
        tokio::spawn(async move {
            client
                .get_utility_bill_status()
                .utility_enkash_id("UTIL-1")
                .send()
                .await
        })
    });
    for call in futures::future::join_all(calls).await {
        call.unwrap().unwrap();
    }
    assert_eq!(server.token_requests(), 1);
    assert_eq!(server.count(STATUS_PATH), 100);
    let seen = server.seen();
    let token_call = seen.iter().find(|s| s.path == "/oauth/token").unwrap();
    assert!(
        token_call
            .header("authorization")
            .unwrap()
            .starts_with("Basic ")
    );
    assert!(
        token_call.body.contains("grant_type=password"),
        "{}",
        token_call.body
    );
    for call in seen.iter().filter(|s| s.path == STATUS_PATH) {
        assert_eq!(call.header("authorization"), Some("Bearer tok-1"));
        assert_eq!(call.header("api-version"), None);
    }
}

#[tokio::test]
async fn the_token_is_renewed_before_it_expires() {
    // Tokens live 3 s; the server refuses an expired one. With a 1 s margin (capped at a fifth
    // of the lifetime) the client renews between 2.1 s and 2.4 s.
    let issued_at = Arc::new(std::sync::Mutex::new(Vec::<Instant>::new()));
    let clock = issued_at.clone();
    let server = Server::start(3, move |seen: &Seen, _| {
        let token: usize = seen.header("authorization").unwrap()["Bearer tok-".len()..]
            .parse()
            .unwrap();
        let issued = clock.lock().unwrap()[token - 1];
        if issued.elapsed() > Duration::from_secs(3) {
            return Action::json(
                401,
                json!({"response_code": 1, "response_message": "token expired"}),
            );
        }
        Action::ok(bill("UTIL-1", "REF-1"))
    })
    .await;
    let client = Client::from_config(
        config(&server)
            .token_refresh_margin(Duration::from_secs(1))
            .build()
            .unwrap(),
    )
    .unwrap();
    let call = || {
        client
            .get_utility_bill_status()
            .utility_enkash_id("UTIL-1")
            .send()
    };
    // The server-side clock starts when the token is issued (the first call).
    issued_at.lock().unwrap().push(Instant::now());
    call().await.unwrap();
    tokio::time::sleep(Duration::from_millis(2600)).await;
    issued_at.lock().unwrap().push(Instant::now());
    call().await.unwrap();
    assert_eq!(server.token_requests(), 2);
    assert_eq!(server.count(STATUS_PATH), 2, "no call was refused");
}

#[tokio::test]
async fn a_401_causes_one_reauthentication_and_one_resend() {
    let server =
        refusing_the_first_token(Some(r#"Bearer realm="enkash", error="invalid_token""#)).await;
    let client = client(&server);
    // A money-moving call too: RFC 6750's `invalid_token` says the request was refused unread.
    let created = client
        .create_bill()
        .body(create_request("REF-401"))
        .send()
        .await
        .unwrap();
    assert_eq!(created.utility_enkash_id.as_deref(), Some("UTIL-1"));
    assert_eq!(server.token_requests(), 2);
    assert_eq!(server.count(CREATE_PATH), 2);
}

#[tokio::test]
async fn the_total_timeout_covers_getting_the_token() {
    // The token answer takes 700 ms and the lookup hangs: with a 1 s total, the call ends when
    // the total runs out, not 700 ms plus an attempt timeout later.
    let handler = Arc::new(|seen: &Seen, _: usize| {
        if seen.path == "/oauth/token" {
            let token = json!({"access_token": "tok-1", "expires_in": 3600});
            return Action::Delay(
                Duration::from_millis(700),
                Box::new(Action::json(200, token)),
            );
        }
        Action::Delay(
            Duration::from_secs(10),
            Box::new(Action::ok(bill("UTIL-1", "REF-1"))),
        )
    });
    let server = Server::start_raw(handler).await;
    let timeouts = Timeouts::default()
        .with_attempt(Duration::from_secs(5))
        .with_total(Duration::from_secs(1));
    let client = Client::from_config(config(&server).timeouts(timeouts).build().unwrap()).unwrap();
    let started = Instant::now();
    let err = client
        .get_utility_bill_status()
        .utility_enkash_id("UTIL-1")
        .send()
        .await
        .unwrap_err();
    let elapsed = started.elapsed();
    assert!(err.is_timeout(), "{err:?}");
    // Without the token inside the deadline this took 700 ms + the 5 s attempt timeout.
    assert!(elapsed < Duration::from_secs(3), "took {elapsed:?}");
    assert_eq!(server.token_requests(), 1);
}

#[tokio::test]
async fn the_token_calls_facts_never_become_the_calls_own() {
    let handler = Arc::new(|seen: &Seen, _: usize| {
        if seen.path == "/oauth/token" {
            return Action::Reply(
                200,
                vec![
                    ("content-type", "application/json".into()),
                    ("x-request-id", "req-token".into()),
                ],
                json!({"access_token": "tok-1", "expires_in": 3600}).to_string(),
            );
        }
        Action::Reply(
            400,
            vec![
                ("content-type", "application/json".into()),
                ("x-request-id", "req-call".into()),
            ],
            json!({"response_code": 1, "response_message": "Bad request"}).to_string(),
        )
    });
    let server = Server::start_raw(handler).await;
    let err = lookup_error(&server).await;
    assert_eq!(err.meta().request_id, Some("req-call"));
    assert_eq!(err.meta().http_status, Some(400));
}

#[tokio::test]
async fn blank_ids_are_refused_with_no_request_sent() {
    let server = Server::start(3600, |_, _| Action::ok(bill("UTIL-1", "REF-1"))).await;
    let client = client(&server);
    for blank in ["", "   "] {
        let err = client.resolve_by_reference_id(blank).await.unwrap_err();
        assert_eq!(
            err.to_string(),
            "invalid request to get_utility_bill_by_reference_id: field `referenceId`: required: \
             an empty or blank path parameter names no record"
        );
        let err = client
            .get_utility_bill_status()
            .utility_enkash_id(blank)
            .send()
            .await
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            "invalid request to get_utility_bill_status: field `utilityEnkashId`: required: an \
             empty or blank path parameter names no record"
        );
        let err = client
            .get_invoice()
            .invoice_id(blank)
            .send()
            .await
            .unwrap_err();
        assert!(err.is_invalid_request(), "{err}");
    }
    assert!(server.seen().is_empty(), "{:?}", server.seen());
}

#[tokio::test]
async fn a_bare_401_on_a_money_moving_call_is_an_unknown_outcome_not_a_resend() {
    let server = refusing_the_first_token(None).await;
    let client = client(&server);
    let err = client
        .create_bill()
        .body(create_request("REF-BARE-401"))
        .send()
        .await
        .unwrap_err();
    let unknown = err.outcome_unknown().expect("an unknown outcome");
    assert_eq!(unknown.cause, UnknownCause::Unauthorized);
    assert_eq!(unknown.http_status, Some(401));
    assert_eq!(unknown.reference_id(), Some("REF-BARE-401"));
    assert_eq!(server.count(CREATE_PATH), 1, "not resent");
    // The refused token is dropped: the next call gets a new one and goes through.
    client
        .get_utility_bill_status()
        .utility_enkash_id("UTIL-1")
        .send()
        .await
        .unwrap();
    assert_eq!(server.token_requests(), 2);
}

#[tokio::test]
async fn a_401_that_persists_is_reported_after_one_reauthentication() {
    let server = Server::start(3600, |_, _| {
        Action::json(
            401,
            json!({"response_code": 1, "response_message": "invalid token"}),
        )
    })
    .await;
    let err = client(&server)
        .get_utility_bill_status()
        .utility_enkash_id("UTIL-1")
        .send()
        .await
        .unwrap_err();
    assert!(err.is_unauthorized(), "{err:?}");
    assert_eq!(server.token_requests(), 2);
    assert_eq!(server.count(STATUS_PATH), 2);
}

#[tokio::test]
async fn each_response_code_maps_to_its_error() {
    let server = Server::start(3600, |seen: &Seen, _| {
        let code: i64 = seen.json()["referenceId"].as_str().unwrap()["CODE-".len()..].parse().unwrap();
        Action::json(200, json!({"response_code": code, "response_message": format!("code {code}"), "payload": "Duplicate reference id"}))
    })
    .await;
    let client = client(&server);
    for (code, check) in [
        (
            1,
            (|e: &Error| {
                e.api_error().is_some() && !e.is_velocity_limit() && !e.is_duplicate_reference_id()
            }) as fn(&Error) -> bool,
        ),
        (36, |e: &Error| e.is_velocity_limit()),
        (37, |e: &Error| e.is_velocity_limit()),
        (38, |e: &Error| e.is_duplicate_reference_id()),
        (99, |e: &Error| {
            e.response_code() == Some(enkash::ResponseCode::Other(99))
        }),
    ] {
        let err = client
            .create_bill()
            .body(create_request(&format!("CODE-{code}")))
            .send()
            .await
            .unwrap_err();
        assert!(check(&err), "code {code}: {err:?}");
        let meta = err.meta();
        assert_eq!(meta.code, Some(code));
        assert_eq!(meta.http_status, Some(200));
        assert_eq!(meta.operation, Some("create_bill"));
        assert_eq!(meta.message, Some(format!("code {code}").as_str()));
        assert!(
            err.api_error()
                .unwrap()
                .payload
                .as_deref()
                .unwrap()
                .contains("Duplicate reference id")
        );
    }
    assert_eq!(server.count(CREATE_PATH), 5, "no response code is retried");
}

#[tokio::test]
async fn a_timeout_on_create_bill_is_outcome_unknown_and_never_resent() {
    let server = Server::start(3600, |_, _| {
        Action::Delay(
            Duration::from_secs(5),
            Box::new(Action::ok(bill("UTIL-1", "REF-T"))),
        )
    })
    .await;
    let config = config(&server)
        .timeouts(Timeouts::default().with_attempt(Duration::from_millis(300)))
        .build()
        .unwrap();
    let client = Client::from_config(config).unwrap();
    let err = client
        .create_bill()
        .body(create_request("REF-T"))
        .send()
        .await
        .unwrap_err();
    let unknown = err.outcome_unknown().unwrap_or_else(|| panic!("{err:?}"));
    assert_eq!(unknown.reference_id(), Some("REF-T"));
    assert_eq!(unknown.cause, UnknownCause::Timeout);
    assert!(err.is_timeout());
    assert_eq!(server.count(CREATE_PATH), 1);
}

#[tokio::test]
async fn a_5xx_or_a_reset_on_create_bill_is_outcome_unknown_and_never_resent() {
    let server = Server::start(3600, |seen: &Seen, _| {
        match seen.json()["referenceId"].as_str() {
            Some("REF-503") => Action::Reply(
                503,
                vec![("content-type", "text/html".into())],
                "<html>Service Unavailable</html>".into(),
            ),
            _ => Action::Drop,
        }
    })
    .await;
    let client = client(&server);
    let err = client
        .create_bill()
        .body(create_request("REF-503"))
        .send()
        .await
        .unwrap_err();
    let unknown = err.outcome_unknown().unwrap_or_else(|| panic!("{err:?}"));
    assert_eq!(
        (unknown.cause, unknown.http_status),
        (UnknownCause::ServerError, Some(503))
    );
    let err = client
        .create_bill()
        .body(create_request("REF-RESET"))
        .send()
        .await
        .unwrap_err();
    let unknown = err.outcome_unknown().unwrap_or_else(|| panic!("{err:?}"));
    assert_eq!(unknown.cause, UnknownCause::ConnectionLost);
    assert_eq!(unknown.reference_id(), Some("REF-RESET"));
    assert_eq!(server.count(CREATE_PATH), 2);
}

#[tokio::test]
async fn a_money_moving_call_without_reference_id_is_refused_before_sending() {
    let server = Server::start(3600, |_, _| Action::ok(bill("UTIL-1", "REF-1"))).await;
    let client = client(&server);
    // Without one, the builder cannot build the body (the type requires it) ...
    let missing = types::CreateBillRequest::builder()
        .company_biller_id("CB-54321")
        .bill_net_amount(enkash::Amount::from(100))
        .bill_amount(enkash::Amount::from(100));
    let err = client.create_bill().body(missing).send().await.unwrap_err();
    let Error::InvalidRequest(invalid) = &err else {
        panic!("{err:?}")
    };
    assert_eq!(invalid.field.as_deref(), Some("reference_id"), "{err}");
    // ... and a blank one is refused by the request check, naming the JSON field.
    let err = client
        .create_bill()
        .body(create_request("  "))
        .send()
        .await
        .unwrap_err();
    let Error::InvalidRequest(invalid) = &err else {
        panic!("{err:?}")
    };
    assert_eq!(invalid.field.as_deref(), Some("referenceId"));
    assert!(
        server.seen().is_empty(),
        "nothing was sent, not even a token request"
    );
}

#[tokio::test]
async fn the_resolver_tells_went_through_from_did_not_go_through() {
    let server = Server::start(3600, |seen: &Seen, _| {
        if seen.path.ends_with("/REF-KNOWN") {
            Action::ok(bill("UTIL-9", "REF-KNOWN"))
        } else {
            Action::json(400, json!({"response_code": 1, "response_message": "Failed", "payload": "No utility payment found"}))
        }
    })
    .await;
    let client = client(&server);
    match client.resolve_by_reference_id("REF-KNOWN").await.unwrap() {
        Resolution::WentThrough(bill) => {
            assert_eq!(bill.utility_enkash_id.as_deref(), Some("UTIL-9"))
        }
        other => panic!("{other:?}"),
    }
    assert!(matches!(
        client.resolve_by_reference_id("REF-NEVER").await.unwrap(),
        Resolution::DidNotGoThrough
    ));
    assert_eq!(
        server.count("/api/v2/utilityPayment/referenceId/REF-NEVER"),
        1,
        "a 400 is not retried"
    );
}

#[tokio::test]
async fn the_resolver_does_not_mistake_another_400_for_not_found() {
    let server = Server::start(3600, |_, _| {
        Action::json(400, json!({"response_code": 1, "response_message": "Failed", "payload": "Invalid reference id"}))
    })
    .await;
    let err = client(&server)
        .resolve_by_reference_id("bad ref")
        .await
        .unwrap_err();
    assert!(err.is_rejected() && !err.is_not_found(), "{err:?}");
}

#[tokio::test]
async fn a_lookup_is_retried_after_a_503_and_after_a_reset() {
    let server = Server::start(3600, |seen: &Seen, n| match (seen.path.as_str(), n) {
        ("/api/v2/utilityPayment/UTIL-503", 0) => {
            Action::Reply(503, vec![], "<html>down</html>".into())
        }
        ("/api/v2/utilityPayment/UTIL-RESET", 0) => Action::Drop,
        _ => Action::ok(bill("UTIL-1", "REF-1")),
    })
    .await;
    let client = client(&server);
    for id in ["UTIL-503", "UTIL-RESET"] {
        client
            .get_utility_bill_status()
            .utility_enkash_id(id)
            .send()
            .await
            .unwrap();
        assert_eq!(
            server.count(&format!("/api/v2/utilityPayment/{id}")),
            2,
            "{id}"
        );
    }
}

#[tokio::test]
async fn retries_stop_at_the_configured_attempts() {
    let server = Server::start(3600, |_, _| {
        Action::Reply(502, vec![], "<html>Bad Gateway</html>".into())
    })
    .await;
    let err = client(&server)
        .get_utility_bill_status()
        .utility_enkash_id("UTIL-1")
        .send()
        .await
        .unwrap_err();
    assert!(err.is_server_error(), "{err:?}");
    assert_eq!(err.meta().http_status, Some(502));
    assert_eq!(server.count(STATUS_PATH), 3);
    let disabled = Client::from_config(
        config(&server)
            .retry(RetryPolicy::disabled())
            .build()
            .unwrap(),
    )
    .unwrap();
    disabled
        .get_utility_bill_status()
        .utility_enkash_id("UTIL-1")
        .send()
        .await
        .unwrap_err();
    assert_eq!(server.count(STATUS_PATH), 4);
}

#[tokio::test]
async fn retry_after_is_honoured() {
    let server = Server::start(3600, |_, n| match n {
        0 => Action::Reply(429, vec![("retry-after", "1".into())], String::new()),
        _ => Action::ok(bill("UTIL-1", "REF-1")),
    })
    .await;
    let started = Instant::now();
    client(&server)
        .get_utility_bill_status()
        .utility_enkash_id("UTIL-1")
        .send()
        .await
        .unwrap();
    assert!(
        started.elapsed() >= Duration::from_millis(950),
        "waited {:?}",
        started.elapsed()
    );
    assert_eq!(server.count(STATUS_PATH), 2);
}

#[tokio::test]
async fn a_retry_after_longer_than_the_policy_allows_ends_the_retries() {
    let server = Server::start(3600, |_, _| {
        Action::Reply(429, vec![("retry-after", "120".into())], String::new())
    })
    .await;
    let err = client(&server)
        .get_utility_bill_status()
        .utility_enkash_id("UTIL-1")
        .send()
        .await
        .unwrap_err();
    assert!(err.is_throttled(), "{err:?}");
    assert_eq!(
        err.api_error().unwrap().retry_after,
        Some(Duration::from_secs(120))
    );
    assert_eq!(server.count(STATUS_PATH), 1);
}

#[tokio::test]
async fn a_failed_token_request_is_a_typed_error_without_secrets() {
    let server = Server::start_raw(Arc::new(|_: &Seen, _| {
        Action::json(
            401,
            json!({"error": "unauthorized", "response_message": "Bad credentials"}),
        )
    }))
    .await;
    let err = client(&server)
        .get_utility_bill_status()
        .utility_enkash_id("UTIL-1")
        .send()
        .await
        .unwrap_err();
    let Error::Token(token) = &err else {
        panic!("{err:?}")
    };
    assert_eq!(token.http_status, Some(401));
    assert_eq!(
        err.to_string(),
        "could not obtain an access token (HTTP 401): Bad credentials"
    );
    for text in [format!("{err}"), format!("{err:?}")] {
        assert!(
            !text.contains(PASSWORD) && !text.contains(CLIENT_SECRET),
            "{text}"
        );
    }
    assert_eq!(server.count(STATUS_PATH), 0);
}

#[tokio::test]
async fn an_undecodable_answer_gives_a_bounded_redacted_excerpt() {
    let server = Server::start(3600, |_, _| {
        let body = format!(r#"{{"response_code": 0, "payload": {{"access_token": "leaked-token", "amount": "{}"}}}}"#, "9".repeat(5000));
        Action::Reply(200, vec![], body)
    })
    .await;
    let err = lookup_error(&server).await;
    let Error::Decode(decode) = &err else {
        panic!("{err:?}")
    };
    assert_eq!(
        decode.excerpt,
        r#"{"payload":{"access_token":"** redacted **","amount":"** redacted **"},"response_code":0}"#
    );
    assert_eq!(
        err.to_string(),
        "get_utility_bill_status answered HTTP 200 with an unreadable body (at payload.amount: \
         invalid value: string, expected a decimal number or a string holding one): \
         {\"payload\":{\"access_token\":\"** redacted **\",\"amount\":\"** redacted **\"},\"response_code\":0}"
    );
}

#[tokio::test]
async fn amounts_travel_as_exact_json_numbers() {
    let server = Server::start(3600, |seen: &Seen, _| {
        assert!(seen.body.contains(r#""billNetAmount":100.10"#), "{}", seen.body);
        let body = r#"{"response_code":0,"payload":{"utilityEnkashId":"UTIL-1","amount":2450.75,"billAmount":100.10}}"#;
        Action::Reply(200, vec![("content-type", "application/json".into())], body.into())
    })
    .await;
    let created = client(&server)
        .create_bill()
        .body(create_request("REF-AMT"))
        .send()
        .await
        .unwrap();
    assert_eq!(created.amount.unwrap().to_string(), "2450.75");
    assert_eq!(created.bill_amount.unwrap().to_string(), "100.10");
}

#[tokio::test]
async fn a_request_breaking_a_pattern_fails_before_sending_naming_field_and_rule() {
    let server = Server::start(3600, |_, _| Action::ok(json!(null))).await;
    // A value breaking a pattern cannot even be constructed.
    let bad = "approved <script>"
        .parse::<types::ApprovalRemarks>()
        .unwrap_err()
        .to_string();
    assert!(bad.contains("doesn't match pattern"), "{bad}");
    let from_json = serde_json::from_str::<types::UtilityPaymentApprovalRequest>(
        r#"{"utilityPaymentIds": ["UTIL-1"], "remarks": "approved <script>"}"#,
    );
    assert!(
        from_json
            .unwrap_err()
            .to_string()
            .contains("doesn't match pattern")
    );
    let missing = client(&server)
        .fetch_current_bill()
        .body(
            types::BillFetchRequest::builder()
                .biller_id(1)
                .bill_params(types::BillParams::builder()),
        )
        .send()
        .await
        .unwrap_err();
    let Error::InvalidRequest(invalid) = &missing else {
        panic!("{missing:?}")
    };
    assert_eq!(invalid.field.as_deref(), Some("bill_params.cn"));
    assert!(server.seen().is_empty());
}

#[tokio::test]
async fn the_client_debug_output_holds_no_secret() {
    let server = Server::start(3600, |_, _| Action::ok(bill("UTIL-1", "REF-1"))).await;
    let client = client(&server);
    client
        .get_utility_bill_status()
        .utility_enkash_id("UTIL-1")
        .send()
        .await
        .unwrap();
    let debug = format!("{client:?} {:?}", client.config());
    assert!(
        debug.contains(r#"client_secret: Secret("** redacted **")"#),
        "{debug}"
    );
    for secret in [CLIENT_SECRET, PASSWORD, "tok-1"] {
        assert!(!debug.contains(secret), "{secret} in {debug}");
    }
}

#[tokio::test]
async fn a_token_refusal_that_echoes_the_credentials_masks_them() {
    let server = Server::start_raw(Arc::new(|_: &Seen, _| {
        Action::json(
            401,
            json!({"response_code": 1, "response_message": format!("Bad credentials: {PASSWORD} / {CLIENT_SECRET}")}),
        )
    }))
    .await;
    let err = lookup_error(&server).await;
    assert_eq!(
        err.to_string(),
        "could not obtain an access token (HTTP 401): Bad credentials: ** redacted ** / ** redacted **"
    );
    let debug = format!("{err:?}");
    assert!(
        !debug.contains(PASSWORD) && !debug.contains(CLIENT_SECRET),
        "{debug}"
    );
}

/// A proxy that records what it is asked for and answers as EnKash would: the request line of a
/// proxied plain-HTTP request carries the whole URL (`POST http://enkash.invalid/oauth/token`).
async fn recording_proxy() -> Server {
    Server::start_raw(Arc::new(|seen: &Seen, _| {
        if seen.path.ends_with("/oauth/token") {
            return Action::json(
                200,
                json!({"access_token": "tok-1", "token_type": "bearer", "expires_in": 3600}),
            );
        }
        Action::ok(bill("UTIL-1", "REF-1"))
    }))
    .await
}

#[tokio::test]
async fn a_configured_proxy_carries_every_request_and_off_bypasses_it() {
    let proxy = recording_proxy().await;
    // The base URL's host does not resolve: only a proxy can reach it.
    let proxied = config(&proxy)
        .base_url("http://enkash.invalid")
        .proxy(enkash::ProxySetting::Url(proxy.base_url.clone().into()))
        .build()
        .unwrap();
    assert!(
        !format!("{proxied:?}").contains(&proxy.base_url),
        "{proxied:?}"
    );
    let client = Client::from_config(proxied).unwrap();
    let bill = status(&client, "UTIL-1").await.unwrap();
    assert_eq!(bill.utility_enkash_id.as_deref(), Some("UTIL-1"));
    let lines: Vec<String> = proxy
        .seen()
        .iter()
        .map(|seen| format!("{} {}", seen.method, seen.path))
        .collect();
    assert_eq!(
        lines,
        [
            "POST http://enkash.invalid/oauth/token",
            "GET http://enkash.invalid/api/v2/utilityPayment/UTIL-1"
        ]
    );

    // `Off` goes straight to the base URL, whatever the environment says.
    let direct = recording_proxy().await;
    let client = Client::from_config(
        config(&direct)
            .proxy(enkash::ProxySetting::Off)
            .build()
            .unwrap(),
    )
    .unwrap();
    status(&client, "UTIL-1").await.unwrap();
    assert_eq!(direct.seen()[1].path, "/api/v2/utilityPayment/UTIL-1");
}

#[test]
fn a_proxy_that_is_no_url_is_refused_without_quoting_it() {
    let proxy = "http://user:pa ss@[bad";
    let err = Config::builder()
        .credentials(common::credentials())
        .proxy(enkash::ProxySetting::Url(proxy.into()))
        .build()
        .unwrap_err();
    assert!(matches!(err, Error::Config(_)), "{err:?}");
    assert!(!err.to_string().contains("pa ss"), "{err}");
    let lookup = |name: &str| match name {
        "ENKASH_PROXY" => Some("off".to_owned()),
        "ENKASH_CLIENT_ID" | "ENKASH_CLIENT_SECRET" | "ENKASH_USERNAME" | "ENKASH_PASSWORD" => {
            Some("x".to_owned())
        }
        _ => None,
    };
    assert_eq!(
        Config::from_lookup(lookup).unwrap().proxy,
        enkash::ProxySetting::Off
    );
}

#[tokio::test]
async fn a_users_http_builder_keeps_the_clients_rules() {
    // A 307 to elsewhere: followed by a default reqwest client, refused by this one even when
    // the caller's builder asks for redirects to be followed.
    let target = recording_proxy().await;
    let location = format!("{}/api/v2/utilityPayment/UTIL-1", target.base_url);
    let server = Server::start(3600, move |_, _| {
        Action::Reply(307, vec![("location", location.clone())], String::new())
    })
    .await;
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::limited(5))
        .pool_max_idle_per_host(2);
    let client = Client::from_config_and_http(config(&server).build().unwrap(), http).unwrap();
    let err = status(&client, "UTIL-1").await.unwrap_err();
    assert!(matches!(err, Error::Redirected(_)), "{err:?}");
    assert!(target.seen().is_empty(), "the redirect was not followed");
}

#[tokio::test]
async fn send_with_metadata_gives_the_answers_facts_beside_the_payload() {
    let server = Server::start(3600, |_, n| {
        if n == 0 {
            return Action::json(503, json!({"error": "busy"}));
        }
        Action::Reply(
            200,
            vec![
                ("content-type", "application/json".into()),
                ("x-request-id", format!("req-{n}")),
            ],
            json!({"response_code": 0, "payload": bill("UTIL-1", "REF-1")}).to_string(),
        )
    })
    .await;
    let response = client(&server)
        .get_utility_bill_status()
        .utility_enkash_id("UTIL-1")
        .send_with_metadata()
        .await
        .unwrap();
    // The payload reads as it would from `send()`.
    assert_eq!(response.utility_enkash_id.as_deref(), Some("UTIL-1"));
    let metadata = &response.metadata;
    assert_eq!(metadata.http_status, 200);
    assert_eq!(metadata.attempts, 2, "a 503, then the answer");
    assert_eq!(metadata.request_id.as_deref(), Some("req-1"));
    assert_eq!(
        metadata.headers.get("content-type").unwrap(),
        "application/json"
    );
    assert!(metadata.duration > Duration::ZERO);
    assert_eq!(
        response.into_payload().reference_id.as_deref(),
        Some("REF-1")
    );
}

#[tokio::test]
async fn options_for_one_call_apply_to_it_alone_and_share_the_token() {
    let server = Server::start(3600, |seen: &Seen, _| match seen.path.as_str() {
        "/api/v2/utilityPayment/SLOW" => Action::Delay(
            Duration::from_secs(3),
            Box::new(Action::ok(bill("SLOW", "REF-1"))),
        ),
        "/api/v2/utilityPayment/BUSY" => Action::json(503, json!({"error": "busy"})),
        _ => Action::ok(bill("UTIL-1", "REF-1")),
    })
    .await;
    let client = client(&server);
    status(&client, "UTIL-1").await.unwrap();

    let quick = client
        .customize(
            enkash::CallOptions::new()
                .total_timeout(Duration::from_millis(300))
                .max_attempts(1)
                .header("x-correlation-id", "order-42")
                .unwrap(),
        )
        .unwrap();
    let started = Instant::now();
    let err = status(&quick, "SLOW").await.unwrap_err();
    assert!(err.is_timeout(), "{err:?}");
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "{:?}",
        started.elapsed()
    );
    // One attempt only, where the client would make three.
    assert!(status(&quick, "BUSY").await.is_err());
    assert_eq!(server.count("/api/v2/utilityPayment/BUSY"), 1);
    status(&client, "BUSY").await.unwrap_err();
    assert_eq!(server.count("/api/v2/utilityPayment/BUSY"), 4);

    // The extra header goes with the customized calls only; the token is the client's.
    let sent: Vec<Option<String>> = server
        .seen()
        .iter()
        .filter(|seen| seen.path.contains("/api/"))
        .map(|seen| seen.header("x-correlation-id").map(str::to_owned))
        .collect();
    assert_eq!(
        sent,
        [
            None,
            Some("order-42".into()),
            Some("order-42".into()),
            None,
            None,
            None
        ]
    );
    assert_eq!(server.token_requests(), 1);

    let refused = enkash::CallOptions::new()
        .header("Authorization", "Bearer x")
        .unwrap_err();
    assert!(
        refused.to_string().contains("set by the client"),
        "{refused}"
    );
    let zero = client.customize(enkash::CallOptions::new().total_timeout(Duration::ZERO));
    assert!(matches!(zero, Err(Error::Config(_))), "{zero:?}");
}

/// `count` bills `B-0`, `B-1`, ... as a bill search answers them, from `offset`, at most `limit`.
fn bill_page(count: u64, offset: u64, limit: u64) -> serde_json::Value {
    let end = count.min(offset + limit);
    json!(
        (offset..end)
            .map(|n| bill(&format!("B-{n}"), &format!("REF-{n}")))
            .collect::<Vec<_>>()
    )
}

#[tokio::test]
async fn a_search_pages_until_a_short_page_with_its_own_limit() {
    use futures::TryStreamExt as _;
    let server = Server::start(3600, |seen: &Seen, _| {
        let body = seen.json();
        let (offset, limit) = (
            body["offset"].as_u64().unwrap(),
            body["limit"].as_u64().unwrap(),
        );
        Action::ok(bill_page(7, offset, limit))
    })
    .await;
    let bills: Vec<types::UtilityPaymentV2Response> = client(&server)
        .search_utility_bills()
        .body(types::UtilityBillSearchRequest::builder().limit(std::num::NonZeroU32::new(3)))
        .pages()
        .try_collect()
        .await
        .unwrap();
    let ids: Vec<_> = bills
        .iter()
        .filter_map(|b| b.utility_enkash_id.clone())
        .collect();
    assert_eq!(ids, (0..7).map(|n| format!("B-{n}")).collect::<Vec<_>>());
    let asked: Vec<(u64, u64)> = server
        .seen()
        .iter()
        .filter(|seen| seen.path == "/api/v1/utilityPayment/search")
        .map(|seen| {
            let body = seen.json();
            (
                body["offset"].as_u64().unwrap(),
                body["limit"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(asked, [(0, 3), (3, 3), (6, 3)]);
}

#[tokio::test]
async fn a_search_stream_yields_an_error_once_and_ends() {
    use futures::StreamExt as _;
    // Query paging with the spec's page size (100): the second page fails.
    let server = Server::start(3600, |seen: &Seen, _| {
        if seen.path.contains("offset=100") {
            return Action::json(
                400,
                json!({"response_code": 1, "response_message": "Failed"}),
            );
        }
        Action::ok(json!(
            (0..100)
                .map(|n| json!({"invoiceId": n}))
                .collect::<Vec<_>>()
        ))
    })
    .await;
    let items: Vec<Result<_, Error>> = client(&server)
        .search_collection_invoices()
        .body(types::InvoiceSearchRequest::builder())
        .pages()
        .collect()
        .await;
    assert_eq!(items.len(), 101, "100 items, then the error, then the end");
    assert!(items[..100].iter().all(Result::is_ok));
    assert!(matches!(items[100], Err(Error::Api(_))), "{:?}", items[100]);
    let paths: Vec<String> = server
        .seen()
        .iter()
        .filter(|seen| seen.path.starts_with("/api/v0/invoice/search"))
        .map(|seen| seen.path.clone())
        .collect();
    assert_eq!(
        paths,
        [
            "/api/v0/invoice/search?limit=100&offset=0",
            "/api/v0/invoice/search?limit=100&offset=100"
        ]
    );
}

#[tokio::test]
async fn a_page_size_over_the_documented_maximum_is_refused_before_sending() {
    use futures::StreamExt as _;
    let server = Server::start(3600, |_, _| Action::ok(json!([]))).await;
    let client = client(&server);
    let mut pages = Box::pin(
        client
            .search_customer()
            .limit(std::num::NonZeroU32::new(51).unwrap())
            .body(types::CustomerSearchRequest::builder())
            .pages(),
    );
    let first = pages.next().await.unwrap();
    assert!(matches!(first, Err(Error::InvalidRequest(_))), "{first:?}");
    assert!(pages.next().await.is_none());
    assert!(server.seen().is_empty());
}
