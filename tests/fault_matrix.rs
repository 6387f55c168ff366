//! The fault matrix: every fault below is applied to a lookup (`get_utility_bill_status`) and to
//! a money-moving call (`create_bill`), and each row states the exact error and how many
//! requests the server saw. `docs/reliability.md` holds the same table; the test
//! `the_documented_table_is_the_matrix` keeps the two in step.
//!
//! Run it with `cargo test --all-features --test fault_matrix`.

mod common;

use std::time::Duration;

use base64::Engine as _;
use common::Captured;
use common::raw::{Mode, RawServer, Scripted, Step};
use common::server::{Action, Seen};
use enkash::error::{TransportErrorKind, UnknownCause};
use enkash::{Client, Error, RetryPolicy, Timeouts, types};
use futures::StreamExt as _;
use serde_json::json;

use common::{CLIENT_ID, CLIENT_SECRET, PASSWORD};
const TOKEN_PATH: &str = "/oauth/token";
const STATUS_PATH: &str = "/api/v2/utilityPayment/UTIL-1";
/// Response bodies over this are refused (the matrix sends 1 MiB).
const BODY_LIMIT: usize = 64 * 1024;
/// Attempts per call under the retry policy of the matrix.
const ATTEMPTS: usize = 3;

/// A personal value (an account number) the server puts where an amount is due.
const PERSONAL: &str = "50200012345678";

/// The access token issued `n`-th (from 1): distinctive, so a leak is found by plain search.
fn token(n: usize) -> String {
    format!("tok-{n}-b7e2f9c41d")
}

// ---------------------------------------------------------------------------------------------
// Faults

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Fault {
    /// Nothing listens on the port any more.
    ConnectionRefused,
    /// The server accepts and closes at once, reading nothing.
    ResetBeforeRequest,
    /// The server reads the request and closes without answering.
    ResetAfterRequest,
    /// The listener stops accepting and its accept queue is full: connect hangs.
    ConnectTimeout,
    /// The answer comes after the attempt timeout.
    ReadTimeout,
    /// 5XX with an HTML page from a gateway.
    Gateway(u16),
    /// 429, with `Retry-After: 1` or without it.
    TooManyRequests { retry_after: bool },
    /// 200 whose body is not JSON.
    MalformedJson,
    /// 200 announcing more bytes than it sends, then the connection closes.
    TruncatedJson,
    /// 200 with an empty body.
    EmptyBody,
    /// 200 labelled `text/html`, the body a valid envelope (`json_body`) or an HTML page.
    WrongContentType { json_body: bool },
    /// 200 with this `response_code`.
    ResponseCode(i64),
    /// The token endpoint answers 401.
    TokenRefused,
    /// The token endpoint answers 503 with an HTML page.
    TokenServerError,
    /// The first data call is refused 401 (token expired); the renewed token is accepted.
    TokenExpiredMidFlight,
    /// A 1 MiB body, the limit being 64 KiB.
    HugeBody,
    /// Headers, then one byte of body every 200 ms; the attempt timeout is 1 s.
    DripFeed,
    /// The token answer gives `expires_in: i64::MAX` (a clock would overflow).
    HugeTokenLifetime,
    /// HTTP 307 to another port on plain `http://`.
    Redirect,
    /// The data call is refused 401 without `WWW-Authenticate` (no proof it was unread).
    BareUnauthorized,
    /// The server keeps connections alive and closes them after 100 ms idle; the call comes
    /// 400 ms after the warm-up, on what the pool kept.
    IdleClosedKeepAlive,
    /// A 400 whose message and payload echo the password, the client secret and the token.
    EchoedSecret,
    /// 200 whose `response_code` is a text holding a personal value.
    ValueInDecodeError,
}

/// Where the redirect of `Fault::Redirect` points.
const REDIRECT_TARGET: &str = "http://127.0.0.1:9/elsewhere";

impl Fault {
    /// Faults of the listener itself: the token is obtained first (a warm-up lookup), then the
    /// listener changes mode.
    fn mode(self) -> Option<Mode> {
        match self {
            Fault::ConnectionRefused => Some(Mode::Closed),
            Fault::ResetBeforeRequest => Some(Mode::CloseUnread),
            Fault::ConnectTimeout => Some(Mode::Stall),
            Fault::IdleClosedKeepAlive => Some(Mode::Serve),
            _ => None,
        }
    }

    /// Short where the row is about that timeout; roomy elsewhere, so a busy machine does not
    /// turn another row into a timeout.
    fn timeouts(self) -> Timeouts {
        let (connect, attempt) = match self {
            Fault::ConnectTimeout => (Duration::from_millis(200), Duration::from_secs(2)),
            // Long enough for the token answer on a busy machine; the data answer comes later.
            Fault::ReadTimeout => (Duration::from_secs(1), Duration::from_secs(1)),
            Fault::DripFeed => (Duration::from_secs(1), Duration::from_secs(1)),
            _ => (Duration::from_secs(1), Duration::from_secs(2)),
        };
        Timeouts::default()
            .with_connect(connect)
            .with_attempt(attempt)
            .with_total(Duration::from_secs(10))
    }

    /// The answer to a data call (not the token call).
    fn answer(self, seen: &Seen) -> Scripted {
        let action = match self {
            Fault::ConnectionRefused
            | Fault::ResetBeforeRequest
            | Fault::ConnectTimeout
            | Fault::HugeTokenLifetime
            | Fault::IdleClosedKeepAlive => success(),
            Fault::Redirect => Action::Reply(
                307,
                vec![("location", REDIRECT_TARGET.to_owned())],
                String::new(),
            ),
            Fault::BareUnauthorized => {
                if seen.header("authorization") == Some(format!("Bearer {}", token(1)).as_str()) {
                    Action::json(
                        401,
                        json!({"response_code": 1, "response_message": "Unauthorized"}),
                    )
                } else {
                    success()
                }
            }
            Fault::ResetAfterRequest => Action::Drop,
            Fault::ReadTimeout => Action::Delay(Duration::from_secs(3), Box::new(success())),
            Fault::Gateway(status) => html(status),
            Fault::TooManyRequests { retry_after } => {
                let mut headers = vec![("content-type", "application/json".to_owned())];
                if retry_after {
                    headers.push(("retry-after", "1".to_owned()));
                }
                let body = json!({"response_code": 1, "response_message": "Too many requests"});
                Action::Reply(429, headers, body.to_string())
            }
            Fault::MalformedJson => Action::Reply(
                200,
                vec![("content-type", "application/json".into())],
                r#"{"response_code": 0, "payload": {utilityEnkashId: UTIL-1}}"#.into(),
            ),
            Fault::TruncatedJson => {
                let body = br#"{"response_code": 0, "payload": {"utilityEnk"#;
                let head = format!(
                    "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
                    body.len() + 400
                );
                return Scripted::Raw(vec![
                    Step::Write(head.into_bytes()),
                    Step::Write(body.to_vec()),
                ]);
            }
            Fault::EmptyBody => Action::Reply(
                200,
                vec![("content-type", "application/json".into())],
                String::new(),
            ),
            Fault::WrongContentType { json_body } => Action::Reply(
                200,
                vec![("content-type", "text/html; charset=utf-8".into())],
                if json_body {
                    success_body().to_string()
                } else {
                    "<html><body><h1>Welcome</h1></body></html>".into()
                },
            ),
            Fault::ResponseCode(code) => Action::json(
                200,
                json!({"response_code": code, "response_message": format!("code {code}"), "payload": null}),
            ),
            Fault::TokenRefused | Fault::TokenServerError => success(),
            Fault::TokenExpiredMidFlight => {
                if seen.header("authorization") == Some(format!("Bearer {}", token(1)).as_str()) {
                    Action::Reply(
                        401,
                        vec![
                            ("content-type", "application/json".into()),
                            (
                                "www-authenticate",
                                r#"Bearer error="invalid_token", error_description="expired""#
                                    .into(),
                            ),
                        ],
                        json!({"response_code": 1, "response_message": "invalid token"})
                            .to_string(),
                    )
                } else {
                    success()
                }
            }
            Fault::HugeBody => {
                let filler = "x".repeat(1024 * 1024);
                let body = json!({"response_code": 0, "payload": {"utilityEnkashId": "UTIL-1", "note": filler}});
                Action::json(200, body)
            }
            Fault::DripFeed => {
                let body = success_body().to_string().into_bytes();
                let head = format!(
                    "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
                    body.len()
                );
                let mut steps = vec![Step::Write(head.into_bytes())];
                for byte in body {
                    steps.push(Step::Sleep(Duration::from_millis(200)));
                    steps.push(Step::Write(vec![byte]));
                }
                return Scripted::Raw(steps);
            }
            Fault::EchoedSecret => Action::json(
                400,
                json!({
                    "response_code": 1,
                    "response_message": format!("Invalid login {PASSWORD}"),
                    "payload": {"echo": CLIENT_SECRET, "header": format!("Bearer {}", token(1))},
                }),
            ),
            Fault::ValueInDecodeError => Action::json(
                200,
                json!({"response_code": format!("acct {PERSONAL}"), "payload": {"utilityEnkashId": "UTIL-1"}}),
            ),
        };
        Scripted::Action(action)
    }

    /// The answer to the `n`-th token call (from 0).
    fn token_answer(self, n: usize) -> Scripted {
        Scripted::Action(match self {
            Fault::TokenRefused => Action::json(
                401,
                json!({"error": "unauthorized", "response_message": "Bad credentials"}),
            ),
            Fault::TokenServerError => html(503),
            _ => Action::json(
                200,
                json!({
                    "access_token": token(n + 1),
                    "token_type": "bearer",
                    "expires_in": if self == Fault::HugeTokenLifetime { i64::MAX } else { 3600 },
                    "scope": "read write trust",
                }),
            ),
        })
    }
}

fn success_body() -> serde_json::Value {
    json!({
        "response_code": 0,
        "response_message": "Success",
        "payload": {"utilityEnkashId": "UTIL-1", "referenceId": "REF-1", "amount": 2450.75, "paymentStatus": "INIT"},
    })
}

fn success() -> Action {
    Action::json(200, success_body())
}

fn html(status: u16) -> Action {
    Action::Reply(
        status,
        vec![("content-type", "text/html".into())],
        format!(
            "<html><head><title>{status}</title></head><body><center><h1>{status} Gateway Error</h1></center><hr><center>nginx</center></body></html>"
        ),
    )
}

// ---------------------------------------------------------------------------------------------
// Calls

/// The calls a fault is applied to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Call {
    /// `get_utility_bill_status` (a lookup).
    Lookup,
    /// The money-moving calls of the Bill Payment tag.
    CreateBill,
    CreateBillWithoutFetch,
    CreateBillWithoutFetchV0,
    ConfirmDebit,
}

const MONEY_MOVING: [Call; 4] = [
    Call::CreateBill,
    Call::CreateBillWithoutFetch,
    Call::CreateBillWithoutFetchV0,
    Call::ConfirmDebit,
];

impl Call {
    fn path(self) -> &'static str {
        match self {
            Call::Lookup => STATUS_PATH,
            Call::CreateBill => "/api/v2/utilityPayment",
            Call::CreateBillWithoutFetch => "/api/v2/biller/addBill",
            Call::CreateBillWithoutFetchV0 => "/api/v0/biller/addBill",
            Call::ConfirmDebit => "/api/v0/utilityPayment/status",
        }
    }

    async fn send(self, client: &Client, reference: &str) -> Result<(), Error> {
        fn body<T: serde::de::DeserializeOwned>(text: &str) -> T {
            serde_json::from_str(text).unwrap()
        }
        match self {
            Call::Lookup => client
                .get_utility_bill_status()
                .utility_enkash_id("UTIL-1")
                .send()
                .await
                .map(drop),
            Call::CreateBill => client
                .create_bill()
                .body(body::<types::CreateBillRequest>(&format!(
                    r#"{{"referenceId": "{reference}", "companyBillerId": "CB-54321", "billNetAmount": 100.10, "billAmount": 100.10}}"#
                )))
                .send()
                .await
                .map(drop),
            Call::CreateBillWithoutFetch => client
                .create_bill_without_fetch()
                .body(body::<types::AddBillRequest>(&format!(
                    r#"{{"referenceId": "{reference}", "billerId": 2001, "billParams": {{"cn": "CN123456789"}}, "billAmount": 2450.75}}"#
                )))
                .send()
                .await
                .map(drop),
            Call::CreateBillWithoutFetchV0 => client
                .create_bill_without_fetch_v0()
                .body(body::<types::AddBillV0Request>(&format!(
                    r#"{{"referenceId": "{reference}", "billerId": 2001, "billParams": {{"cn": "CN123456789"}}, "autoDebit": "BKCJC126GDK5"}}"#
                )))
                .send()
                .await
                .map(drop),
            Call::ConfirmDebit => client
                .confirm_debit()
                .body(body::<types::UtilityPaymentApprovalRequest>(&format!(
                    r#"{{"utilityPaymentIds": ["{reference}"], "approvalStatus": "CHECKER_APPROVED", "remarks": "Approved for May cycle"}}"#
                )))
                .send()
                .await
                .map(drop),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Expected outcomes

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Expect {
    Ok,
    /// `Error::Api` with this HTTP status and `response_code`.
    Api(u16, Option<i64>),
    /// `Error::OutcomeUnknown` with this cause and HTTP status.
    Unknown(UnknownCause, Option<u16>),
    /// `Error::Transport` of this kind.
    Transport(TransportErrorKind),
    /// `Error::Decode` of an answer with this HTTP status.
    Decode(u16),
    /// `Error::Token` with this HTTP status.
    Token(Option<u16>),
    /// `Error::Redirected` with this HTTP status, naming the `Location` host.
    Redirect(u16),
}

impl Expect {
    fn matches(self, result: &Result<(), Error>) -> bool {
        match (self, result) {
            (Expect::Ok, Ok(())) => true,
            (Expect::Api(status, code), Err(Error::Api(api))) => {
                api.http_status == status && api.code.map(|c| c.code()) == code
            }
            (Expect::Unknown(cause, status), Err(Error::OutcomeUnknown(unknown))) => {
                unknown.cause == cause && unknown.http_status == status
            }
            (Expect::Transport(kind), Err(Error::Transport(transport))) => transport.kind == kind,
            (Expect::Decode(status), Err(Error::Decode(decode))) => decode.http_status == status,
            (Expect::Token(status), Err(Error::Token(token))) => token.http_status == status,
            (Expect::Redirect(status), Err(Error::Redirected(redirect))) => {
                redirect.http_status == status
                    && redirect.location_host.as_deref() == Some("127.0.0.1:9")
            }
            _ => false,
        }
    }
}

/// One row: a fault, and for each call kind the outcome and the requests the server saw on the
/// call's path (requests read, plus connections closed unread for `ResetBeforeRequest`).
struct Row {
    fault: Fault,
    lookup: (Expect, usize),
    money: (Expect, usize),
    /// Token requests the lookup causes (the money-moving call causes the same, unless
    /// `money_tokens` says otherwise).
    tokens: usize,
    money_tokens: usize,
}

const fn row(fault: Fault, lookup: (Expect, usize), money: (Expect, usize), tokens: usize) -> Row {
    Row {
        fault,
        lookup,
        money,
        tokens,
        money_tokens: tokens,
    }
}

/// A row whose money-moving call causes another number of token requests than its lookup.
const fn row_tokens(
    fault: Fault,
    lookup: (Expect, usize),
    money: (Expect, usize),
    (tokens, money_tokens): (usize, usize),
) -> Row {
    Row {
        fault,
        lookup,
        money,
        tokens,
        money_tokens,
    }
}

use Expect::{Api, Decode, Redirect, Token, Transport, Unknown};
use TransportErrorKind as Kind;
use UnknownCause as Cause;

/// The matrix. `docs/reliability.md` mirrors it row for row.
#[rustfmt::skip]
const MATRIX: &[Row] = &[
    row(Fault::ConnectionRefused, (Transport(Kind::Connect), 0), (Transport(Kind::Connect), 0), 1),
    row(Fault::ResetBeforeRequest, (Transport(Kind::ConnectionLost), ATTEMPTS), (Unknown(Cause::ConnectionLost, None), 1), 1),
    row(Fault::ResetAfterRequest, (Transport(Kind::ConnectionLost), ATTEMPTS), (Unknown(Cause::ConnectionLost, None), 1), 1),
    row(Fault::ConnectTimeout, (Transport(Kind::Connect), 0), (Transport(Kind::Connect), 0), 1),
    row(Fault::ReadTimeout, (Transport(Kind::Timeout), ATTEMPTS), (Unknown(Cause::Timeout, None), 1), 1),
    row(Fault::Gateway(500), (Api(500, None), ATTEMPTS), (Unknown(Cause::ServerError, Some(500)), 1), 1),
    row(Fault::Gateway(502), (Api(502, None), ATTEMPTS), (Unknown(Cause::ServerError, Some(502)), 1), 1),
    row(Fault::Gateway(503), (Api(503, None), ATTEMPTS), (Unknown(Cause::ServerError, Some(503)), 1), 1),
    row(Fault::Gateway(504), (Api(504, None), ATTEMPTS), (Unknown(Cause::ServerError, Some(504)), 1), 1),
    row(Fault::TooManyRequests { retry_after: true }, (Api(429, Some(1)), ATTEMPTS), (Api(429, Some(1)), 1), 1),
    row(Fault::TooManyRequests { retry_after: false }, (Api(429, Some(1)), ATTEMPTS), (Api(429, Some(1)), 1), 1),
    row(Fault::MalformedJson, (Decode(200), 1), (Unknown(Cause::UnreadableAnswer, Some(200)), 1), 1),
    row(Fault::TruncatedJson, (Transport(Kind::ConnectionLost), ATTEMPTS), (Unknown(Cause::ConnectionLost, None), 1), 1),
    row(Fault::EmptyBody, (Decode(200), 1), (Unknown(Cause::UnreadableAnswer, Some(200)), 1), 1),
    row(Fault::WrongContentType { json_body: true }, (Expect::Ok, 1), (Expect::Ok, 1), 1),
    row(Fault::WrongContentType { json_body: false }, (Decode(200), 1), (Unknown(Cause::UnreadableAnswer, Some(200)), 1), 1),
    row(Fault::ResponseCode(1), (Api(200, Some(1)), 1), (Api(200, Some(1)), 1), 1),
    row(Fault::ResponseCode(36), (Api(200, Some(36)), 1), (Api(200, Some(36)), 1), 1),
    row(Fault::ResponseCode(37), (Api(200, Some(37)), 1), (Api(200, Some(37)), 1), 1),
    row(Fault::ResponseCode(38), (Api(200, Some(38)), 1), (Api(200, Some(38)), 1), 1),
    row(Fault::ResponseCode(99), (Api(200, Some(99)), 1), (Api(200, Some(99)), 1), 1),
    row(Fault::TokenRefused, (Token(Some(401)), 0), (Token(Some(401)), 0), 1),
    row(Fault::TokenServerError, (Token(Some(503)), 0), (Token(Some(503)), 0), ATTEMPTS),
    row(Fault::TokenExpiredMidFlight, (Expect::Ok, 2), (Expect::Ok, 2), 2),
    row(Fault::HugeBody, (Decode(200), 1), (Unknown(Cause::UnreadableAnswer, Some(200)), 1), 1),
    row(Fault::DripFeed, (Transport(Kind::Timeout), ATTEMPTS), (Unknown(Cause::Timeout, None), 1), 1),
    row(Fault::HugeTokenLifetime, (Expect::Ok, 1), (Expect::Ok, 1), 1),
    row(Fault::Redirect, (Redirect(307), 1), (Redirect(307), 1), 1),
    row_tokens(Fault::BareUnauthorized, (Expect::Ok, 2), (Unknown(Cause::Unauthorized, Some(401)), 1), (2, 1)),
    row(Fault::IdleClosedKeepAlive, (Expect::Ok, 1), (Expect::Ok, 1), 1),
    row(Fault::EchoedSecret, (Api(400, Some(1)), 1), (Api(400, Some(1)), 1), 1),
    row(Fault::ValueInDecodeError, (Decode(200), 1), (Unknown(Cause::UnreadableAnswer, Some(200)), 1), 1),
];

// ---------------------------------------------------------------------------------------------
// Running a fault

/// What one call under one fault did.
struct Observed {
    result: Result<(), Error>,
    /// Requests on the call's path (read, or closed unread), the warm-up excluded.
    requests: usize,
    /// Token requests.
    tokens: usize,
    /// Bodies of the requests read on the call's path.
    bodies: Vec<String>,
    /// Every request the server read, warm-up included.
    seen: Vec<Seen>,
    /// How long the call took.
    elapsed: Duration,
}

fn client(server: &RawServer, fault: Fault) -> Client {
    Client::from_config(config(server, fault).build().unwrap()).unwrap()
}

fn config(server: &RawServer, fault: Fault) -> enkash::config::ConfigBuilder {
    common::config(&server.base_url)
        .retry(
            RetryPolicy::standard()
                .with_max_attempts(ATTEMPTS as u32)
                .with_initial_backoff(Duration::from_millis(10))
                .with_max_backoff(Duration::from_secs(2))
                .with_jitter(false),
        )
        .timeouts(fault.timeouts())
        .max_response_bytes(BODY_LIMIT)
}

/// Applies `fault` to one `call` against a fresh server and client.
async fn run(fault: Fault, call: Call, reference: &str) -> Observed {
    let backlog = if fault == Fault::ConnectTimeout {
        1
    } else {
        1024
    };
    let server = RawServer::start_with_backlog(backlog, move |seen, n| {
        if seen.path == TOKEN_PATH {
            fault.token_answer(n)
        } else {
            fault.answer(seen)
        }
    })
    .await;
    if fault == Fault::IdleClosedKeepAlive {
        server.keep_alive(Some(Duration::from_millis(100)));
    }
    let client = client(&server, fault);
    if let Some(mode) = fault.mode() {
        // Get the token while the listener still answers, on another path.
        client
            .get_utility_bill_status()
            .utility_enkash_id("WARM-UP")
            .send()
            .await
            .expect("the warm-up lookup succeeds");
        server.set_mode(mode).await;
        if fault == Fault::IdleClosedKeepAlive {
            // Long enough for the server to close the pooled connection.
            tokio::time::sleep(Duration::from_millis(400)).await;
        }
    }
    let started = std::time::Instant::now();
    let result = call.send(&client, reference).await;
    let elapsed = started.elapsed();
    let path = call.path();
    let seen = server.seen();
    let bodies: Vec<String> = seen
        .iter()
        .filter(|s| s.path == path)
        .map(|s| s.body.clone())
        .collect();
    Observed {
        result,
        requests: bodies.len() + server.closed_unread(),
        tokens: server.count(TOKEN_PATH),
        bodies,
        seen,
        elapsed,
    }
}

/// The ways `observed` differs from the row (empty when it matches).
fn check(
    row: &Row,
    call: Call,
    (expect, requests): (Expect, usize),
    observed: &Observed,
) -> Vec<String> {
    let what = format!("{:?} on {call:?}", row.fault);
    let mut wrong = Vec::new();
    if !expect.matches(&observed.result) {
        wrong.push(format!(
            "{what}: expected {expect:?}, got {:?}",
            observed.result
        ));
    }
    if observed.requests != requests {
        wrong.push(format!(
            "{what}: {} requests seen, expected {requests}",
            observed.requests
        ));
    }
    // Waits the requests cannot show: `Retry-After: 1` twice; three connect timeouts of 200 ms.
    let waited = match (row.fault, call) {
        (Fault::TooManyRequests { retry_after: true }, Call::Lookup) => Some(true),
        (Fault::TooManyRequests { retry_after: false }, Call::Lookup) => Some(false),
        (Fault::ConnectTimeout, _) => Some(true),
        _ => None,
    };
    let floor = match row.fault {
        Fault::ConnectTimeout => Duration::from_millis(600),
        _ => Duration::from_secs(2),
    };
    if let Some(waited) = waited
        && (observed.elapsed >= floor) != waited
    {
        wrong.push(format!("{what}: took {:?}", observed.elapsed));
    }
    let tokens = if call == Call::Lookup {
        row.tokens
    } else {
        row.money_tokens
    };
    if observed.tokens != tokens {
        wrong.push(format!(
            "{what}: {} token requests, expected {tokens}",
            observed.tokens
        ));
    }
    wrong
}

/// The tests that run faults take turns: each already runs its rows concurrently, and a trace
/// capture must not race another test's first use of a callsite.
static SERIAL: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// Runs the futures a few at a time (timeouts are short; too many at once would starve them),
/// keeping their order.
async fn concurrently<T>(runs: impl IntoIterator<Item = impl Future<Output = T>>) -> Vec<T> {
    futures::stream::iter(runs).buffered(6).collect().await
}

#[tokio::test]
async fn the_pool_drops_idle_connections_after_its_own_timeout() {
    let _turn = SERIAL.lock().await;
    let server = RawServer::start(|seen, n| {
        if seen.path == TOKEN_PATH {
            Fault::IdleClosedKeepAlive.token_answer(n)
        } else {
            Scripted::Action(success())
        }
    })
    .await;
    server.keep_alive(Some(Duration::from_secs(10)));
    let mut connections = Vec::new();
    for pool_idle in [
        enkash::config::DEFAULT_POOL_IDLE_TIMEOUT,
        Duration::from_millis(50),
    ] {
        let before = server.connections();
        let fault = Fault::IdleClosedKeepAlive;
        let client = Client::from_config(
            config(&server, fault)
                .pool_idle_timeout(pool_idle)
                .build()
                .unwrap(),
        )
        .unwrap();
        for _ in 0..2 {
            Call::Lookup.send(&client, "unused").await.unwrap();
            tokio::time::sleep(Duration::from_millis(300)).await;
        }
        connections.push(server.connections() - before);
    }
    // The default keeps one connection for the token and both calls; with 50 ms the pool drops
    // it in the 300 ms pause, and the second call opens another.
    assert_eq!(connections, [1, 2]);
}

#[test]
fn the_matrix_covers_at_least_fifteen_fault_kinds() {
    let kinds: std::collections::BTreeSet<String> = MATRIX
        .iter()
        .map(|row| {
            let name = format!("{:?}", row.fault);
            name.split(['(', ' ']).next().unwrap().to_owned()
        })
        .collect();
    assert!(kinds.len() >= 15, "{kinds:?}");
    assert!(MATRIX.len() >= 25);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn each_fault_gives_its_error_and_request_count() {
    let _turn = SERIAL.lock().await;
    let runs = MATRIX.iter().enumerate().map(|(i, row)| async move {
        let reference = format!("REF-M{i}");
        let lookup = run(row.fault, Call::Lookup, "unused");
        let money = run(row.fault, Call::CreateBill, &reference);
        let (lookup, money) = futures::join!(lookup, money);
        (row, lookup, money)
    });
    let mut wrong = Vec::new();
    for (i, (row, lookup, money)) in concurrently(runs).await.into_iter().enumerate() {
        wrong.extend(check(row, Call::Lookup, row.lookup, &lookup));
        wrong.extend(check(row, Call::CreateBill, row.money, &money));
        // An unknown outcome always names the referenceId to look the bill up by.
        if let Err(Error::OutcomeUnknown(unknown)) = &money.result {
            assert_eq!(unknown.reference_id(), Some(format!("REF-M{i}").as_str()));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn no_fault_makes_a_money_moving_request_arrive_twice() {
    let _turn = SERIAL.lock().await;
    let unknown_rows = MATRIX
        .iter()
        .filter(|row| matches!(row.money.0, Expect::Unknown(..)));
    let runs = unknown_rows.enumerate().flat_map(|(i, row)| {
        MONEY_MOVING.into_iter().map(move |call| async move {
            let reference = format!("REF-D{i}-{call:?}");
            let observed = run(row.fault, call, &reference).await;
            (row, call, reference, observed)
        })
    });
    let results = concurrently(runs).await;
    // Every unknown-outcome fault, on every money-moving operation of the Bill Payment tag.
    assert_eq!(
        results.len(),
        4 * 15,
        "rows with an unknown outcome changed"
    );
    for (row, call, reference, observed) in results {
        let what = format!("{:?} on {call:?}", row.fault);
        let Err(Error::OutcomeUnknown(unknown)) = &observed.result else {
            panic!("{what}: {:?}", observed.result);
        };
        assert!(row.money.0.matches(&observed.result), "{what}: {unknown:?}");
        match call {
            Call::ConfirmDebit => {
                assert_eq!(
                    unknown.utility_payment_ids,
                    vec![reference.clone()],
                    "{what}"
                )
            }
            _ => assert_eq!(unknown.reference_id(), Some(reference.as_str()), "{what}"),
        }
        // Sent once: one request read, or one connection closed unread.
        assert_eq!(observed.requests, 1, "{what}");
        let mut bodies = observed.bodies.clone();
        bodies.sort();
        bodies.dedup();
        assert_eq!(
            bodies.len(),
            observed.bodies.len(),
            "{what}: a body arrived twice"
        );
        for body in &observed.bodies {
            assert!(body.contains(&reference), "{what}: {body}");
        }
    }
}

#[tokio::test(flavor = "current_thread")]
async fn no_secret_leaks_under_any_fault() {
    let _turn = SERIAL.lock().await;
    let captured = Captured::default();
    let writer = captured.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_writer(move || writer.clone())
        .with_max_level(tracing::Level::TRACE)
        .with_span_events(tracing_subscriber::fmt::format::FmtSpan::FULL)
        .with_ansi(false)
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);

    let runs = MATRIX.iter().enumerate().flat_map(|(i, row)| {
        [Call::Lookup, Call::CreateBill]
            .map(move |call| async move { run(row.fault, call, &format!("REF-S{i}")).await })
    });
    let observed = concurrently(runs).await;

    let mut text = captured.text();
    assert!(text.contains("enkash.call"), "nothing was traced");
    for run in &observed {
        if let Err(err) = &run.result {
            text.push_str(&format!("\n{err}\n{err:?}"));
        }
    }
    let basic =
        base64::engine::general_purpose::STANDARD.encode(format!("{CLIENT_ID}:{CLIENT_SECRET}"));
    let secrets = [
        CLIENT_SECRET.to_owned(),
        PASSWORD.to_owned(),
        basic.clone(),
        token(1),
        token(2),
        token(3),
        PERSONAL.to_owned(),
    ];
    // The secrets did travel, so finding none of them below means something.
    let headers: Vec<&str> = observed
        .iter()
        .flat_map(|run| &run.seen)
        .filter_map(|seen| seen.header("authorization"))
        .collect();
    for secret in [basic.clone(), token(1), token(2)] {
        assert!(
            headers.iter().any(|h| h.contains(&secret)),
            "{secret} was never sent"
        );
    }
    for secret in &secrets {
        assert!(
            !text.contains(secret.as_str()),
            "`{secret}` leaked:\n{text}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_echoed_secret_and_a_value_in_a_decode_error_are_masked_exactly() {
    let _turn = SERIAL.lock().await;
    let echoed = run(Fault::EchoedSecret, Call::Lookup, "unused").await;
    let Err(err) = &echoed.result else {
        panic!("{:?}", echoed.result)
    };
    assert_eq!(
        err.to_string(),
        "get_utility_bill_status failed with HTTP 400, response_code 1 (failure): \
         Invalid login ** redacted ** [{\"echo\":\"** redacted **\",\"header\":\"Bearer ** redacted **\"}]"
    );
    let decode = run(Fault::ValueInDecodeError, Call::Lookup, "unused").await;
    let Err(err) = &decode.result else {
        panic!("{:?}", decode.result)
    };
    assert_eq!(
        err.to_string(),
        "get_utility_bill_status answered HTTP 200 with an unreadable body (at response_code: \
         invalid type: string, expected i64): \
         {\"payload\":{\"utilityEnkashId\":\"UTIL-1\"},\"response_code\":\"** redacted **\"}"
    );
    assert!(!format!("{err:?}").contains(PERSONAL), "{err:?}");
}

impl Fault {
    /// How `docs/reliability.md` names the fault.
    fn label(self) -> String {
        match self {
            Fault::ConnectionRefused => "Connection refused".into(),
            Fault::ResetBeforeRequest => "Closed before the request is read".into(),
            Fault::ResetAfterRequest => "Closed after the request is read".into(),
            Fault::ConnectTimeout => "Connect timeout".into(),
            Fault::ReadTimeout => "Read timeout (answer after the attempt timeout)".into(),
            Fault::Gateway(status) => format!("HTTP {status}, HTML gateway page"),
            Fault::TooManyRequests { retry_after: true } => "HTTP 429 with `Retry-After: 1`".into(),
            Fault::TooManyRequests { retry_after: false } => {
                "HTTP 429 without `Retry-After`".into()
            }
            Fault::MalformedJson => "Malformed JSON (200)".into(),
            Fault::TruncatedJson => "Truncated JSON (Content-Length larger than the body)".into(),
            Fault::EmptyBody => "Empty body (200)".into(),
            Fault::WrongContentType { json_body: true } => {
                "`text/html` with a valid JSON envelope".into()
            }
            Fault::WrongContentType { json_body: false } => {
                "`text/html` with an HTML page (200)".into()
            }
            Fault::ResponseCode(code) => format!("`response_code` {code} (200)"),
            Fault::TokenRefused => "Token endpoint answers 401".into(),
            Fault::TokenServerError => "Token endpoint answers 503 (HTML)".into(),
            Fault::TokenExpiredMidFlight => "Token expired mid-flight (401, then renewed)".into(),
            Fault::HugeBody => "1 MiB body, limit 64 KiB".into(),
            Fault::DripFeed => "Body dripped 1 byte / 200 ms, attempt timeout 1 s".into(),
            Fault::HugeTokenLifetime => "Token answer with `expires_in` = `i64::MAX`".into(),
            Fault::Redirect => "HTTP 307 to `http://` on another port".into(),
            Fault::BareUnauthorized => "HTTP 401 without `WWW-Authenticate`".into(),
            Fault::IdleClosedKeepAlive => {
                "Keep-alive connection closed by the server after 100 ms idle".into()
            }
            Fault::EchoedSecret => "HTTP 400 echoing the password, client secret and token".into(),
            Fault::ValueInDecodeError => {
                "An account number where `response_code` is due (200)".into()
            }
        }
    }
}

impl Expect {
    /// How `docs/reliability.md` writes the outcome.
    fn render(self) -> String {
        let status =
            |status: Option<u16>| status.map(|s| format!(", HTTP {s}")).unwrap_or_default();
        match self {
            Expect::Ok => "`Ok`".into(),
            Expect::Api(http, None) => format!("`Api` (HTTP {http})"),
            Expect::Api(http, Some(code)) => format!("`Api` (HTTP {http}, code {code})"),
            Expect::Unknown(cause, http) => format!("`OutcomeUnknown` ({cause:?}{})", status(http)),
            Expect::Transport(kind) => format!("`Transport` ({kind:?})"),
            Expect::Decode(http) => format!("`Decode` (HTTP {http})"),
            Expect::Token(Some(http)) => format!("`Token` (HTTP {http})"),
            Expect::Token(None) => "`Token` (no status)".into(),
            Expect::Redirect(http) => format!("`Redirected` (HTTP {http}, `Location` host named)"),
        }
    }
}

/// The outcome table of `docs/reliability.md`, one line per fault and call kind.
fn documented_table() -> Vec<String> {
    let mut lines = vec![
        "| # | Fault | Call | Error returned | Requests seen | Token requests | Retried? |"
            .to_owned(),
        "|---|---|---|---|---|---|---|".to_owned(),
    ];
    for (i, row) in MATRIX.iter().enumerate() {
        for (call, (expect, requests), tokens) in [
            ("lookup", row.lookup, row.tokens),
            ("money-moving", row.money, row.money_tokens),
        ] {
            let retried = match (expect, requests) {
                (Expect::Transport(TransportErrorKind::Connect), _) => "resent (nothing had left)",
                (_, 0) => "never sent",
                (Expect::Ok, 2) => "once, after re-authentication",
                (_, 1) => "no",
                _ => "yes",
            };
            let retried = if row.fault == Fault::TokenServerError {
                "token call retried, never sent"
            } else {
                retried
            };
            lines.push(format!(
                "| {} | {} | {call} | {} | {requests} | {} | {retried} |",
                i + 1,
                row.fault.label(),
                expect.render(),
                tokens,
            ));
        }
    }
    lines
}

#[test]
fn the_documented_table_is_the_matrix() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/docs/reliability.md");
    let doc = std::fs::read_to_string(path).expect("docs/reliability.md is readable");
    let in_doc: Vec<&str> = doc
        .lines()
        .skip_while(|line| !line.starts_with("| # | Fault |"))
        .take_while(|line| line.starts_with('|'))
        .collect();
    let expected = documented_table();
    assert_eq!(
        in_doc,
        expected,
        "docs/reliability.md should hold:\n{}",
        expected.join("\n")
    );
}
