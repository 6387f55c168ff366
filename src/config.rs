//! [`Config`]: where EnKash is, who the client is, and how patient it is.

use std::fmt;
use std::time::Duration;

use crate::error::{ConfigError, Error};
use crate::retry::RetryPolicy;
use crate::secret::Secret;

/// EnKash's UAT host, the only Bill Payment host the docs publish.
pub const UAT_BASE_URL: &str = "https://pay-en-uat.enkash.in";

/// Which EnKash to talk to.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Environment {
    /// EnKash UAT, [`UAT_BASE_URL`].
    Uat,
    /// EnKash production. The docs do not publish its host: use the one EnKash gives you.
    Production {
        /// Base URL, e.g. `https://...enkash.in`.
        base_url: String,
    },
    /// Any other server speaking the API (a sandbox, a mock, a proxy).
    Custom {
        /// Base URL, e.g. `http://127.0.0.1:8787`.
        base_url: String,
    },
}

impl Environment {
    /// The base URL requests go to, without a trailing slash.
    pub fn base_url(&self) -> &str {
        match self {
            Environment::Uat => UAT_BASE_URL,
            Environment::Production { base_url } | Environment::Custom { base_url } => {
                base_url.trim_end_matches('/')
            }
        }
    }
}

/// The credentials the token call needs, built with named fields so the two secrets cannot be
/// swapped with the two identifiers.
///
/// Secrets are [`Secret`]s: `Debug` never prints them.
///
/// ```
/// use enkash::Credentials;
/// let credentials = Credentials {
///     client_id: "CEKFOWV7UQ".into(),
///     client_secret: "client-secret".into(),
///     username: "finance.ops@example.com".into(),
///     password: "correct-horse-battery-staple".into(),
/// };
/// assert_eq!(
///     format!("{credentials:?}"),
///     r#"Credentials { client_id: "CEKFOWV7UQ", client_secret: Secret("** redacted **"), username: "finance.ops@example.com", password: Secret("** redacted **") }"#
/// );
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Credentials {
    /// Client id (`CEK...`), sent in the form body and in HTTP Basic.
    pub client_id: String,
    /// Client secret, sent in HTTP Basic.
    pub client_secret: Secret,
    /// The portal user's registered e-mail id.
    pub username: String,
    /// That user's password.
    pub password: Secret,
}

impl Credentials {
    /// Client id and secret, and the portal user's e-mail id and password, by position.
    #[deprecated(
        since = "0.1.0",
        note = "four positional strings, two of them secrets, are easy to swap: write \
                `Credentials { client_id, client_secret, username, password }`"
    )]
    pub fn new(
        client_id: impl Into<String>,
        client_secret: impl Into<Secret>,
        username: impl Into<String>,
        password: impl Into<Secret>,
    ) -> Self {
        Self {
            client_id: client_id.into(),
            client_secret: client_secret.into(),
            username: username.into(),
            password: password.into(),
        }
    }
}

/// How long the client waits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct Timeouts {
    /// To establish a connection.
    pub connect: Duration,
    /// For one attempt, from sending to the end of the answer's body.
    pub attempt: Duration,
    /// For a whole call: its attempts and the waits between them.
    pub total: Duration,
}

impl Timeouts {
    /// These timeouts with another connect timeout.
    pub fn with_connect(mut self, timeout: Duration) -> Self {
        self.connect = timeout;
        self
    }

    /// These timeouts with another per-attempt timeout.
    pub fn with_attempt(mut self, timeout: Duration) -> Self {
        self.attempt = timeout;
        self
    }

    /// These timeouts with another total timeout.
    pub fn with_total(mut self, timeout: Duration) -> Self {
        self.total = timeout;
        self
    }
}

impl Default for Timeouts {
    /// Connect 5 s, attempt 30 s, total 60 s.
    fn default() -> Self {
        Self {
            connect: Duration::from_secs(5),
            attempt: Duration::from_secs(30),
            total: Duration::from_secs(60),
        }
    }
}

/// Everything a [`crate::Client`] needs. Build it with [`Config::builder`] or [`Config::from_env`].
#[derive(Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Config {
    /// Which EnKash.
    pub environment: Environment,
    /// Who the client is.
    pub credentials: Credentials,
    /// How long it waits.
    pub timeouts: Timeouts,
    /// When it retries safe calls.
    pub retry: RetryPolicy,
    /// `User-Agent` header.
    pub user_agent: String,
    /// Renew the token this long before it expires (at most a fifth of its lifetime), plus up to
    /// half as much again at random, so a fleet of clients does not renew in step.
    pub token_refresh_margin: Duration,
    /// Largest response body the client reads; a larger one is an error, not an allocation.
    pub max_response_bytes: usize,
    /// How long an idle pooled connection is kept for reuse. Below the idle timeouts of common
    /// load balancers (60 s and more), so the client drops a connection before they close it.
    pub pool_idle_timeout: Duration,
    /// Which proxy connections go through: the standard variables by default.
    pub proxy: ProxySetting,
    /// How [`crate::Client::create_bill_once`] and [`crate::Client::confirm_debit_once`] settle
    /// an unknown outcome: wait 5 minutes before each lookup, 3 lookups, by default.
    pub settle: crate::exactly_once::SettlePolicy,
}

/// Which proxy the client's connections go through.
///
/// `Debug` never prints a proxy URL, which may hold a user name and password.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum ProxySetting {
    /// The standard variables, as reqwest reads them: `HTTPS_PROXY` (`https_proxy`),
    /// `HTTP_PROXY`, `ALL_PROXY`, with `NO_PROXY` naming the hosts reached directly.
    #[default]
    FromEnvironment,
    /// No proxy, whatever the environment says.
    Off,
    /// Every connection through this proxy (`http://user:password@proxy.internal:3128`).
    Url(Secret),
}

impl ProxySetting {
    /// Reads `ENKASH_PROXY`: unset or empty for [`ProxySetting::FromEnvironment`], `off` for
    /// [`ProxySetting::Off`], anything else is the proxy's URL.
    fn from_variable(value: Option<String>) -> Self {
        match value.as_deref().map(str::trim) {
            None | Some("") => ProxySetting::FromEnvironment,
            Some("off") => ProxySetting::Off,
            Some(url) => ProxySetting::Url(url.to_owned().into()),
        }
    }

    /// The proxy for reqwest, or why the setting cannot be one (never quoting the URL).
    pub(crate) fn apply(
        &self,
        http: reqwest::ClientBuilder,
    ) -> Result<reqwest::ClientBuilder, Error> {
        Ok(match self {
            ProxySetting::FromEnvironment => http,
            ProxySetting::Off => http.no_proxy(),
            ProxySetting::Url(url) => {
                http.proxy(reqwest::Proxy::all(url.expose()).map_err(|_| {
                    config_error("the proxy is not a valid URL (http://, https:// or socks5://)")
                })?)
            }
        })
    }
}

impl fmt::Debug for Config {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Config")
            .field("environment", &self.environment)
            .field("credentials", &self.credentials)
            .field("timeouts", &self.timeouts)
            .field("retry", &self.retry)
            .field("user_agent", &self.user_agent)
            .field("token_refresh_margin", &self.token_refresh_margin)
            .field("max_response_bytes", &self.max_response_bytes)
            .field("pool_idle_timeout", &self.pool_idle_timeout)
            .field("proxy", &self.proxy)
            .field("settle", &self.settle)
            .finish()
    }
}

/// Default `User-Agent`.
pub const DEFAULT_USER_AGENT: &str = concat!("enkash-rust/", env!("CARGO_PKG_VERSION"));

/// Default [`Config::max_response_bytes`]: 16 MiB, far above any documented response.
pub const DEFAULT_MAX_RESPONSE_BYTES: usize = 16 * 1024 * 1024;

/// Default [`Config::pool_idle_timeout`]: 15 s.
pub const DEFAULT_POOL_IDLE_TIMEOUT: Duration = Duration::from_secs(15);

impl Config {
    /// A builder with defaults for everything but the credentials.
    pub fn builder() -> ConfigBuilder {
        ConfigBuilder::default()
    }

    /// Reads the configuration from `ENKASH_*` environment variables:
    ///
    /// | variable | meaning | default |
    /// |---|---|---|
    /// | `ENKASH_CLIENT_ID`, `ENKASH_CLIENT_SECRET` | client credentials | required |
    /// | `ENKASH_USERNAME`, `ENKASH_PASSWORD` | portal user | required |
    /// | `ENKASH_ENVIRONMENT` | `uat`, `production` or `custom` | `uat`, or `custom` when `ENKASH_BASE_URL` is set |
    /// | `ENKASH_BASE_URL` | base URL (required for `production` and `custom`) | UAT |
    /// | `ENKASH_CONNECT_TIMEOUT_MS`, `ENKASH_ATTEMPT_TIMEOUT_MS`, `ENKASH_TOTAL_TIMEOUT_MS` | timeouts | 5000, 30000, 60000 |
    /// | `ENKASH_MAX_ATTEMPTS` | attempts per safe call (1 turns retries off) | 3 |
    /// | `ENKASH_USER_AGENT` | `User-Agent` | `enkash-rust/<version>` |
    /// | `ENKASH_POOL_IDLE_TIMEOUT_MS` | how long an idle connection is kept | 15000 |
    /// | `ENKASH_SETTLE_WAIT_MS`, `ENKASH_SETTLE_ROUNDS` | [`Config::settle`]: wait before each lookup after an unknown outcome, lookups before giving up | 300000, 3 |
    /// | `ENKASH_PROXY` | a proxy URL, or `off` for none | the standard variables (`HTTPS_PROXY`, `NO_PROXY`, ...) |
    pub fn from_env() -> Result<Config, Error> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// [`Config::from_env`] over any lookup, e.g. a map in tests.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Config, Error> {
        let required = |name: &str| {
            lookup(name)
                .filter(|value| !value.is_empty())
                .ok_or_else(|| config_error(format!("{name} is not set")))
        };
        let millis = |name: &str, default: Duration| -> Result<Duration, Error> {
            match lookup(name) {
                None => Ok(default),
                Some(text) => text
                    .trim()
                    .parse::<u64>()
                    .map(Duration::from_millis)
                    .map_err(|_| {
                        config_error(format!("{name} must be a whole number of milliseconds"))
                    }),
            }
        };
        let base_url = lookup("ENKASH_BASE_URL").filter(|url| !url.is_empty());
        let environment = match (lookup("ENKASH_ENVIRONMENT").as_deref(), base_url) {
            (None | Some("uat"), None) => Environment::Uat,
            (Some("uat"), Some(_)) => {
                return Err(config_error(
                    "ENKASH_BASE_URL is set but ENKASH_ENVIRONMENT is uat; unset one",
                ));
            }
            (Some("production"), Some(base_url)) => Environment::Production { base_url },
            (None | Some("custom"), Some(base_url)) => Environment::Custom { base_url },
            (Some("production" | "custom"), None) => {
                return Err(config_error(
                    "ENKASH_BASE_URL is required for the production and custom environments",
                ));
            }
            (Some(other), _) => {
                return Err(config_error(format!(
                    "ENKASH_ENVIRONMENT must be uat, production or custom, not `{other}`"
                )));
            }
        };
        let defaults = Timeouts::default();
        let mut builder = Config::builder()
            .environment(environment)
            .credentials(Credentials {
                client_id: required("ENKASH_CLIENT_ID")?,
                client_secret: required("ENKASH_CLIENT_SECRET")?.into(),
                username: required("ENKASH_USERNAME")?,
                password: required("ENKASH_PASSWORD")?.into(),
            })
            .timeouts(
                defaults
                    .with_connect(millis("ENKASH_CONNECT_TIMEOUT_MS", defaults.connect)?)
                    .with_attempt(millis("ENKASH_ATTEMPT_TIMEOUT_MS", defaults.attempt)?)
                    .with_total(millis("ENKASH_TOTAL_TIMEOUT_MS", defaults.total)?),
            )
            .pool_idle_timeout(millis(
                "ENKASH_POOL_IDLE_TIMEOUT_MS",
                DEFAULT_POOL_IDLE_TIMEOUT,
            )?);
        if let Some(attempts) = lookup("ENKASH_MAX_ATTEMPTS") {
            let attempts = attempts
                .trim()
                .parse::<u32>()
                .map_err(|_| config_error("ENKASH_MAX_ATTEMPTS must be a whole number"))?;
            builder = builder.retry(RetryPolicy::standard().with_max_attempts(attempts));
        }
        let mut settle = crate::exactly_once::SettlePolicy::default();
        let wait = millis("ENKASH_SETTLE_WAIT_MS", settle.wait)?;
        settle = settle.with_wait(wait);
        if let Some(rounds) = lookup("ENKASH_SETTLE_ROUNDS") {
            let rounds = rounds
                .trim()
                .parse::<u32>()
                .map_err(|_| config_error("ENKASH_SETTLE_ROUNDS must be a whole number"))?;
            settle = settle.with_rounds(rounds);
        }
        builder = builder.settle(settle);
        if let Some(agent) = lookup("ENKASH_USER_AGENT") {
            builder = builder.user_agent(agent);
        }
        builder
            .proxy(ProxySetting::from_variable(lookup("ENKASH_PROXY")))
            .build()
    }
}

fn config_error(message: impl Into<String>) -> Error {
    Error::Config(ConfigError::new(message))
}

/// Builds a [`Config`]; only the credentials have no default.
#[derive(Debug, Clone)]
pub struct ConfigBuilder {
    environment: Environment,
    credentials: Option<Credentials>,
    timeouts: Timeouts,
    retry: RetryPolicy,
    user_agent: String,
    token_refresh_margin: Duration,
    max_response_bytes: usize,
    pool_idle_timeout: Duration,
    proxy: ProxySetting,
    settle: crate::exactly_once::SettlePolicy,
}

impl Default for ConfigBuilder {
    fn default() -> Self {
        Self {
            environment: Environment::Uat,
            credentials: None,
            timeouts: Timeouts::default(),
            retry: RetryPolicy::standard(),
            user_agent: DEFAULT_USER_AGENT.to_owned(),
            token_refresh_margin: Duration::from_secs(60),
            max_response_bytes: DEFAULT_MAX_RESPONSE_BYTES,
            pool_idle_timeout: DEFAULT_POOL_IDLE_TIMEOUT,
            proxy: ProxySetting::FromEnvironment,
            settle: crate::exactly_once::SettlePolicy::default(),
        }
    }
}

impl ConfigBuilder {
    /// Which EnKash (default UAT).
    pub fn environment(mut self, environment: Environment) -> Self {
        self.environment = environment;
        self
    }

    /// Shorthand for [`Environment::Custom`].
    pub fn base_url(self, base_url: impl Into<String>) -> Self {
        self.environment(Environment::Custom {
            base_url: base_url.into(),
        })
    }

    /// Who the client is (required).
    pub fn credentials(mut self, credentials: Credentials) -> Self {
        self.credentials = Some(credentials);
        self
    }

    /// How long the client waits.
    pub fn timeouts(mut self, timeouts: Timeouts) -> Self {
        self.timeouts = timeouts;
        self
    }

    /// When the client retries safe calls.
    pub fn retry(mut self, retry: RetryPolicy) -> Self {
        self.retry = retry;
        self
    }

    /// Which proxy connections go through (default: the standard variables).
    pub fn proxy(mut self, proxy: ProxySetting) -> Self {
        self.proxy = proxy;
        self
    }

    /// `User-Agent` header.
    pub fn user_agent(mut self, user_agent: impl Into<String>) -> Self {
        self.user_agent = user_agent.into();
        self
    }

    /// See [`Config::token_refresh_margin`] (default 60 s).
    pub fn token_refresh_margin(mut self, margin: Duration) -> Self {
        self.token_refresh_margin = margin;
        self
    }

    /// See [`Config::max_response_bytes`] (default 16 MiB).
    pub fn max_response_bytes(mut self, limit: usize) -> Self {
        self.max_response_bytes = limit;
        self
    }

    /// See [`Config::pool_idle_timeout`] (default 15 s).
    pub fn pool_idle_timeout(mut self, timeout: Duration) -> Self {
        self.pool_idle_timeout = timeout;
        self
    }

    /// See [`Config::settle`] (default: wait 5 minutes, 3 lookups).
    pub fn settle(mut self, settle: crate::exactly_once::SettlePolicy) -> Self {
        self.settle = settle;
        self
    }

    /// Checks and builds the configuration.
    pub fn build(self) -> Result<Config, Error> {
        let credentials = self
            .credentials
            .ok_or_else(|| config_error("credentials are required"))?;
        for (name, empty) in [
            ("client id", credentials.client_id.is_empty()),
            ("client secret", credentials.client_secret.is_empty()),
            ("username", credentials.username.is_empty()),
            ("password", credentials.password.is_empty()),
        ] {
            if empty {
                return Err(config_error(format!("the {name} is empty")));
            }
        }
        let base_url = self.environment.base_url();
        let parsed = reqwest::Url::parse(base_url)
            .map_err(|err| config_error(format!("base URL `{base_url}`: {err}")))?;
        if !matches!(parsed.scheme(), "http" | "https") {
            return Err(config_error(format!(
                "base URL `{base_url}` must be http or https"
            )));
        }
        let config = Config {
            environment: self.environment,
            credentials,
            timeouts: self.timeouts,
            retry: self.retry,
            user_agent: self.user_agent,
            token_refresh_margin: self.token_refresh_margin,
            max_response_bytes: self.max_response_bytes,
            pool_idle_timeout: self.pool_idle_timeout,
            proxy: self.proxy,
            settle: self.settle,
        };
        // A proxy URL that reqwest refuses is refused here, not when the client is built.
        let _checked = config.proxy.apply(reqwest::Client::builder())?;
        config.check_ranges()?;
        Ok(config)
    }
}

/// Longest timeout, backoff or refresh margin the client accepts: a day. A longer one is surely
/// a mistake, and adding it to a clock could overflow.
pub const MAX_DURATION_SETTING: Duration = Duration::from_secs(24 * 60 * 60);

/// Most attempts per call the client accepts.
pub const MAX_ATTEMPTS_SETTING: u32 = 100;

impl Config {
    /// Refuses settings out of range, naming the setting: timeouts of zero or over
    /// [`MAX_DURATION_SETTING`], backoffs and the refresh margin over it, more than
    /// [`MAX_ATTEMPTS_SETTING`] attempts, a response limit of zero. The fields are public, so
    /// [`crate::Client::from_config`] checks again.
    pub fn check_ranges(&self) -> Result<(), Error> {
        let durations = [
            ("timeouts.connect", self.timeouts.connect, false),
            ("timeouts.attempt", self.timeouts.attempt, false),
            ("timeouts.total", self.timeouts.total, false),
            ("retry.initial_backoff", self.retry.initial_backoff(), true),
            ("retry.max_backoff", self.retry.max_backoff(), true),
            ("token_refresh_margin", self.token_refresh_margin, true),
            ("pool_idle_timeout", self.pool_idle_timeout, true),
        ];
        for (name, value, zero_allowed) in durations {
            if value.is_zero() && !zero_allowed {
                return Err(config_error(format!("{name} must be longer than zero")));
            }
            if value > MAX_DURATION_SETTING {
                return Err(config_error(format!(
                    "{name} is {value:?}; at most {MAX_DURATION_SETTING:?} is accepted"
                )));
            }
        }
        if self.retry.max_attempts() > MAX_ATTEMPTS_SETTING {
            return Err(config_error(format!(
                "retry.max_attempts is {}; at most {MAX_ATTEMPTS_SETTING} is accepted",
                self.retry.max_attempts()
            )));
        }
        if let Some(why) = self.settle.out_of_range() {
            return Err(config_error(why));
        }
        if self.max_response_bytes == 0 {
            return Err(config_error("max_response_bytes must be at least 1"));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    fn lookup(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let map: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        move |name| map.get(name).cloned()
    }

    const CREDENTIALS: [(&str, &str); 4] = [
        ("ENKASH_CLIENT_ID", "CEKFOWV7UQ"),
        ("ENKASH_CLIENT_SECRET", "client-secret-value"),
        ("ENKASH_USERNAME", "ops@example.com"),
        ("ENKASH_PASSWORD", "password-value"),
    ];

    #[test]
    fn reads_environment_variables() {
        let mut pairs = CREDENTIALS.to_vec();
        pairs.extend([
            ("ENKASH_BASE_URL", "http://127.0.0.1:8787/"),
            ("ENKASH_ATTEMPT_TIMEOUT_MS", "1500"),
            ("ENKASH_MAX_ATTEMPTS", "1"),
        ]);
        let config = Config::from_lookup(lookup(&pairs)).unwrap();
        assert_eq!(config.environment.base_url(), "http://127.0.0.1:8787");
        assert_eq!(config.timeouts.attempt, Duration::from_millis(1500));
        assert_eq!(config.retry.max_attempts(), 1);
        assert_eq!(config.credentials.password.expose(), "password-value");
    }

    #[test]
    fn defaults_to_uat_and_requires_a_url_for_production() {
        let config = Config::from_lookup(lookup(&CREDENTIALS)).unwrap();
        assert_eq!(config.environment, Environment::Uat);
        let mut pairs = CREDENTIALS.to_vec();
        pairs.push(("ENKASH_ENVIRONMENT", "production"));
        let err = Config::from_lookup(lookup(&pairs)).unwrap_err();
        assert!(
            err.to_string().contains("ENKASH_BASE_URL is required"),
            "{err}"
        );
    }

    #[test]
    fn names_the_missing_or_bad_variable() {
        let err = Config::from_lookup(lookup(&CREDENTIALS[..3])).unwrap_err();
        assert_eq!(
            err.to_string(),
            "invalid enkash configuration: ENKASH_PASSWORD is not set"
        );
        let mut pairs = CREDENTIALS.to_vec();
        pairs.push(("ENKASH_TOTAL_TIMEOUT_MS", "soon"));
        let err = Config::from_lookup(lookup(&pairs)).unwrap_err();
        assert!(err.to_string().contains("ENKASH_TOTAL_TIMEOUT_MS"), "{err}");
    }

    #[test]
    fn settings_out_of_range_are_refused_by_name() {
        let base = || {
            Config::builder().credentials(Credentials {
                client_id: "CEKFOWV7UQ".into(),
                client_secret: "client-secret-value".into(),
                username: "ops@example.com".into(),
                password: "password-value".into(),
            })
        };
        let huge = Duration::MAX;
        let cases = [
            (
                base().timeouts(Timeouts::default().with_total(huge)),
                "invalid enkash configuration: timeouts.total is 18446744073709551615.999999999s; \
                 at most 86400s is accepted",
            ),
            (
                base().timeouts(Timeouts::default().with_connect(Duration::ZERO)),
                "invalid enkash configuration: timeouts.connect must be longer than zero",
            ),
            (
                base().retry(RetryPolicy::standard().with_max_backoff(huge)),
                "invalid enkash configuration: retry.max_backoff is 18446744073709551615.999999999s; \
                 at most 86400s is accepted",
            ),
            (
                base().retry(RetryPolicy::standard().with_max_attempts(u32::MAX)),
                "invalid enkash configuration: retry.max_attempts is 4294967295; at most 100 is \
                 accepted",
            ),
            (
                base().token_refresh_margin(huge),
                "invalid enkash configuration: token_refresh_margin is \
                 18446744073709551615.999999999s; at most 86400s is accepted",
            ),
            (
                base().max_response_bytes(0),
                "invalid enkash configuration: max_response_bytes must be at least 1",
            ),
        ];
        for (builder, message) in cases {
            assert_eq!(builder.build().unwrap_err().to_string(), message);
        }
        // The fields are public: a config changed after building is checked by the client.
        let mut config = base().build().unwrap();
        config.timeouts.attempt = huge;
        let err = crate::Client::from_config(config).unwrap_err();
        assert!(err.to_string().contains("timeouts.attempt"), "{err}");
    }

    #[test]
    fn debug_redacts_the_secrets_exactly() {
        let config = Config::from_lookup(lookup(&CREDENTIALS)).unwrap();
        let debug = format!("{:?}", config.credentials);
        assert_eq!(
            debug,
            "Credentials { client_id: \"CEKFOWV7UQ\", client_secret: Secret(\"** redacted **\"), \
             username: \"ops@example.com\", password: Secret(\"** redacted **\") }"
        );
        let all = format!("{config:?} {config:#?}");
        assert!(!all.contains("client-secret-value") && !all.contains("password-value"));
    }
}
