//! Partial-update (PATCH) bodies: [`CustomerUpdate`] and [`InvoiceUpdate`].
//!
//! EnKash's PATCH calls tell three cases apart for every field: a field left out of the body is
//! not changed, a field sent as `null` is cleared, a field sent with a value is set. A generated
//! struct of `Option`s cannot say "send null" (it skips `None`), so these bodies are written by
//! hand on top of [`Patch`], and `build.rs` puts them in place of the spec schemas
//! `CustomerUpdateRequest` and `InvoiceUpdateRequest`.
//!
//! ```
//! use enkash::patch::CustomerUpdate;
//!
//! let update = CustomerUpdate::new()
//!     .address("2nd Floor, 88 Residency Road, Bengaluru")
//!     .clear_assigned_agent();
//! assert_eq!(
//!     serde_json::to_string(&update).unwrap(),
//!     r#"{"address":"2nd Floor, 88 Residency Road, Bengaluru","assignedAgent":null}"#
//! );
//! ```

use std::fmt;

use chrono::NaiveDate;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::money::Amount;
use crate::time::Timestamp;
use crate::types::{CustomerIdentifier, CustomerKeyContactCreateDto, CustomerReminderCreateDto};

/// One field of a partial update: leave it, clear it, or set it.
///
/// Use it on a struct field with `#[serde(default, skip_serializing_if = "Patch::is_unchanged")]`:
/// then [`Patch::Unchanged`] is left out of the JSON, [`Patch::Null`] is written as `null` and
/// [`Patch::Set`] as the value. Decoding reverses this: a missing key is `Unchanged`, `null` is
/// `Null`, anything else is `Set`.
///
/// ```
/// use enkash::patch::Patch;
///
/// assert_eq!(Patch::<u8>::default(), Patch::Unchanged);
/// assert_eq!(Patch::from(Some(3)), Patch::Set(3));
/// assert_eq!(Patch::<u8>::from(None), Patch::Null);
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub enum Patch<T> {
    /// Not sent: the server keeps the current value.
    #[default]
    Unchanged,
    /// Sent as `null`: the server clears the value.
    Null,
    /// Sent as this value.
    Set(T),
}

impl<T> Patch<T> {
    /// True when the field is left out of the body (the `skip_serializing_if` test).
    pub fn is_unchanged(&self) -> bool {
        matches!(self, Self::Unchanged)
    }

    /// True when the field is sent as `null`.
    pub fn is_null(&self) -> bool {
        matches!(self, Self::Null)
    }

    /// The value to set, if any.
    pub fn as_set(&self) -> Option<&T> {
        match self {
            Self::Set(value) => Some(value),
            Self::Unchanged | Self::Null => None,
        }
    }

    /// Applies `f` to a value to set; `Unchanged` and `Null` stay as they are.
    pub fn map<U>(self, f: impl FnOnce(T) -> U) -> Patch<U> {
        match self {
            Self::Unchanged => Patch::Unchanged,
            Self::Null => Patch::Null,
            Self::Set(value) => Patch::Set(f(value)),
        }
    }
}

impl<T> From<Option<T>> for Patch<T> {
    /// `Some(value)` sets the value, `None` clears it (sends `null`).
    fn from(value: Option<T>) -> Self {
        value.map_or(Self::Null, Self::Set)
    }
}

impl<T: Serialize> Serialize for Patch<T> {
    /// `Set` writes the value; `Null` writes `null`. `Unchanged` also writes `null` if it is ever
    /// serialized on its own, but on a field with `skip_serializing_if = "Patch::is_unchanged"` it
    /// is never written.
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Self::Set(value) => serializer.serialize_some(value),
            Self::Unchanged | Self::Null => serializer.serialize_none(),
        }
    }
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Patch<T> {
    /// `null` decodes to `Null`, any other value to `Set`. A missing key never reaches this: the
    /// field's `#[serde(default)]` makes it `Unchanged`.
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Option::<T>::deserialize(deserializer).map(Self::from)
    }
}

/// Declares a PATCH body: one [`Patch`] per nullable field and one `Option` per plain (never
/// `null`) field, with a setter for each and a clearer for each nullable field.
macro_rules! patch_body {
    (
        $(#[$meta:meta])*
        $name:ident {
            $(
                #[doc = $doc:literal]
                $field:ident, $clear:ident: $ty:ty,
            )+
        }
        $(
            plain {
                $(
                    #[doc = $pdoc:literal]
                    $pfield:ident: $pty:ty,
                )+
            }
        )?
    ) => {
        $(#[$meta])*
        #[derive(Clone, Debug, Default, Serialize, Deserialize)]
        #[serde(rename_all = "camelCase")]
        #[non_exhaustive]
        pub struct $name {
            $(
                #[doc = $doc]
                #[serde(default, skip_serializing_if = "Patch::is_unchanged")]
                pub $field: Patch<$ty>,
            )+
            $($(
                #[doc = $pdoc]
                #[doc = ""]
                #[doc = "A plain field: left out when `None`, never sent as `null`."]
                #[serde(default, skip_serializing_if = "Option::is_none")]
                pub $pfield: Option<$pty>,
            )+)?
        }

        impl $name {
            /// An update that changes nothing (an empty JSON object).
            pub fn new() -> Self {
                Self::default()
            }

            /// True when no field is set or cleared: the body would be `{}`.
            pub fn is_empty(&self) -> bool {
                true $(&& self.$field.is_unchanged())+ $($(&& self.$pfield.is_none())+)?
            }

            $(
                #[doc = concat!("Sets `", stringify!($field), "`.", $doc)]
                pub fn $field(mut self, value: impl Into<$ty>) -> Self {
                    self.$field = Patch::Set(value.into());
                    self
                }

                #[doc = concat!("Clears `", stringify!($field), "` (sends `null`).")]
                pub fn $clear(mut self) -> Self {
                    self.$field = Patch::Null;
                    self
                }
            )+

            $($(
                #[doc = concat!("Sets `", stringify!($pfield), "`.", $pdoc)]
                pub fn $pfield(mut self, value: $pty) -> Self {
                    self.$pfield = Some(value);
                    self
                }
            )+)?
        }

        impl fmt::Display for $name {
            /// The JSON body as it is sent, with account numbers masked to their last four
            /// characters (as everything the crate prints: see `Debug`).
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                let json = serde_json::to_value(self).map_err(|_| fmt::Error)?;
                f.write_str(&crate::redact::json_text(json))
            }
        }
    };
}

patch_body! {
    /// Body of `PATCH /api/v0/customer/{customerId}` (spec schema `CustomerUpdateRequest`).
    ///
    /// No field of this call carries a pattern in EnKash's docs, so plain strings are sent; key
    /// contacts reuse the create call's validated type.
    CustomerUpdate {
        /// Customer's bank account number.
        account_number, clear_account_number: crate::secret::UncheckedAccountNumber,
        /// Postal address.
        address, clear_address: String,
        /// Agent responsible for the customer.
        assigned_agent, clear_assigned_agent: String,
        /// Branch codes linked to the customer.
        branch_codes, clear_branch_codes: Vec<String>,
        /// Phone number.
        contact_number, clear_contact_number: String,
        /// Customer id.
        customer_id, clear_customer_id: String,
        /// Key contacts (the whole list).
        customer_key_contacts, clear_customer_key_contacts: Vec<CustomerKeyContactCreateDto>,
        /// Payment-reminder settings (the whole list).
        customer_reminders, clear_customer_reminders: Vec<CustomerReminderCreateDto>,
        /// IFSC of the customer's bank account.
        ifsc, clear_ifsc: String,
        /// Legal name.
        legal_name, clear_legal_name: String,
        /// PAN or GSTIN.
        pan_or_gstin, clear_pan_or_gstin: String,
        /// Postal PIN code.
        pin_code, clear_pin_code: String,
        /// State of the address.
        state, clear_state: String,
        /// The caller's unique reference for the customer.
        unique_ref_no, clear_unique_ref_no: String,
    }
}

patch_body! {
    /// Body of `PATCH /api/v0/invoice/{invoiceId}` (spec schema `InvoiceUpdateRequest`).
    ///
    /// Every field but `customerId` is a [`Patch`]: left out, `null` or a value. `customerId` is
    /// documented as a plain field: it can be changed but not cleared.
    ///
    /// ```
    /// use enkash::patch::InvoiceUpdate;
    ///
    /// let update = InvoiceUpdate::new()
    ///     .due_date(chrono::NaiveDate::from_ymd_opt(2025, 7, 15).unwrap())
    ///     .clear_po_number();
    /// assert_eq!(update.to_string(), r#"{"dueDate":"2025-07-15","poNumber":null}"#);
    /// ```
    InvoiceUpdate {
        /// Approval state (a plain string on this call, e.g. `CHECKER_APPROVED`).
        approval_status, clear_approval_status: String,
        /// Amount still due, in rupees.
        balance_amount, clear_balance_amount: Amount,
        /// Amount before tax, in rupees.
        base_amount, clear_base_amount: Amount,
        /// Central GST, in rupees.
        cgst, clear_cgst: Amount,
        /// Pass the collection charges on to the customer.
        charge_customer, clear_charge_customer: bool,
        /// Invoice description.
        description, clear_description: String,
        /// Send the invoice to the customer immediately.
        dispatch_now, clear_dispatch_now: bool,
        /// Payment due date.
        due_date, clear_due_date: NaiveDate,
        /// E-mail the invoice is sent to.
        email_address, clear_email_address: String,
        /// The amounts exclude GST.
        gst_exclusive, clear_gst_exclusive: bool,
        /// Integrated GST, in rupees.
        igst, clear_igst: Amount,
        /// Invoice date-time.
        invoice_date, clear_invoice_date: Timestamp,
        /// Invoice number.
        invoice_number, clear_invoice_number: String,
        /// Mobile number the invoice is sent to.
        mobile_number, clear_mobile_number: String,
        /// Net amount, in rupees.
        net_amount, clear_net_amount: Amount,
        /// Part payments are accepted.
        partial_payment_allowed, clear_partial_payment_allowed: bool,
        /// Reference on the payer's side.
        payable_reference_id, clear_payable_reference_id: String,
        /// Purchase-order number.
        po_number, clear_po_number: String,
        /// Collection state (a plain string on this call).
        receivable_status, clear_receivable_status: String,
        /// State GST, in rupees.
        sgst, clear_sgst: Amount,
        /// Tax deducted at source, in rupees.
        tds, clear_tds: Amount,
        /// Amount collected so far, in rupees.
        total_received, clear_total_received: Amount,
        /// Channel.
        via, clear_via: String,
    }
    plain {
        /// Moves the invoice to this customer.
        customer_id: CustomerIdentifier,
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    /// A body with one field of each kind, to show the three cases on the wire.
    #[derive(Debug, Default, PartialEq, Serialize, Deserialize)]
    struct Probe {
        #[serde(default, skip_serializing_if = "Patch::is_unchanged")]
        absent: Patch<String>,
        #[serde(default, skip_serializing_if = "Patch::is_unchanged")]
        cleared: Patch<String>,
        #[serde(default, skip_serializing_if = "Patch::is_unchanged")]
        set: Patch<String>,
    }

    #[test]
    fn absent_null_and_value_are_three_different_bodies() {
        let probe = Probe {
            absent: Patch::Unchanged,
            cleared: Patch::Null,
            set: Patch::Set("x".into()),
        };
        assert_eq!(
            serde_json::to_value(&probe).unwrap(),
            json!({"cleared": null, "set": "x"})
        );
        let back: Probe = serde_json::from_value(json!({"cleared": null, "set": "x"})).unwrap();
        assert_eq!(back, probe);
        assert_eq!(serde_json::to_string(&Probe::default()).unwrap(), "{}");
    }

    #[test]
    fn customer_update_sends_only_what_was_touched() {
        assert_eq!(CustomerUpdate::new().to_string(), "{}");
        assert!(CustomerUpdate::new().is_empty());

        let update = CustomerUpdate::new()
            .legal_name("Sharma Traders Private Limited")
            .clear_assigned_agent()
            .branch_codes(vec!["BLR-01".to_owned()]);
        assert!(!update.is_empty());
        assert_eq!(
            serde_json::to_value(&update).unwrap(),
            json!({
                "legalName": "Sharma Traders Private Limited",
                "assignedAgent": null,
                "branchCodes": ["BLR-01"],
            })
        );
        assert_eq!(update.address, Patch::Unchanged);
        assert_eq!(update.assigned_agent, Patch::Null);
    }

    #[test]
    fn customer_update_decodes_missing_null_and_value_apart() {
        let update: CustomerUpdate =
            serde_json::from_value(json!({"address": "14 MG Road", "ifsc": null})).unwrap();
        assert_eq!(update.address, Patch::Set("14 MG Road".to_owned()));
        assert_eq!(update.ifsc, Patch::Null);
        assert_eq!(update.state, Patch::Unchanged);
    }

    #[test]
    fn customer_update_key_contacts_are_validated() {
        let bad = json!({"customerKeyContacts": [
            {"deleted": false, "legalName": "A", "mobile": "12", "name": "A"}
        ]});
        let err = serde_json::from_value::<CustomerUpdate>(bad)
            .unwrap_err()
            .to_string();
        assert!(err.contains("doesn't match pattern"), "{err}");
    }

    #[test]
    fn invoice_update_amounts_dates_and_the_plain_customer_id() {
        let customer: CustomerIdentifier = "KCX7M2Q9A4B8C1D3".parse().unwrap();
        let update = InvoiceUpdate::new()
            .base_amount("10000.50".parse::<Amount>().unwrap())
            .clear_tds()
            .due_date(NaiveDate::from_ymd_opt(2025, 7, 15).unwrap())
            .invoice_date("2025-06-01T10:00:00+05:30".parse::<Timestamp>().unwrap())
            .dispatch_now(true)
            .customer_id(customer);
        // Parsed from text: `json!` would read 10000.50 through f64 and drop the scale.
        let expected: serde_json::Value = serde_json::from_str(
            r#"{"baseAmount": 10000.50, "tds": null, "dueDate": "2025-07-15",
                "invoiceDate": "2025-06-01T10:00:00+05:30", "dispatchNow": true,
                "customerId": "KCX7M2Q9A4B8C1D3"}"#,
        )
        .unwrap();
        assert_eq!(serde_json::to_value(&update).unwrap(), expected);
        let wire = serde_json::to_value(&update).unwrap();
        let back: InvoiceUpdate = serde_json::from_value(wire.clone()).unwrap();
        assert_eq!(serde_json::to_value(&back).unwrap(), wire);
        assert_eq!(back.tds, Patch::Null);
        let base = back.base_amount.as_set().map(Amount::as_decimal);
        assert_eq!(base, Some(rust_decimal::Decimal::new(1_000_050, 2)));
    }

    #[test]
    fn invoice_update_customer_id_is_left_out_never_null() {
        let update = InvoiceUpdate::new().clear_description();
        assert_eq!(update.to_string(), r#"{"description":null}"#);
        let decoded: InvoiceUpdate = serde_json::from_value(json!({"customerId": null})).unwrap();
        assert!(decoded.customer_id.is_none());
        assert!(decoded.is_empty());
    }

    #[test]
    fn the_docs_object_wrapper_is_not_a_wire_value() {
        // EnKash's page renders each JsonNullable field as `{}`; that is not a string.
        let err = serde_json::from_value::<CustomerUpdate>(json!({"address": {}})).unwrap_err();
        assert!(err.to_string().contains("invalid type: map"), "{err}");
    }

    #[test]
    fn patch_helpers() {
        assert_eq!(Patch::Set(2).map(|v| v * 2), Patch::Set(4));
        assert_eq!(Patch::<i32>::Null.map(|v| v * 2), Patch::Null);
        assert_eq!(Patch::Set(2).as_set(), Some(&2));
        assert!(Patch::<i32>::Null.is_null());
        assert!(Patch::<i32>::Unchanged.as_set().is_none());
    }
}
