//! With default features the crate changes nothing in a consumer's serde: serde_json's
//! `arbitrary_precision` stays off, so the consumer's own internally tagged enums and flattened
//! structs holding floats still parse (serde-rs/json #505, #721, #1108), while amounts keep their
//! written scale.
//!
//! The opt-in `exact-scale` feature turns `arbitrary_precision` on for the whole build, so this
//! file runs without it (`.ci/run`: the build without `codegen`, with default features).
#![cfg(not(feature = "exact-scale"))]

use enkash::types;
use serde::Deserialize;

#[derive(Deserialize, Debug, PartialEq)]
#[serde(tag = "kind")]
enum Reading {
    Temperature { celsius: f64 },
}

#[derive(Deserialize, Debug, PartialEq)]
struct Sample {
    #[serde(flatten)]
    position: Position,
    label: String,
}

#[derive(Deserialize, Debug, PartialEq)]
struct Position {
    latitude: f64,
}

#[test]
fn a_consumers_tagged_enum_and_flattened_struct_with_floats_still_parse() {
    let reading: Reading = serde_json::from_str(r#"{"kind":"Temperature","celsius":21.5}"#)
        .expect("an internally tagged enum holding an f64");
    assert_eq!(reading, Reading::Temperature { celsius: 21.5 });

    let sample: Sample = serde_json::from_str(r#"{"latitude":19.07,"label":"Mumbai"}"#)
        .expect("a flattened struct holding an f64");
    assert_eq!(sample.position.latitude, 19.07);
}

#[test]
fn amounts_keep_their_written_scale_with_default_features() {
    let bill: types::UtilityPaymentV2Response =
        serde_json::from_str(r#"{"utilityEnkashId":"UTIL-1","amount":2400.00}"#).unwrap();
    assert_eq!(
        bill.amount.map(|a| a.to_string()).as_deref(),
        Some("2400.00")
    );

    let request: types::CreateBillRequest = serde_json::from_str(
        r#"{"referenceId":"R-1","companyBillerId":"CB-1","billNetAmount":100.10,"billAmount":100.10}"#,
    )
    .unwrap();
    let sent = serde_json::to_string(&request).unwrap();
    assert!(sent.contains(r#""billNetAmount":100.10"#), "{sent}");
}
