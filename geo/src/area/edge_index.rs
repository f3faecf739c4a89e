//! Polygon edges bucketed by latitude bands, for point-in-polygon and rectangle queries
//! that look at a few edges instead of all of them.

use geo::{Coord, MultiPolygon};

use super::planar::{Edge, Position, Rect, position_among, rings, segment_hits_rect};

/// Edges of a multipolygon bucketed by latitude bands.
#[derive(Debug, Clone)]
pub(crate) struct EdgeIndex {
    pub edges: Vec<Edge>,
    pub bbox: Option<Rect>,
    y0: f64,
    band_height: f64,
    bands: Vec<Vec<u32>>,
}

/// The index keeps at most this many band entries per edge on average.
const MAX_ENTRIES_PER_EDGE: usize = 16;

impl EdgeIndex {
    /// Indexes every non-degenerate edge of `mp`.
    pub fn new(mp: &MultiPolygon) -> Self {
        let mut edges = Vec::new();
        for (ring_id, (_, _, ring)) in rings(mp).enumerate() {
            let ring_id_u32 = u32::try_from(ring_id).unwrap_or(u32::MAX);
            let ring_edges = ring.windows(2).filter(|w| w[0] != w[1]);
            edges.extend(ring_edges.enumerate().map(|(pos, w)| Edge {
                a: w[0],
                b: w[1],
                ring: ring_id_u32,
                pos: u32::try_from(pos).unwrap_or(u32::MAX),
            }));
        }
        let bbox = edges
            .iter()
            .map(|e| Rect::of_segment(e.a, e.b))
            .reduce(|r, s| Rect {
                x0: r.x0.min(s.x0),
                y0: r.y0.min(s.y0),
                x1: r.x1.max(s.x1),
                y1: r.y1.max(s.y1),
            });
        let mut index = Self {
            edges,
            bbox,
            y0: bbox.map_or(0.0, |b| b.y0),
            band_height: 1.0,
            bands: Vec::new(),
        };
        index.build_bands();
        index
    }

    fn build_bands(&mut self) {
        let Some(bbox) = self.bbox else {
            self.bands = vec![Vec::new()];
            return;
        };
        let height = bbox.y1 - bbox.y0;
        let n = self.edges.len();
        // About sqrt(n) bands, fewer when long edges would repeat in too many of them.
        let mut count = (n as f64).sqrt().ceil().clamp(1.0, 4096.0) as usize;
        loop {
            self.band_height = if height > 0.0 {
                height / count as f64
            } else {
                1.0
            };
            let entries: usize = self.edges.iter().map(|e| self.span(e).count()).sum();
            if count == 1 || entries <= MAX_ENTRIES_PER_EDGE * n {
                break;
            }
            count = count.div_ceil(2);
        }
        self.bands = vec![Vec::new(); count];
        for (id, e) in self.edges.iter().enumerate() {
            let id = u32::try_from(id).expect("edge count is limited");
            for band in self.span(e) {
                self.bands[band].push(id);
            }
        }
    }

    fn band_count(&self) -> usize {
        self.bands.len().max(1)
    }

    /// The edge ids of each latitude band, south to north.
    pub fn bands(&self) -> &[Vec<u32>] {
        &self.bands
    }

    /// The band holding latitude `y` (monotone in `y`, clamped to the index).
    pub fn band(&self, y: f64) -> usize {
        let i = ((y - self.y0) / self.band_height).floor();
        if i.is_nan() || i < 0.0 {
            0
        } else {
            (i as usize).min(self.band_count() - 1)
        }
    }

    fn span(&self, e: &Edge) -> std::ops::RangeInclusive<usize> {
        self.band(e.a.y.min(e.b.y))..=self.band(e.a.y.max(e.b.y))
    }

    /// Position of `p`, boundary included.
    pub fn position(&self, p: Coord) -> Position {
        match self.bbox {
            Some(b) if b.contains(p) => {
                let band = &self.bands[self.band(p.y)];
                position_among(
                    band.iter().map(|&i| {
                        let e = &self.edges[i as usize];
                        (e.a, e.b)
                    }),
                    p,
                )
            }
            _ => Position::Outside,
        }
    }

    /// Whether some edge shares a point with the closed rectangle `r`.
    pub fn any_edge_hits(&self, r: &Rect) -> bool {
        if !self.bbox.is_some_and(|b| b.intersects(r)) {
            return false;
        }
        (self.band(r.y0)..=self.band(r.y1)).any(|band| {
            self.bands[band].iter().any(|&i| {
                let e = &self.edges[i as usize];
                segment_hits_rect(e.a, e.b, r)
            })
        })
    }

    /// Ids of the edges whose latitude span includes `y` (may repeat none, may include
    /// some that do not reach `y`).
    pub fn edges_near(&self, y: f64) -> &[u32] {
        &self.bands[self.band(y)]
    }
}
