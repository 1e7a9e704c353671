//! PassFort's two rate-limited endpoints, each with a GCRA bucket of its own
//! and the documented `X-RateLimit-*` headers.

mod edge_support;

use edge_support::Edge;
use passfort_emulator::{ConfigChange, EmulatorConfig, RateLimit};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

fn individual_data(family_name: &str) -> Value {
    json!({ "entity_type": "INDIVIDUAL", "personal_details": { "name": { "given_names": ["Ada"], "family_name": family_name } } })
}

fn new_profile() -> Value {
    json!({ "role": "INDIVIDUAL_CUSTOMER", "collected_data": individual_data("Smith") })
}

#[tokio::test]
async fn profiles_and_collected_data_have_separate_buckets_with_the_documented_headers() {
    let limit = RateLimit { per_hour: 3600, burst: 2 };
    let edge = Edge::start(EmulatorConfig { rate_limit: Some(limit), ..EmulatorConfig::default() }, None, false).await;

    // POST /profiles: the burst, then 429.
    let mut remaining = Vec::new();
    let mut pid = String::new();
    for _ in 0..2 {
        let answer = edge.call(Method::POST, "/profiles", Some(new_profile())).await;
        assert_eq!(answer.status, StatusCode::OK, "{}", answer.text);
        remaining.push(answer.header("x-ratelimit-remaining").unwrap().to_owned());
        assert!(answer.header("x-ratelimit-reset-secs").unwrap().parse::<u64>().is_ok());
        let reset: i64 = answer.header("x-ratelimit-reset").unwrap().parse().unwrap();
        assert!(reset >= chrono::Utc::now().timestamp(), "an epoch time: {reset}");
        assert!(answer.header("x-ratelimit-retry-secs").is_none());
        pid = answer.json()["id"].as_str().unwrap().to_owned();
    }
    assert_eq!(remaining, ["1", "0"]);
    let refused = edge.call(Method::POST, "/profiles", Some(new_profile())).await;
    assert_eq!(refused.status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(refused.header("x-ratelimit-retry-secs"), Some("1"));
    assert_eq!(refused.header("x-ratelimit-remaining"), Some("0"));
    assert!(refused.json()["errors"][0]["code"].is_u64(), "PassFort's error body: {}", refused.text);
    assert_eq!(edge.ok(Method::GET, "/profiles", None).await["count"], 2, "a refused request does nothing");

    // POST .../collected_data: a bucket of its own, full although the other is empty.
    let path = format!("/profiles/{pid}/collected_data");
    for expected in ["1", "0"] {
        let answer = edge.call(Method::POST, &path, Some(individual_data("Jones"))).await;
        assert_eq!(answer.status, StatusCode::OK, "{}", answer.text);
        assert_eq!(answer.header("x-ratelimit-remaining"), Some(expected));
    }
    let refused = edge.call(Method::POST, &path, Some(individual_data("Refused"))).await;
    assert_eq!(refused.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(refused.header("x-ratelimit-retry-secs").is_some());
    let data = edge.ok(Method::GET, &path, None).await;
    assert_eq!(data["personal_details"]["name"]["family_name"], "Jones", "the refused update changed nothing");

    // Unlimited endpoints carry no rate-limit headers.
    let answer = edge.call(Method::GET, &path, None).await;
    assert!(answer.header("x-ratelimit-remaining").is_none());
}

#[tokio::test]
async fn each_bucket_can_be_configured_on_its_own() {
    let config = EmulatorConfig {
        rate_limit: Some(RateLimit { per_hour: 3600, burst: 5 }),
        collected_data_rate_limit: Some(RateLimit { per_hour: 3600, burst: 1 }),
        ..EmulatorConfig::default()
    };
    let edge = Edge::start(config, None, false).await;
    let answer = edge.call(Method::POST, "/profiles", Some(new_profile())).await;
    assert_eq!(answer.header("x-ratelimit-remaining"), Some("4"));
    let pid = answer.json()["id"].as_str().unwrap().to_owned();
    let path = format!("/profiles/{pid}/collected_data");
    assert_eq!(edge.call(Method::POST, &path, Some(individual_data("A"))).await.header("x-ratelimit-remaining"), Some("0"));
    assert_eq!(edge.call(Method::POST, &path, Some(individual_data("B"))).await.status, StatusCode::TOO_MANY_REQUESTS);

    let config = edge.admin(Method::GET, "/config", None).await.json();
    assert_eq!(
        config["rate_limits"],
        json!({ "profiles": { "per_hour": 3600, "burst": 5 }, "collected_data": { "per_hour": 3600, "burst": 1 } })
    );

    // Turned off at run time: no headers, no 429.
    let changed = edge.admin(Method::PUT, "/config", Some(json!({ "rate_limits": { "collected_data": null } }))).await;
    assert_eq!(changed.status, StatusCode::OK, "{}", changed.text);
    assert_eq!(changed.json()["rate_limits"]["collected_data"], Value::Null);
    let answer = edge.call(Method::POST, &path, Some(individual_data("C"))).await;
    assert_eq!(answer.status, StatusCode::OK);
    assert!(answer.header("x-ratelimit-remaining").is_none());

    // And on again through the library, with a fresh bucket.
    let limit = RateLimit { per_hour: 60, burst: 3 };
    edge.emulator.configure_with(&ConfigChange { collected_data_rate_limit: Some(Some(limit)), ..ConfigChange::default() }).unwrap();
    let answer = edge.call(Method::POST, &path, Some(individual_data("D"))).await;
    assert_eq!(answer.header("x-ratelimit-remaining"), Some("2"));

    let bad = edge.admin(Method::PUT, "/config", Some(json!({ "rate_limits": { "profiles": { "per_hour": 0, "burst": 1 } } }))).await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    let bad = edge.admin(Method::PUT, "/config", Some(json!({ "rate_limits": { "checks": null } }))).await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);

    // Reset returns to the configuration the emulator started with.
    edge.emulator.reset();
    assert_eq!(edge.emulator.config()["rate_limits"]["collected_data"], json!({ "per_hour": 3600, "burst": 1 }));
}

#[tokio::test]
async fn no_limit_unless_configured() {
    let edge = Edge::start(EmulatorConfig::default(), None, false).await;
    let answer = edge.call(Method::POST, "/profiles", Some(new_profile())).await;
    assert_eq!(answer.status, StatusCode::OK);
    assert!(answer.header("x-ratelimit-remaining").is_none());
    assert_eq!(edge.emulator.config()["rate_limits"], json!({ "profiles": null, "collected_data": null }));
}
