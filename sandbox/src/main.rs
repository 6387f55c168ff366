//! Serves the EnKash sandbox until Ctrl-C.
//!
//! ```text
//! cargo run --example sandbox --features sandbox -- [ADDR] [--spec-examples] [--token-lifetime SECS] [--webhook URL]
//! ```
//!
//! `ADDR` defaults to `127.0.0.1:8787`. `--spec-examples` preloads the records the spec's
//! examples name; `--webhook` POSTs final bill states to `URL`.

use std::net::SocketAddr;
use std::process::ExitCode;
use std::task::Poll;
use std::time::Duration;

use enkash_sandbox::Sandbox;

const USAGE: &str =
    "usage: sandbox [ADDR] [--spec-examples] [--token-lifetime SECS] [--webhook URL]";

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    match run().await {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("sandbox: {message}");
            ExitCode::FAILURE
        }
    }
}

async fn run() -> Result<(), String> {
    let mut builder = Sandbox::builder().bind(SocketAddr::from(([127, 0, 0, 1], 8787)));
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--spec-examples" => builder = builder.with_spec_examples(),
            "--token-lifetime" => {
                let secs: u64 = args
                    .next()
                    .and_then(|value| value.parse().ok())
                    .ok_or("--token-lifetime needs a number of seconds")?;
                builder = builder.token_lifetime(Duration::from_secs(secs));
            }
            "--webhook" => builder = builder.webhook(args.next().ok_or("--webhook needs a URL")?),
            "-h" | "--help" => {
                println!("{USAGE}");
                return Ok(());
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
    println!("Press Ctrl-C to stop.");

    ctrl_c
        .await
        .map_err(|err| format!("cannot wait for Ctrl-C: {err}"))?;
    sandbox.shutdown().await;
    println!("EnKash sandbox stopped");
    Ok(())
}
