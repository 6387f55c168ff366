//! The layer's operation table (`enkash::operation`) classifies every operation of the spec, and
//! nothing else.

mod common;

use enkash::operation::{CallKind, call_kinds};

fn snake_case(operation_id: &str) -> String {
    let mut out = String::new();
    for (i, c) in operation_id.chars().enumerate() {
        if c.is_ascii_uppercase() {
            if i > 0 {
                out.push('_');
            }
            out.push(c.to_ascii_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

#[test]
fn every_spec_operation_is_classified_once() {
    let spec = common::spec();
    let mut in_spec: Vec<String> = spec["paths"]
        .as_mapping()
        .unwrap()
        .values()
        .flat_map(|item| item.as_mapping().unwrap().values())
        .filter_map(|op| op.get("operationId").and_then(|id| id.as_str()))
        .map(snake_case)
        .collect();
    in_spec.sort();
    let mut classified: Vec<String> = call_kinds().map(|(id, _)| id.to_owned()).collect();
    classified.sort();
    assert_eq!(classified, in_spec);
}

#[test]
fn the_calls_that_move_money_are_the_documented_ones() {
    let money: Vec<&str> = call_kinds()
        .filter(|(_, kind)| *kind == CallKind::MoneyMoving)
        .map(|(id, _)| id)
        .collect();
    assert_eq!(
        money,
        [
            "create_bill",
            "create_bill_without_fetch_v0",
            "create_bill_without_fetch",
            "confirm_debit",
            // Vendor Payment
            "pay_invoice",
            "request_financing",
        ]
    );
}
