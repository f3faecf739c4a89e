//! `/metrics`: Prometheus text with requests by route and status class, errors by
//! `extensions.code`, a latency histogram, the database pool and the process's memory;
//! served on loopback only by default.

use camptrack::config::ServeArgs;
use camptrack_tests::{TestApp, spawn_app, spawn_app_with};
use serde_json::json;

/// The `/metrics` text of `app` (asserting it is served).
pub async fn scrape(app: &TestApp) -> String {
    let response = app
        .http
        .get(format!("{}/metrics", app.address))
        .send()
        .await
        .expect("metrics");
    assert_eq!(response.status(), 200);
    response.text().await.expect("text")
}

/// The sum of the samples of `name` whose labels include every pair of `labels`.
pub fn metric(text: &str, name: &str, labels: &[(&str, &str)]) -> Option<f64> {
    let mut found = None;
    for line in text.lines().filter(|l| !l.starts_with('#')) {
        let Some(rest) = line.strip_prefix(name) else {
            continue;
        };
        let (label_text, value) = match rest.strip_prefix('{') {
            Some(inner) => match inner.split_once("} ") {
                Some((l, v)) => (l, v),
                None => continue,
            },
            None => match rest.strip_prefix(' ') {
                Some(v) => ("", v),
                None => continue,
            },
        };
        if labels
            .iter()
            .all(|(k, v)| label_text.contains(&format!("{k}=\"{v}\"")))
        {
            let value: f64 = value.split_whitespace().next()?.parse().ok()?;
            *found.get_or_insert(0.0) += value;
        }
    }
    found
}

#[tokio::test]
async fn metrics_count_requests_errors_latency_the_pool_and_memory() {
    let app = spawn_app().await;
    app.admin("{ me { id } }", json!({})).await.data();
    assert_eq!(
        app.gql(Some("ct_not-a-token"), "{ me { id } }", json!({}))
            .await
            .code(),
        "UNAUTHENTICATED"
    );
    assert_eq!(
        app.admin("{ nosuchfield }", json!({})).await.code(),
        "BAD_USER_INPUT"
    );
    let missing = app
        .http
        .get(format!("{}/no/such/page", app.address))
        .send()
        .await
        .expect("404");
    assert_eq!(missing.status(), 404);

    let response = app
        .http
        .get(format!("{}/metrics", app.address))
        .send()
        .await
        .expect("metrics");
    assert_eq!(response.status(), 200);
    let content_type = response.headers()["content-type"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(content_type.contains("openmetrics-text") || content_type.contains("text/plain"));
    let text = response.text().await.expect("text");
    let ok = [("route", "/graphql"), ("method", "POST"), ("status", "2xx")];
    assert!(
        metric(&text, "camptrack_http_requests_total", &ok).unwrap() >= 2.0,
        "{text}"
    );
    let refused = [("route", "/graphql"), ("status", "4xx")];
    assert!(metric(&text, "camptrack_http_requests_total", &refused).unwrap() >= 1.0);
    assert!(
        metric(
            &text,
            "camptrack_errors_total",
            &[("code", "UNAUTHENTICATED")]
        )
        .unwrap()
            >= 1.0
    );
    assert!(
        metric(
            &text,
            "camptrack_errors_total",
            &[("code", "BAD_USER_INPUT")]
        )
        .unwrap()
            >= 1.0
    );
    // The route is the matched template, never the raw path.
    assert!(!text.contains("/no/such/page"));
    assert!(
        metric(
            &text,
            "camptrack_http_requests_total",
            &[("route", "unmatched")]
        )
        .is_some()
    );
    let count = metric(
        &text,
        "camptrack_http_request_duration_seconds_count",
        &[("route", "/graphql")],
    )
    .unwrap();
    let le_inf = metric(
        &text,
        "camptrack_http_request_duration_seconds_bucket",
        &[("route", "/graphql"), ("le", "+Inf")],
    )
    .unwrap();
    assert_eq!(count, le_inf);
    assert!(count >= 3.0);
    assert_eq!(
        metric(&text, "camptrack_db_pool_max_connections", &[]),
        Some(8.0)
    );
    let idle = metric(&text, "camptrack_db_pool_connections", &[("state", "idle")]).unwrap();
    let in_use = metric(
        &text,
        "camptrack_db_pool_connections",
        &[("state", "in_use")],
    )
    .unwrap();
    assert!(idle + in_use <= 8.0 && idle >= 0.0 && in_use >= 0.0);
    if cfg!(target_os = "linux") {
        let rss = metric(&text, "camptrack_process_resident_memory_bytes", &[]).unwrap();
        let peak = metric(&text, "camptrack_process_peak_resident_memory_bytes", &[]).unwrap();
        assert!(rss > 0.0 && peak >= rss);
    }
    assert!(metric(&text, "camptrack_http_requests_in_flight", &[]).unwrap() >= 1.0);
}

#[tokio::test]
async fn metrics_are_not_served_through_a_proxy_or_when_turned_off_unless_opened() {
    let app = spawn_app().await;
    let forwarded = app
        .http
        .get(format!("{}/metrics", app.address))
        .header("x-forwarded-for", "203.0.113.9")
        .send()
        .await
        .expect("metrics");
    assert_eq!(forwarded.status(), 404, "a proxied request is not loopback");

    let off = spawn_app_with(ServeArgs::parse_from(["serve", "--metrics", "off"])).await;
    let response = off
        .http
        .get(format!("{}/metrics", off.address))
        .send()
        .await
        .expect("metrics");
    assert_eq!(response.status(), 404);

    let open = spawn_app_with(ServeArgs::parse_from(["serve", "--metrics", "open"])).await;
    let response = open
        .http
        .get(format!("{}/metrics", open.address))
        .header("x-forwarded-for", "203.0.113.9")
        .send()
        .await
        .expect("metrics");
    assert_eq!(response.status(), 200);
}
