//! Rust futures as asyncio awaitables, without the GIL on runtime threads.
//!
//! A finished future does not take the GIL to hand its output over: it
//! queues it on its event loop's bridge and, if the queue was empty, writes
//! one byte to a socket the loop watches. The loop's thread, which holds the
//! GIL anyway, then converts and delivers everything queued in one go. Under
//! load that is one wake-up for many results, and runtime threads never wait
//! for a busy interpreter. On Windows, whose default loop cannot watch a
//! socket, the first result of a batch schedules the delivery instead (see
//! `wake`).

use std::cell::RefCell;
use std::future::Future;
use std::sync::{Arc, Mutex};

use futures_util::FutureExt;
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::{intern, IntoPyObjectExt};

use crate::runtime::{fork_generation, runtime};

type Output = Box<dyn FnOnce(Python<'_>) -> PyResult<Py<PyAny>> + Send>;

struct Completion {
    future: Py<PyAny>,
    output: Output,
}

/// How a runtime thread gets the loop's thread to run `Deliver`.
#[cfg(all(unix, not(passfort_portable_wake)))]
mod wake {
    use std::io::{ErrorKind, Read, Write};
    use std::os::fd::AsRawFd;
    use std::os::unix::net::UnixStream;
    use std::sync::Arc;

    use pyo3::exceptions::PyRuntimeError;
    use pyo3::intern;
    use pyo3::prelude::*;

    use super::{Bridge, Deliver};

    /// A socket pair: the loop watches one end (`add_reader`), a runtime
    /// thread writes a byte to the other, without the GIL.
    pub struct Wake {
        sender: UnixStream,
        receiver: UnixStream,
    }

    impl Wake {
        pub fn new() -> PyResult<Self> {
            let (sender, receiver) =
                UnixStream::pair().map_err(|e| PyRuntimeError::new_err(format!("cannot make a wake-up socket: {e}")))?;
            for end in [&sender, &receiver] {
                end.set_nonblocking(true).map_err(|e| PyRuntimeError::new_err(format!("cannot set up a wake-up socket: {e}")))?;
            }
            Ok(Self { sender, receiver })
        }

        pub fn register(&self, event_loop: &Bound<'_, PyAny>, deliver: &Bound<'_, Deliver>) -> PyResult<()> {
            event_loop.call_method1(intern!(event_loop.py(), "add_reader"), (self.receiver.as_raw_fd(), deliver))?;
            Ok(())
        }

        pub fn unregister(&self, event_loop: &Bound<'_, PyAny>) -> PyResult<()> {
            event_loop.call_method1(intern!(event_loop.py(), "remove_reader"), (self.receiver.as_raw_fd(),))?;
            Ok(())
        }

        /// On a runtime thread. A full socket buffer already holds a pending wake-up.
        pub fn notify(&self, _bridge: &Arc<Bridge>) {
            let _ = (&self.sender).write(&[1]);
        }

        /// On the loop's thread, before it takes the queue.
        pub fn drain(&self) {
            let mut buffer = [0u8; 256];
            loop {
                match (&self.receiver).read(&mut buffer) {
                    Ok(0) => break,
                    Ok(_) => continue,
                    Err(error) if error.kind() == ErrorKind::Interrupted => continue,
                    Err(_) => break,
                }
            }
        }
    }
}

/// Windows: its default loop (Proactor) has no `add_reader`, so the first
/// result of a batch takes the GIL once and schedules the delivery with
/// `call_soon_threadsafe`. Also built on Unix with `--cfg passfort_portable_wake`,
/// so that the test suite runs this path too.
#[cfg(any(not(unix), passfort_portable_wake))]
mod wake {
    use std::sync::{Arc, OnceLock};

    use pyo3::intern;
    use pyo3::prelude::*;

    use super::{Bridge, Deliver};

    pub struct Wake {
        /// A weak reference to the loop: the loop holds its bridge, and a
        /// strong one back would keep both alive forever.
        event_loop: OnceLock<Py<PyAny>>,
    }

    impl Wake {
        pub fn new() -> PyResult<Self> {
            Ok(Self { event_loop: OnceLock::new() })
        }

        pub fn register(&self, event_loop: &Bound<'_, PyAny>, _deliver: &Bound<'_, Deliver>) -> PyResult<()> {
            let py = event_loop.py();
            let weak = py.import(intern!(py, "weakref"))?.getattr(intern!(py, "ref"))?.call1((event_loop,))?;
            let _ = self.event_loop.set(weak.unbind());
            Ok(())
        }

        pub fn unregister(&self, _event_loop: &Bound<'_, PyAny>) -> PyResult<()> {
            Ok(())
        }

        /// On a runtime thread: the one place this path takes the GIL there.
        pub fn notify(&self, bridge: &Arc<Bridge>) {
            let Some(weak) = self.event_loop.get() else { return };
            Python::attach(|py| {
                let event_loop = match weak.bind(py).call0() {
                    Ok(event_loop) if !event_loop.is_none() => event_loop,
                    _ => return, // the loop is gone, and whoever awaited with it
                };
                let scheduled = Bound::new(py, Deliver(bridge.clone()))
                    .and_then(|deliver| event_loop.call_method1(intern!(py, "call_soon_threadsafe"), (deliver,)));
                // A closed loop refuses: nobody can await its futures any more.
                drop(scheduled);
            });
        }

        pub fn drain(&self) {}
    }
}

/// One event loop's queue of finished futures and its wake-up.
struct Bridge {
    generation: u64,
    queue: Mutex<Vec<Completion>>,
    wake: wake::Wake,
}

impl Bridge {
    fn new() -> PyResult<Self> {
        Ok(Self { generation: fork_generation(), queue: Mutex::new(Vec::new()), wake: wake::Wake::new()? })
    }

    /// Called on a runtime thread, without the GIL.
    fn finish(self: &Arc<Self>, completion: Completion) {
        let was_empty = {
            let mut queue = self.queue.lock().unwrap_or_else(|p| p.into_inner());
            queue.push(completion);
            queue.len() == 1
        };
        if was_empty {
            self.wake.notify(self);
        }
    }

    /// Empties the wake-up first, then the queue: a result queued in between
    /// is either taken now or has made a fresh wake-up.
    fn take_ready(&self) -> Vec<Completion> {
        self.wake.drain();
        std::mem::take(&mut *self.queue.lock().unwrap_or_else(|p| p.into_inner()))
    }
}

/// The loop's reader callback: delivers every queued result to its future.
#[pyclass(module = "passfort._native", frozen)]
struct Deliver(Arc<Bridge>);

#[pymethods]
impl Deliver {
    fn __call__(&self, py: Python<'_>) {
        for Completion { future, output } in self.0.take_ready() {
            if let Err(error) = deliver(py, future.bind(py), output) {
                error.write_unraisable(py, Some(future.bind(py)));
            }
        }
    }
}

fn deliver(py: Python<'_>, future: &Bound<'_, PyAny>, output: Output) -> PyResult<()> {
    // Cancelled while it ran: nobody is waiting for the result.
    if future.call_method0(intern!(py, "done"))?.is_truthy()? {
        return Ok(());
    }
    match output(py) {
        Ok(value) => future.call_method1(intern!(py, "set_result"), (value,))?,
        Err(error) => future.call_method1(intern!(py, "set_exception"), (error.into_value(py),))?,
    };
    Ok(())
}

/// Stops the Rust task when its asyncio future is done: a no-op once it
/// finished, and the way a cancelled await drops the Rust future at once.
#[pyclass(module = "passfort._native", frozen)]
struct AbortOnDone(tokio::task::AbortHandle);

#[pymethods]
impl AbortOnDone {
    fn __call__(&self, _future: &Bound<'_, PyAny>) {
        self.0.abort();
    }
}

thread_local! {
    /// The bridge of the loop last seen on this thread: the common case is one loop a thread.
    static LAST: RefCell<Option<(Py<PyAny>, Arc<Bridge>)>> = const { RefCell::new(None) };
}

const BRIDGE_ATTRIBUTE: &str = "_passfort_bridge";

/// The bridge of `event_loop`, made and registered with it on first use (and
/// again in a forked child, whose copy of the socket the parent shares).
fn bridge_for(py: Python<'_>, event_loop: &Bound<'_, PyAny>) -> PyResult<Arc<Bridge>> {
    let generation = fork_generation();
    let cached = LAST.with_borrow(|last| {
        last.as_ref().filter(|(known, bridge)| known.is(event_loop) && bridge.generation == generation).map(|(_, b)| b.clone())
    });
    if let Some(bridge) = cached {
        return Ok(bridge);
    }
    // Another loop on this thread, or one this thread saw before: the loop keeps its bridge.
    let attribute = intern!(py, BRIDGE_ATTRIBUTE);
    let existing = event_loop.getattr(attribute).ok().and_then(|found| found.cast_into::<Deliver>().ok());
    let bridge = match existing {
        Some(deliver) if deliver.get().0.generation == generation => deliver.get().0.clone(),
        stale => {
            if let Some(stale) = stale {
                stale.get().0.wake.unregister(event_loop)?;
            }
            let bridge = Arc::new(Bridge::new()?);
            let deliver = Bound::new(py, Deliver(bridge.clone()))?;
            bridge.wake.register(event_loop, &deliver)?;
            // Loops without attributes (uvloop) only get the thread cache.
            let _ = event_loop.setattr(attribute, &deliver);
            bridge
        }
    };
    LAST.with_borrow_mut(|last| *last = Some((event_loop.clone().unbind(), bridge.clone())));
    Ok(bridge)
}

fn running_loop(py: Python<'_>) -> PyResult<Bound<'_, PyAny>> {
    static GET_RUNNING_LOOP: PyOnceLock<Py<PyAny>> = PyOnceLock::new();
    GET_RUNNING_LOOP.get_or_try_init(py, || py.import("asyncio")?.getattr("get_running_loop").map(Bound::unbind))?.bind(py).call0()
}

/// A Rust future as an asyncio awaitable of the running loop. Cancelling the
/// awaitable drops the future, which stops whatever it was doing.
pub fn awaitable<'py, F, T>(py: Python<'py>, fut: F) -> PyResult<Bound<'py, PyAny>>
where
    F: Future<Output = PyResult<T>> + Send + 'static,
    T: for<'a> IntoPyObject<'a> + Send + 'static,
{
    let event_loop = running_loop(py)?;
    let bridge = bridge_for(py, &event_loop)?;
    let future = event_loop.call_method0(intern!(py, "create_future"))?;
    let handle = future.clone().unbind();
    let task = runtime().spawn(async move {
        // A panic must still settle the awaitable: an await that never resolves is worse than an error.
        let output = std::panic::AssertUnwindSafe(fut).catch_unwind().await;
        bridge.finish(Completion {
            future: handle,
            output: Box::new(move |py| match output {
                Ok(output) => output.and_then(|value| value.into_py_any(py)),
                Err(panic) => Err(crate::runtime::panic_error(py, panic.as_ref())),
            }),
        });
    });
    future.call_method1(intern!(py, "add_done_callback"), (AbortOnDone(task.abort_handle()),))?;
    Ok(future)
}
