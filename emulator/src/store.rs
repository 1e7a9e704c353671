//! The emulator's in-memory data: profiles with their tasks and checks.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use serde_json::{json, Map, Value};
use tokio::sync::watch;
use uuid::Uuid;

use crate::catalog;

/// PassFort's timestamp format.
pub fn wire_time(time: DateTime<Utc>) -> String {
    time.format("%Y-%m-%d %H:%M:%S").to_string()
}

/// A stable id for a variant, so the same alias always names the same variant.
pub fn variant_id(kind: &str, alias: &str) -> String {
    Uuid::new_v5(&Uuid::NAMESPACE_URL, format!("passfort-emulator:{kind}:{alias}").as_bytes()).to_string()
}

#[derive(Default)]
pub struct Store {
    pub profiles: HashMap<String, ProfileRecord>,
    /// Profile ids in creation order, for paginated listing.
    pub order: Vec<String>,
    /// Scripted results by (profile id, check type).
    pub scripts: HashMap<(String, String), Script>,
    /// The product catalogue; `None` is the built-in one (`catalog::default_products`).
    pub products: Option<Vec<catalog::Product>>,
}

impl Store {
    pub fn products(&self) -> Vec<catalog::Product> {
        self.products.clone().unwrap_or_else(catalog::default_products)
    }
}

pub struct Script {
    pub results: Vec<String>,
    pub next: usize,
    pub latency_ms: Option<u64>,
}

impl Script {
    /// The next scripted result; after the last, the last repeats.
    pub fn take(&mut self) -> String {
        let index = self.next.min(self.results.len() - 1);
        self.next += 1;
        self.results[index].clone()
    }
}

pub struct ProfileRecord {
    pub id: String,
    pub role: String,
    pub collected_data: Value,
    pub customer_ref: Option<String>,
    pub creation_date: DateTime<Utc>,
    pub tasks: Vec<TaskRecord>,
    pub checks: Vec<CheckRecord>,
    /// NORMAL, SUSPENDED or BANNED.
    pub status: String,
    pub tags: Vec<TagRecord>,
    pub events: Vec<EventRecord>,
    pub applications: Vec<ApplicationRecord>,
    /// Metadata only: the emulator keeps no image bytes (PassFort stores them encrypted and never answers them).
    pub document_images: Vec<Value>,
    /// `{id, name}` of uploaded files, and their `size` (not answered).
    pub files: Vec<Value>,
    pub collection_steps: Vec<Value>,
    pub audit: Vec<Value>,
}

pub struct TagRecord {
    pub id: String,
    pub name: String,
}

#[derive(Clone)]
pub struct EventRecord {
    pub id: String,
    pub creation_date: DateTime<Utc>,
    pub resolution: String,
    pub resolution_reason: Option<String>,
    pub resolution_date: Option<DateTime<Utc>>,
    pub resolution_task_ids: Vec<String>,
    pub data: Value,
    /// The screening check that raised it, if any (answered as `check_id` [A]).
    pub check_id: Option<String>,
}

pub struct ApplicationRecord {
    pub id: String,
    pub product: catalog::Product,
    pub status: String,
    /// `ProductApplicationStatusChange`s, oldest first.
    pub history: Vec<Value>,
}

pub struct TaskRecord {
    pub id: String,
    pub task_type: String,
    pub state: &'static str,
    pub creation_date: DateTime<Utc>,
    pub check_ids: Vec<String>,
    /// `NoteResource`s, oldest first.
    pub notes: Vec<Value>,
}

pub struct CheckRecord {
    pub id: String,
    pub check_type: String,
    pub state: &'static str,
    pub result: Option<String>,
    pub variant: Value,
    pub task_ids: Vec<String>,
    pub errors: Vec<Value>,
    pub extras: Map<String, Value>,
    pub input_data: Value,
    pub instructed_on: DateTime<Utc>,
    pub started_on: Option<DateTime<Utc>>,
    pub completed_on: Option<DateTime<Utc>>,
    /// A manual decision's decision, instead of the result's default mapping.
    pub decision_override: Option<&'static str>,
    /// Becomes true when the check completes; sync runs wait on it.
    pub done: watch::Sender<bool>,
}

impl ProfileRecord {
    pub fn new(role: String, collected_data: Value, customer_ref: Option<String>, task_types: &[&str], now: DateTime<Utc>) -> Self {
        Self {
            id: Uuid::new_v4().to_string(),
            role,
            collected_data,
            customer_ref,
            creation_date: now,
            tasks: task_types.iter().map(|kind| TaskRecord::new(kind, now)).collect(),
            checks: Vec::new(),
            status: "NORMAL".into(),
            tags: Vec::new(),
            events: Vec::new(),
            applications: Vec::new(),
            document_images: Vec::new(),
            files: Vec::new(),
            collection_steps: Vec::new(),
            audit: Vec::new(),
        }
    }

    pub fn entity_type(&self) -> &'static str {
        catalog::entity_type_for_role(&self.role)
    }

    /// Leaves an audit item (`AuditItem`) for a change made with the API key.
    pub fn audit(&mut self, action: &str, message: impl Into<String>, ref_data: Value) {
        self.audit.push(json!({
            "id": Uuid::new_v4().to_string(),
            "profileID": self.id,
            "action": action,
            "user": api_user(),
            "apikey": { "name": catalog::API_KEY_NAME },
            "timestamp": Utc::now().timestamp(),
            "message": message.into(),
            "ref_data": ref_data,
            "filename": null,
            "filehash": null,
            "signature": null,
        }));
    }

    pub fn task_mut(&mut self, task_id: &str) -> Option<&mut TaskRecord> {
        self.tasks.iter_mut().find(|task| task.id == task_id)
    }

    pub fn event(&self, event_id: &str) -> Option<&EventRecord> {
        self.events.iter().find(|event| event.id == event_id)
    }

    pub fn application(&self, application_id: &str) -> Option<&ApplicationRecord> {
        self.applications.iter().find(|application| application.id == application_id)
    }

    /// What stands between an application and its approval: each required
    /// task not completed as passed, each unresolved event, a suspended or
    /// banned profile.
    pub fn approval_blockers(&self, application: &ApplicationRecord) -> Vec<Value> {
        let mut blockers: Vec<Value> = self
            .tasks
            .iter()
            .filter(|task| application.product.required_tasks.contains(&task.task_type) && task.state != "COMPLETED_PASS")
            .map(|task| {
                json!({
                    "blocker_type": "INCOMPLETE_TASK",
                    "task_type": task.task_type,
                    "task_variant": task.variant_json(),
                    // Which task, and whether it is undone or failed [A: additive].
                    "task_id": task.id,
                    "task_state": task.state,
                })
            })
            .collect();
        blockers.extend(
            self.events
                .iter()
                .filter(|event| event.resolution == "UNRESOLVED")
                .map(|event| json!({ "blocker_type": "UNRESOLVED_EVENT", "event_id": event.id })),
        );
        if self.status != "NORMAL" {
            blockers.push(json!({ "blocker_type": "SUSPENDED_PROFILE" }));
        }
        blockers
    }

    pub fn application_json(&self, application: &ApplicationRecord) -> Value {
        let blockers = self.approval_blockers(application);
        // The flag is derived from the state, not kept [A].
        let flag = if matches!(application.status.as_str(), "APPROVED" | "REJECTED" | "CANCELLED") {
            "DECIDED"
        } else if self.checks.iter().any(|check| check.state != "COMPLETE") {
            "WAITING_ON_CHECKS"
        } else if blockers.is_empty() {
            "READY_FOR_DECISION"
        } else {
            "REQUIRES_MANUAL_TASK_COMPLETION"
        };
        let product = &application.product;
        json!({
            "id": application.id,
            "product": {
                "id": product.id(),
                "name": product.name,
                "alias": product.alias,
                "automatically_apply": false,
                "automatically_approve": false,
                "is_deleted": false,
            },
            "status": application.status,
            "flag": flag,
            "required_tasks": product.required_tasks.iter().map(|kind| task_variant_json(kind)).collect::<Vec<_>>(),
            "history": application.history,
            "flag_history": [],
            "approval_blockers": blockers,
            "hidden": false,
        })
    }
    /// The name the test-data rules read: an individual's family name, a company's name.
    pub fn trigger_name(&self) -> Option<&str> {
        let data = &self.collected_data;
        data.pointer("/personal_details/name/family_name").or_else(|| data.pointer("/metadata/name")).and_then(Value::as_str)
    }

    pub fn display_name(&self) -> Option<String> {
        let data = &self.collected_data;
        if let Some(name) = data.pointer("/personal_details/name") {
            let mut parts: Vec<&str> = name
                .get("given_names")
                .and_then(Value::as_array)
                .map(|names| names.iter().filter_map(Value::as_str).collect())
                .unwrap_or_default();
            if let Some(family) = name.get("family_name").and_then(Value::as_str) {
                parts.push(family);
            }
            if !parts.is_empty() {
                return Some(parts.join(" "));
            }
        }
        data.pointer("/metadata/name").and_then(Value::as_str).map(str::to_owned)
    }

    pub fn task(&self, task_id: &str) -> Option<&TaskRecord> {
        self.tasks.iter().find(|task| task.id == task_id)
    }

    pub fn check(&self, check_id: &str) -> Option<&CheckRecord> {
        self.checks.iter().find(|check| check.id == check_id)
    }

    pub fn to_json(&self) -> Value {
        let mut profile = json!({
            "id": self.id,
            "role": self.role,
            "creation_date": wire_time(self.creation_date),
            "collected_data": self.collected_data,
            "checks": self.checks.iter().map(|c| c.to_json(&self.role)).collect::<Vec<_>>(),
            "tasks": self.tasks.iter().map(TaskRecord::to_json).collect::<Vec<_>>(),
            "task_types": self.tasks.iter().map(|t| t.task_type.clone()).collect::<Vec<_>>(),
            "applications": self.applications.iter().map(|a| self.application_json(a)).collect::<Vec<_>>(),
            "task_progress": {
                "completed_count": self.tasks.iter().filter(|t| t.state != "INCOMPLETE").count(),
                "total_count": self.tasks.len(),
            },
            "status": self.status,
            "tags": self.tags.iter().map(TagRecord::to_json).collect::<Vec<_>>(),
            "events": self.events.iter().map(EventRecord::to_json).collect::<Vec<_>>(),
            "unresolved_event_types": self.unresolved_event_types(),
            "document_images": self.document_images,
            "collection_steps": self.collection_steps,
            "has_collection_steps": !self.collection_steps.is_empty(),
        });
        if let Some(name) = self.display_name() {
            profile["display_name"] = json!(name);
        }
        if let Some(reference) = &self.customer_ref {
            profile["customer_ref"] = json!(reference);
        }
        profile
    }
}

impl ProfileRecord {
    fn unresolved_event_types(&self) -> Vec<Value> {
        let mut types: Vec<Value> = Vec::new();
        for event in self.events.iter().filter(|event| event.resolution == "UNRESOLVED") {
            if !types.contains(&event.data["event_type"]) {
                types.push(event.data["event_type"].clone());
            }
        }
        types
    }
}

/// The user the API key acts as (`GET /whoami`).
pub fn api_user() -> Value {
    json!({ "id": variant_id("user", "emulator"), "name": "Emulator User", "email": "user@emulator.invalid" })
}

pub fn task_variant_json(task_type: &str) -> Value {
    json!({
        "id": variant_id(task_type, "default"),
        "alias": "default",
        "name": catalog::variant_name(task_type),
        "task_type": task_type,
    })
}

impl TagRecord {
    pub fn new(name: &str) -> Self {
        Self { id: variant_id("tag", name), name: name.to_owned() }
    }

    pub fn to_json(&self) -> Value {
        json!({ "id": self.id, "name": self.name, "is_automatic": false })
    }
}

impl EventRecord {
    pub fn new(data: Value, check_id: Option<String>) -> Self {
        Self {
            id: Uuid::new_v4().to_string(),
            creation_date: Utc::now(),
            resolution: "UNRESOLVED".into(),
            resolution_reason: None,
            resolution_date: None,
            resolution_task_ids: Vec::new(),
            data,
            check_id,
        }
    }

    pub fn to_json(&self) -> Value {
        let mut event = json!({
            "id": self.id,
            "creation_date": wire_time(self.creation_date),
            "resolution": self.resolution,
            "resolution_task_ids": self.resolution_task_ids,
            "data": self.data,
        });
        if let Some(reason) = &self.resolution_reason {
            event["resolution_reason"] = json!(reason);
        }
        if let Some(date) = self.resolution_date {
            event["resolution_date"] = json!(wire_time(date));
        }
        if let Some(check_id) = &self.check_id {
            event["check_id"] = json!(check_id);
        }
        event
    }

    /// What webhooks say of an event.
    pub fn summary(&self) -> Value {
        json!({ "id": self.id, "event_type": self.data["event_type"], "resolution": self.resolution })
    }
}

impl TaskRecord {
    pub fn new(task_type: &str, now: DateTime<Utc>) -> Self {
        Self {
            id: Uuid::new_v4().to_string(),
            task_type: task_type.to_owned(),
            state: "INCOMPLETE",
            creation_date: now,
            check_ids: Vec::new(),
            notes: Vec::new(),
        }
    }

    pub fn variant_json(&self) -> Value {
        task_variant_json(&self.task_type)
    }

    pub fn to_json(&self) -> Value {
        json!({
            "id": self.id,
            "type": self.task_type,
            "state": self.state,
            "is_complete": self.state != "INCOMPLETE",
            "is_expired": false,
            "is_skipped": false,
            "creation_date": wire_time(self.creation_date),
            "check_ids": self.check_ids,
            "form_instance_ids": [],
            "variant": self.variant_json(),
        })
    }
}

impl CheckRecord {
    pub fn decision(&self) -> Option<&'static str> {
        self.result.as_deref().map(|result| self.decision_override.unwrap_or_else(|| catalog::decision_for(result)))
    }

    /// What webhooks say of a check.
    pub fn summary(&self) -> Value {
        json!({ "id": self.id, "check_type": self.check_type, "result": self.result, "decision": self.decision() })
    }

    pub fn to_json(&self, role: &str) -> Value {
        let mut check = self.extras.clone();
        check.insert("id".into(), json!(self.id));
        check.insert("check_type".into(), json!(self.check_type));
        check.insert("state".into(), json!(self.state));
        check.insert("variant".into(), self.variant.clone());
        check.insert("task_ids".into(), json!(self.task_ids));
        check.insert("errors".into(), json!(self.errors));
        check.insert("providers".into(), json!([{ "provider_name": "Emulator", "is_monitored": false }]));
        check.insert("input_data".into(), self.input_data.clone());
        check.insert("instructed_on".into(), json!(wire_time(self.instructed_on)));
        check.insert("performed_on".into(), json!(wire_time(self.instructed_on)));
        if let Some(started) = self.started_on {
            check.insert("started_on".into(), json!(wire_time(started)));
        }
        if let (Some(result), Some(completed)) = (&self.result, self.completed_on) {
            check.insert("result".into(), json!(result));
            check.insert("decision".into(), json!(self.decision()));
            check.insert("completed_on".into(), json!(wire_time(completed)));
            check.insert("output_data".into(), json!({ "entity_type": catalog::entity_type_for_role(role) }));
        }
        Value::Object(check)
    }
}
