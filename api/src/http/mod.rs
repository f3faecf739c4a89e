//! HTTP: the router, the GraphQL-over-HTTP handler, health checks, GraphiQL, exports and
//! OpenRosa.

mod export;
mod graphiql;
mod graphql;
mod health;
pub mod openrosa;
mod request;

pub use request::redact_path;

use std::sync::Arc;

use axum::Router;
use axum::routing::get;
use sea_orm::DatabaseConnection;
use tower_http::timeout::TimeoutLayer;

use crate::config::ServeArgs;
use crate::graphql::CamptrackSchema;

/// What every handler shares. Cheap to clone; holds no per-process state that would break
/// with a second process beside it.
#[derive(Clone)]
pub struct AppState {
    /// The database pool.
    pub db: DatabaseConnection,
    /// The GraphQL schema.
    pub schema: CamptrackSchema,
    /// Server settings.
    pub settings: Arc<ServeArgs>,
}

impl std::fmt::Debug for AppState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AppState")
            .field("settings", &self.settings)
            .finish_non_exhaustive()
    }
}

impl AppState {
    /// Builds the state: the schema over `db` with `settings`' limits.
    pub fn new(db: DatabaseConnection, settings: ServeArgs) -> Self {
        let schema =
            crate::graphql::schema(db.clone(), settings.policy(), &settings.schema_limits());
        Self {
            db,
            schema,
            settings: Arc::new(settings),
        }
    }
}

/// The whole application.
pub fn app(state: AppState) -> Router {
    let timeout = state.settings.request_timeout();
    let openrosa = openrosa::router(&state);
    Router::new()
        .route("/graphql", get(graphql::get).post(graphql::post))
        .nest("/openrosa", openrosa.clone())
        .nest("/key/{token}/openrosa", openrosa)
        .route("/export/{file}", get(export::download))
        .route("/key/{token}/export/{file}", get(export::download))
        .route("/graphiql/{file}", get(graphiql::asset))
        .route("/healthz", get(health::healthz))
        .route("/readyz", get(health::readyz))
        .route("/", get(graphiql::home))
        .layer(TimeoutLayer::with_status_code(
            axum::http::StatusCode::GATEWAY_TIMEOUT,
            timeout,
        ))
        .layer(axum::middleware::from_fn(request::context))
        .with_state(state)
}
