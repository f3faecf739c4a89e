//! Latitudes, longitudes and points on the sphere.

use std::fmt;

use crate::{Cell, GeoError, Resolution};

/// Mean Earth radius in metres (IUGG R1), the radius of every distance in camptrack.
pub const EARTH_RADIUS_M: f64 = 6_371_008.8;

/// A latitude in degrees, finite and within -90..=90.
///
/// ```
/// use camptrack_geo::Latitude;
///
/// assert_eq!(Latitude::new(12.5)?.degrees(), 12.5);
/// assert!(Latitude::new(90.5).is_err());
/// assert!(Latitude::new(f64::NAN).is_err());
/// # Ok::<(), camptrack_geo::GeoError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, PartialOrd)]
pub struct Latitude(f64);

impl Latitude {
    /// Checks that `degrees` is a finite latitude within -90..=90.
    ///
    /// # Errors
    ///
    /// [`GeoError::NotFinite`] or [`GeoError::OutOfRange`], with field `"lat"`.
    pub fn new(degrees: f64) -> Result<Self, GeoError> {
        check_range("lat", degrees, 90.0).map(Self)
    }

    /// The latitude in degrees.
    ///
    /// ```
    /// # use camptrack_geo::Latitude;
    /// assert_eq!(Latitude::new(-3.0)?.degrees(), -3.0);
    /// # Ok::<(), camptrack_geo::GeoError>(())
    /// ```
    #[must_use]
    pub fn degrees(self) -> f64 {
        self.0
    }
}

impl TryFrom<f64> for Latitude {
    type Error = GeoError;

    fn try_from(degrees: f64) -> Result<Self, Self::Error> {
        Self::new(degrees)
    }
}

/// A longitude in degrees, finite and within -180..=180.
///
/// ```
/// use camptrack_geo::Longitude;
///
/// assert_eq!(Longitude::new(-180.0)?.degrees(), -180.0);
/// assert!(Longitude::new(180.1).is_err());
/// # Ok::<(), camptrack_geo::GeoError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, PartialOrd)]
pub struct Longitude(f64);

impl Longitude {
    /// Checks that `degrees` is a finite longitude within -180..=180.
    ///
    /// # Errors
    ///
    /// [`GeoError::NotFinite`] or [`GeoError::OutOfRange`], with field `"lon"`.
    pub fn new(degrees: f64) -> Result<Self, GeoError> {
        check_range("lon", degrees, 180.0).map(Self)
    }

    /// The longitude in degrees.
    ///
    /// ```
    /// # use camptrack_geo::Longitude;
    /// assert_eq!(Longitude::new(36.8)?.degrees(), 36.8);
    /// # Ok::<(), camptrack_geo::GeoError>(())
    /// ```
    #[must_use]
    pub fn degrees(self) -> f64 {
        self.0
    }
}

impl TryFrom<f64> for Longitude {
    type Error = GeoError;

    fn try_from(degrees: f64) -> Result<Self, Self::Error> {
        Self::new(degrees)
    }
}

fn check_range(field: &'static str, value: f64, bound: f64) -> Result<f64, GeoError> {
    if !value.is_finite() {
        return Err(GeoError::NotFinite { field, value });
    }
    if !(-bound..=bound).contains(&value) {
        return Err(GeoError::OutOfRange {
            field,
            value,
            min: -bound,
            max: bound,
        });
    }
    // Normalise -0.0 so equal points compare and print the same.
    Ok(value + 0.0)
}

/// A point on the Earth: a checked latitude and longitude in degrees (WGS 84).
///
/// ```
/// use camptrack_geo::Coordinates;
///
/// let juba = Coordinates::new(4.85, 31.6)?;
/// let malakal = Coordinates::new(9.53, 31.66)?;
/// assert!((juba.distance_m(&malakal) - 520_400.0).abs() < 1_000.0);
/// assert_eq!(juba.cell().resolution(), 15);
/// # Ok::<(), camptrack_geo::GeoError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Coordinates {
    /// The latitude.
    pub lat: Latitude,
    /// The longitude.
    pub lon: Longitude,
}

impl Coordinates {
    /// Checks both components and builds the point.
    ///
    /// # Errors
    ///
    /// The first bad component's error, with field `"lat"` or `"lon"`.
    ///
    /// ```
    /// # use camptrack_geo::Coordinates;
    /// assert_eq!(Coordinates::new(0.0, 181.0).unwrap_err().field(), "lon");
    /// ```
    pub fn new(lat: f64, lon: f64) -> Result<Self, GeoError> {
        Ok(Self {
            lat: Latitude::new(lat)?,
            lon: Longitude::new(lon)?,
        })
    }

    /// Builds a point from degrees known to be finite (from h3o or our own arithmetic),
    /// clamping rounding noise into range.
    pub(crate) fn clamped(lat: f64, lon: f64) -> Self {
        Self {
            lat: Latitude(lat.clamp(-90.0, 90.0) + 0.0),
            lon: Longitude(lon.clamp(-180.0, 180.0) + 0.0),
        }
    }

    /// The latitude in degrees.
    ///
    /// ```
    /// # use camptrack_geo::Coordinates;
    /// assert_eq!(Coordinates::new(1.5, 2.5)?.lat(), 1.5);
    /// # Ok::<(), camptrack_geo::GeoError>(())
    /// ```
    #[must_use]
    pub fn lat(&self) -> f64 {
        self.lat.degrees()
    }

    /// The longitude in degrees.
    ///
    /// ```
    /// # use camptrack_geo::Coordinates;
    /// assert_eq!(Coordinates::new(1.5, 2.5)?.lon(), 2.5);
    /// # Ok::<(), camptrack_geo::GeoError>(())
    /// ```
    #[must_use]
    pub fn lon(&self) -> f64 {
        self.lon.degrees()
    }

    /// The point as an h3o coordinate.
    pub(crate) fn to_latlng(self) -> h3o::LatLng {
        h3o::LatLng::new(self.lat(), self.lon()).expect("checked coordinates are finite")
    }

    /// The resolution-15 cell (about 1 m2) holding the point: what camptrack stores.
    ///
    /// ```
    /// # use camptrack_geo::Coordinates;
    /// let p = Coordinates::new(4.85, 31.6)?;
    /// assert_eq!(p.cell().to_string(), "8f6a506957822e4");
    /// # Ok::<(), camptrack_geo::GeoError>(())
    /// ```
    #[must_use]
    pub fn cell(&self) -> Cell {
        self.cell_at(Resolution::FINEST)
    }

    /// The cell of resolution `res` that contains the point, in the standard H3 sense
    /// (`latlng_to_cell`): the hexagon the point falls in, which is not always the
    /// ancestor of its resolution-15 cell.
    ///
    /// ```
    /// # use camptrack_geo::{Coordinates, Resolution};
    /// let p = Coordinates::new(4.85, 31.6)?;
    /// assert_eq!(p.cell_at(Resolution::new(5)?).resolution(), 5);
    /// # Ok::<(), camptrack_geo::GeoError>(())
    /// ```
    #[must_use]
    pub fn cell_at(&self, res: Resolution) -> Cell {
        Cell::from(self.to_latlng().to_cell(res.into()))
    }

    /// Great-circle distance in metres (haversine, mean radius [`EARTH_RADIUS_M`]).
    ///
    /// ```
    /// # use camptrack_geo::Coordinates;
    /// let a = Coordinates::new(0.0, 0.0)?;
    /// let b = Coordinates::new(0.0, 1.0)?;
    /// assert!((a.distance_m(&b) - 111_195.08).abs() < 0.01);
    /// # Ok::<(), camptrack_geo::GeoError>(())
    /// ```
    #[must_use]
    pub fn distance_m(&self, other: &Self) -> f64 {
        haversine_rad(self.lat(), self.lon(), other.lat(), other.lon()) * EARTH_RADIUS_M
    }
}

impl fmt::Display for Coordinates {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "({}, {})", self.lat(), self.lon())
    }
}

/// Central angle in radians between two points given in degrees (haversine).
pub(crate) fn haversine_rad(lat1: f64, lon1: f64, lat2: f64, lon2: f64) -> f64 {
    let (p1, p2) = (lat1.to_radians(), lat2.to_radians());
    let dlat = p2 - p1;
    let dlon = (lon2 - lon1).to_radians();
    let h = (dlat / 2.0).sin().powi(2) + p1.cos() * p2.cos() * (dlon / 2.0).sin().powi(2);
    2.0 * h.sqrt().min(1.0).asin()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn latitudes_outside_the_poles_are_rejected() {
        assert!(Latitude::new(90.0).is_ok());
        assert!(Latitude::new(-90.0).is_ok());
        for bad in [90.000_001, -90.5, 1e300] {
            let err = Latitude::new(bad).unwrap_err();
            assert!(
                matches!(err, GeoError::OutOfRange { field: "lat", .. }),
                "{err}"
            );
        }
    }

    #[test]
    fn non_finite_components_are_rejected_with_their_field() {
        for bad in [f64::NAN, f64::INFINITY, f64::NEG_INFINITY] {
            let err = Coordinates::new(bad, 0.0).unwrap_err();
            assert!(matches!(err, GeoError::NotFinite { field: "lat", .. }));
            let err = Coordinates::new(0.0, bad).unwrap_err();
            assert!(matches!(err, GeoError::NotFinite { field: "lon", .. }));
        }
    }

    #[test]
    fn longitudes_beyond_the_antimeridian_are_rejected() {
        assert!(Longitude::new(180.0).is_ok());
        assert!(Longitude::new(-180.0).is_ok());
        let err = Longitude::new(-180.1).unwrap_err();
        assert_eq!(err.to_string(), "lon: -180.1 is out of range -180..=180");
    }

    #[test]
    fn distance_across_the_antimeridian_is_short() {
        let a = Coordinates::new(10.0, 179.9).unwrap();
        let b = Coordinates::new(10.0, -179.9).unwrap();
        let d = a.distance_m(&b);
        assert!((21_800.0..22_000.0).contains(&d), "{d}");
    }

    #[test]
    fn distance_to_the_antipode_is_half_the_circumference() {
        let a = Coordinates::new(0.0, 0.0).unwrap();
        let b = Coordinates::new(0.0, 180.0).unwrap();
        let half = std::f64::consts::PI * EARTH_RADIUS_M;
        assert!((a.distance_m(&b) - half).abs() < 1e-6);
        assert_eq!(a.distance_m(&a), 0.0);
    }

    #[test]
    fn negative_zero_is_normalised() {
        let p = Coordinates::new(-0.0, -0.0).unwrap();
        assert!(p.lat().is_sign_positive() && p.lon().is_sign_positive());
    }
}
