//! `enkash-sandbox`: serves the EnKash sandbox until Ctrl-C (or SIGTERM).
//!
//! ```text
//! cargo run -p enkash-sandbox -- [ADDR] [OPTIONS]
//! ```
//!
//! The options are listed in [`USAGE`] and in the crate's README.

use std::net::SocketAddr;
use std::process::ExitCode;
use std::task::Poll;
use std::time::Duration;

use enkash_sandbox::Sandbox;

/// The command line.
const USAGE: &str = "\
usage: enkash-sandbox [ADDR] [OPTIONS]

  ADDR                        address to listen on (default 127.0.0.1:8787; port 0: any free port)
  --token-lifetime SECS       lifetime of access tokens (default 86399)
  --webhook URL               POST the bill payment webhook to URL
  --vendor-webhook BASE_URL   POST the Vendor Payment response webhooks to BASE_URL + their path
  --webhook-header NAME:VALUE static header on every webhook POST (repeatable)
  --seed N                    the same generated ids (tokens, reqMsgIds, bid ids) on every run
  --settle-after SECS         approved bills settle this long later, on the sandbox clock
  --respond-after SECS        Vendor Payment answers come this long later, on the sandbox clock
  --camel-case-token          answer the token call in camelCase
  --spec-examples             start with the records the spec's examples name
  -h, --help                  this text

Control endpoint (JSON, no token): /_sandbox/requests, /_sandbox/faults, /_sandbox/reset,
/_sandbox/clock, /_sandbox/clock/advance, /_sandbox/webhooks, /_sandbox/stats, /_sandbox/vendor,
/_sandbox/vendor/invoices (see the README of the enkash-sandbox crate).";

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    match run().await {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("enkash-sandbox: {message}");
            ExitCode::FAILURE
        }
    }
}

async fn run() -> Result<(), String> {
    let mut builder = Sandbox::builder().bind(SocketAddr::from(([127, 0, 0, 1], 8787)));
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut value = |name: &str| {
            args.next()
                .ok_or_else(|| format!("{name} needs a value\n{USAGE}"))
        };
        match arg.as_str() {
            "--spec-examples" => builder = builder.with_spec_examples(),
            "--camel-case-token" => builder = builder.camel_case_token(true),
            "--token-lifetime" => {
                builder = builder.token_lifetime(seconds(&value(&arg)?, &arg)?);
            }
            "--settle-after" => builder = builder.settle_after(seconds(&value(&arg)?, &arg)?),
            "--respond-after" => builder = builder.respond_after(seconds(&value(&arg)?, &arg)?),
            "--webhook" => builder = builder.webhook(value(&arg)?),
            "--vendor-webhook" => builder = builder.vendor_webhook(value(&arg)?),
            "--webhook-header" => {
                let header = value(&arg)?;
                let (name, text) = header
                    .split_once(':')
                    .ok_or_else(|| format!("--webhook-header needs NAME:VALUE, not `{header}`"))?;
                builder = builder.webhook_header(name.trim(), text.trim());
            }
            "--seed" => {
                let seed = value(&arg)?;
                let seed = seed
                    .parse()
                    .map_err(|_| format!("--seed needs a whole number, not `{seed}`"))?;
                builder = builder.seed(seed);
            }
            "-h" | "--help" => {
                println!("{USAGE}");
                return Ok(());
            }
            flag if flag.starts_with('-') => {
                return Err(format!("unknown option `{flag}`\n{USAGE}"));
            }
            addr => {
                let addr: SocketAddr = addr
                    .parse()
                    .map_err(|_| format!("`{addr}` is not an address\n{USAGE}"))?;
                builder = builder.bind(addr);
            }
        }
    }

    let sandbox = builder.start().await.map_err(|err| err.to_string())?;
    // Install the Ctrl-C handler before announcing the URL, so an early signal is not lost.
    let ctrl_c = tokio::signal::ctrl_c();
    tokio::pin!(ctrl_c);
    if let Poll::Ready(result) = futures::poll!(&mut ctrl_c) {
        return result.map_err(|err| format!("cannot wait for Ctrl-C: {err}"));
    }
    let credentials = sandbox.credentials();
    println!("EnKash sandbox listening on {}", sandbox.base_url());
    println!("  client id:     {}", credentials.client_id);
    println!("  client secret: {}", credentials.client_secret.expose());
    println!("  username:      {}", credentials.username);
    println!("  password:      {}", credentials.password.expose());
    println!(
        "  token:         curl -s -X POST {}/oauth/token -u '{}:{}' -d username={} -d password={} \
         -d grant_type=password -d clientId={}",
        sandbox.base_url(),
        credentials.client_id,
        credentials.client_secret.expose(),
        credentials.username,
        credentials.password.expose(),
        credentials.client_id,
    );
    println!(
        "  control:       {}/_sandbox/ (JSON; see the crate's README)",
        sandbox.base_url()
    );
    println!("Press Ctrl-C to stop.");

    wait_for_stop(ctrl_c).await?;
    sandbox.shutdown().await;
    println!("EnKash sandbox stopped");
    Ok(())
}

/// A whole number of seconds given to `flag`.
fn seconds(text: &str, flag: &str) -> Result<Duration, String> {
    text.parse()
        .map(Duration::from_secs)
        .map_err(|_| format!("{flag} needs a whole number of seconds, not `{text}`"))
}

/// Waits for Ctrl-C, or SIGTERM on Unix (how a script stops a background job).
async fn wait_for_stop(
    ctrl_c: std::pin::Pin<&mut impl std::future::Future<Output = std::io::Result<()>>>,
) -> Result<(), String> {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let mut term = signal(SignalKind::terminate())
            .map_err(|err| format!("cannot wait for SIGTERM: {err}"))?;
        tokio::select! {
            result = ctrl_c => result.map_err(|err| format!("cannot wait for Ctrl-C: {err}")),
            _ = term.recv() => Ok(()),
        }
    }
    #[cfg(not(unix))]
    {
        ctrl_c
            .await
            .map_err(|err| format!("cannot wait for Ctrl-C: {err}"))
    }
}
