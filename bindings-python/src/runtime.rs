//! The tokio runtime behind every call, made fork-safe, and the two ways a
//! Rust future reaches Python: as an asyncio awaitable (`asyncio_bridge`), or
//! blocking with the GIL released and Ctrl-C honoured.

use std::future::Future;
use std::sync::atomic::{AtomicPtr, AtomicU64, Ordering};
use std::time::Duration;

use pyo3::prelude::*;
use pyo3::IntoPyObjectExt;
use tokio::runtime::Runtime;

pub use crate::asyncio_bridge::awaitable;

/// Bumped in a forked child: a runtime made before the fork has no threads
/// there and would hang, so a new one is made (lancedb does the same).
static FORK_GENERATION: AtomicU64 = AtomicU64::new(0);

struct Slot {
    generation: u64,
    runtime: Runtime,
}

/// The runtime of the current fork generation. Slots of earlier generations
/// are leaked on purpose: dropping a runtime copied by fork() would block.
static CURRENT: AtomicPtr<Slot> = AtomicPtr::new(std::ptr::null_mut());

extern "C" fn after_fork_in_child() {
    FORK_GENERATION.fetch_add(1, Ordering::SeqCst);
}

pub fn install_fork_handler() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| unsafe {
        libc::pthread_atfork(None, None, Some(after_fork_in_child));
    });
}

pub fn fork_generation() -> u64 {
    FORK_GENERATION.load(Ordering::SeqCst)
}

pub fn runtime() -> &'static Runtime {
    let generation = fork_generation();
    let current = CURRENT.load(Ordering::Acquire);
    // SAFETY: slots are never freed, so a pointer once stored stays valid.
    if let Some(slot) = unsafe { current.as_ref() } {
        if slot.generation == generation {
            return &slot.runtime;
        }
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .thread_name("passfort")
        .enable_all()
        .build()
        .expect("a tokio runtime can be built");
    let fresh = Box::into_raw(Box::new(Slot { generation, runtime }));
    match CURRENT.compare_exchange(current, fresh, Ordering::AcqRel, Ordering::Acquire) {
        // SAFETY: just stored; never freed.
        Ok(_) => unsafe { &(*fresh).runtime },
        Err(winner) => {
            // Another thread made one first: use it, and drop ours (it never ran anything).
            let ours = unsafe { Box::from_raw(fresh) };
            ours.runtime.shutdown_background();
            unsafe { &(*winner).runtime }
        }
    }
}

/// Runs a future to completion on the runtime with the GIL released, checking
/// for signals every 100 ms so that Ctrl-C raises KeyboardInterrupt (and drops
/// the future). Works whether or not an asyncio loop runs on this thread.
pub fn block_on<F, T>(py: Python<'_>, fut: F) -> PyResult<T>
where
    F: Future<Output = PyResult<T>> + Send,
    T: Send,
{
    py.detach(|| {
        runtime().block_on(async {
            let mut fut = std::pin::pin!(fut);
            loop {
                tokio::select! {
                    output = &mut fut => return output,
                    _ = tokio::time::sleep(Duration::from_millis(100)) => {
                        Python::attach(|py| py.check_signals())?;
                    }
                }
            }
        })
    })
}

/// Either awaitable or blocking, as the Python layer asks: one native method
/// serves both `AsyncClient` and `Client`.
pub fn run<F, T>(py: Python<'_>, blocking: bool, fut: F) -> PyResult<Py<PyAny>>
where
    F: Future<Output = PyResult<T>> + Send + 'static,
    T: for<'a> IntoPyObject<'a> + Send + 'static,
{
    if blocking {
        block_on(py, fut)?.into_py_any(py)
    } else {
        Ok(awaitable(py, fut)?.unbind())
    }
}
