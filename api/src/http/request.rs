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
    let span = tracing::info_span!("request", id = %id, method = %request.method(), path = %request.uri().path());
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
