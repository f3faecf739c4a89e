//! Exact planar predicates in (longitude, latitude) degrees and a band index over polygon
//! edges, for point-in-polygon and "does any edge touch this rectangle" queries.
//!
//! Polygons are planar in lon/lat, as GeoJSON (RFC 7946) and PostGIS `geometry` read them.
//! Orientation tests use geo's robust kernel, so a point exactly on an edge is found.

use geo::{
    Coord, MultiPolygon,
    kernels::{Kernel, Orientation, RobustKernel},
};

/// A closed axis-aligned rectangle: x is longitude, y latitude, in degrees.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Rect {
    pub x0: f64,
    pub y0: f64,
    pub x1: f64,
    pub y1: f64,
}

impl Rect {
    pub fn contains(&self, p: Coord) -> bool {
        self.x0 <= p.x && p.x <= self.x1 && self.y0 <= p.y && p.y <= self.y1
    }

    pub fn intersects(&self, o: &Self) -> bool {
        self.x0 <= o.x1 && o.x0 <= self.x1 && self.y0 <= o.y1 && o.y0 <= self.y1
    }

    pub fn center(&self) -> Coord {
        Coord {
            x: (self.x0 + self.x1) / 2.0,
            y: (self.y0 + self.y1) / 2.0,
        }
    }

    pub fn of_segment(a: Coord, b: Coord) -> Self {
        Self {
            x0: a.x.min(b.x),
            y0: a.y.min(b.y),
            x1: a.x.max(b.x),
            y1: a.y.max(b.y),
        }
    }
}

/// Where a point lies relative to a polygon.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Position {
    Inside,
    Boundary,
    Outside,
}

fn orient(p: Coord, q: Coord, r: Coord) -> Orientation {
    RobustKernel::orient2d(p, q, r)
}

/// Whether `p` lies on the closed segment `a`-`b`.
pub(crate) fn on_segment(a: Coord, b: Coord, p: Coord) -> bool {
    Rect::of_segment(a, b).contains(p) && orient(a, b, p) == Orientation::Collinear
}

/// Whether the closed segment `a`-`b` and the closed rectangle share a point.
pub(crate) fn segment_hits_rect(a: Coord, b: Coord, r: &Rect) -> bool {
    if !Rect::of_segment(a, b).intersects(r) {
        return false;
    }
    if r.contains(a) || r.contains(b) {
        return true;
    }
    // Bounding boxes overlap: the segment meets the rectangle unless all four corners lie
    // strictly on one side of its line.
    let corners = [
        Coord { x: r.x0, y: r.y0 },
        Coord { x: r.x1, y: r.y0 },
        Coord { x: r.x1, y: r.y1 },
        Coord { x: r.x0, y: r.y1 },
    ];
    let sides = corners.map(|c| orient(a, b, c));
    !(sides.iter().all(|s| *s == Orientation::CounterClockwise)
        || sides.iter().all(|s| *s == Orientation::Clockwise))
}

/// How two closed segments meet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Meeting {
    Apart,
    /// They share exactly one point, an endpoint of at least one of them.
    Touch,
    /// They cross at one point interior to both.
    Cross,
    /// They are collinear and share more than one point.
    Overlap,
}

/// How the closed segments `a`-`b` and `c`-`d` meet (both of positive length).
pub(crate) fn meeting(a: Coord, b: Coord, c: Coord, d: Coord) -> Meeting {
    if !Rect::of_segment(a, b).intersects(&Rect::of_segment(c, d)) {
        return Meeting::Apart;
    }
    let (o1, o2) = (orient(a, b, c), orient(a, b, d));
    let (o3, o4) = (orient(c, d, a), orient(c, d, b));
    use Orientation::Collinear;
    if o1 == Collinear && o2 == Collinear {
        // Collinear: count the shared points via the endpoints lying on the other segment.
        let shared = [
            on_segment(a, b, c).then_some(c),
            on_segment(a, b, d).then_some(d),
            on_segment(c, d, a).then_some(a),
            on_segment(c, d, b).then_some(b),
        ];
        let mut points = shared.into_iter().flatten();
        return match points.next() {
            None => Meeting::Apart,
            Some(first) => {
                if points.all(|p| p == first) {
                    Meeting::Touch
                } else {
                    Meeting::Overlap
                }
            }
        };
    }
    if o1 != o2 && o3 != o4 {
        if [o1, o2, o3, o4].contains(&Collinear) {
            Meeting::Touch
        } else {
            Meeting::Cross
        }
    } else {
        Meeting::Apart
    }
}

/// One polygon edge, with the ring it belongs to and its position in that ring (counting
/// only edges of positive length).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Edge {
    pub a: Coord,
    pub b: Coord,
    pub ring: u32,
    pub pos: u32,
}

/// Every ring of a multipolygon as closed coordinate lists (exterior first per polygon),
/// with the polygon index and whether the ring is a hole.
pub(crate) fn rings(mp: &MultiPolygon) -> impl Iterator<Item = (usize, bool, &[Coord])> {
    mp.0.iter().enumerate().flat_map(|(i, poly)| {
        std::iter::once((i, false, poly.exterior().0.as_slice())).chain(
            poly.interiors()
                .iter()
                .map(move |r| (i, true, r.0.as_slice())),
        )
    })
}

/// Whether the edge `a`-`b` crosses the ray from `p` towards increasing longitude
/// (half-open in latitude, so a ray through a vertex counts once).
pub(crate) fn crosses_ray(a: Coord, b: Coord, p: Coord) -> bool {
    if (a.y > p.y) == (b.y > p.y) {
        return false;
    }
    let o = orient(a, b, p);
    if b.y > a.y {
        o == Orientation::CounterClockwise
    } else {
        o == Orientation::Clockwise
    }
}

/// Position of `p` among `edges` by crossing parity, boundary included. `edges` must hold
/// every edge whose latitude span includes `p.y`; others are ignored.
pub(crate) fn position_among(edges: impl Iterator<Item = (Coord, Coord)>, p: Coord) -> Position {
    let mut inside = false;
    for (a, b) in edges {
        if on_segment(a, b, p) {
            return Position::Boundary;
        }
        inside ^= crosses_ray(a, b, p);
    }
    if inside {
        Position::Inside
    } else {
        Position::Outside
    }
}

/// Position of `p` in `mp` by scanning every edge (no index), even-odd over all rings.
pub(crate) fn position_linear(mp: &MultiPolygon, p: Coord) -> Position {
    let edges = rings(mp).flat_map(|(_, _, ring)| ring.windows(2).map(|w| (w[0], w[1])));
    position_among(edges, p)
}

#[cfg(test)]
mod tests {
    use geo::{LineString, Polygon};

    use crate::area::edge_index::EdgeIndex;

    use super::*;

    fn c(x: f64, y: f64) -> Coord {
        Coord { x, y }
    }

    fn square_with_hole() -> MultiPolygon {
        let shell = LineString::from(vec![(0.0, 0.0), (10.0, 0.0), (10.0, 10.0), (0.0, 10.0)]);
        let hole = LineString::from(vec![(4.0, 4.0), (6.0, 4.0), (6.0, 6.0), (4.0, 6.0)]);
        MultiPolygon(vec![Polygon::new(shell, vec![hole])])
    }

    #[test]
    fn positions_with_holes_and_edges() {
        let mp = square_with_hole();
        let index = EdgeIndex::new(&mp);
        for (p, want) in [
            (c(1.0, 1.0), Position::Inside),
            (c(5.0, 5.0), Position::Outside),
            (c(0.0, 5.0), Position::Boundary),
            (c(10.0, 10.0), Position::Boundary),
            (c(4.0, 5.0), Position::Boundary),
            (c(5.0, 4.0), Position::Boundary),
            (c(11.0, 5.0), Position::Outside),
            (c(5.0, 0.0), Position::Boundary),
            (c(3.0, 4.0), Position::Inside),
        ] {
            assert_eq!(index.position(p), want, "{p:?}");
            assert_eq!(position_linear(&mp, p), want, "{p:?}");
        }
    }

    #[test]
    fn rectangle_edge_hits() {
        let index = EdgeIndex::new(&square_with_hole());
        let r = |x0, y0, x1, y1| Rect { x0, y0, x1, y1 };
        assert!(!index.any_edge_hits(&r(1.0, 1.0, 3.0, 3.0)));
        assert!(index.any_edge_hits(&r(3.0, 3.0, 7.0, 7.0)));
        assert!(index.any_edge_hits(&r(4.5, 4.5, 4.6, 6.5)));
        assert!(!index.any_edge_hits(&r(4.5, 4.5, 5.5, 5.5)));
        assert!(index.any_edge_hits(&r(-1.0, -1.0, 0.0, 0.0)));
        assert!(!index.any_edge_hits(&r(-3.0, -3.0, -1.0, 20.0)));
        // A diagonal crossing a corner region without a vertex inside.
        assert!(segment_hits_rect(
            c(0.0, 1.0),
            c(1.0, 0.0),
            &r(0.4, 0.4, 2.0, 2.0)
        ));
        assert!(!segment_hits_rect(
            c(0.0, 0.5),
            c(0.5, 0.0),
            &r(0.4, 0.4, 2.0, 2.0)
        ));
    }

    #[test]
    fn segment_meetings() {
        let m = |a: (f64, f64), b: (f64, f64), p: (f64, f64), q: (f64, f64)| {
            meeting(c(a.0, a.1), c(b.0, b.1), c(p.0, p.1), c(q.0, q.1))
        };
        assert_eq!(m((0., 0.), (2., 2.), (0., 2.), (2., 0.)), Meeting::Cross);
        assert_eq!(m((0., 0.), (2., 2.), (2., 2.), (3., 0.)), Meeting::Touch);
        assert_eq!(m((0., 0.), (2., 0.), (1., 0.), (1., 5.)), Meeting::Touch);
        assert_eq!(m((0., 0.), (2., 0.), (1., 0.), (3., 0.)), Meeting::Overlap);
        assert_eq!(m((0., 0.), (2., 0.), (2., 0.), (3., 0.)), Meeting::Touch);
        assert_eq!(m((0., 0.), (2., 0.), (3., 0.), (4., 0.)), Meeting::Apart);
        assert_eq!(m((0., 0.), (2., 0.), (0., 1.), (2., 1.)), Meeting::Apart);
    }
}
