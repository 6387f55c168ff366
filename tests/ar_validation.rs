//! Each pattern component of the spec becomes a validating newtype: a bad value is refused with an
//! error that quotes the spec's pattern, a good value is accepted, and a bad path or query value
//! stops a call before any request is sent. Patterns live only on request fields: no schema that
//! a response can reach carries one.

mod common;

use std::collections::BTreeSet;

use enkash::types;

/// Builds the newtype of one pattern component from text; the error is its message.
type Build = fn(&str) -> Result<String, String>;

fn build<T>(value: &str) -> Result<String, String>
where
    T: for<'a> TryFrom<&'a str> + std::ops::Deref<Target = String>,
    for<'a> <T as TryFrom<&'a str>>::Error: std::fmt::Display,
{
    T::try_from(value)
        .map(|built| built.to_string())
        .map_err(|err| err.to_string())
}

/// Component, its newtype, values it refuses, values it accepts (with their source).
struct Case {
    component: &'static str,
    build: Build,
    bad: &'static [&'static str],
    good: &'static [&'static str],
}

const CASES: &[Case] = &[
    // Bill payment (already in the spec).
    Case {
        component: "ApprovalRemarks",
        build: build::<types::ApprovalRemarks>,
        bad: &["", "approved <by> admin"],
        good: &["Approved for May cycle"],
    },
    Case {
        component: "BankCardId",
        build: build::<types::BankCardId>,
        bad: &["BKC123", "bkcjc126gdk5"],
        good: &["BKCJC126GDK5"],
    },
    // Accounts Receivable: P-KC (customer id).
    Case {
        component: "CustomerIdentifier",
        build: build::<types::CustomerIdentifier>,
        bad: &[
            "bad",
            "KC123",
            "kcx7m2q9a4b8c1d3",
            "KCX7M2Q9A4B8C1D34",
            "string",
        ],
        good: &["KCX7M2Q9A4B8C1D3", "KC00000000000000"],
    },
    // P-CEK (company, parent company, seller id).
    Case {
        component: "CompanyIdentifier",
        build: build::<types::CompanyIdentifier>,
        bad: &["bad", "CEK123", "CEKFOWV7UQ1", "string"],
        good: &["CEKFOWV7UQ"],
    },
    // P-ACCT (bank account number; empty allowed).
    Case {
        component: "BankAccountNumber",
        build: |value| {
            enkash::secret::AccountNumber::try_from(value)
                .map(|account| account.expose().to_owned())
                .map_err(|err| err.to_string())
        },
        bad: &["12345678", "5010-0234-5678", "string"],
        good: &["50100234567890", "123456789", ""],
    },
    // P-PHONE (contact number, key contact mobile; empty allowed).
    Case {
        component: "MobileNumber",
        build: build::<types::MobileNumber>,
        bad: &["98765", "+91 98765 43210", "string"],
        good: &["9876543210", "+91 9876543210", "0091-9876543210", ""],
    },
    // P-EMAIL (key contact e-mail).
    Case {
        component: "EmailAddress",
        build: build::<types::EmailAddress>,
        bad: &["not-an-email", "priya@", "string"],
        good: &[
            "priya.sharma@sharmatraders.example.com",
            "a+b@example.co.in",
        ],
    },
    // P-IFSC (empty allowed).
    Case {
        component: "IfscCode",
        build: build::<types::IfscCode>,
        bad: &["HDFC1234567", "HDF00001234", "string"],
        good: &["HDFC0001234", "hdfc0abc123", ""],
    },
    // The `yyyy-MM-dd HH:mm:ss` layout of the invoice search's date filters.
    Case {
        component: "SearchDateTime",
        build: build::<types::SearchDateTime>,
        bad: &["2025-06-01T00:00:00Z", "2025-06-01", "yyyy-MM-dd HH:mm:ss"],
        good: &["2025-06-01 00:00:00", "2025-06-30 23:59:59"],
    },
    // Vendor Payment (lengths and more cases: tests/vendor_validation.rs)
    Case {
        component: "EntityObjectId",
        build: build::<types::EntityObjectId>,
        bad: &["ORG123", "GGGUJZDE8GXD6NCF10EPF91DHODZDOC9IS0", "string"],
        good: &["ORGUJZDE8GXD6NCF10EPF91DHODZDOC9IS0"],
    },
    Case {
        component: "InvoiceObjectId",
        build: build::<types::InvoiceObjectId>,
        bad: &[
            "INV-2025-0412",
            "VINEH60KVJ50CE9UVW53EFR4EDT2SYWB3WK",
            "string",
        ],
        good: &["INVEH60KVJ50CE9UVW53EFR4EDT2SYWB3WK"],
    },
    Case {
        component: "PaymentObjectId",
        build: build::<types::PaymentObjectId>,
        bad: &["PMT 1", "TMPLQSAJ08XUI6D39ZZZZG4ZDMEN2KHVDGA", "string"],
        good: &["PMTLQSAJ08XUI6D39ZZZZG4ZDMEN2KHVDGA"],
    },
    Case {
        component: "PlainText50",
        build: build::<types::PlainText50>,
        bad: &["", "say \"hi\"", r"C:\invoices"],
        good: &["SS/2025-26/0412", "HDFCN52025061212345678"],
    },
    Case {
        component: "PlainText100",
        build: build::<types::PlainText100>,
        bad: &["", "\"quoted\""],
        good: &["acmeindustries@b2b", "Goods received in full"],
    },
    Case {
        component: "PlainText256",
        build: build::<types::PlainText256>,
        bad: &["Acme \"Industries\"", r"Acme\Industries"],
        good: &["Acme Industries Private Limited"],
    },
];

fn spec_pattern(spec: &serde_yaml::Value, component: &str) -> String {
    spec["components"]["schemas"][component]["pattern"]
        .as_str()
        .unwrap_or_else(|| panic!("{component} has no pattern in the spec"))
        .to_owned()
}

#[test]
fn each_pattern_component_refuses_bad_values_naming_its_pattern() {
    let spec = common::spec();
    let mut failures = Vec::new();
    for case in CASES {
        let pattern = spec_pattern(&spec, case.component);
        for bad in case.bad {
            match (case.build)(bad) {
                Ok(_) => failures.push(format!("{}: accepted {bad:?}", case.component)),
                Err(err) if !err.contains(&format!("doesn't match pattern \"{pattern}\"")) => {
                    failures.push(format!(
                        "{}: error for {bad:?} does not name the pattern: {err}",
                        case.component
                    ))
                }
                Err(_) => {}
            }
        }
        for good in case.good {
            match (case.build)(good) {
                Ok(built) if built == *good => {}
                Ok(built) => {
                    failures.push(format!("{}: {good:?} became {built:?}", case.component))
                }
                Err(err) => failures.push(format!("{}: refused {good:?}: {err}", case.component)),
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn the_table_covers_every_pattern_component_of_the_spec() {
    let spec = common::spec();
    let in_spec: BTreeSet<String> = common::component_schemas(&spec)
        .into_iter()
        .filter(|(_, schema)| schema.get("pattern").is_some())
        .map(|(name, _)| name)
        .collect();
    let in_table: BTreeSet<String> = CASES.iter().map(|case| case.component.to_owned()).collect();
    assert_eq!(in_table, in_spec);
}

#[test]
fn bad_values_are_refused_when_decoding_a_request_too() {
    let bad_contact = serde_json::json!({
        "customerKeyContacts": [{"deleted": false, "legalName": "A", "mobile": "98765", "name": "A"}]
    });
    let err = serde_json::from_value::<types::CustomerCreateRequest>(bad_contact)
        .unwrap_err()
        .to_string();
    assert!(err.contains("doesn't match pattern"), "{err}");

    let bad_customer =
        serde_json::json!({"baseAmount": 100, "customerId": "KC123", "dueDate": "2025-06-30"});
    let err = serde_json::from_value::<types::InvoiceCreateRequest>(bad_customer)
        .unwrap_err()
        .to_string();
    assert!(
        err.contains(r#"doesn't match pattern "^KC[A-Z0-9]{14}$""#),
        "{err}"
    );
}

#[tokio::test]
async fn a_bad_path_or_query_value_stops_the_call_before_any_request() {
    // Port 9 (discard) on loopback: nothing is sent, because the call fails while building,
    // before the token hook runs.
    let client = common::client("http://127.0.0.1:9");

    let err = client
        .activate_customer()
        .customer_id("KC123")
        .send()
        .await
        .unwrap_err();
    assert!(err.to_string().contains("customer_id"), "{err}");

    let err = client
        .delete_customer_by_customer_id()
        .customer_id("KCX7M2Q9A4B8C1D3")
        .parent_company_id("CEK123")
        .send()
        .await
        .unwrap_err();
    assert!(err.to_string().contains("parent_company_id"), "{err}");

    let err = client
        .get_invoice()
        .invoice_id("INVC5K8M2Q7R1T")
        .seller_id("string")
        .send()
        .await
        .unwrap_err();
    assert!(err.to_string().contains("seller_id"), "{err}");
}

/// Every component schema reachable from `node` through `$ref`s.
fn reachable(spec: &serde_yaml::Value, node: &serde_yaml::Value, seen: &mut BTreeSet<String>) {
    match node {
        serde_yaml::Value::Mapping(map) => {
            if let Some(target) = map.get("$ref").and_then(|r| r.as_str()) {
                if let Some(name) = target.strip_prefix("#/components/schemas/") {
                    if seen.insert(name.to_owned()) {
                        reachable(spec, &spec["components"]["schemas"][name], seen);
                    }
                } else if let Some(name) = target.strip_prefix("#/components/responses/") {
                    reachable(spec, &spec["components"]["responses"][name], seen);
                }
                return;
            }
            for (_, child) in map {
                reachable(spec, child, seen);
            }
        }
        serde_yaml::Value::Sequence(items) => {
            items.iter().for_each(|child| reachable(spec, child, seen))
        }
        _ => {}
    }
}

fn has_pattern(node: &serde_yaml::Value) -> bool {
    match node {
        serde_yaml::Value::Mapping(map) => {
            map.contains_key("pattern") || map.iter().any(|(_, child)| has_pattern(child))
        }
        serde_yaml::Value::Sequence(items) => items.iter().any(has_pattern),
        _ => false,
    }
}

#[test]
fn no_schema_a_response_can_reach_carries_a_pattern() {
    let spec = common::spec();
    let mut seen = BTreeSet::new();
    for (_, item) in spec["paths"].as_mapping().expect("paths") {
        for (_, operation) in item.as_mapping().expect("path item") {
            reachable(&spec, &operation["responses"], &mut seen);
        }
    }
    assert!(
        seen.contains("Invoice") && seen.contains("ErrorResponse"),
        "{seen:?}"
    );
    let patterned: Vec<&String> = seen
        .iter()
        .filter(|name| has_pattern(&spec["components"]["schemas"][name.as_str()]))
        .collect();
    assert!(
        patterned.is_empty(),
        "response schemas with a pattern: {patterned:?}"
    );
}
