//! `POST /graphql` and `GET /graphql` per the GraphQL-over-HTTP specification: content
//! negotiation (`application/graphql-response+json` and `application/json`), the body
//! limit, no mutations over GET, the spec's status codes, and an `extensions.code` on
//! every error.

use async_graphql::parser::types::OperationType;
use async_graphql::{BatchRequest, BatchResponse, Request as GqlRequest, ServerError};
use axum::body::{Body, to_bytes};
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;

use super::AppState;
use super::metrics::ErrorCodes;
use crate::auth::{AuthError, Caller, ClientApp, hash_token};
use crate::graphql::error::code;

const GRAPHQL_RESPONSE: &str = "application/graphql-response+json";
const JSON: &str = "application/json";

/// The media type the response is written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Media {
    /// `application/graphql-response+json`: request errors get 4xx.
    GraphqlResponse,
    /// `application/json`: every well-formed request gets 200.
    Json,
}

impl Media {
    fn content_type(self) -> &'static str {
        match self {
            Self::GraphqlResponse => "application/graphql-response+json; charset=utf-8",
            Self::Json => "application/json; charset=utf-8",
        }
    }
}

/// Picks the response media type from `Accept`, or `None` (406) when neither is acceptable.
fn negotiate(headers: &HeaderMap) -> Option<Media> {
    let Some(accept) = headers.get(header::ACCEPT).and_then(|v| v.to_str().ok()) else {
        return Some(Media::Json);
    };
    let types: Vec<&str> = accept
        .split(',')
        .map(|t| t.split(';').next().unwrap_or("").trim())
        .collect();
    if types.contains(&GRAPHQL_RESPONSE) {
        Some(Media::GraphqlResponse)
    } else if types
        .iter()
        .any(|t| matches!(*t, JSON | "application/*" | "*/*"))
    {
        Some(Media::Json)
    } else {
        None
    }
}

/// An error response that never reached execution.
fn request_error(status: StatusCode, media: Media, code: &str, message: &str) -> Response {
    coded_response(
        status,
        media,
        code,
        json!({ "errors": [{ "message": message, "extensions": { "code": code } }] }),
    )
}

/// `body` as a response, its error code left for the metrics.
fn coded_response(
    status: StatusCode,
    media: Media,
    code: &str,
    body: serde_json::Value,
) -> Response {
    let mut response = (
        status,
        [(header::CONTENT_TYPE, media.content_type())],
        body.to_string(),
    )
        .into_response();
    response
        .extensions_mut()
        .insert(ErrorCodes(vec![code.to_owned()]));
    response
}

fn unauthenticated(media: Media, err: &AuthError) -> Response {
    let body = json!({ "errors": [{
        "message": err.to_string(),
        "extensions": { "code": code::UNAUTHENTICATED, "reason": err.reason() },
    }] });
    let mut response = coded_response(StatusCode::UNAUTHORIZED, media, code::UNAUTHENTICATED, body);
    response
        .headers_mut()
        .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
    response
}

/// Resolves `Authorization: Bearer <token>`. No header (or an empty token) is anonymous.
async fn authenticate(state: &AppState, headers: &HeaderMap) -> Result<Option<Caller>, Response> {
    let Some(value) = headers.get(header::AUTHORIZATION) else {
        return Ok(None);
    };
    let media = negotiate(headers).unwrap_or(Media::Json);
    let value = value
        .to_str()
        .map_err(|_| unauthenticated(media, &AuthError::Malformed))?
        .trim();
    let token = match value.split_once(' ') {
        Some((scheme, token)) if scheme.eq_ignore_ascii_case("bearer") => token.trim(),
        None if value.eq_ignore_ascii_case("bearer") => "",
        _ => return Err(unauthenticated(media, &AuthError::Malformed)),
    };
    if token.is_empty() {
        return Ok(None);
    }
    match state.check_token(&hash_token(token)).await {
        Ok(status) => status
            .into_caller()
            .map(Some)
            .map_err(|err| unauthenticated(media, &err)),
        Err(err) => {
            let gql = crate::graphql::error::storage(err);
            let code = gql
                .extensions
                .as_ref()
                .and_then(|e| e.get("code"))
                .and_then(|v| match v {
                    async_graphql::Value::String(s) => Some(s.clone()),
                    _ => None,
                })
                .unwrap_or_else(|| code::INTERNAL.to_owned());
            let status = if code == code::UNAVAILABLE {
                StatusCode::SERVICE_UNAVAILABLE
            } else {
                StatusCode::INTERNAL_SERVER_ERROR
            };
            Err(request_error(status, media, &code, &gql.message))
        }
    }
}

/// `POST /graphql`.
pub(super) async fn post(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let Some(media) = negotiate(&headers) else {
        return request_error(
            StatusCode::NOT_ACCEPTABLE,
            Media::Json,
            code::BAD_USER_INPUT,
            "Accept must allow application/graphql-response+json or application/json",
        );
    };
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let essence = content_type
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    if essence != JSON {
        return request_error(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            media,
            code::BAD_USER_INPUT,
            "send the request as Content-Type: application/json",
        );
    }
    let limit = state.settings.max_body_bytes;
    let bytes = match to_bytes(body, limit).await {
        Ok(bytes) => bytes,
        Err(_) => {
            return request_error(
                StatusCode::PAYLOAD_TOO_LARGE,
                media,
                code::LIMIT_EXCEEDED,
                &format!("the request body is larger than {limit} bytes"),
            );
        }
    };
    let batch = match parse_body(&bytes) {
        Ok(batch) => batch,
        Err(reason) => {
            return request_error(
                StatusCode::BAD_REQUEST,
                media,
                code::BAD_USER_INPUT,
                &reason,
            );
        }
    };
    if let BatchRequest::Batch(items) = &batch
        && items.len() > state.settings.max_batch
    {
        return request_error(
            StatusCode::BAD_REQUEST,
            media,
            code::LIMIT_EXCEEDED,
            &format!("at most {} operations per batch", state.settings.max_batch),
        );
    }
    let caller = match authenticate(&state, &headers).await {
        Ok(caller) => caller,
        Err(response) => return response,
    };
    execute(&state, batch, caller, client_app(&headers), media).await
}

/// Parses a request body: one request object, or a non-empty list of them, each with a
/// string `query` (the engine would otherwise default a missing query to "").
fn parse_body(bytes: &[u8]) -> Result<BatchRequest, String> {
    let value: serde_json::Value =
        serde_json::from_slice(bytes).map_err(|e| format!("the body is not JSON: {e}"))?;
    let has_query =
        |v: &serde_json::Value| v.get("query").is_some_and(serde_json::Value::is_string);
    let well_formed = match &value {
        serde_json::Value::Object(_) => has_query(&value),
        serde_json::Value::Array(items) => !items.is_empty() && items.iter().all(has_query),
        _ => false,
    };
    if !well_formed {
        return Err(
            "the body must be a JSON object with a string `query` (or a list of such objects)"
                .to_owned(),
        );
    }
    if has_nul(&value) {
        return Err(NUL_REFUSED.to_owned());
    }
    serde_json::from_value(value).map_err(|e| format!("the body is not a GraphQL request: {e}"))
}

const NUL_REFUSED: &str = "text may not contain NUL (\\u0000) characters";

/// Whether any string (or key) in `value` holds a NUL character. PostgreSQL cannot store
/// one in text, so it is refused up front on every backend, as the client's mistake.
fn has_nul(value: &serde_json::Value) -> bool {
    match value {
        serde_json::Value::String(s) => s.contains('\0'),
        serde_json::Value::Array(items) => items.iter().any(has_nul),
        serde_json::Value::Object(map) => map.iter().any(|(k, v)| k.contains('\0') || has_nul(v)),
        _ => false,
    }
}

/// `GET /graphql`: GraphiQL for browsers, queries (never mutations) for clients.
pub(super) async fn get(
    State(state): State<AppState>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Response {
    let raw = query.unwrap_or_default();
    let wants_html = headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|a| a.contains("text/html"));
    if wants_html && !raw.contains("query=") {
        return super::graphiql::page(&state);
    }
    let Some(media) = negotiate(&headers) else {
        return request_error(
            StatusCode::NOT_ACCEPTABLE,
            Media::Json,
            code::BAD_USER_INPUT,
            "Accept must allow application/graphql-response+json or application/json",
        );
    };
    let request: GqlRequest = match async_graphql::http::parse_query_string(&raw) {
        Ok(request) => request,
        Err(err) => {
            return request_error(
                StatusCode::BAD_REQUEST,
                media,
                code::BAD_USER_INPUT,
                &format!("bad query string: {err}"),
            );
        }
    };
    let variables = serde_json::to_value(&request.variables).unwrap_or_default();
    if request.query.contains('\0') || has_nul(&variables) {
        return request_error(
            StatusCode::BAD_REQUEST,
            media,
            code::BAD_USER_INPUT,
            NUL_REFUSED,
        );
    }
    if is_mutation(&request) {
        let mut response = request_error(
            StatusCode::METHOD_NOT_ALLOWED,
            media,
            code::BAD_USER_INPUT,
            "mutations must be sent with POST",
        );
        response
            .headers_mut()
            .insert(header::ALLOW, HeaderValue::from_static("POST"));
        return response;
    }
    let caller = match authenticate(&state, &headers).await {
        Ok(caller) => caller,
        Err(response) => return response,
    };
    execute(
        &state,
        BatchRequest::Single(request),
        caller,
        client_app(&headers),
        media,
    )
    .await
}

/// Whether the operation the request selects is a mutation (unparseable: not; execution
/// reports the parse error).
fn is_mutation(request: &GqlRequest) -> bool {
    let Ok(doc) = async_graphql::parser::parse_query(&request.query) else {
        return false;
    };
    let operation = match (&request.operation_name, &doc.operations) {
        (Some(name), ops) => ops
            .iter()
            .find(|(n, _)| n.is_some_and(|n| n.as_str() == name))
            .map(|(_, op)| op),
        (None, ops) => ops.iter().next().map(|(_, op)| op),
    };
    operation.is_some_and(|op| op.node.ty == OperationType::Mutation)
}

/// The app and device the request comes from (`X-Client-App`, `User-Agent`, `X-Device-Id`).
pub(super) fn client_app(headers: &HeaderMap) -> ClientApp {
    let text = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    ClientApp::from_headers(
        text("x-client-app"),
        text(header::USER_AGENT.as_str()),
        text("x-device-id"),
    )
}

async fn execute(
    state: &AppState,
    batch: BatchRequest,
    caller: Option<Caller>,
    client: ClientApp,
    media: Media,
) -> Response {
    if !state.settings.introspection && asks_introspection(&batch) {
        let status = match media {
            Media::GraphqlResponse => StatusCode::BAD_REQUEST,
            Media::Json => StatusCode::OK,
        };
        return request_error(
            status,
            media,
            code::FORBIDDEN,
            "introspection is disabled on this server (CAMPTRACK_INTROSPECTION=false); the schema is published with the project (tests/schema.graphql)",
        );
    }
    let batch = batch.data(client);
    let batch = match caller {
        Some(caller) => batch.data(caller),
        None => batch,
    };
    let response = state.schema.execute_batch(batch).await;
    let mut codes = Vec::new();
    let mut note = |errors: &mut Vec<ServerError>| {
        for err in errors.iter_mut() {
            classify(err);
            codes.push(error_code(err));
        }
    };
    let (status, body) = match response {
        BatchResponse::Single(mut r) => {
            let failed_before_execution = !r.errors.is_empty()
                && r.data == async_graphql::Value::Null
                && r.errors.iter().all(|e| e.path.is_empty());
            note(&mut r.errors);
            let status = if media == Media::GraphqlResponse && failed_before_execution {
                StatusCode::BAD_REQUEST
            } else {
                StatusCode::OK
            };
            let mut value = serde_json::to_value(&r).unwrap_or_default();
            if status == StatusCode::BAD_REQUEST
                && let Some(obj) = value.as_object_mut()
            {
                obj.remove("data");
            }
            (status, value)
        }
        BatchResponse::Batch(mut items) => {
            for r in &mut items {
                note(&mut r.errors);
            }
            (
                StatusCode::OK,
                serde_json::to_value(&items).unwrap_or_default(),
            )
        }
    };
    // The database was out of reach (pool timeout, database down): a server condition the
    // client should retry, not a 200; the load layer adds `Retry-After`.
    let status = if codes.iter().any(|c| c == code::UNAVAILABLE) {
        StatusCode::SERVICE_UNAVAILABLE
    } else {
        status
    };
    let mut response = (
        status,
        [(header::CONTENT_TYPE, media.content_type())],
        body.to_string(),
    )
        .into_response();
    if !codes.is_empty() {
        response.extensions_mut().insert(ErrorCodes(codes));
    }
    response
}

/// Whether any operation of `batch` selects `__schema` or `__type` (anywhere, fragments
/// included). The engine, with introspection disabled, would answer such a query with a
/// silent `null`; this lets the handler say why instead.
fn asks_introspection(batch: &BatchRequest) -> bool {
    use async_graphql::parser::types::{Selection, SelectionSet};
    fn walk(set: &SelectionSet) -> bool {
        set.items.iter().any(|item| match &item.node {
            Selection::Field(f) => {
                matches!(f.node.name.node.as_str(), "__schema" | "__type")
                    || walk(&f.node.selection_set.node)
            }
            Selection::FragmentSpread(_) => false,
            Selection::InlineFragment(f) => walk(&f.node.selection_set.node),
        })
    }
    batch.iter().any(|request| {
        async_graphql::parser::parse_query(&request.query).is_ok_and(|doc| {
            doc.operations
                .iter()
                .any(|(_, op)| walk(&op.node.selection_set.node))
                || doc
                    .fragments
                    .values()
                    .any(|f| walk(&f.node.selection_set.node))
        })
    })
}

/// The `extensions.code` of a classified error.
fn error_code(err: &ServerError) -> String {
    match err.extensions.as_ref().and_then(|e| e.get("code")) {
        Some(async_graphql::Value::String(s)) => s.clone(),
        _ => code::INTERNAL.to_owned(),
    }
}

/// Gives every error an `extensions.code`: limits, parse and validation failures from the
/// engine carry none of their own.
pub(super) fn classify(err: &mut ServerError) {
    let has_code = err
        .extensions
        .as_ref()
        .is_some_and(|e| e.get("code").is_some());
    if has_code {
        return;
    }
    let message = err.message.to_ascii_lowercase();
    let code = if message.contains("too deep")
        || message.contains("too complex")
        || message.contains("limit")
    {
        code::LIMIT_EXCEEDED
    } else if message.contains("unauthorized") || message.contains("forbidden") {
        code::FORBIDDEN
    } else {
        code::BAD_USER_INPUT
    };
    let mut ext = err.extensions.take().unwrap_or_default();
    ext.set("code", code);
    err.extensions = Some(ext);
}
