//! No secret or personal value in any output: account numbers in every request and response type
//! that carries one, asserted by exact string.

use enkash::patch::CustomerUpdate;
use enkash::types;

#[test]
fn a_customer_update_shows_only_the_last_four_characters_of_its_account_number() {
    let update = CustomerUpdate::new()
        .account_number("50100234567890")
        .clear_assigned_agent();
    assert_eq!(
        update.to_string(),
        r#"{"accountNumber":"**********7890","assignedAgent":null}"#
    );
    assert_eq!(
        format!("{update:?}"),
        r#"CustomerUpdate { account_number: Set(UncheckedAccountNumber("**********7890")), address: Unchanged, assigned_agent: Null, branch_codes: Unchanged, contact_number: Unchanged, customer_id: Unchanged, customer_key_contacts: Unchanged, customer_reminders: Unchanged, ifsc: Unchanged, legal_name: Unchanged, pan_or_gstin: Unchanged, pin_code: Unchanged, state: Unchanged, unique_ref_no: Unchanged }"#
    );
    assert_eq!(
        serde_json::to_string(&update).unwrap(),
        r#"{"accountNumber":"50100234567890","assignedAgent":null}"#
    );
}

#[test]
fn a_customer_search_shows_only_the_last_four_characters_of_its_account_number() {
    let search: types::CustomerSearchRequest =
        serde_json::from_str(r#"{"accountNumber":"50100234567890","assignedAgent":"A-7"}"#)
            .unwrap();
    assert_eq!(
        format!("{search:?}"),
        r#"CustomerSearchRequest { account_number: Some(UncheckedAccountNumber("**********7890")), assigned_agent: Some("A-7") }"#
    );
}

#[test]
fn a_customer_creation_shows_only_the_last_four_characters_of_its_account_number() {
    let create: types::CustomerCreateRequest =
        serde_json::from_str(r#"{"accountNumber":"50100234567890","customerKeyContacts":[]}"#)
            .unwrap();
    assert_eq!(
        format!("{create:?}"),
        r#"CustomerCreateRequest { account_number: Some(AccountNumber("**********7890")), address: None, company_id: None, contact_number: None, customer_company_id: None, customer_key_contacts: [], customer_reminders: [], external_source: None, ifsc: None, legal_name: None, pan_or_gstin: None, pin_code: None, state: None, unique_ref_no: None }"#
    );
}

#[test]
fn an_accounts_receivable_payload_kept_as_json_masks_its_account_numbers() {
    let envelope: types::ArEnvelope = serde_json::from_str(
        r#"{"response_code":0,"payload":{"customerId":"KCX7M2Q9A4B8C1D3","accountNumber":"50100234567890","contacts":[{"mobile":"9876543210"}]}}"#,
    )
    .unwrap();
    assert_eq!(
        format!("{envelope:?}"),
        r#"ArEnvelope { error_response: None, payload: Some(JsonPayload({"accountNumber":"**********7890","contacts":[{"mobile":"******3210"}],"customerId":"KCX7M2Q9A4B8C1D3"})), response_code: 0, response_message: None }"#
    );
    let payload = envelope.payload.unwrap();
    assert_eq!(
        payload.to_string(),
        r#"{"accountNumber":"**********7890","contacts":[{"mobile":"******3210"}],"customerId":"KCX7M2Q9A4B8C1D3"}"#
    );
    // Read as the JSON it is.
    assert_eq!(payload["accountNumber"], "50100234567890");
}
