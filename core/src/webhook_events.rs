//! The typed webhook events: one variant per event type PassFort lists
//! (help centre, *Configuring webhooks*), decoded from an envelope's `data`.
//!
//! Decoding never fails a delivery. Unknown fields are ignored (the whole
//! `data` stays on [`WebhookEvent`](crate::WebhookEvent)), unknown enum values
//! are kept verbatim, and an optional field of the wrong type reads as `None`.
//! An event whose `data` lacks what identifies it (`profile_id`, and
//! `check.id` / `task.id` for check and task events) is not refused: it comes
//! as [`WebhookEventKind::Unknown`], passed through whole, like an event name
//! this version does not know. Refusing it would make PassFort retry it
//! forever, and deliveries are ordered, so every later event would be stuck.

use std::fmt;

use serde::de::DeserializeOwned;
use serde::{Deserialize, Deserializer, Serialize};
use serde_json::Value;

use crate::models::{
    ApplicationStatus, CheckResult, CheckType, Decision, EventResolution, EventType, ProfileStatus, RiskLevel, TaskState, TaskType,
};

/// An optional field: absent, null or of the wrong type reads as `None`.
fn lenient<'de, D: Deserializer<'de>, T: DeserializeOwned>(deserializer: D) -> Result<Option<T>, D::Error> {
    let value = Value::deserialize(deserializer)?;
    Ok(serde_json::from_value(value).ok())
}

/// A list field: absent, null or not a list reads as empty; entries that do not fit are skipped.
fn lenient_list<'de, D: Deserializer<'de>, T: DeserializeOwned>(deserializer: D) -> Result<Vec<T>, D::Error> {
    let value = Value::deserialize(deserializer)?;
    let Value::Array(items) = value else { return Ok(Vec::new()) };
    Ok(items.into_iter().filter_map(|item| serde_json::from_value(item).ok()).collect())
}

/// `Debug` showing only the ids of a struct (the rest can be personal data).
macro_rules! debug_ids {
    ($name:ident { $($field:ident),* }) => {
        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.debug_struct(stringify!($name)) $(.field(stringify!($field), &self.$field))* .finish_non_exhaustive()
            }
        }
    };
}

/// The product of an application: `{alias, id, name}`.
#[derive(Clone, PartialEq, Eq, Deserialize, Serialize)]
pub struct ProductRef {
    pub id: String,
    #[serde(default, deserialize_with = "lenient")]
    pub alias: Option<String>,
    #[serde(default, deserialize_with = "lenient")]
    pub name: Option<String>,
}
debug_ids!(ProductRef { id });

/// The user who made a change: `{email, id, name}`.
#[derive(Clone, PartialEq, Eq, Deserialize, Serialize)]
pub struct UserRef {
    #[serde(default, deserialize_with = "lenient")]
    pub id: Option<String>,
    #[serde(default, deserialize_with = "lenient")]
    pub email: Option<String>,
    #[serde(default, deserialize_with = "lenient")]
    pub name: Option<String>,
}
debug_ids!(UserRef { id });

/// The API key a change was made with: `{name}`.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize, Serialize)]
pub struct ApiKeyRef {
    #[serde(default, deserialize_with = "lenient")]
    pub name: Option<String>,
}

/// A check as events give it: `{id, check_type, result, decision}`.
#[derive(Clone, PartialEq, Eq, Deserialize, Serialize)]
pub struct CheckSummary {
    pub id: String,
    #[serde(default, deserialize_with = "lenient")]
    pub check_type: Option<CheckType>,
    #[serde(default, deserialize_with = "lenient")]
    pub result: Option<CheckResult>,
    #[serde(default, deserialize_with = "lenient")]
    pub decision: Option<Decision>,
}
debug_ids!(CheckSummary { id });

/// A task as events give it: `{id, type, state, is_complete}` (each event gives some of these).
#[derive(Clone, PartialEq, Eq, Deserialize, Serialize)]
pub struct TaskSummary {
    pub id: String,
    #[serde(rename = "type", default, deserialize_with = "lenient")]
    pub task_type: Option<TaskType>,
    #[serde(default, deserialize_with = "lenient")]
    pub state: Option<TaskState>,
    #[serde(default, deserialize_with = "lenient")]
    pub is_complete: Option<bool>,
}
debug_ids!(TaskSummary { id });

/// A profile event as events give it: `{id, event_type, resolution}`.
#[derive(Clone, PartialEq, Eq, Deserialize, Serialize)]
pub struct EventSummary {
    pub id: String,
    #[serde(default, deserialize_with = "lenient")]
    pub event_type: Option<EventType>,
    #[serde(default, deserialize_with = "lenient")]
    pub resolution: Option<EventResolution>,
}
debug_ids!(EventSummary { id });

/// The data of events that say only which profile changed (COLLECTED_DATA_CHANGED and others).
#[derive(Clone, PartialEq, Eq, Deserialize, Serialize)]
pub struct ProfileChanged {
    pub profile_id: String,
    #[serde(default, deserialize_with = "lenient")]
    pub customer_ref: Option<String>,
}
debug_ids!(ProfileChanged { profile_id });

/// PRODUCT_STATUS_CHANGED: an application's status changed.
#[derive(Clone, PartialEq, Eq, Deserialize, Serialize)]
pub struct ProductStatusChanged {
    pub profile_id: String,
    #[serde(default, deserialize_with = "lenient")]
    pub customer_ref: Option<String>,
    #[serde(default, deserialize_with = "lenient")]
    pub application_id: Option<String>,
    #[serde(default, deserialize_with = "lenient")]
    pub new_status: Option<ApplicationStatus>,
    #[serde(default, deserialize_with = "lenient")]
    pub product: Option<ProductRef>,
    /// `None` when the smart policy made the change.
    #[serde(default, deserialize_with = "lenient")]
    pub user: Option<UserRef>,
    #[serde(default, deserialize_with = "lenient")]
    pub apikey: Option<ApiKeyRef>,
}
debug_ids!(ProductStatusChanged { profile_id, application_id });

/// CHECK_COMPLETED.
#[derive(Clone, PartialEq, Eq, Deserialize, Serialize)]
pub struct CheckCompleted {
    pub profile_id: String,
    #[serde(default, deserialize_with = "lenient")]
    pub customer_ref: Option<String>,
    pub check: CheckSummary,
}
debug_ids!(CheckCompleted { profile_id, check });

/// TASK_CREATED, TASK_STATE_CHANGED and TASK_IS_COMPLETE_CHANGED.
#[derive(Clone, PartialEq, Eq, Deserialize, Serialize)]
pub struct TaskChanged {
    pub profile_id: String,
    #[serde(default, deserialize_with = "lenient")]
    pub customer_ref: Option<String>,
    pub task: TaskSummary,
}
debug_ids!(TaskChanged { profile_id, task });

/// RISK_LEVEL_CHANGED (`None`: no level).
#[derive(Clone, PartialEq, Eq, Deserialize, Serialize)]
pub struct RiskLevelChanged {
    pub profile_id: String,
    #[serde(default, deserialize_with = "lenient")]
    pub customer_ref: Option<String>,
    #[serde(default, deserialize_with = "lenient")]
    pub new_risk_level: Option<RiskLevel>,
    #[serde(default, deserialize_with = "lenient")]
    pub old_risk_level: Option<RiskLevel>,
}
debug_ids!(RiskLevelChanged { profile_id });

/// RISK_SCORE_CHANGED (`None`: no score).
#[derive(Clone, PartialEq, Deserialize, Serialize)]
pub struct RiskScoreChanged {
    pub profile_id: String,
    #[serde(default, deserialize_with = "lenient")]
    pub customer_ref: Option<String>,
    #[serde(default, deserialize_with = "lenient")]
    pub new_risk_score: Option<f64>,
    #[serde(default, deserialize_with = "lenient")]
    pub old_risk_score: Option<f64>,
}
debug_ids!(RiskScoreChanged { profile_id });

/// MANUAL_ACTION_REQUIRED: an application needs a person's decision.
#[derive(Clone, PartialEq, Eq, Deserialize, Serialize)]
pub struct ManualActionRequired {
    pub profile_id: String,
    #[serde(default, deserialize_with = "lenient")]
    pub customer_ref: Option<String>,
    #[serde(default, deserialize_with = "lenient")]
    pub application_id: Option<String>,
    #[serde(default, deserialize_with = "lenient")]
    pub product: Option<ProductRef>,
    /// The check that made it so, when a check did.
    #[serde(default, deserialize_with = "lenient")]
    pub check: Option<CheckSummary>,
}
debug_ids!(ManualActionRequired { profile_id, application_id, check });

/// EVENTS_CREATED and EVENTS_UPDATED.
#[derive(Clone, PartialEq, Eq, Deserialize, Serialize)]
pub struct EventsChanged {
    pub profile_id: String,
    #[serde(default, deserialize_with = "lenient")]
    pub customer_ref: Option<String>,
    #[serde(default, deserialize_with = "lenient_list")]
    pub events: Vec<EventSummary>,
}
debug_ids!(EventsChanged { profile_id, events });

/// PROFILE_STATUS_CHANGED (deprecated by PassFort).
#[derive(Clone, PartialEq, Eq, Deserialize, Serialize)]
pub struct ProfileStatusChanged {
    pub profile_id: String,
    #[serde(default, deserialize_with = "lenient")]
    pub customer_ref: Option<String>,
    #[serde(default, deserialize_with = "lenient")]
    pub new_status: Option<ProfileStatus>,
}
debug_ids!(ProfileStatusChanged { profile_id });

/// What a webhook event is about: one variant per event type in PassFort's
/// list, in its order. Its `Debug` shows ids only.
#[derive(Clone, PartialEq)]
pub enum WebhookEventKind {
    ProductStatusChanged(ProductStatusChanged),
    TaskCreated(TaskChanged),
    CheckCompleted(CheckCompleted),
    /// No data beyond the profile is published.
    ProductBadgeChanged(ProfileChanged),
    RiskLevelChanged(RiskLevelChanged),
    RiskScoreChanged(RiskScoreChanged),
    TaskStateChanged(TaskChanged),
    /// Deprecated by PassFort: COLLECTED_DATA_CHANGED replaces it.
    CollectedDataUpdated(ProfileChanged),
    CollectedDataChanged(ProfileChanged),
    FormStateChanged(ProfileChanged),
    ManualActionRequired(ManualActionRequired),
    CustomerRequestChanged(ProfileChanged),
    EventsCreated(EventsChanged),
    EventsUpdated(EventsChanged),
    /// Deprecated by PassFort.
    ProfileStatusChanged(ProfileStatusChanged),
    /// Deprecated by PassFort.
    TaskIsCompleteChanged(TaskChanged),
    /// Deprecated by PassFort.
    CollectionStepsCompleted(ProfileChanged),
    /// An event name this version does not know, or a known one whose `data`
    /// lacks what identifies it: see the event's `event` and `data`.
    Unknown,
}

/// Every event name with a variant, in PassFort's order.
pub const KNOWN_EVENTS: &[&str] = &[
    "PRODUCT_STATUS_CHANGED",
    "TASK_CREATED",
    "CHECK_COMPLETED",
    "PRODUCT_BADGE_CHANGED",
    "RISK_LEVEL_CHANGED",
    "RISK_SCORE_CHANGED",
    "TASK_STATE_CHANGED",
    "COLLECTED_DATA_UPDATED",
    "COLLECTED_DATA_CHANGED",
    "FORM_STATE_CHANGED",
    "MANUAL_ACTION_REQUIRED",
    "CUSTOMER_REQUEST_CHANGED",
    "EVENTS_CREATED",
    "EVENTS_UPDATED",
    "PROFILE_STATUS_CHANGED",
    "TASK_IS_COMPLETE_CHANGED",
    "COLLECTION_STEPS_COMPLETED",
];

impl WebhookEventKind {
    /// Decodes `data` as the event `event`; never fails (see the module docs).
    pub fn decode(event: &str, data: &Value) -> Self {
        fn typed<T: DeserializeOwned>(data: &Value, variant: fn(T) -> WebhookEventKind) -> WebhookEventKind {
            T::deserialize(data).map(variant).unwrap_or(WebhookEventKind::Unknown)
        }
        use WebhookEventKind as K;
        match event {
            "PRODUCT_STATUS_CHANGED" => typed(data, K::ProductStatusChanged),
            "TASK_CREATED" => typed(data, K::TaskCreated),
            "CHECK_COMPLETED" => typed(data, K::CheckCompleted),
            "PRODUCT_BADGE_CHANGED" => typed(data, K::ProductBadgeChanged),
            "RISK_LEVEL_CHANGED" => typed(data, K::RiskLevelChanged),
            "RISK_SCORE_CHANGED" => typed(data, K::RiskScoreChanged),
            "TASK_STATE_CHANGED" => typed(data, K::TaskStateChanged),
            "COLLECTED_DATA_UPDATED" => typed(data, K::CollectedDataUpdated),
            "COLLECTED_DATA_CHANGED" => typed(data, K::CollectedDataChanged),
            "FORM_STATE_CHANGED" => typed(data, K::FormStateChanged),
            "MANUAL_ACTION_REQUIRED" => typed(data, K::ManualActionRequired),
            "CUSTOMER_REQUEST_CHANGED" => typed(data, K::CustomerRequestChanged),
            "EVENTS_CREATED" => typed(data, K::EventsCreated),
            "EVENTS_UPDATED" => typed(data, K::EventsUpdated),
            "PROFILE_STATUS_CHANGED" => typed(data, K::ProfileStatusChanged),
            "TASK_IS_COMPLETE_CHANGED" => typed(data, K::TaskIsCompleteChanged),
            "COLLECTION_STEPS_COMPLETED" => typed(data, K::CollectionStepsCompleted),
            _ => K::Unknown,
        }
    }

    /// The variant's name, e.g. `CheckCompleted` (`Unknown` for pass-through):
    /// the bindings name their event classes after it.
    pub fn name(&self) -> &'static str {
        match self {
            Self::ProductStatusChanged(_) => "ProductStatusChanged",
            Self::TaskCreated(_) => "TaskCreated",
            Self::CheckCompleted(_) => "CheckCompleted",
            Self::ProductBadgeChanged(_) => "ProductBadgeChanged",
            Self::RiskLevelChanged(_) => "RiskLevelChanged",
            Self::RiskScoreChanged(_) => "RiskScoreChanged",
            Self::TaskStateChanged(_) => "TaskStateChanged",
            Self::CollectedDataUpdated(_) => "CollectedDataUpdated",
            Self::CollectedDataChanged(_) => "CollectedDataChanged",
            Self::FormStateChanged(_) => "FormStateChanged",
            Self::ManualActionRequired(_) => "ManualActionRequired",
            Self::CustomerRequestChanged(_) => "CustomerRequestChanged",
            Self::EventsCreated(_) => "EventsCreated",
            Self::EventsUpdated(_) => "EventsUpdated",
            Self::ProfileStatusChanged(_) => "ProfileStatusChanged",
            Self::TaskIsCompleteChanged(_) => "TaskIsCompleteChanged",
            Self::CollectionStepsCompleted(_) => "CollectionStepsCompleted",
            Self::Unknown => "Unknown",
        }
    }

    pub fn is_known(&self) -> bool {
        !matches!(self, Self::Unknown)
    }

    /// The typed fields as a JSON object, field names as in `data`, enums as
    /// their wire strings, absent values as null: what the bindings show on
    /// each event class. Empty for `Unknown`.
    pub fn typed_fields(&self) -> serde_json::Map<String, Value> {
        let value = match self {
            Self::ProductStatusChanged(fields) => serde_json::to_value(fields),
            Self::TaskCreated(fields) | Self::TaskStateChanged(fields) | Self::TaskIsCompleteChanged(fields) => {
                serde_json::to_value(fields)
            }
            Self::CheckCompleted(fields) => serde_json::to_value(fields),
            Self::ProductBadgeChanged(fields)
            | Self::CollectedDataUpdated(fields)
            | Self::CollectedDataChanged(fields)
            | Self::FormStateChanged(fields)
            | Self::CustomerRequestChanged(fields)
            | Self::CollectionStepsCompleted(fields) => serde_json::to_value(fields),
            Self::RiskLevelChanged(fields) => serde_json::to_value(fields),
            Self::RiskScoreChanged(fields) => serde_json::to_value(fields),
            Self::ManualActionRequired(fields) => serde_json::to_value(fields),
            Self::EventsCreated(fields) | Self::EventsUpdated(fields) => serde_json::to_value(fields),
            Self::ProfileStatusChanged(fields) => serde_json::to_value(fields),
            Self::Unknown => Ok(Value::Null),
        };
        match value {
            Ok(Value::Object(fields)) => fields,
            _ => serde_json::Map::new(),
        }
    }

    /// The profile the event is about (every known event has one).
    pub fn profile_id(&self) -> Option<&str> {
        Some(match self {
            Self::ProductStatusChanged(e) => &e.profile_id,
            Self::TaskCreated(e) | Self::TaskStateChanged(e) | Self::TaskIsCompleteChanged(e) => &e.profile_id,
            Self::CheckCompleted(e) => &e.profile_id,
            Self::ProductBadgeChanged(e)
            | Self::CollectedDataUpdated(e)
            | Self::CollectedDataChanged(e)
            | Self::FormStateChanged(e)
            | Self::CustomerRequestChanged(e)
            | Self::CollectionStepsCompleted(e) => &e.profile_id,
            Self::RiskLevelChanged(e) => &e.profile_id,
            Self::RiskScoreChanged(e) => &e.profile_id,
            Self::ManualActionRequired(e) => &e.profile_id,
            Self::EventsCreated(e) | Self::EventsUpdated(e) => &e.profile_id,
            Self::ProfileStatusChanged(e) => &e.profile_id,
            Self::Unknown => return None,
        })
    }

    pub fn customer_ref(&self) -> Option<&str> {
        match self {
            Self::ProductStatusChanged(e) => e.customer_ref.as_deref(),
            Self::TaskCreated(e) | Self::TaskStateChanged(e) | Self::TaskIsCompleteChanged(e) => e.customer_ref.as_deref(),
            Self::CheckCompleted(e) => e.customer_ref.as_deref(),
            Self::ProductBadgeChanged(e)
            | Self::CollectedDataUpdated(e)
            | Self::CollectedDataChanged(e)
            | Self::FormStateChanged(e)
            | Self::CustomerRequestChanged(e)
            | Self::CollectionStepsCompleted(e) => e.customer_ref.as_deref(),
            Self::RiskLevelChanged(e) => e.customer_ref.as_deref(),
            Self::RiskScoreChanged(e) => e.customer_ref.as_deref(),
            Self::ManualActionRequired(e) => e.customer_ref.as_deref(),
            Self::EventsCreated(e) | Self::EventsUpdated(e) => e.customer_ref.as_deref(),
            Self::ProfileStatusChanged(e) => e.customer_ref.as_deref(),
            Self::Unknown => None,
        }
    }

    /// The check a CHECK_COMPLETED announces.
    pub fn completed_check_id(&self) -> Option<&str> {
        match self {
            Self::CheckCompleted(e) => Some(&e.check.id),
            _ => None,
        }
    }
}

impl fmt::Debug for WebhookEventKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::ProductStatusChanged(e) => f.debug_tuple(self.name()).field(e).finish(),
            Self::TaskCreated(e) | Self::TaskStateChanged(e) | Self::TaskIsCompleteChanged(e) => {
                f.debug_tuple(self.name()).field(e).finish()
            }
            Self::CheckCompleted(e) => f.debug_tuple(self.name()).field(e).finish(),
            Self::ProductBadgeChanged(e)
            | Self::CollectedDataUpdated(e)
            | Self::CollectedDataChanged(e)
            | Self::FormStateChanged(e)
            | Self::CustomerRequestChanged(e)
            | Self::CollectionStepsCompleted(e) => f.debug_tuple(self.name()).field(e).finish(),
            Self::RiskLevelChanged(e) => f.debug_tuple(self.name()).field(e).finish(),
            Self::RiskScoreChanged(e) => f.debug_tuple(self.name()).field(e).finish(),
            Self::ManualActionRequired(e) => f.debug_tuple(self.name()).field(e).finish(),
            Self::EventsCreated(e) | Self::EventsUpdated(e) => f.debug_tuple(self.name()).field(e).finish(),
            Self::ProfileStatusChanged(e) => f.debug_tuple(self.name()).field(e).finish(),
            Self::Unknown => f.write_str("Unknown"),
        }
    }
}
