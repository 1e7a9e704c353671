//! The tokio runtime behind every call, made fork-safe, and the ways a Rust
//! future reaches Python: as an asyncio awaitable (`asyncio_bridge`), or
//! blocking, with the GIL released and Ctrl-C honoured: run on the runtime
//! while the caller waits, or (a call that only makes requests) run by the
//! calling thread itself.

use std::any::Any;
use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::sync::atomic::{AtomicPtr, AtomicU64, Ordering};
use std::sync::mpsc::{sync_channel, RecvTimeoutError};
use std::time::Duration;

use futures_util::FutureExt;
use pyo3::exceptions::PyRuntimeError;
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
    /// Runs only while a blocking call drives it on its calling thread (`block_here`).
    caller_driven: Runtime,
}

/// The runtime of the current fork generation. Slots of earlier generations
/// are leaked on purpose: dropping a runtime copied by fork() would block.
static CURRENT: AtomicPtr<Slot> = AtomicPtr::new(std::ptr::null_mut());

#[cfg(unix)]
extern "C" fn after_fork_in_child() {
    FORK_GENERATION.fetch_add(1, Ordering::SeqCst);
}

/// Where there is no fork (Windows), there is nothing to install.
pub fn install_fork_handler() {
    #[cfg(unix)]
    {
        static ONCE: std::sync::Once = std::sync::Once::new();
        ONCE.call_once(|| unsafe {
            libc::pthread_atfork(None, None, Some(after_fork_in_child));
        });
    }
}

pub fn fork_generation() -> u64 {
    FORK_GENERATION.load(Ordering::SeqCst)
}

pub fn runtime() -> &'static Runtime {
    &slot().runtime
}

fn slot() -> &'static Slot {
    let generation = fork_generation();
    let current = CURRENT.load(Ordering::Acquire);
    // SAFETY: slots are never freed, so a pointer once stored stays valid.
    if let Some(slot) = unsafe { current.as_ref() } {
        if slot.generation == generation {
            return slot;
        }
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .thread_name("passfort")
        .enable_all()
        .build()
        .expect("a tokio runtime can be built");
    let caller_driven = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("a tokio runtime can be built");
    // In a forked child, the logging thread that follows Python's level starts with the runtime.
    crate::logging::start();
    let fresh = Box::into_raw(Box::new(Slot { generation, runtime, caller_driven }));
    match CURRENT.compare_exchange(current, fresh, Ordering::AcqRel, Ordering::Acquire) {
        // SAFETY: just stored; never freed.
        Ok(_) => unsafe { &*fresh },
        Err(winner) => {
            // Another thread made one first: use it, and drop ours (it never ran anything).
            let ours = unsafe { Box::from_raw(fresh) };
            ours.runtime.shutdown_background();
            ours.caller_driven.shutdown_background();
            unsafe { &*winner }
        }
    }
}

/// How often a blocking call looks for a pending signal (Ctrl-C).
const SIGNAL_CHECK: Duration = Duration::from_millis(100);

/// Runs a future to completion for a blocking call, and Ctrl-C interrupts it.
///
/// The future runs on the runtime, never on the calling thread: there it
/// could run Python code (a tracing subscriber, say) in which a pending
/// Ctrl-C's handler would raise KeyboardInterrupt only for it to be lost.
/// The calling thread only waits, with the GIL released, and every 100 ms
/// runs the signal handlers; when one raises, the task is aborted (which
/// drops the future, stopping any polling) and its exception is raised. A
/// panic in the task becomes a `PassFortError`. Works whether or not an
/// asyncio loop runs on this thread.
pub fn block_on<F, T>(py: Python<'_>, fut: F) -> PyResult<T>
where
    F: Future<Output = PyResult<T>> + Send + 'static,
    T: Send + 'static,
{
    let (sender, receiver) = sync_channel::<std::thread::Result<PyResult<T>>>(1);
    let task = runtime().spawn(async move {
        let output = AssertUnwindSafe(fut).catch_unwind().await;
        let _ = sender.send(output);
    });
    // Moved in and out of each wait: a receiver is not `Sync`.
    let mut receiver = receiver;
    loop {
        let received;
        (received, receiver) = py.detach(move || {
            let received = receiver.recv_timeout(SIGNAL_CHECK);
            if received.is_ok() {
                // The call's log lines reach Python before its caller goes on.
                crate::logging::wait_for_delivery(Duration::from_secs(1));
            }
            (received, receiver)
        });
        match received {
            Ok(Ok(output)) => return output,
            Ok(Err(panic)) => return Err(panic_error(py, panic.as_ref())),
            Err(RecvTimeoutError::Timeout) => {
                if let Err(error) = py.check_signals() {
                    task.abort();
                    // Until the future is dropped (its sender with it), briefly:
                    // no request of this call starts after the exception.
                    let late = py.detach(move || receiver.recv_timeout(Duration::from_secs(1)));
                    drop(late);
                    return Err(error);
                }
            }
            Err(RecvTimeoutError::Disconnected) => {
                return Err(PyRuntimeError::new_err("the PassFort runtime shut down before the call finished"));
            }
        }
    }
}

/// Runs a single request's future to completion on the calling thread, the
/// GIL released: the thread that waits for the answer also reads it, with no
/// hand-over between threads. Only for futures that run no Python code and
/// spawn nothing that must outlive them: what they spawn (their connections'
/// tasks) runs only while a blocking call drives this runtime, so they use
/// connections of their own (`with_caller_driven_connections`). Every 100 ms
/// the signal handlers run; when one raises, the future is dropped there and
/// then, stopping the request, and the exception is raised. From inside a
/// tokio runtime (a callback on a runtime thread) this is `block_on`.
pub fn block_here<F, T>(py: Python<'_>, fut: F) -> PyResult<T>
where
    F: Future<Output = PyResult<T>> + Send + 'static,
    T: Send + 'static,
{
    if tokio::runtime::Handle::try_current().is_ok() {
        return block_on(py, fut);
    }
    let mut fut = Box::pin(passfort_core::with_caller_driven_connections(AssertUnwindSafe(fut).catch_unwind()));
    loop {
        let outcome;
        (outcome, fut) = py.detach(move || {
            let outcome = slot().caller_driven.block_on(async { tokio::time::timeout(SIGNAL_CHECK, fut.as_mut()).await });
            if outcome.is_ok() {
                crate::logging::wait_for_delivery(Duration::from_secs(1));
            }
            (outcome, fut)
        });
        match outcome {
            Ok(Ok(output)) => return output,
            Ok(Err(panic)) => return Err(panic_error(py, panic.as_ref())),
            Err(_elapsed) => py.check_signals()?,
        }
    }
}

/// A panic of the core as a `PassFortError` (a RuntimeError if that class
/// cannot be had), never as pyo3's PanicException.
pub(crate) fn panic_error(py: Python<'_>, panic: &(dyn Any + Send)) -> PyErr {
    let detail = panic
        .downcast_ref::<&str>()
        .map(|text| (*text).to_owned())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "no message".to_owned());
    let message = format!("internal error in the PassFort SDK (please report it): {detail}");
    py.import("passfort._errors")
        .and_then(|module| module.getattr("PassFortError"))
        .and_then(|class| class.call1((message.clone(),)))
        .map(PyErr::from_value)
        .unwrap_or_else(|_| PyRuntimeError::new_err(message))
}

/// As `run`, for a future that only makes requests: blocking, it runs on the
/// calling thread (`block_here`).
pub fn run_requests<F, T>(py: Python<'_>, blocking: bool, fut: F) -> PyResult<Py<PyAny>>
where
    F: Future<Output = PyResult<T>> + Send + 'static,
    T: for<'a> IntoPyObject<'a> + Send + 'static,
{
    if blocking {
        block_here(py, fut)?.into_py_any(py)
    } else {
        Ok(awaitable(py, fut)?.unbind())
    }
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
