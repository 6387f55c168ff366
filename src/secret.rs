//! [`Secret`]: a credential that never shows in `Debug` or `Display` output.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use subtle::{Choice, ConstantTimeEq};

/// What `Debug` and `Display` print in place of a secret.
pub const REDACTED: &str = "** redacted **";

/// The conversions of a string newtype that takes any text: from `&str` and `String`, `parse()`,
/// and serde as a plain JSON string.
macro_rules! any_text {
    ($name:ident) => {
        impl From<&str> for $name {
            fn from(value: &str) -> Self {
                Self(value.to_owned())
            }
        }

        impl From<String> for $name {
            fn from(value: String) -> Self {
                Self(value)
            }
        }

        impl std::str::FromStr for $name {
            type Err = std::convert::Infallible;

            fn from_str(value: &str) -> Result<Self, Self::Err> {
                Ok(Self::from(value))
            }
        }

        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(&self.0)
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                String::deserialize(deserializer).map(Self)
            }
        }
    };
}

/// A password, client secret or token.
///
/// Its `Debug` and `Display` print [`REDACTED`], so a secret inside any request, response or error
/// that is logged stays out of the log. The value is read only through [`Secret::expose`], and is
/// serialized as-is because the wire needs it.
///
/// ```
/// use enkash::Secret;
/// let password = Secret::from("hunter2");
/// assert_eq!(format!("{password:?}"), "Secret(\"** redacted **\")");
/// assert_eq!(password.to_string(), "** redacted **");
/// assert_eq!(password.expose(), "hunter2");
/// ```
///
/// Its `==` compares in constant time ([`Secret::matches`]).
#[derive(Clone, Default)]
pub struct Secret(String);

impl Secret {
    /// Wraps a credential.
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    /// The credential itself. Call it only where the value goes on the wire.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// True for an empty credential.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// True when `candidate` is exactly this secret, compared in constant time (`subtle`): the
    /// time taken depends only on the length of `candidate`, never on where the two differ or on
    /// the secret's length.
    ///
    /// ```
    /// use enkash::Secret;
    /// let agreed = Secret::from("agreed-value");
    /// assert!(agreed.matches(b"agreed-value"));
    /// assert!(!agreed.matches(b"agreed-valuE"));
    /// assert!(!agreed.matches(b"agreed"));
    /// ```
    pub fn matches(&self, candidate: &[u8]) -> bool {
        let expected = self.0.as_bytes();
        if expected.is_empty() {
            return candidate.is_empty();
        }
        let same_length = (candidate.len() as u64).ct_eq(&(expected.len() as u64));
        // Every byte of `candidate` is compared, against the secret repeated as often as needed.
        let same_bytes = candidate
            .iter()
            .zip(expected.iter().cycle())
            .fold(Choice::from(1), |same, (a, b)| same & a.ct_eq(b));
        (same_length & same_bytes).into()
    }
}

impl PartialEq for Secret {
    fn eq(&self, other: &Self) -> bool {
        self.matches(other.0.as_bytes())
    }
}

impl Eq for Secret {}

any_text!(Secret);

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Secret").field(&REDACTED).finish()
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(REDACTED)
    }
}

/// A JSON object that holds bank details whose members EnKash does not publish (a registered
/// business's bank accounts).
///
/// It is kept as sent and serialized as-is, but its `Debug` and `Display` print [`REDACTED`], so an
/// account number inside it stays out of logs. Read it through [`SecretObject::expose`].
///
/// ```
/// use enkash::secret::SecretObject;
/// let account: SecretObject =
///     serde_json::from_str(r#"{"accountNumber":"50200012345678"}"#).unwrap();
/// assert_eq!(format!("{account:?}"), "SecretObject(\"** redacted **\")");
/// assert_eq!(account.expose()["accountNumber"], "50200012345678");
/// ```
#[derive(Clone, PartialEq, Eq, Default)]
pub struct SecretObject(serde_json::Map<String, serde_json::Value>);

impl SecretObject {
    /// Wraps an object.
    pub fn new(value: serde_json::Map<String, serde_json::Value>) -> Self {
        Self(value)
    }

    /// The object itself. Call it only where the value goes on the wire or is checked.
    pub fn expose(&self) -> &serde_json::Map<String, serde_json::Value> {
        &self.0
    }
}

impl From<serde_json::Map<String, serde_json::Value>> for SecretObject {
    fn from(value: serde_json::Map<String, serde_json::Value>) -> Self {
        Self(value)
    }
}

impl fmt::Debug for SecretObject {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("SecretObject").field(&REDACTED).finish()
    }
}

impl fmt::Display for SecretObject {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(REDACTED)
    }
}

impl Serialize for SecretObject {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.0.serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for SecretObject {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        serde_json::Map::deserialize(deserializer).map(Self)
    }
}

/// A bank account number.
///
/// Checked on construction against the spec's `BankAccountNumber` rule
/// ([`AccountNumber::PATTERN`]: 9 to 36 letters or digits, or empty), and masked in `Debug` and
/// `Display` to its last four characters, so it never shows whole in a log.
///
/// ```
/// use enkash::secret::AccountNumber;
/// let account: AccountNumber = "50100234567890".parse().unwrap();
/// assert_eq!(format!("{account:?}"), "AccountNumber(\"**********7890\")");
/// assert_eq!(account.expose(), "50100234567890");
/// assert!("1234-5678".parse::<AccountNumber>().is_err());
/// ```
#[derive(Clone, PartialEq, Eq, Hash, Default)]
pub struct AccountNumber(String);

/// Why a text is not an [`AccountNumber`]; quotes the rule, never the value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountNumberError;

impl fmt::Display for AccountNumberError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "doesn't match pattern \"{}\"", AccountNumber::PATTERN)
    }
}

impl std::error::Error for AccountNumberError {}

impl AccountNumber {
    /// The rule, as the spec writes it.
    pub const PATTERN: &'static str = "^$|^[A-Za-z0-9]{9,36}$";

    /// The account number itself. Call it only where the value goes on the wire.
    pub fn expose(&self) -> &str {
        &self.0
    }

    fn check(value: &str) -> Result<(), AccountNumberError> {
        let allowed = value.is_empty()
            || ((9..=36).contains(&value.len())
                && value.bytes().all(|b| b.is_ascii_alphanumeric()));
        if allowed {
            Ok(())
        } else {
            Err(AccountNumberError)
        }
    }

    fn masked(&self) -> String {
        crate::redact::last_four(&self.0)
    }
}

impl std::str::FromStr for AccountNumber {
    type Err = AccountNumberError;

    fn from_str(value: &str) -> Result<Self, Self::Err> {
        Self::check(value)?;
        Ok(Self(value.to_owned()))
    }
}

impl TryFrom<&str> for AccountNumber {
    type Error = AccountNumberError;

    fn try_from(value: &str) -> Result<Self, Self::Error> {
        value.parse()
    }
}

impl TryFrom<String> for AccountNumber {
    type Error = AccountNumberError;

    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::check(&value)?;
        Ok(Self(value))
    }
}

impl fmt::Debug for AccountNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("AccountNumber")
            .field(&self.masked())
            .finish()
    }
}

impl fmt::Display for AccountNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.masked())
    }
}

impl Serialize for AccountNumber {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for AccountNumber {
    /// Refuses a value breaking the rule: the type only appears in requests.
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        String::deserialize(deserializer)
            .and_then(|value| Self::try_from(value).map_err(serde::de::Error::custom))
    }
}

/// A bank account number taken as given, with no rule checked: as EnKash sends it (the masked
/// `maskedAccountNumber` of Vendor Payment), or as a search filter takes it.
///
/// Like [`AccountNumber`], masked in `Debug` and `Display` to its last four characters, serialized
/// as-is, and read only through [`UncheckedAccountNumber::expose`].
///
/// ```
/// use enkash::secret::UncheckedAccountNumber;
/// let account = UncheckedAccountNumber::from("5010-0234-5678");
/// assert_eq!(format!("{account:?}"), r#"UncheckedAccountNumber("**********5678")"#);
/// assert_eq!(account.to_string(), "**********5678");
/// assert_eq!(account.expose(), "5010-0234-5678");
/// ```
#[derive(Clone, PartialEq, Eq, Hash, Default)]
pub struct UncheckedAccountNumber(String);

impl UncheckedAccountNumber {
    /// Wraps an account number.
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    /// The account number itself. Call it only where the value goes on the wire or is compared.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

any_text!(UncheckedAccountNumber);

impl fmt::Debug for UncheckedAccountNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("UncheckedAccountNumber")
            .field(&crate::redact::last_four(&self.0))
            .finish()
    }
}

impl fmt::Display for UncheckedAccountNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&crate::redact::last_four(&self.0))
    }
}

/// A JSON payload whose shape EnKash does not publish (most Accounts Receivable answers), kept as
/// sent.
///
/// Read it as the [`serde_json::Value`] it dereferences to. Its `Debug` and `Display` print the
/// JSON with the values of sensitive keys masked (secrets hidden, account numbers and long digit
/// runs kept to their last four characters), so logging an answer shows no account number.
///
/// ```
/// use enkash::secret::JsonPayload;
/// let payload: JsonPayload =
///     serde_json::from_str(r#"{"customerId":"KC1","accountNumber":"50100234567890"}"#).unwrap();
/// assert_eq!(payload["accountNumber"], "50100234567890");
/// assert_eq!(
///     format!("{payload:?}"),
///     r#"JsonPayload({"accountNumber":"**********7890","customerId":"KC1"})"#
/// );
/// ```
#[derive(Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(transparent)]
pub struct JsonPayload(serde_json::Value);

impl JsonPayload {
    /// Wraps a JSON value.
    pub fn new(value: serde_json::Value) -> Self {
        Self(value)
    }

    /// The JSON value itself.
    pub fn into_value(self) -> serde_json::Value {
        self.0
    }
}

impl std::ops::Deref for JsonPayload {
    type Target = serde_json::Value;

    fn deref(&self) -> &serde_json::Value {
        &self.0
    }
}

impl From<serde_json::Value> for JsonPayload {
    fn from(value: serde_json::Value) -> Self {
        Self(value)
    }
}

impl fmt::Debug for JsonPayload {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "JsonPayload({self})")
    }
}

impl fmt::Display for JsonPayload {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&crate::redact::json_text(self.0.clone()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_and_display_print_the_exact_redaction() {
        let secret = Secret::from("s3cr3t-value");
        assert_eq!(format!("{secret:?}"), r#"Secret("** redacted **")"#);
        assert_eq!(
            format!("{secret:#?}"),
            "Secret(\n    \"** redacted **\",\n)"
        );
        assert_eq!(format!("{secret}"), "** redacted **");
    }

    #[test]
    fn equal_only_when_every_byte_and_the_length_match() {
        let secret = Secret::from("secret");
        assert!(secret.matches(b"secret"));
        assert!(!secret.matches(b"secreT"));
        assert!(!secret.matches(b"secret-longer"));
        assert!(!secret.matches(b"secretsecret"));
        assert!(!secret.matches(b""));
        assert!(Secret::default().matches(b""));
        assert!(!Secret::default().matches(b"x"));
        assert_eq!(secret, Secret::from("secret"));
        assert_ne!(secret, Secret::from("Secret"));
    }

    #[test]
    fn serializes_the_value_for_the_wire() {
        let secret = Secret::from("s3cr3t-value");
        assert_eq!(serde_json::to_string(&secret).unwrap(), r#""s3cr3t-value""#);
        let back: Secret = serde_json::from_str(r#""s3cr3t-value""#).unwrap();
        assert_eq!(back.expose(), "s3cr3t-value");
    }

    #[test]
    fn account_numbers_are_masked_to_their_last_four_characters() {
        let account = AccountNumber::try_from("50100234567890").unwrap();
        assert_eq!(format!("{account:?}"), r#"AccountNumber("**********7890")"#);
        assert_eq!(account.to_string(), "**********7890");
        assert_eq!(
            serde_json::to_string(&account).unwrap(),
            r#""50100234567890""#
        );
        assert_eq!(
            format!("{:?}", AccountNumber::default()),
            r#"AccountNumber("")"#
        );
        let err = AccountNumber::try_from("1234-5678")
            .unwrap_err()
            .to_string();
        assert_eq!(err, r#"doesn't match pattern "^$|^[A-Za-z0-9]{9,36}$""#);
        assert!(serde_json::from_str::<AccountNumber>(r#""12345678""#).is_err());
    }

    #[test]
    fn secret_object_hides_its_members_but_keeps_them_for_the_wire() {
        let json = r#"{"accountNumber":"50200012345678","ifsc":"HDFC0000060"}"#;
        let object: SecretObject = serde_json::from_str(json).unwrap();
        assert_eq!(format!("{object:?}"), r#"SecretObject("** redacted **")"#);
        assert_eq!(object.to_string(), REDACTED);
        assert_eq!(serde_json::to_string(&object).unwrap(), json);
    }
}
