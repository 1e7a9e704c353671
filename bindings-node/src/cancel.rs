//! Cancellation for AbortSignal: the JS layer takes a token id, calls
//! `cancel(id)` when its signal aborts, and the call's future is dropped,
//! which stops whatever it was doing (polling included). The JS layer
//! releases the token when the call settles.

use std::collections::HashMap;
use std::future::Future;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Mutex, OnceLock};

use futures_util::FutureExt;
use napi_derive::napi;
use tokio::sync::watch;

use crate::errors::aborted;

fn tokens() -> &'static Mutex<HashMap<u32, watch::Sender<bool>>> {
    static TOKENS: OnceLock<Mutex<HashMap<u32, watch::Sender<bool>>>> = OnceLock::new();
    TOKENS.get_or_init(Mutex::default)
}

/// A new cancellation token for one call.
#[napi]
pub fn new_cancel_token() -> u32 {
    static NEXT: AtomicU32 = AtomicU32::new(1);
    let id = NEXT.fetch_add(1, Ordering::Relaxed);
    tokens().lock().unwrap_or_else(|p| p.into_inner()).insert(id, watch::channel(false).0);
    id
}

/// Cancels the call holding this token (nothing if it has finished).
#[napi]
pub fn cancel(token: u32) {
    if let Some(sender) = tokens().lock().unwrap_or_else(|p| p.into_inner()).get(&token) {
        sender.send_replace(true);
    }
}

/// Forgets a token; the JS layer calls it once its call has settled, however it ended.
#[napi]
pub fn release_cancel_token(token: u32) {
    tokens().lock().unwrap_or_else(|p| p.into_inner()).remove(&token);
}

/// Runs `work`, or drops it as soon as `token` is cancelled. A panic in
/// `work` becomes the package's error, so that a promise always settles
/// with something a caller can catch (never "Panic in async function").
pub async fn cancellable<T>(token: Option<u32>, work: impl Future<Output = napi::Result<T>>) -> napi::Result<T> {
    let work = async move { std::panic::AssertUnwindSafe(work).catch_unwind().await.unwrap_or_else(|_| Err(crate::errors::internal())) };
    let Some(id) = token else { return work.await };
    let receiver = tokens().lock().unwrap_or_else(|p| p.into_inner()).get(&id).map(watch::Sender::subscribe);
    let Some(mut receiver) = receiver else { return work.await };
    tokio::select! {
        result = work => result,
        _ = receiver.wait_for(|cancelled| *cancelled) => Err(aborted()),
    }
}
