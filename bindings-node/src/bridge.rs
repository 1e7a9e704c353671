//! Rust futures as JS promises, settled in batches.
//!
//! napi-rs's `async fn` makes a threadsafe function (a uv handle, an async
//! resource, a cleanup hook) for every call and wakes the JS thread once per
//! result. Here each JS thread (the main one, each worker) has one bridge: a
//! finished future queues its result without touching JS and, if the queue
//! was empty, wakes the thread through the bridge's one threadsafe function.
//! The JS thread then converts and settles everything queued at once. The
//! threadsafe function holds the event loop open only while a promise is
//! pending, so an idle process exits.

use std::cell::RefCell;
use std::ffi::c_void;
use std::future::Future;
use std::ptr;
use std::rc::Rc;
use std::sync::{Arc, Mutex};

use napi::bindgen_prelude::{PromiseRaw, ToNapiValue};
use napi::{sys, Env, JsError};

use crate::cancel::cancellable;

/// Converts a finished call's output on the JS thread: the value to resolve with, or the error to reject with.
type Settle = Box<dyn FnOnce(sys::napi_env) -> napi::Result<sys::napi_value> + Send>;

struct Completion {
    deferred: Deferred,
    settle: Settle,
}

/// A promise's resolver; only ever used on the JS thread that made it.
struct Deferred(sys::napi_deferred);

// SAFETY: the pointer travels through a runtime thread untouched and is used
// only by `deliver`, on the JS thread that created it.
unsafe impl Send for Deferred {}

struct Wake(sys::napi_threadsafe_function);

// SAFETY: threadsafe functions are made to be called from any thread; `Shared`
// forgets it (under its lock) before the environment frees it.
unsafe impl Send for Wake {}

/// What runtime threads share with one JS thread.
struct Shared {
    state: Mutex<State>,
}

struct State {
    queue: Vec<Completion>,
    /// None once the environment is tearing down: results are dropped.
    wake: Option<Wake>,
}

impl Shared {
    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// On a runtime thread: queues a result. The first of a batch schedules
    /// the wake-up after the runtime's other ready tasks (`yield_now` defers
    /// it past them), so that the results they finish go in the same batch.
    fn finish(self: &Arc<Self>, completion: Completion) {
        let first = {
            let mut state = self.lock();
            if state.wake.is_none() {
                return;
            }
            state.queue.push(completion);
            state.queue.len() == 1
        };
        if first {
            let shared = self.clone();
            napi::bindgen_prelude::spawn(async move {
                tokio::task::yield_now().await;
                shared.wake();
            });
        }
    }

    fn wake(&self) {
        let state = self.lock();
        if let Some(wake) = &state.wake {
            // SAFETY: `wake` stays valid while it is in `state`, whose lock we hold.
            unsafe { sys::napi_call_threadsafe_function(wake.0, ptr::null_mut(), sys::ThreadsafeFunctionCallMode::nonblocking) };
        }
    }
}

/// The JS thread's side of its bridge.
struct Bridge {
    env: sys::napi_env,
    shared: Arc<Shared>,
    wake: sys::napi_threadsafe_function,
    /// Promises made and not settled yet; the wake-up holds the loop open while there are any.
    pending: std::cell::Cell<usize>,
}

thread_local! {
    static BRIDGE: RefCell<Option<Rc<Bridge>>> = const { RefCell::new(None) };
}

fn status(status: sys::napi_status, what: &str) -> napi::Result<()> {
    if status == sys::Status::napi_ok {
        Ok(())
    } else {
        Err(napi::Error::new(napi::Status::from(status), format!("passfort: {what} failed")))
    }
}

impl Bridge {
    /// This thread's bridge, made on first use.
    fn current(env: sys::napi_env) -> napi::Result<Rc<Bridge>> {
        let found = BRIDGE.with_borrow(|bridge| bridge.as_ref().filter(|b| b.env == env).cloned());
        if let Some(bridge) = found {
            return Ok(bridge);
        }
        let bridge = Rc::new(Self::new(env)?);
        BRIDGE.with_borrow_mut(|slot| *slot = Some(bridge.clone()));
        Ok(bridge)
    }

    fn new(env: sys::napi_env) -> napi::Result<Self> {
        let shared = Arc::new(Shared { state: Mutex::new(State { queue: Vec::new(), wake: None }) });
        let mut name = ptr::null_mut();
        // SAFETY: plain N-API calls on the JS thread with valid out-pointers.
        unsafe {
            status(sys::napi_create_string_utf8(env, c"passfort".as_ptr(), 8, &mut name), "naming the bridge")?;
            let context = Arc::into_raw(shared.clone()) as *mut c_void;
            let mut wake = ptr::null_mut();
            let created = sys::napi_create_threadsafe_function(
                env,
                ptr::null_mut(),
                ptr::null_mut(),
                name,
                0,
                1,
                ptr::null_mut(),
                Some(finalize),
                context,
                Some(deliver),
                &mut wake,
            );
            if let Err(error) = status(created, "making the bridge") {
                drop(Arc::from_raw(context as *const Shared));
                return Err(error);
            }
            status(sys::napi_unref_threadsafe_function(env, wake), "unref'ing the bridge")?;
            shared.lock().wake = Some(Wake(wake));
            // Registered after the threadsafe function's own hook, so it runs first (hooks run in reverse).
            let hook_data = Arc::into_raw(shared.clone()) as *mut c_void;
            status(sys::napi_add_env_cleanup_hook(env, Some(teardown), hook_data), "watching the environment")?;
            Ok(Self { env, shared, wake, pending: std::cell::Cell::new(0) })
        }
    }

    fn started(&self) {
        let pending = self.pending.get();
        if pending == 0 {
            // SAFETY: on the JS thread, the threadsafe function alive (its env is running us).
            unsafe { sys::napi_ref_threadsafe_function(self.env, self.wake) };
        }
        self.pending.set(pending + 1);
    }

    fn settled(&self, count: usize) {
        let pending = self.pending.get().saturating_sub(count);
        self.pending.set(pending);
        if pending == 0 {
            // SAFETY: as in `started`.
            unsafe { sys::napi_unref_threadsafe_function(self.env, self.wake) };
        }
    }
}

/// The environment is going away: forget the threadsafe function before Node frees it.
unsafe extern "C" fn teardown(data: *mut c_void) {
    // SAFETY: `data` is the reference `Bridge::new` leaked for this hook.
    let shared = unsafe { Arc::from_raw(data as *const Shared) };
    let wake = {
        let mut state = shared.lock();
        state.queue.clear();
        state.wake.take()
    };
    if let Some(wake) = wake {
        // SAFETY: still valid: Node finalizes it in its own hook, after this one.
        unsafe { sys::napi_release_threadsafe_function(wake.0, sys::ThreadsafeFunctionReleaseMode::abort) };
    }
    BRIDGE.with_borrow_mut(|slot| *slot = None);
}

unsafe extern "C" fn finalize(_env: sys::napi_env, _data: *mut c_void, context: *mut c_void) {
    // SAFETY: `context` is the reference `Bridge::new` gave the threadsafe function.
    let shared = unsafe { Arc::from_raw(context as *const Shared) };
    shared.lock().wake = None;
}

/// On the JS thread: settles every queued result.
unsafe extern "C" fn deliver(env: sys::napi_env, _callback: sys::napi_value, context: *mut c_void, _data: *mut c_void) {
    if env.is_null() {
        return;
    }
    // SAFETY: the threadsafe function holds this reference until `finalize`.
    let shared = unsafe { &*(context as *const Shared) };
    let ready = std::mem::take(&mut shared.lock().queue);
    let count = ready.len();
    for Completion { deferred, settle } in ready {
        // SAFETY: N-API calls on the JS thread; each result gets its own handle scope.
        unsafe {
            let mut scope = ptr::null_mut();
            sys::napi_open_handle_scope(env, &mut scope);
            match settle(env) {
                Ok(value) => sys::napi_resolve_deferred(env, deferred.0, value),
                Err(error) => sys::napi_reject_deferred(env, deferred.0, JsError::from(error).into_value(env)),
            };
            sys::napi_close_handle_scope(env, scope);
        }
    }
    let bridge = BRIDGE.with_borrow(|bridge| bridge.as_ref().filter(|b| b.env == env).cloned());
    if let Some(bridge) = bridge {
        bridge.settled(count);
    }
}

/// Runs `work` on the runtime and returns the promise of its output,
/// converted on the JS thread. A panic rejects with the package's error.
pub fn promise<'env, T, F>(env: &'env Env, work: F) -> napi::Result<PromiseRaw<'env, T>>
where
    T: ToNapiValue + Send + 'static,
    F: Future<Output = napi::Result<T>> + Send + 'static,
{
    promise_with(env, None, work)
}

/// As `promise`, dropping `work` when the cancellation token `cancel` fires (see cancel.rs).
pub fn promise_with<'env, T, F>(env: &'env Env, cancel: Option<u32>, work: F) -> napi::Result<PromiseRaw<'env, T>>
where
    T: ToNapiValue + Send + 'static,
    F: Future<Output = napi::Result<T>> + Send + 'static,
{
    let raw_env = env.raw();
    let bridge = Bridge::current(raw_env)?;
    let mut deferred = ptr::null_mut();
    let mut promise = ptr::null_mut();
    // SAFETY: on the JS thread with valid out-pointers.
    status(unsafe { sys::napi_create_promise(raw_env, &mut deferred, &mut promise) }, "making a promise")?;
    bridge.started();
    let shared = bridge.shared.clone();
    let deferred = Deferred(deferred);
    napi::bindgen_prelude::spawn(async move {
        let result = cancellable(cancel, work).await;
        let settle: Settle = Box::new(move |env| match result {
            // SAFETY: called by `deliver` on the JS thread with its env.
            Ok(value) => unsafe { T::to_napi_value(env, value) },
            Err(error) => Err(error),
        });
        shared.finish(Completion { deferred, settle });
    });
    Ok(PromiseRaw::new(raw_env, promise))
}
