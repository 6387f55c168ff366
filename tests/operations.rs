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

#[test]
fn the_generated_table_says_exactly_what_the_spec_declares() {
    use enkash::operation::{Auth, LookupKey};
    let spec = common::spec();
    let mut declared = Vec::new();
    for (path, item) in spec["paths"].as_mapping().unwrap() {
        for (method, op) in item.as_mapping().unwrap() {
            let Some(id) = op.get("operationId").and_then(|id| id.as_str()) else {
                continue;
            };
            let kind = match op["x-call-kind"].as_str().unwrap() {
                "lookup" => CallKind::Lookup,
                "write" => CallKind::Write,
                "money-moving" => CallKind::MoneyMoving,
                other => panic!("{id}: x-call-kind {other}"),
            };
            let settle = &op["x-settle-by"];
            let field = settle["field"].as_str().map(str::to_owned);
            let lookup = match settle["lookup"].as_str() {
                None => "none".to_owned(),
                Some(lookup) => format!("{lookup} {}", field.unwrap()),
            };
            let basic = op
                .get("security")
                .is_some_and(|security| format!("{security:?}").contains("basicAuth"));
            declared.push((
                snake_case(id),
                method.as_str().unwrap().to_uppercase(),
                path.as_str().unwrap().to_owned(),
                kind,
                lookup,
                basic,
            ));
        }
    }
    let generated: Vec<_> = enkash::operations::ALL
        .iter()
        .map(|op| {
            let lookup = match op.lookup_key {
                LookupKey::None => "none".to_owned(),
                LookupKey::ReferenceId(field) => format!("reference-id {field}"),
                LookupKey::BillIds(field) => format!("bill-ids {field}"),
                LookupKey::Echoed(field) => format!("webhook-echo {field}"),
                other => panic!("{other:?}"),
            };
            (
                op.id.to_owned(),
                op.method.to_owned(),
                op.path.to_owned(),
                op.kind,
                lookup,
                op.auth == Auth::Basic,
            )
        })
        .collect();
    declared.sort_by(|a, b| a.0.cmp(&b.0));
    let mut generated = generated;
    generated.sort_by(|a, b| a.0.cmp(&b.0));
    assert_eq!(generated, declared);
}
