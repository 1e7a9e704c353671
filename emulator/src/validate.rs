//! Request bodies checked against PassFort's published schema
//! (`tests/fixtures/passfort-openapi-4.0-2019.json`), read once at start-up.
//!
//! A small walker over the subset of JSON Schema the file uses (`$ref`,
//! `type`, `nullable`, `enum`, `pattern`, `properties`, `required`,
//! `additionalProperties: false`, `x-patternProperties`, `items`, `allOf`,
//! `oneOf`/`anyOf` with or without a `discriminator`, `minimum`/`maximum`,
//! `maxLength`) rather than a general validator: it names the offending field
//! the way PassFort's error body does (101 for a missing field, 201 for an
//! invalid one), follows the OpenAPI discriminators, and adds no dependency
//! to the emulator. What it accepts, the schema accepts, so an answer that
//! echoes accepted data never violates the schema.

use std::sync::OnceLock;

use serde_json::{json, Map, Value};

use crate::api_error::{ApiFailure, INVALID_INPUT_DATA, MISSING_REQUIRED_FIELDS};

const SCHEMA_TEXT: &str = include_str!("../../tests/fixtures/passfort-openapi-4.0-2019.json");

/// `components.schemas` of the published description.
fn schemas() -> &'static Map<String, Value> {
    static SCHEMAS: OnceLock<Map<String, Value>> = OnceLock::new();
    SCHEMAS.get_or_init(|| {
        let document: Value = serde_json::from_str(SCHEMA_TEXT).expect("the schema fixture is JSON");
        match document.pointer("/components/schemas") {
            Some(Value::Object(schemas)) => schemas.clone(),
            _ => panic!("the schema fixture has no components.schemas"),
        }
    })
}

/// One thing wrong with a request body.
#[derive(Debug, Clone)]
pub struct Problem {
    pub code: u16,
    /// Dotted path from the body's root, with `[i]` for list items.
    pub field: String,
    pub message: String,
}

impl Problem {
    fn missing(field: String) -> Self {
        let message = format!("Missing required field: {field}");
        Self { code: MISSING_REQUIRED_FIELDS, field, message }
    }

    fn invalid(field: String, why: impl std::fmt::Display) -> Self {
        let message = if field.is_empty() { format!("Invalid input: {why}") } else { format!("Invalid {field}: {why}") };
        Self { code: INVALID_INPUT_DATA, field, message }
    }

    fn depth(&self) -> usize {
        if self.field.is_empty() {
            0
        } else {
            self.field.matches(['.', '[']).count() + 1
        }
    }
}

impl From<Problem> for ApiFailure {
    fn from(problem: Problem) -> Self {
        let base = if problem.code == MISSING_REQUIRED_FIELDS {
            ApiFailure::new(axum::http::StatusCode::BAD_REQUEST, MISSING_REQUIRED_FIELDS, problem.message)
        } else {
            ApiFailure::invalid(problem.message)
        };
        base.with_info(json!({ "field": problem.field }))
    }
}

/// Checks `value` against `components.schemas[name]`; `at` is the value's
/// path in the request body ("" for the body itself), used in `info.field`.
pub fn check(name: &str, value: &Value, at: &str) -> Result<(), ApiFailure> {
    let schema = schemas().get(name).unwrap_or_else(|| panic!("no schema {name} in the fixture"));
    walk(schema, value, at, &mut Vec::new()).map_err(ApiFailure::from)
}

/// The entity type a check type runs on, read from its resource's `input_data` in the schema.
pub fn entity_type_of_check(check_type: &str) -> Option<&'static str> {
    let mapping = schemas().get("CheckResource")?.pointer("/discriminator/mapping")?;
    let name = mapping.get(check_type)?.as_str()?.rsplit('/').next()?;
    let parts = schemas().get(name)?.get("allOf")?.as_array()?;
    let input = parts.iter().find_map(|part| part.pointer("/properties/input_data/$ref"))?.as_str()?;
    match input.rsplit('/').next()? {
        "IndividualData" => Some("INDIVIDUAL"),
        "CompanyData" => Some("COMPANY"),
        _ => None,
    }
}

fn child(at: &str, key: &str) -> String {
    if at.is_empty() {
        key.to_owned()
    } else {
        format!("{at}.{key}")
    }
}

fn resolve(reference: &str) -> Option<(&'static str, &'static Value)> {
    let name = reference.strip_prefix("#/components/schemas/")?;
    schemas().get_key_value(name).map(|(name, schema)| (name.as_str(), schema))
}

/// `active`: the `$ref`s being followed for this very value. The schema has
/// cycles through discriminators (`CollectionStepDOB` is `allOf` its parent
/// `CollectionStep`, whose `oneOf` names it again); a `$ref` already being
/// followed for the same value adds nothing, so it passes.
fn walk(schema: &Value, value: &Value, at: &str, active: &mut Vec<&'static str>) -> Result<(), Problem> {
    let Some(schema) = schema.as_object() else { return Ok(()) };
    if let Some(reference) = schema.get("$ref").and_then(Value::as_str) {
        // OpenAPI 3.0: siblings of $ref are ignored.
        let Some((name, target)) = resolve(reference) else { return Ok(()) };
        if active.contains(&name) {
            return Ok(());
        }
        active.push(name);
        let outcome = walk(target, value, at, active);
        active.pop();
        return outcome;
    }
    if value.is_null() && schema.get("nullable").and_then(Value::as_bool) == Some(true) {
        return Ok(());
    }
    if let Some(kind) = schema.get("type").and_then(Value::as_str) {
        let fits = match kind {
            "object" => value.is_object(),
            "array" => value.is_array(),
            "string" => value.is_string(),
            "boolean" => value.is_boolean(),
            "number" => value.is_number(),
            "integer" => value.is_i64() || value.is_u64() || value.as_f64().is_some_and(|n| n.fract() == 0.0),
            _ => true,
        };
        if !fits {
            let article = if kind.starts_with(['a', 'e', 'i', 'o', 'u']) { "an" } else { "a" };
            return Err(Problem::invalid(at.to_owned(), format!("must be {article} {kind}")));
        }
    }
    if let Some(allowed) = schema.get("enum").and_then(Value::as_array) {
        if !allowed.contains(value) {
            let why = if allowed.len() <= 30 {
                let names: Vec<String> = allowed.iter().map(|v| v.as_str().map_or_else(|| v.to_string(), str::to_owned)).collect();
                format!("{value} is not one of {}", names.join(", "))
            } else {
                format!("{value} is not a known value")
            };
            return Err(Problem::invalid(at.to_owned(), why));
        }
    }
    if let Some(text) = value.as_str() {
        if let Some(pattern) = schema.get("pattern").and_then(Value::as_str) {
            if let Some(describe) = pattern_mismatch(pattern, text) {
                return Err(Problem::invalid(at.to_owned(), describe));
            }
        }
        if let Some(max) = schema.get("maxLength").and_then(Value::as_u64) {
            if text.chars().count() as u64 > max {
                return Err(Problem::invalid(at.to_owned(), format!("longer than {max} characters")));
            }
        }
    }
    if let Some(number) = value.as_f64() {
        if let Some(min) = schema.get("minimum").and_then(Value::as_f64) {
            if number < min {
                return Err(Problem::invalid(at.to_owned(), format!("must be at least {min}")));
            }
        }
        if let Some(max) = schema.get("maximum").and_then(Value::as_f64) {
            if number > max {
                return Err(Problem::invalid(at.to_owned(), format!("must be at most {max}")));
            }
        }
    }
    if let Some(object) = value.as_object() {
        if let Some(required) = schema.get("required").and_then(Value::as_array) {
            if let Some(missing) = required.iter().filter_map(Value::as_str).find(|key| object.get(*key).map_or(true, Value::is_null)) {
                return Err(Problem::missing(child(at, missing)));
            }
        }
        let properties = schema.get("properties").and_then(Value::as_object);
        let patterned = schema.get("x-patternProperties").or_else(|| schema.get("patternProperties")).and_then(Value::as_object);
        for (key, item) in object {
            let path = child(at, key);
            if let Some(property) = properties.and_then(|p| p.get(key)) {
                walk(property, item, &path, &mut Vec::new())?;
            } else if let Some(property) = patterned.and_then(|p| p.iter().find(|(pattern, _)| pattern_mismatch(pattern, key).is_none())) {
                walk(property.1, item, &path, &mut Vec::new())?;
            } else if schema.get("additionalProperties") == Some(&Value::Bool(false)) {
                return Err(Problem::invalid(path, "is not a field PassFort knows here"));
            }
        }
    }
    if let (Some(items), Some(list)) = (schema.get("items"), value.as_array()) {
        for (index, item) in list.iter().enumerate() {
            walk(items, item, &format!("{at}[{index}]"), &mut Vec::new())?;
        }
    }
    if let Some(parts) = schema.get("allOf").and_then(Value::as_array) {
        for part in parts {
            walk(part, value, at, active)?;
        }
    }
    let (choices, exactly_one) = match (schema.get("oneOf"), schema.get("anyOf")) {
        (Some(Value::Array(choices)), _) => (choices, true),
        (_, Some(Value::Array(choices))) => (choices, false),
        _ => return Ok(()),
    };
    if let (Some(discriminator), Some(object)) = (schema.get("discriminator"), value.as_object()) {
        let property = discriminator.get("propertyName").and_then(Value::as_str).unwrap_or_default();
        let mapping = discriminator.get("mapping").and_then(Value::as_object);
        let Some(tag) = object.get(property).filter(|v| !v.is_null()) else {
            return Err(Problem::missing(child(at, property)));
        };
        let Some(target) = tag.as_str().and_then(|tag| mapping.and_then(|m| m.get(tag))) else {
            let known: Vec<&str> = mapping.map(|m| m.keys().map(String::as_str).collect()).unwrap_or_default();
            return Err(Problem::invalid(child(at, property), format!("{tag} is not one of {}", known.join(", "))));
        };
        return walk(&json!({ "$ref": target }), value, at, active);
    }
    let mut matched = 0;
    let mut closest: Option<Problem> = None;
    for choice in choices {
        match walk(choice, value, at, active) {
            Ok(()) => matched += 1,
            // The branch that got deepest into the value says best what is wrong with it.
            Err(problem) => {
                if closest.as_ref().map_or(true, |best| problem.depth() > best.depth()) {
                    closest = Some(problem);
                }
            }
        }
    }
    match (matched, exactly_one) {
        (0, _) => Err(closest.unwrap_or_else(|| Problem::invalid(at.to_owned(), "matches none of the allowed shapes"))),
        (1, _) | (_, false) => Ok(()),
        _ => Err(Problem::invalid(at.to_owned(), "matches more than one of the allowed shapes")),
    }
}

/// The schema's `pattern`s, as code: None when `text` matches, else what was
/// expected. The file has nine patterns, all simple; a pattern not known
/// here accepts anything (it would be a newer fixture's).
fn pattern_mismatch(pattern: &str, text: &str) -> Option<String> {
    let (fits, expected) = match pattern {
        r"^\d{4}-\d{2}$" => (shape(text, "dddd-dd"), "a YYYY-MM date"),
        r"(^\d{4}-\d{2}-\d{2}$)" => (shape(text, "dddd-dd-dd"), "a YYYY-MM-DD date"),
        r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$" => (shape(text, "dddd-dd-dd dd:dd:dd"), "a YYYY-MM-DD hh:mm:ss time"),
        r"^\d{4}(-\d{2}(-\d{2})?)?$" => {
            (shape(text, "dddd") || shape(text, "dddd-dd") || shape(text, "dddd-dd-dd"), "a YYYY, YYYY-MM or YYYY-MM-DD date")
        }
        r"^\d{8,8}$" => (shape(text, "dddddddd"), "eight digits"),
        r"^\d{6,6}$|^\d{2,2}\-\d{2,2}\-\d{2,2}$" => (shape(text, "dddddd") || shape(text, "dd-dd-dd"), "six digits or dd-dd-dd"),
        r"^[a-fA-F0-9]{8}-[a-fA-F0-9]{4}-[a-fA-F0-9]{4}-[a-fA-F0-9]{4}-[a-fA-F0-9]{12}$" => (is_uuid(text, true), "a UUID"),
        r"^(([a-zA-Z0-9+/]{4})*([a-zA-Z0-9+/]{3}=|[a-zA-Z0-9+/]{2}==)?|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$" => {
            (is_base64(text) || is_uuid(text, false), "base64 (the standard alphabet, padded, no line breaks) or a file's UUID")
        }
        r"^[A-Z]{3}$" => (text.len() == 3 && text.bytes().all(|b| b.is_ascii_uppercase()), "three capital letters"),
        _ => (true, ""),
    };
    (!fits).then(|| format!("must be {expected}"))
}

/// `d` in the template is an ASCII digit; anything else stands for itself.
fn shape(text: &str, template: &str) -> bool {
    text.len() == template.len() && text.bytes().zip(template.bytes()).all(|(c, t)| if t == b'd' { c.is_ascii_digit() } else { c == t })
}

pub fn is_uuid(text: &str, any_case: bool) -> bool {
    shape(&text.chars().map(|c| if c == '-' { '-' } else { 'x' }).collect::<String>(), "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx")
        && text.chars().all(|c| c == '-' || c.is_ascii_digit() || (c.is_ascii_hexdigit() && (any_case || c.is_ascii_lowercase())))
}

fn is_base64_char(byte: u8) -> bool {
    byte.is_ascii_alphanumeric() || byte == b'+' || byte == b'/'
}

/// As the schema's Base64 pattern: whole groups of four, the last one padded.
pub fn is_base64(text: &str) -> bool {
    let bytes = text.as_bytes();
    if bytes.len() % 4 != 0 {
        return false;
    }
    let body = bytes.len().saturating_sub(4);
    bytes[..body].iter().all(|b| is_base64_char(*b))
        && match &bytes[body..] {
            [] => true,
            [a, b, b'=', b'='] => is_base64_char(*a) && is_base64_char(*b),
            [a, b, c, b'='] => is_base64_char(*a) && is_base64_char(*b) && is_base64_char(*c),
            last => last.iter().all(|b| is_base64_char(*b)),
        }
}

/// Decodes text that `is_base64` accepted.
pub fn decode_base64(text: &str) -> Vec<u8> {
    fn sextet(byte: u8) -> u32 {
        match byte {
            b'A'..=b'Z' => (byte - b'A') as u32,
            b'a'..=b'z' => (byte - b'a') as u32 + 26,
            b'0'..=b'9' => (byte - b'0') as u32 + 52,
            b'+' => 62,
            _ => 63,
        }
    }
    let mut out = Vec::with_capacity(text.len() / 4 * 3);
    for group in text.as_bytes().chunks(4) {
        let padding = group.iter().filter(|b| **b == b'=').count();
        let bits = group.iter().fold(0u32, |acc, b| (acc << 6) | if *b == b'=' { 0 } else { sextet(*b) });
        let bytes = bits.to_be_bytes();
        out.extend_from_slice(&bytes[1..4 - padding]);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_round_trips_and_refuses_what_the_pattern_refuses() {
        assert_eq!(decode_base64("aGVsbG8="), b"hello");
        assert_eq!(decode_base64("aGk="), b"hi");
        assert_eq!(decode_base64("YWJj"), b"abc");
        for bad in ["aGVsbG8", "aGVs bG8=", "a===", "aGVsbG8=\n", "!!!!"] {
            assert!(!is_base64(bad), "{bad}");
        }
    }

    #[test]
    fn check_types_know_their_entity() {
        assert_eq!(entity_type_of_check("IDENTITY_CHECK"), Some("INDIVIDUAL"));
        assert_eq!(entity_type_of_check("COMPANY_REGISTRY"), Some("COMPANY"));
        assert_eq!(entity_type_of_check("VISA_CHECK"), None);
    }

    #[test]
    fn collected_data_problems_name_the_field() {
        let fine = json!({ "entity_type": "INDIVIDUAL", "personal_details": { "name": { "family_name": "Fail" }, "dob": "1990" },
            "address_history": [{ "address": { "type": "STRUCTURED", "country": "GBR" } }] });
        check("IndividualData", &fine, "").unwrap();
        let bad = json!({ "entity_type": "INDIVIDUAL", "personal_details": { "dob": "1990/01/01" } });
        let failure = check("IndividualData", &bad, "collected_data").unwrap_err();
        assert_eq!((failure.code, failure.info["field"].as_str()), (201, Some("collected_data.personal_details.dob")));
        let extra = json!({ "entity_type": "INDIVIDUAL", "personal_details": { "shoe_size": 9 } });
        assert_eq!(check("IndividualData", &extra, "").unwrap_err().info["field"], "personal_details.shoe_size");
        let history = json!({ "entity_type": "INDIVIDUAL", "address_history": [{ "address": { "type": "STRUCTURED", "country": "XX" } }] });
        assert_eq!(check("IndividualData", &history, "").unwrap_err().info["field"], "address_history[0].address.country");
        let step = json!({ "collection_type": "DOCUMENT", "category": "PROOF_OF_IDENTITY" });
        let failure = check("CollectionStep", &step, "[0]").unwrap_err();
        assert_eq!((failure.code, failure.info["field"].as_str()), (101, Some("[0].allowed_types")));
        check("CollectionStep", &json!({ "collection_type": "DOB", "precision": "YEAR" }), "").unwrap();
    }
}
