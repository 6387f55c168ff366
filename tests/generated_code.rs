//! The generated client is reviewed code: this test fails whenever generating from
//! `spec/enkash.yaml` gives anything but the accepted `generated/enkash.snap`, until the change is
//! reviewed and accepted (`cargo insta review`, or `cargo insta test --features codegen --accept`).
//!
//! Builds without `codegen` compile the snapshot itself, so passing here also proves that what
//! consumers compile is exactly what the spec generates.
#![cfg(feature = "codegen")]

#[test]
fn generated_client_matches_the_reviewed_snapshot() {
    let generated = include_str!(concat!(env!("OUT_DIR"), "/enkash_generated.rs"));
    insta::with_settings!({
        snapshot_path => "../generated",
        prepend_module_to_snapshot => false,
        omit_expression => true,
    }, {
        insta::assert_snapshot!("enkash", generated);
    });
}
