//! The sandbox's billers and the bills they "issue": the same consumer number always gets the
//! same bill (amounts and numbers from a hash of the consumer number, dates from the current
//! month).

use chrono::{Datelike, Days, NaiveDate};
use rust_decimal::Decimal;

use enkash::Amount;
use enkash::enums::Circle;
use enkash::types;

/// A biller of the sandbox's catalogue.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Biller {
    /// The `billerId` to send.
    pub id: i32,
    /// Biller name (matched by the search's `billerName`).
    pub name: &'static str,
    /// Biller category (matched by the search's `billerType`).
    pub biller_type: &'static str,
    /// Indian state the biller serves.
    pub state: &'static str,
    /// Circles the biller serves. Empty: not circle-specific (any circle, or none, is accepted).
    /// Otherwise `circle` is required and must be one of these.
    pub circles: &'static [&'static str],
    /// An inactive biller refuses every call with HTTP 422.
    pub active: bool,
}

/// Pattern every consumer number (`billParams.cn`) must match, as the billers' `inputParams` say.
pub const CONSUMER_NUMBER_PATTERN: &str = "^[A-Z0-9]{6,16}$";

/// A consumer number ending in this suffix gets a bill whose payment the biller refuses:
/// after Confirm Debit it ends `billpayStatus: FAILED`, `paymentStatus: REFUNDED`.
pub const FAILING_CONSUMER_SUFFIX: &str = "FAIL";

const BILLERS: &[Biller] = &[
    Biller {
        id: 10,
        name: "Bharat Vidyut Vitaran Nigam",
        biller_type: "ELECTRICITY",
        state: "MAHARASHTRA",
        circles: &[],
        active: true,
    },
    Biller {
        id: 2001,
        name: "Metropolitan Power Corporation",
        biller_type: "ELECTRICITY",
        state: "MAHARASHTRA",
        circles: &["MUM", "MAH"],
        active: true,
    },
    Biller {
        id: 3001,
        name: "City Water Supply Board",
        biller_type: "WATER",
        state: "KARNATAKA",
        circles: &[],
        active: true,
    },
    Biller {
        id: 9001,
        name: "Legacy Gas Distribution",
        biller_type: "GAS",
        state: "GUJARAT",
        circles: &[],
        active: false,
    },
];

/// Every biller the sandbox knows.
///
/// | `billerId` | name | type | circle | active |
/// |---|---|---|---|---|
/// | 10 | Bharat Vidyut Vitaran Nigam | ELECTRICITY | any or none | yes |
/// | 2001 | Metropolitan Power Corporation | ELECTRICITY | `MUM` or `MAH`, required | yes |
/// | 3001 | City Water Supply Board | WATER | any or none | yes |
/// | 9001 | Legacy Gas Distribution | GAS | any or none | no (HTTP 422) |
pub fn billers() -> &'static [Biller] {
    BILLERS
}

/// The biller with this id.
pub fn biller(id: i32) -> Option<&'static Biller> {
    BILLERS.iter().find(|biller| biller.id == id)
}

/// True when `consumer_number` matches [`CONSUMER_NUMBER_PATTERN`].
pub fn is_valid_consumer_number(consumer_number: &str) -> bool {
    (6..=16).contains(&consumer_number.len())
        && consumer_number
            .bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
}

impl Biller {
    /// True when the biller serves `circle` (always, for a biller that is not circle-specific).
    pub fn serves(&self, circle: &Circle) -> bool {
        self.circles.is_empty() || self.circles.contains(&circle.as_str())
    }

    /// The biller as responses carry it.
    pub(crate) fn to_response(self) -> types::BillerResponse {
        let circle_params = self
            .circles
            .iter()
            .map(|&circle| types::CircleParam {
                key: Some(circle.to_owned()),
                value: Some(Circle::from(circle)),
                ..Default::default()
            })
            .collect();
        types::BillerResponse {
            biller_id: Some(self.id),
            name: Some(self.name.to_owned()),
            biller_type: Some(self.biller_type.to_owned()),
            partial_pay_allowed: Some(false),
            input_params: vec![types::InputParam {
                param_key: Some("cn".to_owned()),
                param_name: Some("Consumer Number".to_owned()),
                param_type: Some("ALPHANUMERIC".to_owned()),
                param_regex: Some(CONSUMER_NUMBER_PATTERN.to_owned()),
                invalid_param_error: Some("Enter a valid consumer number".to_owned()),
                mandatory: Some(true),
                param_values: Vec::new(),
                ..Default::default()
            }],
            circle_params,
            payment_amount_exactness: Some("EXACT".to_owned()),
            state: Some(self.state.to_owned()),
            circle_state_mapping: None,
            view_bill_supported: Some(true),
            ..Default::default()
        }
    }
}

/// The current bill of one consumer number, as the biller has it.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct IssuedBill {
    pub bill_id: String,
    pub validation_id: String,
    pub bill_number: String,
    pub biller_bill_number: String,
    pub consumer_name: String,
    pub units: i64,
    pub amount: Amount,
    pub early_amount: Amount,
    pub late_amount: Amount,
    pub bill_date: NaiveDate,
    pub early_date: NaiveDate,
    pub due_date: NaiveDate,
    pub period_start: NaiveDate,
    pub period_end: NaiveDate,
}

const CONSUMER_NAMES: &[&str] = &[
    "Tech Solutions Ltd",
    "Asha Traders",
    "Sunrise Textiles Pvt Ltd",
    "Green Valley Foods",
    "Kaveri Logistics LLP",
];

/// The bill `biller` issues to `consumer_number` in the month of `today`.
pub(crate) fn current_bill(biller: &Biller, consumer_number: &str, today: NaiveDate) -> IssuedBill {
    let hash = fnv1a(consumer_number.as_bytes());
    // 100.00 to 9099.99 rupees, with paise.
    let paise = 10_000 + i64::try_from(hash % 900_000).unwrap_or(0);
    let amount = Decimal::new(paise, 2);
    let early = (amount * Decimal::new(98, 2)).round_dp(2);
    let late = (amount * Decimal::new(103, 2)).round_dp(2);

    let bill_date = NaiveDate::from_ymd_opt(today.year(), today.month(), 1).unwrap_or(today);
    let plus = |days| {
        bill_date
            .checked_add_days(Days::new(days))
            .unwrap_or(bill_date)
    };
    let period_end = bill_date
        .checked_sub_days(Days::new(1))
        .unwrap_or(bill_date);
    let period_start =
        NaiveDate::from_ymd_opt(period_end.year(), period_end.month(), 1).unwrap_or(period_end);

    let short = hash % 1_000_000;
    let name = usize::try_from(hash % CONSUMER_NAMES.len() as u64)
        .ok()
        .and_then(|index| CONSUMER_NAMES.get(index))
        .unwrap_or(&"Sandbox Customer");
    IssuedBill {
        bill_id: format!("BID-{}-{:04}", bill_date.format("%Y%m%d"), hash % 10_000),
        validation_id: format!("VAL-{:07}", (hash >> 20) % 10_000_000),
        bill_number: format!("BILL-{short:06}"),
        biller_bill_number: format!("B{}-{short:06}", biller.id),
        consumer_name: (*name).to_owned(),
        units: 50 + i64::try_from((hash >> 8) % 900).unwrap_or(0),
        amount: Amount::new(amount),
        early_amount: Amount::new(early),
        late_amount: Amount::new(late),
        bill_date,
        early_date: plus(15),
        due_date: plus(25),
        period_start,
        period_end,
    }
}

/// The registration id of a consumer number at a biller (stable across runs).
pub(crate) fn company_biller_id(
    biller_id: i32,
    circle: Option<&Circle>,
    consumer_number: &str,
) -> String {
    let key = format!(
        "{biller_id}/{}/{consumer_number}",
        circle.map_or("", Circle::as_str)
    );
    format!("CB{:011}", fnv1a(key.as_bytes()) % 100_000_000_000)
}

/// 64-bit FNV-1a: a stable hash (std's hashers may change between releases).
fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |hash, &byte| {
        (hash ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bills_are_deterministic_and_carry_paise() {
        let today = NaiveDate::from_ymd_opt(2025, 5, 17).unwrap();
        let biller = biller(2001).unwrap();
        let first = current_bill(biller, "CN123456789", today);
        assert_eq!(first, current_bill(biller, "CN123456789", today));
        assert_ne!(
            first.amount,
            current_bill(biller, "CN123456780", today).amount
        );
        assert_eq!(first.amount.as_decimal().scale(), 2);
        assert!(first.early_amount < first.amount && first.amount < first.late_amount);
        assert_eq!(first.bill_date.to_string(), "2025-05-01");
        assert_eq!(first.period_start.to_string(), "2025-04-01");
        assert_eq!(first.period_end.to_string(), "2025-04-30");
        assert_eq!(first.due_date.to_string(), "2025-05-26");
    }

    #[test]
    fn consumer_number_check_matches_the_published_pattern() {
        let pattern = regress::Regex::new(CONSUMER_NUMBER_PATTERN).unwrap();
        for cn in [
            "CN123456789",
            "123456",
            "ABCDEFGHIJKLMNOP",
            "cn12345",
            "12345",
            "CN-12345",
            "ABCDEFGHIJKLMNOPQ",
        ] {
            assert_eq!(
                is_valid_consumer_number(cn),
                pattern.find(cn).is_some(),
                "{cn}"
            );
        }
    }
}
