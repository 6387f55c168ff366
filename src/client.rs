//! Building a [`Client`] from a [`Config`], and resolving unknown outcomes.

use std::fmt;
use std::sync::Arc;

use crate::auth::TokenCache;
use crate::config::Config;
use crate::error::{ConfigError, Error};
use crate::generated::Client;
use crate::types;

/// What the generated [`Client`] carries for its hooks: the configuration and the token cache.
/// Shared by clones of the client.
#[derive(Clone)]
pub struct ClientState {
    shared: Arc<Shared>,
}

struct Shared {
    config: Config,
    tokens: TokenCache,
}

impl ClientState {
    pub(crate) fn config(&self) -> &Config {
        &self.shared.config
    }

    pub(crate) fn tokens(&self) -> &TokenCache {
        &self.shared.tokens
    }
}

impl fmt::Debug for ClientState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientState")
            .field("config", &self.shared.config)
            .finish_non_exhaustive()
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
    /// your root certificates, client identity (mutual TLS), TLS backend, proxies, local address,
    /// DNS resolver and pool settings are kept.
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
        let http = config
            .proxy
            .apply(http)?
            // EnKash documents no redirect: a 3XX is an error (`Error::Redirected`), so a token
            // form or a money-moving body never goes anywhere but the base URL.
            .redirect(reqwest::redirect::Policy::none())
            // HTTPS only, unless the base URL itself is plain HTTP (a sandbox, a local test).
            .https_only(reqwest::Url::parse(&base_url).is_ok_and(|url| url.scheme() == "https"))
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
            shared: Arc::new(Shared {
                tokens: TokenCache::new(config.token_refresh_margin),
                config,
            }),
        };
        Ok(Client::new_with_client(&base_url, http, state))
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
