//! `PASSFORT_LOG=debug|info|warning|error` prints the SDK's tracing (targets
//! `passfort*`) to stderr from that level up; unset, nothing is printed.
//! The core logs no secrets, so nothing here needs redacting.

use std::io::IsTerminal;

use tracing_subscriber::filter::{filter_fn, LevelFilter};
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::Layer;

pub const ENV_VAR: &str = "PASSFORT_LOG";

use passfort_core::log_level;

/// Installs a stderr subscriber at `PASSFORT_LOG`'s level, when it is set
/// (and names a level: otherwise one line says so), unless the process
/// already has a global subscriber.
// `LevelFilter::from` converts a LevelFilter to itself while the stand-in is used.
pub fn install_from_env() {
    let wanted = match std::env::var(ENV_VAR) {
        Ok(wanted) if !wanted.is_empty() => wanted,
        _ => return,
    };
    let Some(level) = log_level::parse_log_level(&wanted).map(LevelFilter::from) else {
        eprintln!("passfort: {ENV_VAR}={wanted:?} is not one of debug, info, warning, error; ignored");
        return;
    };
    let layer = tracing_subscriber::fmt::layer()
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .with_filter(filter_fn(move |meta| meta.target().starts_with("passfort") && *meta.level() <= level));
    let _ = tracing_subscriber::registry().with(layer).try_init();
}
