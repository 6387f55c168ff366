//! Response decoding: every envelope type, the error envelope, and the layer's own reading of an
//! answer (envelope or not, any status) with its bounded, masked excerpt.
#![no_main]

use enkash::types;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = serde_json::from_slice::<types::UtilityPaymentV2Envelope>(data);
    let _ = serde_json::from_slice::<types::UtilityPaymentEnvelope>(data);
    let _ = serde_json::from_slice::<types::BillFetchEnvelope>(data);
    let _ = serde_json::from_slice::<types::UtilityBillSearchEnvelope>(data);
    let _ = serde_json::from_slice::<types::ArEnvelope>(data);
    let _ = serde_json::from_slice::<types::ErrorEnvelope>(data);
    let _ = serde_json::from_slice::<enkash::auth::TokenResponse>(data);
    for status in [200, 400, 503] {
        let read = enkash::fuzzing::read_answer(status, data);
        assert!(
            read.chars().count() <= 2_000,
            "an error message must stay bounded"
        );
    }
});
