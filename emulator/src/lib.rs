//! `passfort-emulator`: a stateful, in-memory stand-in for PassFort API 4.0
//! over real HTTP, for tests. See `emulator/README.md` for the test data
//! rules and the admin API.
//!
//! ```no_run
//! # async fn demo() -> std::io::Result<()> {
//! let emulator = passfort_emulator::start(passfort_emulator::EmulatorConfig::default()).await?;
//! println!("PassFort API at {}", emulator.base_url());
//! emulator.shutdown().await;
//! # Ok(()) }
//! ```

// Handlers answer axum `Response`s as their error type, which is large by
// nature; boxing it in every handler would only add noise.
#![allow(clippy::result_large_err)]
#![forbid(unsafe_code)]

mod admin;
mod api;
mod api_error;
mod catalog;
mod engine;
mod faults;
mod ratelimit;
mod requests;
mod resources;
mod state;
mod store;
mod validate;
mod webhooks;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::middleware;
use axum::Router;
use hyper::body::Incoming;
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tower::ServiceExt;

pub use admin::{ConfigChange, Risk};
pub use ratelimit::{LimitedEndpoint, RateLimit};
pub use webhooks::{EventType, WebhookConfig, EVENTS as WEBHOOK_EVENTS};

/// A product profiles apply for (`PUT /_emulator/products`, [`Emulator::set_products`]).
pub use catalog::Product;

use faults::DropConnection;
use state::Shared;

/// How an emulator starts. `reset` returns to this.
#[derive(Clone, Debug)]
pub struct EmulatorConfig {
    pub host: String,
    /// 0 picks a free port.
    pub port: u16,
    pub api_key: String,
    /// How long a sync run waits for the provider before answering RUNNING (PassFort: 120 s).
    pub sync_timeout: Duration,
    /// How long the provider takes to finish a check.
    pub provider_latency: Duration,
    pub webhook: Option<WebhookConfig>,
    /// Rate limit on `POST /profiles`, and on `POST /profiles/{pid}/collected_data`
    /// unless `collected_data_rate_limit` says otherwise; off when `None`.
    /// Each endpoint has a bucket of its own.
    pub rate_limit: Option<RateLimit>,
    pub institution_name: String,
    /// When a request still being handled is answered 504 while its work goes
    /// on (PassFort: "The API has a timeout of 60 seconds").
    pub gateway_timeout: Duration,
    /// Rate limit on `POST /profiles/{pid}/collected_data`; `None` takes `rate_limit`.
    pub collected_data_rate_limit: Option<RateLimit>,
    /// How long a batch of webhooks gathers events (PassFort: about 0-10 s; at most 10 s).
    pub webhook_batch_window: Duration,
}

impl EmulatorConfig {
    /// The limit on the collected-data bucket.
    pub fn collected_data_rate_limit(&self) -> Option<RateLimit> {
        self.collected_data_rate_limit.or(self.rate_limit)
    }
}

impl Default for EmulatorConfig {
    fn default() -> Self {
        Self {
            host: "127.0.0.1".into(),
            port: 0,
            api_key: "test-key".into(),
            sync_timeout: Duration::from_secs(120),
            provider_latency: Duration::from_millis(50),
            webhook: None,
            rate_limit: None,
            institution_name: "Emulated Institution".into(),
            gateway_timeout: Duration::from_secs(60),
            collected_data_rate_limit: None,
            webhook_batch_window: webhooks::DEFAULT_BATCH_WINDOW,
        }
    }
}

/// A running emulator. Dropping it stops the server.
pub struct Emulator {
    address: SocketAddr,
    url: String,
    shared: Arc<Shared>,
    stop: watch::Sender<bool>,
    server: Option<tokio::task::JoinHandle<()>>,
}

impl Emulator {
    /// `http://HOST:PORT`; the admin API is under `/_emulator`.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// `http://HOST:PORT/4.0`: a client's base URL.
    pub fn base_url(&self) -> String {
        format!("{}/4.0", self.url)
    }

    pub fn address(&self) -> SocketAddr {
        self.address
    }

    pub fn api_key(&self) -> &str {
        &self.shared.initial.api_key
    }

    /// Sends webhooks to `config.url` from now on, or none with `None`
    /// (the library form of `PUT /_emulator/webhook`).
    pub fn set_webhook(&self, config: Option<WebhookConfig>) {
        self.shared.webhooks.configure(config);
    }

    /// The library form of the admin API, for embedding (the Python and
    /// Node test aids use these; the HTTP admin API calls the same code).
    pub fn reset(&self) {
        self.shared.reset();
    }

    /// `PUT /_emulator/config`: `None` leaves a setting as it is.
    pub fn configure(&self, sync_timeout: Option<Duration>, provider_latency: Option<Duration>) {
        self.shared.configure(sync_timeout, provider_latency);
    }

    /// `PUT /_emulator/config` with every setting: the gateway timeout, the
    /// webhook batch window and the rate limits as well. All or nothing: an
    /// invalid value changes nothing and says why.
    pub fn configure_with(&self, change: &ConfigChange) -> Result<(), String> {
        change.apply(&self.shared)
    }

    /// `GET /_emulator/config`.
    pub fn config(&self) -> serde_json::Value {
        admin::settings_json(&self.shared)
    }

    /// `PUT /_emulator/products`: the catalogue applications are made from;
    /// `None` restores the built-in one. `reset` restores it too.
    pub fn set_products(&self, products: Option<Vec<Product>>) {
        state::lock(&self.shared.store).products = products;
    }

    /// `POST /_emulator/profiles/{pid}/risk`: sets a profile's risk level
    /// and/or score, sending RISK_LEVEL_CHANGED / RISK_SCORE_CHANGED for what changed.
    pub fn set_risk(&self, profile_id: &str, level: Option<&str>, score: Option<f64>) -> Result<Risk, String> {
        admin::set_risk(&self.shared, profile_id, level.map(str::to_owned), score).map_err(|(_, message)| message)
    }

    /// `POST /_emulator/profiles/{pid}/manual_action`: sends MANUAL_ACTION_REQUIRED; answers its data.
    pub fn trigger_manual_action(&self, profile_id: &str, application_id: Option<&str>) -> Result<serde_json::Value, String> {
        admin::manual_action(&self.shared, profile_id, application_id).map_err(|(_, message)| message)
    }

    /// `POST /_emulator/script`.
    pub fn script(&self, profile_id: &str, check_type: &str, results: Vec<String>, latency: Option<Duration>) -> Result<(), String> {
        self.shared.script(profile_id, check_type, results, latency.map(|l| l.as_millis() as u64))
    }

    /// `POST /_emulator/faults`, with the same JSON body; answers the rule.
    pub fn add_fault(&self, fault: &serde_json::Value) -> Result<serde_json::Value, String> {
        let rule = faults::FaultRule::from_json(fault)?;
        Ok(state::lock(&self.shared.faults).add(rule))
    }

    /// `DELETE /_emulator/faults`.
    pub fn clear_faults(&self) {
        *state::lock(&self.shared.faults) = Default::default();
    }

    /// `GET /_emulator/checks`.
    pub fn checks(&self) -> Vec<serde_json::Value> {
        self.shared.all_checks()
    }

    /// `GET /_emulator/requests`.
    pub fn requests(&self) -> Vec<serde_json::Value> {
        state::lock(&self.shared.requests).to_json()
    }

    /// `GET /_emulator/webhook/deliveries`.
    pub fn webhook_deliveries(&self) -> Vec<serde_json::Value> {
        self.shared.webhooks.deliveries()
    }

    /// Stops accepting, closes open connections and stops webhook delivery.
    pub async fn shutdown(mut self) {
        self.stop_now();
        if let Some(server) = self.server.take() {
            let _ = server.await;
        }
    }

    fn stop_now(&self) {
        self.stop.send_replace(true);
        self.shared.webhooks.close();
    }
}

impl Drop for Emulator {
    fn drop(&mut self) {
        self.stop_now();
    }
}

/// Starts an emulator on the current tokio runtime.
pub async fn start(config: EmulatorConfig) -> std::io::Result<Emulator> {
    install_crypto_provider();
    let listener = TcpListener::bind((config.host.as_str(), config.port)).await?;
    let address = listener.local_addr()?;
    let host = if address.is_ipv6() { format!("[{}]", address.ip()) } else { address.ip().to_string() };
    let url = format!("http://{host}:{}", address.port());
    let shared = Shared::new(config);
    let app = router(shared.clone());
    let (stop, stopped) = watch::channel(false);
    let server = tokio::spawn(serve(listener, app, stopped));
    Ok(Emulator { address, url, shared, stop, server: Some(server) })
}

fn router(shared: Arc<Shared>) -> Router {
    Router::new()
        .nest("/4.0", api::router(shared.clone()))
        .nest("/_emulator", admin::router())
        .layer(middleware::from_fn_with_state(shared.clone(), faults::faults_and_log))
        .with_state(shared)
}

/// The accept loop. Hand-written rather than `axum::serve` so that a fault can
/// close a connection without answering: the service then fails, and hyper
/// drops the connection.
async fn serve(listener: TcpListener, app: Router, mut stopped: watch::Receiver<bool>) {
    loop {
        let (stream, _) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(connection) => connection,
                Err(error) => {
                    tracing::warn!(%error, "accept failed");
                    tokio::time::sleep(Duration::from_millis(10)).await;
                    continue;
                }
            },
            _ = until_stopped(&mut stopped) => return,
        };
        let _ = stream.set_nodelay(true);
        let app = app.clone();
        let mut stopped = stopped.clone();
        tokio::spawn(async move {
            let service = hyper::service::service_fn(move |request: hyper::Request<Incoming>| {
                let app = app.clone();
                async move {
                    let response = app.oneshot(request).await.unwrap_or_else(|never| match never {});
                    if response.extensions().get::<DropConnection>().is_some() {
                        Err(ConnectionDropped)
                    } else {
                        Ok(response)
                    }
                }
            });
            let connection = hyper::server::conn::http1::Builder::new().keep_alive(true).serve_connection(TokioIo::new(stream), service);
            tokio::select! {
                _ = connection => {}
                _ = until_stopped(&mut stopped) => {}
            }
        });
    }
}

async fn until_stopped(stopped: &mut watch::Receiver<bool>) {
    let _ = stopped.wait_for(|stop| *stop).await;
}

/// The error that makes hyper close a connection on purpose.
#[derive(Debug)]
struct ConnectionDropped;

impl std::fmt::Display for ConnectionDropped {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("connection dropped by an injected fault")
    }
}

impl std::error::Error for ConnectionDropped {}

/// reqwest is built without a default TLS crypto provider; install ring once.
pub(crate) fn install_crypto_provider() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let _ = rustls::crypto::ring::default_provider().install_default();
    });
}

/// The README's examples, compiled as doc tests so that they stay true.
#[doc = include_str!("../README.md")]
#[cfg(doctest)]
pub struct ReadmeDoctests;
