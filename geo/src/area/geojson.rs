//! GeoJSON in (Polygon, MultiPolygon) and out (a cell as a Feature).

use geo::{Coord, LineString, MultiPolygon, Polygon};
use serde_json::{Value, json};

use crate::{Cell, GeoError};

const FIELD: &str = "polygon";

fn bad(reason: String) -> GeoError {
    GeoError::InvalidGeoJson {
        field: FIELD,
        reason,
    }
}

/// Reads a GeoJSON Polygon or MultiPolygon geometry (or a Feature holding one) into a
/// multipolygon, refusing more than `max_vertices` positions before allocating them.
///
/// Rings must be closed (first position equal to the last) and hold at least 4
/// positions; positions are `[lon, lat]` (a third number, altitude, is ignored).
pub(crate) fn parse(value: &Value, max_vertices: usize) -> Result<MultiPolygon, GeoError> {
    let obj = value
        .as_object()
        .ok_or_else(|| bad("expected a GeoJSON object".into()))?;
    let kind = obj
        .get("type")
        .and_then(Value::as_str)
        .ok_or_else(|| bad("missing \"type\"".into()))?;
    if kind == "Feature" {
        let geometry = obj
            .get("geometry")
            .ok_or_else(|| bad("Feature without \"geometry\"".into()))?;
        return parse(geometry, max_vertices);
    }
    let coords = obj
        .get("coordinates")
        .ok_or_else(|| bad("missing \"coordinates\"".into()))?;
    let polygons: Vec<(String, &Value)> = match kind {
        "Polygon" => vec![("coordinates".to_owned(), coords)],
        "MultiPolygon" => array(coords, "coordinates")?
            .iter()
            .enumerate()
            .map(|(i, p)| (format!("coordinates[{i}]"), p))
            .collect(),
        other => {
            return Err(bad(format!(
                "expected type Polygon or MultiPolygon, got {:?}",
                other.chars().take(40).collect::<String>()
            )));
        }
    };
    if polygons.is_empty() {
        return Err(bad(
            "coordinates: a MultiPolygon needs at least one polygon".into(),
        ));
    }
    count_vertices(&polygons, max_vertices)?;
    let parsed = polygons
        .iter()
        .map(|(path, p)| polygon(p, path))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(MultiPolygon(parsed))
}

fn array<'a>(v: &'a Value, path: &str) -> Result<&'a Vec<Value>, GeoError> {
    v.as_array()
        .ok_or_else(|| bad(format!("{path}: expected an array")))
}

fn count_vertices(polygons: &[(String, &Value)], max: usize) -> Result<(), GeoError> {
    let mut count = 0_usize;
    for (path, p) in polygons {
        for ring in array(p, path)? {
            count += ring.as_array().map_or(0, Vec::len);
        }
    }
    if count > max {
        return Err(GeoError::TooMany {
            field: FIELD,
            count,
            max,
            what: "polygon positions",
        });
    }
    Ok(())
}

fn polygon(v: &Value, path: &str) -> Result<Polygon, GeoError> {
    let rings = array(v, path)?;
    if rings.is_empty() {
        return Err(bad(format!("{path}: a polygon needs an exterior ring")));
    }
    let mut parsed = rings
        .iter()
        .enumerate()
        .map(|(i, r)| ring(r, &format!("{path}[{i}]")))
        .collect::<Result<Vec<_>, _>>()?;
    let exterior = parsed.remove(0);
    Ok(Polygon::new(exterior, parsed))
}

fn ring(v: &Value, path: &str) -> Result<LineString, GeoError> {
    let positions = array(v, path)?;
    let coords = positions
        .iter()
        .enumerate()
        .map(|(i, p)| position(p, &format!("{path}[{i}]")))
        .collect::<Result<Vec<_>, _>>()?;
    if coords.len() < 4 {
        return Err(GeoError::InvalidPolygon {
            field: FIELD,
            reason: format!(
                "{path}: a ring needs at least 4 positions, got {}",
                coords.len()
            ),
        });
    }
    if coords.first() != coords.last() {
        return Err(GeoError::InvalidPolygon {
            field: FIELD,
            reason: format!("{path}: the ring is not closed (last position differs from first)"),
        });
    }
    Ok(LineString(coords))
}

fn position(v: &Value, path: &str) -> Result<Coord, GeoError> {
    let numbers = v.as_array().filter(|a| (2..=3).contains(&a.len()));
    let lon_lat = numbers.and_then(|a| Some((a[0].as_f64()?, a[1].as_f64()?)));
    let Some((x, y)) = lon_lat else {
        return Err(bad(format!("{path}: expected a position [lon, lat]")));
    };
    if !(x.is_finite() && (-180.0..=180.0).contains(&x)) {
        return Err(bad(format!(
            "{path}: longitude {x} is out of range -180..=180"
        )));
    }
    if !(y.is_finite() && (-90.0..=90.0).contains(&y)) {
        return Err(bad(format!(
            "{path}: latitude {y} is out of range -90..=90"
        )));
    }
    Ok(Coord {
        x: x + 0.0,
        y: y + 0.0,
    })
}

/// A cell as a GeoJSON Feature: its boundary as a closed Polygon ring of `[lon, lat]`
/// positions (longitudes kept continuous across the antimeridian, so a ring there may use
/// values beyond ±180), with the cell, its resolution and its centre as properties. The
/// few cells around a pole get a ring that is not a simple lon/lat polygon.
///
/// ```
/// use camptrack_geo::{Cell, cell_feature};
///
/// let cell: Cell = "8a1fb46622dffff".parse()?;
/// let f = cell_feature(cell);
/// assert_eq!(f["properties"]["cell"], "8a1fb46622dffff");
/// let ring = f["geometry"]["coordinates"][0].as_array().unwrap();
/// assert_eq!(ring.len(), 7);
/// assert_eq!(ring[0], ring[6]);
/// # Ok::<(), camptrack_geo::GeoError>(())
/// ```
#[must_use]
pub fn cell_feature(cell: Cell) -> Value {
    let mut ring: Vec<[f64; 2]> = Vec::new();
    let mut previous: Option<f64> = None;
    for v in cell.boundary() {
        let mut lon = v.lon();
        if let Some(prev) = previous {
            // Keep each step under 180 degrees of longitude.
            while lon - prev > 180.0 {
                lon -= 360.0;
            }
            while prev - lon > 180.0 {
                lon += 360.0;
            }
        }
        previous = Some(lon);
        ring.push([lon, v.lat()]);
    }
    if let Some(first) = ring.first().copied() {
        ring.push(first);
    }
    let center = cell.center();
    json!({
        "type": "Feature",
        "geometry": { "type": "Polygon", "coordinates": [ring] },
        "properties": {
            "cell": cell.to_string(),
            "resolution": cell.resolution(),
            "center": [center.lon(), center.lat()],
        },
    })
}
