//! `passfort-emulator`: run the PassFort API emulator from the command line.

use std::io::Write;
use std::time::Duration;

use clap::Parser;
use passfort_emulator::{EmulatorConfig, RateLimit, WebhookConfig};

/// A stateful local stand-in for the PassFort API 4.0, for tests.
#[derive(Parser, Debug)]
#[command(name = "passfort-emulator", version)]
struct Args {
    #[arg(long, default_value = "127.0.0.1")]
    host: String,
    /// 0 picks a free port; the first line printed says which.
    #[arg(long, default_value_t = 0)]
    port: u16,
    /// The API key clients must send.
    #[arg(long, env = "PASSFORT_EMULATOR_API_KEY", default_value = "test-key", hide_env_values = true)]
    api_key: String,
    /// How long a sync run waits before answering RUNNING (the sync-to-async switch), e.g. 120s, 500ms, 2m.
    #[arg(long, default_value = "120s", value_parser = parse_duration)]
    sync_timeout: Duration,
    /// How long the provider takes per check.
    #[arg(long, default_value = "50ms", value_parser = parse_duration)]
    provider_latency: Duration,
    /// Send webhooks to this URL.
    #[arg(long, requires = "webhook_secret")]
    webhook_url: Option<String>,
    /// The webhook shared secret.
    #[arg(long, env = "PASSFORT_EMULATOR_WEBHOOK_SECRET", hide_env_values = true)]
    webhook_secret: Option<String>,
    /// Send webhooks in batches (a JSON array of up to 100 envelopes).
    #[arg(long)]
    webhook_batching: bool,
    /// Rate-limit POST /profiles to this many an hour (GCRA); off by default.
    #[arg(long)]
    rate_limit_per_hour: Option<u32>,
    /// How many POST /profiles may come at once under the rate limit.
    #[arg(long, default_value_t = 100)]
    rate_limit_burst: u32,
    /// Rate-limit POST /profiles/{pid}/collected_data (a bucket of its own) to this many an hour;
    /// by default as --rate-limit-per-hour.
    #[arg(long)]
    collected_data_rate_limit_per_hour: Option<u32>,
    /// The burst of the collected-data limit; by default as --rate-limit-burst.
    #[arg(long)]
    collected_data_rate_limit_burst: Option<u32>,
    /// When a request still being handled is answered 504 while its work goes on (PassFort: 60 s).
    #[arg(long, default_value = "60s", value_parser = parse_positive_duration)]
    gateway_timeout: Duration,
    /// How long a batch of webhooks gathers events, 0 to 10s.
    #[arg(long, default_value = "50ms", value_parser = parse_batch_window)]
    webhook_batch_window: Duration,
}

fn parse_positive_duration(text: &str) -> Result<Duration, String> {
    parse_duration(text).and_then(|d| if d.is_zero() { Err("must be more than 0".into()) } else { Ok(d) })
}

fn parse_batch_window(text: &str) -> Result<Duration, String> {
    parse_duration(text).and_then(|d| if d > Duration::from_secs(10) { Err("must be 0 to 10s".into()) } else { Ok(d) })
}

fn parse_duration(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    let split = text.find(|c: char| !(c.is_ascii_digit() || c == '.')).unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let number: f64 = number.parse().map_err(|_| format!("{text:?} is not a duration like 120s or 50ms"))?;
    let seconds = match unit {
        "ms" => number / 1000.0,
        "s" | "" => number,
        "m" => number * 60.0,
        _ => return Err(format!("unknown unit {unit:?}: use ms, s or m")),
    };
    Ok(Duration::from_secs_f64(seconds))
}

#[tokio::main]
async fn main() {
    let args = Args::parse();
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(tracing_subscriber::EnvFilter::from_env("PASSFORT_EMULATOR_LOG"))
        .init();
    let config = EmulatorConfig {
        host: args.host,
        port: args.port,
        api_key: args.api_key,
        sync_timeout: args.sync_timeout,
        provider_latency: args.provider_latency,
        webhook: args.webhook_url.map(|url| WebhookConfig {
            url,
            secret: args.webhook_secret.unwrap_or_default(),
            batching: args.webhook_batching,
            events: None,
        }),
        rate_limit: args.rate_limit_per_hour.map(|per_hour| RateLimit { per_hour, burst: args.rate_limit_burst }),
        collected_data_rate_limit: args.collected_data_rate_limit_per_hour.or(args.rate_limit_per_hour).and_then(|per_hour| {
            let burst = args.collected_data_rate_limit_burst;
            (args.collected_data_rate_limit_per_hour.is_some() || burst.is_some())
                .then(|| RateLimit { per_hour, burst: burst.unwrap_or(args.rate_limit_burst) })
        }),
        gateway_timeout: args.gateway_timeout,
        webhook_batch_window: args.webhook_batch_window,
        ..EmulatorConfig::default()
    };
    let emulator = match passfort_emulator::start(config).await {
        Ok(emulator) => emulator,
        Err(error) => {
            eprintln!("passfort-emulator: cannot listen: {error}");
            std::process::exit(1);
        }
    };
    let mut stdout = std::io::stdout();
    let _ = writeln!(stdout, "listening on {}", emulator.url());
    let _ = stdout.flush();
    let _ = tokio::signal::ctrl_c().await;
    emulator.shutdown().await;
}
