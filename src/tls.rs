//! The TLS backend, chosen with cargo features.
//!
//! | feature | backend | what a clean build compiles |
//! |---|---|---|
//! | `tls-ring` (default) | rustls with *ring* | Rust, plus *ring*'s C and assembly through the C compiler rustc already links with |
//! | `tls-aws-lc` | rustls with aws-lc-rs (reqwest's own default) | `aws-lc-sys`, C code that needs cmake on some platforms |
//! | `tls-native` | the platform's TLS (OpenSSL on Linux, Secure Transport, SChannel) | OpenSSL's headers on Linux |
//!
//! When several are on (as with `--all-features`), the first of `tls-native`, `tls-aws-lc`,
//! `tls-ring` is used. With none, only an `http://` base URL (a sandbox) can be configured.
//!
//! With `tls-ring`, the client hands reqwest a rustls configuration of its own (*ring*, the
//! platform's certificate verifier, HTTP/2 and HTTP/1.1), because reqwest compiled without
//! aws-lc has no provider to fall back on. That configuration replaces the TLS settings of a
//! builder given to [`Client::from_config_and_http`](crate::Client::from_config_and_http)
//! (root certificates, client identity), unless the process has installed a default rustls
//! provider, in which case reqwest builds TLS from the builder's own settings. For mutual TLS
//! or private roots, install one at start-up
//! (`rustls::crypto::ring::default_provider().install_default()`) or use `tls-aws-lc` or
//! `tls-native`.

use crate::error::{ConfigError, Error};

/// A TLS implementation the crate can be built with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum TlsBackend {
    /// rustls with the *ring* provider (feature `tls-ring`, the default).
    RustlsRing,
    /// rustls with the aws-lc-rs provider (feature `tls-aws-lc`).
    RustlsAwsLc,
    /// The platform's TLS through native-tls (feature `tls-native`).
    NativeTls,
}

impl TlsBackend {
    /// The backend this build of the crate uses, or `None` when no TLS feature is on.
    ///
    /// ```
    /// // The default features choose rustls with ring.
    /// # #[cfg(all(feature = "tls-ring", not(feature = "tls-aws-lc"), not(feature = "tls-native")))]
    /// assert_eq!(enkash::tls::TlsBackend::selected(), Some(enkash::tls::TlsBackend::RustlsRing));
    /// ```
    pub const fn selected() -> Option<TlsBackend> {
        if cfg!(feature = "tls-native") {
            Some(TlsBackend::NativeTls)
        } else if cfg!(feature = "tls-aws-lc") {
            Some(TlsBackend::RustlsAwsLc)
        } else if cfg!(feature = "tls-ring") {
            Some(TlsBackend::RustlsRing)
        } else {
            None
        }
    }
}

/// Sets the selected backend on `http`; without one, refuses an `https://` base URL.
pub(crate) fn apply(
    http: reqwest::ClientBuilder,
    https: bool,
) -> Result<reqwest::ClientBuilder, Error> {
    match TlsBackend::selected() {
        #[cfg(feature = "tls-native")]
        Some(TlsBackend::NativeTls) => Ok(http.tls_backend_native()),
        #[cfg(feature = "tls-aws-lc")]
        Some(TlsBackend::RustlsAwsLc) => Ok(http.tls_backend_rustls()),
        #[cfg(feature = "tls-ring")]
        Some(TlsBackend::RustlsRing) => ring(http),
        None if https => Err(Error::Config(ConfigError::new(
            "the base URL is https:// but enkash was built without a TLS feature \
             (tls-ring, tls-aws-lc or tls-native)",
        ))),
        _ => Ok(http),
    }
}

#[cfg(feature = "tls-ring")]
fn ring(http: reqwest::ClientBuilder) -> Result<reqwest::ClientBuilder, Error> {
    use rustls_platform_verifier::BuilderVerifierExt;

    if rustls::crypto::CryptoProvider::get_default().is_some() {
        // The process chose its provider: reqwest builds TLS from the builder's settings.
        return Ok(http.tls_backend_rustls());
    }
    let tls_error =
        |err: rustls::Error| Error::Config(ConfigError::new(format!("cannot set up TLS: {err}")));
    let provider = std::sync::Arc::new(rustls::crypto::ring::default_provider());
    let mut tls = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(tls_error)?
        .with_platform_verifier()
        .map_err(tls_error)?
        .with_no_client_auth();
    // What reqwest offers itself with HTTP/2 on.
    tls.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Ok(http.tls_backend_preconfigured(tls))
}

/// A `reqwest::ClientBuilder` with this crate's TLS backend set, for other HTTP clients in the
/// same build.
///
/// With `tls-ring`, reqwest is compiled without a default rustls provider, and reqwest panics
/// when it builds a client that has none (a crate of yours that uses reqwest with no TLS
/// feature of its own meets this too). A builder from here, or a process-wide provider
/// installed at start-up, avoids it.
///
/// ```
/// let http = enkash::tls::client_builder()?.build().expect("a client");
/// # drop(http);
/// # Ok::<(), enkash::Error>(())
/// ```
pub fn client_builder() -> Result<reqwest::ClientBuilder, Error> {
    apply(reqwest::Client::builder(), false)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Client, Config};

    fn config(base_url: &str) -> Config {
        let vars = [
            ("ENKASH_BASE_URL", base_url),
            ("ENKASH_CLIENT_ID", "CEKFOWV7UQ"),
            ("ENKASH_CLIENT_SECRET", "client-secret"),
            ("ENKASH_USERNAME", "ops@example.com"),
            ("ENKASH_PASSWORD", "password"),
        ];
        Config::from_lookup(|name| {
            vars.iter()
                .find(|(var, _)| *var == name)
                .map(|(_, value)| (*value).to_owned())
        })
        .expect("a valid configuration")
    }

    #[test]
    fn an_https_client_builds_with_the_selected_backend() {
        // Under tls-ring alone reqwest has no provider to fall back on: building without the
        // client's own rustls configuration would panic here.
        let built = Client::from_config(config("https://pay-en-uat.enkash.in"));
        match TlsBackend::selected() {
            Some(_) => assert!(built.is_ok(), "{:?}", built.err()),
            None => assert_eq!(
                built.err().map(|err| err.to_string()),
                Some(
                    "invalid enkash configuration: the base URL is https:// but enkash was built \
                     without a TLS feature (tls-ring, tls-aws-lc or tls-native)"
                        .to_owned()
                )
            ),
        }
        assert!(client_builder().is_ok_and(|http| http.build().is_ok()));
    }
}
