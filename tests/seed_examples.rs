//! EnKash's own published examples (tests/fixtures/seeds, copied verbatim from the doc pages)
//! decode through the generated types, with their out-of-list enum values, `null` fields and
//! zone-less date-times, and give back the exact amounts.

use enkash::enums::{ApprovalStatus, BillpayStatus, Circle, PaymentStatus};
use enkash::types;

fn fixture(name: &str) -> String {
    let path = format!("{}/tests/fixtures/seeds/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&path).unwrap_or_else(|err| panic!("{path}: {err}"))
}

fn amount(value: Option<enkash::Amount>) -> String {
    value.expect("amount present").to_string()
}

#[test]
fn bill_payment_webhook_decodes_with_its_out_of_list_values() {
    let hook: types::UtilityBillWebhookRequest =
        serde_json::from_str(&fixture("bill-payment-webhook.json")).unwrap();

    assert_eq!(amount(hook.amount), "2450.75");
    assert_eq!(amount(hook.bill_amount), "2450.75");
    assert_eq!(amount(hook.early_payment_amount), "2400.00");
    assert_eq!(amount(hook.late_payment_amount), "2525.50");

    assert_eq!(
        hook.payment_status,
        Some(PaymentStatus::Unknown("COMPLETED".into()))
    );
    assert_eq!(
        hook.billpay_status,
        Some(BillpayStatus::Unknown("COMPLETED".into()))
    );
    assert_eq!(
        hook.approval_status,
        Some(ApprovalStatus::Unknown("APPROVED".into()))
    );
    assert_eq!(
        hook.company_biller.circle_enum,
        Some(Circle::Unknown("MUMBAI".into()))
    );

    let created = hook.created_date.expect("createdDate");
    assert_eq!(created.to_string(), "2025-05-12T14:30:25");
    assert_eq!(created.offset(), None);
    assert_eq!(hook.failure_reason, None);
    assert_eq!(hook.refund_date, None);
    assert_eq!(hook.number_of_units, Some(215));
    assert_eq!(
        hook.company_biller
            .biller
            .as_ref()
            .and_then(|b| b.biller_id),
        Some(2001)
    );
}

#[test]
fn bill_payment_webhook_round_trips_every_value_it_carries() {
    let text = fixture("bill-payment-webhook.json");
    let hook: types::UtilityBillWebhookRequest = serde_json::from_str(&text).unwrap();
    let mut original: serde_json::Value = serde_json::from_str(&text).unwrap();
    // Fields sent as null are absent when encoded again.
    original
        .as_object_mut()
        .unwrap()
        .retain(|_, value| !value.is_null());
    assert_eq!(serde_json::to_value(&hook).unwrap(), original);
}

#[test]
fn create_bill_response_decodes() {
    let envelope: types::UtilityPaymentV2Envelope =
        serde_json::from_str(&fixture("create-bill.response.json")).unwrap();
    assert_eq!(envelope.response_code, 0);
    let bill = envelope.payload.expect("payload");
    assert_eq!(amount(bill.amount), "0");
    assert_eq!(amount(bill.bill_amount), "0");
    assert_eq!(
        bill.approval_status,
        Some(ApprovalStatus::MakerApprovalPending)
    );
    assert_eq!(bill.payment_status, Some(PaymentStatus::Init));
    assert_eq!(bill.billpay_status, Some(BillpayStatus::Success));
    assert_eq!(bill.failure_code.as_deref(), Some("UTEX001"));
    let created = bill.created_date.expect("createdDate");
    assert_eq!(
        created.to_utc().unwrap().to_rfc3339(),
        "2025-06-02T14:24:14.670+00:00"
    );
    let biller = bill
        .company_biller
        .and_then(|cb| cb.biller)
        .expect("biller");
    assert_eq!(biller.circle_params[0].value, Some(Circle::Ap));
    assert_eq!(amount(bill.refund.and_then(|r| r.refund_amount)), "0");
}

#[test]
fn utility_bill_status_v0_response_decodes() {
    let envelope: types::UtilityPaymentEnvelope =
        serde_json::from_str(&fixture("get-utility-bill-status-v0.response.json")).unwrap();
    let bill = envelope.payload.expect("payload");
    assert_eq!(
        bill.bill_date.map(|d| d.to_string()).as_deref(),
        Some("2019-08-24")
    );
    assert_eq!(
        bill.bill_copy_status,
        Some(enkash::enums::BillCopyStatus::Failed)
    );
    assert_eq!(
        bill.payment_mode,
        Some(enkash::enums::PaymentMode::CreditCard)
    );
    let company_biller = bill.company_biller.expect("companyBiller");
    assert_eq!(company_biller.auto_debit, Some(true));
    let copy_params = company_biller.biller_copy_input_params_data.expect("map");
    assert_eq!(
        copy_params.get("property1").map(String::as_str),
        Some("string")
    );
    let meta = bill.utility_bill_meta_data.expect("utilityBillMetaData");
    assert_eq!(amount(meta.amount_before_due_date), "0");
    assert_eq!(
        meta.power_factor.map(|q| q.to_string()).as_deref(),
        Some("0")
    );
}

#[test]
fn add_consumer_number_request_and_response_decode() {
    let request: types::BillFetchV0Request =
        serde_json::from_str(&fixture("add-consumer-number.request.json")).unwrap();
    assert_eq!(request.biller_id, 10);
    assert_eq!(request.bill_params.cn, "3432423423");
    assert_eq!(request.bill_params.ad1.as_deref(), Some("8503928642"));
    assert_eq!(request.branch_code.as_deref(), Some("CBC865522HQTM"));

    let envelope: types::BillFetchEnvelope =
        serde_json::from_str(&fixture("add-consumer-number.response.json")).unwrap();
    let bill = envelope.payload.expect("payload");
    assert_eq!(amount(bill.bill_amount), "110");
    assert_eq!(amount(bill.billnetamount), "120");
    assert_eq!(amount(bill.early_payment_amount), "100");
    assert_eq!(amount(bill.late_payment_amount), "120");
    assert_eq!(
        bill.due_date.map(|d| d.to_string()).as_deref(),
        Some("2025-09-09")
    );
    let info = bill.additional_info.expect("additionalInfo");
    assert_eq!(info.get("Disconn Tag").map(String::as_str), Some("0"));
}

#[test]
fn create_bill_request_example_decodes() {
    let request: types::CreateBillRequest =
        serde_json::from_str(&fixture("create-bill.request.json")).unwrap();
    assert_eq!(request.bill_net_amount.to_string(), "1");
    assert_eq!(request.company_biller_id, "string");
}
