//! Every limit answers `LIMIT_EXCEEDED`, never a crash or a hang.

use camptrack::config::ServeArgs;
use camptrack_tests::{spawn_app, spawn_app_with};
use serde_json::json;

#[tokio::test]
async fn a_body_over_the_limit_is_413_limit_exceeded() {
    let mut settings = ServeArgs::parse_from(["serve"]);
    settings.max_body_bytes = 4096;
    let app = spawn_app_with(settings).await;
    let huge =
        json!({ "query": format!("{{ me {{ role }} }} #{}", "x".repeat(10_000)) }).to_string();
    let response = app
        .http
        .post(format!("{}/graphql", app.address))
        .header("content-type", "application/json")
        .body(huge)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 413);
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["errors"][0]["extensions"]["code"], "LIMIT_EXCEEDED");
    assert_eq!(
        app.admin("{ me { role } }", json!({})).await.data()["me"]["role"],
        "ADMIN"
    );
}

#[tokio::test]
async fn a_query_nested_too_deep_is_limit_exceeded() {
    let mut settings = ServeArgs::parse_from(["serve"]);
    settings.max_depth = 4;
    let app = spawn_app_with(settings).await;
    let deep = app
        .admin(
            "{ sites { edges { node { assessments { edges { node { site { code } } } } } } } }",
            json!({}),
        )
        .await;
    assert_eq!(deep.code(), "LIMIT_EXCEEDED");
}

#[tokio::test]
async fn lists_cost_first_times_their_items_in_the_complexity_limit() {
    let app = spawn_app().await;
    let cheap = app
        .admin(
            "{ sites(first: 10) { edges { node { code } } } }",
            json!({}),
        )
        .await;
    cheap.data();
    let costly = app
        .admin("{ sites(first: 500) { edges { node { assessments(first: 500) { edges { node { households } } } } } } }", json!({}))
        .await;
    assert_eq!(costly.code(), "LIMIT_EXCEEDED");
}

#[tokio::test]
async fn a_page_larger_than_the_maximum_is_limit_exceeded_and_first_below_one_is_bad_input() {
    let app = spawn_app().await;
    assert_eq!(
        app.admin("{ sites(first: 501) { totalCount } }", json!({}))
            .await
            .code(),
        "LIMIT_EXCEEDED"
    );
    assert_eq!(
        app.admin("{ sites(first: 0) { totalCount } }", json!({}))
            .await
            .code(),
        "BAD_USER_INPUT"
    );
    assert_eq!(
        app.admin("{ sites(after: \"garbage\") { totalCount } }", json!({}))
            .await
            .code(),
        "BAD_USER_INPUT"
    );
}

#[tokio::test]
async fn a_batch_larger_than_the_limit_is_refused_and_a_small_batch_answers_each() {
    let app = spawn_app().await;
    let batch: Vec<_> = (0..11)
        .map(|_| json!({ "query": "{ me { role } }" }))
        .collect();
    let url = format!("{}/graphql", app.address);
    let response = app
        .http
        .post(&url)
        .bearer_auth(&app.admin_token)
        .json(&batch)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 400);
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["errors"][0]["extensions"]["code"], "LIMIT_EXCEEDED");
    let small: Vec<_> = (0..3)
        .map(|_| json!({ "query": "{ me { role } }" }))
        .collect();
    let answers: serde_json::Value = app
        .http
        .post(&url)
        .bearer_auth(&app.admin_token)
        .json(&small)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(answers.as_array().unwrap().len(), 3);
}
