//! Webhook handling in the Rust core: verify, parse and dispatch every
//! delivery of a file (one batch body a line) through `WebhookHub::handle`,
//! then print one JSON line of measurements.
//!
//!     webhook_throughput DELIVERIES_FILE SECRET
#![forbid(unsafe_code)]

use passfort_bench::{cpu_seconds, peak_rss_kb};

use std::time::Instant;

fn main() {
    let mut args = std::env::args().skip(1);
    let (Some(path), Some(secret)) = (args.next(), args.next()) else {
        eprintln!("usage: webhook_throughput DELIVERIES_FILE SECRET");
        std::process::exit(2);
    };
    let deliveries: Vec<Vec<u8>> =
        std::fs::read_to_string(&path).expect("read deliveries").lines().map(|line| line.as_bytes().to_vec()).collect();
    let client = passfort_core::Client::builder()
        .api_key("unused")
        .base_url("http://127.0.0.1:9")
        .webhook_secret(secret.clone())
        .build()
        .expect("client");
    let headers = [("Authorization", format!("Bearer {secret}"))];
    let hub = client.webhooks();

    let cpu_before = cpu_seconds();
    let started = Instant::now();
    let mut events = 0;
    for body in &deliveries {
        events += hub.handle(body, headers.iter().map(|(k, v)| (*k, v.as_bytes()))).expect("valid delivery").len();
    }
    let seconds = started.elapsed().as_secs_f64();
    let line = serde_json::json!({
        "contender": "rust",
        "events": events,
        "seconds": seconds,
        "cpu_seconds": cpu_seconds() - cpu_before,
        "peak_rss_kb": peak_rss_kb(),
    });
    println!("{line}");
}
