//! The camptrack server: configuration, telemetry, auth, storage, GraphQL and HTTP.
//!
//! [`app`] builds the router from an [`AppState`]; `main` binds the configured address and
//! tests bind `127.0.0.1:0`, both through [`serve`].

pub mod auth;
pub mod config;
pub mod demo;
pub mod graphql;
pub mod http;
pub mod run;
pub mod storage;
pub mod telemetry;
pub mod tls;

use std::future::Future;

pub use http::{AppState, app};
use tokio::net::TcpListener;

/// Serves `state` on `listener` until `shutdown` resolves, then finishes in-flight requests
/// (writes in progress commit and are answered). Speaks HTTPS when the settings name a TLS
/// certificate and key.
pub async fn serve(
    listener: TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let tls = match (&state.settings.tls_cert, &state.settings.tls_key) {
        (Some(cert), Some(key)) => Some(tls::config(cert, key)?),
        _ => None,
    };
    let app = app(state).into_make_service_with_connect_info::<http::ClientAddr>();
    match tls {
        Some(config) => {
            axum::serve(tls::TlsListener::new(listener, config)?, app)
                .with_graceful_shutdown(shutdown)
                .await
        }
        None => {
            axum::serve(listener, app)
                .with_graceful_shutdown(shutdown)
                .await
        }
    }
}
