//! The coordinator dashboard at `/`: a static page built from `dashboard/` (Vite, TypeScript)
//! into `api/assets/dashboard/` and embedded here, so it works with no internet and the Rust
//! build needs no Node. It reads everything through the public GraphQL API with the user's
//! token, so every number it shows obeys the caller's role.
//!
//! File names are fixed; each answer carries a strong ETag (SHA-256 of the bytes) and
//! `Cache-Control: no-cache`, so a browser revalidates with `If-None-Match` and gets `304`.

use std::sync::OnceLock;

use axum::extract::Path;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use sha2::{Digest, Sha256};

/// One embedded file: its name under `/dashboard/`, media type and bytes.
struct Asset {
    name: &'static str,
    mime: &'static str,
    body: &'static [u8],
}

const INDEX: &str = "index.html";

const ASSETS: &[Asset] = &[
    Asset {
        name: INDEX,
        mime: "text/html; charset=utf-8",
        body: include_bytes!("../../assets/dashboard/index.html"),
    },
    Asset {
        name: "dashboard.js",
        mime: "text/javascript; charset=utf-8",
        body: include_bytes!("../../assets/dashboard/dashboard.js"),
    },
    Asset {
        name: "dashboard.css",
        mime: "text/css; charset=utf-8",
        body: include_bytes!("../../assets/dashboard/dashboard.css"),
    },
];

/// The page's Content-Security-Policy: everything from this origin, nothing inline.
const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; \
                   connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

/// Strong ETags of the assets, computed once.
fn etags() -> &'static [String] {
    static ETAGS: OnceLock<Vec<String>> = OnceLock::new();
    ETAGS.get_or_init(|| {
        ASSETS
            .iter()
            .map(|a| format!("\"{}\"", hex::encode(&Sha256::digest(a.body)[..16])))
            .collect()
    })
}

/// Answers one asset, or `304` when the browser already holds it.
fn serve(index: usize, headers: &HeaderMap) -> Response {
    let (asset, etag) = (&ASSETS[index], &etags()[index]);
    let fresh = headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim() == etag || t.trim() == "*"));
    let mut response = if fresh {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        ([(header::CONTENT_TYPE, asset.mime)], asset.body).into_response()
    };
    let h = response.headers_mut();
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    if let Ok(v) = HeaderValue::from_str(etag) {
        h.insert(header::ETAG, v);
    }
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    if asset.name == INDEX {
        h.insert(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(CSP),
        );
        h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
        h.insert(
            header::REFERRER_POLICY,
            HeaderValue::from_static("no-referrer"),
        );
    }
    response
}

/// `GET /`: the dashboard page.
pub(super) async fn page(headers: HeaderMap) -> Response {
    serve(0, &headers)
}

/// `GET /dashboard/{file}`: a dashboard asset.
pub(super) async fn asset(Path(file): Path<String>, headers: HeaderMap) -> Response {
    match ASSETS.iter().position(|a| a.name == file) {
        Some(i) => serve(i, &headers),
        None => StatusCode::NOT_FOUND.into_response(),
    }
}
