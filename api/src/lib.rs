//! The camptrack server: configuration, telemetry, auth, storage, GraphQL and HTTP.
//!
//! [`app`] builds the router from an [`AppState`]; `main` binds the configured address and
//! tests bind `127.0.0.1:0`, both through [`serve`].

pub mod auth;
pub mod config;
pub mod demo;
pub mod graphql;
pub mod http;
pub mod live;
pub mod run;
pub mod storage;
pub mod telemetry;
pub mod tls;
pub mod webhooks;

use std::future::Future;

pub use http::{AppState, app};
use tokio::net::TcpListener;

/// Serves `state` on `listener` until `shutdown` resolves, then finishes in-flight requests
/// (writes in progress commit and are answered). Speaks HTTPS when the settings name a TLS
/// certificate and key. The webhook delivery worker runs beside it (unless disabled) and
/// stops with it.
/// The audit sealer ([`storage::seal`]) runs beside it meanwhile.
pub async fn serve(
    listener: TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let tls = match (&state.settings.tls_cert, &state.settings.tls_key) {
        (Some(cert), Some(key)) => Some(tls::config(cert, key)?),
        _ => None,
    };
    let sealer = tokio::spawn(storage::seal::run_sealer(
        state.db.clone(),
        state.settings.audit_seal_interval(),
    ));
    let hooks = state.settings.webhook_settings();
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let worker = hooks.enabled.then(|| {
        tokio::spawn(webhooks::worker::run(
            state.db.clone(),
            hooks.clone(),
            stopped,
        ))
    });
    let shutdown = async move {
        shutdown.await;
        let _ = stop.send(true);
    };
    let app = app(state).into_make_service_with_connect_info::<http::ClientAddr>();
    let served = match tls {
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
    };
    sealer.abort();
    if let Some(worker) = worker {
        // An attempt in flight finishes (bounded by its timeout) or is retried later.
        let _ = tokio::time::timeout(hooks.lease(), worker).await;
    }
    served
}
