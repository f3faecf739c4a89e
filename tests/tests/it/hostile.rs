//! Hostile input over HTTP: a fixed number of generated GraphQL requests (random shapes,
//! extremes, Unicode, huge numbers, deep nesting, huge lists, SQL-looking strings) against
//! the real server. Never a 5xx for a client mistake, always a JSON answer, every rejection
//! with a client error code (never `INTERNAL`), and the server keeps answering.

use camptrack_tests::{TestApp, fixtures, spawn_app};
use proptest::prelude::*;
use proptest::strategy::ValueTree;
use proptest::test_runner::TestRunner;
use serde_json::{Value, json};

/// Codes a client mistake may carry.
const CLIENT_CODES: &[&str] = &[
    "BAD_USER_INPUT",
    "UNAUTHENTICATED",
    "FORBIDDEN",
    "NOT_FOUND",
    "CONFLICT",
    "LIMIT_EXCEEDED",
];

fn hostile_text() -> impl Strategy<Value = String> {
    prop_oneof![
        "\\PC{0,40}",
        any::<String>(),
        Just("'; DROP TABLE sites; --".to_owned()),
        Just("\" OR 1=1 --".to_owned()),
        Just("NG008' UNION SELECT token_hash FROM api_tokens --".to_owned()),
        Just("\u{202e}\u{0}\u{feff}ＮＧＡ".to_owned()),
        "[A-Z]{3}[0-9]{0,30}",
        Just("x".repeat(100_000)),
    ]
}

fn hostile_number() -> impl Strategy<Value = Value> {
    prop_oneof![
        any::<i64>().prop_map(|n| json!(n)),
        any::<f64>()
            .prop_filter("JSON numbers are finite", |f| f.is_finite())
            .prop_map(|f| json!(f)),
        Just(json!(u64::MAX)),
        Just(json!(1e308)),
        Just(json!(-0.0)),
        Just(json!("NaN")),
        Just(json!("Infinity")),
        Just(json!(null)),
        Just(json!([1, 2])),
        Just(json!({ "a": 1 })),
        (-200.0..200.0_f64).prop_map(|f| json!(f)),
    ]
}

fn hostile_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        hostile_number(),
        hostile_text().prop_map(Value::String),
        any::<bool>().prop_map(Value::Bool),
    ];
    leaf.prop_recursive(4, 64, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::vec(("\\PC{0,8}", inner), 0..4)
                .prop_map(|kv| Value::Object(kv.into_iter().collect())),
        ]
    })
}

fn hostile_area() -> impl Strategy<Value = Value> {
    prop_oneof![
        prop::collection::vec(hostile_text(), 0..5).prop_map(|c| json!({ "cells": c })),
        (
            hostile_number(),
            hostile_number(),
            hostile_number(),
            hostile_number()
        )
            .prop_map(
                |(w, s, e, n)| json!({ "bbox": { "west": w, "south": s, "east": e, "north": n } })
            ),
        (hostile_number(), hostile_number(), hostile_number()).prop_map(
            |(lat, lon, r)| json!({ "near": { "lat": lat, "lon": lon, "radiusMeters": r } })
        ),
        hostile_value().prop_map(|p| json!({ "polygon": p })),
        hostile_text().prop_map(|p| json!({ "adminPcode": p })),
        hostile_value(),
        // Two kinds at once (oneOf breach).
        Just(json!({ "adminPcode": "NG008", "cells": [] })),
    ]
}

/// One generated request: (query, variables).
fn request() -> impl Strategy<Value = (String, Value)> {
    prop_oneof![
        hostile_area().prop_map(|a| (
            "query($a: AreaInput) { sites(area: $a, first: 5) { totalCount } }".to_owned(),
            json!({ "a": a })
        )),
        hostile_area().prop_map(|a| (
            "query($a: AreaInput) { displacement(area: $a) { sites households } }".to_owned(),
            json!({ "a": a })
        )),
        (
            hostile_text(),
            hostile_number(),
            hostile_number(),
            hostile_text(),
            hostile_number()
        )
            .prop_map(|(code, lat, lon, pcode, capacity)| (
                "mutation($i: SiteInput!) { createSite(input: $i) { id } }".to_owned(),
                json!({ "i": {
                    "code": code, "name": "n", "siteType": "PLANNED_CAMP", "formalStatus": "FORMAL",
                    "lat": lat, "lon": lon, "admin0Pcode": "NGA", "admin1Pcode": pcode,
                    "capacity": capacity
                } })
            )),
        (hostile_number(), hostile_text(), hostile_text()).prop_map(|(n, name, day)| (
            "mutation($i: RoundInput!) { createRound(input: $i) { number } }".to_owned(),
            json!({ "i": { "number": n, "name": name, "startsOn": day, "endsOn": "2024-12-31" } })
        )),
        (hostile_value(), hostile_number()).prop_map(|(v, first)| (
            "query($f: Int, $v: SiteFilterInput) { sites(first: $f, filter: $v) { totalCount } }"
                .to_owned(),
            json!({ "f": first, "v": v })
        )),
        (hostile_text(), hostile_value()).prop_map(|(q, v)| (q, v)),
        hostile_text().prop_map(|s| (
            "query($s: String!) { changes(since: $s, first: 5) { nextCursor } }".to_owned(),
            json!({ "s": s })
        )),
    ]
}

/// Sends `body` (raw) and checks the answer is a JSON client error or data, never a 5xx.
async fn check(app: &TestApp, body: String, what: &str) {
    let response = app
        .http
        .post(format!("{}/graphql", app.address))
        .bearer_auth(&app.admin_token)
        .header("content-type", "application/json")
        .body(body)
        .send()
        .await
        .expect("an answer");
    let status = response.status().as_u16();
    let text = response.text().await.expect("body");
    assert!(status < 500, "{what}: HTTP {status}: {text}");
    let Ok(answer) = serde_json::from_str::<Value>(&text) else {
        // Only a refused body size may answer without JSON.
        assert_eq!(status, 413, "{what}: not JSON: {text}");
        return;
    };
    for error in answer["errors"].as_array().into_iter().flatten() {
        let code = error["extensions"]["code"].as_str().unwrap_or("");
        assert!(
            CLIENT_CODES.contains(&code),
            "{what}: code {code:?} in {answer}"
        );
    }
}

#[tokio::test]
async fn generated_hostile_requests_never_get_a_server_error() {
    let app = spawn_app().await;
    fixtures::round(&app, 1).await;
    let mut runner = TestRunner::deterministic();
    let strategy = request();
    for case in 0..400 {
        let (query, variables) = strategy.new_tree(&mut runner).expect("a case").current();
        let body = json!({ "query": query, "variables": variables }).to_string();
        check(&app, body, &format!("case {case}: {query} {variables}")).await;
    }
    assert!(app.admin("{ me { id } }", json!({})).await.data()["me"]["id"].is_string());
}

#[tokio::test]
async fn extreme_shapes_never_get_a_server_error() {
    let app = spawn_app().await;
    let deep_json = format!("{}{}", "[".repeat(50_000), "]".repeat(50_000));
    let deep_selection = format!("{{ {} }}", "sites { edges { node { ".repeat(200));
    let deep_literal = format!(
        "{{ sites(area: {{ polygon: {}{}}}) {{ totalCount }} }}",
        "[".repeat(5_000),
        "]".repeat(5_000)
    );
    let many_cells: Vec<String> = (0..100_000).map(|i| format!("{i:015x}")).collect();
    let cases = [
        ("empty", String::new()),
        ("not json", "}{".to_owned()),
        ("deep variables", format!("{{\"query\":\"{{ me {{ id }} }}\",\"variables\":{{\"a\":{deep_json}}}}}")),
        ("deep selection", json!({ "query": deep_selection }).to_string()),
        ("deep literal", json!({ "query": deep_literal }).to_string()),
        ("huge list", json!({ "query": "query($a: AreaInput) { sites(area: $a) { totalCount } }", "variables": { "a": { "cells": many_cells } } }).to_string()),
        ("huge number", "{\"query\":\"{ sites(first: 1e999) { totalCount } }\"}".to_owned()),
        ("huge int variable", "{\"query\":\"query($f: Int) { sites(first: $f) { totalCount } }\",\"variables\":{\"f\":123456789012345678901234567890}}".to_owned()),
        ("many aliases", json!({ "query": format!("{{ {} }}", (0..2_000).map(|i| format!("a{i}: me {{ id }}")).collect::<Vec<_>>().join(" ")) }).to_string()),
        ("unicode query", json!({ "query": "{ ｍｅ { id } }" }).to_string()),
        ("null bytes", json!({ "query": "{ me\u{0} { id } }" }).to_string()),
        ("batch of junk", json!([{ "query": 1 }, { "query": null }, "x"]).to_string()),
    ];
    for (what, body) in cases {
        check(&app, body, what).await;
    }
    assert!(app.admin("{ me { id } }", json!({})).await.data()["me"]["id"].is_string());
}
