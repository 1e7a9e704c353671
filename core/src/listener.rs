//! A small built-in webhook listener, for services and notebooks without a
//! web framework: it serves a client's webhook hub on one address and path.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;

use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;
use tokio::sync::watch;

use crate::client::Client;
use crate::error::{Error, Result};
use crate::webhooks::{WebhookErrorKind, WebhookHub, DEFAULT_MAX_WEBHOOK_BYTES};

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

impl Client {
    /// Serves this client's webhook hub at `http://{address}{path}` on the
    /// current tokio runtime. Answers 200 once a delivery is verified (even if
    /// every event was a duplicate), 401 for a wrong or missing secret, 400 for
    /// a malformed body, 413 for one over the size limit.
    pub async fn serve_webhooks(&self, address: &str, path: &str) -> Result<WebhookListener> {
        let hub = self.webhooks().clone();
        if hub.verifier().is_none() {
            return Err(Error::Config("set a webhook secret on the client to receive webhooks".into()));
        }
        if !path.starts_with('/') {
            return Err(Error::InvalidArgument(format!("the webhook path {path:?} must start with /")));
        }
        let listener = TcpListener::bind(address)
            .await
            .map_err(|error| Error::Config(format!("cannot listen on {address}: {error}")))?;
        let bound = listener.local_addr().map_err(|error| Error::Config(error.to_string()))?;
        let url = format!("http://{bound}{path}");
        let (stop, stopped) = watch::channel(false);
        let (listening, path) = (hub.listening(), Arc::from(path));
        let task = tokio::spawn(async move {
            accept(listener, hub, path, stopped).await;
            drop(listening);
        });
        Ok(WebhookListener { url, address: bound, stop, task: Some(task) })
    }
}

async fn accept(listener: TcpListener, hub: Arc<WebhookHub>, path: Arc<str>, mut stopped: watch::Receiver<bool>) {
    loop {
        let stream = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => stream,
                Err(error) => {
                    tracing::warn!(%error, "webhook listener: accept failed");
                    continue;
                }
            },
            _ = until_stopped(&mut stopped) => return,
        };
        let (hub, path, mut stopped) = (hub.clone(), path.clone(), stopped.clone());
        tokio::spawn(async move {
            let service = hyper::service::service_fn(move |request| {
                let (hub, path) = (hub.clone(), path.clone());
                async move { Ok::<_, Infallible>(respond(&hub, &path, request).await) }
            });
            let connection = hyper::server::conn::http1::Builder::new().serve_connection(TokioIo::new(stream), service);
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

async fn respond(hub: &WebhookHub, path: &str, request: Request<Incoming>) -> Response<Full<Bytes>> {
    if request.uri().path() != path {
        return answer(StatusCode::NOT_FOUND, "no webhook endpoint here");
    }
    if request.method() != Method::POST {
        return answer(StatusCode::METHOD_NOT_ALLOWED, "webhooks are POSTed");
    }
    let limit = hub.verifier().map_or(DEFAULT_MAX_WEBHOOK_BYTES, |v| v.max_body_bytes());
    let (parts, body) = request.into_parts();
    let body = match Limited::new(body, limit).collect().await {
        Ok(body) => body.to_bytes(),
        Err(_) => return answer(StatusCode::PAYLOAD_TOO_LARGE, "body over the size limit, or broken"),
    };
    match hub.handle(parts.headers.iter(), &body) {
        Ok(events) => answer(StatusCode::OK, &format!("{{\"received\":{}}}", events.len())),
        Err(Error::Webhook { kind, message }) => {
            let status = match kind {
                WebhookErrorKind::Unauthorized => StatusCode::UNAUTHORIZED,
                WebhookErrorKind::TooLarge => StatusCode::PAYLOAD_TOO_LARGE,
                _ => StatusCode::BAD_REQUEST,
            };
            tracing::warn!(%status, %message, "webhook delivery refused");
            answer(status, &message)
        }
        Err(error) => answer(StatusCode::INTERNAL_SERVER_ERROR, &error.to_string()),
    }
}

fn answer(status: StatusCode, message: &str) -> Response<Full<Bytes>> {
    let body = if message.starts_with('{') { message.to_owned() } else { serde_json::json!({ "error": message }).to_string() };
    let mut response = Response::new(Full::new(Bytes::from(body)));
    *response.status_mut() = status;
    response.headers_mut().insert(hyper::header::CONTENT_TYPE, hyper::header::HeaderValue::from_static("application/json"));
    response
}
