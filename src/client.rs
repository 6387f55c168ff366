//! Building a [`Client`] from a [`Config`], and resolving unknown outcomes.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use http::header::{AUTHORIZATION, CONTENT_LENGTH, CONTENT_TYPE, HOST};
use http::{HeaderMap, HeaderName, HeaderValue};

use crate::auth::TokenCache;
use crate::config::Config;
use crate::error::{ConfigError, Error};
use crate::generated::Client;
use crate::types;

/// What the generated [`Client`] carries for the call pipeline: the configuration, the token
/// cache, and the extra headers of [`Client::customize`]. Clones, and customized clients, share
/// the token cache.
#[derive(Clone)]
pub struct ClientState {
    config: Arc<Config>,
    tokens: Arc<TokenCache>,
    /// The attempt timeout the HTTP client was built with; an attempt with another one sets its
    /// own.
    built_attempt_timeout: Duration,
    extra_headers: Option<Arc<HeaderMap>>,
}

impl ClientState {
    pub(crate) fn config(&self) -> &Config {
        &self.config
    }

    pub(crate) fn tokens(&self) -> &TokenCache {
        &self.tokens
    }

    /// The attempt timeout to set on a request, when it is not the HTTP client's own.
    pub(crate) fn attempt_timeout_override(&self) -> Option<Duration> {
        let attempt = self.config.timeouts.attempt;
        (attempt != self.built_attempt_timeout).then_some(attempt)
    }

    /// Headers [`Client::customize`] adds to each call.
    pub(crate) fn extra_headers(&self) -> Option<&HeaderMap> {
        self.extra_headers.as_deref()
    }
}

impl fmt::Debug for ClientState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientState")
            .field("config", &self.config)
            .field(
                "extra_headers",
                &self
                    .extra_headers
                    .iter()
                    .flat_map(|headers| headers.keys())
                    .collect::<Vec<_>>(),
            )
            .finish_non_exhaustive()
    }
}

/// Options for the calls of one [`Client::customize`] handle: the attempt timeout, the total
/// deadline, the attempts of a safe call, and extra headers. Unset options keep the client's.
///
/// ```
/// use std::time::Duration;
/// use enkash::CallOptions;
/// let options = CallOptions::new()
///     .total_timeout(Duration::from_secs(5))
///     .max_attempts(1)
///     .header("x-correlation-id", "order-42")?;
/// # Ok::<(), enkash::Error>(())
/// ```
#[derive(Debug, Clone, Default)]
pub struct CallOptions {
    attempt_timeout: Option<Duration>,
    total_timeout: Option<Duration>,
    max_attempts: Option<u32>,
    headers: HeaderMap,
}

impl CallOptions {
    /// No option set: the client's configuration applies.
    pub fn new() -> Self {
        Self::default()
    }

    /// Each attempt's timeout, from sending to the end of the answer's body.
    pub fn attempt_timeout(mut self, timeout: Duration) -> Self {
        self.attempt_timeout = Some(timeout);
        self
    }

    /// The whole call's deadline: token, attempts and waits.
    pub fn total_timeout(mut self, timeout: Duration) -> Self {
        self.total_timeout = Some(timeout);
        self
    }

    /// Attempts per safe call (1 turns retries off). A call that changes state is resent only on
    /// proof it was not acted on, whatever this says.
    pub fn max_attempts(mut self, attempts: u32) -> Self {
        self.max_attempts = Some(attempts);
        self
    }

    /// An extra header sent with each call. Refused with [`Error::Config`] when the name or value
    /// is not valid HTTP, or the header is one the client sets itself (`authorization`,
    /// `content-type`, `content-length`, `host`).
    pub fn header(mut self, name: &str, value: &str) -> Result<Self, Error> {
        let invalid = |why: String| Error::Config(ConfigError::new(why));
        let name = HeaderName::from_bytes(name.as_bytes()).map_err(|_| {
            invalid(format!(
                "header name `{}` is not valid HTTP",
                name.escape_debug()
            ))
        })?;
        if [AUTHORIZATION, CONTENT_TYPE, CONTENT_LENGTH, HOST].contains(&name) {
            return Err(invalid(format!(
                "header `{name}` is set by the client itself"
            )));
        }
        let value = HeaderValue::from_str(value).map_err(|_| {
            invalid(format!(
                "header `{name}` has a value that is not valid HTTP"
            ))
        })?;
        self.headers.append(name, value);
        Ok(self)
    }
}

/// The outcome of a money-moving call, settled by a lookup.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum Resolution {
    /// The bill exists: the original call went through. Do not send it again.
    WentThrough(Box<types::UtilityPaymentV2Response>),
    /// EnKash has no bill with this reference ("No utility payment found"): the original call
    /// did not go through and may be sent again with the same `referenceId`.
    DidNotGoThrough,
}

impl Client {
    /// A client for the configured EnKash environment.
    ///
    /// ```
    /// use enkash::{Client, Config, Credentials};
    /// let config = Config::builder()
    ///     .base_url("http://127.0.0.1:8787")
    ///     .credentials(Credentials {
    ///         client_id: "CEKFOWV7UQ".into(),
    ///         client_secret: "client-secret".into(),
    ///         username: "ops@example.com".into(),
    ///         password: "password".into(),
    ///     })
    ///     .build()?;
    /// let client = Client::from_config(config)?;
    /// # Ok::<(), enkash::Error>(())
    /// ```
    pub fn from_config(config: Config) -> Result<Client, Error> {
        Self::from_config_and_http(config, reqwest::Client::builder())
    }

    /// A client whose HTTP client is built from `http`, a `reqwest::ClientBuilder` of your own:
    /// your root certificates, client identity (mutual TLS), proxies, local address, DNS resolver
    /// and pool settings are kept. The TLS backend is the crate's (see [`crate::tls`]; with the
    /// default `tls-ring`, TLS settings are kept only when the process installed a default
    /// rustls provider).
    ///
    /// The rules of the client are set on top and cannot be undone by `http`: redirects are
    /// never followed, an `https://` base URL refuses plain HTTP, and the connect and attempt
    /// timeouts, pool idle timeout, `User-Agent` and proxy setting of `config` apply (the
    /// attempt loop and its total deadline are the client's own, whatever `http` says). A
    /// ready-built `reqwest::Client` is not taken, because whether it follows redirects cannot
    /// be checked, and following one could send a payment twice.
    ///
    /// ```
    /// use enkash::{Client, Config, Credentials};
    /// let config = Config::builder()
    ///     .base_url("http://127.0.0.1:8787")
    ///     .credentials(Credentials {
    ///         client_id: "CEKFOWV7UQ".into(),
    ///         client_secret: "client-secret".into(),
    ///         username: "ops@example.com".into(),
    ///         password: "password".into(),
    ///     })
    ///     .build()?;
    /// let http = reqwest::Client::builder()
    ///     .pool_max_idle_per_host(4)
    ///     .local_address(std::net::IpAddr::from([127, 0, 0, 1]));
    /// let client = Client::from_config_and_http(config, http)?;
    /// # Ok::<(), enkash::Error>(())
    /// ```
    pub fn from_config_and_http(
        config: Config,
        http: reqwest::ClientBuilder,
    ) -> Result<Client, Error> {
        config.check_ranges()?;
        let base_url = config.environment.base_url().to_owned();
        let https = reqwest::Url::parse(&base_url).is_ok_and(|url| url.scheme() == "https");
        let http = crate::tls::apply(config.proxy.apply(http)?, https)?
            // EnKash documents no redirect: a 3XX is an error (`Error::Redirected`), so a token
            // form or a money-moving body never goes anywhere but the base URL.
            .redirect(reqwest::redirect::Policy::none())
            // HTTPS only, unless the base URL itself is plain HTTP (a sandbox, a local test).
            .https_only(https)
            .connect_timeout(config.timeouts.connect)
            .pool_idle_timeout(config.pool_idle_timeout)
            // Every attempt's timeout; the driver only shortens it to the call's deadline.
            .timeout(config.timeouts.attempt)
            .user_agent(config.user_agent.clone())
            .build()
            .map_err(|err| {
                Error::Config(ConfigError::new(format!(
                    "cannot build the HTTP client: {err}"
                )))
            })?;
        let state = ClientState {
            tokens: Arc::new(TokenCache::new(config.token_refresh_margin)),
            built_attempt_timeout: config.timeouts.attempt,
            config: Arc::new(config),
            extra_headers: None,
        };
        Ok(Client::new_with_client(&base_url, http, state))
    }

    /// A handle on this client whose calls use `options`: for one call, or a few, without a
    /// second client. It shares the connection pool and the token cache; options not set keep
    /// this client's.
    ///
    /// Fails with [`Error::Config`] when an option is out of range, as the configuration would.
    ///
    /// ```no_run
    /// # async fn run(client: enkash::Client) -> Result<(), enkash::Error> {
    /// use std::time::Duration;
    /// use enkash::CallOptions;
    /// let bill = client
    ///     .customize(CallOptions::new().total_timeout(Duration::from_secs(5)))?
    ///     .get_utility_bill_status()
    ///     .utility_enkash_id("UTIL-1")
    ///     .send()
    ///     .await?;
    /// # Ok(())
    /// # }
    /// ```
    pub fn customize(&self, options: CallOptions) -> Result<Client, Error> {
        let mut config = self.inner.config().clone();
        if let Some(timeout) = options.attempt_timeout {
            config.timeouts.attempt = timeout;
        }
        if let Some(timeout) = options.total_timeout {
            config.timeouts.total = timeout;
        }
        if let Some(attempts) = options.max_attempts {
            config.retry = config.retry.with_max_attempts(attempts);
        }
        config.check_ranges()?;
        let mut headers = self.inner.extra_headers().cloned().unwrap_or_default();
        headers.extend(options.headers);
        let state = ClientState {
            config: Arc::new(config),
            tokens: self.inner.tokens.clone(),
            built_attempt_timeout: self.inner.built_attempt_timeout,
            extra_headers: (!headers.is_empty()).then(|| Arc::new(headers)),
        };
        Ok(Client::new_with_client(
            &self.baseurl,
            self.client.clone(),
            state,
        ))
    }

    /// A client configured from `ENKASH_*` environment variables ([`Config::from_env`]).
    pub fn from_env() -> Result<Client, Error> {
        Self::from_config(Config::from_env()?)
    }

    /// The configuration this client was built with.
    pub fn config(&self) -> &Config {
        self.inner.config()
    }

    /// Settles an unknown outcome of a bill creation by looking the bill up by `referenceId`,
    /// as the docs prescribe (they advise waiting 2 to 5 minutes after the failed call first).
    ///
    /// Returns [`Resolution::WentThrough`] when the bill exists and
    /// [`Resolution::DidNotGoThrough`] on EnKash's documented "No utility payment found"; any
    /// other failure leaves the outcome unknown and is returned as the error.
    ///
    /// An empty or blank `reference_id` is refused with [`Error::InvalidRequest`] before anything
    /// is sent, as every blank path parameter is: no lookup could settle a call by it.
    pub async fn resolve_by_reference_id(&self, reference_id: &str) -> Result<Resolution, Error> {
        match self
            .get_utility_bill_by_reference_id()
            .reference_id(reference_id)
            .send()
            .await
        {
            Ok(bill) => Ok(Resolution::WentThrough(Box::new(bill))),
            Err(err) if err.is_not_found() => Ok(Resolution::DidNotGoThrough),
            Err(err) => Err(err),
        }
    }
}
