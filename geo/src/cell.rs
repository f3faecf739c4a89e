//! H3 cells, resolutions and the descendant ranges that make area queries range scans.

use std::{fmt, str::FromStr};

use h3o::CellIndex;

use crate::{Coordinates, GeoError};

/// An H3 resolution, 0 (about 4.4 million km2 per cell) to 15 (about 1 m2).
///
/// ```
/// use camptrack_geo::Resolution;
///
/// assert_eq!(Resolution::new(9)?.get(), 9);
/// assert!(Resolution::new(16).is_err());
/// # Ok::<(), camptrack_geo::GeoError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Resolution(h3o::Resolution);

impl Resolution {
    /// Resolution 15, at which camptrack stores every point.
    pub const FINEST: Self = Self(h3o::Resolution::Fifteen);

    /// Checks that `value` is within 0..=15.
    ///
    /// # Errors
    ///
    /// [`GeoError::InvalidResolution`] with field `"resolution"`.
    pub fn new(value: u8) -> Result<Self, GeoError> {
        h3o::Resolution::try_from(value)
            .map(Self)
            .map_err(|_| GeoError::InvalidResolution {
                field: "resolution",
                value: i64::from(value),
            })
    }

    /// The resolution as a number, 0..=15.
    ///
    /// ```
    /// # use camptrack_geo::Resolution;
    /// assert_eq!(Resolution::FINEST.get(), 15);
    /// ```
    #[must_use]
    pub fn get(self) -> u8 {
        u8::from(self.0)
    }
}

impl TryFrom<u8> for Resolution {
    type Error = GeoError;

    fn try_from(value: u8) -> Result<Self, Self::Error> {
        Self::new(value)
    }
}

impl TryFrom<i64> for Resolution {
    type Error = GeoError;

    fn try_from(value: i64) -> Result<Self, Self::Error> {
        u8::try_from(value)
            .ok()
            .and_then(|v| h3o::Resolution::try_from(v).ok())
            .map(Self)
            .ok_or(GeoError::InvalidResolution {
                field: "resolution",
                value,
            })
    }
}

impl From<h3o::Resolution> for Resolution {
    fn from(value: h3o::Resolution) -> Self {
        Self(value)
    }
}

impl From<Resolution> for h3o::Resolution {
    fn from(value: Resolution) -> Self {
        value.0
    }
}

impl fmt::Display for Resolution {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.get())
    }
}

/// A valid H3 cell index of any resolution.
///
/// Parsed from and printed as lowercase hex (the `H3Cell` scalar of the API), stored as
/// an `i64` (a valid index never sets bit 63).
///
/// ```
/// use camptrack_geo::Cell;
///
/// let cell: Cell = "8a1fb46622dffff".parse()?;
/// assert_eq!(cell.resolution(), 10);
/// assert_eq!(cell.to_string(), "8a1fb46622dffff");
/// assert_eq!(Cell::try_from(cell.as_i64())?, cell);
/// # Ok::<(), camptrack_geo::GeoError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Cell(CellIndex);

/// Bits 52..=55 of an index hold its resolution.
const RES_SHIFT: u32 = 52;
const RES_MASK: u64 = 0xF << RES_SHIFT;

impl Cell {
    /// The index as stored in the database.
    ///
    /// ```
    /// # use camptrack_geo::Cell;
    /// let cell: Cell = "8f2830828052d25".parse()?;
    /// assert_eq!(cell.as_i64(), 0x8f2830828052d25);
    /// # Ok::<(), camptrack_geo::GeoError>(())
    /// ```
    #[must_use]
    pub fn as_i64(self) -> i64 {
        let raw = u64::from(self.0);
        // A valid index has its reserved high bit clear, so it fits in an i64 unchanged.
        debug_assert!(raw >> 63 == 0);
        raw.cast_signed()
    }

    /// The cell's resolution, 0..=15.
    ///
    /// ```
    /// # use camptrack_geo::Cell;
    /// assert_eq!("8a1fb46622dffff".parse::<Cell>()?.resolution(), 10);
    /// # Ok::<(), camptrack_geo::GeoError>(())
    /// ```
    #[must_use]
    pub fn resolution(self) -> u8 {
        u8::from(self.0.resolution())
    }

    /// The cell's resolution as a [`Resolution`].
    #[must_use]
    pub fn res(self) -> Resolution {
        Resolution(self.0.resolution())
    }

    /// The inclusive range of `i64` values of all the cell's resolution-15 descendants.
    ///
    /// The range is a candidate set, not containment: a point inside the cell may have a
    /// resolution-15 cell outside the range, and one in the range may lie outside the cell
    /// (see [`crate::Area::contains`]).
    ///
    /// ```
    /// # use camptrack_geo::{Cell, Coordinates};
    /// let parent: Cell = "8a1fb46622dffff".parse()?;
    /// let child = parent.center().cell();
    /// assert!(parent.range().contains(child.as_i64()));
    /// # Ok::<(), camptrack_geo::GeoError>(())
    /// ```
    #[must_use]
    pub fn range(self) -> CellRange {
        let raw = u64::from(self.0);
        let free_bits = 3 * u32::from(15 - self.resolution());
        let low_mask = (1_u64 << free_bits) - 1;
        let at_15 = (raw & !RES_MASK) | (15 << RES_SHIFT);
        CellRange {
            lo: (at_15 & !low_mask).cast_signed(),
            hi: (at_15 | low_mask).cast_signed(),
        }
    }

    /// The cell's centre.
    ///
    /// ```
    /// # use camptrack_geo::Cell;
    /// let c = "8a1fb46622dffff".parse::<Cell>()?.center();
    /// assert!((c.lat() - 48.85).abs() < 0.1 && (c.lon() - 2.35).abs() < 0.1);
    /// # Ok::<(), camptrack_geo::GeoError>(())
    /// ```
    #[must_use]
    pub fn center(self) -> Coordinates {
        let ll = h3o::LatLng::from(self.0);
        Coordinates::clamped(ll.lat(), ll.lng())
    }

    /// The cell's vertices in order (6 for a hexagon, 5 for a pentagon, up to 10 when
    /// edges cross icosahedron faces), not closed.
    ///
    /// ```
    /// # use camptrack_geo::Cell;
    /// assert_eq!("8a1fb46622dffff".parse::<Cell>()?.boundary().len(), 6);
    /// # Ok::<(), camptrack_geo::GeoError>(())
    /// ```
    #[must_use]
    pub fn boundary(self) -> Vec<Coordinates> {
        self.0
            .boundary()
            .iter()
            .map(|ll| Coordinates::clamped(ll.lat(), ll.lng()))
            .collect()
    }

    /// The greatest great-circle distance in metres from the cell's centre to one of its
    /// vertices: the radius of the smallest disc around the centre holding the cell.
    ///
    /// ```
    /// # use camptrack_geo::Cell;
    /// let r = "8a1fb46622dffff".parse::<Cell>()?.circumradius_m();
    /// assert!((60.0..80.0).contains(&r));
    /// # Ok::<(), camptrack_geo::GeoError>(())
    /// ```
    #[must_use]
    pub fn circumradius_m(self) -> f64 {
        let center = self.center();
        self.boundary()
            .iter()
            .map(|v| center.distance_m(v))
            .fold(0.0, f64::max)
    }

    /// The underlying h3o index.
    #[must_use]
    pub fn index(self) -> CellIndex {
        self.0
    }
}

impl From<CellIndex> for Cell {
    fn from(index: CellIndex) -> Self {
        Self(index)
    }
}

impl From<Cell> for CellIndex {
    fn from(cell: Cell) -> Self {
        cell.0
    }
}

impl TryFrom<i64> for Cell {
    type Error = GeoError;

    fn try_from(value: i64) -> Result<Self, Self::Error> {
        let invalid = |reason| GeoError::InvalidCell {
            field: "cell",
            value: format!("{value:x}"),
            reason,
        };
        let raw = u64::try_from(value).map_err(|_| invalid("negative index"))?;
        CellIndex::try_from(raw)
            .map(Self)
            .map_err(|e| invalid(e.reason))
    }
}

impl FromStr for Cell {
    type Err = GeoError;

    /// Parses 1 to 16 hex digits (either case, no prefix or sign) naming a valid cell.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let invalid = |reason| GeoError::InvalidCell {
            field: "cell",
            value: s.chars().take(40).collect(),
            reason,
        };
        if s.is_empty() || s.len() > 16 || !s.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(invalid("expected 1 to 16 hexadecimal digits"));
        }
        let raw = u64::from_str_radix(s, 16).map_err(|_| invalid("not hexadecimal"))?;
        CellIndex::try_from(raw)
            .map(Self)
            .map_err(|e| invalid(e.reason))
    }
}

impl fmt::Display for Cell {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:x}", u64::from(self.0))
    }
}

/// An inclusive range of resolution-15 cell values, `cell BETWEEN lo AND hi` in SQL.
///
/// ```
/// use camptrack_geo::CellRange;
///
/// let r = CellRange { lo: 10, hi: 20 };
/// assert!(r.contains(10) && r.contains(20) && !r.contains(21));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct CellRange {
    /// The smallest value in the range.
    pub lo: i64,
    /// The largest value in the range.
    pub hi: i64,
}

impl CellRange {
    /// Whether `value` lies within `lo..=hi`.
    #[must_use]
    pub fn contains(&self, value: i64) -> bool {
        (self.lo..=self.hi).contains(&value)
    }
}

#[cfg(test)]
#[path = "cell_tests.rs"]
mod tests;
