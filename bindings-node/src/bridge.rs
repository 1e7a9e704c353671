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
//!
//! The JS layer registers its converters once per thread (`setShapes`): a
//! rejection is settled with the package's Error class, and a check, sent as
//! JSON text, with the object the JS layer builds from it, so that a call
//! needs no second promise in JS to shape its result.

use std::cell::RefCell;
use std::ffi::c_void;
use std::future::Future;
use std::ptr;
use std::rc::Rc;
use std::sync::{Arc, Mutex};

use napi::bindgen_prelude::{PromiseRaw, ToNapiValue, Unknown};
use napi::{sys, Env, JsError, JsValue};
use napi_derive::napi;

use crate::cancel::cancellable;

/// Converts a finished call's output on the JS thread: the value to resolve with, or the error to reject with.
type Settle = Box<dyn FnOnce(sys::napi_env) -> napi::Result<sys::napi_value> + Send>;

struct Completion {
    deferred: Deferred,
    shape: Shape,
    settle: Settle,
}

/// Work for the JS thread that settles no promise: a `Callback`'s call.
type Notice = Box<dyn FnOnce(sys::napi_env) + Send>;

/// What the JS thread takes from the queue, in the order it was queued.
enum Entry {
    Settle(Completion),
    Notice(Notice),
}

/// Which of the JS layer's converters a result goes through.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    /// The value as N-API made it.
    Plain,
    /// JSON text of a check (`models::check_text`), to the JS check object.
    Check,
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
    queue: Vec<Entry>,
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
    fn finish(self: &Arc<Self>, entry: Entry) {
        let first = {
            let mut state = self.lock();
            if state.wake.is_none() {
                return;
            }
            state.queue.push(entry);
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
    /// The JS layer's converters: an error to the package's class, a check's text to its object.
    shapes: std::cell::Cell<Option<(sys::napi_ref, sys::napi_ref)>>,
    /// Calls made and not yet handed to the runtime, and the JS function that schedules `start_calls`.
    starting: RefCell<Vec<Call>>,
    scheduler: std::cell::Cell<Option<sys::napi_ref>>,
}

type Call = std::pin::Pin<Box<dyn Future<Output = ()> + Send>>;

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
            Ok(Self {
                env,
                shared,
                wake,
                pending: std::cell::Cell::new(0),
                shapes: std::cell::Cell::new(None),
                starting: RefCell::new(Vec::new()),
                scheduler: std::cell::Cell::new(None),
            })
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

    /// Hands a call to the runtime: at once, or with the rest of its batch
    /// when the JS layer has registered a scheduler.
    fn start(&self, call: Call) -> napi::Result<()> {
        let Some(scheduler) = self.scheduler.get() else {
            napi::bindgen_prelude::spawn(call);
            return Ok(());
        };
        let first = {
            let mut starting = self.starting.borrow_mut();
            starting.push(call);
            starting.len() == 1
        };
        if first {
            // SAFETY: on the JS thread; the scheduler only queues a microtask.
            let scheduled = unsafe {
                let mut nothing = ptr::null_mut();
                sys::napi_get_undefined(self.env, &mut nothing);
                call_shape(self.env, scheduler, nothing)
            };
            if scheduled.is_err() {
                // Could not schedule: start the batch now rather than never.
                for call in std::mem::take(&mut *self.starting.borrow_mut()) {
                    napi::bindgen_prelude::spawn(call);
                }
            }
        }
        Ok(())
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
    let mut count = 0;
    let bridge = BRIDGE.with_borrow(|bridge| bridge.as_ref().filter(|b| b.env == env).cloned());
    let shapes = bridge.as_ref().and_then(|bridge| bridge.shapes.get());
    for entry in ready {
        let Completion { deferred, shape, settle } = match entry {
            Entry::Settle(completion) => completion,
            Entry::Notice(notice) => {
                // SAFETY: N-API calls on the JS thread, in a handle scope of their own.
                unsafe {
                    let mut scope = ptr::null_mut();
                    sys::napi_open_handle_scope(env, &mut scope);
                    notice(env);
                    sys::napi_close_handle_scope(env, scope);
                }
                continue;
            }
        };
        count += 1;
        // SAFETY: N-API calls on the JS thread; each result gets its own handle scope.
        unsafe {
            let mut scope = ptr::null_mut();
            sys::napi_open_handle_scope(env, &mut scope);
            let outcome = match settle(env) {
                Ok(value) if shape == Shape::Check => match shapes {
                    Some((_, check)) => call_shape(env, check, value),
                    None => Ok(value),
                },
                Ok(value) => Ok(value),
                Err(error) => {
                    let error = JsError::from(error).into_value(env);
                    Err(match shapes {
                        Some((to_error, _)) => call_shape(env, to_error, error).unwrap_or_else(|thrown| thrown),
                        None => error,
                    })
                }
            };
            match outcome {
                Ok(value) => sys::napi_resolve_deferred(env, deferred.0, value),
                Err(error) => sys::napi_reject_deferred(env, deferred.0, error),
            };
            sys::napi_close_handle_scope(env, scope);
        }
    }
    if let Some(bridge) = bridge {
        bridge.settled(count);
    }
}

/// Calls a kept JS function (a registered converter, a `Callback`) with one argument: its result, or what it threw.
unsafe fn call_shape(env: sys::napi_env, function: sys::napi_ref, argument: sys::napi_value) -> Result<sys::napi_value, sys::napi_value> {
    // SAFETY: on the JS thread, `function` a live reference made by `set_shapes` or `Callback::new`.
    unsafe {
        let mut callee = ptr::null_mut();
        let mut receiver = ptr::null_mut();
        sys::napi_get_reference_value(env, function, &mut callee);
        sys::napi_get_undefined(env, &mut receiver);
        let mut result = ptr::null_mut();
        if sys::napi_call_function(env, receiver, callee, 1, &argument, &mut result) == sys::Status::napi_ok {
            return Ok(result);
        }
        let mut thrown = ptr::null_mut();
        sys::napi_get_and_clear_last_exception(env, &mut thrown);
        Err(thrown)
    }
}

/// Registers the JS layer's converters for this thread: `toError(nativeError)`
/// returns the package's Error, `check(text)` a check object from its JSON text.
#[napi]
pub fn set_shapes(env: Env, to_error: Unknown<'_>, check: Unknown<'_>) -> napi::Result<()> {
    let bridge = Bridge::current(env.raw())?;
    let mut references = [ptr::null_mut(); 2];
    for (reference, function) in references.iter_mut().zip([to_error.raw(), check.raw()]) {
        // SAFETY: on the JS thread with a live value; the reference lives as long as the environment.
        status(unsafe { sys::napi_create_reference(env.raw(), function, 1, reference) }, "keeping a converter")?;
    }
    bridge.shapes.set(Some((references[0], references[1])));
    Ok(())
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
    promise_shaped(env, Shape::Plain, cancel, work)
}

/// As `promise_with`, the result going through the JS layer's converter `shape`.
pub fn promise_shaped<'env, T, F>(env: &'env Env, shape: Shape, cancel: Option<u32>, work: F) -> napi::Result<PromiseRaw<'env, T>>
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
    bridge.start(Box::pin(async move {
        let result = cancellable(cancel, work).await;
        let settle: Settle = Box::new(move |env| match result {
            // SAFETY: called by `deliver` on the JS thread with its env.
            Ok(value) => unsafe { T::to_napi_value(env, value) },
            Err(error) => Err(error),
        });
        shared.finish(Entry::Settle(Completion { deferred, shape, settle }));
    }))?;
    Ok(PromiseRaw::new(raw_env, promise))
}

/// Starts the calls this thread made since the last start (see `Bridge::start`).
#[napi]
pub fn start_calls(env: Env) -> napi::Result<()> {
    let bridge = Bridge::current(env.raw())?;
    let calls = std::mem::take(&mut *bridge.starting.borrow_mut());
    if !calls.is_empty() {
        napi::bindgen_prelude::spawn(async move {
            for call in calls {
                tokio::spawn(call);
            }
        });
    }
    Ok(())
}

/// Registers `schedule`, which the bridge calls on the first call of a batch
/// and which arranges for `startCalls()` to run once the current JS job is
/// done (a microtask): the batch's calls then reach the runtime with one
/// wake-up of its thread instead of one each.
#[napi]
pub fn set_start_scheduler(env: Env, schedule: Unknown<'_>) -> napi::Result<()> {
    let bridge = Bridge::current(env.raw())?;
    let mut reference = ptr::null_mut();
    // SAFETY: on the JS thread with a live value; the reference lives as long as the environment.
    status(unsafe { sys::napi_create_reference(env.raw(), schedule.raw(), 1, &mut reference) }, "keeping the scheduler")?;
    bridge.scheduler.set(Some(reference));
    Ok(())
}

/// A JS function that runtime threads call. Its calls go through the bridge's
/// queue with the thread's results, so every call made by a task reaches JS
/// before the promise that task settles: a batch's last `onProgress` comes
/// before the batch resolves. (A threadsafe function of its own would race the
/// bridge's.) What the function throws is dropped; the JS layer wraps it.
pub struct Callback<T> {
    shared: Arc<Shared>,
    function: FunctionRef,
    _argument: std::marker::PhantomData<fn(T)>,
}

#[derive(Clone, Copy)]
struct FunctionRef(sys::napi_ref);

// SAFETY: runtime threads only copy the pointer; it is read or deleted by notices, on its JS thread.
unsafe impl Send for FunctionRef {}
unsafe impl Sync for FunctionRef {}

impl FunctionRef {
    /// The pointer, taken through `self` so that closures capture the whole (sendable) value.
    fn raw(self) -> sys::napi_ref {
        self.0
    }
}

impl<T: ToNapiValue + Send + 'static> Callback<T> {
    /// On the JS thread: keeps `function` (checked callable by the caller's type) for calls from the runtime.
    pub fn new(env: &Env, function: sys::napi_value) -> napi::Result<Self> {
        let bridge = Bridge::current(env.raw())?;
        let mut reference = ptr::null_mut();
        // SAFETY: on the JS thread with a live value; `Drop` queues the reference's deletion.
        status(unsafe { sys::napi_create_reference(env.raw(), function, 1, &mut reference) }, "keeping a callback")?;
        Ok(Self { shared: bridge.shared.clone(), function: FunctionRef(reference), _argument: std::marker::PhantomData })
    }

    /// From any thread: queues a call of the function with `argument`.
    pub fn call(&self, argument: T) {
        let function = self.function;
        self.shared.finish(Entry::Notice(Box::new(move |env| {
            // SAFETY: on the JS thread; the reference is deleted only by a notice queued after this one.
            unsafe {
                if let Ok(argument) = T::to_napi_value(env, argument) {
                    let _ = call_shape(env, function.raw(), argument);
                }
            }
        })));
    }
}

impl<T> Drop for Callback<T> {
    fn drop(&mut self) {
        let function = self.function;
        // If the environment is tearing down the notice is dropped unrun, and the reference with the environment.
        self.shared.finish(Entry::Notice(Box::new(move |env| {
            // SAFETY: on the JS thread, after every call queued before the drop.
            unsafe { sys::napi_delete_reference(env, function.raw()) };
        })));
    }
}
