//! What an optional field's builder setter takes: the value itself, its text, or an `Option`.
//!
//! A setter for an optional text field (a plain string or a pattern newtype such as
//! [`types::IfscCode`](crate::types::IfscCode)) accepts `&str`, `String` and `&String`, checked
//! against the field's rules when the request is built, as well as the value or an `Option` of
//! it (`None` clears the field):
//!
//! ```
//! use enkash::types;
//! let approval = types::UtilityPaymentApprovalRequest::builder()
//!     .utility_payment_ids(vec!["UTIL-00000001".to_owned()])
//!     .approval_status(types::CheckerApproval::CheckerApproved)
//!     .remarks("approved by treasury");
//! assert!(types::UtilityPaymentApprovalRequest::try_from(approval).is_ok());
//!
//! // Text that breaks the field's pattern fails when the request is built, naming the field.
//! let bad = types::UtilityPaymentApprovalRequest::builder()
//!     .utility_payment_ids(vec!["UTIL-00000001".to_owned()])
//!     .remarks("<script>");
//! let err = types::UtilityPaymentApprovalRequest::try_from(bad).unwrap_err();
//! assert!(err.to_string().contains("remarks"), "{err}");
//! ```
use std::convert::Infallible;
use std::fmt;

/// A value an optional field's setter accepts.
pub trait OptionalField<V> {
    /// Why the value does not fit the field.
    type Error: fmt::Display;

    /// The field's value; `None` leaves it out of the request.
    fn into_optional(self) -> Result<Option<V>, Self::Error>;
}

/// A field type written as text, checked against its rules (pattern, length) when read.
pub trait FromText: Sized {
    /// Why a text does not fit.
    type Error: fmt::Display;

    /// The value `text` spells, if it keeps the type's rules.
    fn from_text(text: &str) -> Result<Self, Self::Error>;
}

impl<V> OptionalField<V> for Option<V> {
    type Error = Infallible;

    fn into_optional(self) -> Result<Option<V>, Infallible> {
        Ok(self)
    }
}

impl<V: FromText> OptionalField<V> for &str {
    type Error = V::Error;

    fn into_optional(self) -> Result<Option<V>, V::Error> {
        V::from_text(self).map(Some)
    }
}

impl<V: FromText> OptionalField<V> for &String {
    type Error = V::Error;

    fn into_optional(self) -> Result<Option<V>, V::Error> {
        V::from_text(self).map(Some)
    }
}

impl<V: FromText> OptionalField<V> for String {
    type Error = V::Error;

    fn into_optional(self) -> Result<Option<V>, V::Error> {
        V::from_text(&self).map(Some)
    }
}

impl FromText for String {
    type Error = Infallible;

    fn from_text(text: &str) -> Result<Self, Infallible> {
        Ok(text.to_owned())
    }
}
