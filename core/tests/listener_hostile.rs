//! The built-in webhook listener against clients that never authenticate:
//! stalled headers, unwanted bodies, slow bodies, too many connections,
//! idle keep-alive, log floods. Real TCP, raw HTTP.

mod listener_support;

use std::time::{Duration, Instant};

use futures_util::future::join_all;
use listener_support::*;
use passfort_core::{Client, Error, ListenerOptions};
use serde_json::json;
use tokio::io::AsyncWriteExt;
use tokio::net::{TcpSocket, TcpStream};
use tracing::Level;

#[tokio::test]
async fn stalled_headers_do_not_block_a_delivery_and_are_closed_after_the_header_timeout() {
    let mut options = ListenerOptions::default();
    options.header_timeout = Duration::from_secs(5);
    options.max_connections = 1024;
    let (_client, listener) = listen(&options).await;

    let mut stalled = Vec::new();
    for _ in 0..500 {
        let opened = Instant::now();
        let mut stream = TcpStream::connect(listener.address()).await.unwrap();
        stream.write_all(b"POST /hooks HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthoriz").await.unwrap();
        stalled.push((opened, stream));
    }

    assert_eq!(try_deliver(listener.address(), "evt-among-stalled").await, Some(200));
    let answered = Instant::now();

    let closed: Vec<(Instant, Instant)> =
        join_all(stalled.into_iter().map(|(opened, stream)| async move { (opened, closed_by_server(stream).await) })).await;
    for (opened, closed_at) in &closed {
        // Timers never fire early; the margin is for the client's clock starting before the server's.
        assert!(
            *closed_at >= *opened + options.header_timeout - Duration::from_millis(50),
            "closed {:?} after opening",
            *closed_at - *opened
        );
    }
    let first_closed = closed.iter().map(|(_, closed_at)| *closed_at).min().unwrap();
    assert!(answered < first_closed, "the delivery was answered while all 500 stalled connections were open");
}

#[tokio::test]
async fn a_stranger_is_answered_401_without_sending_the_body() {
    let (_client, listener) = listen(&ListenerOptions::default()).await;
    // Headers announcing 5 MiB, and not one byte of it: the answer must not wait for the body.
    for authorization in [Some("whsec_wrong_but_long_enough"), None] {
        let mut stream = TcpStream::connect(listener.address()).await.unwrap();
        stream.write_all(head(authorization, 5 * 1024 * 1024, "").as_bytes()).await.unwrap();
        let (status, response) = read_to_close(&mut stream).await;
        assert_eq!(status, 401, "{response}");
        assert!(response.to_ascii_lowercase().contains("connection: close"), "{response}");
        assert!(!response.contains(SECRET) && !response.contains("whsec_wrong_but_long_enough"), "{response}");
    }
}

#[tokio::test]
async fn an_oversized_body_is_refused_from_its_length_alone() {
    let (_client, listener) = listen(&ListenerOptions::default()).await;
    let mut stream = TcpStream::connect(listener.address()).await.unwrap();
    stream.write_all(head(Some(SECRET), 6 * 1024 * 1024, "").as_bytes()).await.unwrap();
    let (status, response) = read_to_close(&mut stream).await;
    assert_eq!(status, 413, "{response}");
}

#[tokio::test]
async fn a_body_slower_than_the_body_timeout_is_answered_408() {
    let mut options = ListenerOptions::default();
    options.body_timeout = Duration::from_millis(500);
    let (_client, listener) = listen(&options).await;
    let mut stream = TcpStream::connect(listener.address()).await.unwrap();
    stream.write_all(head(Some(SECRET), 100, "").as_bytes()).await.unwrap();
    let sent = Instant::now();
    stream.write_all(b"{\"id\":").await.unwrap();
    let (status, response) = read_to_close(&mut stream).await;
    assert_eq!(status, 408, "{response}");
    assert!(sent.elapsed() >= options.body_timeout);
}

#[tokio::test]
async fn an_idle_keep_alive_connection_is_closed_after_the_header_timeout() {
    let mut options = ListenerOptions::default();
    options.header_timeout = Duration::from_millis(500);
    let (_client, listener) = listen(&options).await;
    let mut stream = TcpStream::connect(listener.address()).await.unwrap();
    let body = envelope("evt-keep-alive");
    stream.write_all(format!("{}{body}", head(Some(SECRET), body.len(), "")).as_bytes()).await.unwrap();
    let (status, response) = read_one_response(&mut stream).await;
    assert_eq!(status, 200, "{response}");
    let idle_from = Instant::now();
    let closed_at = closed_by_server(stream).await;
    assert!(closed_at >= idle_from + options.header_timeout - Duration::from_millis(50));
}

#[tokio::test]
async fn a_client_that_never_reads_its_answers_is_disconnected() {
    let mut options = ListenerOptions::default();
    options.write_timeout = Duration::from_millis(500);
    options.header_timeout = Duration::from_secs(120);
    let (_client, listener) = listen(&options).await;
    let socket = TcpSocket::new_v4().unwrap();
    socket.set_recv_buffer_size(4096).unwrap();
    let stream = socket.connect(listener.address()).await.unwrap();
    // Pipelined requests whose answers are never read: the server's writes stall, then it must give up.
    let (_unread, mut writer) = stream.into_split();
    let pipelined = "GET /nothing-here HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".repeat(1000);
    let written = tokio::time::timeout(DEADLINE, async {
        loop {
            if writer.write_all(pipelined.as_bytes()).await.is_err() {
                return;
            }
        }
    })
    .await;
    written.expect("the server closes the connection before the deadline");
}

#[tokio::test]
async fn connections_over_the_limit_are_closed_at_once_and_logged_once() {
    let logs = LogRecorder::global();
    let mut options = ListenerOptions::default();
    options.max_connections = 4;
    options.header_timeout = Duration::from_secs(120);
    let (_client, listener) = listen(&options).await;
    let address = listener.address();

    let mut holding = Vec::new();
    for _ in 0..4 {
        let mut stream = TcpStream::connect(address).await.unwrap();
        stream.write_all(b"POST /hooks HTTP/1.1\r\n").await.unwrap();
        holding.push(stream);
    }
    // Accepted in order after the four: each is closed long before the 120 s header timeout.
    let mut over = Vec::new();
    for _ in 0..20 {
        over.push(TcpStream::connect(address).await.unwrap());
    }
    join_all(over.into_iter().map(closed_by_server)).await;
    assert_eq!(logs.count(address, Level::WARN, "connection limit reached"), 1, "one line for 20 refused connections");

    // Once the four go, deliveries are served again, and that is logged once.
    drop(holding);
    let started = Instant::now();
    let mut attempt = 0;
    loop {
        attempt += 1;
        if let Some(status) = try_deliver(address, &format!("evt-after-{attempt}")).await {
            assert_eq!(status, 200);
            break;
        }
        assert!(started.elapsed() < DEADLINE, "no delivery served after the held connections closed");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(logs.count(address, Level::INFO, "below its connection limit again"), 1);
    assert_eq!(logs.count(address, Level::WARN, "connection limit reached"), 1);
}

#[tokio::test]
async fn refused_deliveries_do_not_flood_the_log() {
    let logs = LogRecorder::global();
    let (_client, listener) = listen(&ListenerOptions::default()).await;
    for _ in 0..20 {
        let mut stream = TcpStream::connect(listener.address()).await.unwrap();
        stream.write_all(head(Some("whsec_wrong_but_long_enough"), 0, "").as_bytes()).await.unwrap();
        assert_eq!(read_to_close(&mut stream).await.0, 401);
    }
    assert_eq!(logs.count(listener.address(), Level::WARN, "webhook delivery refused"), 1);
    assert_eq!(logs.count(listener.address(), Level::DEBUG, "webhook delivery refused"), 19);
}

#[tokio::test]
async fn the_default_listener_still_serves_and_refuses_a_stale_delivery() {
    let client = Client::builder().api_key("k").base_url("http://127.0.0.1:9/4.0").webhook_secret(SECRET).build().unwrap();
    let listener = client.serve_webhooks("127.0.0.1:0", PATH).await.unwrap();
    assert_eq!(try_deliver(listener.address(), "evt-default").await, Some(200));
    let stale = json!({ "id": "evt-stale", "event": "X", "secret": SECRET, "timestamp": 1_700_000_000, "data": {} }).to_string();
    let mut stream = TcpStream::connect(listener.address()).await.unwrap();
    stream.write_all(format!("{}{stale}", head(Some(SECRET), stale.len(), "Connection: close\r\n")).as_bytes()).await.unwrap();
    let (status, response) = read_to_close(&mut stream).await;
    assert_eq!(status, 400, "{response}");
    assert!(response.contains("tolerance"), "{response}");
}

#[tokio::test]
async fn limits_of_zero_are_refused() {
    let client = Client::builder().api_key("k").base_url("http://127.0.0.1:9/4.0").webhook_secret(SECRET).build().unwrap();
    let mut options = ListenerOptions::default();
    options.max_connections = 0;
    assert!(matches!(client.serve_webhooks_with("127.0.0.1:0", "/hooks", &options).await, Err(Error::InvalidArgument(_))));
}
