//! Webhook handling in the Rust core: verify, parse and dispatch every
//! delivery of a file (one batch body a line) through `WebhookHub::handle`,
//! then print one JSON line of measurements.
//!
//!     webhook_throughput DELIVERIES_FILE SECRET
#![forbid(unsafe_code)]

use std::time::Instant;

fn cpu_seconds() -> f64 {
    // utime and stime of this process, from /proc (Linux only, as the bench is).
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    let after_name = stat.rsplit(')').next().unwrap_or("");
    let fields: Vec<&str> = after_name.split_whitespace().collect();
    let ticks = |index: usize| fields.get(index).and_then(|v| v.parse::<f64>().ok()).unwrap_or(0.0);
    (ticks(11) + ticks(12)) / 100.0
}

fn peak_rss_kb() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmHWM:"))
        .and_then(|value| value.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

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
