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
}

pub struct TaskRecord {
    pub id: String,
    pub task_type: String,
    pub state: &'static str,
    pub creation_date: DateTime<Utc>,
    pub check_ids: Vec<String>,
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
    /// Becomes true when the check completes; sync runs wait on it.
    pub done: watch::Sender<bool>,
}

impl ProfileRecord {
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
            "applications": [],
            "task_progress": {
                "completed_count": self.tasks.iter().filter(|t| t.state != "INCOMPLETE").count(),
                "total_count": self.tasks.len(),
            },
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

impl TaskRecord {
    pub fn new(task_type: &str, now: DateTime<Utc>) -> Self {
        Self {
            id: Uuid::new_v4().to_string(),
            task_type: task_type.to_owned(),
            state: "INCOMPLETE",
            creation_date: now,
            check_ids: Vec::new(),
        }
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
            "variant": {
                "id": variant_id(&self.task_type, "default"),
                "alias": "default",
                "name": catalog::variant_name(&self.task_type),
                "task_type": self.task_type,
            },
        })
    }
}

impl CheckRecord {
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
            check.insert("decision".into(), json!(catalog::decision_for(result)));
            check.insert("completed_on".into(), json!(wire_time(completed)));
            check.insert("output_data".into(), json!({ "entity_type": catalog::entity_type_for_role(role) }));
        }
        Value::Object(check)
    }
}
