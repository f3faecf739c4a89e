//! The one error type of this crate.

/// Why a coordinate, cell, resolution or area was refused.
///
/// Every variant names the input it is about ([`GeoError::field`]) and carries the bad
/// value, so the API can answer with a field path and a message a person can act on.
/// [`GeoError::is_limit`] separates "too big / too many" (the caller asked for more than
/// the server allows) from "malformed" (the caller sent something wrong).
///
/// ```
/// use camptrack_geo::{Coordinates, GeoError};
///
/// let err = Coordinates::new(91.0, 0.0).unwrap_err();
/// assert_eq!(err.field(), "lat");
/// assert!(!err.is_limit());
/// assert_eq!(err.to_string(), "lat: 91 is out of range -90..=90");
/// ```
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum GeoError {
    /// A number that must be finite was NaN or infinite.
    #[error("{field}: {value} is not a finite number")]
    NotFinite {
        /// The input this value came from.
        field: &'static str,
        /// The value received.
        value: f64,
    },
    /// A number outside its allowed range.
    #[error("{field}: {value} is out of range {min}..={max}")]
    OutOfRange {
        /// The input this value came from.
        field: &'static str,
        /// The value received.
        value: f64,
        /// The smallest allowed value.
        min: f64,
        /// The largest allowed value.
        max: f64,
    },
    /// A number that must be strictly positive was zero or negative.
    #[error("{field}: {value} must be greater than 0")]
    NotPositive {
        /// The input this value came from.
        field: &'static str,
        /// The value received.
        value: f64,
    },
    /// A text or integer that is not a valid H3 cell index.
    #[error("{field}: {value:?} is not a valid H3 cell: {reason}")]
    InvalidCell {
        /// The input this value came from.
        field: &'static str,
        /// The value received, as text (hex for integers).
        value: String,
        /// Why it is not a cell.
        reason: &'static str,
    },
    /// An H3 resolution outside 0..=15.
    #[error("{field}: {value} is not an H3 resolution (0..=15)")]
    InvalidResolution {
        /// The input this value came from.
        field: &'static str,
        /// The value received.
        value: i64,
    },
    /// A bounding box whose south edge lies north of its north edge.
    #[error("{field}: south {south} is north of north {north}")]
    InvertedBox {
        /// The input this value came from.
        field: &'static str,
        /// The south edge received.
        south: f64,
        /// The north edge received.
        north: f64,
    },
    /// GeoJSON that is not a well-formed Polygon or MultiPolygon.
    #[error("{field}: invalid GeoJSON: {reason}")]
    InvalidGeoJson {
        /// The input this value came from.
        field: &'static str,
        /// What is wrong, with the position in the document where known.
        reason: String,
    },
    /// A polygon that is well-formed GeoJSON but not a valid area (unclosed or short ring,
    /// self-intersection, hole outside its shell...).
    #[error("{field}: invalid polygon: {reason}")]
    InvalidPolygon {
        /// The input this value came from.
        field: &'static str,
        /// What is wrong, with the ring and position where known.
        reason: String,
    },
    /// A size beyond a configured limit (area, radius).
    #[error("{field}: {value} {unit} exceeds the limit of {max} {unit}")]
    TooLarge {
        /// The input this value came from.
        field: &'static str,
        /// The size received (or computed from the input).
        value: f64,
        /// The largest size allowed.
        max: f64,
        /// The unit of `value` and `max`, e.g. "m" or "m2".
        unit: &'static str,
    },
    /// A count beyond a configured limit (cells in a list, polygon vertices).
    #[error("{field}: {count} {what} exceed the limit of {max}")]
    TooMany {
        /// The input this value came from.
        field: &'static str,
        /// How many were received.
        count: usize,
        /// The largest count allowed.
        max: usize,
        /// What was counted, e.g. "cells" or "vertices".
        what: &'static str,
    },
}

impl GeoError {
    /// The name of the input the error is about, such as `"lat"`, `"cell"`,
    /// `"radiusMeters"` or `"polygon"`, for the API's error field path.
    ///
    /// ```
    /// use camptrack_geo::Cell;
    ///
    /// let err = "zz".parse::<Cell>().unwrap_err();
    /// assert_eq!(err.field(), "cell");
    /// ```
    #[must_use]
    pub fn field(&self) -> &'static str {
        match self {
            Self::NotFinite { field, .. }
            | Self::OutOfRange { field, .. }
            | Self::NotPositive { field, .. }
            | Self::InvalidCell { field, .. }
            | Self::InvalidResolution { field, .. }
            | Self::InvertedBox { field, .. }
            | Self::InvalidGeoJson { field, .. }
            | Self::InvalidPolygon { field, .. }
            | Self::TooLarge { field, .. }
            | Self::TooMany { field, .. } => field,
        }
    }

    /// Whether the input was refused for being too big or too many (the API answers
    /// `LIMIT_EXCEEDED`) rather than for being malformed (`BAD_USER_INPUT`).
    ///
    /// ```
    /// use camptrack_geo::GeoError;
    ///
    /// let err = GeoError::TooMany { field: "cells", count: 2000, max: 1000, what: "cells" };
    /// assert!(err.is_limit());
    /// ```
    #[must_use]
    pub fn is_limit(&self) -> bool {
        matches!(self, Self::TooLarge { .. } | Self::TooMany { .. })
    }

    /// The same error reported against another input name, for callers that read a value
    /// under a different name than the one this crate uses by default (for example a
    /// box's `"west"` edge parsed as a longitude).
    ///
    /// ```
    /// use camptrack_geo::Longitude;
    ///
    /// let err = Longitude::new(200.0).unwrap_err().with_field("west");
    /// assert_eq!(err.field(), "west");
    /// ```
    #[must_use]
    pub fn with_field(mut self, name: &'static str) -> Self {
        match &mut self {
            Self::NotFinite { field, .. }
            | Self::OutOfRange { field, .. }
            | Self::NotPositive { field, .. }
            | Self::InvalidCell { field, .. }
            | Self::InvalidResolution { field, .. }
            | Self::InvertedBox { field, .. }
            | Self::InvalidGeoJson { field, .. }
            | Self::InvalidPolygon { field, .. }
            | Self::TooLarge { field, .. }
            | Self::TooMany { field, .. } => *field = name,
        }
        self
    }
}
