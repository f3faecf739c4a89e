//! Hexagon covers at one resolution, for per-cell rollups: the resolution-r hexagons that
//! lie wholly inside an area (as ranges of resolution-r cell values) and those that may hold
//! points of the area without lying wholly inside it.

use h3o::{CellIndex, Resolution as H3Resolution};

use super::cap::{Cap, Class, REACH};
use crate::{Cell, CellRange, Resolution};

/// The hexagons of one resolution that meet an area.
///
/// Every point of the area lies in (`latlng_to_cell`) a hexagon of `interior` or of
/// `boundary`; every point of an `interior` hexagon lies in the area.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HexCover {
    /// The hexagons' resolution.
    pub resolution: u8,
    /// Ranges of resolution-`resolution` cell values whose hexagons lie wholly inside.
    pub interior: Vec<CellRange>,
    /// Hexagons that may hold points of the area but do not lie wholly inside it.
    pub boundary: Vec<Cell>,
}

impl HexCover {
    /// Whether the resolution-`resolution` cell value `cell` is in an interior range.
    #[must_use]
    pub fn is_interior(&self, cell: i64) -> bool {
        let i = self.interior.partition_point(|r| r.hi < cell);
        self.interior.get(i).is_some_and(|r| r.contains(cell))
    }
}

const RES_SHIFT: u32 = 52;
const RES_MASK: u64 = 0xf << RES_SHIFT;

/// The values of `cell`'s descendants at resolution `res` (a superset holding only
/// invalid extra values).
fn descendants_at(cell: CellIndex, res: u8) -> CellRange {
    let raw = u64::from(cell);
    let k = u8::from(cell.resolution());
    let free = |r: u8| (1_u64 << (3 * u32::from(15 - r))) - 1;
    let at_res = (raw & !RES_MASK) | (u64::from(res) << RES_SHIFT);
    CellRange {
        lo: ((at_res & !free(k)) | free(res)).cast_signed(),
        hi: (at_res | free(k)).cast_signed(),
    }
}

/// Covers with hexagons of `res` using the cap test `classify`; `None` when more than
/// `max_boundary` hexagons would be undecided.
pub(crate) fn hex_cover(
    classify: &dyn Fn(&Cap) -> Class,
    res: Resolution,
    max_boundary: usize,
) -> Option<HexCover> {
    let r = res.get();
    let mut interior = Vec::new();
    let mut boundary = Vec::new();
    let mut pending: Vec<CellIndex> = CellIndex::base_cells().collect();
    while let Some(c) = pending.pop() {
        let k = u8::from(c.resolution());
        let cell = Cell::from(c);
        let circ = cell.circumradius_m();
        if k == r {
            // The hexagon lies within its circumradius of its centre.
            let cap = Cap {
                center: cell.center(),
                radius_m: circ * (1.0 + 1e-9) + 0.01,
            };
            match classify(&cap) {
                Class::Inside => interior.push(descendants_at(c, r)),
                Class::Outside => {}
                Class::Unknown => {
                    boundary.push(cell);
                    if boundary.len() > max_boundary {
                        return None;
                    }
                }
            }
            continue;
        }
        // The descendants' centres lie within REACH circumradii; their hexagons, each
        // about 7^(-levels/2) of this cell's size, reach a little further.
        let levels = f64::from(r - k);
        let cap = Cap {
            center: cell.center(),
            radius_m: circ * (REACH + 2.0 * 7_f64.powf(-levels / 2.0)) + 0.01,
        };
        match classify(&cap) {
            Class::Inside => interior.push(descendants_at(c, r)),
            Class::Outside => {}
            Class::Unknown => {
                let next = H3Resolution::try_from(k + 1).unwrap_or(H3Resolution::Fifteen);
                pending.extend(c.children(next));
            }
        }
    }
    interior.sort_unstable_by_key(|r| r.lo);
    let mut merged: Vec<CellRange> = Vec::with_capacity(interior.len());
    for range in interior {
        match merged.last_mut() {
            Some(last) if range.lo <= last.hi.saturating_add(1) => last.hi = last.hi.max(range.hi),
            _ => merged.push(range),
        }
    }
    boundary.sort_unstable();
    Some(HexCover {
        resolution: r,
        interior: merged,
        boundary,
    })
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use crate::test_support::{any_point, destination};
    use crate::{Area, Coordinates, CoverLimits, Resolution};

    /// The hexagon cover's promise: every point of the area lies in an interior or boundary
    /// hexagon, and every point of an interior hexagon lies in the area.
    fn check(area: Area, points: &[Coordinates], res: u8) -> Result<(), TestCaseError> {
        let prepared = area.prepare(&CoverLimits::default()).unwrap();
        let r = Resolution::new(res).unwrap();
        let Some(hex) = prepared.hex_cover(r, 100_000) else {
            return Ok(());
        };
        for p in points {
            let cell = p.cell_at(r);
            let interior = hex.is_interior(cell.as_i64());
            let edge = hex.boundary.binary_search(&cell).is_ok();
            if interior {
                prop_assert!(prepared.contains(p), "{p} in interior {cell} but outside");
            }
            if prepared.contains(p) {
                prop_assert!(interior || edge, "{p} inside but {cell} not in the cover");
            }
        }
        Ok(())
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(24))]
        #[test]
        fn radius_and_box_hexagon_covers_hold_every_point(
            center in any_point(),
            radius in 500.0_f64..40_000.0,
            res in prop::sample::select(vec![5_u8, 7, 9]),
            samples in prop::collection::vec((0.0_f64..360.0, 0.0_f64..1.3), 300),
        ) {
            let points: Vec<Coordinates> = samples
                .iter()
                .map(|(b, f)| destination(&center, *b, f * radius))
                .collect();
            check(Area::near(center, radius).unwrap(), &points, res)?;
            let (lat, lon) = (center.lat(), center.lon());
            let d = radius / 111_000.0;
            if let Ok(bbox) = Area::bbox(lon - d, (lat - d).max(-89.0), lon + d, (lat + d).min(89.0)) {
                check(bbox, &points, res)?;
            }
        }
    }
}
