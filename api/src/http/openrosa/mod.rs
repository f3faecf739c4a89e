//! OpenRosa for ODK Collect, KoboCollect and Enketo: form list, form and media download,
//! submission, and media download for entitled callers.
//!
//! The same routes answer under two bases:
//! - `/openrosa/...` with HTTP Basic whose password is a camptrack token (the user name is
//!   not checked: the token alone names the account; `Authorization: Bearer` works too);
//! - `/key/<token>/openrosa/...`, the token in the URL as ODK Central does, for devices
//!   configured by QR code or a single URL. Such paths are redacted in logs.
//!
//! A caller is scoped exactly as over GraphQL. Every response carries
//! `X-OpenRosa-Version: 1.0`, `X-OpenRosa-Accept-Content-Length`, `Date` and
//! `Content-Language`; documents and errors are `text/xml; charset=utf-8`.

mod instance;
#[cfg(test)]
mod instance_fuzz;
mod mapping;
mod submission;
pub mod xforms;

use std::collections::HashMap;
use std::fmt::Write as _;

use axum::Router;
use axum::body::Body;
use axum::extract::{
    DefaultBodyLimit, FromRequest, FromRequestParts, Path, Query, RawPathParams, Request, State,
};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use base64::Engine as _;
use camptrack_domain::access::Write as Permission;
use camptrack_domain::codes::OperationalStatus;
use futures_util::StreamExt as _;
use sea_orm::ConnectionTrait;

use super::AppState;
use crate::auth::{Caller, ClientApp, hash_token};
use crate::storage::openrosa::IncomingAttachment;
use crate::storage::page::PageRequest;
use crate::storage::scope::Scope;
use crate::storage::{StorageError, catalogue, sites, warehouses};
use xforms::{ASSESSMENT_FORM, DISTRIBUTION_FORM, Generated, SITES_CSV, WAREHOUSES_CSV, escape};

const XML: &str = "text/xml; charset=utf-8";
const RESPONSE_NS: &str = "http://openrosa.org/http/response";
/// How much of an oversized body is read (and dropped) before answering 413, so that a
/// device gets the answer instead of a broken connection.
const DRAIN_FACTOR: usize = 4;

/// The OpenRosa routes, mounted under `/openrosa` and `/key/{token}/openrosa`.
pub(super) fn router(state: &AppState) -> Router<AppState> {
    Router::new()
        .route("/formList", get(form_list))
        .route("/forms/{id}", get(form_download))
        .route("/forms/{id}/manifest", get(manifest))
        .route("/forms/{id}/media/{file}", get(media))
        .route("/submission", get(preflight).head(preflight).post(submit))
        .route("/attachments/{id}", get(attachment))
        .fallback(|| async { Reply::error(StatusCode::NOT_FOUND, "no such OpenRosa resource") })
        // The submission handler reads the body itself, under its own limit.
        .layer(DefaultBodyLimit::disable())
        .layer(axum::middleware::from_fn_with_state(state.clone(), headers))
}

/// An OpenRosa answer: a status and an `OpenRosaResponse` message.
#[derive(Debug)]
pub(super) struct Reply {
    status: StatusCode,
    nature: &'static str,
    message: String,
}

impl Reply {
    fn created(message: String) -> Self {
        Self {
            status: StatusCode::CREATED,
            nature: "submit_success",
            message,
        }
    }

    fn error(status: StatusCode, message: impl Into<String>) -> Self {
        Self {
            status,
            nature: "error",
            message: message.into(),
        }
    }
}

impl IntoResponse for Reply {
    fn into_response(self) -> Response {
        let body = format!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<OpenRosaResponse xmlns=\"{RESPONSE_NS}\" items=\"0\"><message nature=\"{}\">{}</message></OpenRosaResponse>\n",
            self.nature,
            escape(&self.message)
        );
        let mut response = (self.status, [(header::CONTENT_TYPE, XML)], body).into_response();
        if self.status == StatusCode::UNAUTHORIZED {
            response.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Basic realm=\"camptrack\", charset=\"UTF-8\""),
            );
        }
        response
    }
}

/// Adds the OpenRosa headers to every answer, and refuses an `X-OpenRosa-Version` other
/// than 1.0 (a missing one is accepted: browsers and scripts do not send it).
async fn headers(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let version = request
        .headers()
        .get("x-openrosa-version")
        .map(|v| v.to_str().unwrap_or("").trim().to_owned());
    let mut response = match version {
        Some(v) if v != "1.0" => Reply::error(
            StatusCode::BAD_REQUEST,
            format!("X-OpenRosa-Version {v} is not supported; this server speaks 1.0"),
        )
        .into_response(),
        _ => next.run(request).await,
    };
    let h = response.headers_mut();
    h.insert("x-openrosa-version", HeaderValue::from_static("1.0"));
    h.insert(
        "x-openrosa-accept-content-length",
        HeaderValue::from(state.settings.openrosa_max_submission_bytes),
    );
    if let Ok(date) = HeaderValue::from_str(
        &chrono::Utc::now()
            .format("%a, %d %b %Y %H:%M:%S GMT")
            .to_string(),
    ) {
        h.insert(header::DATE, date);
    }
    h.insert(header::CONTENT_LANGUAGE, HeaderValue::from_static("en"));
    response
}

/// An authenticated device (or person) and the base URL it reached camptrack through.
#[derive(Debug)]
struct Device {
    caller: Caller,
    /// e.g. `https://host/key/ct_.../openrosa` or `https://host/openrosa`.
    base: String,
}

impl FromRequestParts<AppState> for Device {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Response> {
        let unauthorized = |m: &str| Reply::error(StatusCode::UNAUTHORIZED, m).into_response();
        let params = RawPathParams::from_request_parts(parts, state).await.ok();
        let in_path = params.as_ref().and_then(|p| {
            p.iter()
                .find(|(k, _)| *k == "token")
                .map(|(_, v)| v.to_owned())
        });
        let (token, prefix) = match in_path {
            Some(token) => {
                let prefix = format!("/key/{token}/openrosa");
                (token, prefix)
            }
            None => {
                let token = credentials(&parts.headers).ok_or_else(|| {
                    unauthorized("sign in: the user name is yours to choose, the password is your camptrack token")
                })?;
                (token, "/openrosa".to_owned())
            }
        };
        let caller = match state.check_token(&hash_token(&token)).await {
            Ok(status) => status
                .into_caller()
                .map_err(|err| unauthorized(&err.to_string()))?,
            Err(e) => return Err(storage_error(e).into_response()),
        };
        let base = format!("{}{prefix}", public_base(state, &parts.headers));
        Ok(Self { caller, base })
    }
}

/// The token from `Authorization: Basic` (the password; the user name when the password
/// is empty) or `Authorization: Bearer`.
fn credentials(headers: &HeaderMap) -> Option<String> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?.trim();
    let (scheme, rest) = value.split_once(' ')?;
    let token = if scheme.eq_ignore_ascii_case("basic") {
        let decoded = base64::engine::general_purpose::STANDARD
            .decode(rest.trim())
            .ok()?;
        let decoded = String::from_utf8(decoded).ok()?;
        let (user, password) = decoded.split_once(':').unwrap_or((&decoded, ""));
        if password.is_empty() { user } else { password }.to_owned()
    } else if scheme.eq_ignore_ascii_case("bearer") {
        rest.trim().to_owned()
    } else {
        return None;
    };
    (!token.is_empty()).then_some(token)
}

/// `scheme://host` as devices reach the server.
fn public_base(state: &AppState, headers: &HeaderMap) -> String {
    if let Some(url) = &state.settings.public_url {
        return url.trim_end_matches('/').to_owned();
    }
    let text = |name: header::HeaderName| headers.get(name).and_then(|v| v.to_str().ok());
    let host = text(header::HOST)
        .map(str::to_owned)
        .unwrap_or_else(|| state.settings.listen.to_string());
    let scheme = headers
        .get("x-forwarded-proto")
        .and_then(|v| v.to_str().ok())
        .filter(|p| *p == "https")
        .unwrap_or("http");
    format!("{scheme}://{host}")
}

fn storage_error(e: StorageError) -> Reply {
    match e {
        StorageError::NotFound { .. } => Reply::error(StatusCode::NOT_FOUND, "not found"),
        StorageError::Forbidden(m) => Reply::error(StatusCode::FORBIDDEN, m),
        StorageError::Unavailable(_) => {
            tracing::warn!(error = %e, "OpenRosa: database unavailable");
            Reply::error(
                StatusCode::SERVICE_UNAVAILABLE,
                "the server is busy; try again later",
            )
        }
        e => {
            tracing::error!(error = %e, "OpenRosa request failed");
            Reply::error(
                StatusCode::INTERNAL_SERVER_ERROR,
                "the server failed; try again later",
            )
        }
    }
}

fn xml_document(body: String) -> Response {
    (StatusCode::OK, [(header::CONTENT_TYPE, XML)], body).into_response()
}

/// Every page of a paged list.
async fn all_pages<T, F, Fut>(mut fetch: F) -> Result<Vec<T>, StorageError>
where
    F: FnMut(PageRequest) -> Fut,
    Fut: Future<Output = Result<crate::storage::page::Page<T>, StorageError>>,
    T: HasId,
{
    let mut out: Vec<T> = Vec::new();
    loop {
        let page = fetch(PageRequest {
            first: 500,
            after: out.last().map(HasId::id),
            with_total: false,
        })
        .await?;
        let more = page.has_next;
        out.extend(page.items);
        if !more {
            return Ok(out);
        }
    }
}

trait HasId {
    fn id(&self) -> uuid::Uuid;
}

impl HasId for sites::Site {
    fn id(&self) -> uuid::Uuid {
        self.id
    }
}

impl HasId for warehouses::Warehouse {
    fn id(&self) -> uuid::Uuid {
        self.id
    }
}

impl HasId for catalogue::Item {
    fn id(&self) -> uuid::Uuid {
        self.id
    }
}

impl HasId for catalogue::Kit {
    fn id(&self) -> uuid::Uuid {
        self.id
    }
}

/// The catalogue's items and kits as distribution goods.
pub(super) async fn catalogue_goods(
    db: &impl ConnectionTrait,
) -> Result<Vec<xforms::Goods>, StorageError> {
    let filter = catalogue::ItemFilter::default();
    let items = all_pages(|page| {
        let filter = &filter;
        async move { catalogue::list_items(db, filter, &page).await }
    })
    .await?;
    let kits = all_pages(|page| async move { catalogue::list_kits(db, &page).await }).await?;
    Ok(kits
        .into_iter()
        .map(|k| xforms::Goods {
            value: format!("kit:{}", k.code),
            label: xforms::Text {
                en: format!("{} (kit)", k.name_en),
                fr: format!("{} (kit)", k.name_fr),
            },
        })
        .chain(items.into_iter().map(|i| xforms::Goods {
            value: format!("item:{}", i.code),
            label: xforms::Text {
                en: i.name_en,
                fr: i.name_fr,
            },
        }))
        .collect())
}

/// The forms `caller` may fill: the site assessment for those who may submit assessments,
/// the distribution report for those who may record distributions.
async fn forms_for(state: &AppState, caller: &Caller) -> Result<Vec<Generated>, StorageError> {
    let mut forms = Vec::new();
    if caller.role.may(Permission::Assessments) {
        forms.push(xforms::generate(&xforms::assessment_spec()));
    }
    if caller.role.may(Permission::Distributions) {
        let goods = catalogue_goods(&state.db).await?;
        forms.push(xforms::generate(&xforms::distribution_spec(&goods)));
    }
    Ok(forms)
}

async fn form_of(state: &AppState, caller: &Caller, id: &str) -> Result<Generated, Reply> {
    forms_for(state, caller)
        .await
        .map_err(storage_error)?
        .into_iter()
        .find(|f| f.id == id)
        .ok_or_else(|| Reply::error(StatusCode::NOT_FOUND, format!("no form {id} for you")))
}

/// `GET formList`: the `xforms` document, only `formID` when given.
async fn form_list(
    State(state): State<AppState>,
    device: Device,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    let forms = match forms_for(&state, &device.caller).await {
        Ok(forms) => forms,
        Err(e) => return storage_error(e).into_response(),
    };
    let wanted = query.get("formID").map(String::as_str);
    let mut body = String::from(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<xforms xmlns=\"http://openrosa.org/xforms/xformsList\">",
    );
    for form in forms.iter().filter(|f| wanted.is_none_or(|w| w == f.id)) {
        let _ = write!(
            body,
            "<xform><formID>{id}</formID><name>{name}</name><version>{version}</version><hash>{hash}</hash><downloadUrl>{base}/forms/{id}.xml</downloadUrl><manifestUrl>{base}/forms/{id}/manifest</manifestUrl></xform>",
            id = escape(form.id),
            name = escape(&form.title),
            version = escape(&form.version),
            hash = form.hash,
            base = escape(&device.base),
        );
    }
    body.push_str("</xforms>\n");
    xml_document(body)
}

/// `GET forms/<id>.xml`: the XForm.
async fn form_download(
    State(state): State<AppState>,
    device: Device,
    Path(params): Path<HashMap<String, String>>,
) -> Response {
    let file = params.get("id").map(String::as_str).unwrap_or_default();
    let id = file.strip_suffix(".xml").unwrap_or(file);
    match form_of(&state, &device.caller, id).await {
        Ok(form) => xml_document(form.xml),
        Err(reply) => reply.into_response(),
    }
}

/// The CSV choice list `file`, filtered to what `caller` may see: open sites (in an
/// enumerator's area only), or the warehouses of the caller's organisation.
async fn media_csv(state: &AppState, caller: &Caller, file: &str) -> Result<String, Reply> {
    let scope = Scope::of(caller);
    let db = &state.db;
    match file {
        SITES_CSV => {
            let filter = sites::SiteFilter {
                statuses: vec![OperationalStatus::Open],
                ..Default::default()
            };
            let rows = all_pages(|page| {
                let filter = &filter;
                async move { sites::list(db, scope, filter, &page).await }
            })
            .await
            .map_err(storage_error)?;
            Ok(xforms::choices_csv(rows.into_iter().map(|s| {
                (s.code.clone(), format!("{} – {}", s.code, s.name))
            })))
        }
        WAREHOUSES_CSV => {
            let filter = warehouses::WarehouseFilter::default();
            let rows = all_pages(|page| {
                let filter = &filter;
                async move { warehouses::list(db, scope, filter, &page).await }
            })
            .await
            .map_err(storage_error)?;
            Ok(xforms::choices_csv(rows.into_iter().map(|w| {
                (w.code.clone(), format!("{} – {}", w.code, w.name))
            })))
        }
        other => Err(Reply::error(
            StatusCode::NOT_FOUND,
            format!("no media file {other}"),
        )),
    }
}

/// `GET forms/<id>/manifest`: the form's CSV files with their hashes.
async fn manifest(
    State(state): State<AppState>,
    device: Device,
    Path(params): Path<HashMap<String, String>>,
) -> Response {
    let id = params.get("id").map(String::as_str).unwrap_or_default();
    let form = match form_of(&state, &device.caller, id).await {
        Ok(form) => form,
        Err(reply) => return reply.into_response(),
    };
    let mut body = String::from(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<manifest xmlns=\"http://openrosa.org/xforms/xformsManifest\">",
    );
    for file in &form.media {
        let csv = match media_csv(&state, &device.caller, file).await {
            Ok(csv) => csv,
            Err(reply) => return reply.into_response(),
        };
        let _ = write!(
            body,
            "<mediaFile><filename>{file}</filename><hash>{hash}</hash><downloadUrl>{base}/forms/{id}/media/{file}</downloadUrl></mediaFile>",
            hash = xforms::md5_hash(csv.as_bytes()),
            base = escape(&device.base),
            id = escape(form.id),
        );
    }
    body.push_str("</manifest>\n");
    xml_document(body)
}

/// `GET forms/<id>/media/<file>`: one CSV file.
async fn media(
    State(state): State<AppState>,
    device: Device,
    Path(params): Path<HashMap<String, String>>,
) -> Response {
    let id = params.get("id").map(String::as_str).unwrap_or_default();
    let file = params.get("file").map(String::as_str).unwrap_or_default();
    let form = match form_of(&state, &device.caller, id).await {
        Ok(form) => form,
        Err(reply) => return reply.into_response(),
    };
    if !form.media.contains(&file) {
        return Reply::error(
            StatusCode::NOT_FOUND,
            format!("form {id} has no file {file}"),
        )
        .into_response();
    }
    match media_csv(&state, &device.caller, file).await {
        Ok(csv) => (
            StatusCode::OK,
            [(header::CONTENT_TYPE, "text/csv; charset=utf-8")],
            csv,
        )
            .into_response(),
        Err(reply) => reply.into_response(),
    }
}

/// `HEAD` (and `GET`) `submission`: 204 for an authenticated device, so it may send.
async fn preflight(_device: Device) -> Response {
    StatusCode::NO_CONTENT.into_response()
}

/// Why a body could not be read.
enum BodyError {
    TooLarge,
    Broken,
}

/// Reads the body up to `limit` bytes (chunked or not). Past the limit it keeps reading,
/// dropping what it reads, up to a few times the limit, so the device receives the 413.
async fn read_body(body: Body, limit: usize) -> Result<Vec<u8>, BodyError> {
    let mut stream = body.into_data_stream();
    let mut buf = Vec::new();
    let mut total = 0usize;
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(|_| BodyError::Broken)?;
        total = total.saturating_add(chunk.len());
        if total > limit {
            if total > limit.saturating_mul(DRAIN_FACTOR) {
                break;
            }
            continue;
        }
        buf.extend_from_slice(&chunk);
    }
    if total > limit {
        Err(BodyError::TooLarge)
    } else {
        Ok(buf)
    }
}

/// `POST submission`: `multipart/form-data` with an `xml_submission_file` part and media
/// parts (a bare `text/xml` or `application/xml` body is taken as the XML alone).
async fn submit(State(state): State<AppState>, device: Device, request: Request) -> Response {
    let (parts, body) = request.into_parts();
    let limit = state.settings.openrosa_max_submission_bytes;
    let declared = parts
        .headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    let too_large = || {
        Reply::error(
            StatusCode::PAYLOAD_TOO_LARGE,
            format!(
                "the submission is larger than {limit} bytes; send its photos in several parts"
            ),
        )
        .into_response()
    };
    if declared.is_some_and(|n| n > limit.saturating_mul(DRAIN_FACTOR)) {
        return too_large();
    }
    let bytes = match read_body(body, limit).await {
        Ok(bytes) => bytes,
        Err(BodyError::TooLarge) => return too_large(),
        Err(BodyError::Broken) => {
            return Reply::error(
                StatusCode::BAD_REQUEST,
                "the submission arrived incomplete; send it again",
            )
            .into_response();
        }
    };
    let text = |name: &str| parts.headers.get(name).and_then(|v| v.to_str().ok());
    let client = ClientApp::from_headers(
        text("x-client-app"),
        text(header::USER_AGENT.as_str()),
        text("x-device-id"),
    );
    let content_type = text(header::CONTENT_TYPE.as_str())
        .unwrap_or("")
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    let sent = match content_type.as_str() {
        "multipart/form-data" => {
            let request = Request::from_parts(parts, Body::from(bytes));
            match read_parts(request, &state).await {
                Ok((xml, files)) => submission::Sent { xml, files, client },
                Err(reply) => return reply.into_response(),
            }
        }
        "text/xml" | "application/xml" => submission::Sent {
            xml: bytes,
            files: Vec::new(),
            client,
        },
        _ => {
            return Reply::error(
                StatusCode::BAD_REQUEST,
                "send the submission as multipart/form-data with an xml_submission_file part",
            )
            .into_response();
        }
    };
    submission::receive(&state, &device.caller, sent)
        .await
        .into_response()
}

/// The XML part and the media parts of a multipart body.
async fn read_parts(
    request: Request,
    state: &AppState,
) -> Result<(Vec<u8>, Vec<IncomingAttachment>), Reply> {
    let bad = |m: String| Reply::error(StatusCode::BAD_REQUEST, m);
    let mut multipart = axum::extract::Multipart::from_request(request, state)
        .await
        .map_err(|e| {
            bad(format!(
                "the multipart body cannot be read: {}",
                e.body_text()
            ))
        })?;
    let mut xml: Option<Vec<u8>> = None;
    let mut files = Vec::new();
    loop {
        let field = match multipart.next_field().await {
            Ok(Some(field)) => field,
            Ok(None) => break,
            Err(e) => {
                return Err(bad(format!(
                    "the multipart body cannot be read: {}",
                    e.body_text()
                )));
            }
        };
        let name = field.name().unwrap_or_default().to_owned();
        let filename = field
            .file_name()
            .filter(|f| !f.is_empty())
            .map(str::to_owned)
            .unwrap_or_else(|| name.clone());
        let content_type = field
            .content_type()
            .unwrap_or("application/octet-stream")
            .to_owned();
        let bytes = field
            .bytes()
            .await
            .map_err(|e| bad(format!("the part {name} cannot be read: {}", e.body_text())))?
            .to_vec();
        if name == "xml_submission_file" {
            if xml.is_some() {
                return Err(bad("send exactly one xml_submission_file part".to_owned()));
            }
            xml = Some(bytes);
        } else {
            let filename = if name.is_empty() { filename } else { name };
            if filename.len() > 255 || filename.contains(['/', '\\']) || filename.starts_with('.') {
                return Err(bad(format!(
                    "{filename} is not a file name this server accepts"
                )));
            }
            files.push(IncomingAttachment {
                filename,
                content_type,
                bytes,
            });
        }
    }
    let xml =
        xml.ok_or_else(|| bad("the submission has no xml_submission_file part".to_owned()))?;
    Ok((xml, files))
}

/// `GET attachments/<id>`: a media file, for the coordinators and the submitting
/// organisation (anyone else: not found).
async fn attachment(
    State(state): State<AppState>,
    device: Device,
    Path(params): Path<HashMap<String, String>>,
) -> Response {
    let Some(id) = params.get("id").and_then(|v| uuid::Uuid::parse_str(v).ok()) else {
        return Reply::error(StatusCode::NOT_FOUND, "no such attachment").into_response();
    };
    match crate::storage::openrosa::attachment(&state.db, Scope::of(&device.caller), id).await {
        Ok(file) => {
            let content_type = HeaderValue::from_str(&file.info.content_type)
                .unwrap_or_else(|_| HeaderValue::from_static("application/octet-stream"));
            let safe: String = file
                .info
                .filename
                .chars()
                .map(|c| {
                    if c.is_ascii_alphanumeric() || "._-".contains(c) {
                        c
                    } else {
                        '_'
                    }
                })
                .collect();
            let disposition = HeaderValue::from_str(&format!("attachment; filename=\"{safe}\""))
                .unwrap_or_else(|_| HeaderValue::from_static("attachment"));
            (
                StatusCode::OK,
                [
                    (header::CONTENT_TYPE, content_type),
                    (header::CONTENT_DISPOSITION, disposition),
                ],
                file.bytes,
            )
                .into_response()
        }
        Err(e) => storage_error(e).into_response(),
    }
}

/// Where an attachment is downloaded, below either base.
pub fn attachment_path(id: uuid::Uuid) -> String {
    format!("/openrosa/attachments/{id}")
}

/// Forms and their ids, for the README and tests.
pub const FORMS: [&str; 2] = [ASSESSMENT_FORM, DISTRIBUTION_FORM];
