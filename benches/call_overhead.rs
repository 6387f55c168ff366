//! Per-call overhead: the SDK's `get_utility_bill_status` against a hand-written reqwest +
//! serde_json call decoding into the same struct, on the same loopback server, at concurrency 1
//! and 64. The two take turns in short slices within each round; the figures are medians over
//! rounds.
//!
//! `cargo bench --bench call_overhead` (ROUNDS, CALLS override the defaults).
//!
//! `cargo bench --bench call_overhead -- profile sdk` (or `raw`) makes CALLS sequential calls
//! of one caller only, for `valgrind --tool=callgrind` on the bench binary: instruction counts
//! per call, repeatable on a busy machine.

mod support;

use std::cell::RefCell;
use std::time::{Duration, Instant};

use enkash::{Client, types};
use futures::StreamExt;
use serde::Deserialize;
use support::{LoopbackServer, STATUS_ID, median, micros, percentile};

/// The hand-written call: what a team would write without the SDK, doing the same work: the
/// same timeouts and `User-Agent`, the URL made for each call, the body read under the same
/// size limit.
struct RawClient {
    http: reqwest::Client,
    base_url: String,
    token: String,
    max_response_bytes: usize,
}

/// The envelope, written by hand.
#[derive(Deserialize)]
struct RawEnvelope<T> {
    response_code: i64,
    #[allow(dead_code)]
    response_message: Option<String>,
    payload: Option<T>,
}

#[derive(Deserialize)]
struct RawToken {
    access_token: String,
}

impl RawClient {
    async fn new(server: &LoopbackServer, config: &enkash::Config) -> Self {
        // The SDK's TLS backend, as the SDK's client has (unused over loopback HTTP).
        let http = enkash::tls::client_builder()
            .expect("the TLS backend is set up")
            .connect_timeout(config.timeouts.connect)
            .timeout(config.timeouts.attempt)
            .user_agent(config.user_agent.clone())
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("a client");
        let credentials = support::credentials();
        let token: RawToken = http
            .post(format!("{}/oauth/token", server.base_url))
            .basic_auth(
                &credentials.client_id,
                Some(credentials.client_secret.expose()),
            )
            .form(&[
                ("grant_type", "password"),
                ("username", credentials.username.as_str()),
                ("password", credentials.password.expose()),
            ])
            .send()
            .await
            .expect("token")
            .json()
            .await
            .expect("token body");
        Self {
            http,
            base_url: server.base_url.clone(),
            token: token.access_token,
            max_response_bytes: config.max_response_bytes,
        }
    }

    async fn get_status(&self, id: &str) -> Result<types::UtilityPaymentV2Response, String> {
        let url = format!("{}/api/v2/utilityPayment/{id}", self.base_url);
        let mut response = self
            .http
            .get(url)
            .bearer_auth(&self.token)
            .send()
            .await
            .map_err(|err| err.to_string())?;
        let status = response.status();
        // The body under the size limit, chunk by chunk, as the SDK reads it.
        let mut body = Vec::new();
        while let Some(chunk) = response.chunk().await.map_err(|err| err.to_string())? {
            if body.len() + chunk.len() > self.max_response_bytes {
                return Err("body over the limit".to_owned());
            }
            body.extend_from_slice(&chunk);
        }
        if !status.is_success() {
            return Err(format!("HTTP {status}"));
        }
        let envelope: RawEnvelope<types::UtilityPaymentV2Response> =
            serde_json::from_slice(&body).map_err(|err| err.to_string())?;
        if envelope.response_code != 0 {
            return Err(format!("response_code {}", envelope.response_code));
        }
        envelope.payload.ok_or_else(|| "no payload".to_owned())
    }
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Caller {
    Sdk,
    Raw,
}

async fn one_call(caller: Caller, sdk: &Client, raw: &RawClient) {
    let bill = match caller {
        Caller::Sdk => sdk
            .get_utility_bill_status()
            .utility_enkash_id(STATUS_ID)
            .send()
            .await
            .expect("SDK call"),
        Caller::Raw => raw.get_status(STATUS_ID).await.expect("raw call"),
    };
    assert_eq!(bill.utility_enkash_id.as_deref(), Some(STATUS_ID));
}

/// One caller's figures, one entry per round.
struct Series {
    caller: Caller,
    medians: Vec<f64>,
    p99s: Vec<f64>,
    throughputs: Vec<f64>,
}

impl Series {
    fn new(caller: Caller) -> Self {
        Self {
            caller,
            medians: Vec::new(),
            p99s: Vec::new(),
            throughputs: Vec::new(),
        }
    }
}

/// One measured batch: every call's latency, and the batch's wall time.
struct Batch {
    latencies: Vec<Duration>,
    wall: Duration,
}

impl Batch {
    fn median(&self) -> Duration {
        percentile(&self.latencies, 50.0)
    }
    fn p99(&self) -> Duration {
        percentile(&self.latencies, 99.0)
    }
    fn throughput(&self) -> f64 {
        self.latencies.len() as f64 / self.wall.as_secs_f64()
    }

    /// Adds another batch of the same caller (latencies sorted again).
    fn extend(&mut self, other: Batch) {
        self.latencies.extend(other.latencies);
        self.latencies.sort();
        self.wall += other.wall;
    }
}

async fn batch(
    caller: Caller,
    sdk: &Client,
    raw: &RawClient,
    calls: usize,
    concurrency: usize,
) -> Batch {
    let latencies = RefCell::new(Vec::with_capacity(calls));
    let started = Instant::now();
    futures::stream::iter(0..calls)
        .for_each_concurrent(concurrency, |_| async {
            let call_started = Instant::now();
            one_call(caller, sdk, raw).await;
            latencies.borrow_mut().push(call_started.elapsed());
        })
        .await;
    let wall = started.elapsed();
    let mut latencies = latencies.into_inner();
    latencies.sort();
    Batch { latencies, wall }
}

/// Slices a round is cut into: the callers take turns slice by slice, so a change in the
/// machine's speed during the round (other tenants, clock changes) weighs on both alike.
const SLICES: usize = 8;

/// One round: `calls` calls of each caller, in [`SLICES`] alternating slices, the order of the
/// pair alternating too. Returns the SDK's and the hand-written caller's batches.
async fn round(sdk: &Client, raw: &RawClient, calls: usize, concurrency: usize) -> (Batch, Batch) {
    let slice = (calls / SLICES).max(1);
    let mut pooled: [Option<Batch>; 2] = [None, None];
    for index in 0..SLICES {
        let order = if index % 2 == 0 {
            [Caller::Sdk, Caller::Raw]
        } else {
            [Caller::Raw, Caller::Sdk]
        };
        for caller in order {
            let measured = batch(caller, sdk, raw, slice, concurrency).await;
            let slot = &mut pooled[usize::from(caller == Caller::Raw)];
            match slot {
                Some(pool) => pool.extend(measured),
                None => *slot = Some(measured),
            }
        }
    }
    let [Some(sdk_batch), Some(raw_batch)] = pooled else {
        unreachable!("SLICES > 0, so both callers ran")
    };
    (sdk_batch, raw_batch)
}

/// Runs CALLS calls of one caller, CONCURRENCY (default 1) at a time, after a warm-up of 200.
fn profile(caller: Caller) {
    let calls = support::env_usize("CALLS", 4000);
    let concurrency = support::env_usize("CONCURRENCY", 1);
    let server = LoopbackServer::start(Duration::from_secs(86_399));
    support::client_runtime().block_on(async {
        let config = server.sdk_config();
        let raw = RawClient::new(&server, &config).await;
        let sdk = Client::from_config(config).expect("a client");
        batch(caller, &sdk, &raw, 200, concurrency).await;
        let measured = batch(caller, &sdk, &raw, calls, concurrency).await;
        println!(
            "{caller:?}: {calls} calls, median {:.1} µs",
            micros(measured.median())
        );
    });
}

fn main() {
    support::serve_if_asked();
    let args: Vec<String> = std::env::args().collect();
    if let Some(at) = args.iter().position(|arg| arg == "profile") {
        let caller = match args.get(at + 1).map(String::as_str) {
            Some("raw") => Caller::Raw,
            _ => Caller::Sdk,
        };
        return profile(caller);
    }
    let rounds = support::env_usize("ROUNDS", 9);
    let calls = support::env_usize("CALLS", 4000);
    let server = LoopbackServer::start(Duration::from_secs(86_399));
    let runtime = support::client_runtime();
    runtime.block_on(async {
        let config = server.sdk_config();
        let raw = RawClient::new(&server, &config).await;
        let sdk = Client::from_config(config).expect("a client");

        println!("per-call overhead: get_utility_bill_status, SDK vs hand-written reqwest + serde_json");
        let sdk_call = sdk.get_utility_bill_status().utility_enkash_id(STATUS_ID).send();
        let raw_call = raw.get_status(STATUS_ID);
        println!(
            "state of a call while it waits: SDK send() {} bytes (its attempt loop is boxed apart), \
             hand-written {} bytes",
            std::mem::size_of_val(&sdk_call),
            std::mem::size_of_val(&raw_call)
        );
        drop((sdk_call, raw_call));
        println!("{rounds} rounds of {calls} calls per caller and concurrency; medians over rounds\n");
        for concurrency in [1, 64] {
            // Warm both: connections, token, allocator.
            for caller in [Caller::Sdk, Caller::Raw] {
                batch(caller, &sdk, &raw, calls / 4, concurrency).await;
            }
            let mut rows = [Series::new(Caller::Sdk), Series::new(Caller::Raw)];
            let mut latency_ratios = Vec::new();
            let mut throughput_ratios = Vec::new();
            for _ in 0..rounds {
                let (sdk_batch, raw_batch) = round(&sdk, &raw, calls, concurrency).await;
                for (row, measured) in rows.iter_mut().zip([&sdk_batch, &raw_batch]) {
                    row.medians.push(micros(measured.median()));
                    row.p99s.push(micros(measured.p99()));
                    row.throughputs.push(measured.throughput());
                }
                latency_ratios
                    .push(sdk_batch.median().as_secs_f64() / raw_batch.median().as_secs_f64());
                throughput_ratios.push(sdk_batch.throughput() / raw_batch.throughput());
            }
            println!("concurrency {concurrency}:");
            println!(
                "  {:<5} {:>12} {:>12} {:>14}",
                "", "median µs", "p99 µs", "calls/s"
            );
            for row in &mut rows {
                println!(
                    "  {:<5} {:>12.1} {:>12.1} {:>14.0}",
                    format!("{:?}", row.caller),
                    median(&mut row.medians),
                    median(&mut row.p99s),
                    median(&mut row.throughputs)
                );
            }
            println!(
                "  SDK/raw median latency ratio {:.3}, throughput ratio {:.3} (medians of {rounds} per-round ratios)\n",
                median(&mut latency_ratios),
                median(&mut throughput_ratios)
            );
        }
        println!("token requests seen by the server: {}", server.token_requests());
    });
}
