//! One Python class per webhook event type, each a subclass of `WebhookEvent`:
//! `isinstance` and `match` tell them apart. The classes and their fields
//! are the core's `WebhookEventKind` variants and their typed fields
//! (`WebhookEventKind::typed_fields`), converted.

use passfort_core::webhooks::{WebhookEvent, WebhookEventKind};
use pyo3::prelude::*;
use pyo3::PyClassInitializer;

use crate::convert::json_to_py;
use crate::models::PyWebhookEvent;

/// A typed field of the event, by the core's name for it (None when absent).
fn typed_field(py: Python<'_>, event: &WebhookEvent, name: &str) -> PyResult<Py<PyAny>> {
    let fields = event.kind.typed_fields();
    debug_assert!(fields.contains_key(name), "{} has no typed field {name}", event.kind.name());
    json_to_py(py, fields.get(name).unwrap_or(&serde_json::Value::Null))
}

macro_rules! event_classes {
    ($( $class:ident $pyname:literal [$($field:ident),*] ),+ $(,)?) => {
        $(
            #[pyclass(module = "passfort", name = $pyname, frozen, extends = PyWebhookEvent)]
            pub struct $class;

            #[pymethods]
            impl $class {
                $(
                    #[getter]
                    fn $field(slf: &Bound<'_, Self>) -> PyResult<Py<PyAny>> {
                        typed_field(slf.py(), &slf.as_super().get().0, stringify!($field))
                    }
                )*
            }
        )+

        /// Registers every event class in the module.
        pub fn add_classes(module: &Bound<'_, PyModule>) -> PyResult<()> {
            $( module.add_class::<$class>()?; )+
            Ok(())
        }
    };
}

// `profile_id` and `customer_ref` come from the base class.
event_classes! {
    ProductStatusChangedEvent "ProductStatusChangedEvent" [application_id, new_status, product, user, apikey],
    TaskCreatedEvent "TaskCreatedEvent" [task],
    CheckCompletedEvent "CheckCompletedEvent" [check],
    ProductBadgeChangedEvent "ProductBadgeChangedEvent" [],
    RiskLevelChangedEvent "RiskLevelChangedEvent" [new_risk_level, old_risk_level],
    RiskScoreChangedEvent "RiskScoreChangedEvent" [new_risk_score, old_risk_score],
    TaskStateChangedEvent "TaskStateChangedEvent" [task],
    CollectedDataUpdatedEvent "CollectedDataUpdatedEvent" [],
    CollectedDataChangedEvent "CollectedDataChangedEvent" [],
    FormStateChangedEvent "FormStateChangedEvent" [],
    ManualActionRequiredEvent "ManualActionRequiredEvent" [application_id, product, check],
    CustomerRequestChangedEvent "CustomerRequestChangedEvent" [],
    EventsCreatedEvent "EventsCreatedEvent" [events],
    EventsUpdatedEvent "EventsUpdatedEvent" [events],
    ProfileStatusChangedEvent "ProfileStatusChangedEvent" [new_status],
    TaskIsCompleteChangedEvent "TaskIsCompleteChangedEvent" [task],
    CollectionStepsCompletedEvent "CollectionStepsCompletedEvent" [],
    UnknownWebhookEvent "UnknownWebhookEvent" [],
}

/// The event as an instance of its class.
pub fn event_to_py(py: Python<'_>, event: WebhookEvent) -> PyResult<Py<PyAny>> {
    fn new<T: pyo3::PyClass<BaseType = PyWebhookEvent>>(py: Python<'_>, event: WebhookEvent, class: T) -> PyResult<Py<PyAny>> {
        Ok(Py::new(py, PyClassInitializer::from(PyWebhookEvent(event)).add_subclass(class))?.into_any())
    }
    use WebhookEventKind as K;
    match &event.kind {
        K::ProductStatusChanged(_) => new(py, event, ProductStatusChangedEvent),
        K::TaskCreated(_) => new(py, event, TaskCreatedEvent),
        K::CheckCompleted(_) => new(py, event, CheckCompletedEvent),
        K::ProductBadgeChanged(_) => new(py, event, ProductBadgeChangedEvent),
        K::RiskLevelChanged(_) => new(py, event, RiskLevelChangedEvent),
        K::RiskScoreChanged(_) => new(py, event, RiskScoreChangedEvent),
        K::TaskStateChanged(_) => new(py, event, TaskStateChangedEvent),
        K::CollectedDataUpdated(_) => new(py, event, CollectedDataUpdatedEvent),
        K::CollectedDataChanged(_) => new(py, event, CollectedDataChangedEvent),
        K::FormStateChanged(_) => new(py, event, FormStateChangedEvent),
        K::ManualActionRequired(_) => new(py, event, ManualActionRequiredEvent),
        K::CustomerRequestChanged(_) => new(py, event, CustomerRequestChangedEvent),
        K::EventsCreated(_) => new(py, event, EventsCreatedEvent),
        K::EventsUpdated(_) => new(py, event, EventsUpdatedEvent),
        K::ProfileStatusChanged(_) => new(py, event, ProfileStatusChangedEvent),
        K::TaskIsCompleteChanged(_) => new(py, event, TaskIsCompleteChangedEvent),
        K::CollectionStepsCompleted(_) => new(py, event, CollectionStepsCompletedEvent),
        K::Unknown => new(py, event, UnknownWebhookEvent),
    }
}
