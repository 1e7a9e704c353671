//! Searches over the emulator's data and its small built-in data sets [A]:
//! tags, companies, addresses.

use std::collections::HashMap;

use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::{json, Value};

use super::field_invalid;
use crate::api_error::ApiFailure;
use crate::state::{lock, AppState};
use crate::validate;

type ApiResult = Result<Response, ApiFailure>;
type Params = Query<HashMap<String, String>>;

/// The companies `GET /search/companies` knows: (country, state, number, name).
const COMPANIES: &[(&str, Option<&str>, &str, &str)] = &[
    ("GBR", None, "08776223", "PASSFORT LIMITED"),
    ("GBR", None, "01234567", "ACME TRADING LIMITED"),
    ("GBR", None, "07654321", "ACME HOLDINGS PLC"),
    ("GBR", None, "09999999", "FAIL INDUSTRIES LTD"),
    ("USA", Some("DE"), "5551234", "ACME CORPORATION"),
    ("USA", Some("NY"), "7654321", "EMPIRE WIDGETS INC"),
    ("FRA", None, "552100554", "EXEMPLE SA"),
];

/// The addresses `GET /address/search` knows: (id, country, premise, street number, route, locality, postal code, state).
type Known = (&'static str, &'static str, &'static str, &'static str, &'static str, &'static str, &'static str, &'static str);
const ADDRESSES: &[Known] = &[
    ("GBR-1", "GBR", "", "10", "Downing Street", "London", "SW1A 2AA", ""),
    ("GBR-2", "GBR", "Flat 2", "221B", "Baker Street", "London", "NW1 6XE", ""),
    ("GBR-3", "GBR", "", "1", "Canada Square", "London", "E14 5AB", ""),
    ("GBR-4", "GBR", "", "5", "Princes Street", "Edinburgh", "EH2 2DA", ""),
    ("USA-1", "USA", "", "1600", "Pennsylvania Avenue NW", "Washington", "20500", "DC"),
    ("USA-2", "USA", "", "350", "Fifth Avenue", "New York", "10118", "NY"),
];

fn address_text(known: &Known) -> String {
    let (_, _, premise, number, route, locality, postal_code, state) = *known;
    let street = format!("{number} {route}");
    [premise, street.as_str(), locality, state, postal_code].iter().filter(|part| !part.is_empty()).copied().collect::<Vec<_>>().join(", ")
}

fn required<'a>(params: &'a HashMap<String, String>, name: &str) -> Result<&'a str, ApiFailure> {
    params.get(name).map(String::as_str).filter(|v| !v.is_empty()).ok_or_else(|| ApiFailure::missing(name))
}

fn country(params: &HashMap<String, String>, name: &str) -> Result<String, ApiFailure> {
    let code = required(params, name)?;
    validate::check("CountryCode", &json!(code), name)?;
    Ok(code.to_owned())
}

/// `limit`: a whole number from 1 to `max`, or `default` when absent.
fn limit(params: &HashMap<String, String>, default: usize, max: usize) -> Result<usize, ApiFailure> {
    match params.get("limit") {
        None => Ok(default),
        Some(text) => text
            .parse()
            .ok()
            .filter(|n| (1..=max).contains(n))
            .ok_or_else(|| field_invalid("limit", format!("limit must be a whole number from 1 to {max}"))),
    }
}

/// Tags of every profile whose name contains the term (case-insensitively), by name, once each.
pub async fn tags(State(state): State<AppState>, Path(term): Path<String>, Query(params): Params) -> ApiResult {
    let limit = limit(&params, usize::MAX, usize::MAX)?;
    let needle = term.to_lowercase();
    let store = lock(&state.store);
    let mut found: Vec<(String, Value)> = Vec::new();
    for tag in store.profiles.values().flat_map(|profile| profile.tags.iter()) {
        if tag.name.to_lowercase().contains(&needle) && !found.iter().any(|(_, t)| t["id"] == tag.id.as_str()) {
            found.push((tag.name.clone(), tag.to_json()));
        }
    }
    found.sort_by(|a, b| a.0.cmp(&b.0));
    Ok(Json(found.into_iter().take(limit).map(|(_, tag)| tag).collect::<Vec<_>>()).into_response())
}

/// Companies of a country (and, for the USA, a state, which is then
/// required) whose name contains the query or whose number is the query.
pub async fn companies(Query(params): Params) -> ApiResult {
    let country = country(&params, "country")?;
    let query = required(&params, "query")?.to_lowercase();
    let state = params.get("state").filter(|s| !s.is_empty());
    if country == "USA" && state.is_none() {
        return Err(ApiFailure::missing("state"));
    }
    if let Some(provider) = params.get("provider") {
        if provider != "duedil" {
            return Err(field_invalid("provider", format!("{provider} is not one of duedil")));
        }
    }
    let companies: Vec<Value> = COMPANIES
        .iter()
        .filter(|(c, s, number, name)| {
            *c == country
                && (state.is_none() || *s == state.map(String::as_str))
                && (name.to_lowercase().contains(&query) || *number == query)
        })
        .map(|(country, state, number, name)| json!({ "name": name, "number": number, "country": country, "state": state }))
        .collect();
    Ok(Json(json!({ "companies": companies, "errors": [] })).into_response())
}

/// Addresses of a country containing the text (case-insensitively), with where it matched.
pub async fn addresses(Query(params): Params) -> ApiResult {
    let text = required(&params, "address")?;
    if text.chars().count() > 200 {
        return Err(field_invalid("address", "address must be at most 200 characters"));
    }
    let country = country(&params, "country_code")?;
    let limit = limit(&params, 7, 100)?;
    let needle = text.to_lowercase();
    let matches: Vec<Value> = ADDRESSES
        .iter()
        .filter(|known| known.1 == country)
        .filter_map(|known| {
            let full = address_text(known);
            let start = full.to_lowercase().find(&needle)?;
            let start_chars = full[..start].chars().count();
            Some(json!({ "id": known.0, "text": full, "query_substrings": [[start_chars, start_chars + needle.chars().count()]] }))
        })
        .collect();
    let count = matches.len();
    Ok(Json(json!({ "count": count, "results": matches.into_iter().take(limit).collect::<Vec<_>>() })).into_response())
}

/// The structured form of an address found by `/address/search`; 404 for an id not of that country.
pub async fn format_address(Query(params): Params) -> ApiResult {
    let id = required(&params, "id")?;
    let country = country(&params, "country_code")?;
    let known = ADDRESSES.iter().find(|known| known.0 == id && known.1 == country).ok_or_else(|| ApiFailure::not_found("Address", id))?;
    let (_, country, premise, number, route, locality, postal_code, state) = *known;
    let mut address = json!({
        "type": "STRUCTURED",
        "country": country,
        "street_number": number,
        "route": route,
        "locality": locality,
        "postal_code": postal_code,
        "original_freeform_address": address_text(known),
    });
    if !premise.is_empty() {
        address["premise"] = json!(premise);
    }
    if !state.is_empty() {
        address["state_province"] = json!(state);
    }
    Ok(Json(address).into_response())
}
