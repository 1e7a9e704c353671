//! Webhook verification, parsing and dispatch: any bytes, any Authorization
//! header, never a panic; a refused delivery dispatches nothing.
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use passfort_core::Client;

/// At least 16 bytes, as the verifier requires.
const SECRET: &str = "whsec_fuzz_target_16";

fn client() -> &'static Client {
    static CLIENT: OnceLock<Client> = OnceLock::new();
    CLIENT.get_or_init(|| {
        Client::builder().api_key("k").base_url("http://127.0.0.1:9/4.0").webhook_secret(SECRET).build().unwrap()
    })
}

fuzz_target!(|data: &[u8]| {
    // The first byte picks the Authorization header; the rest is the body.
    let (choice, body) = data.split_first().map_or((0, data), |(first, rest)| (*first, rest));
    let authorization = match choice % 4 {
        0 => format!("Bearer {SECRET}"),
        1 => "Bearer whsec_wrong".to_owned(),
        2 => String::from_utf8_lossy(body.get(..16).unwrap_or(body)).into_owned(),
        _ => String::new(),
    };
    let headers = [("authorization", authorization.clone())];
    // Without the timestamp tolerance, so that fuzzed envelopes reach the parser; the hub keeps it.
    let verified = passfort_core::WebhookVerifier::new(SECRET).unwrap().with_tolerance(None).verify(body, headers.clone());
    let handled = client().webhooks().handle(body, headers);
    if authorization != format!("Bearer {SECRET}") {
        assert!(verified.is_err() && handled.is_err(), "a wrong header must refuse the delivery");
    }
    if let Ok(events) = verified {
        assert!(events.iter().all(|event| !event.id.is_empty()));
    }
});
