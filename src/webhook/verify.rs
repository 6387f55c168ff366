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
    /// Each required header with the values it accepts: the current one, and the next one
    /// while a rotation runs.
    headers: Vec<(HeaderName, Vec<Secret>)>,
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
        let (name, value) = checked(name, value.into())?;
        if self.headers.iter().any(|(known, _)| *known == name) {
            return Err(invalid(&format!("`{name}` is given twice")));
        }
        self.headers.push((name, vec![value]));
        Ok(self)
    }

    /// Also accepts `next` for the required header `name`, next to its current value, while a
    /// rotation of that value runs. Both are compared in constant time, and a request cannot
    /// tell which one matched.
    ///
    /// Fails as [`WebhookVerifier::new`] does, when `name` is not required yet, and when it
    /// already has a next value.
    ///
    /// ```
    /// use enkash::webhook::WebhookVerifier;
    /// use http::HeaderMap;
    ///
    /// let verifier = WebhookVerifier::new("x-enkash-token", "old-value")?
    ///     .accept_next("x-enkash-token", "new-value")?;
    /// let mut headers = HeaderMap::new();
    /// for value in ["old-value", "new-value"] {
    ///     headers.insert("x-enkash-token", value.parse()?);
    ///     assert!(verifier.verify(&headers).is_ok());
    /// }
    /// headers.insert("x-enkash-token", "other".parse()?);
    /// assert!(verifier.verify(&headers).unwrap_err().is_wrong_header());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn accept_next(mut self, name: &str, next: impl Into<Secret>) -> Result<Self, Error> {
        let (name, next) = checked(name, next.into())?;
        let Some((_, values)) = self.headers.iter_mut().find(|(known, _)| *known == name) else {
            return Err(invalid(&format!(
                "`{name}` is not required yet: add it with its current value first"
            )));
        };
        if values.len() > 1 {
            return Err(invalid(&format!("`{name}` has a next value already")));
        }
        values.push(next);
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
        for (name, accepted) in &self.headers {
            let mut sent = headers.get_all(name).iter();
            let Some(received) = sent.next() else {
                return Err(WebhookError::MissingHeader {
                    name: name.as_str().to_owned(),
                });
            };
            // Every accepted value is compared (`|`, not `||`), so the time taken does not tell
            // which one matched.
            let matched = accepted.iter().fold(false, |matched, value| {
                matched | value.matches(received.as_bytes())
            });
            if !matched || sent.next().is_some() {
                return Err(WebhookError::WrongHeader {
                    name: name.as_str().to_owned(),
                });
            }
        }
        Ok(())
    }
}

fn invalid(why: &str) -> Error {
    Error::Config(ConfigError::new(format!("webhook header {why}")))
}

/// A header name and value that could be required: valid HTTP, and a value that is not empty.
fn checked(name: &str, value: Secret) -> Result<(HeaderName, Secret), Error> {
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
    Ok((name, value))
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
    fn a_rotation_accepts_both_values_and_no_third() {
        let verifier = WebhookVerifier::new("x-a", "current")
            .and_then(|v| v.accept_next("X-A", "next"))
            .unwrap();
        let verify = |value: &'static str| {
            let mut headers = HeaderMap::new();
            headers.insert("x-a", HeaderValue::from_static(value));
            verifier.verify(&headers)
        };
        assert!(verify("current").is_ok());
        assert!(verify("next").is_ok());
        assert!(verify("curren").unwrap_err().is_wrong_header());
        assert!(verify("nextt").unwrap_err().is_wrong_header());
        assert_eq!(
            format!("{verifier:?}"),
            r#"WebhookVerifier { headers: ["x-a"] }"#
        );

        let third = verifier.clone().accept_next("x-a", "third").unwrap_err();
        assert!(
            third.to_string().contains("has a next value already"),
            "{third}"
        );
        assert!(!third.to_string().contains("third\""), "{third}");
        let unknown = verifier.accept_next("x-b", "v").unwrap_err();
        assert!(
            unknown.to_string().contains("not required yet"),
            "{unknown}"
        );
        let empty = WebhookVerifier::new("x-a", "1")
            .unwrap()
            .accept_next("x-a", "")
            .unwrap_err();
        assert!(empty.to_string().contains("empty value"), "{empty}");
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
