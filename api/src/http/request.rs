//! Per-request context: a request id (from `X-Request-Id` or new), a tracing span, and a
//! log line per request.

use axum::extract::Request;
use axum::http::HeaderValue;
use axum::middleware::Next;
use axum::response::Response;
use tracing::Instrument;

/// Header carrying the request id both ways.
pub(crate) const REQUEST_ID: &str = "x-request-id";

/// Wraps every request.
pub(super) async fn context(request: Request, next: Next) -> Response {
    let id = request
        .headers()
        .get(REQUEST_ID)
        .and_then(|v| v.to_str().ok())
        .filter(|v| {
            !v.is_empty()
                && v.len() <= 64
                && v.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        })
        .map_or_else(|| uuid::Uuid::now_v7().to_string(), str::to_owned);
    let span = tracing::info_span!("request", id = %id, method = %request.method(), path = %redact_path(request.uri().path()));
    let started = std::time::Instant::now();
    let mut response =
        crate::telemetry::with_request_id(id.clone(), next.run(request).instrument(span.clone()))
            .await;
    span.in_scope(|| {
        tracing::info!(
            status = response.status().as_u16(),
            elapsed_ms = started.elapsed().as_millis() as u64,
            "served"
        );
    });
    if let Ok(value) = HeaderValue::from_str(&id) {
        response.headers_mut().insert(REQUEST_ID, value);
    }
    response
}

/// The path as logs and traces show it: the token of a `/key/<token>/...` URL (OpenRosa
/// devices) replaced by `***`, wherever such a segment appears.
///
/// ```
/// use camptrack::http::redact_path;
/// assert_eq!(redact_path("/key/ct_0123abcd/openrosa/formList"), "/key/***/openrosa/formList");
/// assert_eq!(redact_path("/graphql"), "/graphql");
/// ```
pub fn redact_path(path: &str) -> String {
    let mut out = Vec::new();
    let mut after_key = false;
    for segment in path.split('/') {
        if after_key {
            out.push("***");
            after_key = false;
        } else {
            after_key = segment.eq_ignore_ascii_case("key");
            out.push(segment);
        }
    }
    out.join("/")
}

#[cfg(test)]
mod tests {
    use super::redact_path;

    #[test]
    fn token_urls_never_reach_the_logs() {
        let token = "ct_5f1d0c8e9a7b6c5d4e3f2a1b0c9d8e7f6a5b4c3d2e1f0a9b8c7d6e5f4a3b2c1d";
        for (path, shown) in [
            (
                format!("/key/{token}/openrosa/formList"),
                "/key/***/openrosa/formList".to_owned(),
            ),
            (
                format!("/key/{token}/openrosa/submission"),
                "/key/***/openrosa/submission".to_owned(),
            ),
            (
                format!("/key/{token}/export/sites.csv"),
                "/key/***/export/sites.csv".to_owned(),
            ),
            (format!("/key/{token}"), "/key/***".to_owned()),
            (format!("/KEY/{token}/x"), "/KEY/***/x".to_owned()),
            (
                "/openrosa/formList".to_owned(),
                "/openrosa/formList".to_owned(),
            ),
        ] {
            let redacted = redact_path(&path);
            assert_eq!(redacted, shown);
            assert!(!redacted.contains(token));
        }
    }
}
