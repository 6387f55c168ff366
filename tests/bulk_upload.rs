//! The three bulk uploads send their file as `multipart/form-data` through the call pipeline:
//! the sandbox records the parts it received, and an upload is never sent twice, whether the
//! connection drops after the request arrived or is reset while the file is still going out.

mod common;

use std::io::Read;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use bytes::Bytes;
use enkash::{Client, Config, Upload};
use enkash_sandbox::{DropMode, Fault, Operation, ReceivedPart, Sandbox, SandboxHandle};
use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

fn client_for(sandbox: &SandboxHandle) -> Client {
    Client::from_config(sandbox.client_config().unwrap()).unwrap()
}

/// A customer file of `rows` rows, written to disk.
fn customer_file(name: &str, rows: usize) -> std::path::PathBuf {
    let mut text = String::from("legalName,email,pinCode\n");
    for row in 0..rows {
        text.push_str(&format!(
            "Customer {row} Pvt Ltd,accounts{row}@example.com,5600{:02}\n",
            row % 100
        ));
    }
    let path = std::env::temp_dir().join(format!("enkash-{}-{name}", std::process::id()));
    std::fs::write(&path, text).unwrap();
    path
}

/// The file read in 16 KiB chunks while it is sent.
fn chunks_of(
    path: &std::path::Path,
) -> impl futures::Stream<Item = std::io::Result<Bytes>> + use<> {
    let file = std::fs::File::open(path).unwrap();
    futures::stream::unfold(file, |mut file| async move {
        let mut chunk = vec![0; 16 * 1024];
        match file.read(&mut chunk) {
            Ok(0) => None,
            Ok(read) => {
                chunk.truncate(read);
                Some((Ok(Bytes::from(chunk)), file))
            }
            Err(err) => Some((Err(err), file)),
        }
    })
}

fn parts_of(sandbox: &SandboxHandle, operation: Operation) -> Vec<ReceivedPart> {
    let requests: Vec<_> = sandbox
        .requests()
        .into_iter()
        .filter(|request| request.operation == operation)
        .collect();
    assert_eq!(requests.len(), 1, "{operation:?} was received once");
    requests[0].parts.clone()
}

#[tokio::test]
async fn the_three_uploads_send_their_file_as_multipart() {
    let sandbox = Sandbox::builder().start().await.unwrap();
    let client = client_for(&sandbox);
    let path = customer_file("customers.csv", 5_000);
    let size = std::fs::metadata(&path).unwrap().len();

    // Bytes held in memory.
    let created = client
        .create_bulk_customer()
        .company_id("CEKFOWV7UQ")
        .file(
            Upload::bytes("customers.csv", std::fs::read(&path).unwrap()).content_type("text/csv"),
        )
        .send()
        .await
        .unwrap()
        .unwrap();
    assert_eq!(created["fileReceived"], true);
    assert_eq!(created["fileName"], "customers.csv");
    assert_eq!(created["fileContentType"], "text/csv");
    assert_eq!(created["fileBytes"], size);

    // A stream of unknown length (sent in chunks).
    let updated = client
        .bulk_update_customers()
        .parent_company_id("CEKFOWV7UQ")
        .file(Upload::stream("updates.csv", chunks_of(&path)).content_type("text/csv"))
        .send()
        .await
        .unwrap()
        .unwrap();
    assert_eq!(updated["fileBytes"], size);

    // A stream of known length, with no content type (application/octet-stream).
    let invoices = client
        .invoice_bulk_upload()
        .seller_id("CEKFOWV7UQ")
        .file(Upload::stream("invoices.csv", chunks_of(&path)).length(size))
        .send()
        .await
        .unwrap()
        .unwrap();
    assert_eq!(invoices["fileName"], "invoices.csv");
    std::fs::remove_file(&path).unwrap();

    let expected = [
        (Operation::CreateBulkCustomer, "customers.csv", "text/csv"),
        (Operation::BulkUpdateCustomers, "updates.csv", "text/csv"),
        (
            Operation::InvoiceBulkUpload,
            "invoices.csv",
            "application/octet-stream",
        ),
    ];
    for (operation, file_name, content_type) in expected {
        let parts = parts_of(&sandbox, operation);
        println!("{operation:?} received: {parts:?}");
        assert_eq!(parts.len(), 1, "{parts:?}");
        assert_eq!(parts[0].name, "file");
        assert_eq!(parts[0].file_name.as_deref(), Some(file_name));
        assert_eq!(parts[0].content_type.as_deref(), Some(content_type));
        assert_eq!(parts[0].size as u64, size);
    }

    // The control endpoint reports the same parts.
    let journal: Value = common::plain_http()
        .get(format!("{}/_sandbox/requests", sandbox.base_url()))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let uploads: Vec<&Value> = journal["requests"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|request| !request["parts"].is_null())
        .collect();
    assert_eq!(uploads.len(), 3);
    assert_eq!(uploads[0]["operation"], "create_bulk_customer");
    assert_eq!(uploads[0]["parts"][0]["name"], "file");
    assert_eq!(uploads[0]["parts"][0]["fileName"], "customers.csv");
    assert_eq!(uploads[0]["parts"][0]["contentType"], "text/csv");
    assert_eq!(uploads[0]["parts"][0]["size"], size);
    assert!(uploads[0]["body"].is_null(), "the file is not kept");
}

#[tokio::test]
async fn an_upload_without_a_file_sends_no_body() {
    let sandbox = Sandbox::builder().start().await.unwrap();
    let client = client_for(&sandbox);
    let payload = client.invoice_bulk_upload().send().await.unwrap().unwrap();
    assert_eq!(payload["fileReceived"], false);
    assert!(parts_of(&sandbox, Operation::InvoiceBulkUpload).is_empty());
}

#[tokio::test]
async fn a_content_type_that_is_no_mime_type_is_refused_before_sending() {
    let sandbox = Sandbox::builder().start().await.unwrap();
    let client = client_for(&sandbox);
    let err = client
        .create_bulk_customer()
        .company_id("CEKFOWV7UQ")
        .file(Upload::bytes("c.csv", "a,b\n").content_type("text csv"))
        .send()
        .await
        .unwrap_err();
    let enkash::Error::InvalidRequest(invalid) = &err else {
        panic!("not refused before sending: {err:?}");
    };
    assert_eq!(invalid.field.as_deref(), Some("file"));
    assert_eq!(sandbox.calls(Operation::CreateBulkCustomer), 0);
}

#[tokio::test]
async fn an_upload_whose_answer_is_lost_is_not_sent_again() {
    let sandbox = Sandbox::builder().start().await.unwrap();
    let client = client_for(&sandbox);
    for (mode, operation) in [
        (DropMode::ApplyThenDrop, Operation::CreateBulkCustomer),
        (DropMode::DropBeforeApply, Operation::InvoiceBulkUpload),
    ] {
        sandbox.inject(operation, Fault::Drop(mode), 1);
        let upload = Upload::bytes("rows.csv", "legalName\nAcme\n");
        let sent = match operation {
            Operation::CreateBulkCustomer => {
                client
                    .create_bulk_customer()
                    .company_id("CEKFOWV7UQ")
                    .file(upload)
                    .send()
                    .await
            }
            _ => client.invoice_bulk_upload().file(upload).send().await,
        };
        let err = sent.unwrap_err();
        assert!(err.is_outcome_unknown(), "{err:?}");
        assert_eq!(sandbox.calls(operation), 1, "{operation:?} was sent once");
    }
}

#[tokio::test]
async fn a_connection_reset_mid_upload_is_an_error_and_no_second_request() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let uploads = Arc::new(AtomicUsize::new(0));
    let counted = Arc::clone(&uploads);
    let server = tokio::spawn(async move {
        loop {
            let (mut socket, _) = listener.accept().await.unwrap();
            let counted = Arc::clone(&counted);
            tokio::spawn(async move {
                let mut seen = Vec::new();
                let mut buffer = vec![0; 8192];
                while !seen.windows(4).any(|w| w == b"\r\n\r\n") {
                    match socket.read(&mut buffer).await {
                        Ok(0) | Err(_) => return,
                        Ok(read) => seen.extend_from_slice(&buffer[..read]),
                    }
                }
                if seen.starts_with(b"POST /oauth/token") {
                    let body =
                        r#"{"access_token":"t0k3n","token_type":"bearer","expires_in":3600}"#;
                    let answer = format!(
                        "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n\
                         content-length: {}\r\nconnection: close\r\n\r\n{body}",
                        body.len()
                    );
                    let _ = socket.write_all(answer.as_bytes()).await;
                    return;
                }
                counted.fetch_add(1, Ordering::SeqCst);
                // Some of the file arrives, then the connection is reset.
                let mut received = seen.len();
                while received < 64 * 1024 {
                    match socket.read(&mut buffer).await {
                        Ok(0) | Err(_) => break,
                        Ok(read) => received += read,
                    }
                }
                socket.set_zero_linger().unwrap();
                drop(socket);
            });
        }
    });

    let config = Config::builder()
        .base_url(url)
        .credentials(enkash_sandbox::default_credentials())
        .build()
        .unwrap();
    let client = Client::from_config(config).unwrap();
    // 4 MiB, produced while it is sent.
    let chunks = futures::stream::iter(
        (0..256).map(|_| Ok::<_, std::io::Error>(Bytes::from(vec![b'x'; 16 * 1024]))),
    );
    let err = client
        .create_bulk_customer()
        .company_id("CEKFOWV7UQ")
        .file(Upload::stream("big.csv", chunks))
        .send()
        .await
        .unwrap_err();
    assert!(err.is_outcome_unknown(), "{err:?}");
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(
        uploads.load(Ordering::SeqCst),
        1,
        "the upload was sent once"
    );
    server.abort();
}
