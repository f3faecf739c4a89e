//! The input rules and limits an area must pass before it is covered.

use super::{edge_index::EdgeIndex, validate};
use crate::{Area, CoverLimits, GeoError};

impl Area {
    /// Checks the area against the input rules and `limits`: what [`Area::cover`] runs
    /// first.
    ///
    /// # Errors
    ///
    /// Malformed input (coordinates, radius, box edges, polygon structure) answers a
    /// non-limit error; too many cells or positions, too large a radius or area answers
    /// an error whose [`GeoError::is_limit`] is true.
    pub fn check(&self, limits: &CoverLimits) -> Result<(), GeoError> {
        self.check_and_index(limits).map(drop)
    }

    /// [`Area::check`], answering the polygon edge index built on the way.
    pub(crate) fn check_and_index(
        &self,
        limits: &CoverLimits,
    ) -> Result<Option<EdgeIndex>, GeoError> {
        match self {
            Self::Cells(cells) if cells.len() > limits.max_cells => Err(GeoError::TooMany {
                field: "cells",
                count: cells.len(),
                max: limits.max_cells,
                what: "cells",
            }),
            Self::Cells(_) => Ok(None),
            Self::BBox { .. } => {
                self.check_shape()?;
                self.check_area(self.area_m2(), "bbox", limits)?;
                Ok(None)
            }
            Self::Near { radius_m, .. } => {
                self.check_shape()?;
                if *radius_m > limits.max_radius_m {
                    return Err(GeoError::TooLarge {
                        field: "radiusMeters",
                        value: *radius_m,
                        max: limits.max_radius_m,
                        unit: "m",
                    });
                }
                Ok(None)
            }
            Self::Polygon(mp) => {
                let count = validate::vertex_count(mp);
                if count > limits.max_vertices {
                    return Err(GeoError::TooMany {
                        field: "polygon",
                        count,
                        max: limits.max_vertices,
                        what: "polygon positions",
                    });
                }
                validate::check_coordinates(mp)?;
                let index = EdgeIndex::new(mp);
                validate::check_structure(mp, &index)?;
                self.check_area(self.area_m2(), "polygon", limits)?;
                Ok(Some(index))
            }
        }
    }

    fn check_area(
        &self,
        area: f64,
        field: &'static str,
        limits: &CoverLimits,
    ) -> Result<(), GeoError> {
        if area > limits.max_area_m2 {
            return Err(GeoError::TooLarge {
                field,
                value: area.round(),
                max: limits.max_area_m2,
                unit: "m2",
            });
        }
        Ok(())
    }

    /// Rules that need no limits: coordinates, box orientation, radius sign.
    pub(crate) fn check_shape(&self) -> Result<(), GeoError> {
        match *self {
            Self::BBox {
                west,
                south,
                east,
                north,
            } => {
                crate::Longitude::new(west).map_err(|e| e.with_field("west"))?;
                crate::Longitude::new(east).map_err(|e| e.with_field("east"))?;
                crate::Latitude::new(south).map_err(|e| e.with_field("south"))?;
                crate::Latitude::new(north).map_err(|e| e.with_field("north"))?;
                if south > north {
                    return Err(GeoError::InvertedBox {
                        field: "bbox",
                        south,
                        north,
                    });
                }
                Ok(())
            }
            Self::Near { radius_m, .. } => {
                let field = "radiusMeters";
                if !radius_m.is_finite() {
                    return Err(GeoError::NotFinite {
                        field,
                        value: radius_m,
                    });
                }
                if radius_m <= 0.0 {
                    return Err(GeoError::NotPositive {
                        field,
                        value: radius_m,
                    });
                }
                Ok(())
            }
            Self::Cells(_) | Self::Polygon(_) => Ok(()),
        }
    }
}
