//! `/metrics` in the Prometheus (OpenMetrics) text format: requests by route, method and
//! status class, errors by `extensions.code`, a latency histogram per route, requests in
//! flight, the database pool (size, idle, in use, max) and the process's resident memory.
//! Figures are per process: scrape every process behind the load balancer.

use std::time::Instant;

use axum::extract::{MatchedPath, Request, State};
use axum::http::{StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::{Family, MetricConstructor};
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;
use sea_orm::{DatabaseConnection, DbBackend};

use super::AppState;
use crate::config::MetricsAccess;

/// The `extensions.code` values of an answer's errors, left on the response by whoever
/// wrote them so the metrics can count them.
#[derive(Debug, Clone, Default)]
pub(crate) struct ErrorCodes(pub Vec<String>);

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RequestLabels {
    route: String,
    method: String,
    status: String,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RouteLabels {
    route: String,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct CodeLabels {
    code: String,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct PoolLabels {
    state: String,
}

#[derive(Debug, Clone, Copy)]
struct LatencyBuckets;

impl MetricConstructor<Histogram> for LatencyBuckets {
    fn new_metric(&self) -> Histogram {
        // 5 ms .. about 41 s.
        Histogram::new(exponential_buckets(0.005, 2.0, 14))
    }
}

/// The process's metrics.
#[derive(Debug)]
pub struct Metrics {
    registry: Registry,
    requests: Family<RequestLabels, Counter>,
    errors: Family<CodeLabels, Counter>,
    latency: Family<RouteLabels, Histogram, LatencyBuckets>,
    in_flight: Gauge,
    pool: Family<PoolLabels, Gauge>,
    rss: Gauge,
    peak_rss: Gauge,
}

impl Metrics {
    /// Registers every metric for a server over `db`.
    pub fn new(db: &DatabaseConnection) -> Self {
        let max_connections = pool_max(db);
        let mut registry = Registry::with_prefix("camptrack");
        let requests = Family::<RequestLabels, Counter>::default();
        registry.register(
            "http_requests",
            "HTTP requests answered, by matched route, method and status class (2xx..5xx)",
            requests.clone(),
        );
        let errors = Family::<CodeLabels, Counter>::default();
        registry.register(
            "errors",
            "Errors answered, by extensions.code (GraphQL errors and refusals before any handler)",
            errors.clone(),
        );
        let latency = Family::new_with_constructor(LatencyBuckets);
        registry.register(
            "http_request_duration_seconds",
            "Time from request to response headers, by matched route",
            latency.clone(),
        );
        let in_flight = Gauge::default();
        registry.register(
            "http_requests_in_flight",
            "Requests being served now",
            in_flight.clone(),
        );
        let pool = Family::<PoolLabels, Gauge>::default();
        registry.register(
            "db_pool_connections",
            "Open database connections, by state (idle, in_use)",
            pool.clone(),
        );
        let pool_max: Gauge = Gauge::default();
        pool_max.set(i64::from(max_connections));
        registry.register(
            "db_pool_max_connections",
            "Most connections the pool opens (CAMPTRACK_DB_MAX_CONNECTIONS)",
            pool_max.clone(),
        );
        let rss = Gauge::default();
        registry.register(
            "process_resident_memory_bytes",
            "Resident memory of this process (Linux: VmRSS)",
            rss.clone(),
        );
        let peak_rss = Gauge::default();
        registry.register(
            "process_peak_resident_memory_bytes",
            "Highest resident memory of this process so far (Linux: VmHWM)",
            peak_rss.clone(),
        );
        Self {
            registry,
            requests,
            errors,
            latency,
            in_flight,
            pool,
            rss,
            peak_rss,
        }
    }

    /// The text exposition, with pool and memory figures read now.
    fn render(&self, db: &DatabaseConnection) -> String {
        let (size, idle) = pool_figures(db);
        self.pool
            .get_or_create(&PoolLabels {
                state: "idle".into(),
            })
            .set(idle);
        self.pool
            .get_or_create(&PoolLabels {
                state: "in_use".into(),
            })
            .set(size - idle);
        if let Some((rss, peak)) = memory() {
            self.rss.set(rss);
            self.peak_rss.set(peak);
        }
        let mut out = String::new();
        if prometheus_client::encoding::text::encode(&mut out, &self.registry).is_err() {
            out.clear();
        }
        out
    }
}

/// The pool's configured ceiling.
fn pool_max(db: &DatabaseConnection) -> u32 {
    match db.get_database_backend() {
        DbBackend::Postgres => db
            .get_postgres_connection_pool()
            .options()
            .get_max_connections(),
        DbBackend::Sqlite => db
            .get_sqlite_connection_pool()
            .options()
            .get_max_connections(),
        _ => 0,
    }
}

/// (open connections, idle connections) of the pool.
fn pool_figures(db: &DatabaseConnection) -> (i64, i64) {
    let (size, idle) = match db.get_database_backend() {
        DbBackend::Postgres => {
            let pool = db.get_postgres_connection_pool();
            (pool.size(), pool.num_idle())
        }
        DbBackend::Sqlite => {
            let pool = db.get_sqlite_connection_pool();
            (pool.size(), pool.num_idle())
        }
        _ => (0, 0),
    };
    let idle = i64::try_from(idle).unwrap_or(i64::MAX);
    (i64::from(size), idle)
}

/// (resident, peak resident) bytes of this process, where the system says (Linux).
pub fn memory() -> Option<(i64, i64)> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let field = |name: &str| -> Option<i64> {
        let line = status.lines().find(|l| l.starts_with(name))?;
        let kb: i64 = line.split_whitespace().nth(1)?.parse().ok()?;
        Some(kb * 1024)
    };
    Some((field("VmRSS:")?, field("VmHWM:")?))
}

/// Counts every request: route, status class, latency, error codes.
pub(super) async fn record(
    State(state): State<AppState>,
    request: Request,
    next: Next,
) -> Response {
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_owned(), |p| p.as_str().to_owned());
    let method = request.method().as_str().to_owned();
    let metrics = &state.metrics;
    metrics.in_flight.inc();
    let started = Instant::now();
    let response = next.run(request).await;
    metrics.in_flight.dec();
    let status = format!("{}xx", response.status().as_u16() / 100);
    metrics
        .latency
        .get_or_create(&RouteLabels {
            route: route.clone(),
        })
        .observe(started.elapsed().as_secs_f64());
    metrics
        .requests
        .get_or_create(&RequestLabels {
            route,
            method,
            status,
        })
        .inc();
    if let Some(codes) = response.extensions().get::<ErrorCodes>() {
        for code in &codes.0 {
            metrics
                .errors
                .get_or_create(&CodeLabels { code: code.clone() })
                .inc();
        }
    }
    response
}

/// `GET /metrics`.
pub(super) async fn serve(State(state): State<AppState>, request: Request) -> Response {
    let allowed = match state.settings.metrics {
        MetricsAccess::Off => false,
        MetricsAccess::Open => true,
        MetricsAccess::Loopback => {
            let forwarded = ["forwarded", "x-forwarded-for", "x-real-ip"]
                .iter()
                .any(|h| request.headers().contains_key(*h));
            !forwarded
                && super::throttle::client_addr(&request).is_some_and(|a| a.ip().is_loopback())
        }
    };
    if !allowed {
        return StatusCode::NOT_FOUND.into_response();
    }
    (
        [(
            header::CONTENT_TYPE,
            "application/openmetrics-text; version=1.0.0; charset=utf-8",
        )],
        state.metrics.render(&state.db),
    )
        .into_response()
}
