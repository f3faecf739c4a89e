//! GraphQL over HTTP: media types, status codes, GET rules, malformed requests, health,
//! GraphiQL. After every bad request the server still serves.

use camptrack_tests::{TestApp, spawn_app};
use serde_json::{Value, json};

async fn post_raw(
    app: &TestApp,
    content_type: &str,
    accept: Option<&str>,
    body: impl Into<reqwest::Body>,
) -> (u16, String, String) {
    let mut request = app
        .http
        .post(format!("{}/graphql", app.address))
        .header("content-type", content_type)
        .bearer_auth(&app.admin_token)
        .body(body);
    if let Some(accept) = accept {
        request = request.header("accept", accept);
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    let ct = response
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    (status, ct, response.text().await.unwrap())
}

fn code(body: &str) -> String {
    let v: Value = serde_json::from_str(body).unwrap_or_else(|_| panic!("not JSON: {body}"));
    v["errors"][0]["extensions"]["code"]
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

async fn still_serving(app: &TestApp) {
    let health = app
        .http
        .get(format!("{}/healthz", app.address))
        .send()
        .await
        .unwrap();
    assert_eq!(health.status(), 200);
    assert_eq!(
        app.admin("{ me { role } }", json!({})).await.data()["me"]["role"],
        "ADMIN"
    );
}

#[tokio::test]
async fn application_json_answers_200_even_for_validation_errors() {
    let app = spawn_app().await;
    let (status, ct, body) = post_raw(
        &app,
        "application/json",
        Some("application/json"),
        r#"{"query":"{ nope }"}"#,
    )
    .await;
    assert_eq!(status, 200);
    assert!(ct.starts_with("application/json"), "{ct}");
    assert_eq!(code(&body), "BAD_USER_INPUT");
}

#[tokio::test]
async fn graphql_response_json_answers_400_without_data_for_parse_and_validation_errors() {
    let app = spawn_app().await;
    let accept = Some("application/graphql-response+json");
    for query in [
        "{ nope }",
        "{ sites(first: \"x\") { totalCount } }",
        "{ sites { ",
    ] {
        let (status, ct, body) = post_raw(
            &app,
            "application/json",
            accept,
            json!({ "query": query }).to_string(),
        )
        .await;
        assert_eq!(status, 400, "{query}: {body}");
        assert!(ct.starts_with("application/graphql-response+json"), "{ct}");
        let v: Value = serde_json::from_str(&body).unwrap();
        assert!(v.get("data").is_none(), "{body}");
        assert_eq!(code(&body), "BAD_USER_INPUT");
    }
    let (status, _, body) = post_raw(
        &app,
        "application/json",
        accept,
        r#"{"query":"{ me { role } }"}"#,
    )
    .await;
    assert_eq!((status, body.contains("ADMIN")), (200, true));
    still_serving(&app).await;
}

#[tokio::test]
async fn an_unacceptable_accept_is_406_and_a_wrong_content_type_is_415() {
    let app = spawn_app().await;
    let (status, _, _) = post_raw(
        &app,
        "application/json",
        Some("text/csv"),
        r#"{"query":"{ me { role } }"}"#,
    )
    .await;
    assert_eq!(status, 406);
    let (status, _, body) =
        post_raw(&app, "text/plain", None, r#"{"query":"{ me { role } }"}"#).await;
    assert_eq!((status, code(&body)), (415, "BAD_USER_INPUT".to_owned()));
    still_serving(&app).await;
}

#[tokio::test]
async fn malformed_bodies_are_400_with_a_code_and_the_server_keeps_serving() {
    let app = spawn_app().await;
    for body in [
        "{not json",
        "[]",
        "42",
        r#"{"query": 5}"#,
        r#"{"variables": {}}"#,
        "",
    ] {
        let (status, _, text) = post_raw(&app, "application/json", None, body.to_owned()).await;
        assert_eq!(status, 400, "{body}: {text}");
        assert_eq!(code(&text), "BAD_USER_INPUT", "{body}");
    }
    still_serving(&app).await;
}

#[tokio::test]
async fn wrong_variable_types_and_unknown_input_fields_are_bad_user_input() {
    let app = spawn_app().await;
    let wrong_type = app.admin("mutation($i: RoundInput!) { createRound(input: $i) { number } }", json!({ "i": { "number": "one", "name": "R", "startsOn": "2024-01-01", "endsOn": "2024-02-01" } })).await;
    assert_eq!(wrong_type.code(), "BAD_USER_INPUT");
    let unknown = app.admin("mutation($i: RoundInput!) { createRound(input: $i) { number } }", json!({ "i": { "number": 1, "name": "R", "startsOn": "2024-01-01", "endsOn": "2024-02-01", "colour": "red" } })).await;
    assert_eq!(unknown.code(), "BAD_USER_INPUT");
    let bad_date = app.admin("mutation { createRound(input: { number: 1, name: \"R\", startsOn: \"2024-13-01\", endsOn: \"2024-02-01\" }) { number } }", json!({})).await;
    assert_eq!(bad_date.code(), "BAD_USER_INPUT");
    still_serving(&app).await;
}

#[tokio::test]
async fn get_serves_queries_refuses_mutations_with_405_and_serves_graphiql_to_browsers() {
    let app = spawn_app().await;
    let url = format!("{}/graphql", app.address);
    let query = app
        .http
        .get(&url)
        .query(&[("query", "{ me { role } }")])
        .bearer_auth(&app.admin_token)
        .send()
        .await
        .unwrap();
    assert_eq!(query.status(), 200);
    assert!(query.text().await.unwrap().contains("ADMIN"));
    let mutation = app
        .http
        .get(&url)
        .query(&[("query", "mutation { createRound(input: { number: 1, name: \"R\", startsOn: \"2024-01-01\", endsOn: \"2024-02-01\" }) { number } }")])
        .bearer_auth(&app.admin_token)
        .send()
        .await
        .unwrap();
    assert_eq!(mutation.status(), 405);
    assert_eq!(mutation.headers()["allow"], "POST");
    let rounds = app.admin("{ rounds { totalCount } }", json!({})).await;
    assert_eq!(rounds.data()["rounds"]["totalCount"], 0);
    let page = app
        .http
        .get(&url)
        .header("accept", "text/html")
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    assert!(
        html.contains("/graphiql/graphiql.min.js") && !html.contains("https://"),
        "GraphiQL must load nothing from outside"
    );
    let asset = app
        .http
        .get(format!("{}/graphiql/graphiql.min.js", app.address))
        .send()
        .await
        .unwrap();
    assert_eq!(asset.status(), 200);
}

#[tokio::test]
async fn health_and_readiness_answer_and_every_response_carries_a_request_id() {
    let app = spawn_app().await;
    let ready = app
        .http
        .get(format!("{}/readyz", app.address))
        .send()
        .await
        .unwrap();
    assert_eq!(ready.status(), 200);
    let echoed = app
        .http
        .get(format!("{}/healthz", app.address))
        .header("x-request-id", "abc-123")
        .send()
        .await
        .unwrap();
    assert_eq!(echoed.headers()["x-request-id"], "abc-123");
    let fresh = app
        .http
        .get(format!("{}/healthz", app.address))
        .send()
        .await
        .unwrap();
    assert_eq!(fresh.headers()["x-request-id"].len(), 36);
}
