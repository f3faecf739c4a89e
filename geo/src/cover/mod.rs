//! Covers: the cell ranges a query scans for an area, split into rows known to be inside
//! (interior) and rows to test exactly (boundary).

mod cap;
pub(crate) mod hexes;
pub(crate) mod ranges;
mod refine;

use h3o::CellIndex;

use crate::{
    Area, Cell, CellRange, GeoError,
    area::{
        edge_index::EdgeIndex,
        planar::{Position, Rect},
    },
};
use cap::{Cap, Class};
pub use hexes::HexCover;
use refine::{base_cells, cover_cells, refine};

/// Bounds on the work a caller can ask for: area size and list lengths (answered with a
/// limit error) and how finely a cover refines.
///
/// ```
/// use camptrack_geo::CoverLimits;
///
/// let limits = CoverLimits { max_boundary_cells: 64, ..CoverLimits::default() };
/// assert_eq!(limits.max_radius_m, 2_000_000.0);
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CoverLimits {
    /// Refinement stops before the undecided (boundary) cells would pass this count;
    /// about 256, or about 0.5 * sqrt(rows) on large tables. A cell list needs at least
    /// its cells and their neighbours, so its cover may exceed this.
    pub max_boundary_cells: usize,
    /// The largest polygon or box, in square metres. Default 1.5e13 (15 million km2,
    /// room for a 2,000 km radius); the whole world is 5.1e14.
    pub max_area_m2: f64,
    /// The largest radius of a `Near` area, in metres. Default 2,000 km.
    pub max_radius_m: f64,
    /// The most cells in a cell list. Default 1,000.
    pub max_cells: usize,
    /// The most positions in a polygon, all rings together. Default 100,000.
    pub max_vertices: usize,
}

impl Default for CoverLimits {
    fn default() -> Self {
        Self {
            max_boundary_cells: 256,
            max_area_m2: 1.5e13,
            max_radius_m: 2_000_000.0,
            max_cells: 1_000,
            max_vertices: 100_000,
        }
    }
}

/// The ranges of resolution-15 cell values to scan for an area.
///
/// Both lists are sorted, disjoint and merged (also across gaps that hold no valid cell),
/// and no value is in both. A row whose cell is in an `interior` range is in the area
/// without further test; a row in a `boundary` range is in the area exactly when
/// [`Area::contains`] says so; any other row is not in the area.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Cover {
    /// Ranges whose rows all lie in the area.
    pub interior: Vec<CellRange>,
    /// Ranges whose rows must be tested exactly.
    pub boundary: Vec<CellRange>,
}

/// Where a cell value falls in a [`Cover`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Placement {
    /// In an interior range: in the area.
    Interior,
    /// In a boundary range: test the point exactly.
    Boundary,
    /// In no range: not in the area.
    Outside,
}

impl Cover {
    /// Where the resolution-15 cell value `cell` falls.
    ///
    /// ```
    /// # use camptrack_geo::{Area, Coordinates, CoverLimits, Placement};
    /// let p = Coordinates::new(4.85, 31.6)?;
    /// let cover = Area::near(p, 1_000.0)?.cover(&CoverLimits::default())?;
    /// assert_eq!(cover.placement(p.cell().as_i64()), Placement::Interior);
    /// # Ok::<(), camptrack_geo::GeoError>(())
    /// ```
    #[must_use]
    pub fn placement(&self, cell: i64) -> Placement {
        let hit = |ranges: &[CellRange]| {
            let i = ranges.partition_point(|r| r.hi < cell);
            ranges.get(i).is_some_and(|r| r.contains(cell))
        };
        if hit(&self.interior) {
            Placement::Interior
        } else if hit(&self.boundary) {
            Placement::Boundary
        } else {
            Placement::Outside
        }
    }

    /// Whether the cover holds no range (no row can be in the area).
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.interior.is_empty() && self.boundary.is_empty()
    }
}

impl Area {
    /// Checks the area (as [`Area::check`]) and covers it with cell ranges.
    ///
    /// Top-down from the 122 base cells (or, for a cell list, from each cell and its
    /// neighbours, since a point in cell X can have its resolution-15 cell under a
    /// neighbour of X): a cell is interior when the disc of 1.15 times its circumradius
    /// around its centre, which holds all its resolution-15 descendants, lies inside the
    /// area; dropped when the disc lies outside; refined into its children otherwise,
    /// while the undecided cells stay within `limits.max_boundary_cells`. Refining from
    /// resolution 0 picks the working resolution from the area's size by itself: at
    /// every level only the cells along the area's edge are refined.
    ///
    /// # Errors
    ///
    /// As [`Area::check`].
    ///
    /// ```
    /// # use camptrack_geo::{Area, CoverLimits};
    /// let cover = Area::bbox(170.0, -1.0, -170.0, 1.0)?.cover(&CoverLimits::default())?;
    /// assert!(!cover.interior.is_empty());
    /// assert!(cover.boundary.len() <= 256);
    /// # Ok::<(), camptrack_geo::GeoError>(())
    /// ```
    pub fn cover(&self, limits: &CoverLimits) -> Result<Cover, GeoError> {
        let index = self.check_and_index(limits)?;
        Ok(cover(self, index.as_ref(), limits))
    }
}

/// The cover of a checked area.
pub(crate) fn cover(area: &Area, index: Option<&EdgeIndex>, limits: &CoverLimits) -> Cover {
    let cap_limit = limits.max_boundary_cells;
    let (interior, boundary) = match area {
        Area::Cells(cells) => cover_cells(cells, cap_limit),
        _ => {
            let classify =
                classifier(area, index).expect("every area but a cell list classifies caps");
            refine(base_cells(), cap_limit, |cap, _| classify(cap))
        }
    };
    to_ranges(&interior, &boundary)
}

/// A cap test: whether a disc lies inside, outside, or across an area.
pub(crate) type CapTest<'a> = Box<dyn Fn(&Cap) -> Class + 'a>;

/// The cap test of a geometric area (a box, a radius or a polygon): whether a disc lies
/// wholly inside, wholly outside, or neither. `None` for a cell list.
pub(crate) fn classifier<'a>(area: &'a Area, index: Option<&'a EdgeIndex>) -> Option<CapTest<'a>> {
    match area {
        Area::Cells(_) => None,
        Area::Near { center, radius_m } => {
            let (center, radius_m) = (*center, *radius_m);
            Some(Box::new(move |cap: &Cap| {
                let d = center.distance_m(&cap.center);
                let margin = 0.01 + 1e-9 * (d + radius_m);
                if d + cap.radius_m + margin <= radius_m {
                    Class::Inside
                } else if d - cap.radius_m - margin > radius_m {
                    Class::Outside
                } else {
                    Class::Unknown
                }
            }))
        }
        Area::BBox {
            west,
            south,
            east,
            north,
        } => {
            let lons: Vec<(f64, f64)> = if west <= east {
                vec![(*west, *east)]
            } else {
                vec![(*west, 180.0), (-180.0, *east)]
            };
            let (south, north) = (*south, *north);
            Some(Box::new(move |cap: &Cap| {
                cap.rects().classify(|r| {
                    let lon_out = lons.iter().all(|&(a, b)| r.x1 < a || r.x0 > b);
                    if r.y1 < south || r.y0 > north || lon_out {
                        Class::Outside
                    } else if r.y0 >= south
                        && r.y1 <= north
                        && lons.iter().any(|&(a, b)| a <= r.x0 && r.x1 <= b)
                    {
                        Class::Inside
                    } else {
                        Class::Unknown
                    }
                })
            }))
        }
        Area::Polygon(_) => {
            let index = index?;
            Some(Box::new(move |cap: &Cap| {
                cap.rects().classify(|r| polygon_piece(index, r))
            }))
        }
    }
}

fn polygon_piece(index: &EdgeIndex, r: &Rect) -> Class {
    if !index.bbox.is_some_and(|b| b.intersects(r)) {
        return Class::Outside;
    }
    if index.any_edge_hits(r) {
        return Class::Unknown;
    }
    // No edge meets the rectangle, so all of it lies on one side.
    match index.position(r.center()) {
        Position::Inside => Class::Inside,
        Position::Outside => Class::Outside,
        Position::Boundary => Class::Unknown,
    }
}

fn to_ranges(interior: &[CellIndex], boundary: &[CellIndex]) -> Cover {
    let range = |c: &CellIndex| Cell::from(*c).range();
    let interior = ranges::normalise(interior.iter().map(range).collect());
    let boundary = ranges::normalise(boundary.iter().map(range).collect());
    let boundary = ranges::subtract(&boundary, &interior);
    Cover { interior, boundary }
}

#[cfg(test)]
#[path = "cover_tests.rs"]
mod tests;
