//! A stateful fake of the EnKash payments API, in process (this library) or standalone (the
//! `enkash-sandbox` binary, see the crate's README).
//!
//! [`Sandbox::builder`] starts a real HTTP server on `127.0.0.1` (a free port unless
//! [`SandboxBuilder::bind`] says otherwise) that serves the token call and every Bill Payment,
//! Accounts Receivable and Vendor Payment operation of `spec/enkash.yaml` with state: tokens,
//! consumer registrations, bills, customers, receivable invoices, and the Bharat Connect B2B
//! entities, invoices, purchase orders, notes, payments and financing requests. Tests point a
//! client at [`SandboxHandle::base_url`], script faults per operation, move the sandbox's clock
//! ([`SandboxHandle::advance_clock`]) and read what happened from the handle, or do all of that
//! over HTTP with the control endpoint under `/_sandbox/` (see the crate's README). The server
//! stops when the handle is dropped or [`SandboxHandle::shutdown`] is awaited.
//!
//! ```no_run
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! use enkash_sandbox::{Fault, Operation, Sandbox};
//!
//! let sandbox = Sandbox::builder().start().await?;
//! sandbox.inject(Operation::CreateBill, Fault::apply_then_drop(), 1);
//! println!("EnKash sandbox at {}", sandbox.base_url());
//! # Ok(()) }
//! ```
//!
//! # Behaviour
//!
//! * **Token**: `POST /oauth/token` with `Authorization: Basic base64(clientId:clientSecret)` and
//!   the form fields `username`, `password`, `grant_type=password`, `clientId` matching
//!   [`Credentials`]. Answers `{access_token, token_type: "bearer", refresh_token, expires_in,
//!   scope}` (camelCase with [`SandboxBuilder::camel_case_token`]); tokens live
//!   [`SandboxBuilder::token_lifetime`]. Every other call needs `Authorization: Bearer <token>`.
//! * **Billers**: see [`billers`]. Bills are deterministic per consumer number: amounts (with
//!   paise) from a hash of the number, dates from the current month.
//! * **Bills**: fetch (v0 or v2) registers the consumer number and answers its bill with a
//!   `companyBillerId`; create (after fetch, or without fetch in v0/v2) opens a bill
//!   `MAKER_APPROVAL_PENDING` / `INIT` / `PENDING`; Confirm Debit moves it to `CHECKER_APPROVED`
//!   / `SUCCESS` and its bill payment to `SUCCESS` (after `IN_PROGRESS` for
//!   [`SandboxBuilder::settle_after`]), or to `FAILED` / `REFUNDED` for a consumer number ending
//!   in [`FAILING_CONSUMER_SUFFIX`]. `autoDebit` on the v0 create approves at once. A bill that
//!   reaches its final state is POSTed to the webhook URL, if one is set.
//! * **Customers** (Accounts Receivable): create assigns an id matching `^KC[A-Z0-9]{14}$`
//!   (`KCSBX00000000001`, ...) and answers the customer record (`customerId`, the fields sent,
//!   `status` `ACTIVE`/`INACTIVE`, `active`, `createdOn`, `modifiedOn`); EnKash publishes no
//!   payload, so this shape is the sandbox's. Search filters by the spec's `accountNumber` and
//!   `assignedAgent` (case-insensitive) and by three filters the sandbox adds, `legalName`
//!   (case-insensitive substring), `customerId` and `active`, with `offset`, `limit` (1 to 50),
//!   `orderBy` (`legalName`, `customerId`, else creation order) and `direction`; it answers a list
//!   of records. The PATCH update leaves a field left out, clears a field sent as `null` (it
//!   disappears from the record) and sets a value. Activate sets `ACTIVE`; Deactivate's path is
//!   not published, so [`SandboxHandle::deactivate_customer`] stands in for it. Delete answers
//!   the text `"Customer deleted successfully"`; the customer is then unknown.
//! * **Invoices** (Accounts Receivable): create (for a known, active customer) assigns an id
//!   `INVCSBX0000001`, ... and answers the invoice as Get Invoice does: `receivableStatus`
//!   `UNPAID`, `approvalStatus` as sent or `CHECKER_APPROVED`, `netAmount` as sent or base plus
//!   GST, `balanceAmount` as sent or net less received; `dispatchNow` dispatches at once. The
//!   PATCH update follows the same absent / `null` / value rule (`baseAmount` and `dueDate` cannot
//!   be cleared; `customerId` cannot be `null`) and recomputes net and balance from changed
//!   amounts unless they are sent. Search applies every filter of `InvoiceSearchRequest`
//!   (`yyyy-MM-dd HH:mm:ss` bounds compared with UTC times) and answers a list of invoices.
//!   Dispatch sets `dispatched`, `dispatchedOn` and a payment link. Payment confirmation records
//!   the payment ([`SandboxHandle::invoice_payments`]); `ACCEPT` moves the invoice to `PAID` with
//!   `totalReceived` its net amount and `balanceAmount` 0. The values of `type` (`OFFPLATFORM`,
//!   `ONPLATFORM`) and `response` (`ACCEPT`, `REJECT`, the latter off-platform only) are taken
//!   from the related Bharat Connect webhook, as EnKash does not document them.
//! * **Bulk uploads** (customers, customer updates, invoices): EnKash publishes neither the file
//!   format nor the payload, so no file is read. An empty body or a `multipart/form-data` body
//!   is answered with a `BulkUploadEnvelope` whose payload says whether a `file` part arrived and
//!   that nothing was parsed (`{"fileReceived", "fileName"?, "fileContentType"?, "fileBytes",
//!   "rowsParsed": 0, "rowsApplied": 0, "message"}`); any other body is 415. The parts received
//!   (name, file name, content type, size) are recorded with the call
//!   ([`ReceivedRequest::parts`], `GET /_sandbox/requests`).
//! * **Query parameters** of the Accounts Receivable calls are checked: `parentCompanyId` and
//!   `sellerId` against `CompanyIdentifier` (the sandbox has one company, so their value selects
//!   nothing else), `direction`, `limit`, `offset`, a missing `companyId` of the customer bulk
//!   upload, a parameter given twice.
//! * **Vendor Payment**: see the crate's README, "Vendor Payment". Every call is acknowledged
//!   with `{"response_code":0,"response_message":"SUCCESS","payload":"SUCCESS"}` and its outcome
//!   follows on a response webhook ([`SandboxBuilder::vendor_webhook`],
//!   [`SandboxHandle::vendor_webhooks`]) after [`SandboxBuilder::respond_after`] on the clock.
//! * **Clock**: token expiry, the velocity window, settlement and Vendor Payment answers follow
//!   the sandbox's clock, the wall clock plus whatever [`SandboxHandle::advance_clock`] added.
//! * **Refusals with HTTP 200**: `response_code` 38 for a `referenceId` already used (blank
//!   counts as none), 36 past [`SandboxBuilder::velocity_limit`] (off by default).
//!
//! # Error answers
//!
//! Every error is JSON, `{"response_code":1,"response_message":"Failed","payload":"<why>"}`
//! (401 says `"Unauthorized"`); the other Accounts Receivable errors add EnKash's `errorResponse` object
//! (`errorType` such as `VALIDATION_ERROR` or `RECORD_NOT_FOUND`, `errorMessage`, `timestamp`).
//! The statuses follow EnKash's table:
//!
//! | status | when |
//! |---|---|
//! | 400 | an Accounts Receivable rule: a path `customerId` or a query parameter breaking its pattern or range, `baseAmount` below 0.1 or a negative amount, clearing `baseAmount` / `dueDate`, a PATCH `customerId` other than the path's, no `invoiceIds`, a search bound that is not a real date and time, an undocumented `type` / `response` of the payment confirmation. A Bill Payment field breaks a documented rule: `remarks` of Confirm Debit (`ApprovalRemarks` pattern), `autoDebit` (`BankCardId` pattern), a circle outside the enumeration, `billNetAmount`/`billAmount` below 1, `utilityPaymentIds` not 1 to 1000 ids, search `offset` below 0 or `limit` above 5000, a search date that is not `YYYY-MM-DD`; an unknown biller or `companyBillerId`; no such bill (payload exactly `"No utility payment found"`); an unreadable token form |
//! | 401 | missing or wrong client credentials, user credentials or bearer token (expired or revoked included) |
//! | 404 / 405 | no such path / method |
//! | 404 | an Accounts Receivable id (path or body) that names no customer or invoice; a deleted customer |
//! | 412 | the body cannot be read as the request: not JSON, not an object, a missing required field, `null` (in a PATCH body only at the top level of a nullable field), a value of the wrong type (a money field must be a JSON number), a value outside a closed enumeration or breaking a pattern of an Accounts Receivable body; a biller input parameter that is missing or invalid (a circle the biller does not serve or needs, a consumer number not matching [`CONSUMER_NUMBER_PATTERN`]); a required query parameter missing or an integer parameter that is not one |
//! | 413 | a body over 1 MiB |
//! | 415 | a bulk upload body that is not `multipart/form-data` |
//! | 422 | the biller is not active; an invoice for, or dispatched to, an inactive customer; a payment accepted for an invoice already `PAID` |
//!
//! # Faults
//!
//! [`SandboxHandle::inject`] (or [`SandboxBuilder::fault`]) scripts a [`Fault`] for the next N
//! calls of an [`Operation`]: a delay, a status with a JSON or HTML body, a dropped connection
//! (before or after the call changes state; the client sees a connection error, not an HTTP
//! answer), or a malformed body. Faults come before the bearer-token check.

#![forbid(unsafe_code)]
#![warn(missing_docs)]
// Records of the generated types are built as `Type { .., ..Default::default() }` even where every
// field is named today: a field EnKash adds to the spec must not break this crate's build.
#![allow(clippy::needless_update)]

/// The README's examples, compiled as doctests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;

mod catalogue;
mod clock;
mod control;
mod faults;
mod late;
mod listener;
mod ops;
mod receivables;
mod routes;
mod state;
mod vendor;
mod webhook;
mod wire;

use std::fmt;
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use chrono::{TimeZone, Utc};
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

pub use catalogue::{Biller, CONSUMER_NUMBER_PATTERN, FAILING_CONSUMER_SUFFIX, billers};
pub use faults::{DropMode, Fault, FaultBody, Operation, UnknownOperation};
pub use receivables::ReceivedPayment;
pub use state::{COMPANY_ID, COMPANY_NAME, ReceivedPart, ReceivedRequest, SandboxStats};
pub use vendor::{VendorInvoice, VendorWebhook};
pub use webhook::WebhookDelivery;

use enkash::{Config as ClientConfig, Credentials, Error, types};
use listener::{Connection, ConnectionCounts, CuttableListener};
use state::{Bill, Registration, State};

/// Default lifetime of an access token, as in EnKash's example (`expires_in: 86399`).
pub const DEFAULT_TOKEN_LIFETIME: Duration = Duration::from_secs(86_399);

/// The credentials a sandbox accepts unless told otherwise: the values of the spec's token
/// example (client id `CEKFOWV7UQ`, user `finance.ops@example.com`, password
/// `correct-horse-battery-staple`) and the client secret `sandbox-client-secret`.
pub fn default_credentials() -> Credentials {
    Credentials {
        client_id: "CEKFOWV7UQ".into(),
        client_secret: "sandbox-client-secret".into(),
        username: "finance.ops@example.com".into(),
        password: "correct-horse-battery-staple".into(),
    }
}

/// Why the sandbox could not start.
#[derive(Debug)]
#[non_exhaustive]
pub enum SandboxError {
    /// The address could not be bound.
    Bind {
        /// The address asked for.
        addr: SocketAddr,
        /// What the operating system said.
        source: std::io::Error,
    },
    /// The webhook URL is not a URL.
    WebhookUrl(String),
    /// A webhook header name or value is not valid in HTTP.
    WebhookHeader(String),
    /// The HTTP client for webhooks could not be built.
    WebhookClient(reqwest::Error),
    /// The webhook client's TLS backend could not be set up.
    WebhookTls(String),
}

impl fmt::Display for SandboxError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Bind { addr, source } => write!(f, "cannot listen on {addr}: {source}"),
            Self::WebhookUrl(url) => write!(f, "webhook URL `{url}` is not a valid URL"),
            Self::WebhookHeader(name) => write!(f, "webhook header `{name}` is not valid HTTP"),
            Self::WebhookClient(err) => write!(f, "cannot build the webhook HTTP client: {err}"),
            Self::WebhookTls(err) => write!(f, "cannot set up the webhook client's TLS: {err}"),
        }
    }
}

impl std::error::Error for SandboxError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::Bind { source, .. } => Some(source),
            Self::WebhookClient(err) => Some(err),
            _ => None,
        }
    }
}

/// Settings that shape the sandbox's answers.
#[derive(Clone, Debug)]
pub(crate) struct Config {
    credentials: Credentials,
    token_lifetime: Duration,
    camel_case_token: bool,
    velocity_limit: Option<(u32, Duration)>,
    settle_after: Option<Duration>,
    /// How long the Vendor Payment network takes to answer (response webhooks).
    respond_after: Duration,
    /// Seed of generated ids; random when `None`.
    seed: Option<u64>,
    spec_examples: bool,
}

/// What every handler shares: settings, state and the webhook target.
#[derive(Debug)]
pub(crate) struct Shared {
    config: Config,
    state: Mutex<State>,
    webhook: Option<webhook::Webhook>,
    /// Where the Vendor Payment response webhooks go: this URL plus each one's documented path.
    vendor_webhook: Option<webhook::Webhook>,
    connections: Arc<ConnectionCounts>,
    clock: clock::Clock,
    /// Ends when the latest Vendor Payment answer was delivered; the next one waits for it.
    vendor_answers: Mutex<Option<oneshot::Receiver<()>>>,
    /// Calls under [`Fault::ApplyLate`] waiting for their time.
    late: late::LateCalls,
}

impl Shared {
    /// The state. A handler never panics while holding it, but a poisoned lock is used anyway.
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Back to the records of a fresh start; tokens and the clock stay.
    fn reset(&self) {
        self.late.clear();
        let mut state = self.lock();
        state.reset();
        seed_records(&self.config, &mut state);
    }

    /// A snapshot of the counters.
    fn stats(&self) -> SandboxStats {
        let mut stats = self.lock().stats.clone();
        stats.connections_accepted = self.connections.accepted();
        stats.peak_open_connections = self.connections.peak_open();
        stats
    }
}

/// Polls `read` every 10 ms until it holds `count` items or `timeout` passed (real time).
async fn wait_for<T>(count: usize, timeout: Duration, read: impl Fn() -> Vec<T>) -> Vec<T> {
    let deadline = tokio::time::Instant::now() + timeout;
    loop {
        let items = read();
        if items.len() >= count || tokio::time::Instant::now() >= deadline {
            return items;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

/// The shared handle the handlers receive.
type App = Arc<Shared>;

/// Moves the clock forward; calls under [`Fault::ApplyLate`] whose time has come land now.
fn advance_clock(app: &App, by: Duration) {
    app.clock.advance(by);
    app.late.run_due(app);
}

/// Entry point of the sandbox.
#[derive(Debug)]
pub struct Sandbox(());

impl Sandbox {
    /// A builder with the defaults: `127.0.0.1`, a free port, [`default_credentials`], tokens
    /// for [`DEFAULT_TOKEN_LIFETIME`], no velocity limit, no webhook, immediate settlement.
    pub fn builder() -> SandboxBuilder {
        SandboxBuilder {
            addr: SocketAddr::from((Ipv4Addr::LOCALHOST, 0)),
            config: Config {
                credentials: default_credentials(),
                token_lifetime: DEFAULT_TOKEN_LIFETIME,
                camel_case_token: false,
                velocity_limit: None,
                settle_after: None,
                respond_after: vendor::DEFAULT_RESPOND_AFTER,
                seed: None,
                spec_examples: false,
            },
            webhook_url: None,
            vendor_webhook_url: None,
            webhook_headers: Vec::new(),
            faults: Vec::new(),
        }
    }
}

/// Configures and starts a sandbox.
#[derive(Clone, Debug)]
#[must_use]
pub struct SandboxBuilder {
    addr: SocketAddr,
    config: Config,
    webhook_url: Option<String>,
    vendor_webhook_url: Option<String>,
    webhook_headers: Vec<(String, String)>,
    faults: Vec<(Operation, Fault, u32)>,
}

impl SandboxBuilder {
    /// Listens on `addr` instead of `127.0.0.1` with a free port.
    pub fn bind(mut self, addr: SocketAddr) -> Self {
        self.addr = addr;
        self
    }

    /// Accepts these credentials on the token call.
    pub fn credentials(mut self, credentials: Credentials) -> Self {
        self.config.credentials = credentials;
        self
    }

    /// Lifetime of issued access tokens (`expires_in`, in whole seconds rounded up).
    pub fn token_lifetime(mut self, lifetime: Duration) -> Self {
        self.config.token_lifetime = lifetime;
        self
    }

    /// Answers the token call in camelCase (`accessToken`, `expiresIn`, ...) instead of
    /// OAuth2 snake_case; EnKash documents both.
    pub fn camel_case_token(mut self, camel_case: bool) -> Self {
        self.config.camel_case_token = camel_case;
        self
    }

    /// Refuses a bill creation with `response_code` 36 once `max_creates` bills were created
    /// within the last `window` (all three create operations count).
    pub fn velocity_limit(mut self, max_creates: u32, window: Duration) -> Self {
        self.config.velocity_limit = Some((max_creates, window));
        self
    }

    /// Keeps approved bills `IN_PROGRESS` this long on the sandbox's clock before they reach
    /// their final state (default: final at once); [`SandboxHandle::advance_clock`] gets there
    /// without waiting.
    pub fn settle_after(mut self, delay: Duration) -> Self {
        self.config.settle_after = Some(delay);
        self
    }

    /// POSTs a `types::UtilityBillWebhookRequest` to `url` whenever a bill reaches a final state.
    pub fn webhook(mut self, url: impl Into<String>) -> Self {
        self.webhook_url = Some(url.into());
        self
    }

    /// POSTs the Vendor Payment response webhooks under `base_url`, each at its documented path
    /// (`{base_url}/api/v0/payment/resp-pay`, ...). Without it they are only recorded
    /// ([`SandboxHandle::vendor_webhooks`]).
    pub fn vendor_webhook(mut self, base_url: impl Into<String>) -> Self {
        self.vendor_webhook_url = Some(base_url.into());
        self
    }

    /// How long the Vendor Payment network takes to answer, on the sandbox's clock: response
    /// webhooks (and the outcome of Pay Invoice and Request Financing) come this long after the
    /// call. Default: at once.
    pub fn respond_after(mut self, delay: Duration) -> Self {
        self.config.respond_after = delay;
        self
    }

    /// Makes generated ids (access tokens, `reqMsgId`s, bid ids) the same on every run.
    pub fn seed(mut self, seed: u64) -> Self {
        self.config.seed = Some(seed);
        self
    }

    /// Adds a static header to every webhook POST (EnKash's way of letting the receiver check
    /// the sender).
    pub fn webhook_header(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.webhook_headers.push((name.into(), value.into()));
        self
    }

    /// Starts with the records the spec's examples name: registration `CB-54321` (biller 2001,
    /// circle MUM, consumer `CN123456789`) and bill `UTIL-87654321` with `referenceId`
    /// `REF-XYZABC123456`, awaiting approval; customer `KCX7M2Q9A4B8C1D3` and its dispatched,
    /// unpaid invoices `INVC5K8M2Q7R1T` and `INVC5K8M2Q7R2V`; Vendor Payment entity
    /// `ORGUJZDE8GXD6NCF10EPF91DHODZDOC9IS0` (checked) and invoice
    /// `INVEH60KVJ50CE9UVW53EFR4EDT2SYWB3WK` (version 1, `CREATED`, 117500.50 due). Lets an example-driven contract test reach the
    /// success paths.
    pub fn with_spec_examples(mut self) -> Self {
        self.config.spec_examples = true;
        self
    }

    /// Scripts `fault` for the next `times` calls of `operation` from the start.
    pub fn fault(mut self, operation: Operation, fault: Fault, times: u32) -> Self {
        self.faults.push((operation, fault, times));
        self
    }

    /// Binds the address and starts serving in a spawned task (needs a Tokio runtime).
    pub async fn start(self) -> Result<SandboxHandle, SandboxError> {
        let webhook = match self.webhook_url {
            Some(url) => Some(build_webhook(url, &self.webhook_headers)?),
            None => None,
        };
        let vendor_webhook = match self.vendor_webhook_url {
            Some(url) => Some(build_webhook(url, &self.webhook_headers)?),
            None => None,
        };
        let listener = TcpListener::bind(self.addr)
            .await
            .map_err(|source| SandboxError::Bind {
                addr: self.addr,
                source,
            })?;
        let addr = listener.local_addr().map_err(|source| SandboxError::Bind {
            addr: self.addr,
            source,
        })?;

        let mut state = match self.config.seed {
            Some(seed) => State::seeded(seed),
            None => State::default(),
        };
        for (operation, fault, times) in self.faults {
            state.faults.push(operation, fault, times);
        }
        seed_records(&self.config, &mut state);
        let app = Arc::new(Shared {
            config: self.config,
            state: Mutex::new(state),
            webhook,
            vendor_webhook,
            connections: Arc::default(),
            clock: clock::Clock::default(),
            vendor_answers: Mutex::new(None),
            late: late::LateCalls::default(),
        });

        let service =
            routes::router(Arc::clone(&app)).into_make_service_with_connect_info::<Connection>();
        let listener = CuttableListener {
            inner: listener,
            counts: Arc::clone(&app.connections),
        };
        let (stop, stopped) = oneshot::channel::<()>();
        let server = tokio::spawn(async move {
            let shutdown = async {
                // A dropped sender stops the server as well.
                let _ = stopped.await;
            };
            // Serving never fails: accept errors are retried by the listener.
            let _ = axum::serve(listener, service)
                .with_graceful_shutdown(shutdown)
                .await;
        });
        Ok(SandboxHandle {
            app,
            addr,
            base_url: format!("http://{addr}"),
            stop: Some(stop),
            server: Some(server),
        })
    }
}

fn build_webhook(
    url: String,
    headers: &[(String, String)],
) -> Result<webhook::Webhook, SandboxError> {
    use reqwest::header::{HeaderMap, HeaderName, HeaderValue};

    if reqwest::Url::parse(&url).is_err() {
        return Err(SandboxError::WebhookUrl(url));
    }
    let mut map = HeaderMap::new();
    for (name, value) in headers {
        let invalid = || SandboxError::WebhookHeader(name.clone());
        let header_name = HeaderName::from_bytes(name.as_bytes()).map_err(|_| invalid())?;
        let header_value = HeaderValue::from_str(value).map_err(|_| invalid())?;
        map.append(header_name, header_value);
    }
    // The enkash crate's TLS backend: its default leaves reqwest without a rustls provider.
    let client = enkash::tls::client_builder()
        .map_err(|err| SandboxError::WebhookTls(err.to_string()))?
        .timeout(Duration::from_secs(10))
        .build()
        .map_err(SandboxError::WebhookClient)?;
    Ok(webhook::Webhook {
        url,
        headers: map,
        client,
    })
}

/// The records a fresh (or reset) sandbox starts with.
fn seed_records(config: &Config, state: &mut State) {
    if config.spec_examples {
        seed_spec_examples(state);
        receivables::seed_spec_examples(&mut state.receivables, &config.credentials.client_id);
        state.vendor.seed_spec_examples();
    }
}

/// Registration `CB-54321` and bill `UTIL-87654321` / `REF-XYZABC123456` from the spec's examples.
fn seed_spec_examples(state: &mut State) {
    let Some(biller) = catalogue::biller(2001) else {
        return;
    };
    let consumer = "CN123456789";
    let created = Utc
        .with_ymd_and_hms(2025, 5, 12, 14, 30, 25)
        .single()
        .unwrap_or_else(Utc::now);
    let registration = Registration {
        id: "CB-54321".to_owned(),
        biller,
        circle: Some(enkash::enums::Circle::Mum),
        params: types::BillParams::consumer_number(consumer),
        branch_code: None,
        remarks: None,
        key_contact_email: None,
        created,
        bill: catalogue::current_bill(biller, consumer, state::today()),
    };
    let registration = state.register(registration).clone();
    let issued = registration.bill.clone();
    let amount = issued.amount;
    let bill = Bill::new(
        "UTIL-87654321".to_owned(),
        Some("REF-XYZABC123456".to_owned()),
        &registration,
        issued,
        amount,
        Some("Corporate office electricity bill payment".to_owned()),
        created,
    );
    state.insert_bill(bill);
}

/// A running sandbox. Dropping it stops the server (in the background); prefer
/// [`SandboxHandle::shutdown`] to wait for that.
#[derive(Debug)]
pub struct SandboxHandle {
    app: App,
    addr: SocketAddr,
    base_url: String,
    stop: Option<oneshot::Sender<()>>,
    server: Option<JoinHandle<()>>,
}

impl SandboxHandle {
    /// `http://127.0.0.1:PORT`, without a trailing slash.
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// The address the server listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The credentials the token call accepts.
    pub fn credentials(&self) -> &Credentials {
        &self.app.config.credentials
    }

    /// A client configuration pointing at this sandbox with its credentials, for
    /// [`Client::from_config`](enkash::Client::from_config).
    pub fn client_config(&self) -> Result<ClientConfig, Error> {
        ClientConfig::builder()
            .base_url(self.base_url.clone())
            .credentials(self.credentials().clone())
            .build()
    }

    /// A snapshot of the counters.
    pub fn stats(&self) -> SandboxStats {
        self.app.stats()
    }

    /// Calls of `POST /oauth/token` so far.
    pub fn token_requests(&self) -> u64 {
        self.app.lock().stats.token_requests
    }

    /// Calls of `operation` so far, including those a fault answered.
    pub fn calls(&self, operation: Operation) -> u64 {
        self.app
            .lock()
            .stats
            .calls
            .get(&operation)
            .copied()
            .unwrap_or(0)
    }

    /// Scripts `fault` for the next `times` calls of `operation`, after the faults already
    /// scripted for it.
    pub fn inject(&self, operation: Operation, fault: Fault, times: u32) {
        self.app.lock().faults.push(operation, fault, times);
    }

    /// Forgets every scripted fault.
    pub fn clear_faults(&self) {
        self.app.lock().faults.clear();
    }

    /// Invalidates every access token issued so far (the next call gets 401).
    pub fn revoke_tokens(&self) {
        self.app.lock().revoke_tokens();
    }

    /// A bill by `utilityEnkashId`, as the v2 lookup answers it.
    pub fn bill(&self, utility_enkash_id: &str) -> Option<types::UtilityPaymentV2Response> {
        let state = self.app.lock();
        state
            .bill(utility_enkash_id)
            .map(|bill| state.v2_record(bill))
    }

    /// A bill by the caller's `referenceId`, as the v2 lookup answers it.
    pub fn bill_by_reference(&self, reference_id: &str) -> Option<types::UtilityPaymentV2Response> {
        let state = self.app.lock();
        state
            .bill_by_reference(reference_id)
            .map(|bill| state.v2_record(bill))
    }

    /// Every bill, in creation order.
    pub fn bills(&self) -> Vec<types::UtilityPaymentV2Response> {
        let state = self.app.lock();
        state
            .bills()
            .iter()
            .map(|bill| state.v2_record(bill))
            .collect()
    }

    /// A customer (not deleted) as the customer calls answer it: `customerId`, the fields
    /// sent, `status` (`ACTIVE` / `INACTIVE`), `active`, `createdOn`, `modifiedOn`. A field
    /// cleared by an update is left out.
    pub fn customer(&self, customer_id: &str) -> Option<serde_json::Value> {
        self.app
            .lock()
            .receivables
            .customer(customer_id)
            .map(|customer| customer.to_json())
    }

    /// Every customer not deleted, in creation order.
    pub fn customers(&self) -> Vec<serde_json::Value> {
        self.app
            .lock()
            .receivables
            .all_customers()
            .iter()
            .filter(|customer| !customer.deleted)
            .map(|customer| customer.to_json())
            .collect()
    }

    /// Marks a customer `INACTIVE`, as EnKash's Deactivate call does (its path is not
    /// published, so the sandbox does not serve it). False when there is no such customer.
    pub fn deactivate_customer(&self, customer_id: &str) -> bool {
        let mut state = self.app.lock();
        match state.receivables.customer_mut(customer_id) {
            Some(customer) => {
                customer.set_active(false);
                true
            }
            None => false,
        }
    }

    /// An invoice as Get Invoice answers it.
    pub fn invoice(&self, invoice_id: &str) -> Option<types::Invoice> {
        let state = self.app.lock();
        let receivables = &state.receivables;
        receivables
            .invoice(invoice_id)
            .map(|record| receivables.view(record))
    }

    /// Every invoice, in creation order.
    pub fn invoices(&self) -> Vec<types::Invoice> {
        let state = self.app.lock();
        let receivables = &state.receivables;
        receivables
            .invoices()
            .iter()
            .map(|record| receivables.view(record))
            .collect()
    }

    /// The payments confirmed (or answered) against an invoice, oldest first.
    pub fn invoice_payments(&self, invoice_id: &str) -> Vec<ReceivedPayment> {
        self.app
            .lock()
            .receivables
            .invoice(invoice_id)
            .map(|record| record.payments.clone())
            .unwrap_or_default()
    }

    /// The webhook POSTs made so far, in the order they completed.
    pub fn webhook_deliveries(&self) -> Vec<WebhookDelivery> {
        self.app.lock().deliveries.clone()
    }

    /// Waits until at least `count` webhook POSTs completed, or `timeout` passed; returns them.
    pub async fn wait_for_webhooks(&self, count: usize, timeout: Duration) -> Vec<WebhookDelivery> {
        wait_for(count, timeout, || self.webhook_deliveries()).await
    }

    /// The sandbox's clock: the wall clock plus every [`SandboxHandle::advance_clock`].
    pub fn now(&self) -> chrono::DateTime<Utc> {
        self.app.clock.now_utc()
    }

    /// Moves the sandbox's clock forward by `by`: tokens expire, approved bills settle and
    /// Vendor Payment response webhooks go out as if that time had passed. Time never goes back.
    pub fn advance_clock(&self, by: Duration) {
        advance_clock(&self.app, by);
    }

    /// Forgets every record, scripted fault, counter, webhook delivery and journal entry, then
    /// loads the spec's examples again if the sandbox started with them. Issued tokens stay
    /// valid and the clock keeps its time.
    pub fn reset(&self) {
        self.app.reset();
    }

    /// Every call received since the start (or the last reset), oldest first.
    pub fn requests(&self) -> Vec<ReceivedRequest> {
        self.app.lock().journal.clone()
    }

    /// Adds an invoice as if its supplier had raised it on the network (EnKash publishes no
    /// Create Invoice call), so Confirm Invoice, Pay Invoice and Request Financing can name it.
    pub fn add_vendor_invoice(&self, invoice: VendorInvoice) {
        self.app.lock().vendor.add_invoice(invoice);
    }

    /// The Vendor Payment records as `GET /_sandbox/vendor` answers them: `entities`,
    /// `invoices`, `purchaseOrders`, `cdNotes`, `payments` and `financingRequests`.
    pub fn vendor_state(&self) -> serde_json::Value {
        self.app.lock().vendor.snapshot()
    }

    /// The Vendor Payment response webhooks sent so far (delivered or not), in order.
    pub fn vendor_webhooks(&self) -> Vec<VendorWebhook> {
        self.app.lock().vendor.webhooks.clone()
    }

    /// Waits until at least `count` Vendor Payment webhooks were sent, or `timeout` passed (real
    /// time); returns them.
    pub async fn wait_for_vendor_webhooks(
        &self,
        count: usize,
        timeout: Duration,
    ) -> Vec<VendorWebhook> {
        wait_for(count, timeout, || self.vendor_webhooks()).await
    }

    /// Stops accepting connections, lets open calls finish (at most 5 s) and returns.
    pub async fn shutdown(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(server) = self.server.take() {
            let abort = server.abort_handle();
            if tokio::time::timeout(Duration::from_secs(5), server)
                .await
                .is_err()
            {
                abort.abort();
            }
        }
    }
}

impl Drop for SandboxHandle {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}
