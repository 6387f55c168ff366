//! Every example in the spec (request and response bodies, webhooks) decodes through the generated
//! type of its schema and encodes back to the same JSON. A schema with an example but no entry in
//! `DECODERS` fails the test, so a new operation cannot skip this check.

mod common;

use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

use enkash::types;

type Decoder = fn(Value) -> Result<Value, String>;

fn round_trip<T: DeserializeOwned + Serialize>(example: Value) -> Result<Value, String> {
    let decoded: T = serde_json::from_value(example).map_err(|err| err.to_string())?;
    serde_json::to_value(decoded).map_err(|err| err.to_string())
}

macro_rules! decoders {
    ($($schema:ident => $rust:ty),* $(,)?) => {
        &[$((stringify!($schema), round_trip::<$rust> as Decoder)),*]
    };
}

/// The Rust type each body schema decodes into.
const DECODERS: &[(&str, Decoder)] = decoders! {
    OAuthTokenRequest => types::OAuthTokenRequest,
    OAuthTokenResponse => enkash::auth::TokenResponse,
    BillFetchV0Request => types::BillFetchV0Request,
    BillFetchRequest => types::BillFetchRequest,
    BillFetchEnvelope => types::BillFetchEnvelope,
    CreateBillRequest => types::CreateBillRequest,
    UtilityPaymentV2Envelope => types::UtilityPaymentV2Envelope,
    AddBillV0Request => types::AddBillV0Request,
    BillAddEnvelope => types::BillAddEnvelope,
    AddBillRequest => types::AddBillRequest,
    AddBillV2Envelope => types::AddBillV2Envelope,
    UtilityPaymentApprovalRequest => types::UtilityPaymentApprovalRequest,
    ConfirmDebitEnvelope => types::ConfirmDebitEnvelope,
    UtilityPaymentEnvelope => types::UtilityPaymentEnvelope,
    UtilityBillSearchRequest => types::UtilityBillSearchRequest,
    UtilityBillSearchEnvelope => types::UtilityBillSearchEnvelope,
    ErrorEnvelope => types::ErrorEnvelope,
    ArErrorEnvelope => types::ArErrorEnvelope,
    VendorErrorEnvelope => types::VendorErrorEnvelope,
    UtilityBillWebhookRequest => types::UtilityBillWebhookRequest,
    WebhookAcknowledgement => types::WebhookAcknowledgement,
    CustomerCreateRequest => types::CustomerCreateRequest,
    CustomerSearchRequest => types::CustomerSearchRequest,
    CustomerUpdateRequest => enkash::patch::CustomerUpdate,
    InvoiceCreateRequest => types::InvoiceCreateRequest,
    InvoiceUpdateRequest => enkash::patch::InvoiceUpdate,
    InvoiceSearchRequest => types::InvoiceSearchRequest,
    InvoiceDispatchRequest => types::InvoiceDispatchRequest,
    PaymentConfirmationRequest => types::PaymentConfirmationRequest,
    ArEnvelope => types::ArEnvelope,
    BulkUploadEnvelope => types::BulkUploadEnvelope,
    CustomerDeleteEnvelope => types::CustomerDeleteEnvelope,
    InvoiceEnvelope => types::InvoiceEnvelope,
    // Vendor Payment
    InitiateEntityCheckRequest => types::InitiateEntityCheckRequest,
    RegisterEntityRequest => types::RegisterEntityRequest,
    RegisterB2BIdRequest => types::RegisterB2bIdRequest,
    ConfirmInvoiceRequest => types::ConfirmInvoiceRequest,
    ChangeInvoiceStatusRequest => types::ChangeInvoiceStatusRequest,
    PayInvoiceRequest => types::PayInvoiceRequest,
    SendPurchaseOrderRequest => types::SendPurchaseOrderRequest,
    ConfirmPurchaseOrderRequest => types::ConfirmPurchaseOrderRequest,
    ChangePurchaseOrderStatusRequest => types::ChangePurchaseOrderStatusRequest,
    SendCdNoteRequest => types::SendCdNoteRequest,
    ConfirmCdNoteRequest => types::ConfirmCdNoteRequest,
    RequestFinancingRequest => types::RequestFinancingRequest,
    VendorAckEnvelope => types::VendorAckEnvelope,
    VendorEnvelope => types::VendorEnvelope,
    InvoiceStatusChangeEnvelope => types::InvoiceStatusChangeEnvelope,
    ShareBidAckEnvelope => types::ShareBidAckEnvelope,
    CheckEntityWebhook => types::CheckEntityWebhook,
    EntityRegistrationResponseWebhook => types::EntityRegistrationResponseWebhook,
    SearchEntityResponseWebhook => types::SearchEntityResponseWebhook,
    PaymentResponseWebhook => types::PaymentResponseWebhook,
    PaymentConfirmationResponseWebhook => types::PaymentConfirmationResponseWebhook,
    CdNoteSendResponseWebhook => types::CdNoteSendResponseWebhook,
    PurchaseOrderStatusChangeResponseWebhook => types::PurchaseOrderStatusChangeResponseWebhook,
    PaymentRequestWebhook => types::PaymentRequestWebhook,
    PurchaseOrderConfirmRequestWebhook => types::PurchaseOrderConfirmRequestWebhook,
    PurchaseOrderStatusChangeRequestWebhook => types::PurchaseOrderStatusChangeRequestWebhook,
    InvoiceStatusChangeRequestWebhook => types::InvoiceStatusChangeRequestWebhook,
    ShareBidRequestWebhook => types::ShareBidRequestWebhook,
};

/// Schemas whose Rust type accepts several spellings and writes one, so only decoding is checked.
const DECODE_ONLY: &[&str] = &["OAuthTokenResponse"];

/// One example found in the spec: where it is, its schema, its value.
struct Example {
    at: String,
    schema: String,
    value: Value,
}

/// Collects the examples of every media type under `node` (paths, x-webhooks, components.responses).
fn collect(spec: &serde_yaml::Value, node: &serde_yaml::Value, at: &str, out: &mut Vec<Example>) {
    let node = common::resolve(spec, node);
    let Some(map) = node.as_mapping() else { return };
    if let (Some(schema), true) = (
        map.get("schema"),
        map.contains_key("example") || map.contains_key("examples"),
    ) {
        // A 200 answer is its success envelope or a failure (`anyOf`): the example is a success.
        let schema = schema
            .get("anyOf")
            .and_then(|choices| choices.get(0))
            .unwrap_or(schema);
        let schema = schema["$ref"]
            .as_str()
            .expect("body schemas are $refs, or a choice of them")
            .rsplit('/')
            .next()
            .unwrap();
        let mut values = Vec::new();
        if let Some(example) = map.get("example") {
            values.push(("example".to_owned(), example.clone()));
        }
        for (name, example) in map
            .get("examples")
            .and_then(|e| e.as_mapping())
            .into_iter()
            .flatten()
        {
            let example = common::resolve(spec, example);
            values.push((
                format!("examples.{}", name.as_str().unwrap()),
                example["value"].clone(),
            ));
        }
        for (name, value) in values {
            out.push(Example {
                at: format!("{at}.{name}"),
                schema: schema.to_owned(),
                value: serde_json::to_value(value).expect("YAML example is JSON"),
            });
        }
        return;
    }
    for (key, child) in map {
        let key = key.as_str().unwrap_or("?");
        if key == "schema" || key == "parameters" {
            continue;
        }
        collect(spec, child, &format!("{at}.{key}"), out);
    }
}

#[test]
fn every_spec_example_round_trips_through_its_generated_type() {
    let spec = common::spec();
    let mut examples = Vec::new();
    for section in ["paths", "x-webhooks"] {
        collect(&spec, &spec[section], section, &mut examples);
    }
    collect(
        &spec,
        &spec["components"]["responses"],
        "components.responses",
        &mut examples,
    );
    assert!(
        examples.len() >= 30,
        "found only {} examples",
        examples.len()
    );

    let mut failures = Vec::new();
    for example in &examples {
        let Some((_, decode)) = DECODERS.iter().find(|(name, _)| *name == example.schema) else {
            failures.push(format!(
                "{}: no decoder for schema {}",
                example.at, example.schema
            ));
            continue;
        };
        match decode(example.value.clone()) {
            Err(err) => failures.push(format!(
                "{}: {} does not decode: {err}",
                example.at, example.schema
            )),
            Ok(_) if DECODE_ONLY.contains(&example.schema.as_str()) => {}
            Ok(encoded)
                if common::canonical(encoded.clone())
                    != common::canonical(example.value.clone()) =>
            {
                failures.push(format!(
                    "{}: {} does not round-trip:\n  sent    {}\n  encoded {encoded}",
                    example.at, example.schema, example.value
                ))
            }
            Ok(_) => {}
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
