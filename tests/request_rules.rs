//! Bounds the generated types cannot express (minimums, maximums, list lengths) are checked
//! before anything is sent, with an error naming the field and the rule; and the client's table
//! of them holds every bound the spec puts on a request.

mod common;

use std::collections::BTreeSet;

use common::server::{Action, Server};
use enkash::validate::{BOUNDS, Measure, Place};
use enkash::{Client, Error, types};

fn snake_case(operation_id: &str) -> String {
    operation_id.chars().fold(String::new(), |mut out, c| {
        if c.is_ascii_uppercase() {
            out.push('_');
            out.push(c.to_ascii_lowercase());
        } else {
            out.push(c);
        }
        out
    })
}

fn limits(schema: &serde_yaml::Value) -> Option<(Measure, Option<String>, Option<String>)> {
    let text = |key: &str| {
        schema
            .get(key)
            .map(|v| serde_yaml::to_string(v).unwrap().trim().to_owned())
    };
    match (
        text("minimum"),
        text("maximum"),
        text("minItems"),
        text("maxItems"),
    ) {
        (None, None, None, None) => None,
        (min, max, None, None) => Some((Measure::Value, min, max)),
        (None, None, min, max) => Some((Measure::Items, min, max)),
        _ => panic!("a schema with both number and list bounds: {schema:?}"),
    }
}

#[test]
fn the_table_holds_every_bound_of_the_specs_requests() {
    let spec = common::spec();
    let mut in_spec = BTreeSet::new();
    for (_, item) in spec["paths"].as_mapping().unwrap() {
        for (_, op) in item.as_mapping().unwrap() {
            let operation = snake_case(op["operationId"].as_str().unwrap());
            for parameter in op
                .get("parameters")
                .and_then(|p| p.as_sequence())
                .into_iter()
                .flatten()
            {
                let parameter = common::resolve(&spec, parameter);
                if let Some((measure, min, max)) = limits(&parameter["schema"]) {
                    let place = format!("query {}", parameter["name"].as_str().unwrap());
                    in_spec.insert((
                        operation.clone(),
                        place,
                        measure == Measure::Items,
                        min,
                        max,
                    ));
                }
            }
            let body = &op["requestBody"]["content"]["application/json"]["schema"];
            let body = common::resolve(&spec, body);
            for (name, property) in body
                .get("properties")
                .and_then(|p| p.as_mapping())
                .into_iter()
                .flatten()
            {
                let property = common::resolve(&spec, property);
                if let Some((measure, min, max)) = limits(property) {
                    let place = format!("body /{}", name.as_str().unwrap());
                    in_spec.insert((
                        operation.clone(),
                        place,
                        measure == Measure::Items,
                        min,
                        max,
                    ));
                }
            }
        }
    }
    let table: BTreeSet<_> = BOUNDS
        .iter()
        .map(|b| {
            let place = match b.place {
                Place::Body(pointer) => format!("body {pointer}"),
                Place::Query(name) => format!("query {name}"),
            };
            (
                b.operation.to_owned(),
                place,
                b.measure == Measure::Items,
                b.min.map(str::to_owned),
                b.max.map(str::to_owned),
            )
        })
        .collect();
    assert_eq!(table, in_spec);
}

async fn client(server: &Server) -> Client {
    common::client(&server.base_url)
}

fn invalid(err: Error) -> (String, String) {
    match err {
        Error::InvalidRequest(invalid) => (invalid.field.unwrap_or_default(), invalid.rule),
        other => panic!("expected a refusal before sending, got {other:?}"),
    }
}

#[tokio::test]
async fn out_of_bounds_values_are_refused_before_sending() {
    let server = Server::start(3600, |_, _| Action::ok(serde_json::json!(null))).await;
    let client = client(&server).await;

    let create = |net: &str| {
        serde_json::from_str::<types::CreateBillRequest>(&format!(
            r#"{{"referenceId":"REF-B","companyBillerId":"CB-1","billNetAmount":{net},"billAmount":100}}"#
        ))
        .unwrap()
    };
    let err = client
        .create_bill()
        .body(create("0.99"))
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        invalid(err),
        ("billNetAmount".into(), "value must be at least 1".into())
    );

    let approve = |count: usize| {
        types::UtilityPaymentApprovalRequest::builder()
            .utility_payment_ids((0..count).map(|n| format!("UTIL-{n}")).collect::<Vec<_>>())
    };
    for count in [0, 1001] {
        let err = client
            .confirm_debit()
            .body(approve(count))
            .send()
            .await
            .unwrap_err();
        assert_eq!(
            invalid(err),
            (
                "utilityPaymentIds".into(),
                "number of items must be from 1 to 1000".into()
            ),
            "{count} ids"
        );
    }

    let search = |limit: u32, offset: i32| {
        types::UtilityBillSearchRequest::builder()
            .limit(std::num::NonZeroU32::new(limit))
            .offset(Some(offset))
    };
    let err = client
        .search_utility_bills()
        .body(search(5001, 0))
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        invalid(err),
        ("limit".into(), "value must be from 1 to 5000".into())
    );
    let err = client
        .search_utility_bills()
        .body(search(10, -1))
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        invalid(err),
        ("offset".into(), "value must be at least 0".into())
    );

    let err = client
        .search_customer()
        .limit(51)
        .body(serde_json::from_str::<types::CustomerSearchRequest>("{}").unwrap())
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        invalid(err),
        ("limit".into(), "value must be from 1 to 50".into())
    );

    assert!(
        server.seen().is_empty(),
        "nothing was sent: {:?}",
        server.seen()
    );
}

#[tokio::test]
async fn values_on_the_bounds_are_sent() {
    let server = Server::start(3600, |_, _| Action::ok(serde_json::json!([]))).await;
    let client = client(&server).await;
    let search = types::UtilityBillSearchRequest::builder()
        .limit(std::num::NonZeroU32::new(5000))
        .offset(Some(0));
    client
        .search_utility_bills()
        .body(search)
        .send()
        .await
        .unwrap();
    assert_eq!(server.count("/api/v1/utilityPayment/search"), 1);
}

#[tokio::test]
async fn a_value_breaking_a_pattern_is_refused_before_sending_naming_field_and_rule() {
    let server = Server::start(3600, |_, _| Action::ok(serde_json::json!(null))).await;
    let client = client(&server).await;
    // The spec's own example with one value broken.
    let spec = common::spec();
    let operation = common::find_operation(
        &spec,
        "post",
        "/api/v0/business-onboarding/reg-check-entity",
    )
    .expect("the operation is in the spec");
    let example: types::InitiateEntityCheckRequest =
        serde_json::from_value(operation.request_example().unwrap()).unwrap();
    let err = client
        .initiate_entity_check()
        .body(example)
        .body_map(|body| body.object_id("ORG-not-an-id"))
        .send()
        .await
        .unwrap_err();
    let (field, rule) = invalid(err);
    assert_eq!(field, "object_id");
    assert_eq!(rule, r#"doesn't match pattern "^ORG[A-Za-z0-9]{32}$""#);
    assert!(server.seen().is_empty());
}
