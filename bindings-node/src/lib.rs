//! The napi-rs layer of the Node package: it converts types, errors and
//! promises; every behaviour is in `passfort-core`.

mod cancel;
mod client;
mod emulator;
mod errors;
mod models;

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// `PASSFORT_LOG=debug` prints the core's tracing to stderr; it holds no secrets.
#[napi_derive::module_init]
fn init() {
    if let Ok(level) = std::env::var("PASSFORT_LOG") {
        let filter = tracing_subscriber::EnvFilter::new(format!("passfort_core={level}"));
        let _ = tracing_subscriber::fmt().with_writer(std::io::stderr).with_env_filter(filter).try_init();
    }
}
