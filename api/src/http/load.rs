//! Backpressure: at most `--max-concurrent-requests` requests are served at once; the next
//! ones wait up to `--queue-timeout-ms` for a slot and are then refused with `503`,
//! `Retry-After` and a GraphQL-shaped body (`extensions.code` `UNAVAILABLE`), instead of
//! queueing without end. Request timeouts answer `504` with `LIMIT_EXCEEDED`.

use std::sync::Arc;
use std::time::Duration;

use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde_json::json;
use tokio::sync::Semaphore;

use super::AppState;
use crate::graphql::error::code;

/// The slots of the concurrency limit (one per process: a local defence).
#[derive(Debug)]
pub struct Slots {
    semaphore: Arc<Semaphore>,
    capacity: usize,
}

impl Slots {
    /// `capacity` slots (at least one).
    pub fn new(capacity: usize) -> Self {
        let capacity = capacity.max(1);
        Self {
            semaphore: Arc::new(Semaphore::new(capacity)),
            capacity,
        }
    }

    /// Requests being served now.
    pub fn in_use(&self) -> usize {
        self.capacity - self.semaphore.available_permits()
    }

    /// The configured limit.
    pub fn capacity(&self) -> usize {
        self.capacity
    }
}

/// A JSON error body shaped like a GraphQL response, for answers given before any handler.
pub(crate) fn error_response(status: StatusCode, code: &str, message: &str) -> Response {
    let body = json!({ "errors": [{ "message": message, "extensions": { "code": code } }] });
    let mut response = (
        status,
        [(header::CONTENT_TYPE, "application/json; charset=utf-8")],
        body.to_string(),
    )
        .into_response();
    response
        .extensions_mut()
        .insert(super::metrics::ErrorCodes(vec![code.to_owned()]));
    response
}

/// Adds `Retry-After: secs` to `response`.
pub(crate) fn retry_after(mut response: Response, secs: u64) -> Response {
    response
        .headers_mut()
        .insert(header::RETRY_AFTER, HeaderValue::from(secs.max(1)));
    response
}

/// Whether `request` is a health probe or a metrics scrape (never refused by the load or
/// sign-in defences: an orchestrator must see a busy server as alive).
pub(crate) fn is_probe(request: &Request) -> bool {
    matches!(request.uri().path(), "/healthz" | "/readyz" | "/metrics")
}

/// Routes that never wait for a slot: probes and metrics must answer under saturation, and
/// a WebSocket upgrade would hold its slot for the connection's whole life.
fn exempt(request: &Request) -> bool {
    is_probe(request) || request.headers().contains_key(header::UPGRADE)
}

/// The concurrency limit.
pub(super) async fn limit(State(state): State<AppState>, request: Request, next: Next) -> Response {
    if exempt(&request) {
        return next.run(request).await;
    }
    let wait = state.settings.queue_timeout();
    let semaphore = state.slots.semaphore.clone();
    let permit = match tokio::time::timeout(wait, semaphore.acquire_owned()).await {
        Ok(Ok(permit)) => permit,
        _ => {
            tracing::warn!(
                limit = state.slots.capacity(),
                "saturated: request refused with 503"
            );
            return retry_after(
                error_response(
                    StatusCode::SERVICE_UNAVAILABLE,
                    code::UNAVAILABLE,
                    "the server is busy; retry after the number of seconds in Retry-After",
                ),
                state.settings.retry_after_secs,
            );
        }
    };
    let response = next.run(request).await;
    drop(permit);
    response
}

/// The request timeout: a request still running after `--request-timeout-secs` is dropped
/// (an open write transaction rolls back) and answered `504` with `LIMIT_EXCEEDED`.
pub(super) async fn timeout(
    State(state): State<AppState>,
    request: Request,
    next: Next,
) -> Response {
    let limit: Duration = state.settings.request_timeout();
    match tokio::time::timeout(limit, next.run(request)).await {
        Ok(response) => response,
        Err(_) => {
            tracing::warn!(
                timeout_secs = limit.as_secs(),
                "request timed out; answered 504"
            );
            error_response(
                StatusCode::GATEWAY_TIMEOUT,
                code::LIMIT_EXCEEDED,
                &format!(
                    "the request took longer than {} seconds and was stopped; a write still in progress was rolled back",
                    limit.as_secs()
                ),
            )
        }
    }
}

/// Every `503` (a pool timeout in any handler, the database down) tells the client when to
/// retry, unless the handler already said.
pub(super) async fn retry_hint(
    State(state): State<AppState>,
    request: Request,
    next: Next,
) -> Response {
    let response = next.run(request).await;
    if response.status() == StatusCode::SERVICE_UNAVAILABLE
        && !response.headers().contains_key(header::RETRY_AFTER)
    {
        return retry_after(response, state.settings.retry_after_secs);
    }
    response
}
