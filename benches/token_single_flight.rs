//! Token single-flight under load: 1,000 concurrent calls that all find the token expired.
//! Counts the token requests the server saw (goal: exactly 1 per burst) and compares the calls'
//! latency with the same burst on a fresh token. Both bursts come after the same idle time (the
//! wait for expiry), against two identical servers whose tokens live 2 s and a day, so idle
//! effects (cold caches, CPU clocks) weigh on both alike.
//!
//! `cargo bench --bench token_single_flight` (ROUNDS overrides the default of 7).

mod support;

use std::cell::RefCell;
use std::time::{Duration, Instant};

use enkash::Client;
use futures::StreamExt;
use support::{LoopbackServer, STATUS_ID, median, micros, percentile};

const CONCURRENT: usize = 1000;
/// The server's token lifetime. The client renews 0.4 to 0.6 s before expiry (a fifth of the
/// lifetime, plus jitter), so after `LIFETIME` every call finds the token stale.
const LIFETIME: Duration = Duration::from_secs(2);

/// Latencies of one burst of `CONCURRENT` calls, sorted.
async fn burst(client: &Client) -> Vec<Duration> {
    let latencies = RefCell::new(Vec::with_capacity(CONCURRENT));
    futures::stream::iter(0..CONCURRENT)
        .for_each_concurrent(CONCURRENT, |_| async {
            let started = Instant::now();
            let bill = client
                .get_utility_bill_status()
                .utility_enkash_id(STATUS_ID)
                .send()
                .await
                .expect("call");
            assert_eq!(bill.utility_enkash_id.as_deref(), Some(STATUS_ID));
            latencies.borrow_mut().push(started.elapsed());
        })
        .await;
    let mut latencies = latencies.into_inner();
    latencies.sort();
    latencies
}

fn main() {
    support::serve_if_asked();
    let rounds = support::env_usize("ROUNDS", 7);
    let expiring = LoopbackServer::start(LIFETIME);
    let lasting = LoopbackServer::start(Duration::from_secs(86_399));
    support::client_runtime().block_on(async {
        let on_expired = Client::from_config(expiring.sdk_config()).expect("a client");
        let on_fresh = Client::from_config(lasting.sdk_config()).expect("a client");
        // Open the pools' connections and fetch a first token.
        burst(&on_expired).await;
        burst(&on_fresh).await;

        println!(
            "token single-flight: {CONCURRENT} concurrent get_utility_bill_status calls on an expired token"
        );
        println!(
            "{rounds} rounds; each: a burst on an expired token and one on a fresh token, each after {LIFETIME:?} idle\n"
        );
        println!(
            "  {:>5} {:>14} {:>18} {:>18} {:>16} {:>16}",
            "round", "token requests", "expired median µs", "fresh median µs", "expired p99 µs", "fresh p99 µs"
        );
        let (mut added_median, mut added_p99, mut requests) = (Vec::new(), Vec::new(), Vec::new());
        for round in 1..=rounds {
            let mut expired = Vec::new();
            let mut fresh = Vec::new();
            let before = expiring.token_requests();
            let lasting_before = lasting.token_requests();
            // Alternate the order, so drift in the machine favours neither.
            for expired_first in [round % 2 == 1, round % 2 == 0] {
                tokio::time::sleep(LIFETIME + Duration::from_millis(100)).await;
                if expired_first {
                    expired = burst(&on_expired).await;
                } else {
                    fresh = burst(&on_fresh).await;
                }
            }
            let token_requests = expiring.token_requests() - before;
            assert_eq!(lasting.token_requests(), lasting_before, "a fresh token is not fetched");
            let (e50, f50) = (percentile(&expired, 50.0), percentile(&fresh, 50.0));
            let (e99, f99) = (percentile(&expired, 99.0), percentile(&fresh, 99.0));
            println!(
                "  {round:>5} {token_requests:>14} {:>18.0} {:>18.0} {:>16.0} {:>16.0}",
                micros(e50),
                micros(f50),
                micros(e99),
                micros(f99)
            );
            added_median.push(micros(e50) - micros(f50));
            added_p99.push(micros(e99) - micros(f99));
            requests.push(token_requests as f64);
        }
        println!(
            "\ntoken requests per expired burst: median {}, max {}",
            median(&mut requests.clone()),
            requests.iter().copied().fold(0.0, f64::max)
        );
        println!(
            "added latency of the calls that waited for the token: median {:.0} µs, p99 {:.0} µs (medians over rounds)",
            median(&mut added_median),
            median(&mut added_p99)
        );
    });
}
