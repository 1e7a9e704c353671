//! Option and header parsing: every number a caller or a server can hand the
//! core, and every text a header can carry. None may panic, and what is
//! accepted must be within its documented range.
#![no_main]

use std::time::Duration;

use libfuzzer_sys::fuzz_target;
use passfort_core::args::{limits, Dialect};
use passfort_core::check_mode;
use passfort_core::{CheckArgs, CheckMode, ClientBuilder, ClientOptions, ProfileQuery, Secret, WaitArgs};

fuzz_target!(|data: &[u8]| {
    let number = |at: usize| {
        let mut bytes = [0u8; 8];
        for (index, byte) in bytes.iter_mut().enumerate() {
            *byte = data.get(at + index).copied().unwrap_or(0);
        }
        f64::from_le_bytes(bytes)
    };
    let text = String::from_utf8_lossy(data.get(16..).unwrap_or_default());
    for dialect in [Dialect::PYTHON, Dialect::NODE] {
        let (first, second) = (number(0), number(8));
        if let Ok(Some(timeout)) = dialect.duration("timeout", Some(first), limits::REQUEST_TIMEOUT) {
            assert!(!timeout.is_zero() && timeout <= limits::REQUEST_TIMEOUT.max);
        }
        if let Ok(Some(count)) = dialect.count("max_retries", Some(second), 0, 10) {
            assert!(count <= 10);
        }
        let _ = dialect.delay("latency", Some(first), limits::EMULATOR_DELAY);
        let options = ClientOptions {
            api_key: Some(Secret::new("k")),
            base_url: Some(text.to_string()),
            timeout: Some(first),
            max_retries: Some(second),
            max_connections: Some(second),
            webhook_tolerance: Some(first),
            ..ClientOptions::default()
        };
        if let Ok(config) = ClientBuilder::from_options(dialect, options).and_then(ClientBuilder::config) {
            assert!(config.max_connections >= 1 && config.request_timeout <= limits::REQUEST_TIMEOUT.max);
        }
        let _ = WaitArgs { wait_timeout: Some(first), poll_interval: Some(second) }.resolve(dialect);
        let _ = ProfileQuery::from_args(dialect, Some(text.to_string()), Some(second));
        let _ = check_mode(dialect, Some(&text), CheckMode::Sync);
        let _ = CheckArgs { check_type: text.to_string(), variant_alias: Some(text.to_string()), ..CheckArgs::default() }.into_request(dialect);
    }
    // Server-sent waits, from any header a proxy may send.
    if let Ok(value) = http::HeaderValue::from_bytes(data) {
        for name in ["retry-after", "x-ratelimit-retry-secs", "x-ratelimit-reset-secs"] {
            let mut headers = http::HeaderMap::new();
            headers.insert(name, value.clone());
            for status in [429, 503] {
                if let Some(wait) = passfort_core::fuzzing::server_requested_wait(status, &headers) {
                    assert!(wait <= Duration::from_secs(3600));
                }
            }
        }
    }
});
