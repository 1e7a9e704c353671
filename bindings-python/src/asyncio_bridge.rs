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
//!
//! The awaitable is a `PendingCall`, which speaks asyncio's future protocol
//! itself, as `asyncio.Future` does (`_asyncio_future_blocking`,
//! `add_done_callback`, `result`, `cancel`...): no `asyncio.Future` per call,
//! and its `cancel` stops the Rust task at once, with no done-callback for that.

use std::cell::RefCell;
use std::future::Future;
use std::sync::{Arc, Mutex};

use futures_util::FutureExt;
use pyo3::exceptions::PyStopIteration;
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::PyDict;
use pyo3::{intern, IntoPyObjectExt};

use crate::runtime::{fork_generation, runtime};

type Output = Box<dyn FnOnce(Python<'_>) -> PyResult<Py<PyAny>> + Send>;

struct Completion {
    future: Py<PendingCall>,
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
            let future = future.bind(py);
            if let Err(error) = future.get().settle(future, output) {
                error.write_unraisable(py, Some(future.as_any()));
            }
        }
    }
}

enum State {
    Pending,
    Done(Py<PyAny>),
    Failed(Py<PyAny>),
    /// With the message given to `cancel`, if any.
    Cancelled(Option<Py<PyAny>>),
}

/// A done-callback and the context to run it in.
type Callback = (Py<PyAny>, Option<Py<PyAny>>);

struct Inner {
    state: State,
    /// Set by `await` while the awaiting task should wait for this call (asyncio's protocol).
    blocking: bool,
    callbacks: Vec<Callback>,
    task: Option<tokio::task::AbortHandle>,
}

/// A Rust future's result to come, awaitable by an asyncio task of its loop:
/// a future in asyncio's sense (`asyncio.isfuture` holds), whose `cancel`
/// drops the Rust future at once.
#[pyclass(module = "passfort._native", frozen)]
pub struct PendingCall {
    event_loop: Py<PyAny>,
    inner: Mutex<Inner>,
}

impl PendingCall {
    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// On the loop's thread: the call's result or error, unless it was cancelled meanwhile.
    fn settle(&self, slf: &Bound<'_, PendingCall>, output: Output) -> PyResult<()> {
        if !matches!(self.lock().state, State::Pending) {
            return Ok(());
        }
        let py = slf.py();
        let state = match output(py) {
            Ok(value) => State::Done(value),
            Err(error) => State::Failed(error.into_value(py).into_any()),
        };
        self.finish(slf, state)
    }

    /// Records the outcome and schedules the done-callbacks, as asyncio.Future does.
    fn finish(&self, slf: &Bound<'_, PendingCall>, state: State) -> PyResult<()> {
        let callbacks = {
            let mut inner = self.lock();
            inner.state = state;
            inner.task = None;
            std::mem::take(&mut inner.callbacks)
        };
        for (callback, context) in callbacks {
            self.schedule(slf, callback, context)?;
        }
        Ok(())
    }

    fn schedule(&self, slf: &Bound<'_, PendingCall>, callback: Py<PyAny>, context: Option<Py<PyAny>>) -> PyResult<()> {
        let py = slf.py();
        let event_loop = self.event_loop.bind(py);
        match context {
            None => event_loop.call_method1(intern!(py, "call_soon"), (callback, slf))?,
            Some(context) => {
                let kwargs = PyDict::new(py);
                kwargs.set_item(intern!(py, "context"), context)?;
                event_loop.call_method(intern!(py, "call_soon"), (callback, slf), Some(&kwargs))?
            }
        };
        Ok(())
    }
}

fn asyncio_error(py: Python<'_>, class: &'static str, message: Option<Bound<'_, PyAny>>) -> PyErr {
    let made = py.import(intern!(py, "asyncio")).and_then(|asyncio| asyncio.getattr(class)).and_then(|class| match message {
        Some(message) => class.call1((message,)),
        None => class.call0(),
    });
    match made {
        Ok(error) => PyErr::from_value(error),
        Err(error) => error,
    }
}

fn cancelled_error(py: Python<'_>, message: Option<&Py<PyAny>>) -> PyErr {
    asyncio_error(py, "CancelledError", message.map(|message| message.bind(py).clone()))
}

#[pymethods]
impl PendingCall {
    #[getter(_asyncio_future_blocking)]
    fn blocking(&self) -> bool {
        self.lock().blocking
    }

    #[setter(_asyncio_future_blocking)]
    fn set_blocking(&self, value: bool) {
        self.lock().blocking = value;
    }

    fn get_loop(&self, py: Python<'_>) -> Py<PyAny> {
        self.event_loop.clone_ref(py)
    }

    fn __await__(slf: Py<Self>) -> Py<Self> {
        slf
    }

    fn __iter__(slf: Py<Self>) -> Py<Self> {
        slf
    }

    /// Yields itself while pending (the awaiting task then waits on it), then returns the result.
    fn __next__(slf: &Bound<'_, Self>) -> PyResult<Py<PyAny>> {
        {
            let mut inner = slf.get().lock();
            if matches!(inner.state, State::Pending) {
                inner.blocking = true;
                return Ok(slf.clone().into_any().unbind());
            }
        }
        let value = slf.get().result(slf.py())?;
        Err(PyStopIteration::new_err((value,)))
    }

    fn done(&self) -> bool {
        !matches!(self.lock().state, State::Pending)
    }

    fn cancelled(&self) -> bool {
        matches!(self.lock().state, State::Cancelled(_))
    }

    fn result(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        match &self.lock().state {
            State::Pending => Err(asyncio_error(py, "InvalidStateError", Some(intern!(py, "Result is not ready.").clone().into_any()))),
            State::Done(value) => Ok(value.clone_ref(py)),
            State::Failed(error) => Err(PyErr::from_value(error.bind(py).clone())),
            State::Cancelled(message) => Err(cancelled_error(py, message.as_ref())),
        }
    }

    fn exception(&self, py: Python<'_>) -> PyResult<Option<Py<PyAny>>> {
        match &self.lock().state {
            State::Pending => Err(asyncio_error(py, "InvalidStateError", Some(intern!(py, "Exception is not set.").clone().into_any()))),
            State::Done(_) => Ok(None),
            State::Failed(error) => Ok(Some(error.clone_ref(py))),
            State::Cancelled(message) => Err(cancelled_error(py, message.as_ref())),
        }
    }

    #[pyo3(signature = (callback, *, context=None))]
    fn add_done_callback(slf: &Bound<'_, Self>, callback: Py<PyAny>, context: Option<Py<PyAny>>) -> PyResult<()> {
        {
            let mut inner = slf.get().lock();
            if matches!(inner.state, State::Pending) {
                inner.callbacks.push((callback, context));
                return Ok(());
            }
        }
        slf.get().schedule(slf, callback, context)
    }

    fn remove_done_callback(&self, py: Python<'_>, callback: &Bound<'_, PyAny>) -> PyResult<usize> {
        let callbacks = std::mem::take(&mut self.lock().callbacks);
        let before = callbacks.len();
        let mut kept = Vec::with_capacity(before);
        for entry in callbacks {
            if !entry.0.bind(py).eq(callback)? {
                kept.push(entry);
            }
        }
        let removed = before - kept.len();
        let mut inner = self.lock();
        kept.append(&mut inner.callbacks);
        inner.callbacks = kept;
        Ok(removed)
    }

    /// Stops the Rust future now (dropping it stops whatever it was doing).
    #[pyo3(signature = (msg=None))]
    fn cancel(slf: &Bound<'_, Self>, msg: Option<Py<PyAny>>) -> PyResult<bool> {
        let task = {
            let mut inner = slf.get().lock();
            if !matches!(inner.state, State::Pending) {
                return Ok(false);
            }
            inner.blocking = false;
            inner.task.take()
        };
        if let Some(task) = task {
            task.abort();
        }
        slf.get().finish(slf, State::Cancelled(msg))?;
        Ok(true)
    }

    fn __traverse__(&self, visit: pyo3::PyVisit<'_>) -> Result<(), pyo3::PyTraverseError> {
        visit.call(&self.event_loop)?;
        let Ok(inner) = self.inner.try_lock() else { return Ok(()) };
        for (callback, context) in &inner.callbacks {
            visit.call(callback)?;
            if let Some(context) = context {
                visit.call(context)?;
            }
        }
        match &inner.state {
            State::Done(value) | State::Failed(value) => visit.call(value)?,
            State::Cancelled(Some(message)) => visit.call(message)?,
            _ => {}
        }
        Ok(())
    }

    fn __clear__(&self) {
        self.lock().callbacks.clear();
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
    let inner = Inner { state: State::Pending, blocking: false, callbacks: Vec::new(), task: None };
    let pending = Bound::new(py, PendingCall { event_loop: event_loop.unbind(), inner: Mutex::new(inner) })?;
    let handle = pending.clone().unbind();
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
    // Delivery happens on this thread, with the GIL: the call is still pending here.
    pending.get().lock().task = Some(task.abort_handle());
    Ok(pending.into_any())
}
