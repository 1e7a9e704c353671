//! The core's `tracing` output, sent to `logging.getLogger("passfort")`.
//! The core logs no secrets, so nothing here needs redacting.

use std::io::Write;
use std::sync::atomic::{AtomicI32, AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use pyo3::prelude::*;
use tracing::Level;
use tracing_subscriber::fmt::MakeWriter;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::Layer;

/// Python's level for the `passfort` logger, re-read at most once a second
/// so that a disabled logger costs one atomic load per event.
static PYTHON_LEVEL: AtomicI32 = AtomicI32::new(30);
static LEVEL_READ_AT_MS: AtomicU64 = AtomicU64::new(0);

fn python_level(level: &Level) -> i32 {
    match *level {
        Level::ERROR => 40,
        Level::WARN => 30,
        Level::INFO => 20,
        _ => 10,
    }
}

fn logger_enabled_for(level: i32) -> bool {
    let now = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_millis() as u64);
    if now.saturating_sub(LEVEL_READ_AT_MS.load(Ordering::Relaxed)) > 1000 {
        LEVEL_READ_AT_MS.store(now, Ordering::Relaxed);
        let read = Python::try_attach(|py| -> PyResult<i32> {
            py.import("logging")?.call_method1("getLogger", ("passfort",))?.call_method0("getEffectiveLevel")?.extract()
        });
        if let Some(Ok(current)) = read {
            PYTHON_LEVEL.store(current, Ordering::Relaxed);
        }
    }
    level >= PYTHON_LEVEL.load(Ordering::Relaxed)
}

struct PythonLogger {
    level: i32,
}

impl Write for PythonLogger {
    fn write(&mut self, line: &[u8]) -> std::io::Result<usize> {
        let text = String::from_utf8_lossy(line);
        let text = text.trim_end();
        if !text.is_empty() {
            // During interpreter shutdown there is no Python to log to; drop the line.
            let _ = Python::try_attach(|py| -> PyResult<()> {
                let logger = py.import("logging")?.call_method1("getLogger", ("passfort",))?;
                logger.call_method1("log", (self.level, text))?;
                Ok(())
            });
        }
        Ok(line.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

struct PythonLoggers;

impl<'a> MakeWriter<'a> for PythonLoggers {
    type Writer = PythonLogger;

    fn make_writer(&'a self) -> Self::Writer {
        PythonLogger { level: 20 }
    }

    fn make_writer_for(&'a self, meta: &tracing::Metadata<'_>) -> Self::Writer {
        PythonLogger { level: python_level(meta.level()) }
    }
}

/// Enables what the `passfort` logger would print. Python's level can change
/// at any time, so no callsite is ever cached as always or never enabled.
struct FollowPythonLevel;

impl<S> tracing_subscriber::layer::Filter<S> for FollowPythonLevel {
    fn enabled(&self, meta: &tracing::Metadata<'_>, _: &tracing_subscriber::layer::Context<'_, S>) -> bool {
        meta.target().starts_with("passfort") && logger_enabled_for(python_level(meta.level()))
    }

    fn callsite_enabled(&self, meta: &'static tracing::Metadata<'static>) -> tracing::subscriber::Interest {
        if meta.target().starts_with("passfort") {
            tracing::subscriber::Interest::sometimes()
        } else {
            tracing::subscriber::Interest::never()
        }
    }
}

/// Installs the bridge as the global subscriber, unless the host already has one.
pub fn install() {
    let layer = tracing_subscriber::fmt::layer()
        .with_writer(PythonLoggers)
        .with_ansi(false)
        .without_time()
        .with_target(false)
        .with_level(false)
        .with_filter(FollowPythonLevel);
    let _ = tracing_subscriber::registry().with(layer).try_init();
}
