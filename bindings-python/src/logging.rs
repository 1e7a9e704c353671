//! The core's `tracing` output, sent to `logging.getLogger("passfort")`.
//! The core logs no secrets, so nothing here needs redacting.
//!
//! No tracing callback ever calls Python. Running Python code on the main
//! thread lets a pending Ctrl-C's handler run inside that code, where its
//! KeyboardInterrupt would be swallowed; and a runtime thread must never wait
//! for the GIL because something logged. So an event is formatted where it
//! happens and queued (without blocking: when the queue is full the record is
//! dropped and counted) for one thread, `passfort-log`, which takes the GIL
//! and calls `logger.log`. That thread also re-reads the logger's level at
//! most once a second into an atomic, which is all the filter looks at.
//!
//! A forked child has no such thread: the bridge is per fork generation
//! (like the runtime) and a new one starts on first use in the child. At
//! interpreter exit (an `atexit` hook) the bridge stops calling Python and
//! drops records silently.

use std::io::Write;
use std::sync::atomic::{AtomicBool, AtomicI32, AtomicPtr, AtomicU64, Ordering};
use std::sync::mpsc::{sync_channel, Receiver, RecvTimeoutError, SyncSender, TrySendError};
use std::sync::{Condvar, Mutex};
use std::time::{Duration, Instant};

use pyo3::prelude::*;
use pyo3::types::PyModule;
use tracing::Level;
use tracing_subscriber::fmt::MakeWriter;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::Layer;

use crate::runtime::fork_generation;

use passfort_core::log_level;

/// Python's level for the `passfort` logger, as last read. WARNING until then.
static PYTHON_LEVEL: AtomicI32 = AtomicI32::new(30);
/// Set by the `atexit` hook: from then on nothing calls Python.
static SHUTTING_DOWN: AtomicBool = AtomicBool::new(false);
/// Records dropped because the queue was full, not yet reported.
static DROPPED: AtomicU64 = AtomicU64::new(0);

/// Records waiting for the logging thread, at most.
const QUEUE_CAPACITY: usize = 4096;
/// How often the logging thread re-reads the logger's level.
const LEVEL_REFRESH: Duration = Duration::from_secs(1);
/// Records delivered under one GIL acquisition, at most.
const BATCH: usize = 256;

struct Record {
    level: i32,
    text: String,
}

/// The queue and its logging thread, for one fork generation.
struct Bridge {
    generation: u64,
    sender: SyncSender<Record>,
    /// Records queued and records handled (delivered or dropped) so far.
    queued: AtomicU64,
    handled: AtomicU64,
    /// Held by the logging thread while it may call Python, so that the
    /// `atexit` hook can wait until it no longer does.
    calling_python: Mutex<()>,
    progress: Mutex<()>,
    handled_changed: Condvar,
}

/// The bridge of the current fork generation. Bridges of earlier generations
/// are leaked on purpose, as the runtime's are: their locks may have been
/// held by a thread that fork() did not copy.
static CURRENT: AtomicPtr<Bridge> = AtomicPtr::new(std::ptr::null_mut());

fn current_bridge() -> Option<&'static Bridge> {
    // SAFETY: bridges are never freed, so a pointer once stored stays valid.
    unsafe { CURRENT.load(Ordering::Acquire).as_ref() }.filter(|bridge| bridge.generation == fork_generation())
}

/// The bridge of this fork generation, starting it (and its thread) if need be.
fn bridge() -> &'static Bridge {
    if let Some(bridge) = current_bridge() {
        return bridge;
    }
    let current = CURRENT.load(Ordering::Acquire);
    let (sender, receiver) = sync_channel(QUEUE_CAPACITY);
    let fresh = Box::into_raw(Box::new(Bridge {
        generation: fork_generation(),
        sender,
        queued: AtomicU64::new(0),
        handled: AtomicU64::new(0),
        calling_python: Mutex::new(()),
        progress: Mutex::new(()),
        handled_changed: Condvar::new(),
    }));
    match CURRENT.compare_exchange(current, fresh, Ordering::AcqRel, Ordering::Acquire) {
        Ok(_) => {
            // SAFETY: just stored; never freed.
            let bridge: &'static Bridge = unsafe { &*fresh };
            // If no thread can be started, the receiver is dropped and every
            // record is counted as dropped: logging must not break a call.
            let _ = std::thread::Builder::new().name("passfort-log".into()).spawn(move || deliver_forever(bridge, receiver));
            bridge
        }
        Err(_) => {
            // Another thread started one first; ours never ran anything.
            // SAFETY: `fresh` was never shared.
            drop(unsafe { Box::from_raw(fresh) });
            current_bridge().unwrap_or_else(bridge)
        }
    }
}

/// The logging thread: delivers records in batches, re-reading the level
/// between them at most once a second.
fn deliver_forever(bridge: &'static Bridge, receiver: Receiver<Record>) {
    ON_LOG_THREAD.with(|on| on.set(true));
    let mut next_refresh = Instant::now();
    loop {
        let now = Instant::now();
        if now >= next_refresh {
            refresh_level(bridge);
            next_refresh = now + LEVEL_REFRESH;
        }
        match receiver.recv_timeout(next_refresh.saturating_duration_since(Instant::now())) {
            Ok(first) => {
                let mut batch = vec![first];
                batch.extend(receiver.try_iter().take(BATCH - 1));
                let count = batch.len() as u64;
                deliver(bridge, batch);
                bridge.handled.fetch_add(count, Ordering::AcqRel);
                let _progress = bridge.progress.lock().unwrap_or_else(|p| p.into_inner());
                bridge.handled_changed.notify_all();
            }
            Err(RecvTimeoutError::Timeout) => {}
            Err(RecvTimeoutError::Disconnected) => return,
        }
    }
}

thread_local! {
    /// True on `passfort-log`: a blocking call made there (by a logging
    /// handler, say) must not wait for the thread to deliver.
    static ON_LOG_THREAD: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Runs `f` with the GIL, unless the interpreter is exiting or gone.
fn with_python<R>(bridge: &Bridge, f: impl for<'py> FnOnce(Python<'py>) -> R) -> Option<R> {
    let _calling = bridge.calling_python.lock().unwrap_or_else(|p| p.into_inner());
    if SHUTTING_DOWN.load(Ordering::Acquire) {
        return None;
    }
    Python::try_attach(f)
}

fn refresh_level(bridge: &Bridge) {
    if let Some(Ok(level)) = with_python(bridge, read_level) {
        set_python_level(level);
    }
}

/// Stores the level; when it changed, has every callsite ask the filter
/// again, so that the global maximum level (`FollowPythonLevel::max_level_hint`)
/// follows it. Never called from a tracing callback.
fn set_python_level(level: i32) {
    if PYTHON_LEVEL.swap(level, Ordering::Relaxed) != level {
        tracing::callsite::rebuild_interest_cache();
    }
}

/// Starts the logging thread of this fork generation, if need be: in a
/// forked child it is what re-reads the level there.
pub fn start() {
    let _ = bridge();
}

fn read_level(py: Python<'_>) -> PyResult<i32> {
    passfort_logger(py)?.call_method0("getEffectiveLevel")?.extract()
}

fn passfort_logger(py: Python<'_>) -> PyResult<Bound<'_, PyAny>> {
    py.import("logging")?.call_method1("getLogger", ("passfort",))
}

fn deliver(bridge: &Bridge, batch: Vec<Record>) {
    // Dropped silently when Python is exiting or gone.
    let _ = with_python(bridge, |py| -> PyResult<()> {
        let logger = passfort_logger(py)?;
        for record in batch {
            // An exception here is not ours to raise; logging's handlers report their own.
            let _ = logger.call_method1("log", (record.level, record.text));
        }
        let dropped = DROPPED.swap(0, Ordering::Relaxed);
        if dropped > 0 {
            let note = format!("{dropped} log records were dropped: Python's logging did not keep up");
            let _ = logger.call_method1("log", (30, note));
        }
        Ok(())
    });
}

/// Waits (without the GIL: call it detached) until the records queued so far
/// have reached Python, or `timeout` passes, so that a blocking call's log
/// lines come before what its caller logs next.
pub fn wait_for_delivery(timeout: Duration) {
    if ON_LOG_THREAD.with(|on| on.get()) {
        return;
    }
    let Some(bridge) = current_bridge() else { return };
    let target = bridge.queued.load(Ordering::Acquire);
    if bridge.handled.load(Ordering::Acquire) >= target || SHUTTING_DOWN.load(Ordering::Acquire) {
        return;
    }
    let deadline = Instant::now() + timeout;
    let mut progress = bridge.progress.lock().unwrap_or_else(|p| p.into_inner());
    while bridge.handled.load(Ordering::Acquire) < target {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return;
        }
        progress = bridge.handled_changed.wait_timeout(progress, left).unwrap_or_else(|p| p.into_inner()).0;
    }
}

fn python_level(level: &Level) -> i32 {
    match *level {
        Level::ERROR => 40,
        Level::WARN => 30,
        Level::INFO => 20,
        _ => 10,
    }
}

/// Queues one formatted event; never blocks, never calls Python.
struct QueuedLine {
    level: i32,
}

impl Write for QueuedLine {
    fn write(&mut self, line: &[u8]) -> std::io::Result<usize> {
        let text = String::from_utf8_lossy(line);
        let text = text.trim_end();
        if !text.is_empty() {
            let bridge = bridge();
            // Counted before it is queued: whoever reads `queued` then counts
            // every record ahead of those it waits for.
            bridge.queued.fetch_add(1, Ordering::AcqRel);
            if let Err(TrySendError::Full(_) | TrySendError::Disconnected(_)) =
                bridge.sender.try_send(Record { level: self.level, text: text.to_owned() })
            {
                bridge.queued.fetch_sub(1, Ordering::AcqRel);
                DROPPED.fetch_add(1, Ordering::Relaxed);
            }
        }
        Ok(line.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

struct QueuedLines;

impl<'a> MakeWriter<'a> for QueuedLines {
    type Writer = QueuedLine;

    fn make_writer(&'a self) -> Self::Writer {
        QueuedLine { level: 20 }
    }

    fn make_writer_for(&'a self, meta: &tracing::Metadata<'_>) -> Self::Writer {
        QueuedLine { level: python_level(meta.level()) }
    }
}

/// Enables what the `passfort` logger would print, as last read. Python's
/// level can change at any time, so no callsite is ever cached as always or
/// never enabled.
struct FollowPythonLevel;

impl<S> tracing_subscriber::layer::Filter<S> for FollowPythonLevel {
    fn enabled(&self, meta: &tracing::Metadata<'_>, _: &tracing_subscriber::layer::Context<'_, S>) -> bool {
        if !meta.target().starts_with("passfort") {
            return false;
        }
        // In a forked child this starts the bridge, so that the level is read there too.
        let _ = bridge();
        python_level(meta.level()) >= PYTHON_LEVEL.load(Ordering::Relaxed)
    }

    fn callsite_enabled(&self, meta: &'static tracing::Metadata<'static>) -> tracing::subscriber::Interest {
        if meta.target().starts_with("passfort") {
            tracing::subscriber::Interest::sometimes()
        } else {
            tracing::subscriber::Interest::never()
        }
    }

    /// The most verbose level Python's level lets through: a `debug_span!`
    /// then costs a comparison, not a span, while the logger is at WARNING.
    fn max_level_hint(&self) -> Option<tracing::level_filters::LevelFilter> {
        use tracing::level_filters::LevelFilter;
        Some(match PYTHON_LEVEL.load(Ordering::Relaxed) {
            ..=10 => LevelFilter::TRACE,
            11..=20 => LevelFilter::INFO,
            21..=30 => LevelFilter::WARN,
            31..=40 => LevelFilter::ERROR,
            _ => LevelFilter::OFF,
        })
    }
}

/// Re-reads the `passfort` logger's level now, rather than within a second.
/// Called with the GIL from Python (not from a tracing callback).
#[pyfunction]
fn _sync_log_level(py: Python<'_>) -> PyResult<()> {
    set_python_level(read_level(py)?);
    Ok(())
}

/// Python's logging level for a `PASSFORT_LOG` value, or None if it names none.
#[pyfunction]
fn _parse_log_level(text: &str) -> Option<i32> {
    log_level::parse_log_level(text).map(|level| python_level(&level))
}

/// The `atexit` hook: waits until the logging thread is not calling Python,
/// then stops it from doing so again.
#[pyfunction]
fn _stop_logging(py: Python<'_>) {
    SHUTTING_DOWN.store(true, Ordering::Release);
    if let Some(bridge) = current_bridge() {
        py.detach(|| drop(bridge.calling_python.lock().unwrap_or_else(|p| p.into_inner())));
    }
}

/// Installs the bridge as the global subscriber, unless the host already has
/// one, starts the logging thread, and adds the Python side's helpers.
pub fn install(module: &Bound<'_, PyModule>) -> PyResult<()> {
    let py = module.py();
    module.add_function(wrap_pyfunction!(_sync_log_level, module)?)?;
    module.add_function(wrap_pyfunction!(_parse_log_level, module)?)?;
    let stop = wrap_pyfunction!(_stop_logging, module)?;
    py.import("atexit")?.call_method1("register", (stop,))?;
    if let Ok(level) = read_level(py) {
        set_python_level(level);
    }
    let _ = bridge();
    let layer = tracing_subscriber::fmt::layer()
        .with_writer(QueuedLines)
        .with_ansi(false)
        .without_time()
        .with_target(false)
        .with_level(false)
        .with_filter(FollowPythonLevel);
    let _ = tracing_subscriber::registry().with(layer).try_init();
    Ok(())
}
