//! Areas a caller can name, their exact membership test and their validation.

mod check;
pub(crate) mod edge_index;
mod geojson;
pub(crate) mod planar;
mod prepared;
mod validate;

use geo::{Coord, MultiPolygon};
use serde_json::Value;

pub use geojson::cell_feature;
use planar::Position;
pub use prepared::PreparedArea;

use crate::{Cell, Coordinates, CoverLimits, EARTH_RADIUS_M, GeoError};

/// An area of the Earth, as a caller names it in a query.
///
/// Build one with the checked constructors ([`Area::bbox`], [`Area::near`],
/// [`Area::from_geojson`], ...); [`Area::cover`] checks again, so a hand-built variant
/// cannot slip an invalid area through.
///
/// ```
/// use camptrack_geo::{Area, Coordinates, CoverLimits};
///
/// let area = Area::near(Coordinates::new(4.85, 31.6)?, 500.0)?;
/// assert!(area.contains(&Coordinates::new(4.851, 31.6)?));
/// let cover = area.cover(&CoverLimits::default())?;
/// assert!(!cover.boundary.is_empty());
/// # Ok::<(), camptrack_geo::GeoError>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub enum Area {
    /// The union of H3 cells: a point is in cell X when `latlng_to_cell(point, res(X)) ==
    /// X`, the meaning every H3 tool uses.
    Cells(Vec<Cell>),
    /// A longitude/latitude box, edges included; it crosses the antimeridian when
    /// `west > east`.
    BBox {
        /// Western edge, degrees of longitude.
        west: f64,
        /// Southern edge, degrees of latitude.
        south: f64,
        /// Eastern edge, degrees of longitude.
        east: f64,
        /// Northern edge, degrees of latitude.
        north: f64,
    },
    /// Polygons with holes, in `[lon, lat]` degrees with edges straight in lon/lat (as
    /// GeoJSON and PostGIS `geometry` read them), boundaries included. Split a polygon at
    /// the antimeridian into a MultiPolygon, as RFC 7946 asks.
    Polygon(MultiPolygon<f64>),
    /// Points within `radius_m` metres (great circle, haversine) of `center`.
    Near {
        /// The centre.
        center: Coordinates,
        /// The radius in metres.
        radius_m: f64,
    },
}

impl Area {
    /// A list of cells.
    ///
    /// ```
    /// # use camptrack_geo::{Area, Cell};
    /// let area = Area::cells(vec!["8a1fb46622dffff".parse::<Cell>()?]);
    /// # Ok::<(), camptrack_geo::GeoError>(())
    /// ```
    #[must_use]
    pub fn cells(cells: Vec<Cell>) -> Self {
        Self::Cells(cells)
    }

    /// A box from its edges in degrees.
    ///
    /// # Errors
    ///
    /// A coordinate error named `"west"`, `"south"`, `"east"` or `"north"`, or
    /// [`GeoError::InvertedBox`] (field `"bbox"`) when south is north of north.
    ///
    /// ```
    /// # use camptrack_geo::Area;
    /// assert!(Area::bbox(170.0, -10.0, -170.0, 10.0).is_ok());
    /// assert_eq!(Area::bbox(0.0, 10.0, 1.0, 5.0).unwrap_err().field(), "bbox");
    /// ```
    pub fn bbox(west: f64, south: f64, east: f64, north: f64) -> Result<Self, GeoError> {
        let area = Self::BBox {
            west,
            south,
            east,
            north,
        };
        area.check_shape()?;
        Ok(area)
    }

    /// Points within `radius_m` metres of `center`.
    ///
    /// # Errors
    ///
    /// [`GeoError::NotFinite`] or [`GeoError::NotPositive`] with field `"radiusMeters"`.
    ///
    /// ```
    /// # use camptrack_geo::{Area, Coordinates};
    /// let c = Coordinates::new(0.0, 0.0)?;
    /// assert!(Area::near(c, 0.0).is_err());
    /// # Ok::<(), camptrack_geo::GeoError>(())
    /// ```
    pub fn near(center: Coordinates, radius_m: f64) -> Result<Self, GeoError> {
        let area = Self::Near { center, radius_m };
        area.check_shape()?;
        Ok(area)
    }

    /// A checked multipolygon.
    ///
    /// # Errors
    ///
    /// As [`Area::check`].
    pub fn polygon(polygon: MultiPolygon<f64>, limits: &CoverLimits) -> Result<Self, GeoError> {
        let area = Self::Polygon(polygon);
        area.check(limits)?;
        Ok(area)
    }

    /// A GeoJSON Polygon or MultiPolygon geometry (or a Feature holding one), checked.
    ///
    /// # Errors
    ///
    /// [`GeoError::InvalidGeoJson`] for a malformed document or position,
    /// [`GeoError::InvalidPolygon`] for unclosed or short rings, self-intersections,
    /// crossing rings, holes outside their polygon or overlapping polygons, and limit
    /// errors for too many positions or too large an area. All with field `"polygon"`.
    ///
    /// ```
    /// # use camptrack_geo::{Area, Coordinates, CoverLimits};
    /// let doc = serde_json::json!({"type": "Polygon", "coordinates": [
    ///     [[30.0, 4.0], [32.0, 4.0], [32.0, 6.0], [30.0, 6.0], [30.0, 4.0]]]});
    /// let area = Area::from_geojson(&doc, &CoverLimits::default())?;
    /// assert!(area.contains(&Coordinates::new(6.0, 31.0)?));
    /// # Ok::<(), camptrack_geo::GeoError>(())
    /// ```
    pub fn from_geojson(value: &Value, limits: &CoverLimits) -> Result<Self, GeoError> {
        Self::polygon(geojson::parse(value, limits.max_vertices)?, limits)
    }

    /// [`Area::from_geojson`] from text.
    ///
    /// # Errors
    ///
    /// [`GeoError::InvalidGeoJson`] when the text is not JSON, else as
    /// [`Area::from_geojson`].
    pub fn from_geojson_str(text: &str, limits: &CoverLimits) -> Result<Self, GeoError> {
        let value: Value = serde_json::from_str(text).map_err(|e| GeoError::InvalidGeoJson {
            field: "polygon",
            reason: e.to_string(),
        })?;
        Self::from_geojson(&value, limits)
    }

    /// The area's surface in square metres on the mean sphere (for cells, the sum of the
    /// cells' areas, counting overlaps twice).
    ///
    /// ```
    /// # use camptrack_geo::Area;
    /// let a = Area::bbox(0.0, 0.0, 1.0, 1.0)?.area_m2();
    /// assert!((a - 1.2364e10).abs() < 1e7);
    /// # Ok::<(), camptrack_geo::GeoError>(())
    /// ```
    #[must_use]
    pub fn area_m2(&self) -> f64 {
        match *self {
            Self::Cells(ref cells) => cells.iter().map(|c| c.index().area_m2()).sum(),
            Self::BBox {
                west,
                south,
                east,
                north,
            } => {
                let width = if west <= east {
                    east - west
                } else {
                    360.0 - (west - east)
                };
                let band = north.to_radians().sin() - south.to_radians().sin();
                EARTH_RADIUS_M * EARTH_RADIUS_M * width.to_radians() * band
            }
            Self::Polygon(ref mp) => validate::area_m2(mp),
            Self::Near { radius_m, .. } => {
                let angle = (radius_m / EARTH_RADIUS_M).min(std::f64::consts::PI);
                2.0 * std::f64::consts::PI * EARTH_RADIUS_M * EARTH_RADIUS_M * (1.0 - angle.cos())
            }
        }
    }

    /// The exact membership test, boundaries included: point in polygon with holes,
    /// great-circle distance `<= radius_m`, lon/lat box (crossing the antimeridian when
    /// `west > east`), or `latlng_to_cell(point, res(X)) == X` for some listed cell X.
    /// Longitudes -180 and 180 name the same meridian. Scans every polygon edge: for many
    /// points use [`PreparedArea`].
    ///
    /// ```
    /// # use camptrack_geo::{Area, Coordinates};
    /// let box_ = Area::bbox(170.0, -10.0, -170.0, 10.0)?;
    /// assert!(box_.contains(&Coordinates::new(0.0, 180.0)?));
    /// assert!(box_.contains(&Coordinates::new(10.0, -175.0)?));
    /// assert!(!box_.contains(&Coordinates::new(0.0, 0.0)?));
    /// # Ok::<(), camptrack_geo::GeoError>(())
    /// ```
    #[must_use]
    pub fn contains(&self, c: &Coordinates) -> bool {
        match self {
            Self::Polygon(mp) => {
                on_either_meridian(c, |p| planar::position_linear(mp, p) != Position::Outside)
            }
            _ => self.contains_simple(c),
        }
    }

    /// [`Area::contains`] for every variant but polygons.
    pub(crate) fn contains_simple(&self, c: &Coordinates) -> bool {
        match *self {
            Self::Cells(ref cells) => cells.iter().any(|x| c.cell_at(x.res()) == *x),
            Self::BBox {
                west,
                south,
                east,
                north,
            } => {
                (south..=north).contains(&c.lat())
                    && on_either_meridian(c, |p| {
                        if west <= east {
                            (west..=east).contains(&p.x)
                        } else {
                            p.x >= west || p.x <= east
                        }
                    })
            }
            Self::Near { center, radius_m } => center.distance_m(c) <= radius_m,
            Self::Polygon(_) => self.contains(c),
        }
    }
}

/// Tests `inside` on the point, and again with longitude ±180 replaced by ∓180.
fn on_either_meridian(c: &Coordinates, inside: impl Fn(Coord) -> bool) -> bool {
    let p = Coord {
        x: c.lon(),
        y: c.lat(),
    };
    inside(p) || (p.x.abs() == 180.0 && inside(Coord { x: -p.x, y: p.y }))
}

#[cfg(test)]
#[path = "area_tests.rs"]
mod tests;
