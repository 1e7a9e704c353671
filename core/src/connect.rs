//! How the client reaches PassFort: a TCP connection, straight or through an
//! HTTP proxy, and TLS verified by the platform's trust store plus the CA
//! bundle, if one is given. hyper-util's pool keeps the connections.
//!
//! Every request of a client goes to one host, the base URL's, so the route
//! (straight, forwarded by a proxy, or tunnelled through one) is chosen once,
//! when the client is made.

use std::future::Future;
use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use hyper_util::client::legacy::connect::{Connected, Connection, HttpConnector};
use hyper_util::client::proxy::matcher::Matcher;
use hyper_util::rt::TokioIo;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, ReadBuf};
use tokio::net::TcpStream;

use crate::config::ClientConfig;
use crate::error::{Error, Result};

type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// The longest answer head a proxy may give to CONNECT.
const MAX_TUNNEL_ANSWER: usize = 8 * 1024;

/// Where the connections of a client go.
#[derive(Debug)]
enum Route {
    Straight,
    /// An http:// base URL through a proxy: requests go to the proxy in
    /// absolute form, with its credentials in a `Proxy-Authorization` header.
    Forwarded {
        proxy: http::Uri,
    },
    /// An https:// base URL through a proxy: a CONNECT tunnel, and TLS with
    /// PassFort inside it, so that the proxy sees neither the key nor the data.
    Tunnelled {
        proxy: http::Uri,
        credentials: Option<http::HeaderValue>,
    },
}

/// Opens the connections of one client (a `tower` service, as hyper-util's pool asks).
#[derive(Clone)]
pub(crate) struct Connector {
    tcp: HttpConnector,
    /// TLS with PassFort: HTTP/2 or HTTP/1.1, as the server chooses.
    tls: tokio_rustls::TlsConnector,
    /// TLS with an https:// proxy, which speaks HTTP/1.1 to us.
    proxy_tls: tokio_rustls::TlsConnector,
    route: Arc<Route>,
    /// For the whole of a connection's making: TCP, a proxy's tunnel, TLS.
    connect_timeout: std::time::Duration,
}

impl std::fmt::Debug for Connector {
    /// The route only: a proxy's credentials never show.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Connector").field("route", &self.route).finish_non_exhaustive()
    }
}

impl Connector {
    /// The connector of a client whose every request goes to `base`, and the
    /// `Proxy-Authorization` value its requests carry when a proxy forwards them.
    ///
    /// Without an explicit proxy, HTTPS_PROXY, HTTP_PROXY, ALL_PROXY and
    /// NO_PROXY (either case) are read now, at build time, as curl reads them;
    /// an explicit proxy replaces them all.
    pub fn new(config: &ClientConfig, base: &http::Uri) -> Result<(Self, Option<http::HeaderValue>)> {
        let proxies = match &config.proxy {
            Some(proxy) => Matcher::builder().all(proxy.expose().to_owned()).build(),
            None => Matcher::from_env(),
        };
        let (route, forward_credentials) = match proxies.intercept(base) {
            // The configuration refused any explicit proxy the matcher cannot
            // read; should one get here all the same, it is refused, never bypassed.
            None if config.proxy.is_some() => return Err(Error::Config("the proxy URL is not usable".into())),
            None => (Route::Straight, None),
            Some(proxy) if base.scheme() == Some(&http::uri::Scheme::HTTPS) => {
                (Route::Tunnelled { proxy: proxy.uri().clone(), credentials: proxy.basic_auth().cloned() }, None)
            }
            Some(proxy) => (Route::Forwarded { proxy: proxy.uri().clone() }, proxy.basic_auth().cloned()),
        };
        let mut tcp = HttpConnector::new();
        tcp.enforce_http(false);
        tcp.set_nodelay(true);
        let verifier = Arc::new(verifier(config)?);
        let connector = Self {
            tcp,
            tls: tokio_rustls::TlsConnector::from(Arc::new(tls_config(&verifier, &[b"h2", b"http/1.1"])?)),
            proxy_tls: tokio_rustls::TlsConnector::from(Arc::new(tls_config(&verifier, &[b"http/1.1"])?)),
            route: Arc::new(route),
            connect_timeout: config.connect_timeout,
        };
        let forward_credentials = forward_credentials.map(|mut value| {
            value.set_sensitive(true);
            value
        });
        Ok((connector, forward_credentials))
    }

    async fn connect(self, destination: http::Uri) -> std::result::Result<Conn, BoxError> {
        let secure = destination.scheme() == Some(&http::uri::Scheme::HTTPS);
        match &*self.route {
            Route::Straight => {
                let tcp = self.tcp_to(&destination).await?;
                if !secure {
                    return Ok(Conn::new(Io::Tcp(tcp)));
                }
                let tls = handshake(&self.tls, &destination, tcp).await?;
                let h2 = negotiated_h2(&tls);
                Ok(Conn::new(Io::Tls(Box::new(tls))).negotiated_h2(h2))
            }
            Route::Forwarded { proxy } => Ok(Conn::new(Io::Proxied(self.to_proxy(proxy).await?)).proxied()),
            Route::Tunnelled { proxy, credentials } => {
                let mut stream = self.to_proxy(proxy).await?;
                open_tunnel(&mut stream, &destination, credentials.as_ref()).await?;
                let tls = handshake(&self.tls, &destination, stream).await?;
                let h2 = negotiated_h2(&tls);
                Ok(Conn::new(Io::Proxied(Box::new(tls))).negotiated_h2(h2))
            }
        }
    }

    async fn tcp_to(&self, to: &http::Uri) -> std::result::Result<TcpStream, BoxError> {
        let mut tcp = self.tcp.clone();
        Ok(tower_service::Service::call(&mut tcp, to.clone()).await?.into_inner())
    }

    /// A connection to the proxy: TCP, and TLS if its URL is https://.
    async fn to_proxy(&self, proxy: &http::Uri) -> std::result::Result<Box<dyn AsyncIo>, BoxError> {
        let tcp = self.tcp_to(proxy).await?;
        if proxy.scheme() == Some(&http::uri::Scheme::HTTPS) {
            Ok(Box::new(handshake(&self.proxy_tls, proxy, tcp).await?))
        } else {
            Ok(Box::new(tcp))
        }
    }
}

impl tower_service::Service<http::Uri> for Connector {
    type Response = Conn;
    type Error = BoxError;
    type Future = Pin<Box<dyn Future<Output = std::result::Result<Conn, BoxError>> + Send>>;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<std::result::Result<(), BoxError>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, destination: http::Uri) -> Self::Future {
        let (connector, limit) = (self.clone(), self.connect_timeout);
        Box::pin(async move {
            match tokio::time::timeout(limit, connector.connect(destination)).await {
                Ok(connected) => connected,
                Err(_) => Err(Box::new(io::Error::new(io::ErrorKind::TimedOut, "the connection was not made in time")) as BoxError),
            }
        })
    }
}

/// The crypto provider the host application installed, or ring.
fn crypto_provider() -> Arc<rustls::crypto::CryptoProvider> {
    rustls::crypto::CryptoProvider::get_default().cloned().unwrap_or_else(|| Arc::new(rustls::crypto::ring::default_provider()))
}

/// rustls-platform-verifier's verification (the operating system's trust
/// store; on Linux the system CA bundle, or SSL_CERT_FILE / SSL_CERT_DIR)
/// with the CA bundle's roots added, when one is given.
fn verifier(config: &ClientConfig) -> Result<rustls_platform_verifier::Verifier> {
    let extra_roots = config.ca_bundle.iter().flat_map(|bundle| bundle.certificates().iter().cloned());
    rustls_platform_verifier::Verifier::new_with_extra_roots(extra_roots, crypto_provider())
        .map_err(|error| Error::Config(format!("the TLS trust store could not be loaded: {error}")))
}

fn tls_config(verifier: &Arc<rustls_platform_verifier::Verifier>, protocols: &[&[u8]]) -> Result<rustls::ClientConfig> {
    let mut tls = rustls::ClientConfig::builder_with_provider(crypto_provider())
        .with_safe_default_protocol_versions()
        .map_err(|error| Error::Config(format!("TLS could not be set up: {error}")))?
        .dangerous()
        .with_custom_certificate_verifier(verifier.clone())
        .with_no_client_auth();
    tls.alpn_protocols = protocols.iter().map(|protocol| protocol.to_vec()).collect();
    Ok(tls)
}

async fn handshake<S: AsyncIo>(
    tls: &tokio_rustls::TlsConnector,
    to: &http::Uri,
    stream: S,
) -> std::result::Result<tokio_rustls::client::TlsStream<S>, BoxError> {
    let host = to.host().unwrap_or_default().trim_start_matches('[').trim_end_matches(']');
    let name = rustls::pki_types::ServerName::try_from(host.to_owned())?;
    tls.connect(name, stream).await.map_err(|error| -> BoxError {
        // The rustls error itself, so that the error's cause reads as TLS.
        match error.get_ref().and_then(|inner| inner.downcast_ref::<rustls::Error>()) {
            Some(tls_error) => Box::new(tls_error.clone()),
            None => Box::new(error),
        }
    })
}

/// Whether PassFort chose HTTP/2 in the TLS handshake (ALPN).
fn negotiated_h2<S>(tls: &tokio_rustls::client::TlsStream<S>) -> bool {
    tls.get_ref().1.alpn_protocol() == Some(b"h2")
}

/// Asks the proxy for a tunnel to `destination` (CONNECT) and reads its
/// answer's head, and nothing after it: TLS with PassFort follows.
async fn open_tunnel(
    stream: &mut Box<dyn AsyncIo>,
    destination: &http::Uri,
    credentials: Option<&http::HeaderValue>,
) -> std::result::Result<(), BoxError> {
    let host = destination.host().unwrap_or_default();
    let port = destination.port_u16().unwrap_or(443);
    let authority = format!("{host}:{port}");
    let mut head = format!("CONNECT {authority} HTTP/1.1\r\nHost: {authority}\r\n").into_bytes();
    if let Some(credentials) = credentials {
        head.extend_from_slice(b"Proxy-Authorization: ");
        head.extend_from_slice(credentials.as_bytes());
        head.extend_from_slice(b"\r\n");
    }
    head.extend_from_slice(b"\r\n");
    stream.write_all(&head).await?;
    stream.flush().await?;
    let mut answer = Vec::with_capacity(128);
    while !answer.ends_with(b"\r\n\r\n") {
        if answer.len() >= MAX_TUNNEL_ANSWER {
            return Err("the proxy's answer to CONNECT is too long".into());
        }
        answer.push(stream.read_u8().await?);
    }
    // `HTTP/1.1 200 Connection established`: only the status is looked at, and only it is told.
    let status = answer.split(|&byte| byte == b' ').nth(1).and_then(|code| std::str::from_utf8(code).ok()?.parse::<u16>().ok());
    match status {
        Some(200..=299) => Ok(()),
        Some(407) => Err("the proxy refused the tunnel: it asks for credentials (407)".into()),
        Some(status) => Err(format!("the proxy refused the tunnel ({status})").into()),
        None => Err("the proxy's answer to CONNECT is not HTTP".into()),
    }
}

/// What a proxied connection runs on: TCP or TLS to the proxy, or TLS with
/// PassFort inside a tunnel.
pub(crate) trait AsyncIo: AsyncRead + AsyncWrite + Send + Unpin {}
impl<T: AsyncRead + AsyncWrite + Send + Unpin> AsyncIo for T {}

enum Io {
    Tcp(TcpStream),
    Tls(Box<tokio_rustls::client::TlsStream<TcpStream>>),
    Proxied(Box<dyn AsyncIo>),
}

/// One connection of the pool.
pub(crate) struct Conn {
    io: TokioIo<Io>,
    /// Requests on it go in absolute form, for the proxy to forward.
    forwarded: bool,
    h2: bool,
}

impl Conn {
    fn new(io: Io) -> Self {
        Self { io: TokioIo::new(io), forwarded: false, h2: false }
    }

    fn proxied(self) -> Self {
        Self { forwarded: true, ..self }
    }

    fn negotiated_h2(self, h2: bool) -> Self {
        Self { h2, ..self }
    }
}

impl Connection for Conn {
    fn connected(&self) -> Connected {
        let connected = Connected::new().proxy(self.forwarded);
        if self.h2 {
            connected.negotiated_h2()
        } else {
            connected
        }
    }
}

macro_rules! each_io {
    ($io:expr, $inner:ident => $body:expr) => {
        match $io {
            Io::Tcp($inner) => $body,
            Io::Tls($inner) => $body,
            Io::Proxied($inner) => $body,
        }
    };
}

impl AsyncRead for Io {
    fn poll_read(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        each_io!(self.get_mut(), io => Pin::new(io).poll_read(cx, buf))
    }
}

impl AsyncWrite for Io {
    fn poll_write(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        each_io!(self.get_mut(), io => Pin::new(io).poll_write(cx, buf))
    }

    fn poll_write_vectored(self: Pin<&mut Self>, cx: &mut Context<'_>, bufs: &[io::IoSlice<'_>]) -> Poll<io::Result<usize>> {
        each_io!(self.get_mut(), io => Pin::new(io).poll_write_vectored(cx, bufs))
    }

    fn is_write_vectored(&self) -> bool {
        each_io!(self, io => io.is_write_vectored())
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        each_io!(self.get_mut(), io => Pin::new(io).poll_flush(cx))
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        each_io!(self.get_mut(), io => Pin::new(io).poll_shutdown(cx))
    }
}

impl hyper::rt::Read for Conn {
    fn poll_read(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: hyper::rt::ReadBufCursor<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().io).poll_read(cx, buf)
    }
}

impl hyper::rt::Write for Conn {
    fn poll_write(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().io).poll_write(cx, buf)
    }

    fn poll_write_vectored(self: Pin<&mut Self>, cx: &mut Context<'_>, bufs: &[io::IoSlice<'_>]) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().io).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.io.is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().io).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().io).poll_shutdown(cx)
    }
}
