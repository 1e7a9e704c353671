//! `passfort._native`: the PyO3 layer of the Python package. It converts
//! types, errors and awaitables; every behaviour is in `passfort-core`.

mod asyncio_bridge;
mod client;
mod convert;
mod errors;
mod logging;
mod models;
mod response;
mod runtime;
mod webhook_events;

use pyo3::prelude::*;

// `--cfg passfort_system_alloc` (a memory profile with heaptrack) leaves it out.
#[cfg(not(passfort_system_alloc))]
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[pymodule]
fn _native(module: &Bound<'_, PyModule>) -> PyResult<()> {
    runtime::install_fork_handler();
    logging::install(module)?;
    module.add("__version__", env!("CARGO_PKG_VERSION"))?;
    module.add("ERROR_CODES", passfort_core::Error::CODES.to_vec())?;
    let known = pyo3::types::PyDict::new(module.py());
    for (name, values) in passfort_core::models::KNOWN_ENUMS {
        known.set_item(name, values.to_vec())?;
    }
    module.add("KNOWN_ENUMS", known)?;
    module.add_class::<client::NativeClient>()?;
    module.add_class::<client::NativeListener>()?;
    module.add_class::<client::ProfilePager>()?;
    module.add_class::<response::PyResponse>()?;
    module.add_class::<models::PyCheck>()?;
    module.add_class::<models::PyWaitInfo>()?;
    module.add_class::<models::PyTask>()?;
    module.add_class::<models::PyProfile>()?;
    module.add_class::<models::PyVariant>()?;
    module.add_class::<models::PyErrorDetail>()?;
    module.add_class::<models::PyVerifyOutcome>()?;
    module.add_class::<models::PyApplicationDecision>()?;
    module.add_class::<models::PyUpdatedData>()?;
    module.add_class::<models::PyRecoveredCheck>()?;
    module.add_class::<models::PyWebhookEvent>()?;
    webhook_events::add_classes(module)?;
    module.add_function(wrap_pyfunction!(client::verify_webhook, module)?)?;
    Ok(())
}
