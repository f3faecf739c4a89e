//! Load and backpressure: a saturated server answers `503` with `Retry-After` and
//! `UNAVAILABLE` instead of queueing without end; a pool timeout is a `503`, not an internal
//! error; a request past its timeout is a `504` with `LIMIT_EXCEEDED`; a stop finishes the
//! write in flight; and a short soak above the pool size answers every request and loses
//! nothing it accepted.

use std::time::Duration;

use camptrack::config::ServeArgs;
use camptrack_tests::{TestApp, soak, spawn_app_with_pool};
use sea_orm::{ConnectionTrait, TransactionTrait};
use serde_json::{Value, json};

use crate::batch::site_with_rounds;
use crate::metrics::{metric, scrape};

const ME: &str = "{ me { id } }";

/// A client that gives up only on a hung server.
fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(Duration::from_secs(120))
        .build()
        .expect("client")
}

/// POSTs `query` as `token`; answers (status, Retry-After, body).
async fn post(
    http: &reqwest::Client,
    address: &str,
    token: &str,
    query: &str,
    variables: Value,
) -> (u16, Option<String>, Value) {
    let response = http
        .post(format!("{address}/graphql"))
        .bearer_auth(token)
        .json(&json!({ "query": query, "variables": variables }))
        .send()
        .await
        .expect("every request is answered");
    let status = response.status().as_u16();
    let retry = response
        .headers()
        .get("retry-after")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let body = response.json().await.expect("a JSON body");
    (status, retry, body)
}

/// Waits until the server reports at least `n` requests in flight (the scrape itself is
/// one of them).
async fn wait_in_flight(app: &TestApp, n: f64) {
    for _ in 0..6000 {
        let text = scrape(app).await;
        if metric(&text, "camptrack_http_requests_in_flight", &[]).unwrap_or(0.0) >= n {
            return;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("the request never reached the server");
}

fn serve(args: &[&'static str]) -> ServeArgs {
    ServeArgs::parse_from(std::iter::once("serve").chain(args.iter().copied()))
}

#[tokio::test]
async fn a_saturated_server_answers_503_with_retry_after_instead_of_queueing() {
    let app = spawn_app_with_pool(
        serve(&["--max-concurrent-requests", "1", "--queue-timeout-ms", "50"]),
        1,
        Duration::from_secs(60),
    )
    .await;
    // Holding the pool's only connection keeps the first request in its slot.
    let held = app.db.begin().await.expect("hold the connection");
    let first = {
        let (address, token) = (app.address.clone(), app.admin_token.clone());
        tokio::spawn(async move { post(&client(), &address, &token, ME, json!({})).await })
    };
    wait_in_flight(&app, 2.0).await;
    let (status, retry, body) =
        post(&client(), &app.address, &app.admin_token, ME, json!({})).await;
    assert_eq!(status, 503, "{body:#}");
    assert_eq!(body["errors"][0]["extensions"]["code"], "UNAVAILABLE");
    let retry: u64 = retry.expect("Retry-After").parse().expect("seconds");
    assert!(retry >= 1);
    // Probes still answer while saturated.
    let ready = client()
        .get(format!("{}/healthz", app.address))
        .send()
        .await
        .expect("healthz");
    assert_eq!(ready.status(), 200);
    held.rollback().await.expect("release");
    let (status, _, body) = first.await.expect("task");
    assert_eq!(
        status, 200,
        "the request holding the slot is served: {body:#}"
    );
    assert!(body["data"]["me"]["id"].is_string());
    let text = scrape(&app).await;
    assert!(
        metric(&text, "camptrack_errors_total", &[("code", "UNAVAILABLE")]).unwrap_or(0.0) >= 1.0,
        "{text}"
    );
}

#[tokio::test]
async fn a_pool_timeout_is_a_503_unavailable_not_an_internal_error() {
    let app = spawn_app_with_pool(ServeArgs::default(), 1, Duration::from_secs(1)).await;
    let held = app.db.begin().await.expect("hold the connection");
    let (status, retry, body) =
        post(&client(), &app.address, &app.admin_token, ME, json!({})).await;
    assert_eq!(status, 503, "{body:#}");
    assert_eq!(body["errors"][0]["extensions"]["code"], "UNAVAILABLE");
    assert!(retry.is_some(), "Retry-After");
    let message = body["errors"][0]["message"].as_str().unwrap_or_default();
    assert!(message.contains("try again"), "{message}");
    // OpenRosa devices get a 503 with Retry-After too.
    let form_list = client()
        .get(format!(
            "{}/key/{}/openrosa/formList",
            app.address, app.admin_token
        ))
        .send()
        .await
        .expect("formList");
    assert_eq!(form_list.status(), 503);
    assert!(form_list.headers().contains_key("retry-after"));
    held.rollback().await.expect("release");
    let (status, _, body) = post(&client(), &app.address, &app.admin_token, ME, json!({})).await;
    assert_eq!(status, 200, "{body:#}");
}

#[tokio::test]
async fn a_request_past_its_timeout_is_answered_504_limit_exceeded_and_frees_its_slot() {
    let app = spawn_app_with_pool(
        serve(&[
            "--request-timeout-secs",
            "1",
            "--max-concurrent-requests",
            "1",
        ]),
        1,
        Duration::from_secs(60),
    )
    .await;
    let held = app.db.begin().await.expect("hold the connection");
    let (status, _, body) = post(&client(), &app.address, &app.admin_token, ME, json!({})).await;
    assert_eq!(status, 504, "{body:#}");
    assert_eq!(body["errors"][0]["extensions"]["code"], "LIMIT_EXCEEDED");
    held.rollback().await.expect("release");
    let (status, _, body) = post(&client(), &app.address, &app.admin_token, ME, json!({})).await;
    assert_eq!(status, 200, "the slot was freed: {body:#}");
}

#[tokio::test]
async fn a_stop_finishes_the_write_in_flight_before_the_server_exits() {
    let mut app = spawn_app_with_pool(ServeArgs::default(), 1, Duration::from_secs(60)).await;
    let held = app.db.begin().await.expect("hold the connection");
    let write = {
        let (address, token) = (app.address.clone(), app.admin_token.clone());
        tokio::spawn(async move {
            post(
                &client(),
                &address,
                &token,
                "mutation($i: RoundInput!) { createRound(input: $i) { number } }",
                json!({ "i": { "number": 7, "name": "Round 7", "startsOn": "2024-01-01", "endsOn": "2024-12-31" } }),
            )
            .await
        })
    };
    wait_in_flight(&app, 2.0).await;
    app.stop();
    held.rollback().await.expect("release");
    let (status, _, body) = write.await.expect("task");
    assert_eq!(status, 200, "{body:#}");
    assert_eq!(body["data"]["createRound"]["number"], 7);
    let rounds = app
        .db
        .query_one_raw(sea_orm::Statement::from_string(
            app.db.get_database_backend(),
            "SELECT COUNT(*) AS n FROM rounds WHERE number = 7",
        ))
        .await
        .expect("count")
        .expect("row")
        .try_get::<i64>("", "n")
        .expect("n");
    assert_eq!(rounds, 1, "the acknowledged write was kept");
}

#[tokio::test]
async fn a_short_soak_above_the_pool_size_answers_every_request_and_loses_nothing() {
    // Pool of 2, 12 concurrent clients, at most 4 served at once: the limit and the pool are
    // both saturated.
    let app = spawn_app_with_pool(
        serve(&[
            "--max-concurrent-requests",
            "4",
            "--queue-timeout-ms",
            "100",
        ]),
        2,
        Duration::from_secs(10),
    )
    .await;
    let site = site_with_rounds(&app).await;
    let workers: Vec<_> = (0..12)
        .map(|_| {
            tokio::spawn(soak::worker(
                app.address.clone(),
                app.admin_token.clone(),
                site.clone(),
                4,
                None,
                5,
            ))
        })
        .collect();
    let mut tally = soak::Tally::default();
    for worker in workers {
        tally.merge(worker.await.expect("worker"));
    }
    assert!(tally.violations.is_empty(), "{:#?}", tally.violations);
    assert!(
        tally.statuses.keys().all(|s| *s == 200 || *s == 503),
        "only 200 and deliberate 503: {:?}",
        tally.statuses
    );
    assert_eq!(tally.answered(), 12 * 4 * 3 + tally.deliberate_503);
    assert_eq!(
        tally.accepted.len(),
        12 * 4 * 5,
        "every item was accepted once retried"
    );
    // Nothing accepted was lost: the store holds exactly as many assessments, and each
    // accepted client UUID is known to it.
    let (known, total) = soak::stored(&app.address, &app.admin_token, &tally.accepted).await;
    assert_eq!(known, tally.accepted.len());
    assert_eq!(
        total,
        tally.accepted.len() as u64,
        "one row per accepted item"
    );
}
