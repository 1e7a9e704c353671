//! Proxies and corporate TLS: an explicit `proxy`, the environment's
//! `HTTP_PROXY`/`HTTPS_PROXY`/`NO_PROXY`, and a `ca_bundle` for an API served
//! with a certificate no public CA signed.
//!
//! The proxy is written here: it reads a request head, records it, and then
//! either tunnels (`CONNECT host:port`, for `https://`) or forwards an
//! absolute-form request (`GET http://127.0.0.1:port/4.0/whoami`, for
//! `http://`) to the emulator. The TLS server is a relay in front of the plain
//! emulator, with a CA and a server certificate made by rcgen for each run.
//!
//! Environment variables are process-wide and reqwest reads them when a
//! client is built, so each environment case runs in a child process (this
//! same test binary, running only `environment_child`) with its own
//! environment; no test here changes its own process's environment.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use passfort_core::{Client, Error};
use passfort_emulator::{Emulator, EmulatorConfig};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

const PASSWORD: &str = "pr0xy-pa55word";

/// One connection's first request, as the proxy saw it.
#[derive(Clone, Debug)]
struct Seen {
    request_line: String,
    proxy_authorization: Option<String>,
}

struct Proxy {
    address: SocketAddr,
    seen: Arc<Mutex<Vec<Seen>>>,
}

impl Proxy {
    async fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap();
        let seen = Arc::new(Mutex::new(Vec::new()));
        let record = seen.clone();
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                tokio::spawn(proxy_connection(stream, record.clone()));
            }
        });
        Self { address, seen }
    }

    fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.address.port())
    }

    fn seen(&self) -> Vec<Seen> {
        self.seen.lock().unwrap().clone()
    }
}

/// Reads up to the blank line that ends a request head, one byte at a time so
/// that nothing after it is consumed.
async fn read_head(stream: &mut TcpStream) -> std::io::Result<String> {
    let mut head = Vec::new();
    while !head.ends_with(b"\r\n\r\n") {
        if head.len() > 64 * 1024 {
            return Err(std::io::Error::other("request head too long"));
        }
        head.push(stream.read_u8().await?);
    }
    Ok(String::from_utf8_lossy(&head).into_owned())
}

async fn proxy_connection(mut client: TcpStream, seen: Arc<Mutex<Vec<Seen>>>) -> std::io::Result<()> {
    let head = read_head(&mut client).await?;
    let mut lines = head.split("\r\n");
    let request_line = lines.next().unwrap_or_default().to_owned();
    let headers: Vec<&str> = lines.filter(|line| !line.is_empty()).collect();
    let proxy_authorization = headers.iter().find_map(|line| {
        let (name, value) = line.split_once(':')?;
        name.eq_ignore_ascii_case("proxy-authorization").then(|| value.trim().to_owned())
    });
    seen.lock().unwrap().push(Seen { request_line: request_line.clone(), proxy_authorization });
    let mut parts = request_line.split(' ');
    let (method, target, version) = (parts.next().unwrap_or(""), parts.next().unwrap_or(""), parts.next().unwrap_or(""));
    if method == "CONNECT" {
        let mut upstream = TcpStream::connect(target).await?;
        client.write_all(b"HTTP/1.1 200 Connection Established\r\n\r\n").await?;
        tokio::io::copy_bidirectional(&mut client, &mut upstream).await?;
        return Ok(());
    }
    // Absolute form: `GET http://host:port/path HTTP/1.1`, sent on in origin form.
    let rest = target.strip_prefix("http://").ok_or_else(|| std::io::Error::other("not an absolute-form request"))?;
    let (authority, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
    let mut upstream = TcpStream::connect(authority).await?;
    let mut forwarded = format!("{method} {} {version}\r\n", if path.is_empty() { "/" } else { path });
    for line in headers.iter().filter(|line| !line.to_ascii_lowercase().starts_with("proxy-")) {
        forwarded.push_str(line);
        forwarded.push_str("\r\n");
    }
    forwarded.push_str("\r\n");
    upstream.write_all(forwarded.as_bytes()).await?;
    tokio::io::copy_bidirectional(&mut client, &mut upstream).await?;
    Ok(())
}

/// A test CA, a server certificate it signed for 127.0.0.1 and localhost, and
/// the CA's certificate as a PEM file (after an unrelated CA: a bundle holds
/// one or more roots).
struct Pki {
    server_chain: Vec<rustls::pki_types::CertificateDer<'static>>,
    server_key: rustls::pki_types::PrivateKeyDer<'static>,
    bundle: PathBuf,
    dir: PathBuf,
}

impl Pki {
    fn new(name: &str) -> Self {
        use rcgen::{BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair, KeyUsagePurpose};
        let ca = |common_name: &str| {
            let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
            params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
            params.distinguished_name.push(DnType::CommonName, common_name);
            params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign, KeyUsagePurpose::DigitalSignature];
            let key = KeyPair::generate().unwrap();
            let certificate = params.self_signed(&key).unwrap();
            (certificate, Issuer::new(params, key))
        };
        let (unrelated, _) = ca("Unrelated test CA");
        let (ca_certificate, issuer) = ca("PassFort SDK test CA");
        let mut params = CertificateParams::new(vec!["127.0.0.1".to_owned(), "localhost".to_owned()]).unwrap();
        params.distinguished_name.push(DnType::CommonName, "localhost");
        params.use_authority_key_identifier_extension = true;
        params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
        params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
        let server_key = KeyPair::generate().unwrap();
        let server = params.signed_by(&server_key, &issuer).unwrap();

        let dir = std::env::temp_dir().join(format!("passfort-proxy-tls-{}-{name}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let bundle = dir.join("corporate-ca.pem");
        std::fs::write(&bundle, format!("{}{}", unrelated.pem(), ca_certificate.pem())).unwrap();
        Self {
            server_chain: vec![server.der().clone()],
            server_key: rustls::pki_types::PrivatePkcs8KeyDer::from(server_key.serialize_der()).into(),
            bundle,
            dir,
        }
    }
}

impl Drop for Pki {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// Terminates TLS with the test certificate and relays the plain bytes to `upstream`.
async fn start_tls_relay(pki: &Pki, upstream: SocketAddr) -> SocketAddr {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(pki.server_chain.clone(), pki.server_key.clone_key())
        .unwrap();
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let acceptor = acceptor.clone();
            tokio::spawn(async move {
                // A client that refuses the certificate ends the handshake: not an error here.
                let Ok(mut tls) = acceptor.accept(stream).await else { return };
                if let Ok(mut plain) = TcpStream::connect(upstream).await {
                    let _ = tokio::io::copy_bidirectional(&mut tls, &mut plain).await;
                }
            });
        }
    });
    address
}

async fn emulator() -> Emulator {
    passfort_emulator::start(EmulatorConfig::default()).await.expect("emulator starts")
}

fn builder(emulator: &Emulator, base_url: &str) -> passfort_core::ClientBuilder {
    Client::builder().api_key(emulator.api_key()).base_url(base_url).max_retries(0).request_timeout(Duration::from_secs(10))
}

#[tokio::test]
async fn an_explicit_proxy_carries_the_requests_and_its_password_stays_hidden() {
    let emulator = emulator().await;
    let proxy = Proxy::start().await;
    let with_credentials = format!("http://alice:{PASSWORD}@127.0.0.1:{}", proxy.address.port());
    let client = builder(&emulator, &emulator.base_url()).proxy(&with_credentials).build().unwrap();
    client.whoami().await.expect("whoami through the proxy");

    let seen = proxy.seen();
    assert_eq!(seen.len(), 1, "{seen:?}");
    let expected = format!("GET http://127.0.0.1:{}/4.0/whoami HTTP/1.1", emulator.address().port());
    assert_eq!(seen[0].request_line, expected);
    // Basic base64("alice:pr0xy-pa55word").
    assert_eq!(seen[0].proxy_authorization.as_deref(), Some("Basic YWxpY2U6cHIweHktcGE1NXdvcmQ="));
    assert!(!format!("{client:?}").contains(PASSWORD), "Debug shows the proxy password");
    assert!(!format!("{:?}", client.config()).contains(PASSWORD));
    assert!(client.config().has_proxy());

    // A proxy that is down: a connection error, without the password.
    let closed = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let dead = format!("http://alice:{PASSWORD}@{}", closed.local_addr().unwrap());
    drop(closed);
    let client = builder(&emulator, &emulator.base_url()).proxy(dead).build().unwrap();
    let error = client.whoami().await.unwrap_err();
    assert!(matches!(error, Error::Connection { request_sent: false, .. }), "{error:?}");
    assert!(!error.to_string().contains(PASSWORD) && !format!("{error:?}").contains(PASSWORD), "{error}");
}

#[tokio::test]
async fn a_proxy_that_is_not_http_is_refused_without_its_credentials() {
    for bad in [format!("socks5://alice:{PASSWORD}@127.0.0.1:1080"), format!("alice:{PASSWORD}@proxy.example:3128")] {
        let error = Client::builder().api_key("key").proxy(bad).build().unwrap_err();
        let message = error.to_string();
        assert!(matches!(error, Error::Config(_)), "{message}");
        assert!(!message.contains(PASSWORD) && !message.contains("alice"), "{message}");
        assert!(!format!("{error:?}").contains(PASSWORD));
    }
}

/// An explicit proxy is for every request: one the connector cannot use (a
/// host that is not ASCII, which a URL allows and an HTTP URI does not) is
/// refused when the client is made, never bypassed.
#[tokio::test]
async fn an_explicit_proxy_that_cannot_be_used_is_refused_not_bypassed() {
    let proxy = format!("http://alice:{PASSWORD}@prøxy.example:3128");
    let error = Client::builder().api_key("key").proxy(proxy).build().unwrap_err();
    let message = error.to_string();
    assert!(matches!(error, Error::Config(_)), "{message}");
    assert!(!message.contains(PASSWORD) && !message.contains("alice"), "{message}");
}

#[tokio::test]
async fn a_private_ca_is_refused_until_its_bundle_is_given() {
    let emulator = emulator().await;
    let pki = Pki::new("ca");
    let relay = start_tls_relay(&pki, emulator.address()).await;
    let base_url = format!("https://127.0.0.1:{}/4.0", relay.port());

    // The system trust store alone does not know the test CA.
    let client = builder(&emulator, &base_url).build().unwrap();
    let error = client.whoami().await.unwrap_err();
    let message = error.to_string();
    assert!(matches!(error, Error::Connection { request_sent: false, .. }), "{error:?}");
    assert!(message.to_lowercase().contains("certificate"), "{message}");

    let client = builder(&emulator, &base_url).ca_bundle(&pki.bundle).build().unwrap();
    assert_eq!(client.config().ca_bundle(), Some(pki.bundle.as_path()));
    client.whoami().await.expect("whoami over TLS with the CA bundle");

    // The bundle is read once, when the configuration is made.
    let config = builder(&emulator, &base_url).ca_bundle(&pki.bundle).config().unwrap();
    std::fs::remove_file(&pki.bundle).unwrap();
    Client::from_config(config).unwrap().whoami().await.expect("a config keeps its certificates");
}

/// The connect timeout bounds the whole of making a connection, the TLS
/// handshake included: a server that accepts and then says nothing is a
/// timeout that proves the request was never sent.
#[tokio::test]
async fn a_server_silent_in_the_tls_handshake_is_a_connect_timeout() {
    let silent = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = silent.local_addr().unwrap();
    let accepted = tokio::spawn(async move {
        let (stream, _) = silent.accept().await.unwrap();
        // Held open, never answered, until the client gives up.
        let mut stream = stream;
        let mut byte = [0u8; 1];
        while stream.read(&mut byte).await.is_ok_and(|read| read > 0) {}
    });
    let client = Client::builder()
        .api_key("key")
        .base_url(format!("https://127.0.0.1:{}/4.0", address.port()))
        .max_retries(0)
        .connect_timeout(Duration::from_millis(300))
        .request_timeout(Duration::from_secs(30))
        .build()
        .unwrap();
    let error = client.whoami().await.unwrap_err();
    assert!(matches!(error, Error::Timeout { request_sent: false, after, .. } if after == Duration::ZERO), "{error:?}");
    accepted.abort();
}

#[tokio::test]
async fn a_ca_bundle_that_cannot_be_read_is_a_config_error_naming_it() {
    let pki = Pki::new("bad");
    let missing = pki.dir.join("no-such-bundle.pem");
    let error = Client::builder().api_key("key").ca_bundle(&missing).build().unwrap_err();
    assert!(matches!(&error, Error::Config(message) if message.contains("no-such-bundle.pem")), "{error}");
    let key_only = pki.dir.join("key-only.pem");
    std::fs::write(&key_only, "-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEIA==\n-----END PRIVATE KEY-----\n").unwrap();
    let error = Client::builder().api_key("key").ca_bundle(&key_only).build().unwrap_err();
    assert!(matches!(&error, Error::Config(message) if message.contains("key-only.pem")), "{error}");
}

/// Runs `environment_child` in a child process with exactly these proxy
/// variables (the parent's own proxy variables are removed) and reports
/// whether its `whoami` succeeded, with its output.
fn run_child(base_url: &str, api_key: &str, variables: &[(&str, &str)], ca_bundle: Option<&Path>) -> (bool, String) {
    let mut command = Command::new(std::env::current_exe().unwrap());
    command.args(["environment_child", "--exact", "--ignored", "--nocapture", "--test-threads=1"]);
    for name in ["HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY", "REQUEST_METHOD"] {
        command.env_remove(name).env_remove(name.to_lowercase());
    }
    command.env("PASSFORT_PROXY_TLS_CHILD", "1").env("PASSFORT_BASE_URL", base_url).env("PASSFORT_API_KEY", api_key);
    if let Some(bundle) = ca_bundle {
        command.env("PASSFORT_PROXY_TLS_CA_BUNDLE", bundle);
    }
    command.envs(variables.iter().copied());
    let output = command.output().expect("the test binary runs");
    let text = format!("{}{}", String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr));
    (output.status.success() && text.contains("CHILD-OK"), text)
}

/// The child side of `the_environment_proxy_settings_are_honoured`: a client
/// made from the environment alone (plus the CA bundle or explicit proxy the
/// parent names), one `whoami`.
#[test]
#[ignore = "run by the_environment_proxy_settings_are_honoured in a child process"]
fn environment_child() {
    if std::env::var_os("PASSFORT_PROXY_TLS_CHILD").is_none() {
        return;
    }
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let mut builder = Client::builder().max_retries(0).request_timeout(Duration::from_secs(10));
    if let Some(bundle) = std::env::var_os("PASSFORT_PROXY_TLS_CA_BUNDLE") {
        builder = builder.ca_bundle(bundle);
    }
    if let Ok(proxy) = std::env::var("PASSFORT_PROXY_TLS_PROXY") {
        builder = builder.proxy(proxy);
    }
    let client = builder.build().expect("client builds");
    match runtime.block_on(client.whoami()) {
        Ok(_) => println!("CHILD-OK"),
        Err(error) => panic!("whoami failed: {error}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_environment_proxy_settings_are_honoured() {
    let emulator = emulator().await;
    let pki = Pki::new("env");
    let relay = start_tls_relay(&pki, emulator.address()).await;
    let https_url = format!("https://127.0.0.1:{}/4.0", relay.port());
    let http_url = emulator.base_url();
    let key = emulator.api_key().to_owned();
    let proxy = Proxy::start().await;
    let proxy_url = proxy.url();
    let child = |base_url: String, variables: Vec<(&'static str, String)>, bundle: Option<PathBuf>| {
        let key = key.clone();
        async move {
            tokio::task::spawn_blocking(move || {
                let variables: Vec<(&str, &str)> = variables.iter().map(|(name, value)| (*name, value.as_str())).collect();
                run_child(&base_url, &key, &variables, bundle.as_deref())
            })
            .await
            .unwrap()
        }
    };

    // HTTP_PROXY for an http:// base URL: an absolute-form request to the proxy.
    let (ok, output) = child(http_url.clone(), vec![("HTTP_PROXY", proxy_url.clone())], None).await;
    assert!(ok, "{output}");
    let seen = proxy.seen();
    assert_eq!(seen.len(), 1, "{seen:?}");
    assert_eq!(seen[0].request_line, format!("GET {http_url}/whoami HTTP/1.1"));

    // Lower case works as well, as in curl.
    let (ok, output) = child(http_url.clone(), vec![("http_proxy", proxy_url.clone())], None).await;
    assert!(ok && proxy.seen().len() == 2, "{output}");

    // HTTPS_PROXY for an https:// base URL: a CONNECT tunnel, TLS inside it.
    let (ok, output) = child(https_url.clone(), vec![("HTTPS_PROXY", proxy_url.clone())], Some(pki.bundle.clone())).await;
    assert!(ok, "{output}");
    let seen = proxy.seen();
    assert_eq!(seen.len(), 3, "{seen:?}");
    assert_eq!(seen[2].request_line, format!("CONNECT 127.0.0.1:{} HTTP/1.1", relay.port()));

    // NO_PROXY: hosts that go direct, whatever HTTP_PROXY and HTTPS_PROXY say.
    let both =
        |no_proxy: &str| vec![("HTTP_PROXY", proxy_url.clone()), ("HTTPS_PROXY", proxy_url.clone()), ("NO_PROXY", no_proxy.to_owned())];
    let (ok, output) = child(http_url.clone(), both("127.0.0.1"), None).await;
    assert!(ok, "{output}");
    let (ok, output) = child(https_url.clone(), both("localhost, 127.0.0.0/8"), Some(pki.bundle.clone())).await;
    assert!(ok, "{output}");
    assert_eq!(proxy.seen().len(), 3, "NO_PROXY was not honoured: {:?}", proxy.seen());

    // An explicit proxy replaces the environment's (here a dead one).
    let closed = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let dead = format!("http://{}", closed.local_addr().unwrap());
    drop(closed);
    let mut variables = vec![("HTTP_PROXY", dead.clone()), ("NO_PROXY", "127.0.0.1".to_owned())];
    variables.push(("PASSFORT_PROXY_TLS_PROXY", proxy_url.clone()));
    let (ok, output) = child(http_url.clone(), variables, None).await;
    assert!(ok, "{output}");
    assert_eq!(proxy.seen().len(), 4, "{:?}", proxy.seen());

    // And a dead proxy from the environment really is used (the cases above
    // did not pass by going direct).
    let (ok, output) = child(http_url, vec![("HTTP_PROXY", dead)], None).await;
    assert!(!ok, "{output}");
}
