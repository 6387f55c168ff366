//! [`Secret`]: a credential that never shows in `Debug` or `Display` output.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// What `Debug` and `Display` print in place of a secret.
pub const REDACTED: &str = "** redacted **";

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
#[derive(Clone, PartialEq, Eq, Default)]
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
}

impl From<&str> for Secret {
    fn from(value: &str) -> Self {
        Self(value.to_owned())
    }
}

impl From<String> for Secret {
    fn from(value: String) -> Self {
        Self(value)
    }
}

impl std::str::FromStr for Secret {
    type Err = std::convert::Infallible;

    fn from_str(value: &str) -> Result<Self, Self::Err> {
        Ok(Self::from(value))
    }
}

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

impl Serialize for Secret {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for Secret {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        String::deserialize(deserializer).map(Self)
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
    fn serializes_the_value_for_the_wire() {
        let secret = Secret::from("s3cr3t-value");
        assert_eq!(serde_json::to_string(&secret).unwrap(), r#""s3cr3t-value""#);
        let back: Secret = serde_json::from_str(r#""s3cr3t-value""#).unwrap();
        assert_eq!(back.expose(), "s3cr3t-value");
    }
}
