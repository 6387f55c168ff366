//! Token answers: any body, any `expires_in` (0, negative, `i64::MAX`, ...), is read and cached
//! without a panic, and no token is kept longer than the documented maximum.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Some(renewal) = enkash::fuzzing::token_renewal(data) {
        assert!(renewal <= enkash::auth::MAX_TOKEN_LIFETIME, "{renewal:?}");
    }
    // The same answer with its lifetime made extreme, whatever the input was.
    for expires_in in [i64::MIN, -1, 0, 1, 86_399, 1_000_000_000_000, i64::MAX] {
        let body = format!(
            r#"{{"access_token":"tok-{}","expires_in":{expires_in}}}"#,
            data.len()
        );
        let renewal = enkash::fuzzing::token_renewal(body.as_bytes());
        assert!(renewal.is_some_and(|r| r <= enkash::auth::MAX_TOKEN_LIFETIME));
    }
});
