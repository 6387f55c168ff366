//! Every Vendor Payment webhook example decodes through its component type and encodes back to
//! the same JSON. EnKash's example files are not stored with the docs we have, so the fixtures in
//! tests/fixtures/vendor are written from the field tables in the docs' own placeholder style
//! (`"string"`, `0`, `CREATED`, `GEOCODE`), with the quirks the docs record: `"string"` where an
//! enumeration or a tag name is expected, the singular `additionalInfo`, `objectId` values that fail
//! the documented id patterns, and objects whose members are not published (`{}`).

mod common;

use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

use enkash::enums::{
    CheckDocName, InvoicePaymentMode, PaymentCurrency, PaymentPlatform, SupplierPaymentResponse,
};
use enkash::types;

fn fixture(name: &str) -> Value {
    let path = format!(
        "{}/tests/fixtures/vendor/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    let text = std::fs::read_to_string(&path).unwrap_or_else(|err| panic!("{path}: {err}"));
    serde_json::from_str(&text).unwrap_or_else(|err| panic!("{path}: {err}"))
}

fn decode<T: DeserializeOwned>(name: &str) -> T {
    serde_json::from_value(fixture(name)).unwrap_or_else(|err| panic!("{name}: {err}"))
}

fn round_trip<T: DeserializeOwned + Serialize>(name: &str) -> Result<(), String> {
    let original = fixture(name);
    let decoded: T =
        serde_json::from_value(original.clone()).map_err(|err| format!("{name}: {err}"))?;
    let encoded = serde_json::to_value(decoded).map_err(|err| format!("{name}: {err}"))?;
    if common::canonical(encoded.clone()) == common::canonical(original.clone()) {
        Ok(())
    } else {
        Err(format!(
            "{name} does not round-trip:\n  sent    {original}\n  encoded {encoded}"
        ))
    }
}

type Check = fn(&str) -> Result<(), String>;

/// Each documented webhook example (and the two documented acknowledgement bodies) with the
/// component type it must decode into.
const WEBHOOK_EXAMPLES: &[(&str, Check)] = &[
    (
        "check-entity-webhook.webhook.json",
        round_trip::<types::CheckEntityWebhook>,
    ),
    (
        "entity-registration-response-webhook.webhook.json",
        round_trip::<types::EntityRegistrationResponseWebhook>,
    ),
    (
        "search-entity-response-webhook.webhook.json",
        round_trip::<types::SearchEntityResponseWebhook>,
    ),
    (
        "status-change-invoice-request-webhook.webhook.json",
        round_trip::<types::InvoiceStatusChangeRequestWebhook>,
    ),
    (
        "status-change-invoice-request-webhook.response.json",
        round_trip::<types::InvoiceStatusChangeEnvelope>,
    ),
    (
        "payment-response-webhook.webhook.json",
        round_trip::<types::PaymentResponseWebhook>,
    ),
    (
        "payment-request-webhook.webhook.json",
        round_trip::<types::PaymentRequestWebhook>,
    ),
    (
        "payment-confirmation-response-webhook.webhook.json",
        round_trip::<types::PaymentConfirmationResponseWebhook>,
    ),
    (
        "schema-PaymentConfirmation.example.json",
        round_trip::<types::PaymentConfirmation>,
    ),
    (
        "send-cn-response-webhook.webhook.json",
        round_trip::<types::CdNoteSendResponseWebhook>,
    ),
    (
        "confirm-purchase-order-request-webhook.webhook.json",
        round_trip::<types::PurchaseOrderConfirmRequestWebhook>,
    ),
    (
        "status-change-purchase-order-request-webhook.webhook.json",
        round_trip::<types::PurchaseOrderStatusChangeRequestWebhook>,
    ),
    (
        "status-change-purchase-order-response-webhook.webhook.json",
        round_trip::<types::PurchaseOrderStatusChangeResponseWebhook>,
    ),
    (
        "share-bid-request-webhook.webhook.json",
        round_trip::<types::ShareBidRequestWebhook>,
    ),
];

#[test]
fn every_webhook_example_round_trips_through_its_component_type() {
    let failures: Vec<String> = WEBHOOK_EXAMPLES
        .iter()
        .filter_map(|(name, check)| check(name).err())
        .collect();
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn every_fixture_is_listed() {
    let dir = format!("{}/tests/fixtures/vendor", env!("CARGO_MANIFEST_DIR"));
    let mut on_disk: Vec<String> = std::fs::read_dir(&dir)
        .expect("fixture directory")
        .map(|entry| {
            entry
                .expect("entry")
                .file_name()
                .into_string()
                .expect("UTF-8 name")
        })
        .collect();
    on_disk.sort();
    let mut listed: Vec<String> = WEBHOOK_EXAMPLES
        .iter()
        .map(|(name, _)| (*name).to_owned())
        .collect();
    listed.sort();
    assert_eq!(on_disk, listed);
}

#[test]
fn payment_response_keeps_placeholder_enum_values_and_exact_amounts() {
    let hook: types::PaymentResponseWebhook = decode("payment-response-webhook.webhook.json");
    let payment = hook.payment.expect("payment");
    assert_eq!(
        payment.type_,
        Some(PaymentPlatform::Unknown("string".into()))
    );
    assert_eq!(
        payment.mode,
        Some(InvoicePaymentMode::Unknown("string".into()))
    );
    assert_eq!(
        payment.currency,
        Some(PaymentCurrency::Unknown("string".into()))
    );
    assert_eq!(
        payment.object_id, "string",
        "ids are not pattern-checked on inbound bodies"
    );
    let amount = payment.payment_amount.expect("paymentAmount");
    assert_eq!(
        amount.net_paid_amount.expect("netPaidAmount").to_string(),
        "0"
    );
    let info = &payment.invoices_pay_infos[0];
    let transition = info.status_transition.as_ref().expect("statusTransition");
    assert_eq!(transition.new_status.as_deref(), Some("string"));
    assert_eq!(hook.resp.error_cd.as_deref(), Some("string"));
}

#[test]
fn payment_request_webhook_decodes_the_documented_enum_values() {
    let hook: types::PaymentRequestWebhook = decode("payment-request-webhook.webhook.json");
    assert_eq!(hook.payment.type_, Some(PaymentPlatform::OnPlatform));
    assert_eq!(hook.payment.mode, Some(InvoicePaymentMode::InternetBanking));
    assert_eq!(hook.payment.currency, Some(PaymentCurrency::Inr));
    let tag = &hook.device.expect("device").tag;
    assert_eq!(tag.name.as_deref(), Some("GEOCODE"));
}

#[test]
fn account_numbers_never_show_in_debug_output() {
    let mut json = fixture("payment-response-webhook.webhook.json");
    json["payment"]["invoicesPayInfos"][0]["supplierBankAccountDetails"]["maskedAccountNumber"] =
        Value::from("50200012344821");
    let hook: types::PaymentResponseWebhook = serde_json::from_value(json).unwrap();
    let debug = format!("{hook:?}");
    assert!(!debug.contains("5020001234"), "{debug}");
    // Masked to its last four characters, as every account number.
    assert!(
        debug.contains(r#"masked_account_number: Some(UncheckedAccountNumber("**********4821"))"#),
        "{debug}"
    );
    let details = hook.payment.unwrap().invoices_pay_infos[0]
        .supplier_bank_account_details
        .clone()
        .unwrap();
    assert_eq!(
        details.masked_account_number.unwrap().expose(),
        "50200012344821"
    );

    let mut json = fixture("entity-registration-response-webhook.webhook.json");
    json["institute"]["bankAccounts"][0] = serde_json::json!({"accountNumber": "50200012345678"});
    let hook: types::EntityRegistrationResponseWebhook = serde_json::from_value(json).unwrap();
    let debug = format!("{hook:?}");
    assert!(!debug.contains("50200012345678"), "{debug}");
    let institute = hook.institute.unwrap();
    assert_eq!(
        institute.bank_accounts[0].expose()["accountNumber"],
        "50200012345678"
    );
}

#[test]
fn payment_confirmation_reads_the_singular_additional_info() {
    let hook: types::PaymentConfirmationResponseWebhook =
        decode("payment-confirmation-response-webhook.webhook.json");
    assert_eq!(hook.additional_info.len(), 1);
    let confirmation = hook.payment_confirmation.expect("paymentConfirmation");
    assert_eq!(confirmation.type_, Some(PaymentPlatform::OffPlatform));
    assert_eq!(
        confirmation.supplier_response,
        Some(SupplierPaymentResponse::Accept)
    );
    assert_eq!(
        hook.resp.error_cd, None,
        "error members are optional on Resp"
    );
}

#[test]
fn check_entity_and_registration_webhooks_decode() {
    let hook: types::CheckEntityWebhook = decode("check-entity-webhook.webhook.json");
    let echo = hook.check_institute.expect("checkInstitute");
    assert_eq!(echo.doc_name, Some(CheckDocName::Pan));
    assert_eq!(
        echo.type_.as_deref(),
        Some("string"),
        "legal form is plain text on the webhook"
    );
    assert_eq!(
        hook.institute_status
            .expect("instituteStatus")
            .institutes
            .len(),
        1
    );

    let hook: types::EntityRegistrationResponseWebhook =
        decode("entity-registration-response-webhook.webhook.json");
    let institute = hook.institute.expect("institute");
    assert_eq!(
        institute.mcc_code.as_deref(),
        Some("string"),
        "no length rule on inbound bodies"
    );
    assert_eq!(
        institute.lei.and_then(|lei| lei.document_name).as_deref(),
        Some("PAN")
    );
    assert_eq!(hook.additional_infos.len(), 1);
}

#[test]
fn search_entity_response_decodes() {
    let hook: types::SearchEntityResponseWebhook =
        decode("search-entity-response-webhook.webhook.json");
    let criteria = &hook.search.expect("search").criteria[0];
    assert_eq!(criteria.operator.as_deref(), Some("EXACT"));
    let found = &hook.resp_params.expect("respParams").entity_info[0];
    assert_eq!(found.b2b_ids[0].value.as_deref(), Some("string"));
    assert_eq!(
        hook.onboarding_b2b_ids
            .expect("onboardingB2BIds")
            .requestor_b2b_id,
        "string"
    );
}

#[test]
fn credit_note_response_with_string_tag_name_and_unpublished_blocks_decodes() {
    let hook: types::CdNoteSendResponseWebhook = decode("send-cn-response-webhook.webhook.json");
    assert_eq!(
        hook.device.expect("device").tag.name.as_deref(),
        Some("string")
    );
    let note = hook.cd_note.expect("cdNote");
    let line = &note.item_lists[0];
    assert_eq!(line.unit_price.expect("unitPrice").to_string(), "0");
    assert_eq!(line.gst_rate.expect("gstRate").to_string(), "0");
    assert!(note.dispatch_details.expect("dispatchDetails").is_empty());
    let details = note.transaction_details.expect("transactionDetails");
    assert_eq!(details.e_commerce_gstin.as_deref(), Some("string"));
}

#[test]
fn purchase_order_webhooks_decode() {
    let hook: types::PurchaseOrderConfirmRequestWebhook =
        decode("confirm-purchase-order-request-webhook.webhook.json");
    assert_eq!(
        hook.po_confirmation.supplier_response.as_deref(),
        Some("string")
    );

    let hook: types::PurchaseOrderStatusChangeResponseWebhook =
        decode("status-change-purchase-order-response-webhook.webhook.json");
    let status = hook.po_status.expect("poStatus");
    let transition = status.po_status_transition.expect("poStatusTransition");
    assert_eq!(transition.current_status.as_deref(), Some("string"));
    assert_eq!(status.object_version.and_then(|v| v.new_version), Some(0));
}

#[test]
fn invoice_status_change_and_its_documented_answer_decode() {
    let hook: types::InvoiceStatusChangeRequestWebhook =
        decode("status-change-invoice-request-webhook.webhook.json");
    assert_eq!(
        hook.invoice_status.supplier_action.as_deref(),
        Some("string")
    );
    let answer: types::InvoiceStatusChangeEnvelope =
        decode("status-change-invoice-request-webhook.response.json");
    assert_eq!(answer.response_code, 0);
    let payload = answer.payload.expect("payload");
    assert_eq!(payload.resp.expect("resp").req_msg_id, "string");
}

#[test]
fn share_bid_decodes_with_exact_amounts() {
    let hook: types::ShareBidRequestWebhook = decode("share-bid-request-webhook.webhook.json");
    let detail = &hook.bid.bid_details[0];
    assert_eq!(
        detail.approved_amount.expect("approvedAmount").to_string(),
        "0"
    );
    assert_eq!(detail.bid_value.expect("bidValue").to_string(), "0");
    let share = &detail.invoice_fin_details[0];
    assert_eq!(
        share
            .financing_request_amount
            .expect("financingRequestAmount")
            .to_string(),
        "0"
    );
}
