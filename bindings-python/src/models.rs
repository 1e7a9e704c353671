//! The resources as Python classes: typed attributes over the core's models,
//! `to_dict()` giving back the API's JSON, unknown fields included.

use chrono::{DateTime, Utc};
use passfort_core::models::Resource;
use passfort_core::webhooks::WebhookEvent;
use passfort_core::{ApplicationDecision, Check, ErrorDetail, Profile, Task, UpdatedData, Variant, VerifyOutcome};
use pyo3::prelude::*;
use pyo3::types::PyType;

use crate::convert::{json_to_py, py_enum, py_enum_opt, quote, repr_html, repr_opt};

/// A top-level field of a resource's JSON, known to this SDK or not.
fn resource_field<T>(py: Python<'_>, resource: &Resource<T>, name: &str) -> PyResult<Py<PyAny>> {
    json_to_py(py, &resource.field(name).unwrap_or_default())
}

/// A resource rebuilt from its dict (`to_dict()`'s output, or a test's own):
/// for users' unit tests, and for pickling.
fn resource_from_dict<T: serde::de::DeserializeOwned>(what: &str, data: &Bound<'_, PyAny>) -> PyResult<Resource<T>> {
    let value = crate::convert::py_to_json(what, data)?;
    Resource::from_json(&value.to_string()).map_err(|error| {
        crate::errors::to_py_err(passfort_core::Error::InvalidArgument(format!(
            "not a {what}: {} at line {} column {}",
            match error.classify() {
                serde_json::error::Category::Data => "a field of the wrong type or a required field missing",
                _ => "not JSON",
            },
            error.line(),
            error.column()
        )))
    })
}

/// `(Class.from_dict, (dict,))`: pickling by the API's JSON.
fn reduce_by_dict(class: Bound<'_, PyType>, dict: Py<PyAny>) -> PyResult<(Py<PyAny>, (Py<PyAny>,))> {
    Ok((class.getattr("from_dict")?.unbind(), (dict,)))
}

/// How a wait for a check ended: set on the `Check` that `wait_for_check`,
/// `run_check_and_wait` and `run_checks` return, `None` elsewhere.
#[pyclass(module = "passfort", name = "WaitInfo", frozen)]
#[derive(Clone)]
pub struct PyWaitInfo {
    /// "immediately", "webhook" or "polling".
    #[pyo3(get)]
    resolved_by: &'static str,
    /// Reads of the check made while waiting.
    #[pyo3(get)]
    polls: u32,
    /// Seconds waited.
    #[pyo3(get)]
    waited: f64,
}

#[pymethods]
impl PyWaitInfo {
    fn __repr__(&self) -> String {
        format!("WaitInfo(resolved_by={}, polls={}, waited={:.3})", quote(self.resolved_by), self.polls, self.waited)
    }
}

#[pyclass(module = "passfort", name = "Check", frozen)]
pub struct PyCheck(pub Check, pub Option<PyWaitInfo>);

impl From<Check> for PyCheck {
    fn from(check: Check) -> Self {
        Self(check, None)
    }
}

impl From<passfort_core::FinishedCheck> for PyCheck {
    fn from(finished: passfort_core::FinishedCheck) -> Self {
        let wait = PyWaitInfo { resolved_by: finished.resolved_by.as_str(), polls: finished.polls, waited: finished.waited.as_secs_f64() };
        Self(finished.check, Some(wait))
    }
}

#[pymethods]
impl PyCheck {
    /// Jupyter's rich display: a compact table.
    fn _repr_html_(slf: &Bound<'_, Self>) -> PyResult<String> {
        repr_html(slf.as_any())
    }
    #[getter]
    fn id(&self) -> &str {
        &self.0.id
    }
    #[getter]
    fn check_type(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        py_enum(py, "CheckType", self.0.check_type.as_str())
    }
    #[getter]
    fn state(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        py_enum(py, "CheckState", self.0.state.as_str())
    }
    #[getter]
    fn result(&self) -> Option<&str> {
        self.0.result.as_ref().map(|r| r.as_str())
    }
    #[getter]
    fn decision(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        py_enum_opt(py, "Decision", self.0.decision.as_ref().map(|d| d.as_str()))
    }
    #[getter]
    fn errors(&self) -> Vec<PyErrorDetail> {
        self.0.errors.iter().cloned().map(PyErrorDetail).collect()
    }
    #[getter]
    fn task_ids(&self) -> Vec<String> {
        self.0.task_ids.clone()
    }
    #[getter]
    fn variant(&self) -> Option<PyVariant> {
        self.0.variant.clone().map(PyVariant)
    }
    #[getter]
    fn providers(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        json_to_py(py, &self.0.field("providers").unwrap_or_else(|| serde_json::json!([])))
    }
    #[getter]
    fn input_data(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        json_to_py(py, &self.0.input_data().unwrap_or(serde_json::Value::Null))
    }
    #[getter]
    fn output_data(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        json_to_py(py, &self.0.output_data().unwrap_or(serde_json::Value::Null))
    }
    #[getter]
    fn instructed_on(&self) -> Option<DateTime<Utc>> {
        self.0.instructed_on
    }
    #[getter]
    fn started_on(&self) -> Option<DateTime<Utc>> {
        self.0.started_on
    }
    #[getter]
    fn completed_on(&self) -> Option<DateTime<Utc>> {
        self.0.completed_on
    }
    #[getter]
    fn performed_on(&self) -> Option<DateTime<Utc>> {
        self.0.performed_on
    }
    #[getter]
    fn is_complete(&self) -> bool {
        self.0.is_complete()
    }
    /// How the wait for this check ended, when it came from a wait.
    #[getter]
    fn wait(&self) -> Option<PyWaitInfo> {
        self.1.clone()
    }
    /// Equal when PassFort sent the same JSON.
    fn __eq__(&self, other: &Bound<'_, PyAny>) -> bool {
        other.cast::<PyCheck>().is_ok_and(|other| other.get().0.raw() == self.0.raw())
    }
    /// A check from its dict, e.g. for unit tests of code that takes checks.
    #[classmethod]
    fn from_dict(_class: &Bound<'_, PyType>, data: &Bound<'_, PyAny>) -> PyResult<Self> {
        resource_from_dict("check", data).map(Self::from)
    }
    fn __reduce__(slf: &Bound<'_, Self>) -> PyResult<(Py<PyAny>, (Py<PyAny>,))> {
        reduce_by_dict(slf.get_type(), slf.get().to_dict(slf.py())?)
    }
    /// The API's JSON, unknown fields included.
    fn to_dict(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        json_to_py(py, &self.0.to_value())
    }
    /// One top-level field by name, known to this SDK or not.
    fn get(&self, py: Python<'_>, name: &str) -> PyResult<Py<PyAny>> {
        resource_field(py, &self.0, name)
    }
    fn __repr__(&self) -> String {
        format!(
            "Check(id={}, check_type={}, state={}, result={}, decision={})",
            quote(&self.0.id),
            quote(self.0.check_type.as_str()),
            quote(self.0.state.as_str()),
            repr_opt(self.0.result.as_ref().map(|r| r.as_str())),
            repr_opt(self.0.decision.as_ref().map(|d| d.as_str())),
        )
    }
}

#[pyclass(module = "passfort", name = "Task", frozen)]
pub struct PyTask(pub Task);

#[pymethods]
impl PyTask {
    /// Jupyter's rich display: a compact table.
    fn _repr_html_(slf: &Bound<'_, Self>) -> PyResult<String> {
        repr_html(slf.as_any())
    }
    #[getter]
    fn id(&self) -> &str {
        &self.0.id
    }
    #[getter(r#type)]
    fn task_type(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        py_enum(py, "TaskType", self.0.task_type.as_str())
    }
    #[getter]
    fn state(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        py_enum(py, "TaskState", self.0.state.as_str())
    }
    #[getter]
    fn is_complete(&self) -> bool {
        self.0.is_complete
    }
    #[getter]
    fn is_expired(&self) -> bool {
        self.0.is_expired
    }
    #[getter]
    fn is_skipped(&self) -> bool {
        self.0.is_skipped
    }
    #[getter]
    fn creation_date(&self) -> Option<DateTime<Utc>> {
        self.0.creation_date
    }
    #[getter]
    fn expiry_date(&self) -> Option<DateTime<Utc>> {
        self.0.expiry_date
    }
    #[getter]
    fn check_ids(&self) -> Vec<String> {
        self.0.check_ids.clone()
    }
    #[getter]
    fn form_instance_ids(&self) -> Vec<String> {
        self.0.form_instance_ids.clone()
    }
    #[getter]
    fn variant(&self) -> Option<PyVariant> {
        self.0.variant.clone().map(PyVariant)
    }
    /// Equal when PassFort sent the same JSON.
    fn __eq__(&self, other: &Bound<'_, PyAny>) -> bool {
        other.cast::<PyTask>().is_ok_and(|other| other.get().0.raw() == self.0.raw())
    }
    /// The API's JSON, unknown fields included.
    /// A task from its dict, e.g. for unit tests of code that takes tasks.
    #[classmethod]
    fn from_dict(_class: &Bound<'_, PyType>, data: &Bound<'_, PyAny>) -> PyResult<Self> {
        resource_from_dict("task", data).map(Self)
    }
    fn __reduce__(slf: &Bound<'_, Self>) -> PyResult<(Py<PyAny>, (Py<PyAny>,))> {
        reduce_by_dict(slf.get_type(), slf.get().to_dict(slf.py())?)
    }
    fn to_dict(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        json_to_py(py, &self.0.to_value())
    }
    /// One top-level field by name, known to this SDK or not.
    fn get(&self, py: Python<'_>, name: &str) -> PyResult<Py<PyAny>> {
        resource_field(py, &self.0, name)
    }
    fn __repr__(&self) -> String {
        format!("Task(id={}, type={}, state={})", quote(&self.0.id), quote(self.0.task_type.as_str()), quote(self.0.state.as_str()))
    }
}

#[pyclass(module = "passfort", name = "Profile", frozen)]
pub struct PyProfile(pub Profile);

#[pymethods]
impl PyProfile {
    /// Jupyter's rich display: a compact table.
    fn _repr_html_(slf: &Bound<'_, Self>) -> PyResult<String> {
        repr_html(slf.as_any())
    }
    #[getter]
    fn id(&self) -> &str {
        &self.0.id
    }
    #[getter]
    fn role(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        py_enum(py, "Role", self.0.role.as_str())
    }
    #[getter]
    fn display_name(&self) -> Option<&str> {
        self.0.display_name.as_deref()
    }
    #[getter]
    fn customer_ref(&self) -> Option<&str> {
        self.0.customer_ref.as_deref()
    }
    #[getter]
    fn creation_date(&self) -> Option<DateTime<Utc>> {
        self.0.creation_date
    }
    #[getter]
    fn collected_data(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        json_to_py(py, &self.0.collected_data)
    }
    #[getter]
    fn checks(&self) -> Vec<PyCheck> {
        self.0.checks.iter().cloned().map(PyCheck::from).collect()
    }
    #[getter]
    fn tasks(&self) -> Vec<PyTask> {
        self.0.tasks.iter().cloned().map(PyTask).collect()
    }
    /// Equal when PassFort sent the same JSON.
    fn __eq__(&self, other: &Bound<'_, PyAny>) -> bool {
        other.cast::<PyProfile>().is_ok_and(|other| other.get().0.raw() == self.0.raw())
    }
    /// The API's JSON, unknown fields included.
    /// A profile from its dict, e.g. for unit tests of code that takes profiles.
    #[classmethod]
    fn from_dict(_class: &Bound<'_, PyType>, data: &Bound<'_, PyAny>) -> PyResult<Self> {
        resource_from_dict("profile", data).map(Self)
    }
    fn __reduce__(slf: &Bound<'_, Self>) -> PyResult<(Py<PyAny>, (Py<PyAny>,))> {
        reduce_by_dict(slf.get_type(), slf.get().to_dict(slf.py())?)
    }
    fn to_dict(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        json_to_py(py, &self.0.to_value())
    }
    /// One top-level field by name, known to this SDK or not.
    fn get(&self, py: Python<'_>, name: &str) -> PyResult<Py<PyAny>> {
        resource_field(py, &self.0, name)
    }
    fn __repr__(&self) -> String {
        format!(
            "Profile(id={}, role={}, tasks={}, checks={})",
            quote(&self.0.id),
            quote(self.0.role.as_str()),
            self.0.tasks.len(),
            self.0.checks.len()
        )
    }
}

#[pyclass(module = "passfort", name = "Variant", frozen)]
#[derive(Clone)]
pub struct PyVariant(pub Variant);

#[pymethods]
impl PyVariant {
    #[getter]
    fn id(&self) -> Option<&str> {
        self.0.id.as_deref()
    }
    #[getter]
    fn alias(&self) -> Option<&str> {
        self.0.alias.as_deref()
    }
    #[getter]
    fn name(&self) -> Option<&str> {
        self.0.name.as_deref()
    }
    #[getter]
    fn task_type(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        py_enum_opt(py, "TaskType", self.0.task_type.as_ref().map(|t| t.as_str()))
    }
    fn to_dict(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        json_to_py(py, &serde_json::to_value(&self.0).unwrap_or_default())
    }
    fn __eq__(&self, other: &Bound<'_, PyAny>) -> bool {
        other.cast::<PyVariant>().is_ok_and(|other| other.get().0 == self.0)
    }
    fn __repr__(&self) -> String {
        format!(
            "Variant(id={}, alias={}, name={})",
            repr_opt(self.0.id.as_deref()),
            repr_opt(self.0.alias.as_deref()),
            repr_opt(self.0.name.as_deref())
        )
    }
}

#[pyclass(module = "passfort", name = "ErrorDetail", frozen)]
#[derive(Clone)]
pub struct PyErrorDetail(pub ErrorDetail);

impl From<ErrorDetail> for PyErrorDetail {
    fn from(detail: ErrorDetail) -> Self {
        Self(detail)
    }
}

#[pymethods]
impl PyErrorDetail {
    #[getter]
    fn code(&self) -> Option<i64> {
        self.0.code
    }
    #[getter]
    fn code_name(&self) -> Option<&'static str> {
        self.0.code_name()
    }
    #[getter]
    fn message(&self) -> &str {
        &self.0.message
    }
    #[getter]
    fn source(&self) -> Option<&str> {
        self.0.source.as_ref().map(|s| s.as_str())
    }
    #[getter]
    fn info(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        json_to_py(py, self.0.info.as_ref().unwrap_or(&serde_json::Value::Null))
    }
    fn to_dict(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        json_to_py(py, &serde_json::to_value(&self.0).unwrap_or_default())
    }
    fn __eq__(&self, other: &Bound<'_, PyAny>) -> bool {
        other.cast::<PyErrorDetail>().is_ok_and(|other| other.get().0 == self.0)
    }
    fn __str__(&self) -> String {
        self.0.to_string()
    }
    fn __repr__(&self) -> String {
        format!(
            "ErrorDetail(code={}, message={}, source={})",
            self.0.code.map_or("None".into(), |c| c.to_string()),
            quote(&self.0.message),
            repr_opt(self.0.source.as_ref().map(|s| s.as_str()))
        )
    }
    /// Rebuilds an ErrorDetail from its dict, so that errors carrying it pickle.
    #[classmethod]
    fn from_dict(_class: &Bound<'_, PyType>, data: &Bound<'_, PyAny>) -> PyResult<Self> {
        let value = crate::convert::py_to_json("data", data)?;
        serde_json::from_value(value).map(Self).map_err(|e| pyo3::exceptions::PyValueError::new_err(e.to_string()))
    }
    fn __reduce__(&self, py: Python<'_>) -> PyResult<(Py<PyAny>, (Py<PyAny>,))> {
        let from_dict = py.get_type::<PyErrorDetail>().getattr("from_dict")?.unbind();
        Ok((from_dict, (self.to_dict(py)?,)))
    }
}

#[pyclass(module = "passfort", name = "VerifyOutcome", frozen)]
pub struct PyVerifyOutcome(pub VerifyOutcome);

#[pymethods]
impl PyVerifyOutcome {
    /// Jupyter's rich display: a compact table.
    fn _repr_html_(slf: &Bound<'_, Self>) -> PyResult<String> {
        repr_html(slf.as_any())
    }
    /// Every check run, in order.
    #[getter]
    fn checks(&self) -> Vec<PyCheck> {
        self.0.checks.iter().cloned().map(PyCheck::from).collect()
    }
    /// The completed task, or None when it was left for a person.
    #[getter]
    fn task(&self) -> Option<PyTask> {
        self.0.task.clone().map(PyTask)
    }
    /// `"passed"`, `"failed"` or `"needs_review"`.
    #[getter]
    fn stop(&self) -> &'static str {
        self.0.stop.as_str()
    }
    #[getter]
    fn needs_review(&self) -> bool {
        self.0.needs_review()
    }
    #[getter]
    fn reason(&self) -> String {
        self.0.reason()
    }
    fn __repr__(&self) -> String {
        format!(
            "VerifyOutcome(stop={}, checks={}, task_state={})",
            quote(self.stop()),
            self.0.checks.len(),
            repr_opt(self.0.task.as_ref().map(|t| t.state.as_str()))
        )
    }
}

/// What `decide_application` found or did.
#[pyclass(module = "passfort", name = "ApplicationDecision", frozen)]
pub struct PyApplicationDecision(pub ApplicationDecision);

#[pymethods]
impl PyApplicationDecision {
    /// `"approved"`, `"rejected"` or `"blocked"`.
    #[getter]
    fn outcome(&self) -> &'static str {
        self.0.outcome.as_str()
    }
    /// The application as last read or written.
    #[getter]
    fn application(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        crate::convert::json_to_py(py, &self.0.application)
    }
    /// Why it is not decided; empty once decided.
    #[getter]
    fn blockers(&self, py: Python<'_>) -> PyResult<Vec<Py<PyAny>>> {
        self.0.blockers.iter().map(|blocker| crate::convert::json_to_py(py, blocker)).collect()
    }
    /// True when this call wrote the status.
    #[getter]
    fn written(&self) -> bool {
        self.0.written
    }
    fn __repr__(&self) -> String {
        format!(
            "ApplicationDecision(outcome={}, status={}, blockers={}, written={})",
            quote(self.outcome()),
            repr_opt(self.0.application.get("status").and_then(serde_json::Value::as_str)),
            self.0.blockers.len(),
            if self.0.written { "True" } else { "False" }
        )
    }
}

#[pyclass(module = "passfort", name = "WebhookEvent", frozen, subclass)]
pub struct PyWebhookEvent(pub WebhookEvent);

#[pymethods]
impl PyWebhookEvent {
    #[getter]
    fn id(&self) -> &str {
        &self.0.id
    }
    /// The event name as sent, e.g. `"CHECK_COMPLETED"`.
    #[getter]
    fn event(&self) -> &str {
        &self.0.event
    }
    #[getter]
    fn timestamp(&self) -> Option<i64> {
        self.0.timestamp
    }
    #[getter]
    fn data(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        json_to_py(py, &self.0.data)
    }
    #[getter]
    fn profile_id(&self) -> Option<&str> {
        self.0.fields().profile_id
    }
    #[getter]
    fn check_id(&self) -> Option<&str> {
        self.0.fields().check_id
    }
    #[getter]
    fn task_id(&self) -> Option<&str> {
        self.0.fields().task_id
    }
    #[getter]
    fn check_type(&self) -> Option<&str> {
        self.0.fields().check_type
    }
    #[getter]
    fn result(&self) -> Option<&str> {
        self.0.fields().result
    }
    #[getter]
    fn decision(&self) -> Option<&str> {
        self.0.fields().decision
    }
    #[getter]
    fn task_type(&self) -> Option<&str> {
        self.0.fields().task_type
    }
    #[getter]
    fn task_state(&self) -> Option<&str> {
        self.0.fields().task_state
    }
    #[getter]
    fn customer_ref(&self) -> Option<&str> {
        self.0.fields().customer_ref
    }
    /// Ids and the event name only: the data holds names and references of the profile.
    fn __repr__(slf: &Bound<'_, Self>) -> PyResult<String> {
        let class = slf.get_type().name()?;
        let event = &slf.get().0;
        Ok(format!("{class}(id={}, event={})", quote(&event.id), quote(&event.event)))
    }
}

/// What `update_collected_data` wrote.
#[pyclass(module = "passfort", name = "UpdatedCollectedData", frozen)]
pub struct PyUpdatedData(pub UpdatedData);

#[pymethods]
impl PyUpdatedData {
    /// The collected data as PassFort answered the write.
    #[getter]
    fn data(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        crate::convert::json_to_py(py, &self.0.data)
    }
    /// Its ETag, for a later conditional write.
    #[getter]
    fn etag(&self) -> Option<&str> {
        self.0.etag.as_deref()
    }
    /// Writes sent: 1 unless another writer came between a read and a write.
    #[getter]
    fn attempts(&self) -> u32 {
        self.0.attempts
    }
    /// No data: it is personal.
    fn __repr__(&self) -> String {
        format!("UpdatedCollectedData(etag={}, attempts={})", repr_opt(self.0.etag.as_deref()), self.0.attempts)
    }
}

/// A check `recover` took over from a worker that stopped: its ledger entry
/// and how waiting for it went (`check` finished, or `error`).
#[pyclass(module = "passfort", name = "RecoveredCheck", frozen)]
pub struct PyRecoveredCheck {
    pub entry: passfort_core::LedgerEntry,
    pub check: Option<Py<PyCheck>>,
    pub error: Option<Py<PyAny>>,
}

#[pymethods]
impl PyRecoveredCheck {
    #[getter]
    fn profile_id(&self) -> &str {
        &self.entry.profile_id
    }
    #[getter]
    fn check_id(&self) -> &str {
        &self.entry.check_id
    }
    #[getter]
    fn check_type(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        py_enum(py, "CheckType", self.entry.check_type.as_str())
    }
    #[getter]
    fn task_ids(&self) -> Vec<String> {
        self.entry.task_ids.clone()
    }
    /// The tag given to `run_check_and_wait`, if any.
    #[getter]
    fn tag(&self) -> Option<&str> {
        self.entry.tag.as_deref()
    }
    /// The worker that started the check (or took it over last) and stopped.
    #[getter]
    fn previous_owner(&self) -> &str {
        &self.entry.previous_owner
    }
    /// The finished check, or `None` when waiting for it failed (see `error`).
    #[getter]
    fn check(&self, py: Python<'_>) -> Option<Py<PyCheck>> {
        self.check.as_ref().map(|check| check.clone_ref(py))
    }
    /// The exception the wait ended with (not raised), or `None`; the check
    /// stays in the ledger and is recovered again once this worker's lease expires.
    #[getter]
    fn error(&self, py: Python<'_>) -> Option<Py<PyAny>> {
        self.error.as_ref().map(|error| error.clone_ref(py))
    }
    fn __repr__(&self) -> String {
        let outcome = if self.check.is_some() { "finished" } else { "failed" };
        format!(
            "RecoveredCheck(check_id={}, tag={}, previous_owner={}, {outcome})",
            quote(&self.entry.check_id),
            repr_opt(self.entry.tag.as_deref()),
            quote(&self.entry.previous_owner)
        )
    }
}
