//! Applications: products, approval blockers, decisions, reverts, and their webhooks.

mod api_support;

use api_support::{assert_valid, id, schema, Api};
use reqwest::Method;
use serde_json::{json, Value};

fn blocker_tasks(application: &Value) -> Vec<(String, String)> {
    let mut tasks: Vec<(String, String)> = application["approval_blockers"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|b| b["blocker_type"] == "INCOMPLETE_TASK")
        .map(|b| (b["task_type"].as_str().unwrap().to_owned(), b["task_state"].as_str().unwrap().to_owned()))
        .collect();
    tasks.sort();
    tasks
}

#[tokio::test]
async fn approval_waits_for_every_required_task_to_pass_and_a_decision_can_be_reverted() {
    let api = Api::start().await;
    let profile = api.individual("Smith").await;
    let pid = id(&profile);
    let application = api.post(&format!("/profiles/{pid}/applications"), json!({ "product": { "alias": "individual-account" } })).await;
    let aid = id(&application).to_owned();
    let path = format!("/profiles/{pid}/applications/{aid}");
    let validator = schema("ProductApplication");
    assert_valid(&validator, &application);
    assert_eq!((application["status"].as_str(), application["flag"].as_str()), (Some("APPLIED"), Some("REQUIRES_MANUAL_TASK_COMPLETION")));
    assert_eq!(
        blocker_tasks(&application),
        [
            ("INDIVIDUAL_ASSESS_POLITICAL_AND_SANCTIONS_EXPOSURE".to_owned(), "INCOMPLETE".to_owned()),
            ("INDIVIDUAL_VERIFY_IDENTITY".to_owned(), "INCOMPLETE".to_owned())
        ]
    );
    let applied = api.hook("PRODUCT_STATUS_CHANGED", pid, |data| data["new_status"] == "APPLIED").await;
    let product = &application["product"];
    assert_eq!(
        applied["data"],
        json!({
            "apikey": { "name": "Emulator API key" },
            "application_id": aid,
            "customer_ref": "ref-1",
            "new_status": "APPLIED",
            "product": { "alias": "individual-account", "id": product["id"], "name": product["name"] },
            "profile_id": pid,
            "user": { "id": applied["data"]["user"]["id"], "name": "Emulator User", "email": "user@emulator.invalid" },
        })
    );

    // Approving with blockers is refused with PassFort's error body, and the blockers.
    let refused = api.call(Method::POST, &path, Some(json!({ "status": "APPROVED" }))).await;
    refused.refused(105, "status");
    assert_eq!(refused.body["errors"][0]["info"]["approval_blockers"].as_array().unwrap().len(), 2);
    assert_valid(&schema("Error"), &refused.body["errors"][0]);

    // A failed task still blocks.
    let tasks = profile["tasks"].as_array().unwrap();
    let (first, second) = (id(&tasks[0]), id(&tasks[1]));
    api.post(&format!("/profiles/{pid}/tasks/{first}"), json!({ "state": "COMPLETED_PASS" })).await;
    api.post(&format!("/profiles/{pid}/tasks/{second}"), json!({ "state": "COMPLETED_FAIL" })).await;
    let now = api.get(&path).await;
    assert_eq!(blocker_tasks(&now).len(), 1);
    assert_eq!(blocker_tasks(&now)[0].1, "COMPLETED_FAIL");
    api.call(Method::POST, &path, Some(json!({ "status": "APPROVED" }))).await.refused(105, "status");

    // Once every required task is COMPLETED_PASS, approval goes through.
    api.post(&format!("/profiles/{pid}/tasks/{second}"), json!({ "state": "COMPLETED_PASS" })).await;
    assert_eq!(api.get(&path).await["flag"], "READY_FOR_DECISION");
    let approved = api.post(&path, json!({ "status": "APPROVED" })).await;
    assert_eq!((approved["status"].as_str(), approved["flag"].as_str()), (Some("APPROVED"), Some("DECIDED")));
    assert_valid(&validator, &approved);
    api.hook("PRODUCT_STATUS_CHANGED", pid, |data| data["new_status"] == "APPROVED").await;
    api.call(Method::POST, &path, Some(json!({ "status": "APPROVED" }))).await.refused(102, "status");
    api.call(Method::POST, &path, Some(json!({ "status": "REJECTED" }))).await.refused(402, "status");
    api.call(Method::POST, &path, Some(json!({ "status": "MAYBE" }))).await.refused(201, "status");
    api.call(Method::POST, &path, Some(json!({}))).await.refused(101, "status");

    // Revert goes back to the undecided status; then a rejection is possible.
    let reverted = api.post(&format!("{path}/revert_decision"), json!({ "comment": "approved too soon" })).await;
    assert_eq!(reverted["status"], "APPLIED");
    let history: Vec<&str> = reverted["history"].as_array().unwrap().iter().map(|h| h["status"].as_str().unwrap()).collect();
    assert_eq!(history, ["APPLIED", "APPROVED", "APPLIED"]);
    assert_eq!(reverted["history"][2]["comment"], "approved too soon");
    api.hook("PRODUCT_STATUS_CHANGED", pid, |data| data["new_status"] == "APPLIED" && data["application_id"] == aid.as_str()).await;
    api.call(Method::POST, &format!("{path}/revert_decision"), None).await.refused(402, "");
    let rejected = api.post(&path, json!({ "status": "REJECTED" })).await;
    assert_eq!(rejected["status"], "REJECTED");
    api.hook("PRODUCT_STATUS_CHANGED", pid, |data| data["new_status"] == "REJECTED").await;
    assert_eq!(api.post(&format!("{path}/revert_decision"), Value::Null).await["status"], "APPLIED");

    let listed = api.get(&format!("/profiles/{pid}/applications")).await;
    assert_eq!(listed.as_array().unwrap().len(), 1);
    assert_eq!(api.get(&format!("/profiles/{pid}")).await["applications"][0]["id"], aid.as_str());
    assert_valid(&schema("ProfileResource"), &api.get(&format!("/profiles/{pid}")).await);
    let actions = api.audit_actions(pid).await;
    for action in ["added-product", "profile-application-status-changed", "revert-decision", "completed-a-task"] {
        assert!(actions.iter().any(|a| a == action), "{action} in {actions:?}");
    }
}

#[tokio::test]
async fn products_come_from_the_catalogue_add_their_tasks_and_fit_the_entity() {
    let api = Api::start().await;
    let profile = api.individual("Smith").await;
    let pid = id(&profile);
    let apps = format!("/profiles/{pid}/applications");
    api.call(Method::POST, &apps, Some(json!({}))).await.refused(101, "product");
    api.call(Method::POST, &apps, Some(json!({ "product": { "id": "00000000-0000-0000-0000-000000000000" } })))
        .await
        .refused(201, "product.id");
    api.call(Method::POST, &apps, Some(json!({ "product": { "id": "nope" } }))).await.refused(201, "product.id");
    api.call(Method::POST, &apps, Some(json!({ "product": { "alias": "business-account" } }))).await.refused(201, "product");

    // The premium product needs an address task the profile lacks: it is added, and announced.
    let premium = api.post(&apps, json!({ "product": { "alias": "individual-premium" } })).await;
    let created = api.hook("TASK_CREATED", pid, |data| data["task"]["type"] == "INDIVIDUAL_VERIFY_ADDRESS").await;
    assert_eq!(created["data"]["task"]["state"], "INCOMPLETE");
    let tasks = api.get(&format!("/profiles/{pid}/tasks")).await;
    assert_eq!(tasks.as_array().unwrap().len(), 3);
    assert_eq!(premium["required_tasks"].as_array().unwrap().len(), 3);
    api.call(Method::POST, &apps, Some(json!({ "product": { "id": premium["product"]["id"] } }))).await.refused(202, "product");

    // Applications named when the profile is created.
    let company = api
        .post(
            "/profiles",
            json!({ "role": "COMPANY_CUSTOMER", "collected_data": { "metadata": { "name": "Acme" } }, "applications": [{ "product": { "alias": "business-account" } }] }),
        )
        .await;
    assert_eq!(company["applications"][0]["product"]["name"], "Business account");
    assert_eq!(company["collected_data"]["entity_type"], "COMPANY");
    api.hook("PRODUCT_STATUS_CHANGED", id(&company), |data| data["new_status"] == "APPLIED").await;
}

#[tokio::test]
async fn a_check_needing_a_human_on_an_open_application_asks_for_manual_action() {
    let api = Api::start().await;
    let profile = api.individual("Fail").await;
    let pid = id(&profile);
    let application = api.post(&format!("/profiles/{pid}/applications"), json!({ "product": { "alias": "individual-account" } })).await;
    let check = api.check(pid, "IDENTITY_CHECK", &[&profile["tasks"][0]["id"]]).await;
    let action = api.hook("MANUAL_ACTION_REQUIRED", pid, |_| true).await;
    assert_eq!(action["data"]["application_id"], application["id"]);
    assert_eq!(action["data"]["product"]["alias"], "individual-account");
    assert_eq!(action["data"]["check"], json!({ "id": check["id"], "check_type": "IDENTITY_CHECK", "result": "Fail", "decision": "FAIL" }));
    assert_eq!(action["data"]["customer_ref"], "ref-1");
}
