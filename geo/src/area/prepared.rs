//! Areas prepared once for many exact tests and covers.

use super::{edge_index::EdgeIndex, on_either_meridian, planar::Position};
use crate::{Area, Coordinates, CoverLimits, GeoError};

impl Area {
    /// Checks the area and prepares it for many membership tests and covers.
    ///
    /// # Errors
    ///
    /// As [`Area::check`].
    ///
    /// ```
    /// # use camptrack_geo::{Area, Coordinates, CoverLimits};
    /// let area = Area::bbox(30.0, 4.0, 32.0, 6.0)?.prepare(&CoverLimits::default())?;
    /// assert!(area.contains(&Coordinates::new(4.0, 30.0)?));
    /// # Ok::<(), camptrack_geo::GeoError>(())
    /// ```
    pub fn prepare(self, limits: &CoverLimits) -> Result<PreparedArea, GeoError> {
        let index = self.check_and_index(limits)?;
        Ok(PreparedArea {
            area: self,
            limits: *limits,
            index,
        })
    }
}

/// A checked area with its polygon edges indexed: fast exact tests and covers.
#[derive(Debug, Clone)]
pub struct PreparedArea {
    area: Area,
    limits: CoverLimits,
    index: Option<EdgeIndex>,
}

impl PreparedArea {
    /// The area.
    #[must_use]
    pub fn area(&self) -> &Area {
        &self.area
    }

    /// The exact test of [`Area::contains`], using the edge index.
    #[must_use]
    pub fn contains(&self, c: &Coordinates) -> bool {
        match &self.index {
            Some(index) => on_either_meridian(c, |p| index.position(p) != Position::Outside),
            None => self.area.contains_simple(c),
        }
    }

    /// The cover of the area (see [`Area::cover`]).
    #[must_use]
    pub fn cover(&self) -> crate::Cover {
        crate::cover::cover(&self.area, self.index.as_ref(), &self.limits)
    }

    /// The hexagons of `res` meeting the area: those wholly inside (as value ranges) and
    /// those on its edge, for per-cell rollups. `None` for a cell list, or when more than
    /// `max_boundary` hexagons would lie on the edge.
    #[must_use]
    pub fn hex_cover(
        &self,
        res: crate::Resolution,
        max_boundary: usize,
    ) -> Option<crate::HexCover> {
        let classify = crate::cover::classifier(&self.area, self.index.as_ref())?;
        crate::cover::hexes::hex_cover(&*classify, res, max_boundary)
    }
}
