//! HTTP: the router, the GraphQL-over-HTTP handler, health checks, GraphiQL, exports,
//! OpenRosa and the dashboard, and the layers every route gets: request context, metrics,
//! security headers, CORS, the failed-authentication throttle, the concurrency limit and the
//! request timeout.

mod dashboard;
mod export;
mod graphiql;
mod graphql;
mod health;
mod load;
pub mod metrics;
pub mod openrosa;
mod request;
mod security;
pub mod throttle;
mod ws;

pub use load::Slots;
pub use metrics::Metrics;
pub use request::redact_path;
pub use throttle::{AuthThrottle, ClientAddr};

use std::sync::Arc;

use axum::Router;
use axum::middleware::from_fn_with_state;
use axum::routing::get;
use sea_orm::DatabaseConnection;

use crate::auth::TokenCache;
use crate::config::ServeArgs;
use crate::graphql::CamptrackSchema;
use crate::storage::accounts::TokenStatus;

/// What every handler shares. Cheap to clone; holds no per-process state that would break
/// with a second process beside it (the token cache is trusted for seconds at most).
#[derive(Clone)]
pub struct AppState {
    /// The database pool.
    pub db: DatabaseConnection,
    /// The GraphQL schema.
    pub schema: CamptrackSchema,
    /// Server settings.
    pub settings: Arc<ServeArgs>,
    /// The concurrency limit's slots (per process).
    pub slots: Arc<Slots>,
    /// Failed authentications per client address (per process).
    pub throttle: Arc<AuthThrottle>,
    /// This process's metrics.
    pub metrics: Arc<Metrics>,
    /// Wakes this process's live subscriptions.
    pub live: crate::live::LiveHub,
    /// Tokens found live moments ago (per process; shared with the schema, whose
    /// revocations clear it).
    pub tokens: Arc<TokenCache>,
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
        let tokens = Arc::new(TokenCache::default());
        let schema = crate::graphql::schema(
            db.clone(),
            settings.policy(),
            &settings.schema_limits(),
            Arc::clone(&tokens),
        );
        let throttle = AuthThrottle::new(
            settings.auth_failure_limit,
            std::time::Duration::from_secs(settings.auth_failure_window_secs),
        );
        let live = crate::live::LiveHub::new(db.clone(), settings.live());
        Self {
            slots: Arc::new(Slots::new(settings.max_concurrent_requests)),
            throttle: Arc::new(throttle),
            metrics: Arc::new(Metrics::new(&db)),
            db,
            schema,
            settings: Arc::new(settings),
            live,
            tokens,
        }
    }

    /// What the token with `token_hash` is, from the token cache or the database.
    pub async fn check_token(&self, token_hash: &str) -> crate::storage::Result<TokenStatus> {
        self.tokens.check(&self.db, token_hash).await
    }
}

/// The whole application. Routes go above the layers: `Router::layer` wraps the routes
/// present when it is called, so every route added there gets every layer.
pub fn app(state: AppState) -> Router {
    let openrosa = openrosa::router(&state);
    let cors = security::cors(&state.settings.cors_origins);
    let router = Router::new()
        .route("/graphql", get(graphql::get).post(graphql::post))
        .route("/graphql/ws", get(ws::upgrade))
        .nest("/openrosa", openrosa.clone())
        .nest("/key/{token}/openrosa", openrosa)
        .route("/export/{file}", get(export::download))
        .route("/key/{token}/export/{file}", get(export::download))
        .route("/graphiql/{file}", get(graphiql::asset))
        .route("/healthz", get(health::healthz))
        .route("/readyz", get(health::readyz))
        .route("/", get(dashboard::page))
        .route("/dashboard/{file}", get(dashboard::asset))
        .route("/metrics", get(metrics::serve))
        .layer(from_fn_with_state(
            state.live.clone(),
            ws::wake_after_writes,
        ))
        // Innermost first: the timeout runs inside the concurrency slot, so a timed-out
        // request frees its slot.
        .layer(from_fn_with_state(state.clone(), load::timeout))
        .layer(from_fn_with_state(state.clone(), load::limit))
        .layer(from_fn_with_state(state.clone(), throttle::throttle));
    let router = match cors {
        Some(cors) => router.layer(cors),
        None => router,
    };
    router
        .layer(from_fn_with_state(state.clone(), load::retry_hint))
        .layer(from_fn_with_state(state.clone(), security::headers))
        .layer(from_fn_with_state(state.clone(), metrics::record))
        .layer(axum::middleware::from_fn(request::context))
        .with_state(state)
}
