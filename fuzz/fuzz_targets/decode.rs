//! Decoding checks, tasks and profiles from any JSON text: never a panic, and
//! whatever decodes serialises back to exactly the text it came from.
#![no_main]

use libfuzzer_sys::fuzz_target;
use passfort_core::models::Resource;
use passfort_core::{Check, Profile, Task};

fn round_trip<T: serde::de::DeserializeOwned>(text: &str) -> Option<Resource<T>>
where
    Resource<T>: serde::Serialize,
{
    let decoded = Resource::<T>::from_json(text).ok()?;
    let again = serde_json::to_string(&decoded).unwrap();
    assert_eq!(again, decoded.raw(), "serialising gives back the JSON it came from");
    let _ = decoded.to_value();
    Some(decoded)
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    if let Some(check) = round_trip::<passfort_core::models::CheckFields>(text) {
        let check: Check = check;
        let _ = (check.is_complete(), check.field("state"));
    }
    let _: Option<Task> = round_trip(text);
    let _: Option<Profile> = round_trip(text);
});
