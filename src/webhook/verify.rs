//! [`WebhookVerifier`]: checks the static headers agreed with EnKash.

use std::fmt;

use http::{HeaderMap, HeaderName, HeaderValue};

use super::WebhookError;
use crate::Secret;
use crate::error::{ConfigError, Error};

/// Checks that a request carries every static header agreed with EnKash, with its exact value.
///
/// EnKash authenticates webhooks only with static headers: fixed names and values agreed when the
/// webhook URL is registered. Values are [`Secret`]s and are compared in constant time; `Debug`
/// shows the header names only.
///
/// ```
/// use enkash::webhook::WebhookVerifier;
/// use http::HeaderMap;
///
/// let verifier = WebhookVerifier::new("X-Enkash-Token", "agreed-value")?;
/// assert_eq!(format!("{verifier:?}"), r#"WebhookVerifier { headers: ["x-enkash-token"] }"#);
///
/// let mut headers = HeaderMap::new();
/// headers.insert("x-enkash-token", "agreed-value".parse()?);
/// assert!(verifier.verify(&headers).is_ok());
/// headers.insert("x-enkash-token", "guess".parse()?);
/// let err = verifier.verify(&headers).unwrap_err();
/// assert!(err.is_wrong_header());
/// assert_eq!(err.header_name(), Some("x-enkash-token"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone)]
pub struct WebhookVerifier {
    headers: Vec<(HeaderName, Secret)>,
}

impl WebhookVerifier {
    /// A verifier for one static header.
    ///
    /// Fails with [`Error::Config`] when `name` is not an HTTP header name, or `value` is empty or
    /// not a valid header value (it could never match).
    pub fn new(name: &str, value: impl Into<Secret>) -> Result<Self, Error> {
        Self {
            headers: Vec::new(),
        }
        .header(name, value)
    }

    /// Also requires this static header. Fails as [`WebhookVerifier::new`] does, and when the
    /// header is required already.
    pub fn header(mut self, name: &str, value: impl Into<Secret>) -> Result<Self, Error> {
        let value = value.into();
        let invalid = |why: &str| Error::Config(ConfigError::new(format!("webhook header {why}")));
        let name = HeaderName::from_bytes(name.as_bytes())
            .map_err(|_| invalid(&format!("name `{}` is not valid HTTP", name.escape_debug())))?;
        if value.is_empty() {
            return Err(invalid(&format!("`{name}` has an empty value")));
        }
        if HeaderValue::from_str(value.expose()).is_err() {
            return Err(invalid(&format!(
                "`{name}` has a value that is not valid HTTP"
            )));
        }
        if self.headers.iter().any(|(known, _)| *known == name) {
            return Err(invalid(&format!("`{name}` is given twice")));
        }
        self.headers.push((name, value));
        Ok(self)
    }

    /// The names of the required headers (lower case), in the order they were added.
    pub fn header_names(&self) -> impl Iterator<Item = &str> {
        self.headers.iter().map(|(name, _)| name.as_str())
    }

    /// Checks every required header, in the order they were added: a header that is missing is
    /// [`WebhookError::MissingHeader`]; one with another value, or sent more than once, is
    /// [`WebhookError::WrongHeader`]. Values are compared in constant time and never kept in the
    /// error.
    pub fn verify(&self, headers: &HeaderMap) -> Result<(), WebhookError> {
        for (name, expected) in &self.headers {
            let mut sent = headers.get_all(name).iter();
            let Some(received) = sent.next() else {
                return Err(WebhookError::MissingHeader {
                    name: name.as_str().to_owned(),
                });
            };
            if !expected.matches(received.as_bytes()) || sent.next().is_some() {
                return Err(WebhookError::WrongHeader {
                    name: name.as_str().to_owned(),
                });
            }
        }
        Ok(())
    }
}

impl fmt::Debug for WebhookVerifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names: Vec<&str> = self.header_names().collect();
        f.debug_struct("WebhookVerifier")
            .field("headers", &names)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bad_configurations_are_refused_without_quoting_the_value() {
        for (name, value) in [("bad name", "v"), ("x-ok", ""), ("x-ok", "line\nbreak")] {
            let err = WebhookVerifier::new(name, value).unwrap_err();
            assert!(matches!(err, Error::Config(_)), "{err}");
            assert!(!err.to_string().contains("line\nbreak"));
        }
        let err = WebhookVerifier::new("x-a", "1")
            .and_then(|v| v.header("X-A", "2"))
            .unwrap_err();
        assert!(err.to_string().contains("given twice"), "{err}");
    }

    #[test]
    fn a_header_sent_twice_is_refused() {
        let verifier = WebhookVerifier::new("x-a", "1").unwrap();
        let mut headers = HeaderMap::new();
        headers.append("x-a", HeaderValue::from_static("1"));
        headers.append("x-a", HeaderValue::from_static("1"));
        assert!(verifier.verify(&headers).unwrap_err().is_wrong_header());
    }
}
