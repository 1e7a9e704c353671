//! PassFort's error body: `{"errors": [{code, message, source, info}]}`.

use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::{json, Value};

pub const MISSING_REQUIRED_FIELDS: u16 = 101;
pub const ENTITY_ALREADY_APPROVED: u16 = 102;
pub const ENTITY_ALREADY_REJECTED: u16 = 103;
pub const CONSTRAINTS_NOT_SATISFIED: u16 = 105;
pub const INVALID_INPUT_DATA: u16 = 201;
pub const DATA_PRESENT: u16 = 202;
pub const MISSING_API_KEY: u16 = 203;
pub const INVALID_API_KEY: u16 = 204;
pub const UNKNOWN_INTERNAL_ERROR: u16 = 401;
pub const TRANSITION_ERROR: u16 = 402;

#[derive(Debug)]
pub struct ApiFailure {
    pub status: StatusCode,
    pub code: u16,
    pub message: String,
    pub info: Value,
    pub headers: HeaderMap,
}

impl ApiFailure {
    pub fn new(status: StatusCode, code: u16, message: impl Into<String>) -> Self {
        Self { status, code, message: message.into(), info: json!({}), headers: HeaderMap::new() }
    }

    pub fn invalid(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, INVALID_INPUT_DATA, message)
    }

    pub fn missing(field: &str) -> Self {
        Self::new(StatusCode::BAD_REQUEST, MISSING_REQUIRED_FIELDS, format!("Missing required field: {field}"))
            .with_info(json!({ "field": field }))
    }

    pub fn not_found(what: &str, id: &str) -> Self {
        Self::new(StatusCode::NOT_FOUND, INVALID_INPUT_DATA, format!("{what} {id} not found"))
    }

    pub fn with_info(mut self, info: Value) -> Self {
        self.info = info;
        self
    }
}

impl IntoResponse for ApiFailure {
    fn into_response(self) -> Response {
        let body = json!({ "errors": [{
            "code": self.code,
            "message": self.message,
            "source": "API",
            "info": self.info,
        }]});
        (self.status, self.headers, Json(body)).into_response()
    }
}

/// Parses a JSON request body, answering PassFort's 400 when it is not JSON.
pub fn parse_body(body: &[u8]) -> Result<Value, ApiFailure> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(json!({}));
    }
    let value: Value = serde_json::from_slice(body).map_err(|error| ApiFailure::invalid(format!("Malformed JSON body: {error}")))?;
    if value.is_object() {
        Ok(value)
    } else {
        Err(ApiFailure::invalid("The request body must be a JSON object"))
    }
}
