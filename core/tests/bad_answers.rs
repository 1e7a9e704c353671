//! Answers the emulator never gives (it speaks valid PassFort): broken bodies
//! from a raw TCP responder, one canned HTTP answer per connection.

use std::time::Duration;

use passfort_core::{ApiErrorKind, Client, Error};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

/// A whole HTTP/1.1 response with a correct content-length.
fn answer(status: &str, body: &str) -> Vec<u8> {
    format!("HTTP/1.1 {status}\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}", body.len()).into_bytes()
}

/// A chunked response: no length announced up front.
fn chunked(body: &str) -> Vec<u8> {
    let mut text = String::from("HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\nconnection: close\r\n\r\n");
    for chunk in body.as_bytes().chunks(16) {
        text.push_str(&format!("{:x}\r\n{}\r\n", chunk.len(), std::str::from_utf8(chunk).unwrap()));
    }
    text.push_str("0\r\n\r\n");
    text.into_bytes()
}

/// Serves `answer` (a whole HTTP response) to every connection; gives back a client.
async fn client_for(answer: Vec<u8>, max_response_bytes: usize) -> Client {
    let answer: &'static [u8] = answer.leak();
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(async move {
        loop {
            let (mut socket, _) = listener.accept().await.unwrap();
            tokio::spawn(async move {
                let mut request = vec![0u8; 8192];
                let _ = socket.read(&mut request).await;
                let _ = socket.write_all(answer).await;
                let _ = socket.shutdown().await;
            });
        }
    });
    Client::builder()
        .api_key("k")
        .base_url(format!("http://{address}/4.0"))
        .max_retries(0)
        .max_response_bytes(max_response_bytes)
        .request_timeout(Duration::from_secs(5))
        .build()
        .unwrap()
}

#[tokio::test]
async fn a_200_that_is_not_json_is_a_decode_error_without_the_body() {
    let client = client_for(answer("200 OK", "<html>hi</html>"), 1 << 20).await;
    match client.whoami().await.unwrap_err() {
        Error::Decode { status, snippet, body_bytes, .. } => assert_eq!((status, snippet, body_bytes), (200, None, 15)),
        other => panic!("expected a decode error, got {other:?}"),
    }
}

#[tokio::test]
async fn an_empty_200_is_a_decode_error() {
    let client = client_for(answer("200 OK", ""), 1 << 20).await;
    let error = client.get_check("p", "c").await.unwrap_err();
    assert!(matches!(&error, Error::Decode { message, .. } if message == "empty body"), "{error:?}");
}

#[tokio::test]
async fn wrong_types_in_known_fields_are_a_decode_error() {
    let client = client_for(answer("200 OK", r#"{"id":"c","check_type":7,"state":"COMPLETE"}"#), 1 << 20).await;
    let error = client.get_check("p", "c").await.unwrap_err();
    assert!(matches!(&error, Error::Decode { message, .. } if message.contains("unexpected shape at line 1")), "{error:?}");
}

#[tokio::test]
async fn a_502_html_page_is_a_server_error_without_the_page() {
    let client = client_for(answer("502 Bad Gateway", "<h1>bad gateway</h1>"), 1 << 20).await;
    let error = client.whoami().await.unwrap_err();
    let api = error.api().unwrap();
    assert_eq!((api.kind, api.errors.len()), (ApiErrorKind::Server, 0));
    assert_eq!(api.body_snippet, None);
}

#[tokio::test]
async fn a_401_with_no_body_is_an_authentication_error() {
    let client = client_for(answer("401 Unauthorized", ""), 1 << 20).await;
    let error = client.whoami().await.unwrap_err();
    assert_eq!(error.api().unwrap().kind, ApiErrorKind::Authentication);
}

#[tokio::test]
async fn a_truncated_body_is_a_connection_error_that_may_have_reached_passfort() {
    let mut truncated = answer("200 OK", r#"{"id":"c","check_type":"IDENTITY_CHECK","state":"COMPLETE"}"#);
    truncated.truncate(truncated.len() - 10);
    let client = client_for(truncated, 1 << 20).await;
    let error = client.get_check("p", "c").await.unwrap_err();
    assert!(matches!(error, Error::Connection { request_sent: true, .. }), "{error:?}");
    assert!(error.may_have_reached_server());
}

#[tokio::test]
async fn a_body_over_the_cap_is_not_read() {
    let big = format!(r#"{{"auditee_name":"{}"}}"#, "x".repeat(100));
    let client = client_for(answer("200 OK", &big), 64).await;
    let error = client.whoami().await.unwrap_err();
    assert!(matches!(&error, Error::Decode { message, .. } if message.contains("larger than 64 bytes")), "{error:?}");
    // Chunked: no length announced, so the cap applies while reading.
    let client = client_for(chunked(&big), 64).await;
    let error = client.whoami().await.unwrap_err();
    assert!(matches!(&error, Error::Decode { message, .. } if message.contains("larger than 64 bytes")), "{error:?}");
    // Under the cap, the same body decodes.
    assert!(client_for(chunked(&big), 1024).await.whoami().await.is_ok());
}

#[tokio::test]
async fn a_slow_drip_past_the_timeout_is_a_timeout() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            tokio::spawn(async move {
                let mut request = vec![0u8; 8192];
                let _ = socket.read(&mut request).await;
                let _ = socket.write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 1000\r\nconnection: close\r\n\r\n{").await;
                for _ in 0..100 {
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    if socket.write_all(b" ").await.is_err() {
                        return;
                    }
                }
            });
        }
    });
    let client = Client::builder()
        .api_key("k")
        .base_url(format!("http://{address}/4.0"))
        .max_retries(0)
        .request_timeout(Duration::from_millis(500))
        .build()
        .unwrap();
    // The drip lasts 10 s in all; a timeout error proves the 500 ms covered the whole body.
    let error = client.whoami().await.unwrap_err();
    assert!(matches!(error, Error::Timeout { request_sent: true, .. }), "{error:?}");
}
