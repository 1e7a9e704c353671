//! Collected data (ETag, replace, validation), documents, images and files.

mod api_support;

use api_support::{assert_valid, id, schema, Api, PNG};
use axum::http::StatusCode;
use reqwest::Method;
use serde_json::{json, Value};

#[tokio::test]
async fn collected_data_has_an_etag_and_a_stale_if_match_gets_412_with_the_latest_data() {
    let api = Api::start().await;
    let profile = api.individual("Smith").await;
    let pid = id(&profile);
    let path = format!("/profiles/{pid}/collected_data");

    let first = api.call(Method::GET, &path, None).await;
    let first_tag = first.headers["etag"].to_str().unwrap().to_owned();
    assert_eq!(first.body["personal_details"]["name"]["family_name"], "Smith");

    // A replace with the current tag goes through, and changes the tag.
    let jones = json!({ "entity_type": "INDIVIDUAL", "personal_details": { "name": { "family_name": "Jones" } } });
    let replaced = api.request(Method::POST, &path, Some(jones.clone()), &[("if-match", &first_tag)]).await;
    assert_eq!(replaced.status, StatusCode::OK, "{}", replaced.body);
    let second_tag = replaced.headers["etag"].to_str().unwrap().to_owned();
    assert_ne!(first_tag, second_tag);
    assert_eq!(api.call(Method::GET, &path, None).await.headers["etag"].to_str().unwrap(), second_tag, "the tag is a hash of the data");

    // The first tag is stale now: 412, the latest data and its tag, and nothing changed.
    let brown = json!({ "entity_type": "INDIVIDUAL", "personal_details": { "name": { "family_name": "Brown" } } });
    let stale = api.request(Method::POST, &path, Some(brown), &[("if-match", &first_tag)]).await;
    assert_eq!(stale.status, StatusCode::PRECONDITION_FAILED);
    assert_eq!(stale.body["personal_details"]["name"]["family_name"], "Jones");
    assert_eq!(stale.headers["etag"].to_str().unwrap(), second_tag);
    assert_eq!(api.get(&path).await["personal_details"]["name"]["family_name"], "Jones");

    // Deliveries are in order: once a later change is announced, an announcement of the 412 would have come before it.
    api.post(&path, json!({ "entity_type": "INDIVIDUAL" })).await;
    let changes = api.hooks_until("COLLECTED_DATA_CHANGED", |hooks| hooks.len() >= 2).await;
    assert_eq!(changes.len(), 2, "one per change; the 412 announced nothing");
    assert_eq!((changes[0]["data"]["profile_id"].as_str(), changes[0]["data"]["customer_ref"].as_str()), (Some(pid), Some("ref-1")));
    assert!(api.audit_actions(pid).await.contains(&"replace-collected-data".to_owned()));
}

#[tokio::test]
async fn a_post_replaces_collected_data_rather_than_merging() {
    let api = Api::start().await;
    let data = json!({ "entity_type": "INDIVIDUAL", "personal_details": { "name": { "family_name": "Smith" }, "dob": "1990-01-01" },
        "contact_details": { "email": "ada@example.com" } });
    let profile = api.post("/profiles", json!({ "role": "INDIVIDUAL_CUSTOMER", "collected_data": data })).await;
    let pid = id(&profile);
    // No entity_type: the profile's is filled in.
    let replaced =
        api.post(&format!("/profiles/{pid}/collected_data"), json!({ "personal_details": { "name": { "family_name": "Fail" } } })).await;
    assert_eq!(replaced, json!({ "personal_details": { "name": { "family_name": "Fail" } }, "entity_type": "INDIVIDUAL" }));
    let now = api.get(&format!("/profiles/{pid}")).await;
    assert!(
        now["collected_data"].get("contact_details").is_none() && now["collected_data"]["personal_details"].get("dob").is_none(),
        "{now}"
    );
    // The test-data rules read the new name.
    let check = api.check(pid, "IDENTITY_CHECK", &[]).await;
    assert_eq!(check["result"], "Fail");
    assert_valid(&schema("EntityData"), &replaced);
}

#[tokio::test]
async fn collected_data_the_schema_forbids_is_refused_with_the_field() {
    let api = Api::start().await;
    let profile = api.individual("Smith").await;
    let pid = id(&profile);
    let path = format!("/profiles/{pid}/collected_data");
    let person = |details: Value| json!({ "entity_type": "INDIVIDUAL", "personal_details": details });
    for (body, code, field) in [
        (person(json!({ "dob": "01/02/1990" })), 201, "personal_details.dob"),
        (person(json!({ "name": { "family_name": 7 } })), 201, "personal_details.name.family_name"),
        (person(json!({ "shoe_size": 9 })), 201, "personal_details.shoe_size"),
        (person(json!({ "gender": "X" })), 201, "personal_details.gender"),
        (person(json!({ "nationality": "UK" })), 201, "personal_details.nationality"),
        (json!({ "entity_type": "COMPANY" }), 201, "entity_type"),
        (json!({ "entity_type": "INDIVIDUAL", "address_history": [{ "start_date": "2020-01" }] }), 101, "address_history[0].address"),
        (
            json!({ "entity_type": "INDIVIDUAL", "address_history": [{ "address": { "type": "STRUCTURED", "country": "XYZ" } }] }),
            201,
            "address_history[0].address.country",
        ),
        (
            json!({ "entity_type": "INDIVIDUAL", "documents": [{ "category": "PROOF_OF_IDENTITY", "images": [] }] }),
            101,
            "documents[0].document_type",
        ),
    ] {
        api.call(Method::POST, &path, Some(body)).await.refused(code, field);
    }
    let company = api.company("Acme Ltd").await;
    let cid = id(&company);
    let metadata = |m: Value| json!({ "entity_type": "COMPANY", "metadata": m });
    api.call(Method::POST, &format!("/profiles/{cid}/collected_data"), Some(metadata(json!({ "number_of_employees": "many" }))))
        .await
        .refused(201, "metadata.number_of_employees");
    api.call(Method::POST, &format!("/profiles/{cid}/collected_data"), Some(metadata(json!({ "incorporation_date": "yesterday" }))))
        .await
        .refused(201, "metadata.incorporation_date");
    // Unknown fields where the schema allows them (CompanyMetadata has no additionalProperties: false) are kept.
    let kept = api.post(&format!("/profiles/{cid}/collected_data"), metadata(json!({ "name": "Acme Ltd", "nickname": "Acme" }))).await;
    assert_eq!(kept["metadata"]["nickname"], "Acme");
    // On creation too, under collected_data.
    api.call(Method::POST, "/profiles", Some(json!({ "role": "INDIVIDUAL_CUSTOMER", "collected_data": person(json!({ "dob": "soon" })) })))
        .await
        .refused(201, "collected_data.personal_details.dob");
    api.call(Method::POST, "/profiles", Some(json!({ "role": "COMPANY_CUSTOMER", "collected_data": { "entity_type": "INDIVIDUAL" } })))
        .await
        .refused(201, "collected_data.entity_type");
    // Nothing was changed by the refusals.
    assert_eq!(api.get(&path).await["personal_details"]["name"]["family_name"], "Smith");
}

#[tokio::test]
async fn document_images_are_validated_and_only_their_metadata_is_ever_answered() {
    let api = Api::start().await;
    let profile = api.individual("Smith").await;
    let pid = id(&profile);
    let images = format!("/profiles/{pid}/document_images");

    api.call(Method::POST, &images, Some(json!({ "data": "not base64!", "image_type": "FRONT" }))).await.refused(201, "data");
    api.call(Method::POST, &images, Some(json!({ "data": "aGVsbG8", "image_type": "FRONT" }))).await.refused(201, "data");
    api.call(Method::POST, &images, Some(json!({ "image_type": "FRONT" }))).await.refused(101, "data");
    api.call(Method::POST, &images, Some(json!({ "data": PNG, "image_type": "SIDEWAYS" }))).await.refused(201, "image_type");
    let text = "aGVsbG8gd29ybGQ="; // "hello world": base64, but no image
    let unknown = api.call(Method::POST, &images, Some(json!({ "data": text, "image_type": "FRONT" }))).await;
    unknown.refused(201, "data");
    assert!(unknown.body["errors"][0]["message"].as_str().unwrap().contains("known type"), "{}", unknown.body);
    // Over the limit (4 MiB decoded): a clear 400, not the transport's 413.
    let mut big = vec![0u8; 4 * 1024 * 1024 + 3];
    big[..4].copy_from_slice(&[0x89, b'P', b'N', b'G']);
    let too_big = api.call(Method::POST, &images, Some(json!({ "data": encode(&big), "image_type": "FRONT" }))).await;
    too_big.refused(201, "data");
    assert_eq!(too_big.body["errors"][0]["info"]["max_bytes"], 4 * 1024 * 1024);

    let image = api.post(&images, json!({ "data": PNG, "image_type": "FRONT", "document_type": "PASSPORT" })).await;
    assert!(image.get("data").is_none() && image["upload_date"].is_string(), "{image}");
    let listed = api.get(&images).await;
    assert_eq!(listed, json!([image]));
    assert_eq!(api.get(&format!("{images}/{}", id(&image))).await, image);
    assert_eq!(api.call(Method::GET, &format!("{images}/00000000-0000-0000-0000-000000000000"), None).await.status, StatusCode::NOT_FOUND);
    let validator = schema("DocumentImageResource");
    assert_valid(&validator, &image);

    // Files: any type, metadata only; a document image may name one.
    let file = api.post(&format!("/profiles/{pid}/files"), json!({ "data": PNG, "name": "scan.png" })).await;
    assert_eq!(file, json!({ "id": file["id"], "name": "scan.png" }));
    assert_valid(&schema("FileResource"), &file);
    assert_eq!(api.get(&format!("/profiles/{pid}/files/{}", id(&file))).await, file);
    api.post(&images, json!({ "data": id(&file), "image_type": "BACK" })).await;
    let text_file = api.post(&format!("/profiles/{pid}/files"), json!({ "data": text })).await;
    api.call(Method::POST, &images, Some(json!({ "data": id(&text_file) }))).await.refused(201, "data");
    api.call(Method::POST, &format!("/profiles/{pid}/files"), Some(json!({ "data": "%%%" }))).await.refused(201, "data");
    let actions = api.audit_actions(pid).await;
    assert!(actions.contains(&"uploaded-a-document".to_owned()) && actions.contains(&"added-a-file".to_owned()), "{actions:?}");
}

#[tokio::test]
async fn documents_join_collected_data_and_a_document_check_needs_one_of_the_profile() {
    let api = Api::start().await;
    let profile = api.individual("Smith").await;
    let pid = id(&profile);
    let image = api.post(&format!("/profiles/{pid}/document_images"), json!({ "data": PNG, "image_type": "FRONT" })).await;
    let documents = format!("/profiles/{pid}/collected_data/documents");

    let check_path = format!("/profiles/{pid}/checks?mode=sync");
    let missing = json!({ "check_type": "DOCUMENT_VERIFICATION", "document_id": "00000000-0000-0000-0000-000000000000" });
    api.call(Method::POST, &check_path, Some(missing)).await.refused(201, "document_id");
    api.call(Method::POST, &check_path, Some(json!({ "check_type": "DOCUMENT_VERIFICATION" }))).await.refused(101, "document_id");

    let passport = json!({ "category": "PROOF_OF_IDENTITY", "document_type": "PASSPORT", "images": [{ "id": image["id"] }] });
    api.call(Method::POST, &documents, Some(json!({ "category": "PROOF_OF_IDENTITY", "document_type": "PASSPORT", "images": [{ "id": "00000000-0000-0000-0000-000000000000" }] })))
        .await
        .refused(201, "images[0].id");
    api.call(Method::POST, &documents, Some(json!({ "category": "PROOF_OF_IDENTITY", "document_type": "SCROLL", "images": [] })))
        .await
        .refused(201, "document_type");
    api.call(
        Method::POST,
        &documents,
        Some(json!({ "category": "PROOF_OF_IDENTITY", "document_type": "PASSPORT", "images": [], "colour": "red" })),
    )
    .await
    .refused(201, "colour");
    let document = api.post(&documents, passport).await;
    assert_valid(&schema("Document"), &document);
    assert_eq!(document["images"][0]["id"], image["id"]);
    let data = api.get(&format!("/profiles/{pid}/collected_data")).await;
    assert_eq!(data["documents"], json!([document]));
    assert_eq!(data["personal_details"]["name"]["family_name"], "Smith", "added, not replaced");
    api.hook("COLLECTED_DATA_CHANGED", pid, |_| true).await;

    let check = api.post(&check_path, json!({ "check_type": "DOCUMENT_VERIFICATION", "document_id": document["id"] })).await;
    assert_eq!((check["state"].as_str(), check["document_id"].as_str()), (Some("COMPLETE"), document["id"].as_str()));
    assert_valid(&schema("CheckResource"), &check);
    // A check that does not fit the profile's entity type.
    api.call(Method::POST, &check_path, Some(json!({ "check_type": "COMPANY_REGISTRY" }))).await.refused(201, "check_type");
    assert!(api.audit_actions(pid).await.contains(&"submitted-data".to_owned()));
}

fn encode(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len() / 3 * 4 + 4);
    for chunk in bytes.chunks(3) {
        let b = [chunk[0], *chunk.get(1).unwrap_or(&0), *chunk.get(2).unwrap_or(&0)];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(ALPHABET[(n >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}
