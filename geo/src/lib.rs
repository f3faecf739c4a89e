//! Points, areas and H3 for camptrack.
//!
//! Every located record stores its point as a resolution-15 H3 [`Cell`] in an `i64`
//! column. This crate checks coordinates ([`Coordinates`]), parses and prints cells, and
//! turns the areas a caller can name ([`Area`]) into a [`Cover`]: ranges of cell values
//! whose rows are inside without a test (interior) or must pass [`Area::contains`]
//! (boundary).
//!
//! Decisions (see each item for details):
//! - Distances are haversine on the mean radius [`EARTH_RADIUS_M`]; polygons and boxes
//!   are planar in lon/lat degrees (as GeoJSON and PostGIS `geometry`), boundaries
//!   inclusive; longitude -180 and 180 are the same meridian in every membership test.
//! - "In cell X" means `latlng_to_cell(point, res(X)) == X`, never "the point's
//!   resolution-15 cell descends from X".
//! - A cell's resolution-15 descendants lie within 1.15 of its circumradius of its centre
//!   (measured: at most 1.065); covers rely on that.
//! - [`CoverLimits`] bounds the work a request can cause; exceeding one answers an error
//!   whose [`GeoError::is_limit`] is true.
//!
//! ```
//! use camptrack_geo::{Cell, Coordinates, Resolution};
//!
//! let p = Coordinates::new(4.85, 31.6)?;
//! let stored: i64 = p.cell().as_i64();
//! let ancestor: Cell = p.cell().index().parent(h3o::Resolution::Five).unwrap().into();
//! assert!(ancestor.range().contains(stored));
//! // The hexagon holding the point is the ancestor or one of its neighbours.
//! let holder: Cell = p.cell_at(Resolution::new(5)?);
//! assert_eq!(holder.resolution(), 5);
//! # Ok::<(), camptrack_geo::GeoError>(())
//! ```

mod area;
mod cell;
mod cover;
mod error;
#[cfg(test)]
mod hostile_tests;
mod point;
#[cfg(test)]
mod test_support;

pub use area::{Area, PreparedArea, cell_feature};
pub use cell::{Cell, CellRange, Resolution};
pub use cover::{Cover, CoverLimits, HexCover, Placement};
pub use error::GeoError;
pub use point::{Coordinates, EARTH_RADIUS_M, Latitude, Longitude};
