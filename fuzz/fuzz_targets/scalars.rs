//! The hand-written scalar types: exact decimals, tolerant date-times, open enums, account numbers,
//! from text and from JSON.
#![no_main]

use std::str::FromStr;

use enkash::enums::{BillpayStatus, Circle, PaymentStatus};
use enkash::secret::AccountNumber;
use enkash::{Amount, Timestamp};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        if let Ok(amount) = Amount::from_str(text) {
            // What is read back is what was read.
            assert_eq!(Amount::from_str(&amount.to_string()).ok(), Some(amount));
        }
        if let Ok(at) = Timestamp::from_str(text) {
            assert_eq!(at.to_string(), text);
            let _ = at.to_utc_assuming(Timestamp::IST);
        }
        assert_eq!(PaymentStatus::from(text).as_str(), text);
        assert_eq!(Circle::from(text).as_str(), text);
        if let Ok(account) = AccountNumber::from_str(text) {
            assert!(!format!("{account:?}").contains(text) || text.len() <= 4);
        }
    }
    let _ = serde_json::from_slice::<Amount>(data);
    let _ = serde_json::from_slice::<Timestamp>(data);
    let _ = serde_json::from_slice::<BillpayStatus>(data);
});
