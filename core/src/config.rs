//! Client configuration: where PassFort is, how to authenticate, how long to wait.

use std::fmt;
use std::time::Duration;

use crate::error::{Error, Result};

/// The production API.
pub const DEFAULT_BASE_URL: &str = "https://api.passfort.com/4.0";
/// Environment variable read when no API key is given.
pub const ENV_API_KEY: &str = "PASSFORT_API_KEY";
/// Environment variable read when no base URL is given.
pub const ENV_BASE_URL: &str = "PASSFORT_BASE_URL";

/// An API key or shared secret. Its `Debug` and `Display` never show it.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    /// The secret itself; call only where it is sent.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(***)")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

/// Everything a [`crate::Client`] is built from. Build one with [`crate::Client::builder`].
#[derive(Clone, Debug)]
pub struct ClientConfig {
    pub(crate) api_key: Secret,
    /// The shared secret PassFort sends with webhooks; needed to receive them.
    pub(crate) webhook_secret: Option<Secret>,
    /// Without a trailing slash, e.g. `https://api.passfort.com/4.0`.
    pub base_url: String,
    pub connect_timeout: Duration,
    /// Whole-request timeout for every call but sync check runs.
    pub request_timeout: Duration,
    /// Timeout for check runs that may be held open: PassFort holds a sync run
    /// up to 120 s before switching it to async, so this must be longer.
    pub sync_timeout: Duration,
    /// Retries after the first attempt, for requests that may be retried.
    pub max_retries: u32,
    /// First backoff step; each further step doubles, with full jitter.
    pub backoff_base: Duration,
    /// Largest backoff step.
    pub backoff_max: Duration,
    /// The longest server-requested wait (`Retry-After`) we honour before
    /// giving up and surfacing the rate limit to the caller instead.
    pub max_retry_wait: Duration,
    /// Responses larger than this are not read into memory.
    pub max_response_bytes: usize,
    /// After a check creation whose answer was lost, how long to keep
    /// looking for the check it may have created before sending it again.
    pub reconcile_grace: Duration,
    /// How far PassFort's clock may lag ours when matching a found check's
    /// `instructed_on` (whole seconds) against the time we sent the request.
    pub clock_skew: Duration,
    /// `passfort-sdk/<version>` plus this, e.g. `python/3.11`.
    pub user_agent: String,
    /// Requests in flight at once (so connections open at once, over
    /// HTTP/1.1); further requests wait for one to finish. Bounds the memory
    /// and sockets of thousands of concurrent calls.
    pub max_connections: usize,
}

/// Builds a [`crate::Client`]; unset values come from the environment, then defaults.
#[derive(Clone, Debug, Default)]
pub struct ClientBuilder {
    api_key: Option<Secret>,
    webhook_secret: Option<Secret>,
    base_url: Option<String>,
    connect_timeout: Option<Duration>,
    request_timeout: Option<Duration>,
    sync_timeout: Option<Duration>,
    max_retries: Option<u32>,
    backoff_base: Option<Duration>,
    backoff_max: Option<Duration>,
    max_retry_wait: Option<Duration>,
    max_response_bytes: Option<usize>,
    reconcile_grace: Option<Duration>,
    clock_skew: Option<Duration>,
    max_connections: Option<usize>,
    binding: Option<String>,
}

impl ClientBuilder {
    /// The API key; falls back to `PASSFORT_API_KEY`.
    pub fn api_key(mut self, key: impl Into<String>) -> Self {
        self.api_key = Some(Secret::new(key));
        self
    }

    /// The webhook shared secret, to receive PassFort's webhooks through this client.
    pub fn webhook_secret(mut self, secret: impl Into<String>) -> Self {
        self.webhook_secret = Some(Secret::new(secret));
        self
    }

    /// The API root, e.g. `http://127.0.0.1:8080/4.0`; falls back to
    /// `PASSFORT_BASE_URL`, then to the production API.
    pub fn base_url(mut self, url: impl Into<String>) -> Self {
        self.base_url = Some(url.into());
        self
    }

    /// Default 10 s.
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = Some(timeout);
        self
    }

    /// Default 30 s.
    pub fn request_timeout(mut self, timeout: Duration) -> Self {
        self.request_timeout = Some(timeout);
        self
    }

    /// Requests in flight at once; default 256. A sync check run holds
    /// one for as long as PassFort takes (up to 120 s).
    pub fn max_connections(mut self, limit: usize) -> Self {
        self.max_connections = Some(limit);
        self
    }

    /// Default 150 s.
    pub fn sync_timeout(mut self, timeout: Duration) -> Self {
        self.sync_timeout = Some(timeout);
        self
    }

    /// Default 2.
    pub fn max_retries(mut self, retries: u32) -> Self {
        self.max_retries = Some(retries);
        self
    }

    /// Default 0.5 s first step, doubling up to 8 s.
    pub fn backoff(mut self, base: Duration, max: Duration) -> Self {
        self.backoff_base = Some(base);
        self.backoff_max = Some(max);
        self
    }

    /// Default 60 s.
    pub fn max_retry_wait(mut self, wait: Duration) -> Self {
        self.max_retry_wait = Some(wait);
        self
    }

    /// Default 32 MiB.
    pub fn max_response_bytes(mut self, bytes: usize) -> Self {
        self.max_response_bytes = Some(bytes);
        self
    }

    /// Default 5 s.
    pub fn reconcile_grace(mut self, grace: Duration) -> Self {
        self.reconcile_grace = Some(grace);
        self
    }

    /// Default 5 s.
    pub fn clock_skew(mut self, skew: Duration) -> Self {
        self.clock_skew = Some(skew);
        self
    }

    /// Names the binding in the user agent, e.g. `python/3.11` or `node/20.1`.
    pub fn binding(mut self, binding: impl Into<String>) -> Self {
        self.binding = Some(binding.into());
        self
    }

    /// Resolves defaults and the environment, and checks the result.
    pub fn config(self) -> Result<ClientConfig> {
        let api_key = match self.api_key {
            Some(key) => key,
            None => Secret::new(std::env::var(ENV_API_KEY).unwrap_or_default()),
        };
        if api_key.expose().trim().is_empty() {
            return Err(Error::Config(format!(
                "no API key: pass one or set {ENV_API_KEY}"
            )));
        }
        if api_key.expose().chars().any(|c| c.is_control()) {
            return Err(Error::Config("the API key contains control characters".into()));
        }
        let base_url = self
            .base_url
            .or_else(|| std::env::var(ENV_BASE_URL).ok().filter(|url| !url.trim().is_empty()))
            .unwrap_or_else(|| DEFAULT_BASE_URL.to_owned());
        let base_url = base_url.trim().trim_end_matches('/').to_owned();
        if !(base_url.starts_with("https://") || base_url.starts_with("http://")) {
            return Err(Error::Config(format!("base URL {base_url:?} must start with https:// or http://")));
        }
        if base_url.contains('?') || base_url.contains('#') {
            return Err(Error::Config("the base URL must not carry a query or fragment".into()));
        }
        let mut user_agent = format!("passfort-sdk/{}", env!("CARGO_PKG_VERSION"));
        if let Some(binding) = self.binding {
            user_agent.push(' ');
            user_agent.push_str(&binding);
        } else {
            user_agent.push_str(" rust");
        }
        if self.webhook_secret.as_ref().is_some_and(|secret| secret.expose().is_empty()) {
            return Err(Error::Config("the webhook secret must not be empty".into()));
        }
        let config = ClientConfig {
            api_key,
            webhook_secret: self.webhook_secret,
            base_url,
            connect_timeout: self.connect_timeout.unwrap_or(Duration::from_secs(10)),
            request_timeout: self.request_timeout.unwrap_or(Duration::from_secs(30)),
            sync_timeout: self.sync_timeout.unwrap_or(Duration::from_secs(150)),
            max_retries: self.max_retries.unwrap_or(2),
            backoff_base: self.backoff_base.unwrap_or(Duration::from_millis(500)),
            backoff_max: self.backoff_max.unwrap_or(Duration::from_secs(8)),
            max_retry_wait: self.max_retry_wait.unwrap_or(Duration::from_secs(60)),
            max_response_bytes: self.max_response_bytes.unwrap_or(32 * 1024 * 1024),
            reconcile_grace: self.reconcile_grace.unwrap_or(Duration::from_secs(5)),
            clock_skew: self.clock_skew.unwrap_or(Duration::from_secs(5)),
            user_agent,
            max_connections: self.max_connections.unwrap_or(256),
        };
        if config.max_connections == 0 {
            return Err(Error::Config("max_connections must be at least 1".into()));
        }
        for (name, value) in [
            ("connect timeout", config.connect_timeout),
            ("request timeout", config.request_timeout),
            ("sync timeout", config.sync_timeout),
        ] {
            if value.is_zero() {
                return Err(Error::Config(format!("the {name} must be greater than zero")));
            }
        }
        Ok(config)
    }

    /// Builds the client.
    pub fn build(self) -> Result<crate::Client> {
        crate::Client::from_config(self.config()?)
    }
}
