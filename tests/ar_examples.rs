//! Accounts Receivable examples decode through the generated types.
//!
//! * `seeds/create-customer.request.json`: every field of the createCustomer seed page
//!   (`shared/seeds/003_9d90dd95734244c8.txt`, docs.enkash.com/api-8990295), with values that meet
//!   the page's patterns and the page's one field example (`reminderTime: "HH:mm"`).
//! * `seeds/create-customer.request.placeholders.json`: the same fields in the portal's
//!   placeholder style (`"string"`, `0`, `true`, field examples), which is how the page's request
//!   example starts (`{"accountNumber": "string", "address": "string", "companyId": "string", ...`;
//!   the rest of it is cut off in every stored copy). Its placeholders break the page's own patterns.
//! * `ar/*.placeholders.json`: the published getInvoice and createBulkCustomer 200 examples and the
//!   updateCustomer request example, rebuilt in the same placeholder style from the field tables
//!   (the example files themselves are not in `shared/`). Responses must decode whatever they carry.

use enkash::enums::{AttachmentSource, ErrorType};
use enkash::types;

fn fixture(name: &str) -> String {
    let path = format!("{}/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&path).unwrap_or_else(|err| panic!("{path}: {err}"))
}

/// The JSON encoded back from a decoded value, for comparison with the fixture.
fn reencoded<T: serde::Serialize>(value: &T) -> serde_json::Value {
    serde_json::to_value(value).expect("encodes")
}

#[test]
fn create_customer_seed_example_decodes_and_round_trips() {
    let text = fixture("seeds/create-customer.request.json");
    let request: types::CustomerCreateRequest = serde_json::from_str(&text).unwrap();

    assert_eq!(
        request
            .account_number
            .as_ref()
            .map(|account| account.expose()),
        Some("50100234567890")
    );
    assert_eq!(
        request.company_id.as_deref().map(String::as_str),
        Some("CEKFOWV7UQ")
    );
    assert_eq!(
        request.contact_number.as_deref().map(String::as_str),
        Some("+91 9876543210")
    );
    assert_eq!(
        request.ifsc.as_deref().map(String::as_str),
        Some("HDFC0001234")
    );
    assert_eq!(request.external_source, Some(false));

    let contact = &request.customer_key_contacts[0];
    assert_eq!(contact.name, "Priya Sharma");
    assert_eq!(
        contact.email.as_deref().map(String::as_str),
        Some("priya.sharma@sharmatraders.example.com")
    );
    assert_eq!(contact.mail_enabled, Some(true));
    assert_eq!(contact.whatsapp_enabled, Some(false));
    // Required, yet the documented pattern accepts the empty string (contradiction 6).
    assert_eq!(request.customer_key_contacts[1].mobile.as_str(), "");

    let once = &request.customer_reminders[0];
    assert_eq!(
        once.reminder_time.as_deref(),
        Some("HH:mm"),
        "the page's own example value"
    );
    assert_eq!(once.reminder_type, Some(types::ReminderType::Once));
    assert_eq!(once.due_date_difference, Some(-3));
    assert_eq!(
        request.customer_reminders[1].reminder_type,
        Some(types::ReminderType::Recurring)
    );

    let original: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(reencoded(&request), original);
}

#[test]
fn create_customer_placeholder_example_is_refused_by_the_documented_patterns() {
    let text = fixture("seeds/create-customer.request.placeholders.json");
    let err = serde_json::from_str::<types::CustomerCreateRequest>(&text)
        .unwrap_err()
        .to_string();
    // The first patterned field of the page refuses "string": the client never sends it.
    assert!(
        err.contains(r#"doesn't match pattern "^$|^[A-Za-z0-9]{9,36}$""#),
        "{err}"
    );
}

#[test]
fn create_customer_placeholders_survive_where_the_page_sets_no_pattern() {
    // The placeholder example with only the patterned values replaced decodes: every other
    // placeholder ("string", 0, true, "HH:mm", "ONCE") fits its generated type.
    let mut example: serde_json::Value =
        serde_json::from_str(&fixture("seeds/create-customer.request.placeholders.json")).unwrap();
    example["accountNumber"] = "50100234567890".into();
    example["companyId"] = "CEKFOWV7UQ".into();
    example["contactNumber"] = "9876543210".into();
    example["ifsc"] = "HDFC0001234".into();
    example["customerKeyContacts"][0]["email"] = "priya@example.com".into();
    example["customerKeyContacts"][0]["mobile"] = "9876543210".into();

    let request: types::CustomerCreateRequest = serde_json::from_value(example.clone()).unwrap();
    assert_eq!(request.address.as_deref(), Some("string"));
    assert_eq!(request.customer_reminders[0].reminder_interval, Some(0));
    assert_eq!(reencoded(&request), example);
}

#[test]
fn get_invoice_placeholder_response_decodes_with_out_of_list_values() {
    let text = fixture("ar/get-invoice.response.placeholders.json");
    let envelope: types::InvoiceEnvelope = serde_json::from_str(&text).unwrap();
    assert_eq!(envelope.response_code, 0);

    // A filled-in errorResponse on a 200 (contradiction 1): decoded, and not a failure by itself.
    let error = envelope.error_response.as_ref().expect("errorResponse");
    assert_eq!(error.error_type, Some(ErrorType::ClientRequestAbort));
    assert_eq!(error.timestamp.as_deref(), Some("yyyy-MM-dd HH:mm:ss"));
    assert_eq!(error.api_sub_errors.len(), 1);

    let invoice = envelope.payload.as_ref().expect("payload");
    // `PAID` is outside the request-side approval list (contradiction 3): kept as sent.
    let status = |s: &Option<types::LabelName>| s.as_ref().and_then(|s| s.name.clone());
    assert_eq!(status(&invoice.approval_status).as_deref(), Some("PAID"));
    assert_eq!(status(&invoice.payout_status).as_deref(), Some("PAID"));
    assert_eq!(status(&invoice.receivable_status).as_deref(), Some("PAID"));
    // Placeholder ids are not checked on the response side.
    assert_eq!(invoice.customer_id.as_deref(), Some("string"));
    // Date vs date-time (contradiction 4).
    assert_eq!(
        invoice.due_date.map(|d| d.to_string()).as_deref(),
        Some("2019-08-24")
    );
    let invoice_date = invoice.invoice_date.as_ref().expect("invoiceDate");
    assert_eq!(
        invoice_date.to_utc().map(|t| t.to_rfc3339()).as_deref(),
        Some("2019-08-24T14:15:22+00:00")
    );
    assert_eq!(
        invoice.base_amount.map(|a| a.to_string()).as_deref(),
        Some("0")
    );
    assert_eq!(
        invoice.invoice_attachments[0].attachment_source,
        Some(AttachmentSource::TallyInvoice)
    );

    let original: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(reencoded(&envelope), original);
}

#[test]
fn invoice_response_keeps_unknown_enum_values_and_nulls() {
    let body = serde_json::json!({
        "response_code": 0,
        "errorResponse": {"errorType": "RATE_LIMITED"},
        "payload": {
            "invoiceAttachments": [{"attachmentSource": "EMAIL_INBOX"}],
            "dispatchedOn": null,
            "createdOn": "2025-06-01 10:02:11",
            "customerId": "not-a-KC-id"
        }
    });
    let envelope: types::InvoiceEnvelope = serde_json::from_value(body).unwrap();
    let error_type = envelope.error_response.and_then(|e| e.error_type);
    assert_eq!(error_type, Some(ErrorType::Unknown("RATE_LIMITED".into())));
    let invoice = envelope.payload.expect("payload");
    assert_eq!(
        invoice.invoice_attachments[0].attachment_source,
        Some(AttachmentSource::Unknown("EMAIL_INBOX".into()))
    );
    assert!(invoice.dispatched_on.is_none());
    assert_eq!(invoice.created_on.expect("createdOn").offset(), None);
}

#[test]
fn create_bulk_customer_placeholder_response_decodes() {
    let text = fixture("ar/create-bulk-customer.response.placeholders.json");
    let envelope: types::BulkUploadEnvelope = serde_json::from_str(&text).unwrap();
    assert_eq!(envelope.response_code, 0);
    assert_eq!(envelope.payload.as_ref().map(|p| p.len()), Some(0));
    let original: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(reencoded(&envelope), original);
}

#[test]
fn delete_customer_payload_is_text_or_null() {
    for (body, payload) in [
        (
            r#"{"response_code":0,"payload":"Customer deleted successfully"}"#,
            Some("Customer deleted successfully"),
        ),
        (r#"{"response_code":0,"payload":null}"#, None),
    ] {
        let envelope: types::CustomerDeleteEnvelope = serde_json::from_str(body).unwrap();
        assert_eq!(envelope.payload.as_deref(), payload);
    }
}

#[test]
fn update_customer_placeholder_request_is_not_a_wire_body() {
    // The page renders each JsonNullable field as `{}` (contradiction 2). On the wire each field
    // is a value of its type or null, so the rendered example is refused rather than sent.
    let text = fixture("ar/update-customer.request.placeholders.json");
    let err = serde_json::from_str::<enkash::patch::CustomerUpdate>(&text).unwrap_err();
    assert!(err.to_string().contains("invalid type: map"), "{err}");

    // The same keys with real values and nulls decode and encode back unchanged.
    let body = serde_json::json!({
        "accountNumber": null,
        "branchCodes": ["BLR-01"],
        "customerKeyContacts": [
            {"deleted": false, "legalName": "Sharma Traders", "mobile": "9876543210", "name": "Priya Sharma"}
        ],
        "customerReminders": null,
        "state": "Karnataka"
    });
    let update: enkash::patch::CustomerUpdate = serde_json::from_value(body.clone()).unwrap();
    assert!(update.account_number.is_null());
    assert!(update.address.is_unchanged());
    assert_eq!(reencoded(&update), body);
}
