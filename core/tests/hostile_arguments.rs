//! The shared hostile-argument table (tests/scenarios/hostile-arguments.json),
//! run through the same core entry points the bindings use: every row is an
//! `InvalidArgument` before any request. Rows marked `dynamic_only` (a wrong
//! type) cannot be written in Rust and are skipped here.

use passfort_core::{check_mode, Dialect};
use passfort_core::{BatchArgs, CheckArgs, CheckMode, Client, ClientBuilder, ClientOptions, ProfileQuery, VerifyArgs, WaitArgs};
use serde_json::Value;

const RUST: Dialect = Dialect::RUST;

fn number(value: &Value) -> f64 {
    match value {
        Value::Object(special) => match special["$"].as_str() {
            Some("NaN") => f64::NAN,
            Some("Infinity") | Some("big_int") => f64::INFINITY,
            Some("-Infinity") => f64::NEG_INFINITY,
            other => panic!("not a number: {other:?}"),
        },
        other => other.as_f64().expect("a number"),
    }
}

/// Strings and JSON, with the table's special values made real. Deep values
/// are capped at 200 levels here: a serde `Value` 10,000 deep would overflow
/// the stack when dropped, which the bindings never build (see convert.rs).
fn value(value: &Value) -> Value {
    match value {
        Value::Object(special) if special.contains_key("$") => match special["$"].as_str() {
            Some("long") => Value::String("x".repeat(special["bytes"].as_u64().unwrap() as usize)),
            Some("deep") => (0..special["depth"].as_u64().unwrap().min(200)).fold(Value::from(1), |inner, _| Value::Array(vec![inner])),
            _ => Value::from(number(value)),
        },
        Value::Object(map) => Value::Object(map.iter().map(|(k, v)| (k.clone(), self::value(v))).collect()),
        other => other.clone(),
    }
}

fn text(args: &Value, name: &str, default: &str) -> String {
    args.get(name).map(value).map_or(default.to_owned(), |v| v.as_str().unwrap().to_owned())
}

fn num(args: &Value, name: &str) -> Option<f64> {
    args.get(name).map(number)
}

async fn attempt(client: &Client, call: &str, args: &Value) -> passfort_core::Result<()> {
    let check = || CheckArgs {
        check_type: text(args, "check_type", "IDENTITY_CHECK"),
        task_ids: None,
        variant_alias: args.get("variant_alias").map(|_| text(args, "variant_alias", "")),
        variant_id: args.get("variant_id").map(|_| text(args, "variant_id", "")),
        fields: args.get("fields").map(value),
        tag: args.get("tag").map(|_| text(args, "tag", "")),
    };
    let wait = || WaitArgs { wait_timeout: num(args, "wait_timeout"), poll_interval: num(args, "poll_interval") };
    let mode = || args.get("mode").map(|_| text(args, "mode", ""));
    match call {
        "client" => {
            let options = ClientOptions {
                api_key: Some(passfort_core::Secret::new("k")),
                base_url: Some("http://127.0.0.1:9/4.0".into()),
                timeout: num(args, "timeout"),
                connect_timeout: num(args, "connect_timeout"),
                sync_timeout: num(args, "sync_timeout"),
                max_retries: num(args, "max_retries"),
                max_retry_wait: num(args, "max_retry_wait"),
                max_connections: num(args, "max_connections"),
                webhook_tolerance: num(args, "webhook_tolerance"),
                ..ClientOptions::default()
            };
            ClientBuilder::from_options(RUST, options)?.build().map(drop)
        }
        "wait_for_check" => {
            let options = wait().resolve(RUST)?;
            client.wait_for_check("p1", &text(args, "check_id", "c1"), &options).await.map(drop)
        }
        "run_check" | "run_check_and_wait" => {
            let request = check().into_request(RUST)?;
            let mode = check_mode(RUST, mode().as_deref(), CheckMode::Sync)?;
            let options = wait().resolve(RUST)?;
            client.run_check_and_wait("p1", &request, mode, &options).await.map(drop)
        }
        "verify_task" => {
            let options = VerifyArgs { max_failures: num(args, "max_failures"), mode: None, wait: wait() }.resolve(RUST)?;
            client.verify_task("p1", "t1", &check().into_request(RUST)?, &options).await.map(drop)
        }
        "run_checks" => {
            BatchArgs { concurrency: num(args, "concurrency"), mode: None, wait_timeout: num(args, "wait_timeout"), max_failures: None }
                .resolve(RUST)
                .map(drop)
        }
        "list_profiles" => {
            let query = args.get("query").map(|_| text(args, "query", ""));
            ProfileQuery::from_args(RUST, query, num(args, "page_size")).map(drop)
        }
        "create_profile" => {
            let data = args.get("collected_data").map(value).unwrap_or_else(|| serde_json::json!({}));
            client.create_profile(text(args, "role", "INDIVIDUAL_CUSTOMER").as_str(), data).await.map(drop)
        }
        other => panic!("no such call in the table: {other}"),
    }
}

#[tokio::test]
async fn every_hostile_argument_is_refused_before_any_request() {
    let table: Value = serde_json::from_str(include_str!("../../tests/scenarios/hostile-arguments.json")).expect("the table is JSON");
    // Port 9 (discard) on loopback: a request that got out would be a connection error, not InvalidArgument.
    let client = Client::builder().api_key("k").base_url("http://127.0.0.1:9/4.0").max_retries(0).build().unwrap();
    let mut ran = 0;
    for row in table["rows"].as_array().unwrap() {
        if row.get("dynamic_only").is_some() {
            continue;
        }
        let error = attempt(&client, row["call"].as_str().unwrap(), &row["args"]).await.expect_err(&row.to_string());
        assert_eq!(error.code(), "invalid_argument", "{row}: {error}");
        assert!(error.to_string().len() < 400, "{row}: a short message");
        ran += 1;
    }
    assert!(ran >= 30, "ran {ran} rows");
}
