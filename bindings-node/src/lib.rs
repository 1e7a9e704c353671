//! The napi-rs layer of the Node package: it converts types, errors and
//! promises; every behaviour is in `passfort-core`.

// Exported functions are called from JavaScript only: unit-test builds see them as unused.
#![cfg_attr(test, allow(dead_code))]

mod bridge;
mod cancel;
mod client;
mod errors;
mod logging;
mod models;

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// `PASSFORT_LOG=debug|info|warning|error` prints the SDK's tracing to
/// stderr; unset, nothing is printed. It holds no secrets.
#[napi_derive::module_init]
fn init() {
    logging::install_from_env();
}
