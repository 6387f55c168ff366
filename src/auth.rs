//! Authentication: the token response and (in the client layer) the token cache.

use serde::{Deserialize, Serialize};

use crate::secret::Secret;

/// Body of `POST /oauth/token`.
///
/// EnKash documents it both in OAuth2 snake_case (`access_token`, `expires_in`) and in camelCase
/// (`accessToken`, `expiresIn`); either decodes into the same fields.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct TokenResponse {
    /// The bearer token for every other call.
    #[serde(default, alias = "accessToken", skip_serializing_if = "Option::is_none")]
    pub access_token: Option<Secret>,
    /// Token type, `bearer`.
    #[serde(default, alias = "tokenType", skip_serializing_if = "Option::is_none")]
    pub token_type: Option<String>,
    /// Refresh token (not used by this client: it asks for a new token instead).
    #[serde(default, alias = "refreshToken", skip_serializing_if = "Option::is_none")]
    pub refresh_token: Option<Secret>,
    /// Lifetime of the access token in seconds.
    #[serde(default, alias = "expiresIn", skip_serializing_if = "Option::is_none")]
    pub expires_in: Option<i64>,
    /// Granted scopes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scope: Option<String>,
}

impl std::fmt::Display for TokenResponse {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{self:?}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_documented_shapes_decode_and_debug_hides_the_tokens() {
        let snake = r#"{"access_token":"tok-1","token_type":"bearer","refresh_token":"ref-1","expires_in":86399,"scope":"read write trust"}"#;
        let camel = r#"{"accessToken":"tok-1","tokenType":"bearer","refreshToken":"ref-1","expiresIn":86399}"#;
        for body in [snake, camel] {
            let token: TokenResponse = serde_json::from_str(body).unwrap();
            assert_eq!(token.access_token.as_ref().map(Secret::expose), Some("tok-1"));
            assert_eq!(token.expires_in, Some(86399));
            let debug = format!("{token:?}");
            assert!(!debug.contains("tok-1") && !debug.contains("ref-1"), "{debug}");
        }
    }
}
