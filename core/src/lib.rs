//! `passfort-core`: the one implementation of the PassFort KYC/AML API 4.0
//! client that the Python and Node packages wrap.
//!
//! ```no_run
//! # async fn demo() -> passfort_core::Result<()> {
//! use passfort_core::{CheckMode, CheckRequest, CheckType, Client};
//! let client = Client::builder().api_key("...").build()?;
//! let check = client
//!     .run_check("profile-id", &CheckRequest::new(CheckType::IdentityCheck), CheckMode::Sync)
//!     .await?;
//! println!("{} {:?}", check.state, check.result);
//! # Ok(()) }
//! ```

#![forbid(unsafe_code)]

mod api;
pub mod args;
mod batch;
mod bounded;
mod call;
mod client;
mod config;
mod connect;
mod error;
pub mod fleet;
mod flows;
mod http;
mod lifecycle;
mod listener;
pub mod log_level;
pub mod models;
mod open_enum;
pub mod operations;
mod pacing;
pub mod patch;
mod reconcile;
pub mod resources;
mod retry;
pub mod timestamp;

/// Entry points for the fuzz targets (`fuzz/`); not a stable API.
#[doc(hidden)]
pub mod fuzzing {
    pub use crate::retry::server_requested_wait;
}
mod waiting;
mod webhook_events;
pub mod webhooks;

pub use args::Dialect;
pub use batch::{BatchArgs, BatchOptions, BatchProgress, CheckJob, TaskJob};
pub use call::{flatten_query, ApiResponse, CallArgs, QueryValue, RequestOptions, RequestOptionsArgs, ResponseMeta};
pub use client::{check_mode, CheckArgs, CheckMode, CheckRequest, Client, ProfileQuery, TaskOutcome, VariantSelector};
pub use config::{ClientBuilder, ClientConfig, ClientOptions, Secret, DEFAULT_BASE_URL, ENV_API_KEY, ENV_BASE_URL, ENV_REDIS_URL};
pub use error::{ApiError, ApiErrorKind, Cause, Error, LatestData, Result};
pub use fleet::{LedgerEntry, RateBudget, RecoveredCheck};
pub use flows::{
    image_format, update_attempts, ApplicationDecision, DecisionOutcome, DocumentCheckArgs, UpdatedData, DEFAULT_DOCUMENT_CATEGORY,
    DEFAULT_UPDATE_ATTEMPTS, MAX_UPDATE_ATTEMPTS,
};
pub use http::with_caller_driven_connections;
pub use lifecycle::{VerifyArgs, VerifyOptions, VerifyOutcome, VerifyStop};
pub use listener::{ListenArgs, ListenerOptions, WebhookListener};
pub use models::{
    Application, ApplicationFlag, ApplicationStatus, Check, CheckResult, CheckState, CheckType, Decision, DocumentImage, DocumentImageType,
    ErrorDetail, ErrorSource, EventResolution, EventType, Note, Page, Profile, ProfileEvent, ProfileStatus, RiskLevel, Role, Tag, Task,
    TaskState, TaskType, Variant, WhoAmI,
};
pub use patch::{DataChange, PatchOp};
pub use retry::RetryClass;
pub use waiting::{FinishedCheck, PollSchedule, ResolvedBy, WaitArgs, WaitOptions};
pub use webhooks::{CheckSubscription, WebhookErrorKind, WebhookEvent, WebhookEventKind, WebhookHub, WebhookVerifier};

/// The README's Rust examples, compiled as doc tests so that they stay true.
#[doc = include_str!("../../README.md")]
#[cfg(doctest)]
pub struct ReadmeDoctests;
