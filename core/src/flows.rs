//! Flows over the operation table: an application decision taken once, a
//! document check end to end (upload, add the document, run and wait), and a
//! safe update of collected data (read with its ETag, change, write with
//! If-Match, re-apply on 412).

use std::sync::Arc;

use serde_json::{json, Value};

use crate::args::{limits, Dialect};
use crate::call::{CallArgs, RequestOptions};
use crate::client::{validate_id, CheckMode, CheckRequest, Client};
use crate::error::{Error, Result};
use crate::patch::DataChange;
use crate::waiting::{FinishedCheck, WaitOptions};

/// How [`Client::decide_application`] ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum DecisionOutcome {
    /// Every task the application needs is COMPLETED_PASS: APPROVED.
    Approved,
    /// A task the application needs is COMPLETED_FAIL: REJECTED.
    Rejected,
    /// Neither: nothing was written; `blockers` says why.
    Blocked,
}

impl DecisionOutcome {
    /// `"approved"`, `"rejected"` or `"blocked"`: the name every binding uses.
    pub fn as_str(self) -> &'static str {
        match self {
            DecisionOutcome::Approved => "approved",
            DecisionOutcome::Rejected => "rejected",
            DecisionOutcome::Blocked => "blocked",
        }
    }
}

/// What [`Client::decide_application`] found or did.
#[derive(Clone, Debug)]
pub struct ApplicationDecision {
    pub outcome: DecisionOutcome,
    /// The application as last read or written.
    pub application: Value,
    /// Why it is not decided (the application's `approval_blockers`, and
    /// `MISSING_TASK` for a required task type the profile lacks); empty
    /// once decided.
    pub blockers: Vec<Value>,
    /// True when this call wrote the status; false when it found the
    /// decision already taken (by an earlier call or another worker).
    pub written: bool,
}

fn decided(status: &str) -> Option<DecisionOutcome> {
    match status {
        "APPROVED" => Some(DecisionOutcome::Approved),
        "REJECTED" => Some(DecisionOutcome::Rejected),
        _ => None,
    }
}

fn status_of(application: &Value) -> &str {
    application.get("status").and_then(Value::as_str).unwrap_or("")
}

fn path_args(pairs: &[(&str, &str)]) -> CallArgs {
    CallArgs { path: pairs.iter().map(|(n, v)| (n.to_string(), v.to_string())).collect(), ..CallArgs::default() }
}

/// A document image as the caller gave it, before anything is sent.
#[derive(Clone, Debug, Default)]
pub struct DocumentCheckArgs {
    /// The image's bytes (decoded).
    pub image: Vec<u8>,
    /// PassFort's `image_type`, e.g. `FRONT`.
    pub image_type: String,
    /// The document's `document_type`, e.g. `PASSPORT`.
    pub document_type: String,
    /// `document_category` of the image and document (default
    /// [`DEFAULT_DOCUMENT_CATEGORY`]).
    pub document_category: Option<String>,
    /// Task ids the check is attached to.
    pub task_ids: Option<Vec<String>>,
}

/// The category of a document check's document when none is given.
pub const DEFAULT_DOCUMENT_CATEGORY: &str = "PROOF_OF_IDENTITY";

/// The formats an uploaded image may have, by its first bytes.
pub fn image_format(bytes: &[u8]) -> Option<&'static str> {
    limits::IMAGE_FORMATS.iter().find(|(_, matches)| matches(bytes)).map(|(name, _)| *name)
}

impl DocumentCheckArgs {
    /// Every check on the input, before any request.
    pub fn validate(&self, dialect: Dialect) -> Result<&'static str> {
        let image = dialect.name("image", false);
        if self.image.is_empty() {
            return Err(Error::InvalidArgument(format!("{image} is empty")));
        }
        if self.image.len() > limits::MAX_IMAGE_BYTES {
            return Err(Error::InvalidArgument(format!(
                "{image} is {} bytes, over the limit of {} bytes (4 MiB)",
                self.image.len(),
                limits::MAX_IMAGE_BYTES
            )));
        }
        let format = image_format(&self.image).ok_or_else(|| {
            Error::InvalidArgument(format!(
                "{image} is not an image of a known format ({})",
                limits::IMAGE_FORMATS.iter().map(|(name, _)| *name).collect::<Vec<_>>().join(", ")
            ))
        })?;
        for (snake, value) in [("image_type", Some(&self.image_type)), ("document_type", Some(&self.document_type))]
            .into_iter()
            .chain([("document_category", self.document_category.as_ref())])
        {
            let Some(value) = value else { continue };
            let plain = !value.is_empty()
                && value.len() <= limits::MAX_ENUM_BYTES
                && value.bytes().all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'_');
            if !plain {
                return Err(Error::InvalidArgument(format!(
                    "{} {} is not a PassFort name (upper-case letters, digits and _)",
                    dialect.name(snake, false),
                    crate::args::shown_text(value)
                )));
            }
        }
        Ok(format)
    }
}

/// Standard base64, padded, without line breaks (the API's pattern for `data`).
fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let n = (u32::from(chunk[0]) << 16) | (u32::from(*chunk.get(1).unwrap_or(&0)) << 8) | u32::from(*chunk.get(2).unwrap_or(&0));
        out.push(ALPHABET[(n >> 18) as usize & 63] as char);
        out.push(ALPHABET[(n >> 12) as usize & 63] as char);
        out.push(if chunk.len() > 1 { ALPHABET[(n >> 6) as usize & 63] as char } else { '=' });
        out.push(if chunk.len() > 2 { ALPHABET[n as usize & 63] as char } else { '=' });
    }
    out
}

pub(crate) type Deciding = Arc<std::sync::Mutex<std::collections::HashMap<String, Arc<tokio::sync::Mutex<()>>>>>;

/// A decider's place in [`Client`]'s map of decisions under way; the map's
/// entry is removed when the last decider of that application leaves (also
/// when its future is dropped).
struct DecidingEntry {
    map: Deciding,
    key: String,
    lock: Arc<tokio::sync::Mutex<()>>,
}

impl DecidingEntry {
    fn join(map: &Deciding, key: String) -> Self {
        let lock = map.lock().unwrap_or_else(|p| p.into_inner()).entry(key.clone()).or_default().clone();
        Self { map: map.clone(), key, lock }
    }
}

impl Drop for DecidingEntry {
    fn drop(&mut self) {
        let mut map = self.map.lock().unwrap_or_else(|p| p.into_inner());
        // The map's reference and this one: no other decider holds or waits.
        if Arc::strong_count(&self.lock) <= 2 {
            map.remove(&self.key);
        }
    }
}

impl Client {
    /// Approves the application when every task it needs is COMPLETED_PASS,
    /// rejects it when one is COMPLETED_FAIL, and otherwise writes nothing
    /// and reports the blockers.
    ///
    /// Taken once: an application already APPROVED or REJECTED is answered
    /// as it is, without a write; the status write is sent once (never
    /// retried), and if it is refused because another worker decided
    /// meanwhile, or its answer is lost, the application is read again and
    /// what is there is answered.
    pub async fn decide_application(&self, profile_id: &str, application_id: &str) -> Result<ApplicationDecision> {
        validate_id("profile id", profile_id)?;
        validate_id("application id", application_id)?;
        // One decider per application on this client at a time.
        let entry = DecidingEntry::join(&self.deciding, format!("{profile_id}/{application_id}"));
        let _turn = entry.lock.lock().await;
        self.decide_application_now(profile_id, application_id).await
    }

    async fn decide_application_now(&self, profile_id: &str, application_id: &str) -> Result<ApplicationDecision> {
        let ids = [("profile_id", profile_id), ("application_id", application_id)];
        let options = RequestOptions::default();
        let application = self.call("get_application", path_args(&ids), &options).await?.body;
        if let Some(outcome) = decided(status_of(&application)) {
            return Ok(ApplicationDecision { outcome, application, blockers: Vec::new(), written: false });
        }
        let tasks = self.call("list_tasks", path_args(&ids[..1]), &options).await?.body;
        let tasks = tasks.as_array().cloned().unwrap_or_default();
        let required: Vec<&str> = application
            .get("required_tasks")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(|task| task.get("task_type").and_then(Value::as_str))
            .collect();
        let needed: Vec<&Value> =
            tasks.iter().filter(|task| task.get("type").and_then(Value::as_str).is_some_and(|kind| required.contains(&kind))).collect();
        let state = |task: &Value| task.get("state").and_then(Value::as_str).unwrap_or("").to_owned();
        let mut blockers: Vec<Value> = application.get("approval_blockers").and_then(Value::as_array).cloned().unwrap_or_default();
        for kind in &required {
            if !needed.iter().any(|task| task.get("type").and_then(Value::as_str) == Some(kind)) {
                blockers.push(json!({ "blocker_type": "MISSING_TASK", "task_type": kind }));
            }
        }
        if status_of(&application) == "CANCELLED" {
            blockers.push(json!({ "blocker_type": "APPLICATION_CANCELLED" }));
            return Ok(ApplicationDecision { outcome: DecisionOutcome::Blocked, application, blockers, written: false });
        }
        let target = if needed.iter().any(|task| state(task) == "COMPLETED_FAIL") {
            "REJECTED"
        } else if blockers.is_empty() && needed.iter().all(|task| state(task) == "COMPLETED_PASS") {
            "APPROVED"
        } else {
            return Ok(ApplicationDecision { outcome: DecisionOutcome::Blocked, application, blockers, written: false });
        };
        let write = CallArgs { body: Some(json!({ "status": target })), ..path_args(&ids) };
        // Sent once: a resend after a lost answer is what could write twice.
        let once = RequestOptions { max_retries: Some(0), ..RequestOptions::default() };
        match self.call("update_application", write, &once).await {
            Ok(answer) => {
                let outcome = decided(status_of(&answer.body)).unwrap_or(DecisionOutcome::Blocked);
                Ok(ApplicationDecision { outcome, application: answer.body, blockers: Vec::new(), written: true })
            }
            Err(error) if error.status() == Some(400) || error.may_have_reached_server() => {
                // Another worker decided (102/103/402), blockers appeared
                // meanwhile (105), or the answer was lost: read what is there.
                let application = self.call("get_application", path_args(&ids), &options).await?.body;
                if let Some(outcome) = decided(status_of(&application)) {
                    return Ok(ApplicationDecision { outcome, application, blockers: Vec::new(), written: false });
                }
                let blockers = application.get("approval_blockers").and_then(Value::as_array).cloned().unwrap_or_default();
                if blockers.is_empty() {
                    return Err(error);
                }
                Ok(ApplicationDecision { outcome: DecisionOutcome::Blocked, application, blockers, written: false })
            }
            Err(error) => Err(error),
        }
    }

    /// Uploads the image, adds a document referencing it to the collected
    /// data, runs DOCUMENT_VERIFICATION with that `document_id` and waits
    /// for it. The image is checked before any request (see
    /// [`DocumentCheckArgs::validate`]). A lost answer to the upload or the
    /// document add is [`Error::AmbiguousCreation`] naming what to look for;
    /// the check itself is reconciled as [`Client::run_check`] does.
    pub async fn run_document_check(
        &self,
        profile_id: &str,
        args: &DocumentCheckArgs,
        mode: CheckMode,
        wait: &WaitOptions,
    ) -> Result<FinishedCheck> {
        self.run_document_check_in(Dialect::RUST, profile_id, args, mode, wait).await
    }

    /// [`Client::run_document_check`] naming arguments as `dialect` spells them.
    pub async fn run_document_check_in(
        &self,
        dialect: Dialect,
        profile_id: &str,
        args: &DocumentCheckArgs,
        mode: CheckMode,
        wait: &WaitOptions,
    ) -> Result<FinishedCheck> {
        validate_id("profile id", profile_id)?;
        args.validate(dialect)?;
        wait.validate()?;
        // The check's task ids are checked before the upload, too.
        CheckRequest::new("DOCUMENT_VERIFICATION").task_ids(args.task_ids.clone().unwrap_or_default()).validate()?;
        let options = RequestOptions::default();
        let category = args.document_category.as_deref().unwrap_or(DEFAULT_DOCUMENT_CATEGORY);
        let image = json!({
            "data": base64(&args.image),
            "image_type": args.image_type,
            "document_type": args.document_type,
            "document_category": category,
        });
        let upload = CallArgs { body: Some(image), ..path_args(&[("profile_id", profile_id)]) };
        let uploaded = self.call("upload_document_image", upload, &options).await?.body;
        let image_id = uploaded.get("id").and_then(Value::as_str).ok_or_else(|| Error::Decode {
            method: "POST".into(),
            path: "/profiles/{profile_id}/document_images".into(),
            status: 200,
            message: "the uploaded image has no id".into(),
            body_bytes: 0,
            snippet: None,
        })?;
        let document = json!({ "category": category, "document_type": args.document_type, "images": [{ "id": image_id }] });
        let add = CallArgs { body: Some(document), ..path_args(&[("profile_id", profile_id)]) };
        let added = self.call("add_document", add, &options).await?.body;
        let document_id = added.get("id").and_then(Value::as_str).ok_or_else(|| Error::Decode {
            method: "POST".into(),
            path: "/profiles/{profile_id}/collected_data/documents".into(),
            status: 200,
            message: "the added document has no id".into(),
            body_bytes: 0,
            snippet: None,
        })?;
        let check = CheckRequest::new("DOCUMENT_VERIFICATION")
            .task_ids(args.task_ids.clone().unwrap_or_default())
            .field("document_id", json!(document_id));
        self.run_check_and_wait(profile_id, &check, mode, wait).await
    }
}

/// Writes of one collected-data update when none is given, and the most allowed.
pub const DEFAULT_UPDATE_ATTEMPTS: u32 = 5;
pub const MAX_UPDATE_ATTEMPTS: u32 = 50;

/// The collected data as [`Client::update_collected_data`] wrote it.
#[derive(Clone, Debug)]
pub struct UpdatedData {
    /// The data as PassFort answered the write.
    pub data: Value,
    /// Its `ETag`: a later conditional write can name it.
    pub etag: Option<String>,
    /// Writes sent: 1 unless another writer came between a read and a write.
    pub attempts: u32,
}

/// The attempts an update may make, as a binding received them (`None`: the default).
pub fn update_attempts(dialect: Dialect, attempts: Option<f64>) -> Result<u32> {
    let count = dialect.count("max_attempts", attempts, 1, u64::from(MAX_UPDATE_ATTEMPTS))?;
    Ok(count.map_or(DEFAULT_UPDATE_ATTEMPTS, |n| n as u32))
}

impl Client {
    /// Changes a profile's collected data without losing another writer's
    /// change: reads the data with its `ETag`, applies `change` (a JSON
    /// Merge Patch or a JSON Patch), writes it with `If-Match`, and when the
    /// write meets a 412 (someone wrote in between) applies `change` again
    /// to the data the 412 answered, up to `max_attempts` writes
    /// ([`DEFAULT_UPDATE_ATTEMPTS`] when `None`), then
    /// [`Error::UpdateConflict`]. A JSON Patch `test` that does not hold is
    /// [`Error::PatchFailed`]; nothing is written then.
    ///
    /// A write whose answer is lost is not resent blindly: the data is read
    /// again; if it is what was written, that is the result; if it is
    /// unchanged, the write is made again; if a third writer changed it, a
    /// change that is safe to apply twice is applied again, any other is
    /// [`Error::AmbiguousCreation`].
    pub async fn update_collected_data(&self, profile_id: &str, change: &DataChange, max_attempts: Option<u32>) -> Result<UpdatedData> {
        validate_id("profile id", profile_id)?;
        if let DataChange::Merge(patch) = change {
            crate::args::check_json("change", patch)?;
        }
        let idempotent = change.is_idempotent();
        self.update_collected_data_by(profile_id, max_attempts, idempotent, |data| {
            change.apply(data).map_err(|failure| Error::PatchFailed {
                profile_id: profile_id.to_owned(),
                index: failure.index,
                op: failure.op.to_owned(),
                path: failure.path,
                test_failed: failure.test_failed,
                reason: failure.reason,
            })
        })
        .await
    }

    /// [`Client::update_collected_data`] with the change as a closure, called
    /// with the data as read (again after each 412); an error it returns
    /// ends the update with nothing written. The closure may run more than
    /// once, so it must only compute. A lost write answer is handled as for
    /// a change that is not safe to apply twice.
    pub async fn update_collected_data_with<F>(&self, profile_id: &str, max_attempts: Option<u32>, mut change: F) -> Result<UpdatedData>
    where
        F: FnMut(&mut Value) -> Result<()>,
    {
        validate_id("profile id", profile_id)?;
        self.update_collected_data_by(profile_id, max_attempts, false, |data| {
            let mut changed = data.clone();
            change(&mut changed)?;
            Ok(changed)
        })
        .await
    }

    async fn update_collected_data_by(
        &self,
        profile_id: &str,
        max_attempts: Option<u32>,
        idempotent: bool,
        mut change: impl FnMut(&Value) -> Result<Value>,
    ) -> Result<UpdatedData> {
        let max_attempts = max_attempts.unwrap_or(DEFAULT_UPDATE_ATTEMPTS);
        if !(1..=MAX_UPDATE_ATTEMPTS).contains(&max_attempts) {
            return Err(Error::InvalidArgument(format!("max_attempts must be 1 to {MAX_UPDATE_ATTEMPTS}, not {max_attempts}")));
        }
        let ids = [("profile_id", profile_id)];
        let options = RequestOptions::default();
        let read = || async {
            let answer = self.call("get_collected_data", path_args(&ids), &options).await?;
            let etag = answer.meta.etag.clone().ok_or_else(|| Error::Decode {
                method: "GET".into(),
                path: "/profiles/{profile_id}/collected_data".into(),
                status: answer.status,
                message: "the collected data came without an ETag, so it cannot be updated safely".into(),
                body_bytes: 0,
                snippet: None,
            })?;
            Ok::<_, Error>((answer.body, etag))
        };
        let (mut base, mut etag) = read().await?;
        let mut attempts = 0;
        loop {
            let wanted = change(&base)?;
            crate::args::check_json("the changed collected data", &wanted)?;
            attempts += 1;
            let write = CallArgs { body: Some(wanted.clone()), if_match: Some(etag.clone()), ..path_args(&ids) };
            let error = match self.call("update_collected_data", write, &options).await {
                Ok(answer) => return Ok(UpdatedData { data: answer.body, etag: answer.meta.etag, attempts }),
                Err(error) => error,
            };
            let latest = error.api().filter(|api| api.status == 412).and_then(|api| api.latest.as_deref().cloned());
            let (now, now_etag) = match latest {
                Some(crate::error::LatestData { body, etag: Some(etag) }) => (body, etag),
                // A 412 without the data, or a write that may have landed: read again.
                _ if error.status() == Some(412) || error.may_have_reached_server() => read().await?,
                _ => return Err(error),
            };
            if now == wanted && error.status() != Some(412) {
                // The lost write landed.
                return Ok(UpdatedData { data: now, etag: Some(now_etag), attempts });
            }
            if error.status() != Some(412) && now != base && !idempotent {
                return Err(Error::AmbiguousCreation {
                    operation: "update_collected_data".into(),
                    profile_id: Some(profile_id.to_owned()),
                    look_for: "read the collected data and check whether the change is in it before applying it again".into(),
                    sent_at: chrono::Utc::now(),
                    message: error.to_string(),
                });
            }
            if attempts >= max_attempts {
                return Err(Error::UpdateConflict { profile_id: profile_id.to_owned(), attempts });
            }
            (base, etag) = (now, now_etag);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_is_standard_and_padded() {
        assert_eq!(base64(b""), "");
        assert_eq!(base64(b"f"), "Zg==");
        assert_eq!(base64(b"fo"), "Zm8=");
        assert_eq!(base64(b"foo"), "Zm9v");
        assert_eq!(base64(&[0xfb, 0xff]), "+/8=");
    }

    #[test]
    fn formats_by_magic_bytes() {
        assert_eq!(image_format(b"\xff\xd8\xff\xe0rest"), Some("JPEG"));
        assert_eq!(image_format(b"\x89PNG\r\n\x1a\nrest"), Some("PNG"));
        assert_eq!(image_format(b"GIF89a"), Some("GIF"));
        assert_eq!(image_format(b"II*\0"), Some("TIFF"));
        assert_eq!(image_format(b"RIFF\0\0\0\0WEBPVP8 "), Some("WEBP"));
        assert_eq!(image_format(b"%PDF-1.4"), Some("PDF"));
        assert_eq!(image_format(b"hello"), None);
    }
}
