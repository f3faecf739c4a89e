//! The bare axum handler: the same database reads as camptrack's `site(id)` and
//! `sites(area: cell, first: 50)`, with no GraphQL, no auth and no middleware in front,
//! served by this binary's hidden `bare-server` subcommand in its own process.

use std::io::Write as _;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::get;
use camptrack::storage::db;
use camptrack_geo::{Cell, Coordinates};
use sea_orm::{ConnectionTrait, DatabaseConnection, QueryResult, Statement, Value};
use serde_json::{Value as Json, json};
use uuid::Uuid;

use super::{ph, placeholders};
use crate::dataset;

/// What the bare server prints (then its address) once it listens.
pub const LISTENING: &str = "bare handler listening on ";

/// Sites a `sites` page holds.
pub const PAGE: usize = 50;

/// Serves until killed.
pub async fn serve(database_url: &str, max_connections: u32) -> Result<(), String> {
    let mut settings = dataset::settings(database_url);
    settings.max_connections = max_connections;
    let conn = db::connect(&settings)
        .await
        .map_err(|e| format!("bare handler: connecting: {e}"))?;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .map_err(|e| format!("bare handler: binding: {e}"))?;
    let addr = listener.local_addr().map_err(|e| e.to_string())?;
    {
        let mut out = std::io::stdout().lock();
        writeln!(out, "{LISTENING}{addr}")
            .and_then(|()| out.flush())
            .map_err(|e| format!("bare handler: saying where it listens: {e}"))?;
    }
    let router = axum::Router::new()
        .route("/site/{id}", get(site))
        .route("/sites/{cell}", get(sites_in_cell))
        .with_state(conn);
    axum::serve(listener, router)
        .await
        .map_err(|e| format!("bare handler: {e}"))
}

fn site_json(r: &QueryResult) -> Json {
    json!({
        "id": r.try_get::<Uuid>("", "id").ok(),
        "name": r.try_get::<String>("", "name").ok(),
        "households": r.try_get::<i64>("", "current_households").ok(),
        "individuals": r.try_get::<i64>("", "current_individuals").ok(),
    })
}

async fn site(State(conn): State<DatabaseConnection>, Path(id): Path<Uuid>) -> axum::Json<Json> {
    let b = conn.get_database_backend();
    let sql = format!(
        "SELECT id, name, current_households, current_individuals FROM sites WHERE id = {}",
        ph(b, 1)
    );
    let answer = conn
        .query_one_raw(Statement::from_sql_and_values(b, sql, [Value::from(id)]))
        .await
        .ok()
        .flatten()
        .map_or(Json::Null, |r| site_json(&r));
    axum::Json(answer)
}

/// The first [`PAGE`] sites by id whose point lies in `cell` (`latLngToCell(point, res) ==
/// cell`, camptrack's rule), read as camptrack reads them: candidates' ids and points from
/// the cell index over the resolution-15 ranges of the cell and its neighbours (a point's
/// finest cell may fall outside its parent's range), tested exactly, sorted by id; then the
/// page's rows by id.
async fn sites_in_cell(
    State(conn): State<DatabaseConnection>,
    Path(cell): Path<String>,
) -> Result<axum::Json<Json>, (StatusCode, String)> {
    let cell: Cell = cell
        .parse()
        .map_err(|e: camptrack_geo::GeoError| (StatusCode::BAD_REQUEST, e.to_string()))?;
    let failed = |e: sea_orm::DbErr| (StatusCode::INTERNAL_SERVER_ERROR, e.to_string());
    let b = conn.get_database_backend();
    let mut values = Vec::new();
    let mut ranges = Vec::new();
    for near in cell.index().grid_disk::<Vec<_>>(1) {
        let range = Cell::from(near).range();
        ranges.push(format!(
            "SELECT id, lat, lon FROM sites WHERE cell BETWEEN {} AND {}",
            ph(b, values.len() + 1),
            ph(b, values.len() + 2)
        ));
        values.push(Value::from(range.lo));
        values.push(Value::from(range.hi));
    }
    let candidates = conn
        .query_all_raw(Statement::from_sql_and_values(
            b,
            ranges.join(" UNION ALL "),
            values,
        ))
        .await
        .map_err(failed)?;
    let res = cell.res();
    let mut inside: Vec<Uuid> = candidates
        .iter()
        .filter_map(|r| {
            let at = Coordinates::new(r.try_get("", "lat").ok()?, r.try_get("", "lon").ok()?);
            at.is_ok_and(|p| p.cell_at(res) == cell)
                .then(|| r.try_get("", "id").ok())
                .flatten()
        })
        .collect();
    inside.sort_unstable();
    inside.truncate(PAGE);
    if inside.is_empty() {
        return Ok(axum::Json(Json::Array(Vec::new())));
    }
    let sql = format!(
        "SELECT id, name, current_households, current_individuals FROM sites WHERE id IN ({}) ORDER BY id",
        placeholders(b, inside.len())
    );
    let rows = conn
        .query_all_raw(Statement::from_sql_and_values(
            b,
            sql,
            inside.into_iter().map(Value::from),
        ))
        .await
        .map_err(failed)?;
    Ok(axum::Json(Json::Array(
        rows.iter().map(site_json).collect(),
    )))
}
