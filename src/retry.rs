//! When a failed attempt is sent again, and after how long.
//!
//! Only calls that are safe to repeat (lookups, search, the token call) are retried after an
//! answer-less failure or a 429/5XX. A call that moves money is sent again only when the request
//! provably never left (the connection could not be made) or was refused unread (HTTP 401, once,
//! after re-authentication).

use std::time::{Duration, SystemTime};

use crate::operation::CallKind;

/// Exponential backoff with jitter and a cap; see [`RetryPolicy::standard`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetryPolicy {
    max_attempts: u32,
    initial_backoff: Duration,
    max_backoff: Duration,
    jitter: bool,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self::standard()
    }
}

impl RetryPolicy {
    /// Three attempts, backoff 200 ms then 400 ms (doubling, capped at 5 s), with full jitter.
    pub fn standard() -> Self {
        Self {
            max_attempts: 3,
            initial_backoff: Duration::from_millis(200),
            max_backoff: Duration::from_secs(5),
            jitter: true,
        }
    }

    /// One attempt, no retries.
    pub fn disabled() -> Self {
        Self {
            max_attempts: 1,
            ..Self::standard()
        }
    }

    /// Attempts per call, the first included (at least 1).
    pub fn with_max_attempts(mut self, attempts: u32) -> Self {
        self.max_attempts = attempts.max(1);
        self
    }

    /// Backoff before the first retry; it doubles each retry.
    pub fn with_initial_backoff(mut self, backoff: Duration) -> Self {
        self.initial_backoff = backoff;
        self
    }

    /// Longest backoff, and longest `Retry-After` the client waits for; a longer `Retry-After`
    /// ends the retries.
    pub fn with_max_backoff(mut self, backoff: Duration) -> Self {
        self.max_backoff = backoff;
        self
    }

    /// Randomise each backoff between zero and its computed value (on by default), so many
    /// clients do not retry in step.
    pub fn with_jitter(mut self, jitter: bool) -> Self {
        self.jitter = jitter;
        self
    }

    /// Attempts per call, the first included.
    pub fn max_attempts(&self) -> u32 {
        self.max_attempts
    }

    /// Backoff before the first retry.
    pub fn initial_backoff(&self) -> Duration {
        self.initial_backoff
    }

    /// Longest backoff.
    pub fn max_backoff(&self) -> Duration {
        self.max_backoff
    }

    /// The wait before retry number `retry` (1 for the first retry), or `None` when the server's
    /// `Retry-After` is longer than this policy waits.
    pub(crate) fn backoff(&self, retry: u32, retry_after: Option<Duration>) -> Option<Duration> {
        if let Some(asked) = retry_after {
            return (asked <= self.max_backoff).then_some(asked);
        }
        let exponent = retry.saturating_sub(1).min(16);
        let computed = self
            .initial_backoff
            .saturating_mul(1 << exponent)
            .min(self.max_backoff);
        Some(if self.jitter {
            // Not `mul_f64`, which panics where the product rounds past `Duration::MAX`.
            Duration::try_from_secs_f64(computed.as_secs_f64() * fastrand::f64())
                .unwrap_or(computed)
        } else {
            computed
        })
    }
}

/// How an attempt ended, as far as retrying is concerned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum AttemptOutcome {
    /// A connection could not be made: the request never left.
    NotSent,
    /// The request was (or may have been) sent and no complete answer came.
    NoAnswer,
    /// An answer with this HTTP status.
    Status(u16),
}

/// Whether an attempt that ended so may be sent again.
pub(crate) fn is_retryable(kind: CallKind, outcome: AttemptOutcome) -> bool {
    match (kind, outcome) {
        (_, AttemptOutcome::NotSent) => true,
        (CallKind::Lookup, AttemptOutcome::NoAnswer) => true,
        (CallKind::Lookup, AttemptOutcome::Status(status)) => {
            matches!(status, 429 | 500 | 502 | 503 | 504)
        }
        (CallKind::Write | CallKind::MoneyMoving, _) => false,
    }
}

/// Whether a 401 proves the request was refused unread: an RFC 6750 challenge
/// `WWW-Authenticate: Bearer ... error="invalid_token"` (the token was expired, revoked or
/// malformed). A bare 401 proves nothing: a proxy or a server may have acted on the request first.
pub(crate) fn refused_unread(headers: &reqwest::header::HeaderMap) -> bool {
    headers
        .get_all(reqwest::header::WWW_AUTHENTICATE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .any(is_invalid_token_challenge)
}

fn is_invalid_token_challenge(challenge: &str) -> bool {
    let Some((scheme, params)) = challenge.trim_start().split_once(' ') else {
        return false;
    };
    scheme.eq_ignore_ascii_case("bearer")
        && params.split(',').any(|param| {
            param.split_once('=').is_some_and(|(name, value)| {
                name.trim().eq_ignore_ascii_case("error")
                    && value.trim().trim_matches('"') == "invalid_token"
            })
        })
}

/// Reads a `Retry-After` header: delay-seconds or an HTTP date.
pub(crate) fn parse_retry_after(value: &str, now: SystemTime) -> Option<Duration> {
    let value = value.trim();
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    let at = httpdate::parse_http_date(value).ok()?;
    Some(at.duration_since(now).unwrap_or(Duration::ZERO))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_an_invalid_token_challenge_proves_a_401_unread() {
        let table = [
            (r#"Bearer error="invalid_token""#, true),
            (
                r#"Bearer realm="enkash", error="invalid_token", error_description="expired""#,
                true,
            ),
            (r#"bearer error=invalid_token"#, true),
            (r#"Bearer realm="enkash""#, false),
            (r#"Bearer error="insufficient_scope""#, false),
            (r#"Basic realm="oauth2/client""#, false),
            ("", false),
        ];
        for (challenge, proven) in table {
            let mut headers = reqwest::header::HeaderMap::new();
            if !challenge.is_empty() {
                headers.insert(
                    reqwest::header::WWW_AUTHENTICATE,
                    challenge.parse().unwrap(),
                );
            }
            assert_eq!(refused_unread(&headers), proven, "{challenge}");
        }
    }
    use AttemptOutcome::*;
    use CallKind::*;

    #[test]
    fn only_safe_calls_are_retried_after_an_answerless_failure() {
        let table = [
            (Lookup, NotSent, true),
            (Lookup, NoAnswer, true),
            (Lookup, Status(429), true),
            (Lookup, Status(500), true),
            (Lookup, Status(502), true),
            (Lookup, Status(503), true),
            (Lookup, Status(504), true),
            (Lookup, Status(400), false),
            (Lookup, Status(412), false),
            (Lookup, Status(422), false),
            (Lookup, Status(200), false),
            (MoneyMoving, NotSent, true),
            (MoneyMoving, NoAnswer, false),
            (MoneyMoving, Status(429), false),
            (MoneyMoving, Status(500), false),
            (MoneyMoving, Status(503), false),
            (MoneyMoving, Status(504), false),
            (Write, NotSent, true),
            (Write, NoAnswer, false),
            (Write, Status(503), false),
        ];
        for (kind, outcome, expected) in table {
            assert_eq!(
                is_retryable(kind, outcome),
                expected,
                "{kind:?} {outcome:?}"
            );
        }
    }

    #[test]
    fn backoff_doubles_up_to_the_cap_without_jitter() {
        let policy = RetryPolicy::standard()
            .with_jitter(false)
            .with_initial_backoff(Duration::from_millis(100))
            .with_max_backoff(Duration::from_millis(700));
        let waits: Vec<_> = (1..=5)
            .map(|retry| policy.backoff(retry, None).unwrap().as_millis())
            .collect();
        assert_eq!(waits, [100, 200, 400, 700, 700]);
    }

    #[test]
    fn jitter_stays_within_the_computed_backoff() {
        let policy = RetryPolicy::standard().with_initial_backoff(Duration::from_millis(100));
        for _ in 0..1000 {
            assert!(policy.backoff(2, None).unwrap() <= Duration::from_millis(200));
        }
    }

    #[test]
    fn retry_after_is_honoured_up_to_the_cap() {
        let policy = RetryPolicy::standard().with_max_backoff(Duration::from_secs(5));
        assert_eq!(
            policy.backoff(1, Some(Duration::from_secs(2))),
            Some(Duration::from_secs(2))
        );
        assert_eq!(policy.backoff(1, Some(Duration::from_secs(60))), None);
    }

    #[test]
    fn retry_after_reads_seconds_and_http_dates() {
        let now = httpdate::parse_http_date("Sun, 22 Nov 2026 10:00:00 GMT").unwrap();
        assert_eq!(parse_retry_after("3", now), Some(Duration::from_secs(3)));
        assert_eq!(
            parse_retry_after("Sun, 22 Nov 2026 10:00:07 GMT", now),
            Some(Duration::from_secs(7))
        );
        assert_eq!(
            parse_retry_after("Sun, 22 Nov 2026 09:00:00 GMT", now),
            Some(Duration::ZERO)
        );
        assert_eq!(parse_retry_after("soon", now), None);
    }

    #[test]
    fn disabled_means_one_attempt() {
        assert_eq!(RetryPolicy::disabled().max_attempts(), 1);
        assert_eq!(
            RetryPolicy::standard().with_max_attempts(0).max_attempts(),
            1
        );
    }
}
