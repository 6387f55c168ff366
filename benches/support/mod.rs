//! What the benchmarks share: a minimal loopback EnKash server, the spec's example bill, and
//! the statistics (medians of rounds, percentiles).
#![allow(dead_code)] // Each bench binary uses part of it.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::http::header::CONTENT_TYPE;
use axum::routing::{get, post};

/// The path the status calls use (`GET /api/v2/utilityPayment/{utilityEnkashId}`).
pub const STATUS_ID: &str = "UTIL-87654321";

/// The spec's own example of a success envelope, by its name under `components/examples`.
pub fn spec_example(name: &str) -> serde_json::Value {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/spec/enkash.yaml");
    let text = std::fs::read_to_string(path).expect("spec/enkash.yaml is readable");
    let spec: serde_yaml::Value = serde_yaml::from_str(&text).expect("the spec is YAML");
    let example = &spec["components"]["examples"][name]["value"];
    assert!(!example.is_null(), "no example {name} in the spec");
    serde_json::to_value(example).expect("the example is JSON")
}

/// A server that answers as fast as it can: the token call, and the status lookup with the
/// spec's example bill. It runs in a process of its own (this same bench binary, started with
/// [`SERVE`]), so none of its work is counted or scheduled with the client's.
pub struct LoopbackServer {
    pub base_url: String,
    child: std::process::Child,
}

/// The argument that makes a bench binary serve instead of measure (see [`serve_if_asked`]).
pub const SERVE: &str = "--serve-loopback";

impl LoopbackServer {
    /// Starts the server in a child process; its tokens live `token_lifetime`.
    pub fn start(token_lifetime: Duration) -> Self {
        use std::io::BufRead as _;
        let exe = std::env::current_exe().expect("the bench binary's path");
        let mut child = std::process::Command::new(exe)
            .arg(SERVE)
            .arg(token_lifetime.as_secs().to_string())
            .stdout(std::process::Stdio::piped())
            .spawn()
            .expect("the server process starts");
        let stdout = child.stdout.take().expect("piped");
        let mut line = String::new();
        std::io::BufReader::new(stdout)
            .read_line(&mut line)
            .expect("the server prints its address");
        Self {
            base_url: format!("http://{}", line.trim()),
            child,
        }
    }

    /// Token calls served so far (asked of the server process).
    pub fn token_requests(&self) -> u64 {
        use std::io::{Read as _, Write as _};
        let address = self.base_url.trim_start_matches("http://");
        let mut stream = std::net::TcpStream::connect(address).expect("the server answers");
        write!(
            stream,
            "GET /_stats/token_requests HTTP/1.1\r\nhost: {address}\r\nconnection: close\r\n\r\n"
        )
        .expect("writes");
        let mut answer = String::new();
        stream.read_to_string(&mut answer).expect("reads");
        answer
            .rsplit("\r\n\r\n")
            .next()
            .and_then(|body| body.trim().parse().ok())
            .expect("a count")
    }
    /// A client configuration for this server, with retries off (nothing here fails).
    pub fn sdk_config(&self) -> enkash::Config {
        enkash::Config::builder()
            .base_url(&self.base_url)
            .credentials(credentials())
            .retry(enkash::RetryPolicy::disabled())
            .build()
            .expect("a valid configuration")
    }
}

impl Drop for LoopbackServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// In the server process ([`SERVE`] on the command line): serves until killed, and never returns.
/// Each bench's `main` calls this first.
pub fn serve_if_asked() {
    let args: Vec<String> = std::env::args().collect();
    let Some(at) = args.iter().position(|arg| arg == SERVE) else {
        return;
    };
    let lifetime: u64 = args
        .get(at + 1)
        .and_then(|secs| secs.parse().ok())
        .unwrap_or(86_399);
    let token_requests = Arc::new(AtomicU64::new(0));
    let status_body = Bytes::from(
        serde_json::to_vec(&spec_example("UtilityPaymentV2Envelope")).expect("serializes"),
    );
    let counter = Arc::clone(&token_requests);
    let app = Router::new()
        .route(
            "/oauth/token",
            post(move || {
                let n = counter.fetch_add(1, Ordering::SeqCst) + 1;
                async move {
                    (
                        [(CONTENT_TYPE, "application/json")],
                        format!(
                            r#"{{"access_token":"bench-token-{n}","token_type":"bearer","expires_in":{lifetime}}}"#
                        ),
                    )
                }
            }),
        )
        .route(
            "/api/v2/utilityPayment/{id}",
            get(move || {
                let body = status_body.clone();
                async move { ([(CONTENT_TYPE, "application/json")], body) }
            }),
        )
        .route(
            "/_stats/token_requests",
            get(move || {
                let served = token_requests.load(Ordering::SeqCst);
                async move { served.to_string() }
            }),
        );
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    runtime.block_on(async move {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("binds");
        println!("{}", listener.local_addr().expect("has an address"));
        axum::serve(listener, app).await.expect("serves");
    });
    std::process::exit(0);
}

/// The credentials both clients use.
pub fn credentials() -> enkash::Credentials {
    enkash::Credentials {
        client_id: "CEKFOWV7UQ".into(),
        client_secret: "bench-secret".into(),
        username: "ops@example.com".into(),
        password: "bench-password".into(),
    }
}

/// A current-thread runtime for the client side: one core for the client, one for the server.
pub fn client_runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime")
}

/// The `p`-th percentile (0 to 100) of sorted samples.
pub fn percentile(sorted: &[Duration], p: f64) -> Duration {
    assert!(!sorted.is_empty());
    let rank = ((p / 100.0) * (sorted.len() - 1) as f64).round() as usize;
    sorted[rank.min(sorted.len() - 1)]
}

/// The median of unsorted values.
pub fn median(values: &mut [f64]) -> f64 {
    assert!(!values.is_empty());
    values.sort_by(f64::total_cmp);
    let mid = values.len() / 2;
    if values.len() % 2 == 1 {
        values[mid]
    } else {
        (values[mid - 1] + values[mid]) / 2.0
    }
}

/// Microseconds, for tables.
pub fn micros(duration: Duration) -> f64 {
    duration.as_secs_f64() * 1e6
}

/// A whole number from the environment, or a default (lets a quick run use fewer rounds).
pub fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|value| value.parse().ok())
        .unwrap_or(default)
}
