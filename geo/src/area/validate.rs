//! Polygon checks: coordinates, simple rings, nesting of holes and polygons, and area.

use std::collections::HashMap;

use geo::{Coord, MultiPolygon};

use super::{
    edge_index::EdgeIndex,
    planar::{Edge, Meeting, crosses_ray, meeting, on_segment, rings},
};
use crate::{EARTH_RADIUS_M, GeoError};

const FIELD: &str = "polygon";

/// The most edge pairs the self-intersection sweep looks at before giving up, so an
/// adversarial polygon (many long edges over the same longitudes, such as a star of
/// thousands of spikes) cannot hang a request. Real boundaries with 100,000 positions
/// need a few million.
pub(crate) const MAX_PAIR_CHECKS: usize = 30_000_000;

fn invalid(reason: String) -> GeoError {
    GeoError::InvalidPolygon {
        field: FIELD,
        reason,
    }
}

/// Names ring `k` of polygon `poly` for messages ("exterior ring of polygon 0",
/// "hole 2 of polygon 1").
fn ring_name(poly: usize, hole: Option<usize>) -> String {
    match hole {
        None => format!("exterior ring of polygon {poly}"),
        Some(h) => format!("hole {h} of polygon {poly}"),
    }
}

/// Each ring as (polygon, hole number or None, coordinates), in index order.
fn ring_table(mp: &MultiPolygon) -> Vec<(usize, Option<usize>, &[Coord])> {
    let mut hole_no = 0;
    let mut last_poly = usize::MAX;
    rings(mp)
        .map(|(poly, is_hole, ring)| {
            if poly != last_poly {
                last_poly = poly;
                hole_no = 0;
            }
            let hole = is_hole.then(|| {
                hole_no += 1;
                hole_no - 1
            });
            (poly, hole, ring)
        })
        .collect()
}

/// The number of positions in all rings (each closed ring counts its repeated last one).
pub(crate) fn vertex_count(mp: &MultiPolygon) -> usize {
    rings(mp).map(|(_, _, r)| r.len()).sum()
}

/// Every position is finite and within longitude -180..=180, latitude -90..=90.
pub(crate) fn check_coordinates(mp: &MultiPolygon) -> Result<(), GeoError> {
    for (poly, hole, ring) in ring_table(mp) {
        for (i, c) in ring.iter().enumerate() {
            let ok_lon = c.x.is_finite() && (-180.0..=180.0).contains(&c.x);
            let ok_lat = c.y.is_finite() && (-90.0..=90.0).contains(&c.y);
            if !ok_lon || !ok_lat {
                return Err(invalid(format!(
                    "position {i} of the {} is [{}, {}], outside longitude -180..=180 / \
                     latitude -90..=90",
                    ring_name(poly, hole),
                    c.x,
                    c.y
                )));
            }
        }
    }
    Ok(())
}

/// Rings have at least 3 distinct positions, no ring touches or crosses itself, rings
/// meet at most at single points, holes lie in their own exterior ring, and polygons do
/// not overlap (one may lie in another's hole).
pub(crate) fn check_structure(mp: &MultiPolygon, index: &EdgeIndex) -> Result<(), GeoError> {
    let table = ring_table(mp);
    if mp.0.is_empty() {
        return Err(invalid("no polygon".into()));
    }
    let mut edges_per_ring = vec![0_u32; table.len()];
    for e in &index.edges {
        edges_per_ring[e.ring as usize] += 1;
    }
    for (k, (poly, hole, _)) in table.iter().enumerate() {
        if edges_per_ring[k] < 3 {
            return Err(invalid(format!(
                "the {} has fewer than 3 distinct positions",
                ring_name(*poly, *hole)
            )));
        }
    }
    check_crossings(index, &edges_per_ring, &table)?;
    check_nesting(index, &table)
}

/// Finds a pair of edges that cross, overlap, or (within one ring) touch when not
/// adjacent. Each latitude band of the index is swept by longitude; a pair is compared only
/// in the band holding the bottom of the two edges' common latitude span, so once.
fn check_crossings(
    index: &EdgeIndex,
    edges_per_ring: &[u32],
    table: &[(usize, Option<usize>, &[Coord])],
) -> Result<(), GeoError> {
    let edges = &index.edges;
    let xmin = |i: u32| edges[i as usize].a.x.min(edges[i as usize].b.x);
    let xmax = |i: u32| edges[i as usize].a.x.max(edges[i as usize].b.x);
    let mut checks = 0_usize;
    let mut active: Vec<u32> = Vec::new();
    for (band_no, band) in index.bands().iter().enumerate() {
        let mut order = band.clone();
        order.sort_unstable_by(|&i, &j| xmin(i).total_cmp(&xmin(j)));
        active.clear();
        for &i in &order {
            let x = xmin(i);
            active.retain(|&j| xmax(j) >= x);
            checks += active.len();
            if checks > MAX_PAIR_CHECKS {
                return Err(GeoError::TooMany {
                    field: FIELD,
                    count: checks,
                    max: MAX_PAIR_CHECKS,
                    what: "edge pairs to compare (the polygon is too intricate to validate)",
                });
            }
            let e = &edges[i as usize];
            let (ey0, ey1) = (e.a.y.min(e.b.y), e.a.y.max(e.b.y));
            for &j in &active {
                let f = &edges[j as usize];
                let (fy0, fy1) = (f.a.y.min(f.b.y), f.a.y.max(f.b.y));
                if fy1 < ey0 || fy0 > ey1 || index.band(ey0.max(fy0)) != band_no {
                    continue;
                }
                if let Some(what) = bad_meeting(e, f, edges_per_ring, table) {
                    return Err(invalid(format!("{what} near [{}, {}]", e.a.x, e.a.y)));
                }
            }
            active.push(i);
        }
    }
    Ok(())
}

/// Why edges `e` and `f` may not meet as they do, if they may not.
fn bad_meeting(
    e: &Edge,
    f: &Edge,
    edges_per_ring: &[u32],
    table: &[(usize, Option<usize>, &[Coord])],
) -> Option<String> {
    let m = meeting(e.a, e.b, f.a, f.b);
    let (poly, hole, _) = table[e.ring as usize];
    if e.ring == f.ring {
        let n = edges_per_ring[e.ring as usize];
        let (p, q) = (e.pos.min(f.pos), e.pos.max(f.pos));
        let adjacent = q - p == 1 || (p == 0 && q == n - 1);
        let bad = if adjacent {
            m == Meeting::Overlap
        } else {
            m != Meeting::Apart
        };
        bad.then(|| format!("the {} intersects itself", ring_name(poly, hole)))
    } else if matches!(m, Meeting::Cross | Meeting::Overlap) {
        let (p2, h2, _) = table[f.ring as usize];
        Some(format!(
            "the {} and the {} cross or share an edge",
            ring_name(poly, hole),
            ring_name(p2, h2)
        ))
    } else {
        None
    }
}

/// Planar shoelace area in square degrees, for ordering nested rings.
fn planar_area(ring: &[Coord]) -> f64 {
    ring.windows(2)
        .map(|w| w[0].x * w[1].y - w[1].x * w[0].y)
        .sum::<f64>()
        .abs()
        / 2.0
}

/// A point on ring `k` (an edge midpoint) that lies on no other ring; `edges` are the
/// ring's own edges.
fn probe(index: &EdgeIndex, k: u32, edges: &[Edge]) -> Option<Coord> {
    edges.iter().find_map(|e| {
        let m = Coord {
            x: (e.a.x + e.b.x) / 2.0,
            y: (e.a.y + e.b.y) / 2.0,
        };
        let on_other = index.edges_near(m.y).iter().any(|&i| {
            let f = &index.edges[i as usize];
            f.ring != k && on_segment(f.a, f.b, m)
        });
        (!on_other).then_some(m)
    })
}

/// The rings other than `k` that contain `p` (odd crossing parity).
fn containing_rings(index: &EdgeIndex, k: u32, p: Coord) -> Vec<u32> {
    let mut parity: HashMap<u32, bool> = HashMap::new();
    for &i in index.edges_near(p.y) {
        let e = &index.edges[i as usize];
        if e.ring != k && crosses_ray(e.a, e.b, p) {
            *parity.entry(e.ring).or_default() ^= true;
        }
    }
    parity
        .into_iter()
        .filter_map(|(r, odd)| odd.then_some(r))
        .collect()
}

fn check_nesting(
    index: &EdgeIndex,
    table: &[(usize, Option<usize>, &[Coord])],
) -> Result<(), GeoError> {
    let areas: Vec<f64> = table.iter().map(|(_, _, r)| planar_area(r)).collect();
    // The index lists each ring's edges together, in ring order.
    let mut own: Vec<std::ops::Range<usize>> = vec![0..0; table.len()];
    for (i, e) in index.edges.iter().enumerate() {
        let r = &mut own[e.ring as usize];
        if r.start == r.end {
            *r = i..i + 1;
        } else {
            r.end = i + 1;
        }
    }
    for (k, (poly, hole, _)) in table.iter().enumerate() {
        let k32 = u32::try_from(k).unwrap_or(u32::MAX);
        let Some(p) = probe(index, k32, &index.edges[own[k].clone()]) else {
            // Every edge midpoint lies on another ring: the crossing check has already
            // refused shared edges, so this cannot happen for a valid polygon.
            return Err(invalid(format!(
                "the {} lies on other rings",
                ring_name(*poly, *hole)
            )));
        };
        let parent = containing_rings(index, k32, p)
            .into_iter()
            .min_by(|&a, &b| areas[a as usize].total_cmp(&areas[b as usize]))
            .map(|r| table[r as usize]);
        match (hole, parent) {
            (Some(_), Some((pp, None, _))) if pp == *poly => {}
            (Some(_), _) => {
                return Err(invalid(format!(
                    "the {} is not inside the exterior ring of polygon {poly} (or lies in \
                     another ring)",
                    ring_name(*poly, *hole)
                )));
            }
            (None, None | Some((_, Some(_), _))) => {}
            (None, Some((pp, None, _))) => {
                return Err(invalid(format!(
                    "polygon {poly} overlaps polygon {pp} (its exterior ring lies inside \
                     polygon {pp})"
                )));
            }
        }
    }
    Ok(())
}

/// Area on the sphere (mean radius) of the region bounded by lines straight in lon/lat,
/// in square metres: exterior rings minus holes.
pub(crate) fn area_m2(mp: &MultiPolygon) -> f64 {
    rings(mp)
        .map(|(_, is_hole, ring)| {
            let a = ring_area_m2(ring);
            if is_hole { -a } else { a }
        })
        .sum::<f64>()
        .max(0.0)
}

/// Exact area of one ring: the integral of R^2 cos(lat) over the enclosed lon/lat region,
/// by Green's theorem along edges on which latitude varies linearly with longitude.
fn ring_area_m2(ring: &[Coord]) -> f64 {
    let sum: f64 = ring
        .windows(2)
        .map(|w| {
            let (l1, p1) = (w[0].x.to_radians(), w[0].y.to_radians());
            let (l2, p2) = (w[1].x.to_radians(), w[1].y.to_radians());
            let half = (p2 - p1) / 2.0;
            let sinc = if half.abs() < 1e-8 {
                1.0
            } else {
                half.sin() / half
            };
            (l2 - l1) * ((p1 + p2) / 2.0).sin() * sinc
        })
        .sum();
    sum.abs() * EARTH_RADIUS_M * EARTH_RADIUS_M
}

#[cfg(test)]
#[path = "validate_tests.rs"]
mod tests;
