//! For the listener tests: a client with a listener, raw HTTP over TCP (to
//! send half a request, or headers without their body), and a tracing layer
//! that records log events so that tests can count them.
#![allow(dead_code)]

use std::net::SocketAddr;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use passfort_core::{Client, ListenerOptions, WebhookListener};
use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tracing::field::{Field, Visit};
use tracing::{Event, Level, Subscriber};
use tracing_subscriber::layer::{Context, SubscriberExt};
use tracing_subscriber::Layer;

pub const SECRET: &str = "whsec_listener_tests_4c9e";
pub const PATH: &str = "/hooks";
/// How long a test waits for something that must happen; reaching it is a failure.
pub const DEADLINE: Duration = Duration::from_secs(30);

pub async fn listen(options: &ListenerOptions) -> (Client, WebhookListener) {
    let client = Client::builder().api_key("k").base_url("http://127.0.0.1:9/4.0").webhook_secret(SECRET).build().unwrap();
    let listener = client.serve_webhooks_with("127.0.0.1:0", PATH, options).await.unwrap();
    (client, listener)
}

/// A valid single-envelope delivery body, stamped now.
pub fn envelope(id: &str) -> String {
    json!({ "id": id, "event": "CHECK_COMPLETED", "secret": SECRET, "timestamp": chrono::Utc::now().timestamp(),
            "data": { "profile_id": "p", "check": { "id": format!("check-{id}") } } })
    .to_string()
}

/// The head of a POST to the webhook path; `extra` are whole header lines.
pub fn head(authorization: Option<&str>, content_length: usize, extra: &str) -> String {
    let authorization = authorization.map(|secret| format!("Authorization: Bearer {secret}\r\n")).unwrap_or_default();
    format!("POST {PATH} HTTP/1.1\r\nHost: 127.0.0.1\r\n{authorization}Content-Type: application/json\r\nContent-Length: {content_length}\r\n{extra}\r\n")
}

/// A whole valid delivery request that asks for the connection to be closed after it.
pub fn valid_request(id: &str) -> Vec<u8> {
    let body = envelope(id);
    format!("{}{body}", head(Some(SECRET), body.len(), "Connection: close\r\n")).into_bytes()
}

/// Reads until the server closes the connection, and gives back the status
/// and the whole response as text. Fails the test at the deadline.
pub async fn read_to_close(stream: &mut TcpStream) -> (u16, String) {
    let mut response = Vec::new();
    let read = tokio::time::timeout(DEADLINE, async {
        let mut buffer = [0; 4096];
        loop {
            match stream.read(&mut buffer).await {
                Ok(0) => return,
                Ok(n) => response.extend_from_slice(&buffer[..n]),
                Err(error) if error.kind() == std::io::ErrorKind::ConnectionReset => return,
                Err(error) => panic!("reading the response: {error}"),
            }
        }
    })
    .await;
    read.expect("the server closes the connection before the deadline");
    let text = String::from_utf8_lossy(&response).into_owned();
    (status_of(&text), text)
}

/// Reads one response whose body has a Content-Length, leaving the connection open.
pub async fn read_one_response(stream: &mut TcpStream) -> (u16, String) {
    let mut response = Vec::new();
    tokio::time::timeout(DEADLINE, async {
        let mut buffer = [0; 4096];
        loop {
            let n = stream.read(&mut buffer).await.expect("reading the response");
            assert!(n > 0, "closed before a whole response: {:?}", String::from_utf8_lossy(&response));
            response.extend_from_slice(&buffer[..n]);
            let text = String::from_utf8_lossy(&response);
            if let Some(end) = text.find("\r\n\r\n") {
                let length = text[..end]
                    .lines()
                    .find_map(|line| line.to_ascii_lowercase().strip_prefix("content-length:").map(|v| v.trim().parse::<usize>().unwrap()))
                    .unwrap_or(0);
                if response.len() >= end + 4 + length {
                    return;
                }
            }
        }
    })
    .await
    .expect("a response before the deadline");
    let text = String::from_utf8_lossy(&response).into_owned();
    (status_of(&text), text)
}

fn status_of(response: &str) -> u16 {
    response.split(' ').nth(1).and_then(|status| status.parse().ok()).unwrap_or(0)
}

/// Sends a valid delivery on a new connection; `None` if the connection was
/// closed without an answer (as over the connection limit).
pub async fn try_deliver(address: SocketAddr, id: &str) -> Option<u16> {
    let mut stream = TcpStream::connect(address).await.ok()?;
    stream.write_all(&valid_request(id)).await.ok()?;
    match read_to_close(&mut stream).await {
        (0, _) => None,
        (status, _) => Some(status),
    }
}

/// Waits until the server closes `stream` (end of file or reset), reading
/// and dropping whatever it sends first; gives back when.
pub async fn closed_by_server(mut stream: TcpStream) -> Instant {
    tokio::time::timeout(DEADLINE, async {
        let mut buffer = [0; 1024];
        loop {
            match stream.read(&mut buffer).await {
                Ok(0) => return Instant::now(),
                Ok(_) => continue,
                Err(_) => return Instant::now(),
            }
        }
    })
    .await
    .expect("the server closes the connection before the deadline")
}

/// Polls `probe` until it is true; fails the test at the deadline.
pub async fn eventually(what: &str, mut probe: impl FnMut() -> bool) {
    let started = Instant::now();
    while !probe() {
        assert!(started.elapsed() < DEADLINE, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

/// One log event: its level, message and `listener` field.
#[derive(Clone, Debug)]
pub struct Logged {
    pub level: Level,
    pub message: String,
    pub listener: Option<String>,
}

#[derive(Clone, Default)]
pub struct LogRecorder(Arc<Mutex<Vec<Logged>>>);

impl LogRecorder {
    /// The process's recorder, installed as the global subscriber on first use.
    pub fn global() -> LogRecorder {
        static RECORDER: OnceLock<LogRecorder> = OnceLock::new();
        RECORDER
            .get_or_init(|| {
                let recorder = LogRecorder::default();
                let subscriber = tracing_subscriber::registry().with(recorder.clone());
                tracing::subscriber::set_global_default(subscriber).expect("no other global subscriber");
                recorder
            })
            .clone()
    }

    /// How many events of `level` the listener at `address` logged whose message contains `text`.
    pub fn count(&self, address: SocketAddr, level: Level, text: &str) -> usize {
        let address = address.to_string();
        self.0
            .lock()
            .unwrap()
            .iter()
            .filter(|e| e.level == level && e.listener.as_deref() == Some(&address) && e.message.contains(text))
            .count()
    }
}

impl<S: Subscriber> Layer<S> for LogRecorder {
    fn on_event(&self, event: &Event<'_>, _context: Context<'_, S>) {
        if !event.metadata().target().starts_with("passfort_core") {
            return;
        }
        struct Fields(String, Option<String>);
        impl Visit for Fields {
            fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
                match field.name() {
                    "message" => self.0 = format!("{value:?}"),
                    "listener" => self.1 = Some(format!("{value:?}")),
                    _ => {}
                }
            }
        }
        let mut fields = Fields(String::new(), None);
        event.record(&mut fields);
        self.0.lock().unwrap().push(Logged { level: *event.metadata().level(), message: fields.0, listener: fields.1 });
    }
}
