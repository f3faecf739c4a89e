//! `AreaInput`: the one way to name an area, accepted by every located list and aggregate.

use async_graphql::{Context, InputObject, Json, OneofObject};
use camptrack_geo::{Area, Coordinates, CoverLimits, GeoError};

use super::context;
use super::error::{self, OrGql};
use super::scalars::H3Cell;
use crate::storage::area::{self, AreaCache, ResolvedArea};

/// Exactly one way of naming an area. A site is in the area when its registered point is:
/// inside the polygon or box (edges included), within the great-circle radius, in the H3
/// cell by the standard rule (`latLngToCell(point, res) == cell`), or, for an admin area,
/// inside its polygon (or, when it has none, carrying its p-code at any level).
#[derive(Debug, OneofObject)]
pub enum AreaInput {
    /// H3 cells of any resolutions (hex strings).
    Cells(Vec<H3Cell>),
    /// A longitude/latitude box; `west > east` crosses the antimeridian.
    Bbox(BBoxInput),
    /// A GeoJSON Polygon or MultiPolygon (`[lon, lat]` positions; holes allowed).
    Polygon(Json<serde_json::Value>),
    /// A point and a radius.
    Near(NearInput),
    /// An admin area's p-code.
    AdminPcode(String),
}

/// A box in degrees.
#[derive(Debug, InputObject)]
pub struct BBoxInput {
    /// Western longitude.
    pub west: f64,
    /// Southern latitude.
    pub south: f64,
    /// Eastern longitude.
    pub east: f64,
    /// Northern latitude.
    pub north: f64,
}

/// A point and a great-circle radius.
#[derive(Debug, InputObject)]
pub struct NearInput {
    /// Latitude in degrees.
    pub lat: f64,
    /// Longitude in degrees.
    pub lon: f64,
    /// Radius in metres (more than 0, at most 2,000 km).
    pub radius_meters: f64,
}

/// Limits on the areas callers may name.
pub fn limits() -> CoverLimits {
    CoverLimits::default()
}

/// The input path of a refused area's field, e.g. `area.near.radiusMeters`.
pub(crate) fn path(err: &GeoError) -> String {
    match err.field() {
        f @ ("lat" | "lon" | "radiusMeters") => format!("area.near.{f}"),
        f @ ("west" | "south" | "east" | "north") => format!("area.bbox.{f}"),
        "bbox" => "area.bbox".to_owned(),
        "cell" | "cells" => "area.cells".to_owned(),
        _ => "area.polygon".to_owned(),
    }
}

/// Resolves the input into an area ready to query.
pub async fn resolve(ctx: &Context<'_>, input: AreaInput) -> async_graphql::Result<ResolvedArea> {
    let limits = limits();
    let geo = match input {
        AreaInput::AdminPcode(pcode) => {
            let cache = ctx.data_unchecked::<AreaCache>();
            return area::admin_area(
                context::db(ctx),
                cache,
                &pcode.trim().to_ascii_uppercase(),
                &limits,
            )
            .await
            .gql();
        }
        AreaInput::Cells(cells) => {
            if cells.is_empty() {
                return Err(error::invalid(&camptrack_domain::Invalid::one(
                    "area.cells",
                    "give at least one cell",
                )));
            }
            let cache = ctx.data_unchecked::<AreaCache>();
            let cells = cells.into_iter().map(|c| c.0).collect();
            return area::cell_area(cache, cells, &limits).map_err(refused);
        }
        AreaInput::Bbox(b) => Area::bbox(b.west, b.south, b.east, b.north),
        AreaInput::Polygon(Json(value)) => Area::from_geojson(&value, &limits),
        AreaInput::Near(n) => {
            Coordinates::new(n.lat, n.lon).and_then(|c| Area::near(c, n.radius_meters))
        }
    };
    geo.and_then(|a| ResolvedArea::geo(a, &limits))
        .map_err(refused)
}

/// The error for an area refused by the checks or the limits.
fn refused(e: GeoError) -> async_graphql::Error {
    if e.is_limit() {
        error::coded(error::code::LIMIT_EXCEEDED, format!("{}: {e}", path(&e)))
    } else {
        error::invalid(&camptrack_domain::Invalid::one(path(&e), e.to_string()))
    }
}
