//! Every request-side rule of the Vendor Payment spec (one shared component each) is a validating
//! newtype: a bad value fails at construction, before any request is sent, with an error that names
//! the rule; good values pass. Inbound bodies carry none of these rules (see vendor_webhooks.rs).

use enkash::types;

type Check = fn(&str) -> Result<(), String>;

macro_rules! check {
    ($ty:ty) => {
        (|value: &str| {
            <$ty>::try_from(value)
                .map(|_| ())
                .map_err(|err| err.to_string())
        }) as Check
    };
}

struct Rule {
    component: &'static str,
    check: Check,
    good: &'static [&'static str],
    /// A bad value and a fragment its error must contain.
    bad: &'static [(&'static str, &'static str)],
}

const ORG: &str = "ORGUJZDE8GXD6NCF10EPF91DHODZDOC9IS0";
const INV: &str = "INVEH60KVJ50CE9UVW53EFR4EDT2SYWB3WK";
const PMT: &str = "PMTLQSAJ08XUI6D39ZZZZG4ZDMEN2KHVDGA";

fn rules() -> Vec<Rule> {
    vec![
        Rule {
            component: "EntityObjectId",
            check: check!(types::EntityObjectId),
            good: &[ORG, "ORGabcdefghijklmnopqrstuvwxyz012345"],
            bad: &[
                ("ORG123", "^ORG[A-Za-z0-9]{32}$"),
                // The docs' `[ORG]{3}` character class would accept this; the literal prefix does not.
                (
                    "GGGUJZDE8GXD6NCF10EPF91DHODZDOC9IS0",
                    "^ORG[A-Za-z0-9]{32}$",
                ),
                (
                    "ORGUJZDE8GXD6NCF10EPF91DHODZDOC9IS0X",
                    "^ORG[A-Za-z0-9]{32}$",
                ),
                ("string", "^ORG[A-Za-z0-9]{32}$"),
            ],
        },
        Rule {
            component: "InvoiceObjectId",
            check: check!(types::InvoiceObjectId),
            good: &[INV],
            bad: &[
                ("INV-2025-0412", "^INV[A-Za-z0-9]{32}$"),
                (
                    "VINEH60KVJ50CE9UVW53EFR4EDT2SYWB3WK",
                    "^INV[A-Za-z0-9]{32}$",
                ),
                ("string", "^INV[A-Za-z0-9]{32}$"),
            ],
        },
        Rule {
            component: "PaymentObjectId",
            check: check!(types::PaymentObjectId),
            good: &[PMT],
            bad: &[
                ("PMT 1", "^PMT[A-Za-z0-9]{32}$"),
                (
                    "TMPLQSAJ08XUI6D39ZZZZG4ZDMEN2KHVDGA",
                    "^PMT[A-Za-z0-9]{32}$",
                ),
                ("string", "^PMT[A-Za-z0-9]{32}$"),
            ],
        },
        Rule {
            component: "PlainText50",
            check: check!(types::PlainText50),
            good: &["SS/2025-26/0412", "HDFCN52025061212345678", "x"],
            bad: &[
                ("", r#"^([^\\"]){1,50}$"#),
                ("say \"hi\"", r#"^([^\\"]){1,50}$"#),
                (r"C:\invoices", r#"^([^\\"]){1,50}$"#),
                (
                    "123456789012345678901234567890123456789012345678901",
                    r#"^([^\\"]){1,50}$"#,
                ),
            ],
        },
        Rule {
            component: "PlainText100",
            check: check!(types::PlainText100),
            good: &["acmeindustries@b2b", "Goods received in full"],
            bad: &[
                ("", r#"^([^\\"]){1,100}$"#),
                ("\"quoted\"", r#"^([^\\"]){1,100}$"#),
                (
                    "12345678901234567890123456789012345678901234567890\
                     123456789012345678901234567890123456789012345678901",
                    r#"^([^\\"]){1,100}$"#,
                ),
            ],
        },
        Rule {
            component: "PlainText256",
            check: check!(types::PlainText256),
            good: &["Acme Industries Private Limited", "Sharma & Sons (HUF)"],
            bad: &[
                ("", "shorter than 1 characters"),
                ("Acme \"Industries\"", r#"^([^\\"])*$"#),
                (r"Acme\Industries", r#"^([^\\"])*$"#),
            ],
        },
        Rule {
            component: "MccCode",
            check: check!(types::MccCode),
            good: &["5047", "7399"],
            bad: &[
                ("504", "shorter than 4 characters"),
                ("50470", "longer than 4 characters"),
            ],
        },
    ]
}

#[test]
fn each_request_side_rule_rejects_bad_values_naming_the_rule_and_accepts_good_ones() {
    let mut failures = Vec::new();
    for rule in rules() {
        for good in rule.good {
            if let Err(err) = (rule.check)(good) {
                failures.push(format!("{}: {good:?} rejected: {err}", rule.component));
            }
        }
        for (bad, fragment) in rule.bad {
            match (rule.check)(bad) {
                Ok(()) => failures.push(format!("{}: {bad:?} accepted", rule.component)),
                Err(err) if !err.contains(fragment) => failures.push(format!(
                    "{}: {bad:?}: error {err:?} does not mention {fragment:?}",
                    rule.component
                )),
                Err(_) => {}
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn every_constrained_component_of_the_spec_is_covered() {
    let text =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/spec/enkash.yaml")).unwrap();
    let spec: serde_yaml::Value = serde_yaml::from_str(&text).unwrap();
    let schemas = spec["components"]["schemas"].as_mapping().unwrap();
    // Every component between the Vendor Payment markers that carries a rule has a row above.
    let start = text
        .find("    # ---- Vendor Payment ----")
        .expect("Vendor Payment schemas block");
    let block = &text[start..];
    let covered: Vec<&str> = rules().iter().map(|rule| rule.component).collect();
    for (name, schema) in schemas {
        let name = name.as_str().unwrap();
        let constrained = ["pattern", "minLength", "maxLength"]
            .iter()
            .any(|key| schema.get(*key).is_some());
        if constrained && block.contains(&format!("\n    {name}:\n")) {
            assert!(
                covered.contains(&name),
                "{name} has a rule but no row in rules()"
            );
        }
    }
}

#[test]
fn request_bodies_refuse_the_docs_placeholder_ids_before_sending() {
    // The docs' own examples use "string" for every id; a request carrying one fails to build.
    let placeholder = serde_json::json!({
        "device": {"tag": {"name": "GEOCODE", "value": "string"}},
        "b2bIds": {"buyerB2BId": "string", "supplierB2BId": "string"},
        "payment": {
            "objectId": "string", "ts": "string", "type": "ONPLATFORM", "mode": "INTERNET BANKING",
            "utr": "string", "currency": "INR",
            "paymentAmount": {"netPaidAmount": 0, "netAdjustmentAmount": 0, "totalAmount": 0, "currency": "INR"},
            "invoicesPayInfos": []
        }
    });
    let err = serde_json::from_value::<types::PayInvoiceRequest>(placeholder.clone())
        .unwrap_err()
        .to_string();
    assert!(err.contains("^PMT[A-Za-z0-9]{32}$"), "{err}");

    let mut fixed = placeholder;
    fixed["payment"]["objectId"] = PMT.into();
    let request: types::PayInvoiceRequest = serde_json::from_value(fixed).unwrap();
    assert_eq!(request.payment.object_id.as_str(), PMT);

    let built = types::InvoiceConfirmation::builder()
        .object_id("INV-1")
        .supplier_invoice_number("SS/2025-26/0412")
        .object_version(types::ObjectVersion::builder())
        .buyer_response(types::InvoiceBuyerResponse::Accept)
        .buyer_remarks("ok")
        .status_transition(types::StatusTransition::builder());
    let err = types::InvoiceConfirmation::try_from(built)
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("object_id") && err.contains("^INV[A-Za-z0-9]{32}$"),
        "{err}"
    );
}

/// The request blocks that a webhook echoes require every member of the docs' request table; their
/// echoes (`...Echo`) require only the id and read `null` as absent.
#[test]
fn request_blocks_require_their_table_and_echoes_stay_tolerant() {
    let err = types::PoConfirmation::try_from(types::PoConfirmation::builder().object_id("PO1"))
        .unwrap_err();
    assert!(err.to_string().contains("buyer_po_number"), "{err}");
    let err = types::PoStatus::try_from(types::PoStatus::builder().object_id("PO1")).unwrap_err();
    assert!(err.to_string().contains("buyer_action"), "{err}");
    let err = types::CdNote::try_from(types::CdNote::builder().object_id("CDN1")).unwrap_err();
    assert!(
        err.to_string().starts_with("no value supplied for"),
        "{err}"
    );

    let echo: types::PoConfirmationEcho = serde_json::from_value(serde_json::json!({
        "objectId": "PO1", "buyerPONumber": null, "objectVersion": null
    }))
    .unwrap();
    assert_eq!(echo.object_id, "PO1");
    assert_eq!(echo.buyer_po_number, None);
    let echo: types::CdNoteEcho =
        serde_json::from_value(serde_json::json!({"objectId": "CDN1", "itemLists": null})).unwrap();
    assert!(echo.item_lists.is_empty());
}
