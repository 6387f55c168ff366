//! Authentication: the token response and the token cache.
//!
//! A token is fetched on first use, cached for the lifetime the response gives, and renewed a
//! little before it expires. Renewal is single-flight: however many calls find the token missing
//! or stale at once, one token request is made and all of them wait for it.

use std::time::Duration;

use std::sync::{Arc, PoisonError, RwLock};

use reqwest::header::HeaderValue;
use serde::{Deserialize, Serialize};
use tokio::time::Instant;

use crate::error::TokenError;
use crate::secret::Secret;

/// Lifetime assumed when the token response gives none, or one that cannot be a lifetime (zero
/// or negative): the shortest EnKash documents.
pub const DEFAULT_TOKEN_LIFETIME: Duration = Duration::from_secs(300);

/// Longest lifetime the client believes: a day (EnKash documents 86,399 s). A longer `expires_in`
/// (up to `i64::MAX`, which would overflow a clock) is cut to this, so the token is renewed at
/// least daily; a token the server revokes sooner is renewed after its 401.
pub const MAX_TOKEN_LIFETIME: Duration = Duration::from_secs(24 * 60 * 60);

/// The lifetime to cache a token for, from the `expires_in` the server sent: missing, zero or
/// negative gives [`DEFAULT_TOKEN_LIFETIME`]; anything longer than [`MAX_TOKEN_LIFETIME`] is cut
/// to it.
pub fn token_lifetime(expires_in: Option<i64>) -> Duration {
    match expires_in.and_then(|secs| u64::try_from(secs).ok()) {
        None | Some(0) => DEFAULT_TOKEN_LIFETIME,
        Some(secs) => Duration::from_secs(secs).min(MAX_TOKEN_LIFETIME),
    }
}

/// Body of `POST /oauth/token`.
///
/// EnKash documents it both in OAuth2 snake_case (`access_token`, `expires_in`) and in camelCase
/// (`accessToken`, `expiresIn`); either decodes into the same fields.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct TokenResponse {
    /// The bearer token for every other call.
    #[serde(
        default,
        alias = "accessToken",
        skip_serializing_if = "Option::is_none"
    )]
    pub access_token: Option<Secret>,
    /// Token type, `bearer`.
    #[serde(default, alias = "tokenType", skip_serializing_if = "Option::is_none")]
    pub token_type: Option<String>,
    /// Refresh token (not used by this client: it asks for a new token instead).
    #[serde(
        default,
        alias = "refreshToken",
        skip_serializing_if = "Option::is_none"
    )]
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

/// An access token, with the `Authorization` header that carries it made once. Cloned for
/// every call, so it is shared, not copied.
#[derive(Clone)]
pub(crate) struct AccessToken(Arc<IssuedToken>);

struct IssuedToken {
    token: Secret,
    /// `Bearer <token>`, marked sensitive so `http` never prints it.
    header: HeaderValue,
}

impl AccessToken {
    fn new(token: Secret) -> Result<Self, TokenError> {
        let mut header =
            HeaderValue::from_str(&format!("Bearer {}", token.expose())).map_err(|_| {
                TokenError {
                    http_status: Some(200),
                    message: "the access token is not a valid header value".into(),
                }
            })?;
        header.set_sensitive(true);
        Ok(Self(Arc::new(IssuedToken { token, header })))
    }

    /// The `Authorization` header value.
    pub fn header(&self) -> HeaderValue {
        self.0.header.clone()
    }

    /// The token itself.
    pub fn expose(&self) -> &str {
        self.0.token.expose()
    }
}

impl std::fmt::Debug for AccessToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("AccessToken").field(&self.0.token).finish()
    }
}

/// A token and when to renew it.
#[derive(Debug, Clone)]
pub(crate) struct CachedToken {
    token: AccessToken,
    pub(crate) renew_at: Instant,
}

/// One renewal, shared by every call that found the token stale while it ran. Its outcome,
/// success or failure, reaches all of them at once.
type Renewal = tokio::sync::OnceCell<Result<AccessToken, TokenError>>;

/// The cached access token, renewed single-flight.
#[derive(Debug)]
pub(crate) struct TokenCache {
    /// The current token: read by every call, without waiting while a renewal runs elsewhere.
    current: RwLock<Option<CachedToken>>,
    /// The latest renewal. While it runs, calls that need a token join it.
    renewal: std::sync::Mutex<Option<Arc<Renewal>>>,
    margin: Duration,
}

impl TokenCache {
    pub fn new(margin: Duration) -> Self {
        Self {
            current: RwLock::new(None),
            renewal: std::sync::Mutex::new(None),
            margin,
        }
    }

    /// The current token, fetched with `fetch` when there is none or it is due for renewal.
    ///
    /// However many calls find it stale at once, one of them fetches; the others wait for that
    /// fetch and all wake together when it ends (a lock they took in turn would wake them one by
    /// one). A failed fetch is every waiter's error: a token endpoint that is down sees one
    /// request, not one per waiting call.
    pub async fn token<F, Fut>(&self, fetch: F) -> Result<AccessToken, TokenError>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<TokenResponse, TokenError>>,
    {
        if let Some(token) = self.fresh() {
            return Ok(token);
        }
        let renewal = self.join_renewal();
        renewal
            .get_or_init(|| async {
                // A renewal that ended between the check above and joining this one.
                if let Some(token) = self.fresh() {
                    return Ok(token);
                }
                let cached = self.cache(fetch().await?)?;
                let token = cached.token.clone();
                *self.write() = Some(cached);
                Ok(token)
            })
            .await
            .clone()
    }

    /// A new token after `rejected` was refused (HTTP 401). When another call renewed it in the
    /// meantime, that newer token is returned without a second fetch.
    pub async fn renew<F, Fut>(&self, rejected: &str, fetch: F) -> Result<AccessToken, TokenError>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<TokenResponse, TokenError>>,
    {
        self.forget(rejected);
        self.token(fetch).await
    }

    /// Drops `rejected` (refused with a 401) from the cache, so the next call fetches a new
    /// token; a newer token is kept.
    pub fn forget(&self, rejected: &str) {
        let mut current = self.write();
        if current
            .as_ref()
            .is_some_and(|c| c.token.expose() == rejected)
        {
            *current = None;
        }
    }

    /// The cached token, stale or not (to mask it where an answer echoes it).
    pub fn current(&self) -> Option<AccessToken> {
        let current = self.current.read().unwrap_or_else(PoisonError::into_inner);
        current.as_ref().map(|c| c.token.clone())
    }

    /// The renewal in progress, or a new one when the last has ended.
    fn join_renewal(&self) -> Arc<Renewal> {
        let mut slot = self.renewal.lock().unwrap_or_else(PoisonError::into_inner);
        match slot.as_ref() {
            Some(running) if !running.initialized() => Arc::clone(running),
            _ => Arc::clone(slot.insert(Arc::new(Renewal::new()))),
        }
    }

    /// The cached token, unless it is missing or due for renewal.
    pub(crate) fn fresh(&self) -> Option<AccessToken> {
        let current = self.current.read().unwrap_or_else(PoisonError::into_inner);
        current
            .as_ref()
            .filter(|c| Instant::now() < c.renew_at)
            .map(|c| c.token.clone())
    }

    fn write(&self) -> std::sync::RwLockWriteGuard<'_, Option<CachedToken>> {
        // Only plain data sits behind the lock; a panic elsewhere cannot leave it half-written.
        self.current.write().unwrap_or_else(PoisonError::into_inner)
    }

    pub(crate) fn cache(&self, response: TokenResponse) -> Result<CachedToken, TokenError> {
        let token = response
            .access_token
            .filter(|token| !token.is_empty())
            .ok_or_else(|| TokenError {
                http_status: Some(200),
                message: "the token response has no access token".into(),
            })?;
        let lifetime = token_lifetime(response.expires_in);
        let now = Instant::now();
        let renew_in = lifetime.saturating_sub(self.renewal_lead(lifetime));
        Ok(CachedToken {
            token: AccessToken::new(token)?,
            // Cannot overflow (a day at most); checked all the same, since a panic here would
            // take down the caller's task.
            renew_at: now.checked_add(renew_in).unwrap_or(now),
        })
    }

    /// How long before expiry to renew: the margin (at most a fifth of the lifetime) plus up to
    /// half of it again at random.
    fn renewal_lead(&self, lifetime: Duration) -> Duration {
        let margin = self.margin.min(lifetime / 5);
        margin + (margin / 2).mul_f64(fastrand::f64())
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
            assert_eq!(
                token.access_token.as_ref().map(Secret::expose),
                Some("tok-1")
            );
            assert_eq!(token.expires_in, Some(86399));
            let debug = format!("{token:?}");
            assert!(
                !debug.contains("tok-1") && !debug.contains("ref-1"),
                "{debug}"
            );
        }
    }

    #[test]
    fn any_expires_in_gives_a_lifetime_within_a_day() {
        let table = [
            (None, DEFAULT_TOKEN_LIFETIME),
            (Some(0), DEFAULT_TOKEN_LIFETIME),
            (Some(-5), DEFAULT_TOKEN_LIFETIME),
            (Some(i64::MIN), DEFAULT_TOKEN_LIFETIME),
            (Some(1), Duration::from_secs(1)),
            (Some(86_399), Duration::from_secs(86_399)),
            (Some(1_000_000_000_000), MAX_TOKEN_LIFETIME),
            (Some(i64::MAX), MAX_TOKEN_LIFETIME),
        ];
        for (expires_in, lifetime) in table {
            assert_eq!(token_lifetime(expires_in), lifetime, "{expires_in:?}");
        }
    }

    #[test]
    fn an_access_token_shows_neither_itself_nor_its_header() {
        let token = AccessToken::new(Secret::from("tok-1")).unwrap();
        assert_eq!(
            format!("{token:?}"),
            r#"AccessToken(Secret("** redacted **"))"#
        );
        assert_eq!(token.header().to_str().unwrap(), "Bearer tok-1");
        assert!(token.header().is_sensitive());
    }
}
