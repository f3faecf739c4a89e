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

use std::future::Future;

pub use http::{AppState, app};
use tokio::net::TcpListener;

/// Serves `state` on `listener` until `shutdown` resolves, then finishes in-flight requests.
/// The audit sealer ([`storage::seal`]) runs beside it meanwhile.
pub async fn serve(
    listener: TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let sealer = tokio::spawn(storage::seal::run_sealer(
        state.db.clone(),
        state.settings.audit_seal_interval(),
    ));
    let served = axum::serve(listener, app(state))
        .with_graceful_shutdown(shutdown)
        .await;
    sealer.abort();
    served
}
