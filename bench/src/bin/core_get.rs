//! The GET benchmark without a binding: the core's `get_check` against raw
//! hyper-util (the HTTP client the core is built on) and raw reqwest (the
//! same GET, the body decoded into `serde_json::Value`), on a two-thread
//! runtime as the bindings use, to show what the core's request path costs
//! over the HTTP client under it. Prints one JSON line.
//!
//!     core_get core|reqwest|hyper BASE_URL API_KEY PROFILE CHECK CALLS CONCURRENCY
#![forbid(unsafe_code)]

use passfort_bench::{cpu_seconds, peak_rss_kb};

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Instant;

type HyperClient =
    hyper_util::client::legacy::Client<hyper_util::client::legacy::connect::HttpConnector, http_body_util::Empty<bytes::Bytes>>;

#[derive(Clone)]
enum Contender {
    Core(passfort_core::Client),
    Reqwest(reqwest::Client, String, String),
    Hyper(Box<HyperClient>, hyper::Uri, hyper::header::HeaderValue),
}

impl Contender {
    async fn call(&self, profile: &str, check: &str) {
        match self {
            Contender::Core(client) => {
                client.get_check(profile, check).await.expect("get_check");
            }
            Contender::Reqwest(http, url, key) => {
                let response = http.get(url).header("apikey", key).send().await.expect("send");
                assert!(response.status().is_success());
                let body = response.bytes().await.expect("body");
                let _: serde_json::Value = serde_json::from_slice(&body).expect("json");
            }
            Contender::Hyper(http, uri, key) => {
                use http_body_util::BodyExt;
                let request = hyper::Request::get(uri.clone()).header("apikey", key.clone()).body(http_body_util::Empty::new()).unwrap();
                let response = http.request(request).await.expect("send");
                assert!(response.status().is_success());
                let body = response.into_body().collect().await.expect("body").to_bytes();
                let _: serde_json::Value = serde_json::from_slice(&body).expect("json");
            }
        }
    }
}

async fn drive(contender: &Contender, profile: &str, check: &str, calls: usize, concurrency: usize) {
    let remaining = Arc::new(AtomicUsize::new(calls));
    let workers: Vec<_> = (0..concurrency)
        .map(|_| {
            let (contender, remaining, profile, check) = (contender.clone(), remaining.clone(), profile.to_owned(), check.to_owned());
            tokio::spawn(async move {
                while remaining.fetch_update(Ordering::Relaxed, Ordering::Relaxed, |n| n.checked_sub(1)).is_ok() {
                    contender.call(&profile, &check).await;
                }
            })
        })
        .collect();
    for worker in workers {
        worker.await.expect("worker");
    }
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [which, base_url, api_key, profile, check, calls, concurrency] = &args[..] else {
        panic!("usage: core_get core|reqwest|hyper BASE_URL API_KEY PROFILE CHECK CALLS CONCURRENCY")
    };
    let (calls, concurrency): (usize, usize) = (calls.parse().unwrap(), concurrency.parse().unwrap());
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    runtime.block_on(async {
        let contender = match which.as_str() {
            "core" => {
                Contender::Core(passfort_core::Client::builder().api_key(api_key.as_str()).base_url(base_url.as_str()).build().unwrap())
            }
            "reqwest" => {
                let _ = rustls::crypto::ring::default_provider().install_default();
                Contender::Reqwest(reqwest::Client::new(), format!("{base_url}/profiles/{profile}/checks/{check}"), api_key.clone())
            }
            "hyper" => {
                let mut connector = hyper_util::client::legacy::connect::HttpConnector::new();
                connector.set_nodelay(true);
                let http = hyper_util::client::legacy::Client::builder(hyper_util::rt::TokioExecutor::new()).build(connector);
                let uri = format!("{base_url}/profiles/{profile}/checks/{check}").parse().unwrap();
                Contender::Hyper(Box::new(http), uri, hyper::header::HeaderValue::from_str(api_key).unwrap())
            }
            other => panic!("unknown contender {other}"),
        };
        drive(&contender, profile, check, concurrency * 4, concurrency).await;
        let (cpu, started) = (cpu_seconds(), Instant::now());
        drive(&contender, profile, check, calls, concurrency).await;
        let seconds = started.elapsed().as_secs_f64();
        println!(
            "{{\"contender\": \"{which}\", \"calls\": {calls}, \"seconds\": {seconds:.4}, \"cpu_seconds\": {:.3}, \"peak_rss_kb\": {}}}",
            cpu_seconds() - cpu,
            peak_rss_kb()
        );
    });
}
