//! The disc (spherical cap) that holds every resolution-15 descendant of a cell, its
//! lon/lat bounding rectangles, and the geometry of a cell for "cap inside/outside cell".

use std::f64::consts::FRAC_PI_2;

use h3o::CellIndex;

use crate::{Cell, Coordinates, EARTH_RADIUS_M, area::planar::Rect};

/// Every resolution-15 descendant of a cell lies within this many of the cell's own
/// circumradii of its centre. Measured here at 1.047-1.065 for every resolution (all cells
/// of resolutions 0-1 and samples with all pentagons beyond, descending 9 levels); the
/// design asks for about 1.15, which leaves 8% for what the measurement missed.
pub(crate) const REACH: f64 = 1.15;

/// Degrees added around every rectangle so float rounding can only grow it.
const EPS_DEG: f64 = 1e-9;

/// A disc on the sphere.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Cap {
    pub center: Coordinates,
    pub radius_m: f64,
}

impl Cap {
    /// The disc around `cell`'s centre that holds all its resolution-15 descendants.
    pub fn of_cell(cell: CellIndex) -> Self {
        let cell = Cell::from(cell);
        Self {
            center: cell.center(),
            radius_m: REACH * cell.circumradius_m(),
        }
    }

    /// Rectangles in lon/lat degrees that together hold every point of the cap.
    pub fn rects(&self) -> CapRects {
        let a = self.radius_m / EARTH_RADIUS_M;
        let a_deg = a.to_degrees();
        let (lat, lon) = (self.center.lat(), self.center.lon());
        let y0 = (lat - a_deg - EPS_DEG).max(-90.0);
        let y1 = (lat + a_deg + EPS_DEG).min(90.0);
        let ratio = a.sin() / lat.to_radians().cos();
        let holds_pole = a >= FRAC_PI_2 || lat + a_deg >= 90.0 || lat - a_deg <= -90.0;
        let mut main = Vec::with_capacity(2);
        if holds_pole || ratio.is_nan() || ratio >= 1.0 {
            main.push(Rect {
                x0: -180.0,
                y0,
                x1: 180.0,
                y1,
            });
        } else {
            // The exact longitude half-width of a cap that does not hold a pole.
            let half = ratio.asin().to_degrees() * (1.0 + 1e-9) + EPS_DEG;
            let (lo, hi) = (lon - half, lon + half);
            let piece = |x0: f64, x1: f64| Rect { x0, y0, x1, y1 };
            if lo < -180.0 {
                main.push(piece(lo + 360.0, 180.0));
                main.push(piece(-180.0, hi));
            } else if hi > 180.0 {
                main.push(piece(lo, 180.0));
                main.push(piece(-180.0, hi - 360.0));
            } else {
                main.push(piece(lo, hi));
            }
        }
        // A point at longitude ±180 also stands for ∓180: keep that meridian in view.
        let mut slivers = Vec::new();
        if main.iter().any(|r| r.x1 >= 180.0 - EPS_DEG) {
            slivers.push(Rect {
                x0: -180.0,
                y0,
                x1: -180.0 + EPS_DEG,
                y1,
            });
        }
        if main.iter().any(|r| r.x0 <= -180.0 + EPS_DEG) {
            slivers.push(Rect {
                x0: 180.0 - EPS_DEG,
                y0,
                x1: 180.0,
                y1,
            });
        }
        CapRects { main, slivers }
    }
}

/// The lon/lat rectangles of a cap: `main` holds every point of the cap as given,
/// `slivers` the same points with longitude ±180 written as ∓180.
#[derive(Debug, Clone)]
pub(crate) struct CapRects {
    pub main: Vec<Rect>,
    pub slivers: Vec<Rect>,
}

/// What is known of a cap against an area.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Class {
    Inside,
    Outside,
    Unknown,
}

impl CapRects {
    /// Combines per-rectangle answers: inside when every main rectangle is inside, outside
    /// when every rectangle (slivers too) is outside.
    pub fn classify(&self, mut piece: impl FnMut(&Rect) -> Class) -> Class {
        let (mut all_in, mut all_out) = (true, true);
        for r in &self.main {
            match piece(r) {
                Class::Inside => all_out = false,
                Class::Outside => all_in = false,
                Class::Unknown => return Class::Unknown,
            }
        }
        if all_out && self.slivers.iter().any(|r| piece(r) != Class::Outside) {
            all_out = false;
        }
        match (all_in, all_out) {
            (true, _) => Class::Inside,
            (_, true) => Class::Outside,
            _ => Class::Unknown,
        }
    }
}

fn unit(c: &Coordinates) -> [f64; 3] {
    let (lat, lon) = (c.lat().to_radians(), c.lon().to_radians());
    [lat.cos() * lon.cos(), lat.cos() * lon.sin(), lat.sin()]
}

fn cross(a: [f64; 3], b: [f64; 3]) -> [f64; 3] {
    [
        a[1] * b[2] - a[2] * b[1],
        a[2] * b[0] - a[0] * b[2],
        a[0] * b[1] - a[1] * b[0],
    ]
}

fn dot(a: [f64; 3], b: [f64; 3]) -> f64 {
    a[0] * b[0] + a[1] * b[1] + a[2] * b[2]
}

/// A cell of a Cells area, ready for cap tests. Its edges are great-circle arcs (straight
/// lines in H3's gnomonic face projections), so a cap whose centre lies in the cell and
/// that reaches none of the edges' great circles lies in the cell.
#[derive(Debug, Clone)]
pub(crate) struct CellShape {
    cell: Cell,
    center: Coordinates,
    circumradius_m: f64,
    /// Unit normals of the great circles through consecutive vertices.
    normals: Vec<[f64; 3]>,
}

impl CellShape {
    pub fn new(cell: Cell) -> Self {
        let vertices: Vec<[f64; 3]> = cell.boundary().iter().map(unit).collect();
        let normals = (0..vertices.len())
            .filter_map(|i| {
                let n = cross(vertices[i], vertices[(i + 1) % vertices.len()]);
                let len = dot(n, n).sqrt();
                (len > 0.0).then(|| n.map(|x| x / len))
            })
            .collect();
        Self {
            cell,
            center: cell.center(),
            circumradius_m: cell.circumradius_m(),
            normals,
        }
    }

    pub fn classify(&self, cap: &Cap) -> Class {
        // Room for float error in h3o's and our own trigonometry.
        let margin = 0.01 + 1e-6 * self.circumradius_m;
        let d = self.center.distance_m(&cap.center);
        if d - cap.radius_m > self.circumradius_m + margin {
            return Class::Outside;
        }
        if cap.center.cell_at(self.cell.res()) != self.cell {
            return Class::Unknown;
        }
        let c = unit(&cap.center);
        let to_edges = self
            .normals
            .iter()
            .map(|n| dot(*n, c).abs().min(1.0).asin() * EARTH_RADIUS_M)
            .fold(f64::INFINITY, f64::min);
        if to_edges >= cap.radius_m + margin {
            Class::Inside
        } else {
            Class::Unknown
        }
    }
}
