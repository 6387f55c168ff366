//! The `enkash-sandbox` binary: its flags, its banner, and the control endpoint behind it.

use std::process::Stdio;
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::Command;

const BINARY: &str = env!("CARGO_BIN_EXE_enkash-sandbox");

#[tokio::test]
async fn the_binary_takes_its_flags_and_serves_the_control_endpoint() {
    let mut child = Command::new(BINARY)
        .args([
            "127.0.0.1:0",
            "--spec-examples",
            "--seed",
            "7",
            "--token-lifetime",
            "60",
            "--respond-after",
            "30",
            "--settle-after",
            "30",
            "--vendor-webhook",
            "http://127.0.0.1:9/hooks",
            "--webhook-header",
            "x-enkash-token: static",
        ])
        .stdout(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let url = tokio::time::timeout(Duration::from_secs(30), async {
        while let Some(line) = lines.next_line().await.unwrap() {
            if let Some(url) = line.strip_prefix("EnKash sandbox listening on ") {
                return url.to_owned();
            }
        }
        panic!("the binary exited without its banner");
    })
    .await
    .expect("the banner within 30 s");

    let http = enkash::tls::client_builder().unwrap().build().unwrap();
    let clock: serde_json::Value = http
        .post(format!("{url}/_sandbox/clock/advance"))
        .body(r#"{"seconds": 30}"#)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(clock["offsetMs"], 30_000);
    let vendor: serde_json::Value = http
        .get(format!("{url}/_sandbox/vendor"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        vendor["invoices"][0]["objectId"], "INVEH60KVJ50CE9UVW53EFR4EDT2SYWB3WK",
        "--spec-examples"
    );
    child.kill().await.unwrap();
}

#[tokio::test]
async fn a_bad_flag_is_refused_with_the_usage() {
    for args in [
        &["--seed", "abc"][..],
        &["--token-lifetime"],
        &["--frobnicate"],
    ] {
        let output = Command::new(BINARY).args(args).output().await.unwrap();
        assert!(!output.status.success(), "{args:?}");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(stderr.starts_with("enkash-sandbox: "), "{args:?}: {stderr}");
    }
}
