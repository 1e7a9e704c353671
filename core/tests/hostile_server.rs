//! A hostile server or proxy in front of PassFort: redirects, absurd
//! rate-limit headers, garbled bodies holding personal data. Each test serves
//! canned answers from a raw TCP responder and counts what reached it.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use passfort_core::{ApiErrorKind, BatchOptions, CheckJob, CheckRequest, Client, ClientBuilder, Error, WaitOptions};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

/// A name planted in answers: it must never come out in an error.
const SENTINEL: &str = "Zebediah Quorvath-Sentinel";

/// Serves `answer` to every connection; counts connections and keeps what they sent.
struct RawServer {
    base_url: String,
    connections: Arc<AtomicUsize>,
    received: Arc<std::sync::Mutex<Vec<String>>>,
}

async fn raw_server(answer: String) -> RawServer {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let connections = Arc::new(AtomicUsize::new(0));
    let received = Arc::new(std::sync::Mutex::new(Vec::new()));
    let (count, log) = (connections.clone(), received.clone());
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            count.fetch_add(1, Ordering::SeqCst);
            let (answer, log) = (answer.clone(), log.clone());
            tokio::spawn(async move {
                let mut request = vec![0u8; 65536];
                let read = socket.read(&mut request).await.unwrap_or(0);
                log.lock().unwrap().push(String::from_utf8_lossy(&request[..read]).into_owned());
                let _ = socket.write_all(answer.as_bytes()).await;
                let _ = socket.shutdown().await;
            });
        }
    });
    RawServer { base_url: format!("http://{address}/4.0"), connections, received }
}

fn response(status: &str, headers: &[(&str, &str)], body: &str) -> String {
    let mut text = format!("HTTP/1.1 {status}\r\ncontent-length: {}\r\nconnection: close\r\n", body.len());
    for (name, value) in headers {
        text.push_str(&format!("{name}: {value}\r\n"));
    }
    text + "\r\n" + body
}

fn builder(server: &RawServer) -> ClientBuilder {
    Client::builder()
        .api_key("sk_live_secret_key_0123456789")
        .base_url(&server.base_url)
        .backoff(Duration::from_millis(5), Duration::from_millis(20))
        .request_timeout(Duration::from_secs(5))
}

#[tokio::test]
async fn redirects_are_not_followed_and_the_key_never_leaves_for_another_host() {
    let elsewhere = raw_server(response("200 OK", &[], "{}")).await;
    let target = format!("{}/whoami", elsewhere.base_url);
    for status in ["301 Moved Permanently", "302 Found", "307 Temporary Redirect", "308 Permanent Redirect"] {
        let redirecting = raw_server(response(status, &[("location", &target)], "")).await;
        let client = builder(&redirecting).build().unwrap();
        let error = client.whoami().await.unwrap_err();
        assert!(matches!(&error, Error::Redirect { target_host: Some(host), .. } if host.starts_with("http://127.0.0.1")), "{error:?}");
        assert_eq!(error.code(), "redirect");
        assert!(error.to_string().contains("not followed"), "{error}");
        // POSTs with personal data are not re-sent either.
        let error = client.create_profile("INDIVIDUAL_CUSTOMER", serde_json::json!({ "name": SENTINEL })).await.unwrap_err();
        assert!(matches!(error, Error::Redirect { .. }), "{error:?}");
    }
    // The error came back without a request to the target: nothing reached it.
    assert_eq!(elsewhere.connections.load(Ordering::SeqCst), 0);
}

#[tokio::test]
async fn absurd_retry_after_values_are_clamped_not_a_panic() {
    for header in ["retry-after", "x-ratelimit-retry-secs"] {
        for value in ["1e300", "1e19", "18446744073709551616", "-5", "NaN", "inf"] {
            for status in ["429 Too Many Requests", "503 Service Unavailable"] {
                let server = raw_server(response(status, &[(header, value)], "")).await;
                let client = builder(&server).max_retries(2).build().unwrap();
                let error = client.get_check("p1", "c1").await.unwrap_err();
                let api = error.api().unwrap_or_else(|| panic!("{header}: {value}: {error:?}"));
                assert!(api.retry_after.map_or(true, |wait| wait <= Duration::from_secs(3600)), "{header}: {value}: {api:?}");
            }
        }
    }
}

#[tokio::test]
async fn a_batch_never_pauses_past_the_retry_cap_or_the_callers_deadline() {
    for value in ["1e19", "3600", "1e300"] {
        let server = raw_server(response("429 Too Many Requests", &[("retry-after", value)], "")).await;
        let client = builder(&server).max_retries(0).max_retry_wait(Duration::from_secs(1)).build().unwrap();
        let jobs = vec![CheckJob { profile_id: "p1".into(), request: CheckRequest::new("IDENTITY_CHECK") }; 3];
        let options =
            BatchOptions { wait: WaitOptions { timeout: Duration::from_secs(60), ..WaitOptions::default() }, ..BatchOptions::default() };
        let results = client.run_checks(jobs, &options, |_| {}).await.unwrap();
        for result in results {
            let error = result.unwrap_err();
            assert_eq!(error.api().map(|api| api.kind), Some(ApiErrorKind::RateLimited), "{value}: {error:?}");
        }
        // Each item tried once: no pause was obeyed, so no re-send.
        assert_eq!(server.connections.load(Ordering::SeqCst), 3, "{value}");
    }
    // A wait within the cap but past the item's deadline: the deadline wins.
    let server = raw_server(response("429 Too Many Requests", &[("retry-after", "0.9")], "")).await;
    let client = builder(&server).max_retries(0).max_retry_wait(Duration::from_secs(1)).build().unwrap();
    let jobs = vec![CheckJob { profile_id: "p1".into(), request: CheckRequest::new("IDENTITY_CHECK") }];
    let options =
        BatchOptions { wait: WaitOptions { timeout: Duration::from_millis(200), ..WaitOptions::default() }, ..BatchOptions::default() };
    let results = client.run_checks(jobs, &options, |_| {}).await.unwrap();
    assert_eq!(results[0].as_ref().unwrap_err().code(), "rate_limited");
}

#[tokio::test]
async fn garbled_bodies_holding_personal_data_stay_out_of_errors() {
    let bodies = [
        format!(r#"{{"id":"c1","check_type":"IDENTITY_CHECK","state":{{"name":"{SENTINEL}"}}}}"#),
        format!(r#"{{"id":"c1","check_type":"{SENTINEL}","state":7}}"#),
        format!(r#"{{"id":"p1","collected_data":{{"name":"{SENTINEL}""#),
        format!("<html>{SENTINEL}</html>"),
    ];
    for body in &bodies {
        for status in ["200 OK", "502 Bad Gateway", "400 Bad Request"] {
            let server = raw_server(response(status, &[], body)).await;
            let client = builder(&server).max_retries(0).build().unwrap();
            let error = client.get_check("p1", "c1").await.unwrap_err();
            for shown in [error.to_string(), format!("{error:?}")] {
                assert!(!shown.contains("Zebediah"), "{status} {body}: {shown}");
            }
            // With the debugging opt-in, the start of the body is there.
            let client = builder(&server).max_retries(0).include_body_snippets(true).build().unwrap();
            let error = client.get_check("p1", "c1").await.unwrap_err();
            if status != "400 Bad Request" || !body.starts_with('{') {
                assert!(error.to_string().contains("Zebediah"), "{status} {body}: {error}");
            }
        }
    }
}

#[tokio::test]
async fn an_oversized_search_is_refused_unsent() {
    let server = raw_server(response("200 OK", &[], r#"{"results":[],"count":0}"#)).await;
    let client = builder(&server).build().unwrap();
    let query = passfort_core::ProfileQuery { query: Some("x".repeat(10 << 20)), page_size: 100 };
    let error = client.list_profiles_page(&query, 0).await.unwrap_err();
    assert!(matches!(error, Error::InvalidArgument(_)), "{error:?}");
    assert!(error.to_string().len() < 300);
    let error =
        client.run_check("p1", &CheckRequest::new("X".repeat(10 << 20).as_str()), passfort_core::CheckMode::Sync).await.unwrap_err();
    assert!(matches!(error, Error::InvalidArgument(_)) && error.to_string().len() < 300, "{error}");
    let deep = (0..200).fold(serde_json::json!(1), |inner, _| serde_json::json!([inner]));
    let error = client.create_profile("INDIVIDUAL_CUSTOMER", serde_json::json!({ "deep": deep })).await.unwrap_err();
    assert!(matches!(error, Error::InvalidArgument(_)), "{error:?}");
    assert_eq!(server.connections.load(Ordering::SeqCst), 0);
}

#[tokio::test]
async fn credentials_in_the_base_url_are_refused_and_not_echoed() {
    let error = Client::builder().api_key("k").base_url("https://admin:hunter2@api.passfort.com/4.0").build().unwrap_err();
    assert!(!format!("{error} {error:?}").contains("hunter2"));
    let error = Client::builder().api_key("k").base_url("http://api.passfort.example/4.0").build().unwrap_err();
    assert_eq!(error.code(), "configuration");
}

#[tokio::test]
async fn a_closed_client_sends_nothing_more() {
    let server = raw_server(response("200 OK", &[], r#"{"id":"c1","check_type":"IDENTITY_CHECK","state":"COMPLETE"}"#)).await;
    let client = builder(&server).build().unwrap();
    client.get_check("p1", "c1").await.unwrap();
    let clone = client.clone();
    client.close();
    assert!(matches!(clone.get_check("p1", "c1").await, Err(Error::Closed)));
    assert_eq!(server.connections.load(Ordering::SeqCst), 1);
    assert!(server.received.lock().unwrap()[0].contains("apikey: sk_live_secret_key_0123456789"));
}

/// The shared table (tests/scenarios/hostile-servers.json), also run by the
/// Python and Node suites.
#[tokio::test]
async fn the_shared_hostile_server_table() {
    let table: serde_json::Value =
        serde_json::from_str(include_str!("../../tests/scenarios/hostile-servers.json")).expect("the table is JSON");
    for row in table["rows"].as_array().unwrap() {
        let elsewhere = raw_server(response("200 OK", &[], "{}")).await;
        let headers: Vec<(String, String)> = row["headers"]
            .as_object()
            .unwrap()
            .iter()
            .map(|(name, value)| (name.clone(), value.as_str().unwrap().replace("{elsewhere}", &elsewhere.base_url)))
            .collect();
        let headers: Vec<(&str, &str)> = headers.iter().map(|(n, v)| (n.as_str(), v.as_str())).collect();
        let server = raw_server(response(row["status"].as_str().unwrap(), &headers, row["body"].as_str().unwrap())).await;
        let client = builder(&server).max_retries(2).build().unwrap();
        let error = match row["call"].as_str().unwrap() {
            "get_check" => client.get_check("p1", "c1").await.map(drop),
            "get_profile" => client.get_profile("p1").await.map(drop),
            "create_profile" => client.create_profile("INDIVIDUAL_CUSTOMER", serde_json::json!({ "name": SENTINEL })).await.map(drop),
            "run_checks" => {
                let jobs = vec![CheckJob { profile_id: "p1".into(), request: CheckRequest::new("IDENTITY_CHECK") }];
                client.run_checks(jobs, &BatchOptions::default(), |_| {}).await.unwrap().remove(0).map(drop)
            }
            other => panic!("no such call in the table: {other}"),
        }
        .expect_err(row["name"].as_str().unwrap());
        assert_eq!(error.code(), row["error"].as_str().unwrap(), "{}: {error}", row["name"]);
        if let Some(absent) = row["absent"].as_str() {
            assert!(!format!("{error} {error:?}").contains(absent), "{}: {error}", row["name"]);
        }
        assert_eq!(elsewhere.connections.load(Ordering::SeqCst), 0, "{}", row["name"]);
    }
}
