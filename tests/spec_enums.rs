//! Every server-sent enumeration in the spec (an open list, `x-extensible-enum`) is an open Rust enum
//! listing exactly the spec's values, in the spec's order; request-only enumerations are closed
//! (`enum`), marked `x-request-only`.

mod common;

use enkash::enums;

/// Rust's open enum for each server-sent enumeration component of the spec.
const OPEN_ENUMS: &[(&str, &[&str])] = &[
    ("Circle", enums::Circle::KNOWN_VALUES),
    ("PaymentStatus", enums::PaymentStatus::KNOWN_VALUES),
    ("BillpayStatus", enums::BillpayStatus::KNOWN_VALUES),
    ("ApprovalStatus", enums::ApprovalStatus::KNOWN_VALUES),
    ("PaymentMode", enums::PaymentMode::KNOWN_VALUES),
    ("BillCopyStatus", enums::BillCopyStatus::KNOWN_VALUES),
    ("ErrorType", enums::ErrorType::KNOWN_VALUES),
    ("AttachmentSource", enums::AttachmentSource::KNOWN_VALUES),
    // Vendor Payment
    ("CheckDocName", enums::CheckDocName::KNOWN_VALUES),
    ("PaymentPlatform", enums::PaymentPlatform::KNOWN_VALUES),
    (
        "InvoicePaymentMode",
        enums::InvoicePaymentMode::KNOWN_VALUES,
    ),
    ("PaymentCurrency", enums::PaymentCurrency::KNOWN_VALUES),
    (
        "SupplierPaymentResponse",
        enums::SupplierPaymentResponse::KNOWN_VALUES,
    ),
];

#[test]
fn each_open_enum_lists_exactly_the_values_of_its_spec_schema() {
    let spec = common::spec();
    let mut seen = Vec::new();
    for (name, schema) in common::component_schemas(&spec) {
        let request_only = schema.get("x-request-only").and_then(|v| v.as_bool()) == Some(true);
        assert_eq!(
            schema.get("enum").is_some(),
            request_only,
            "{name}: a closed `enum` is request-only"
        );
        let Some(values) = schema
            .get("x-extensible-enum")
            .and_then(|v| v.as_sequence())
        else {
            continue;
        };
        let spec_values: Vec<&str> = values
            .iter()
            .map(|v| v.as_str().expect("string enum"))
            .collect();
        let (_, rust_values) = OPEN_ENUMS
            .iter()
            .find(|(rust_name, _)| *rust_name == name)
            .unwrap_or_else(|| panic!("spec enum {name} has no open enum in enkash::enums"));
        assert_eq!(&spec_values, rust_values, "values of {name}");
        seen.push(name);
    }
    let listed: Vec<&str> = OPEN_ENUMS.iter().map(|(name, _)| *name).collect();
    assert_eq!(
        seen, listed,
        "every open enum corresponds to a spec enum, in spec order"
    );
}
