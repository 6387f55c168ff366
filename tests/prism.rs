//! The client's happy paths against `prism mock` of `spec/enkash.yaml`, which answers with the
//! spec's examples and refuses (and logs) any request that breaks the spec. Run by
//! `.ci/prism-test.sh`, which starts Prism and sets `ENKASH_PRISM_URL`.

mod common;

use enkash::{Client, types};

fn client() -> Client {
    let url = std::env::var("ENKASH_PRISM_URL").expect("ENKASH_PRISM_URL: run .ci/prism-test.sh");
    common::client(&url)
}

fn body<T: serde::de::DeserializeOwned>(json: &str) -> T {
    serde_json::from_str(json).unwrap()
}

#[tokio::test]
#[ignore = "needs prism mock; run by .ci/prism-test.sh"]
async fn every_bill_payment_operation_round_trips_through_prism() {
    let client = client();

    let fetched = client
        .fetch_current_bill()
        .body(body::<types::BillFetchRequest>(
            r#"{"billerId": 2001, "circle": "MUM", "billParams": {"cn": "CN123456789"}}"#,
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(fetched.company_biller_id.as_deref(), Some("CB-54321"));

    let added = client
        .fetch_or_add_bill_v0()
        .body(body::<types::BillFetchV0Request>(
            r#"{"billerId": 10, "billParams": {"cn": "3432423423", "ad1": "8503928642"}, "branchCode": "CBC865522HQTM"}"#,
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(added.billnetamount.unwrap().to_string(), "120");

    let created = client
        .create_bill()
        .body(body::<types::CreateBillRequest>(
            r#"{"referenceId": "REF-PRISM-1", "companyBillerId": "CB-54321", "billNetAmount": 2450.75, "billAmount": 2450.75, "billDate": "2025-05-10"}"#,
        ))
        .send()
        .await
        .unwrap();
    let id = created.utility_enkash_id.clone().unwrap();
    assert_eq!(created.amount.unwrap().to_string(), "2450.75");

    client
        .create_bill_without_fetch()
        .body(body::<types::AddBillRequest>(
            r#"{"referenceId": "REF-PRISM-2", "billerId": 2001, "billParams": {"cn": "CN123456789"}, "billAmount": 2450.75}"#,
        ))
        .send()
        .await
        .unwrap();
    client
        .create_bill_without_fetch_v0()
        .body(body::<types::AddBillV0Request>(
            r#"{"referenceId": "REF-PRISM-3", "billerId": 2001, "billParams": {"cn": "CN123456789"}, "autoDebit": "BKCJC126GDK5"}"#,
        ))
        .send()
        .await
        .unwrap();

    client
        .confirm_debit()
        .body(body::<types::UtilityPaymentApprovalRequest>(&format!(
            r#"{{"utilityPaymentIds": ["{id}"], "approvalStatus": "CHECKER_APPROVED", "remarks": "Approved for May cycle"}}"#
        )))
        .send()
        .await
        .unwrap();

    let status = client
        .get_utility_bill_status()
        .utility_enkash_id(&id)
        .send()
        .await
        .unwrap();
    assert_eq!(status.utility_enkash_id.as_deref(), Some(id.as_str()));
    client
        .get_utility_bill_status_v0()
        .utility_enkash_id(&id)
        .send()
        .await
        .unwrap();
    client
        .get_utility_bill_by_reference_id()
        .reference_id("REF-PRISM-1")
        .send()
        .await
        .unwrap();
    client
        .get_utility_bill_by_reference_id_v0()
        .reference_id("REF-PRISM-1")
        .send()
        .await
        .unwrap();

    let found = client
        .search_utility_bills()
        .body(body::<types::UtilityBillSearchRequest>(
            r#"{"statuses": ["PENDING"], "offset": 0, "limit": 10}"#,
        ))
        .send()
        .await
        .unwrap();
    assert!(!found.is_empty());
}

#[tokio::test]
#[ignore = "needs prism mock; run by .ci/prism-test.sh"]
async fn the_bulk_uploads_send_multipart_bodies_prism_accepts() {
    let client = client();
    let csv = "legalName,email\nAcme Traders,accounts@acme.example\n";

    let created = client
        .create_bulk_customer()
        .company_id("CEKFOWV7UQ")
        .file(enkash::Upload::bytes("customers.csv", csv).content_type("text/csv"))
        .send()
        .await
        .unwrap();
    assert!(created.is_some());

    let chunks = futures::stream::iter(
        csv.as_bytes()
            .chunks(8)
            .map(|chunk| Ok::<_, std::io::Error>(bytes::Bytes::copy_from_slice(chunk)))
            .collect::<Vec<_>>(),
    );
    client
        .bulk_update_customers()
        .parent_company_id("CEKFOWV7UQ")
        .file(enkash::Upload::stream("updates.csv", chunks).content_type("text/csv"))
        .send()
        .await
        .unwrap();

    client
        .invoice_bulk_upload()
        .seller_id("CEKFOWV7UQ")
        .file(enkash::Upload::bytes(
            "invoices.csv",
            csv.as_bytes().to_vec(),
        ))
        .send()
        .await
        .unwrap();
}
