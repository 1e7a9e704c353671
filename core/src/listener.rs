//! A small built-in webhook listener, for services and notebooks without a
//! web framework: it serves a client's webhook hub on one address and path.
//!
//! It faces the internet, so a stranger must not be able to exhaust it: the
//! headers and the body each have a deadline, so does a write to a client
//! that stops reading, the `Authorization` header is checked before the body
//! is read, connections are capped, and a failing
//! `accept` (out of file descriptors) backs off instead of spinning. Each of
//! these conditions is logged once when it starts and once when it ends.

use std::convert::Infallible;
use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::{BodyExt, Full, LengthLimitError, Limited};
use hyper::body::{Body, Incoming};
use hyper::header::{HeaderValue, CONNECTION, CONTENT_TYPE};
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{watch, OwnedSemaphorePermit, Semaphore};

use crate::client::Client;
use crate::error::{Error, Result};
use crate::webhooks::{WebhookErrorKind, WebhookHub};

/// The first pause after a failed `accept`, doubled on each failure in a row.
const FIRST_ACCEPT_BACKOFF: Duration = Duration::from_millis(10);
const MAX_ACCEPT_BACKOFF: Duration = Duration::from_secs(1);
/// Refused deliveries are logged at warn at most this often; the rest at debug.
const REFUSAL_WARN_EVERY: Duration = Duration::from_secs(60);

/// Limits of the built-in listener against slow or hostile clients.
/// Start from `ListenerOptions::default()` and set fields.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct ListenerOptions {
    /// Time a connection has to send a request's headers, counted from when
    /// it connects or its previous response went out: so also how long an
    /// idle keep-alive connection is kept. Default 10 s.
    pub header_timeout: Duration,
    /// Time a request has to send its whole body once its headers are in.
    /// Default 10 s.
    pub body_timeout: Duration,
    /// Time a write may wait on a client that does not read its answers
    /// (pipelining requests without reading, say) before the connection is
    /// closed. Default 10 s.
    pub write_timeout: Duration,
    /// Connections served at once; any more are closed as soon as they are
    /// accepted. Default 256.
    pub max_connections: usize,
}

impl Default for ListenerOptions {
    fn default() -> Self {
        Self {
            header_timeout: Duration::from_secs(10),
            body_timeout: Duration::from_secs(10),
            write_timeout: Duration::from_secs(10),
            max_connections: 256,
        }
    }
}

/// A running webhook listener. Dropping it, or [`WebhookListener::close`], stops it.
#[derive(Debug)]
pub struct WebhookListener {
    url: String,
    address: SocketAddr,
    stop: watch::Sender<bool>,
    task: Option<tokio::task::JoinHandle<()>>,
}

impl WebhookListener {
    /// The URL to give PassFort, e.g. `http://127.0.0.1:40123/passfort/webhooks`.
    pub fn url(&self) -> &str {
        &self.url
    }

    pub fn address(&self) -> SocketAddr {
        self.address
    }

    pub async fn close(mut self) {
        self.stop.send_replace(true);
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }
}

impl Drop for WebhookListener {
    fn drop(&mut self) {
        self.stop.send_replace(true);
    }
}

/// Where the built-in listener serves when not told otherwise.
pub const DEFAULT_WEBHOOK_HOST: &str = "127.0.0.1";
pub const DEFAULT_WEBHOOK_PATH: &str = "/passfort/webhooks";

/// The listener's address as a binding received it; `None` is "not given".
#[derive(Clone, Debug, Default)]
pub struct ListenArgs {
    pub host: Option<String>,
    pub port: Option<f64>,
    pub path: Option<String>,
}

impl Client {
    /// Serves this client's webhook hub at `http://{address}{path}` on the
    /// current tokio runtime, with the default [`ListenerOptions`]. Answers
    /// 200 once a delivery is verified (even if every event was a duplicate),
    /// 401 for a wrong or missing secret (before reading the body), 400 for a
    /// malformed body or an expired timestamp, 413 for one over the size
    /// limit, 408 for one too slow to arrive.
    pub async fn serve_webhooks(&self, address: &str, path: &str) -> Result<WebhookListener> {
        self.serve_webhooks_with(address, path, &ListenerOptions::default()).await
    }

    /// [`Self::serve_webhooks`] for a binding: each part as the caller gave
    /// it (`None`: not given) and checked here. Defaults: `127.0.0.1`, port 0
    /// (any free port), `/passfort/webhooks`.
    pub async fn serve_webhooks_from_args(&self, dialect: crate::args::Dialect, args: ListenArgs) -> Result<WebhookListener> {
        let host = args.host.unwrap_or_else(|| DEFAULT_WEBHOOK_HOST.to_owned());
        if host.is_empty() || host.len() > 255 || host.chars().any(|c| c.is_control() || c == '/') {
            return Err(Error::InvalidArgument(format!("the host {} is not a host name or address", crate::args::shown_text(&host))));
        }
        let port = dialect.count("port", args.port, 0, 65_535)?.unwrap_or(0);
        let path = args.path.unwrap_or_else(|| DEFAULT_WEBHOOK_PATH.to_owned());
        let address = if host.contains(':') && !host.starts_with('[') { format!("[{host}]:{port}") } else { format!("{host}:{port}") };
        self.serve_webhooks(&address, &path).await
    }

    /// [`Self::serve_webhooks`] with other limits.
    pub async fn serve_webhooks_with(&self, address: &str, path: &str, options: &ListenerOptions) -> Result<WebhookListener> {
        let hub = self.webhooks().clone();
        if hub.verifier().is_none() {
            return Err(Error::Config("set a webhook secret on the client to receive webhooks".into()));
        }
        if !path.starts_with('/') {
            return Err(Error::InvalidArgument(format!("the webhook path {path:?} must start with /")));
        }
        let timeouts = [options.header_timeout, options.body_timeout, options.write_timeout];
        if timeouts.iter().any(Duration::is_zero) || options.max_connections == 0 {
            return Err(Error::InvalidArgument(format!("listener limits must be above zero: {options:?}")));
        }
        let listener = TcpListener::bind(address).await.map_err(|error| Error::Config(format!("cannot listen on {address}: {error}")))?;
        let bound = listener.local_addr().map_err(|error| Error::Config(error.to_string()))?;
        let url = format!("http://{bound}{path}");
        let (stop, stopped) = watch::channel(false);
        let listening = hub.listening();
        let shared =
            Arc::new(Shared { hub, path: path.to_owned(), options: options.clone(), address: bound, refusals: RefusalLog::default() });
        let task = tokio::spawn(async move {
            accept(listener, shared, stopped).await;
            drop(listening);
        });
        Ok(WebhookListener { url, address: bound, stop, task: Some(task) })
    }
}

/// What every connection of one listener shares.
struct Shared {
    hub: Arc<WebhookHub>,
    path: String,
    options: ListenerOptions,
    /// In every log line, to tell listeners apart.
    address: SocketAddr,
    refusals: RefusalLog,
}

async fn accept(listener: TcpListener, shared: Arc<Shared>, mut stopped: watch::Receiver<bool>) {
    let connections = Arc::new(Semaphore::new(shared.options.max_connections));
    let address = shared.address;
    // The pause before the next accept while it fails; `None` while it works.
    let mut backoff: Option<Duration> = None;
    let mut at_capacity = false;
    loop {
        let accepted = tokio::select! {
            accepted = listener.accept() => accepted,
            _ = until_stopped(&mut stopped) => return,
        };
        let stream = match accepted {
            Ok((stream, _)) => stream,
            // One client gone before it was accepted: nothing wrong with the listener.
            Err(error)
                if matches!(
                    error.kind(),
                    io::ErrorKind::ConnectionAborted | io::ErrorKind::ConnectionReset | io::ErrorKind::Interrupted
                ) =>
            {
                tracing::debug!(listener = %address, %error, "webhook listener: a connection went before it was accepted");
                continue;
            }
            Err(error) => {
                // EMFILE and the like: the pending connection stays queued, so
                // retrying at once would spin a core and flood the log.
                let pause = match backoff {
                    None => {
                        tracing::warn!(listener = %address, %error, "webhook listener: accepting connections fails; retrying with backoff until it works again");
                        FIRST_ACCEPT_BACKOFF
                    }
                    Some(previous) => (previous * 2).min(MAX_ACCEPT_BACKOFF),
                };
                tracing::debug!(listener = %address, %error, pause_ms = pause.as_millis() as u64, "webhook listener: accept failed");
                backoff = Some(pause);
                tokio::select! {
                    _ = tokio::time::sleep(pause) => continue,
                    _ = until_stopped(&mut stopped) => return,
                }
            }
        };
        if backoff.take().is_some() {
            tracing::info!(listener = %address, "webhook listener: accepting connections again");
        }
        let Ok(permit) = connections.clone().try_acquire_owned() else {
            if !at_capacity {
                at_capacity = true;
                tracing::warn!(listener = %address, max_connections = shared.options.max_connections, "webhook listener: connection limit reached; closing new connections until some finish");
            }
            drop(stream);
            continue;
        };
        if at_capacity {
            at_capacity = false;
            tracing::info!(listener = %address, "webhook listener: below its connection limit again");
        }
        tokio::spawn(serve_connection(stream, permit, shared.clone(), stopped.clone()));
    }
}

async fn serve_connection(stream: TcpStream, permit: OwnedSemaphorePermit, shared: Arc<Shared>, mut stopped: watch::Receiver<bool>) {
    let for_service = shared.clone();
    let service = hyper::service::service_fn(move |request| {
        let shared = for_service.clone();
        async move { Ok::<_, Infallible>(respond(&shared, request).await) }
    });
    let mut builder = hyper::server::conn::http1::Builder::new();
    // Hyper restarts this timer whenever it waits for a request's head, idle
    // keep-alive included, so it is also the idle limit.
    builder.timer(TokioTimer::new()).header_read_timeout(shared.options.header_timeout);
    let stream = WriteDeadline { stream, limit: shared.options.write_timeout, stalled: None };
    let connection = builder.serve_connection(TokioIo::new(stream), service);
    tokio::select! {
        _ = connection => {}
        _ = until_stopped(&mut stopped) => {}
    }
    drop(permit);
}

/// The connection's socket, failing a write that has waited `limit` for the
/// client to read: hyper has no write timeout, and reads no further request
/// while an answer is stuck, so its header timeout never fires either.
struct WriteDeadline {
    stream: TcpStream,
    limit: Duration,
    /// Armed when a write must wait, disarmed when one goes through.
    stalled: Option<Pin<Box<tokio::time::Sleep>>>,
}

impl WriteDeadline {
    fn deadline<T>(&mut self, context: &mut Context<'_>, written: Poll<io::Result<T>>) -> Poll<io::Result<T>> {
        if written.is_ready() {
            self.stalled = None;
            return written;
        }
        let limit = self.limit;
        let stalled = self.stalled.get_or_insert_with(|| Box::pin(tokio::time::sleep(limit)));
        match stalled.as_mut().poll(context) {
            Poll::Ready(()) => Poll::Ready(Err(io::Error::new(io::ErrorKind::TimedOut, "the client stopped reading its answers"))),
            Poll::Pending => Poll::Pending,
        }
    }
}

impl AsyncRead for WriteDeadline {
    fn poll_read(mut self: Pin<&mut Self>, context: &mut Context<'_>, buffer: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_read(context, buffer)
    }
}

impl AsyncWrite for WriteDeadline {
    fn poll_write(mut self: Pin<&mut Self>, context: &mut Context<'_>, bytes: &[u8]) -> Poll<io::Result<usize>> {
        let written = Pin::new(&mut self.stream).poll_write(context, bytes);
        self.deadline(context, written)
    }

    fn poll_write_vectored(mut self: Pin<&mut Self>, context: &mut Context<'_>, slices: &[io::IoSlice<'_>]) -> Poll<io::Result<usize>> {
        let written = Pin::new(&mut self.stream).poll_write_vectored(context, slices);
        self.deadline(context, written)
    }

    fn is_write_vectored(&self) -> bool {
        self.stream.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, context: &mut Context<'_>) -> Poll<io::Result<()>> {
        let flushed = Pin::new(&mut self.stream).poll_flush(context);
        self.deadline(context, flushed)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, context: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_shutdown(context)
    }
}

async fn until_stopped(stopped: &mut watch::Receiver<bool>) {
    let _ = stopped.wait_for(|stop| *stop).await;
}

async fn respond(shared: &Shared, request: Request<Incoming>) -> Response<Full<Bytes>> {
    if request.uri().path() != shared.path {
        return answer(StatusCode::NOT_FOUND, "no webhook endpoint here");
    }
    if request.method() != Method::POST {
        return answer(StatusCode::METHOD_NOT_ALLOWED, "webhooks are POSTed");
    }
    let Some(verifier) = shared.hub.verifier() else {
        return answer(StatusCode::INTERNAL_SERVER_ERROR, "no webhook secret configured");
    };
    // A stranger gets nothing read: the body stays unread and the connection is closed.
    if let Err(error) = verifier.authorize(request.headers().iter()) {
        return closing(refused(shared, &error));
    }
    let limit = verifier.max_body_bytes();
    if request.body().size_hint().lower() > limit as u64 {
        return closing(answer(StatusCode::PAYLOAD_TOO_LARGE, &format!("the body is over the {limit} byte limit")));
    }
    let (parts, body) = request.into_parts();
    let body = match tokio::time::timeout(shared.options.body_timeout, Limited::new(body, limit).collect()).await {
        Ok(Ok(body)) => body.to_bytes(),
        Ok(Err(error)) if error.is::<LengthLimitError>() => {
            return closing(answer(StatusCode::PAYLOAD_TOO_LARGE, &format!("the body is over the {limit} byte limit")))
        }
        Ok(Err(_)) => return closing(answer(StatusCode::BAD_REQUEST, "the body broke off")),
        Err(_) => return closing(answer(StatusCode::REQUEST_TIMEOUT, "the body took too long to arrive")),
    };
    match shared.hub.handle_async(&body, parts.headers.iter()).await {
        Ok(events) => answer(StatusCode::OK, &format!("{{\"received\":{}}}", events.len())),
        Err(error @ Error::Webhook { .. }) => refused(shared, &error),
        Err(error) => answer(StatusCode::INTERNAL_SERVER_ERROR, &error.to_string()),
    }
}

/// The answer to a refused delivery, logged without letting strangers flood the log.
fn refused(shared: &Shared, error: &Error) -> Response<Full<Bytes>> {
    let Error::Webhook { kind, message } = error else {
        return answer(StatusCode::INTERNAL_SERVER_ERROR, &error.to_string());
    };
    let status = match kind {
        WebhookErrorKind::Unauthorized => StatusCode::UNAUTHORIZED,
        WebhookErrorKind::TooLarge => StatusCode::PAYLOAD_TOO_LARGE,
        _ => StatusCode::BAD_REQUEST,
    };
    shared.refusals.log(shared.address, status, *kind, message);
    answer(status, message)
}

/// One warn line per [`REFUSAL_WARN_EVERY`] for refused deliveries (a wrong
/// secret deserves to be seen), with how many went to debug in between.
#[derive(Default)]
struct RefusalLog {
    last_warned: Mutex<Option<Instant>>,
    unwarned: AtomicU64,
}

impl RefusalLog {
    fn log(&self, address: SocketAddr, status: StatusCode, kind: WebhookErrorKind, message: &str) {
        let warn = {
            let mut last = self.last_warned.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
            // Not `Option::is_none_or`: Rust 1.82, over the MSRV.
            let due = last.map_or(true, |last| last.elapsed() >= REFUSAL_WARN_EVERY);
            if due {
                *last = Some(Instant::now());
            }
            due
        };
        if warn {
            let also_refused = self.unwarned.swap(0, Ordering::Relaxed);
            tracing::warn!(listener = %address, %status, kind = kind.as_str(), reason = %message, also_refused, "webhook delivery refused");
        } else {
            self.unwarned.fetch_add(1, Ordering::Relaxed);
            tracing::debug!(listener = %address, %status, kind = kind.as_str(), reason = %message, "webhook delivery refused");
        }
    }
}

/// Asks hyper to close the connection after this answer: the request's body
/// may be unread, so the connection cannot carry another request.
fn closing(mut response: Response<Full<Bytes>>) -> Response<Full<Bytes>> {
    response.headers_mut().insert(CONNECTION, HeaderValue::from_static("close"));
    response
}

fn answer(status: StatusCode, message: &str) -> Response<Full<Bytes>> {
    let body = if message.starts_with('{') { message.to_owned() } else { serde_json::json!({ "error": message }).to_string() };
    let mut response = Response::new(Full::new(Bytes::from(body)));
    *response.status_mut() = status;
    response.headers_mut().insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    response
}
