//! The audit log records every write with its actor and the record before and after.

use camptrack_domain::codes::Role;
use camptrack_tests::fixtures::{self, SUBMIT};
use camptrack_tests::spawn_app;
use serde_json::json;

#[tokio::test]
async fn every_write_is_audited_with_actor_and_before_and_after() {
    let app = spawn_app().await;
    fixtures::round(&app, 1).await;
    let site = fixtures::site(&app, fixtures::site_input("CCCM-NG002001-0001", 11.8, 13.1)).await;
    let mut input = fixtures::site_input("CCCM-NG002001-0001", 11.8, 13.1);
    input["name"] = json!("Renamed");
    app.admin("mutation($id: UUID!, $i: SiteInput!) { updateSite(id: $id, version: 1, input: $i) { version } }", json!({ "id": site, "i": input }))
        .await
        .data();
    app.admin(
        SUBMIT,
        json!({ "i": fixtures::assessment_input(&site, 1, "2024-03-01", 10, 50) }),
    )
    .await
    .data();
    let me = app.admin("{ me { id } }", json!({})).await;
    let me = me.data()["me"]["id"].clone();
    let log = app.admin("{ auditLog(first: 100) { edges { node { action entity entityId actorAccountId before after } } } }", json!({})).await;
    let entries: Vec<_> = log.data()["auditLog"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["node"].clone())
        .collect();
    let actions: Vec<&str> = entries
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    for expected in [
        "round.create",
        "site.create",
        "site.update",
        "assessment.submit",
    ] {
        assert!(
            actions.contains(&expected),
            "{expected} missing from {actions:?}"
        );
    }
    let update = entries
        .iter()
        .find(|e| e["action"] == "site.update")
        .unwrap();
    assert_eq!(update["actorAccountId"], me);
    assert_eq!(update["entityId"], site.as_str());
    assert_eq!(update["before"]["name"], "Site CCCM-NG002001-0001");
    assert_eq!(update["after"]["name"], "Renamed");
    let submit = entries
        .iter()
        .find(|e| e["action"] == "assessment.submit")
        .unwrap();
    assert!(submit["before"].is_null());
    assert_eq!(submit["after"]["content"]["figures"]["households"], 10);
}

#[tokio::test]
async fn a_failed_write_leaves_no_audit_entry_and_tokens_never_appear_in_the_log() {
    let app = spawn_app().await;
    let before = app
        .admin("{ auditLog { totalCount } }", json!({}))
        .await
        .data()["auditLog"]["totalCount"]
        .clone();
    let bad = app
        .admin(
            "mutation($i: SiteInput!) { createSite(input: $i) { id } }",
            json!({ "i": fixtures::site_input("CCCM-1", 99.0, 0.0) }),
        )
        .await;
    assert_eq!(bad.code(), "BAD_USER_INPUT");
    let token = app
        .token_for(Role::Coordinator, None, Default::default())
        .await;
    let log = app
        .admin(
            "{ auditLog(first: 100) { totalCount edges { node { action after } } } }",
            json!({}),
        )
        .await;
    assert_eq!(
        log.data()["auditLog"]["totalCount"],
        before.as_i64().unwrap() + 2,
        "account.create and token.create only"
    );
    assert!(!log.body.to_string().contains(&token));
    assert!(
        !log.body
            .to_string()
            .contains(&camptrack::auth::hash_token(&token))
    );
}
