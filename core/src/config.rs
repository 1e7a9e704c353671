//! Client configuration: where PassFort is, how to authenticate, how long to wait.

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use crate::args::Dialect;
use crate::error::{Error, Result};

/// The production API.
pub const DEFAULT_BASE_URL: &str = "https://api.passfort.com/4.0";
/// Environment variable read when no API key is given.
pub const ENV_API_KEY: &str = "PASSFORT_API_KEY";
/// Environment variable read when no base URL is given.
pub const ENV_BASE_URL: &str = "PASSFORT_BASE_URL";
/// Environment variable read when no Redis URL is given: set, the client
/// joins a fleet of workers sharing webhooks, de-duplication, the rate
/// budget and the ledger of started checks (see [`crate::fleet`]).
pub const ENV_REDIS_URL: &str = "PASSFORT_REDIS_URL";

/// An API key, shared secret or password. Its `Debug` and `Display` never
/// show it, and its memory is overwritten when it is dropped. Not comparable:
/// compare secrets only in constant time (see `webhooks.rs`).
#[derive(Clone)]
pub struct Secret(zeroize::Zeroizing<String>);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Self(zeroize::Zeroizing::new(value.into()))
    }

    /// The secret itself; call only where it is sent or compared.
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

/// Everything a [`crate::Client`] is built from. Build one with
/// [`crate::Client::builder`]; a hand-made one is checked by
/// [`crate::Client::from_config`] all the same.
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
    /// giving up and surfacing the rate limit to the caller instead. Every
    /// wait a server asks for is capped by it, batches' pauses included.
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
    /// Allows a plain `http://` base URL on a host other than loopback. Off by
    /// default: the API key and personal data would cross the network in clear.
    pub allow_insecure_http: bool,
    /// Puts the start of an undecodable answer's body into errors. Off by
    /// default: PassFort's bodies carry names and dates of birth. For debugging.
    pub include_body_snippets: bool,
    /// How far a webhook envelope's `timestamp` may be from now (the replay
    /// window); `None` turns the check off. Default 5 minutes.
    pub webhook_tolerance: Option<Duration>,
    /// An explicit proxy for every request, `http://` or `https://`, which may
    /// carry `user:password@` (hence a [`Secret`]). `None`: the environment's
    /// `HTTPS_PROXY`/`HTTP_PROXY`/`ALL_PROXY` and `NO_PROXY`, read when the client is built.
    pub(crate) proxy: Option<Secret>,
    /// Extra root certificates, trusted on top of the system's trust store.
    pub(crate) ca_bundle: Option<CaBundle>,
    /// `redis://`, `rediss://` or `unix://`: the fleet's shared state. It may
    /// carry a password (hence a [`Secret`]); `None`: this process alone.
    pub(crate) redis_url: Option<Secret>,
    /// How long a worker's claim on a check it waits for lasts without
    /// renewal; past it, another worker may recover the check. Default 30 s.
    pub fleet_lease: Duration,
    /// The budget of PassFort's rate-limited creations, shared by the fleet
    /// through Redis. `None`: no pacing, unless Redis is on, which paces to
    /// PassFort's documented limit ([`crate::fleet::RateBudget::PASSFORT`]).
    pub rate_budget: Option<crate::fleet::RateBudget>,
}

/// The root certificates of a PEM file, read and checked once when the
/// configuration is made (so a client rebuilt later, after a fork say, does
/// not depend on the file still being there).
#[derive(Clone)]
pub(crate) struct CaBundle {
    path: PathBuf,
    certificates: Arc<Vec<rustls::pki_types::CertificateDer<'static>>>,
}

/// A CA bundle larger than this is refused unread: a system's whole trust
/// store is well under 1 MiB, and a path such as `/dev/zero` must not hang.
const MAX_CA_BUNDLE_BYTES: u64 = 16 * 1024 * 1024;

impl CaBundle {
    /// Reads the PEM file at `path`: one or more `CERTIFICATE` sections, each
    /// an X.509 certificate usable as a trust anchor. Other sections are skipped.
    /// Every error names the path, never the file's content.
    pub(crate) fn load(path: &Path) -> Result<Self> {
        use rustls::pki_types::pem::PemObject;
        use std::io::Read;
        let shown = path.display();
        if path.as_os_str().is_empty() {
            return Err(Error::Config("ca_bundle is empty: give the path of a PEM file of root certificates".into()));
        }
        let mut pem = Vec::new();
        std::fs::File::open(path)
            .and_then(|file| file.take(MAX_CA_BUNDLE_BYTES + 1).read_to_end(&mut pem))
            .map_err(|error| Error::Config(format!("cannot read the CA bundle {shown}: {error}")))?;
        if pem.len() as u64 > MAX_CA_BUNDLE_BYTES {
            return Err(Error::Config(format!("the CA bundle {shown} is larger than {MAX_CA_BUNDLE_BYTES} bytes")));
        }
        let certificates = rustls::pki_types::CertificateDer::pem_slice_iter(&pem)
            .collect::<std::result::Result<Vec<_>, _>>()
            .map_err(|error| Error::Config(format!("the CA bundle {shown} is not valid PEM: {}", pem_failure(&error))))?;
        if certificates.is_empty() {
            return Err(Error::Config(format!(
                "the CA bundle {shown} holds no certificate: expected PEM sections -----BEGIN CERTIFICATE-----"
            )));
        }
        for (index, certificate) in certificates.iter().enumerate() {
            rustls::RootCertStore::empty().add(certificate.clone()).map_err(|error| {
                Error::Config(format!("certificate {} of the CA bundle {shown} is not a usable X.509 certificate: {error}", index + 1))
            })?;
        }
        Ok(Self { path: path.to_owned(), certificates: Arc::new(certificates) })
    }

    pub(crate) fn path(&self) -> &Path {
        &self.path
    }

    pub(crate) fn certificates(&self) -> &[rustls::pki_types::CertificateDer<'static>] {
        &self.certificates
    }
}

impl fmt::Debug for CaBundle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CaBundle").field("path", &self.path).field("certificates", &self.certificates.len()).finish()
    }
}

/// What is wrong with a PEM file, without quoting any of it.
fn pem_failure(error: &rustls::pki_types::pem::Error) -> &'static str {
    use rustls::pki_types::pem::Error as Pem;
    match error {
        Pem::MissingSectionEnd { .. } => "a section has no END line",
        Pem::IllegalSectionStart { .. } => "a BEGIN line is malformed",
        Pem::Base64Decode(_) => "a section is not valid base64",
        _ => "it could not be decoded",
    }
}

impl ClientConfig {
    /// Checks every field; a config that passes cannot hang or panic the client.
    pub fn validate(&self) -> Result<()> {
        use crate::args::limits;
        if self.api_key.expose().trim().is_empty() {
            return Err(Error::Config(format!("no API key: pass one or set {ENV_API_KEY}")));
        }
        if self.api_key.expose().chars().any(|c| c.is_control()) {
            return Err(Error::Config("the API key contains control characters".into()));
        }
        check_base_url(&self.base_url, self.allow_insecure_http)?;
        if self.webhook_secret.as_ref().is_some_and(|secret| secret.expose().is_empty()) {
            return Err(Error::Config("the webhook secret must not be empty".into()));
        }
        let (min, max) = limits::MAX_CONNECTIONS;
        if !(min..=max).contains(&(self.max_connections as u64)) {
            return Err(Error::Config(format!("max_connections must be {min} to {max}, not {}", self.max_connections)));
        }
        let (min, max) = limits::MAX_RETRIES;
        if !(min..=max).contains(&u64::from(self.max_retries)) {
            return Err(Error::Config(format!("max_retries must be {min} to {max}, not {}", self.max_retries)));
        }
        for (name, value, range) in [
            ("connect timeout", self.connect_timeout, limits::REQUEST_TIMEOUT),
            ("request timeout", self.request_timeout, limits::REQUEST_TIMEOUT),
            ("sync timeout", self.sync_timeout, limits::REQUEST_TIMEOUT),
            ("max retry wait", self.max_retry_wait, limits::MAX_RETRY_WAIT),
            ("backoff base", self.backoff_base, limits::MAX_RETRY_WAIT),
            ("backoff max", self.backoff_max, limits::MAX_RETRY_WAIT),
            ("reconcile grace", self.reconcile_grace, limits::REQUEST_TIMEOUT),
            ("clock skew", self.clock_skew, limits::REQUEST_TIMEOUT),
        ] {
            if value.is_zero() || value > range.max {
                return Err(Error::Config(format!("the {name} must be greater than zero and at most {:?}", range.max)));
            }
        }
        if self
            .webhook_tolerance
            .is_some_and(|tolerance| tolerance < limits::WEBHOOK_TOLERANCE.min || tolerance > limits::WEBHOOK_TOLERANCE.max)
        {
            return Err(Error::Config(format!(
                "the webhook tolerance must be from {:?} to {:?}",
                limits::WEBHOOK_TOLERANCE.min,
                limits::WEBHOOK_TOLERANCE.max
            )));
        }
        if self.max_response_bytes == 0 {
            return Err(Error::Config("max_response_bytes must be at least 1".into()));
        }
        if let Some(url) = &self.redis_url {
            crate::fleet::check_redis_url(url.expose())?;
        }
        let (min, max) = crate::fleet::LEASE_RANGE;
        if !(min..=max).contains(&self.fleet_lease) {
            return Err(Error::Config(format!("fleet_lease must be {min:?} to {max:?}, not {:?}", self.fleet_lease)));
        }
        if let Some(budget) = &self.rate_budget {
            budget.validate()?;
        }
        if let Some(proxy) = &self.proxy {
            check_proxy_url(proxy.expose())?;
        }
        Ok(())
    }

    /// The CA bundle's path, if one was given.
    pub fn ca_bundle(&self) -> Option<&Path> {
        self.ca_bundle.as_ref().map(CaBundle::path)
    }

    /// Whether a Redis URL was given (its URL is a secret: it may carry a password).
    pub fn has_redis(&self) -> bool {
        self.redis_url.is_some()
    }

    /// Whether an explicit proxy was given (its URL is a secret: it may carry a password).
    pub fn has_proxy(&self) -> bool {
        self.proxy.is_some()
    }
}

/// Refuses a proxy URL that is not `http://` or `https://`, or that the
/// connector cannot use as an HTTP URI (a host that is not ASCII, say): an
/// explicit proxy is for every request, never bypassed. Credentials in it
/// are allowed (proxies authenticate that way) and so no message ever repeats
/// the URL or any part of it, its scheme included: `user:pass@host:3128`
/// parses as the scheme `user`.
fn check_proxy_url(proxy: &str) -> Result<()> {
    let url = url::Url::parse(proxy)
        .map_err(|error| Error::Config(format!("the proxy is not a URL ({error}); give one such as http://proxy.example:3128")))?;
    match url.scheme() {
        "http" | "https" if proxy.parse::<http::Uri>().is_err() => {
            Err(Error::Config("the proxy URL is not usable: give one such as http://proxy.example:3128".into()))
        }
        "http" | "https" if url.host_str().is_some_and(|host| !host.is_empty()) => Ok(()),
        "http" | "https" => Err(Error::Config("the proxy URL has no host".into())),
        scheme if scheme.starts_with("socks") => {
            Err(Error::Config("SOCKS proxies are not supported: give an http:// or https:// proxy URL".into()))
        }
        _ => Err(Error::Config("the proxy URL must start with http:// or https://".into())),
    }
}

/// Refuses base URLs that would leak the key: credentials in the URL, or
/// plain http to anything but loopback unless `allow_insecure_http`. Messages
/// never repeat the URL, which may carry credentials.
fn check_base_url(base_url: &str, allow_insecure_http: bool) -> Result<()> {
    let url = url::Url::parse(base_url).map_err(|error| Error::Config(format!("the base URL is not a URL: {error}")))?;
    if !url.username().is_empty() || url.password().is_some() {
        return Err(Error::Config("the base URL must not carry credentials (user:password@); pass the API key as api_key".into()));
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(Error::Config("the base URL must not carry a query or fragment".into()));
    }
    let host = url.host_str().unwrap_or_default();
    match url.scheme() {
        "https" => Ok(()),
        "http" if allow_insecure_http || is_loopback(host) => Ok(()),
        "http" => Err(Error::Config(format!(
            "the base URL uses plain http:// to {host}, which would send the API key and personal data unencrypted; \
             use https://, or set allow_insecure_http if this is really wanted"
        ))),
        scheme => Err(Error::Config(format!("the base URL must start with https:// or http://, not {scheme}:"))),
    }
}

fn is_loopback(host: &str) -> bool {
    let host = host.trim_start_matches('[').trim_end_matches(']');
    host.eq_ignore_ascii_case("localhost") || host.parse::<std::net::IpAddr>().is_ok_and(|address| address.is_loopback())
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
    allow_insecure_http: Option<bool>,
    include_body_snippets: Option<bool>,
    webhook_tolerance: Option<Option<Duration>>,
    proxy: Option<Secret>,
    ca_bundle: Option<PathBuf>,
    binding: Option<String>,
    redis_url: Option<Secret>,
    fleet_lease: Option<Duration>,
    rate_budget: Option<crate::fleet::RateBudget>,
}

/// A client's settings as a binding received them: `None` is "not given".
/// Numbers are in the [`Dialect`]'s unit and checked by [`ClientBuilder::from_options`].
#[derive(Clone, Debug, Default)]
pub struct ClientOptions {
    pub api_key: Option<Secret>,
    pub base_url: Option<String>,
    pub webhook_secret: Option<Secret>,
    pub timeout: Option<f64>,
    pub connect_timeout: Option<f64>,
    pub sync_timeout: Option<f64>,
    pub max_retries: Option<f64>,
    pub max_retry_wait: Option<f64>,
    pub max_connections: Option<f64>,
    pub allow_insecure_http: Option<bool>,
    pub include_body_snippets: Option<bool>,
    /// The webhook replay window.
    pub webhook_tolerance: Option<f64>,
    /// An explicit proxy URL for every request; it may carry `user:password@`.
    pub proxy: Option<Secret>,
    /// A PEM file of extra root certificates.
    pub ca_bundle: Option<PathBuf>,
    /// e.g. `python/3.11`, for the user agent.
    pub binding: Option<String>,
    /// The fleet's Redis (`redis_url` / `redisUrl`); it may carry a password.
    pub redis_url: Option<Secret>,
    /// A fleet worker's lease on a check it waits for (`fleet_lease`).
    pub fleet_lease: Option<f64>,
    /// The rate budget's requests an hour (`rate_budget_per_hour`); the
    /// other half, when only one is given, is PassFort's documented value.
    pub rate_budget_per_hour: Option<f64>,
    /// The rate budget's burst (`rate_budget_burst`).
    pub rate_budget_burst: Option<f64>,
}

impl ClientBuilder {
    /// A builder from a binding's options, each checked against its range.
    pub fn from_options(dialect: Dialect, options: ClientOptions) -> Result<Self> {
        use crate::args::limits;
        let count = |name, value, (min, max)| dialect.count(name, value, min, max);
        Ok(Self {
            api_key: options.api_key,
            webhook_secret: options.webhook_secret,
            base_url: options.base_url,
            connect_timeout: dialect.duration("connect_timeout", options.connect_timeout, limits::REQUEST_TIMEOUT)?,
            request_timeout: dialect.duration("timeout", options.timeout, limits::REQUEST_TIMEOUT)?,
            sync_timeout: dialect.duration("sync_timeout", options.sync_timeout, limits::REQUEST_TIMEOUT)?,
            max_retries: count("max_retries", options.max_retries, limits::MAX_RETRIES)?.map(|n| n as u32),
            max_retry_wait: dialect.duration("max_retry_wait", options.max_retry_wait, limits::MAX_RETRY_WAIT)?,
            max_connections: count("max_connections", options.max_connections, limits::MAX_CONNECTIONS)?.map(|n| n as usize),
            allow_insecure_http: options.allow_insecure_http,
            include_body_snippets: options.include_body_snippets,
            webhook_tolerance: dialect.duration("webhook_tolerance", options.webhook_tolerance, limits::WEBHOOK_TOLERANCE)?.map(Some),
            proxy: options.proxy,
            ca_bundle: options.ca_bundle,
            binding: options.binding,
            redis_url: options.redis_url,
            fleet_lease: dialect.duration("fleet_lease", options.fleet_lease, limits::FLEET_LEASE)?,
            rate_budget: {
                let per_hour = count("rate_budget_per_hour", options.rate_budget_per_hour, limits::RATE_BUDGET_PER_HOUR)?;
                let burst = count("rate_budget_burst", options.rate_budget_burst, limits::RATE_BUDGET_BURST)?;
                let default = crate::fleet::RateBudget::PASSFORT;
                (per_hour.is_some() || burst.is_some()).then(|| crate::fleet::RateBudget {
                    per_hour: per_hour.map_or(default.per_hour, |n| n as u32),
                    burst: burst.map_or(default.burst, |n| n as u32),
                })
            },
            ..Self::default()
        })
    }

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

    /// Allows plain `http://` to a host other than loopback. Default off.
    pub fn allow_insecure_http(mut self, allow: bool) -> Self {
        self.allow_insecure_http = Some(allow);
        self
    }

    /// Puts the start of undecodable bodies into errors (personal data!). Default off.
    pub fn include_body_snippets(mut self, include: bool) -> Self {
        self.include_body_snippets = Some(include);
        self
    }

    /// The webhook replay window (default 5 minutes); `None` turns the timestamp check off.
    pub fn webhook_tolerance(mut self, tolerance: Option<Duration>) -> Self {
        self.webhook_tolerance = Some(tolerance);
        self
    }

    /// An explicit proxy for every request, e.g. `http://user:password@proxy.example:3128`
    /// (`http://` or `https://`; credentials are sent as `Proxy-Authorization`
    /// and never shown). It replaces the environment's proxy settings.
    ///
    /// Without it, `HTTPS_PROXY` (for an `https://` base URL), `HTTP_PROXY`
    /// (for `http://`), `ALL_PROXY` and `NO_PROXY` (hosts, domains or networks
    /// that go direct, e.g. `localhost,127.0.0.1,.internal`) are honoured, in
    /// upper or lower case, as curl does; `HTTP_PROXY` is ignored in CGI scripts.
    pub fn proxy(mut self, url: impl Into<String>) -> Self {
        self.proxy = Some(Secret::new(url));
        self
    }

    /// A PEM file of one or more root certificates (a corporate CA, say),
    /// trusted in addition to the system's trust store. Read when the
    /// configuration is made; a missing or unparsable file is an
    /// [`Error::Config`] naming the path.
    pub fn ca_bundle(mut self, path: impl Into<PathBuf>) -> Self {
        self.ca_bundle = Some(path.into());
        self
    }

    /// Names the binding in the user agent, e.g. `python/3.11` or `node/20.1`.
    pub fn binding(mut self, binding: impl Into<String>) -> Self {
        self.binding = Some(binding.into());
        self
    }

    /// Joins a fleet of workers through Redis (`redis://[:password@]host:port[/db]`,
    /// `rediss://` or `unix:///path`); falls back to `PASSFORT_REDIS_URL`.
    /// See [`crate::fleet`].
    pub fn redis_url(mut self, url: impl Into<String>) -> Self {
        self.redis_url = Some(Secret::new(url));
        self
    }

    /// How long a claim on a waited-for check lasts without renewal (default 30 s).
    pub fn fleet_lease(mut self, lease: Duration) -> Self {
        self.fleet_lease = Some(lease);
        self
    }

    /// The budget of `POST /profiles` and `POST .../collected_data` (each its
    /// own bucket), shared by the fleet when Redis is on, per process otherwise.
    pub fn rate_budget(mut self, budget: crate::fleet::RateBudget) -> Self {
        self.rate_budget = Some(budget);
        self
    }

    /// Resolves defaults and the environment, and checks the result.
    pub fn config(self) -> Result<ClientConfig> {
        let api_key = match self.api_key {
            Some(key) => key,
            None => Secret::new(std::env::var(ENV_API_KEY).unwrap_or_default()),
        };
        let base_url = self
            .base_url
            .or_else(|| std::env::var(ENV_BASE_URL).ok().filter(|url| !url.trim().is_empty()))
            .unwrap_or_else(|| DEFAULT_BASE_URL.to_owned());
        let base_url = base_url.trim().trim_end_matches('/').to_owned();
        let ca_bundle = self.ca_bundle.as_deref().map(CaBundle::load).transpose()?;
        let mut user_agent = format!("passfort-sdk/{}", env!("CARGO_PKG_VERSION"));
        user_agent.push(' ');
        user_agent.push_str(self.binding.as_deref().unwrap_or("rust"));
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
            allow_insecure_http: self.allow_insecure_http.unwrap_or(false),
            include_body_snippets: self.include_body_snippets.unwrap_or(false),
            webhook_tolerance: self.webhook_tolerance.unwrap_or(Some(crate::webhooks::DEFAULT_WEBHOOK_TOLERANCE)),
            proxy: self.proxy,
            ca_bundle,
            redis_url: self.redis_url.or_else(|| std::env::var(ENV_REDIS_URL).ok().filter(|url| !url.trim().is_empty()).map(Secret::new)),
            fleet_lease: self.fleet_lease.unwrap_or(crate::fleet::DEFAULT_LEASE),
            rate_budget: self.rate_budget,
        };
        config.validate()?;
        Ok(config)
    }

    /// Builds the client.
    pub fn build(self) -> Result<crate::Client> {
        crate::Client::from_config(self.config()?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config_for(url: &str) -> Result<ClientConfig> {
        crate::Client::builder().api_key("key").base_url(url).config()
    }

    #[test]
    fn base_urls_that_would_leak_the_key_are_refused() {
        assert!(config_for("https://api.passfort.com/4.0").is_ok());
        assert!(config_for("http://127.0.0.1:8080/4.0").is_ok());
        assert!(config_for("http://localhost:8080/4.0").is_ok());
        assert!(config_for("http://[::1]:8080/4.0").is_ok());
        let plain = config_for("http://api.example.com/4.0").unwrap_err().to_string();
        assert!(plain.contains("allow_insecure_http"), "{plain}");
        assert!(crate::Client::builder().api_key("k").base_url("http://api.example.com").allow_insecure_http(true).config().is_ok());
        let credentials = config_for("https://user:hunter2@api.passfort.com/4.0").unwrap_err().to_string();
        assert!(!credentials.contains("hunter2") && credentials.contains("credentials"), "{credentials}");
    }

    #[test]
    fn proxy_urls_are_checked_without_repeating_them() {
        let proxy = |url: &str| crate::Client::builder().api_key("key").proxy(url).config();
        assert!(proxy("http://proxy.example:3128").is_ok());
        assert!(proxy("https://user:hunter2@proxy.example").is_ok());
        for bad in ["user:hunter2@proxy.example:3128", "socks5://user:hunter2@proxy.example", "ftp://user:hunter2@x", "hunter2", ""] {
            let error = proxy(bad).unwrap_err();
            let message = error.to_string();
            assert!(matches!(error, Error::Config(_)), "{message}");
            assert!(!message.contains("hunter2") && !message.contains("user"), "{message}");
        }
        let config = proxy("http://user:hunter2@proxy.example:3128").unwrap();
        assert!(config.has_proxy());
        assert!(!format!("{config:?}").contains("hunter2"));
    }

    #[test]
    fn redis_urls_are_checked_without_repeating_them() {
        let redis = |url: &str| crate::Client::builder().api_key("key").redis_url(url).config();
        for good in [
            "redis://127.0.0.1:6379",
            "redis://:hunter2@redis.internal:6379/2",
            "redis://user:hunter2@redis.internal",
            "unix:///run/redis.sock",
        ] {
            let config = redis(good).unwrap();
            assert!(config.has_redis());
            assert!(!format!("{config:?}").contains("hunter2"));
        }
        for bad in [
            "http://:hunter2@127.0.0.1:6379",
            "rediss://:hunter2@redis.internal:6380",
            "redis://:hunter2@",
            ":hunter2@127.0.0.1:6379",
            "unix://:hunter2@",
            "hunter2",
            "",
        ] {
            let error = redis(bad).unwrap_err();
            let message = error.to_string();
            assert!(matches!(error, Error::Config(_)), "{bad}: {message}");
            assert!(!message.contains("hunter2"), "{message}");
        }
        let lease = |lease| crate::Client::builder().api_key("key").fleet_lease(lease).config();
        assert!(lease(Duration::from_millis(100)).is_err() && lease(Duration::from_secs(7200)).is_err());
        assert_eq!(lease(Duration::from_secs(5)).unwrap().fleet_lease, Duration::from_secs(5));
        let budget =
            |per_hour, burst| crate::Client::builder().api_key("key").rate_budget(crate::fleet::RateBudget { per_hour, burst }).config();
        assert!(budget(0, 1).is_err() && budget(1, 0).is_err() && budget(10_000, 50).is_ok());
    }

    #[test]
    fn fleet_options_from_a_binding_are_checked_in_its_dialect() {
        let options = |lease, per_hour, burst| ClientOptions {
            api_key: Some(Secret::new("key")),
            redis_url: Some(Secret::new("redis://:hunter2@127.0.0.1:6379")),
            fleet_lease: lease,
            rate_budget_per_hour: per_hour,
            rate_budget_burst: burst,
            ..ClientOptions::default()
        };
        let node = ClientBuilder::from_options(Dialect::NODE, options(Some(5000.0), Some(9000.0), None)).unwrap().config().unwrap();
        assert_eq!(node.fleet_lease, Duration::from_secs(5));
        assert_eq!(node.rate_budget, Some(crate::fleet::RateBudget { per_hour: 9000, burst: crate::fleet::RateBudget::PASSFORT.burst }));
        let python = ClientBuilder::from_options(Dialect::PYTHON, options(None, None, None)).unwrap().config().unwrap();
        assert_eq!((python.fleet_lease, python.rate_budget), (crate::fleet::DEFAULT_LEASE, None));
        for (lease, per_hour, burst, name) in [
            (Some(0.1), None, None, "fleet_lease"),
            (None, Some(0.0), None, "rate_budget_per_hour"),
            (None, None, Some(1.5), "rate_budget_burst"),
        ] {
            let message = ClientBuilder::from_options(Dialect::PYTHON, options(lease, per_hour, burst)).unwrap_err().to_string();
            assert!(message.contains(name) && !message.contains("hunter2"), "{message}");
        }
    }

    #[test]
    fn the_redis_url_comes_from_the_environment_when_not_given() {
        // Only this test sets the variable; every other test of this binary that
        // builds a config gives no Redis URL, and a fleet joined here and there is harmless.
        std::env::set_var(ENV_REDIS_URL, "redis://:hunter2@127.0.0.1:6379");
        let from_env = crate::Client::builder().api_key("key").config();
        let given = crate::Client::builder().api_key("key").redis_url("redis://127.0.0.1:7000").config();
        std::env::set_var(ENV_REDIS_URL, "ftp://:hunter2@x");
        let bad = crate::Client::builder().api_key("key").config();
        std::env::remove_var(ENV_REDIS_URL);
        assert!(from_env.unwrap().has_redis());
        assert_eq!(given.unwrap().redis_url.unwrap().expose(), "redis://127.0.0.1:7000");
        let message = bad.unwrap_err().to_string();
        assert!(message.contains("redis://") && !message.contains("hunter2"), "{message}");
        assert!(!crate::Client::builder().api_key("key").config().unwrap().has_redis());
    }

    #[test]
    fn ca_bundles_that_cannot_be_used_are_refused_naming_the_path() {
        let dir = std::env::temp_dir().join(format!("passfort-ca-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let bundle = |path: &Path| crate::Client::builder().api_key("key").ca_bundle(path).config();
        let missing = dir.join("missing.pem");
        let message = bundle(&missing).unwrap_err().to_string();
        assert!(message.contains("missing.pem") && message.contains("cannot read"), "{message}");
        let empty = dir.join("empty.pem");
        std::fs::write(&empty, "not a certificate\n").unwrap();
        let message = bundle(&empty).unwrap_err().to_string();
        assert!(message.contains("empty.pem") && message.contains("no certificate"), "{message}");
        let garbled = dir.join("garbled.pem");
        std::fs::write(&garbled, "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n").unwrap();
        let message = bundle(&garbled).unwrap_err().to_string();
        assert!(message.contains("garbled.pem") && message.contains("certificate 1"), "{message}");
        let cut = dir.join("cut.pem");
        std::fs::write(&cut, "-----BEGIN CERTIFICATE-----\nAAAA\n").unwrap();
        let message = bundle(&cut).unwrap_err().to_string();
        assert!(message.contains("cut.pem") && message.contains("PEM"), "{message}");
        assert!(bundle(Path::new("")).is_err());
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn hand_made_configs_are_checked_too() {
        let mut config = config_for("https://api.passfort.com/4.0").unwrap();
        config.max_connections = 0;
        assert!(crate::Client::from_config(config.clone()).is_err());
        config.max_connections = 1;
        config.request_timeout = Duration::from_secs(u64::MAX);
        assert!(crate::Client::from_config(config).is_err());
    }
}
