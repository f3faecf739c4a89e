//! Exports: `GET /export/{dataset}.{csv|geojson}` (and `/key/{token}/export/...` for tools
//! that cannot send headers). The same filters and the same scope as the GraphQL lists:
//! each dataset reads its pages through the storage list functions and `storage::scope`,
//! so an export never shows what the list would not.
//!
//! A dataset is one module in `datasets/`: a row type, its columns (readable name, HXL
//! hashtag, GeoJSON key) and a function that reads one keyset page; register it in
//! [`download`]'s `match`.
//!
//! Bodies are streamed: one page of rows is read, encoded and written before the next is
//! read, so memory stays flat however many rows there are. An error after the first bytes
//! were sent can only end the body early (the transfer is cut, never silently complete).

mod datasets;
mod format;
mod params;

use std::future::Future;

use axum::body::{Body, Bytes};
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use camptrack_domain::Invalid;
use futures_util::stream;
use serde_json::json;
use sha2::{Digest, Sha256};
use tracing::Instrument;

use self::format::{Column, Geometry};
use self::params::Params;
use super::AppState;
use crate::auth::{Caller, hash_token};
use crate::graphql::error::code;
use crate::storage::StorageError;
use crate::storage::accounts::TokenStatus;
use crate::storage::scope::Scope;

/// What every page read needs: the database, the caller and the policy.
#[derive(Debug, Clone)]
pub struct Cx {
    /// The database.
    pub db: sea_orm::DatabaseConnection,
    /// The caller.
    pub caller: Caller,
    /// Partners see figures only from this many households up.
    pub min_households: i64,
    /// Rows per page.
    pub page_rows: u64,
}

impl Cx {
    /// The caller's scope.
    pub fn scope(&self) -> Scope<'_> {
        Scope::of(&self.caller)
    }

    /// A keyset page request after `after`.
    pub fn page(&self, after: Option<uuid::Uuid>) -> crate::storage::page::PageRequest {
        crate::storage::page::PageRequest {
            first: self.page_rows,
            after,
            with_total: false,
        }
    }
}

/// One page of rows and where the next one starts (`None`: this was the last).
pub type Batch<R, C> = (Vec<R>, Option<C>);

/// An exportable dataset.
pub trait Dataset: Send + Sync + 'static {
    /// One exported record.
    type Row: Send + Sync + 'static;
    /// The dataset's filters, parsed from the query.
    type Filter: Send + Sync + 'static;
    /// Where a page continues.
    type Cursor: Send + Sync + 'static;
    /// The name in the URL, e.g. `sites`.
    const NAME: &'static str;
    /// Whether a GeoJSON form exists (located records or hexagons).
    const GEOJSON: bool;

    /// Whether the caller may export this dataset at all (otherwise 403).
    fn allowed(_scope: Scope<'_>) -> bool {
        true
    }

    /// Reads the dataset's parameters (each one it takes out of `params`).
    fn filter(
        params: &mut Params,
        cx: &Cx,
    ) -> impl Future<Output = Result<Self::Filter, StorageError>> + Send;

    /// The columns, in order.
    fn columns(filter: &Self::Filter) -> Vec<Column<Self::Row>>;

    /// Where a row lies (GeoJSON).
    fn geometry(_row: &Self::Row) -> Geometry {
        Geometry::None
    }

    /// Reads the page after `after` (the first page when `None`).
    fn page(
        cx: &Cx,
        filter: &Self::Filter,
        after: Option<Self::Cursor>,
    ) -> impl Future<Output = Result<Batch<Self::Row, Self::Cursor>, StorageError>> + Send;
}

/// The two formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Format {
    Csv,
    GeoJson,
}

/// `GET /export/{file}` and `GET /key/{token}/export/{file}`.
pub(super) async fn download(
    State(state): State<AppState>,
    Path(path): Path<std::collections::HashMap<String, String>>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Response {
    let file = path.get("file").map_or("", String::as_str);
    let (name, format) = match file.rsplit_once('.') {
        Some((name, "csv")) => (name, Format::Csv),
        Some((name, "geojson")) => (name, Format::GeoJson),
        _ => {
            return refusal(
                StatusCode::NOT_FOUND,
                code::NOT_FOUND,
                &format!("no export {file}: ask for {{dataset}}.csv or {{dataset}}.geojson"),
            );
        }
    };
    let caller = match authenticate(&state, path.get("token"), &headers).await {
        Ok(c) => c,
        Err(r) => return *r,
    };
    let request = Request {
        state,
        caller,
        query,
        headers,
        format,
    };
    match name {
        datasets::Sites::NAME => serve::<datasets::Sites>(request).await,
        datasets::Assessments::NAME => serve::<datasets::Assessments>(request).await,
        datasets::Distributions::NAME => serve::<datasets::Distributions>(request).await,
        datasets::Movements::NAME => serve::<datasets::Movements>(request).await,
        datasets::Balances::NAME => serve::<datasets::Balances>(request).await,
        datasets::ByCell::NAME => serve::<datasets::ByCell>(request).await,
        datasets::ByAdmin::NAME => serve::<datasets::ByAdmin>(request).await,
        datasets::Activities::NAME => serve::<datasets::Activities>(request).await,
        datasets::Undistributed::NAME => serve::<datasets::Undistributed>(request).await,
        datasets::Stale::NAME => serve::<datasets::Stale>(request).await,
        datasets::Spikes::NAME => serve::<datasets::Spikes>(request).await,
        _ => refusal(
            StatusCode::NOT_FOUND,
            code::NOT_FOUND,
            &format!("no dataset {name}; exports: {}", datasets::NAMES.join(", ")),
        ),
    }
}

/// An authenticated export request.
#[derive(Debug)]
struct Request {
    state: AppState,
    caller: Caller,
    query: Option<String>,
    headers: HeaderMap,
    format: Format,
}

/// The caller from the token in the path, else from `Authorization: Bearer`.
async fn authenticate(
    state: &AppState,
    in_path: Option<&String>,
    headers: &HeaderMap,
) -> Result<Caller, Box<Response>> {
    let unauthenticated = |m: &str| {
        let mut r = refusal(StatusCode::UNAUTHORIZED, code::UNAUTHENTICATED, m);
        r.headers_mut()
            .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        Box::new(r)
    };
    let token = match in_path {
        Some(t) => t.trim().to_owned(),
        None => {
            let value = headers
                .get(header::AUTHORIZATION)
                .and_then(|v| v.to_str().ok())
                .map(str::trim);
            match value.and_then(|v| v.split_once(' ')) {
                Some((scheme, t)) if scheme.eq_ignore_ascii_case("bearer") => t.trim().to_owned(),
                _ if value.is_some() => {
                    return Err(unauthenticated(
                        "the Authorization header must be `Bearer <token>`",
                    ));
                }
                _ => String::new(),
            }
        }
    };
    if token.is_empty() {
        return Err(unauthenticated(
            "send `Authorization: Bearer <token>` or use /key/<token>/export/...; ask an administrator for a token",
        ));
    }
    match state.check_token(&hash_token(&token)).await {
        Ok(TokenStatus::Live { caller, .. }) => Ok(caller),
        Ok(_) => Err(unauthenticated("the token is unknown, revoked or expired")),
        Err(e) => Err(Box::new(storage_refusal(e))),
    }
}

async fn serve<D: Dataset>(request: Request) -> Response {
    let span = tracing::info_span!(
        "export",
        dataset = D::NAME,
        format = ?request.format,
        account = %request.caller.account_id,
    );
    prepare::<D>(request)
        .instrument(span.clone())
        .await
        .unwrap_or_else(|r| *r)
}

async fn prepare<D: Dataset>(request: Request) -> Result<Response, Box<Response>> {
    let Request {
        state,
        caller,
        query,
        headers,
        format,
    } = request;
    if format == Format::GeoJson && !D::GEOJSON {
        return Err(Box::new(refusal(
            StatusCode::NOT_FOUND,
            code::NOT_FOUND,
            &format!("{} has no GeoJSON form; ask for {}.csv", D::NAME, D::NAME),
        )));
    }
    let cx = Cx {
        db: state.db.clone(),
        caller,
        min_households: state.settings.policy().min_households_shown,
        page_rows: u64::from(state.settings.export_page_rows.max(1)),
    };
    if !D::allowed(cx.scope()) {
        return Err(Box::new(refusal(
            StatusCode::FORBIDDEN,
            code::FORBIDDEN,
            &format!("a {} account may not export {}", cx.caller.role, D::NAME),
        )));
    }
    let mut params = Params::parse(query.as_deref()).map_err(|e| Box::new(invalid(&e)))?;
    let normalized = params.normalized();
    let filter = D::filter(&mut params, &cx)
        .await
        .map_err(|e| Box::new(storage_refusal(e)))?;
    params.finish().map_err(|e| Box::new(invalid(&e)))?;
    let version = crate::storage::exports::data_version(&cx.db)
        .await
        .map_err(|e| Box::new(storage_refusal(e)))?;
    let etag = etag(&cx, D::NAME, format, &normalized, &version);
    if matches_etag(&headers, &etag) {
        let mut r = StatusCode::NOT_MODIFIED.into_response();
        set_cache_headers(r.headers_mut(), &etag);
        return Ok(r);
    }
    let columns = D::columns(&filter);
    let head = match format {
        Format::Csv => format::csv_header(&columns).map_err(|e| Box::new(encode_refusal(&e)))?,
        Format::GeoJson => format::GEOJSON_HEAD.as_bytes().to_vec(),
    };
    let body = Body::from_stream(rows_stream::<D>(cx, filter, columns, format, head));
    let (content_type, ext) = match format {
        Format::Csv => ("text/csv; charset=utf-8; header=present", "csv"),
        Format::GeoJson => ("application/geo+json", "geojson"),
    };
    let filename = format!(
        "camptrack-{}-{}.{ext}",
        D::NAME,
        chrono::Utc::now().format("%Y%m%d")
    );
    let mut response = Response::new(body);
    let h = response.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"{filename}\"")) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    set_cache_headers(h, &etag);
    tracing::info!("export started");
    Ok(response)
}

/// Where the stream is.
enum Stage<C> {
    Head(Vec<u8>),
    Rows(Option<C>),
    Tail,
    Done,
}

struct Streaming<D: Dataset> {
    cx: Cx,
    filter: D::Filter,
    columns: Vec<Column<D::Row>>,
    format: Format,
    stage: Stage<D::Cursor>,
    rows: u64,
    span: tracing::Span,
}

fn rows_stream<D: Dataset>(
    cx: Cx,
    filter: D::Filter,
    columns: Vec<Column<D::Row>>,
    format: Format,
    head: Vec<u8>,
) -> impl futures_util::Stream<Item = Result<Bytes, std::io::Error>> + Send {
    let state = Streaming::<D> {
        cx,
        filter,
        columns,
        format,
        stage: Stage::Head(head),
        rows: 0,
        span: tracing::Span::current(),
    };
    stream::try_unfold(state, |mut st| async move {
        loop {
            match std::mem::replace(&mut st.stage, Stage::Done) {
                Stage::Head(bytes) => {
                    st.stage = Stage::Rows(None);
                    return Ok(Some((Bytes::from(bytes), st)));
                }
                Stage::Rows(after) => {
                    let span = st.span.clone();
                    let (rows, next) = D::page(&st.cx, &st.filter, after)
                        .instrument(span.clone())
                        .await
                        .map_err(|e| {
                            span.in_scope(|| tracing::error!(error = %e, "export cut short"));
                            std::io::Error::other("export cut short")
                        })?;
                    let first_feature = st.rows == 0;
                    st.rows += rows.len() as u64;
                    st.stage = match next {
                        Some(c) => Stage::Rows(Some(c)),
                        None => Stage::Tail,
                    };
                    if rows.is_empty() {
                        continue;
                    }
                    let bytes = match st.format {
                        Format::Csv => {
                            format::csv_rows(&st.columns, &rows).map_err(std::io::Error::other)?
                        }
                        Format::GeoJson => {
                            format::geojson_rows(&st.columns, &rows, D::geometry, first_feature)
                                .map_err(std::io::Error::other)?
                        }
                    };
                    return Ok(Some((Bytes::from(bytes), st)));
                }
                Stage::Tail => {
                    st.span
                        .in_scope(|| tracing::info!(rows = st.rows, "export finished"));
                    if st.format == Format::GeoJson {
                        return Ok(Some((
                            Bytes::from_static(format::GEOJSON_TAIL.as_bytes()),
                            st,
                        )));
                    }
                }
                Stage::Done => return Ok(None),
            }
        }
    })
}

/// The entity tag: a SHA-256 over the data version (see
/// [`crate::storage::exports::data_version`]), today's date (the default of `asOf` and of
/// which sites are open), the dataset, format and normalized query, and everything the
/// caller's scope depends on (account, role, organisation, area, the suppression threshold).
fn etag(cx: &Cx, dataset: &str, format: Format, query: &str, version: &str) -> String {
    let c = &cx.caller;
    let mut h = Sha256::new();
    for part in [
        version.to_owned(),
        crate::storage::displacement::today().to_string(),
        dataset.to_owned(),
        format!("{format:?}"),
        query.to_owned(),
        c.account_id.to_string(),
        c.role.to_string(),
        format!("{:?}", c.organisation_id),
        format!("{:?}", c.area),
        cx.min_households.to_string(),
    ] {
        h.update(part.as_bytes());
        h.update([0]);
    }
    format!("\"{}\"", hex::encode(&h.finalize()[..16]))
}

/// Whether `If-None-Match` names `etag` (or is `*`); weak tags compare by their opaque part.
fn matches_etag(headers: &HeaderMap, etag: &str) -> bool {
    headers
        .get_all(header::IF_NONE_MATCH)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .any(|tag| tag == "*" || tag.trim_start_matches("W/") == etag)
}

fn set_cache_headers(h: &mut HeaderMap, etag: &str) {
    if let Ok(v) = HeaderValue::from_str(etag) {
        h.insert(header::ETAG, v);
    }
    // Scoped answers: never shared by a proxy, always revalidated.
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, no-cache"),
    );
    h.insert(header::VARY, HeaderValue::from_static("Authorization"));
}

/// A JSON error body: `code` (as GraphQL's `extensions.code`), `message`, and for bad input
/// the first `field` and `reason` and every one in `fields`.
fn refusal(status: StatusCode, code: &str, message: &str) -> Response {
    let body = json!({ "code": code, "message": message });
    (status, axum::Json(body)).into_response()
}

fn invalid(err: &Invalid) -> Response {
    let fields: Vec<_> = err
        .0
        .iter()
        .map(|f| json!({ "field": f.path, "reason": f.reason }))
        .collect();
    let first = err.0.first();
    let body = json!({
        "code": code::BAD_USER_INPUT,
        "message": err.to_string(),
        "field": first.map(|f| f.path.clone()),
        "reason": first.map(|f| f.reason.clone()),
        "fields": fields,
    });
    (StatusCode::BAD_REQUEST, axum::Json(body)).into_response()
}

fn encode_refusal(err: &dyn std::fmt::Display) -> Response {
    tracing::error!(error = %err, "export encoding failed");
    internal()
}

fn internal() -> Response {
    let request_id = crate::telemetry::current_request_id().unwrap_or_default();
    let body = json!({
        "code": code::INTERNAL,
        "message": format!("internal error (request {request_id})"),
        "requestId": request_id,
    });
    (StatusCode::INTERNAL_SERVER_ERROR, axum::Json(body)).into_response()
}

/// Maps a storage error as the GraphQL layer does (internals logged, never shown).
fn storage_refusal(err: StorageError) -> Response {
    match err {
        StorageError::Invalid(e) => invalid(&e),
        StorageError::NotFound { entity, id } => refusal(
            StatusCode::NOT_FOUND,
            code::NOT_FOUND,
            &format!("{entity} {id} not found"),
        ),
        StorageError::Forbidden(m) => refusal(StatusCode::FORBIDDEN, code::FORBIDDEN, &m),
        StorageError::Conflict { message, .. } => {
            refusal(StatusCode::CONFLICT, code::CONFLICT, &message)
        }
        StorageError::Limit(m) => refusal(StatusCode::BAD_REQUEST, code::LIMIT_EXCEEDED, &m),
        StorageError::Unavailable(cause) => {
            tracing::warn!(error = %cause, "database unavailable");
            refusal(
                StatusCode::SERVICE_UNAVAILABLE,
                code::INTERNAL,
                "the database is unavailable right now; try again shortly",
            )
        }
        StorageError::Db(cause) => {
            tracing::error!(error = %cause, "database error");
            internal()
        }
    }
}
