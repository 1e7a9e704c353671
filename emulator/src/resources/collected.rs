//! Collected data (with its ETag), documents, document images and files.

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use chrono::Utc;
use serde_json::{json, Value};
use uuid::Uuid;

use super::{emit, field_invalid, optional_string, with_profile_mut};
use crate::api_error::{parse_body, ApiFailure, DATA_PRESENT};
use crate::catalog;
use crate::state::AppState;
use crate::store::{wire_time, ProfileRecord};
use crate::validate;

type ApiResult = Result<Response, ApiFailure>;

/// Collected data as sent on `POST /profiles` (under `at`) or
/// `POST .../collected_data`: an object of the profile's entity type, valid
/// against the schema's `IndividualData` or `CompanyData`. Without
/// `entity_type`, the profile's is filled in [A], as clients often leave it out.
pub fn checked_collected_data(data: Option<&Value>, entity_type: &str, at: &str) -> Result<Value, ApiFailure> {
    let mut data = match data {
        None | Some(Value::Null) => json!({}),
        Some(data @ Value::Object(_)) => data.clone(),
        Some(_) => return Err(field_invalid(if at.is_empty() { "collected_data" } else { at }, "collected_data must be an object")),
    };
    let field = |name: &str| if at.is_empty() { name.to_owned() } else { format!("{at}.{name}") };
    match data.get("entity_type") {
        None | Some(Value::Null) => data["entity_type"] = json!(entity_type),
        Some(given) if given == entity_type => {}
        Some(given) => {
            return Err(field_invalid(&field("entity_type"), format!("entity_type {given} does not fit a {entity_type} profile")));
        }
    }
    let schema = if entity_type == "COMPANY" { "CompanyData" } else { "IndividualData" };
    validate::check(schema, &data, at)?;
    Ok(data)
}

/// A strong ETag: a hash (64-bit FNV-1a) of the data as serialised.
pub fn etag(data: &Value) -> String {
    let bytes = serde_json::to_vec(data).expect("JSON values serialise");
    let hash = bytes.iter().fold(0xcbf2_9ce4_8422_2325_u64, |hash, byte| (hash ^ u64::from(*byte)).wrapping_mul(0x0100_0000_01b3));
    format!("\"{hash:016x}\"")
}

fn with_etag(status: StatusCode, data: Value) -> Response {
    let mut response = (status, Json(&data)).into_response();
    if let Ok(value) = HeaderValue::from_str(&etag(&data)) {
        response.headers_mut().insert("etag", value);
    }
    response
}

/// Whether an `If-Match` header names the current ETag (or is `*`); weak tags compare by their opaque part.
fn if_match_holds(header: &str, current: &str) -> bool {
    header
        .split(',')
        .map(|tag| tag.trim().trim_start_matches("W/"))
        .any(|tag| tag == "*" || tag == current || tag.trim_matches('"') == current.trim_matches('"'))
}

/// Answers the collected data; then makes the change an admin call queued
/// for right after this read, if any, so the reader's next write meets a 412.
pub async fn get_data(State(state): State<AppState>, Path(profile_id): Path<String>) -> ApiResult {
    with_profile_mut(&state, &profile_id, |profile| {
        let answer = with_etag(StatusCode::OK, profile.collected_data.clone());
        if let Some(change) = crate::state::lock(&state.after_next_read).remove(&profile_id) {
            merge(&mut profile.collected_data, &change);
            profile.audit("replace-collected-data", "Another writer changed the collected data", json!({}));
        }
        Ok(answer)
    })
}

/// RFC 7386's JSON Merge Patch.
pub fn merge(target: &mut Value, patch: &Value) {
    let Value::Object(patch) = patch else {
        *target = patch.clone();
        return;
    };
    if !target.is_object() {
        *target = json!({});
    }
    let map = target.as_object_mut().expect("made an object above");
    for (name, value) in patch {
        if value.is_null() {
            map.remove(name);
        } else {
            merge(map.entry(name.clone()).or_insert(Value::Null), value);
        }
    }
}

/// Replaces the collected data (no merge). With an `If-Match` that no longer
/// holds: 412 with the latest data and its ETag, changing nothing.
pub async fn replace_data(State(state): State<AppState>, Path(profile_id): Path<String>, headers: HeaderMap, body: Bytes) -> ApiResult {
    let rate_headers = state.rate_limits.check(crate::ratelimit::LimitedEndpoint::CollectedData)?;
    let if_match = headers.get("if-match").map(|v| v.to_str().map(str::to_owned).unwrap_or_default());
    let body = parse_body(&body)?;
    let (data, customer_ref) = with_profile_mut(&state, &profile_id, |profile| {
        if let Some(if_match) = &if_match {
            if !if_match_holds(if_match, &etag(&profile.collected_data)) {
                return Ok((Err(with_etag(StatusCode::PRECONDITION_FAILED, profile.collected_data.clone())), None));
            }
        }
        let data = checked_collected_data(Some(&body), profile.entity_type(), "")?;
        profile.collected_data = data.clone();
        profile.audit("replace-collected-data", "Replaced the collected data", json!({}));
        Ok((Ok(data), profile.customer_ref.clone()))
    })?;
    match data {
        Err(precondition_failed) => Ok((rate_headers, precondition_failed).into_response()),
        Ok(data) => {
            emit(&state, "COLLECTED_DATA_CHANGED", &profile_id, &customer_ref, json!({}));
            Ok((rate_headers, with_etag(StatusCode::OK, data)).into_response())
        }
    }
}

/// Adds a `Document` to `collected_data.documents`. Its `images` name images
/// uploaded to the profile by `id` [A]; it gets an id if it has none.
pub async fn add_document(State(state): State<AppState>, Path(profile_id): Path<String>, body: Bytes) -> ApiResult {
    let mut document = parse_body(&body)?;
    validate::check("Document", &document, "")?;
    let (document, customer_ref) = with_profile_mut(&state, &profile_id, |profile| {
        let mut images = Vec::new();
        for (index, image) in document["images"].as_array().into_iter().flatten().enumerate() {
            let field = format!("images[{index}].id");
            let Some(id) = image.get("id").and_then(Value::as_str) else {
                return Err(ApiFailure::missing(&field));
            };
            let stored = profile.document_images.iter().find(|stored| stored["id"] == id);
            images.push(stored.cloned().ok_or_else(|| field_invalid(&field, format!("No document image {id} on this profile")))?);
        }
        document["images"] = json!(images);
        let existing = profile.collected_data.get("documents").and_then(Value::as_array).cloned().unwrap_or_default();
        match document.get("id") {
            Some(id) if existing.iter().any(|d| &d["id"] == id) => {
                return Err(ApiFailure::new(StatusCode::BAD_REQUEST, DATA_PRESENT, format!("Document {id} is already present"))
                    .with_info(json!({ "field": "id" })))
            }
            Some(_) => {}
            None => document["id"] = json!(Uuid::new_v4().to_string()),
        }
        let mut documents = existing;
        documents.push(document.clone());
        profile.collected_data["documents"] = json!(documents);
        profile.audit("submitted-data", "Added a document to the collected data", json!({ "document_id": document["id"] }));
        Ok((document, profile.customer_ref.clone()))
    })?;
    emit(&state, "COLLECTED_DATA_CHANGED", &profile_id, &customer_ref, json!({}));
    Ok(Json(document).into_response())
}

/// The bytes of an upload's `data`: base64 (checked against the schema
/// already), or the id of a file uploaded to the profile. Answers the
/// decoded size and the image format, if it is one.
fn upload_content(profile: &ProfileRecord, data: &str) -> Result<(usize, Option<&'static str>), ApiFailure> {
    if validate::is_uuid(data, false) && !validate::is_base64(data) {
        let file = profile
            .files
            .iter()
            .find(|file| file["id"] == data)
            .ok_or_else(|| field_invalid("data", format!("No file {data} on this profile")))?;
        let size = file["size"].as_u64().unwrap_or(0) as usize;
        return Ok((size, file["format"].as_str().and_then(known_format)));
    }
    let padding = data.bytes().rev().take_while(|b| *b == b'=').count();
    let size = data.len() / 4 * 3 - padding;
    if size == 0 {
        return Err(field_invalid("data", "data is empty"));
    }
    if size > catalog::MAX_UPLOAD_BYTES {
        return Err(ApiFailure::invalid(format!("data is {size} bytes; the most an upload may have is {}", catalog::MAX_UPLOAD_BYTES))
            .with_info(json!({ "field": "data", "max_bytes": catalog::MAX_UPLOAD_BYTES })));
    }
    // The format is in the first few bytes; 16 base64 characters are 12 bytes.
    let head = validate::decode_base64(&data[..data.len().min(16)]);
    Ok((size, catalog::image_format(&head)))
}

fn known_format(name: &str) -> Option<&'static str> {
    ["JPEG", "PNG", "GIF", "PDF", "TIFF", "WEBP"].into_iter().find(|known| *known == name)
}

/// Uploads a document image: base64 `data` (required), of a known image
/// format and at most `catalog::MAX_UPLOAD_BYTES`. The bytes are not kept;
/// the answer and every later read give metadata only.
pub async fn upload_image(State(state): State<AppState>, Path(profile_id): Path<String>, body: Bytes) -> ApiResult {
    let body = parse_body(&body)?;
    validate::check("DocumentImageResource", &body, "")?;
    let data = match body.get("data") {
        None | Some(Value::Null) => return Err(ApiFailure::missing("data")),
        Some(data) => data.as_str().unwrap_or_default().to_owned(),
    };
    let image = with_profile_mut(&state, &profile_id, |profile| {
        let (_, format) = upload_content(profile, &data)?;
        if format.is_none() {
            return Err(field_invalid("data", "data is not an image of a known type (JPEG, PNG, GIF, TIFF, WEBP or PDF)"));
        }
        let mut image = json!({ "id": Uuid::new_v4().to_string(), "upload_date": wire_time(Utc::now()) });
        for field in ["image_type", "document_type", "document_category"] {
            if let Some(value) = body.get(field).filter(|v| !v.is_null()) {
                image[field] = value.clone();
            }
        }
        profile.document_images.push(image.clone());
        profile.audit("uploaded-a-document", "Uploaded a document image", json!({ "document_image_id": image["id"] }));
        Ok(image)
    })?;
    Ok(Json(image).into_response())
}

pub async fn list_images(State(state): State<AppState>, Path(profile_id): Path<String>) -> ApiResult {
    with_profile_mut(&state, &profile_id, |profile| Ok(Json(&profile.document_images).into_response()))
}

pub async fn get_image(State(state): State<AppState>, Path((profile_id, image_id)): Path<(String, String)>) -> ApiResult {
    with_profile_mut(&state, &profile_id, |profile| {
        let image = profile.document_images.iter().find(|image| image["id"] == image_id.as_str());
        Ok(Json(image.ok_or_else(|| ApiFailure::not_found("Document image", &image_id))?).into_response())
    })
}

/// Uploads a file: base64 `data` (required) of any type, at most
/// `catalog::MAX_UPLOAD_BYTES`, and an optional `name` [A].
pub async fn upload_file(State(state): State<AppState>, Path(profile_id): Path<String>, body: Bytes) -> ApiResult {
    let body = parse_body(&body)?;
    validate::check("CreateFileResource", &body, "")?;
    let name = optional_string(&body, "name")?;
    let data = body["data"].as_str().unwrap_or_default().to_owned();
    let file = with_profile_mut(&state, &profile_id, |profile| {
        let (size, format) = upload_content(profile, &data)?;
        let id = Uuid::new_v4().to_string();
        let name = name.unwrap_or_else(|| format!("file-{id}"));
        profile.files.push(json!({ "id": id, "name": name, "size": size, "format": format }));
        profile.audit("added-a-file", format!("Added the file {name}"), json!({ "file_id": id }));
        Ok(json!({ "id": id, "name": name }))
    })?;
    Ok(Json(file).into_response())
}

pub async fn get_file(State(state): State<AppState>, Path((profile_id, file_id)): Path<(String, String)>) -> ApiResult {
    with_profile_mut(&state, &profile_id, |profile| {
        let file =
            profile.files.iter().find(|file| file["id"] == file_id.as_str()).ok_or_else(|| ApiFailure::not_found("File", &file_id))?;
        Ok(Json(json!({ "id": file["id"], "name": file["name"] })).into_response())
    })
}
