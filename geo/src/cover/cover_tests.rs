use geo::{Coord, LineString, MultiPolygon, Polygon};
use h3o::{CellIndex, LatLng};
use proptest::prelude::*;

use super::{cap::Cap, *};
use crate::{
    Coordinates, Resolution,
    test_support::{any_point, destination, offsets},
};

/// The cover's promise for one point: interior rows are inside, rows in no range are
/// outside, boundary rows are decided by the exact test.
fn assert_agrees(area: &Area, cover: &Cover, p: &Coordinates) -> Result<(), TestCaseError> {
    let exact = area.contains(p);
    let placement = cover.placement(p.cell().as_i64());
    match placement {
        Placement::Interior => prop_assert!(exact, "{p} is interior but not in {area:?}"),
        Placement::Outside => prop_assert!(!exact, "{p} is in the area but in no range"),
        Placement::Boundary => {}
    }
    Ok(())
}

fn check_points(area: &Area, points: &[Coordinates]) -> Result<Cover, TestCaseError> {
    let cover = area.cover(&CoverLimits::default()).unwrap();
    assert_sorted_disjoint(&cover);
    let prepared = area.clone().prepare(&CoverLimits::default()).unwrap();
    for p in points {
        assert_agrees(area, &cover, p)?;
        prop_assert_eq!(prepared.contains(p), area.contains(p));
    }
    Ok(cover)
}

fn assert_sorted_disjoint(cover: &Cover) {
    for list in [&cover.interior, &cover.boundary] {
        for w in list.windows(2) {
            assert!(w[0].hi < w[1].lo, "{w:?}");
        }
        assert!(list.iter().all(|r| r.lo <= r.hi));
    }
    for r in &cover.boundary {
        assert!(cover.interior.iter().all(|i| i.hi < r.lo || r.hi < i.lo));
    }
}

fn star(center: Coord, radii: &[(f64, f64)], scale: f64) -> LineString {
    let mut angles: Vec<(f64, f64)> = radii.to_vec();
    angles.sort_by(|a, b| a.0.total_cmp(&b.0));
    angles.dedup_by(|a, b| a.0 == b.0);
    let mut ring: Vec<Coord> = angles
        .iter()
        .map(|&(t, r)| Coord {
            x: center.x + scale * r * t.to_radians().cos(),
            y: center.y + scale * r * t.to_radians().sin(),
        })
        .collect();
    ring.push(ring[0]);
    LineString(ring)
}

fn star_area() -> impl Strategy<Value = (Area, Vec<Coordinates>)> {
    (
        -75.0..75.0_f64,
        -165.0..165.0_f64,
        -4.0..1.0_f64,
        proptest::collection::vec((0.0..360.0_f64, 0.4..1.0_f64), 3..30),
        proptest::collection::vec((0.0..360.0_f64, 0.3..1.0_f64), 3..8),
        any::<bool>(),
        proptest::collection::vec((-1.2..1.2_f64, -1.2..1.2_f64), 150),
    )
        .prop_filter_map(
            "degenerate star",
            |(lat, lon, log_scale, shell, hole, with_hole, pts)| {
                let scale = 10_f64.powf(log_scale);
                let c = Coord { x: lon, y: lat };
                let shell = star(c, &shell, scale);
                let holes = if with_hole {
                    vec![star(c, &hole, scale * 0.35)]
                } else {
                    vec![]
                };
                let mut points: Vec<Coordinates> = pts
                    .iter()
                    .map(|(dx, dy)| Coordinates::new(lat + dy * scale, lon + dx * scale).unwrap())
                    .collect();
                for ring in std::iter::once(&shell).chain(&holes) {
                    for w in ring.0.windows(2) {
                        points.push(Coordinates::new(w[0].y, w[0].x).unwrap());
                        let mid =
                            Coordinates::new((w[0].y + w[1].y) / 2.0, (w[0].x + w[1].x) / 2.0);
                        points.push(mid.unwrap());
                    }
                }
                let mp = MultiPolygon(vec![Polygon::new(shell, holes)]);
                let area = Area::polygon(mp, &CoverLimits::default()).ok()?;
                Some((area, points))
            },
        )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(40))]

    #[test]
    fn star_polygons_with_holes_agree_with_the_exact_test((area, points) in star_area()) {
        check_points(&area, &points)?;
    }

    #[test]
    fn discs_agree_with_the_exact_test(
        center in any_point(),
        log_r in 0.0..6.3_f64,
        offs in offsets(200),
    ) {
        let radius = 10_f64.powf(log_r);
        let area = Area::near(center, radius).unwrap();
        let mut points: Vec<Coordinates> = offs
            .iter()
            .map(|&(b, f)| destination(&center, b, f * 1.3 * radius))
            .collect();
        points.extend(offs.iter().take(40).map(|&(b, _)| destination(&center, b, radius)));
        check_points(&area, &points)?;
    }

    #[test]
    fn boxes_agree_with_the_exact_test(
        west in -180.0..=180.0_f64,
        width in 0.0..30.0_f64,
        south in -90.0..=90.0_f64,
        height in 0.0..30.0_f64,
        log_scale in -4.0..0.0_f64,
        pts in proptest::collection::vec((-0.2..1.2_f64, -0.2..1.2_f64), 200),
    ) {
        let s = 10_f64.powf(log_scale);
        let (width, height) = (width * s, height * s);
        let mut east = west + width;
        if east > 180.0 {
            east -= 360.0;
        }
        let north = (south + height).min(90.0);
        let area = Area::bbox(west, south, east, north).unwrap();
        let wrap = |lon: f64| if lon > 180.0 { lon - 360.0 } else if lon < -180.0 { lon + 360.0 } else { lon };
        let mut points: Vec<Coordinates> = pts
            .iter()
            .map(|(fx, fy)| {
                let lat = (south + fy * (north - south).max(1e-3)).clamp(-90.0, 90.0);
                Coordinates::new(lat, wrap(west + fx * width.max(1e-3))).unwrap()
            })
            .collect();
        // Points exactly on the edges.
        for (fx, fy) in pts.iter().take(20) {
            let lon = wrap(west + fx.clamp(0.0, 1.0) * width);
            let lat = south + fy.clamp(0.0, 1.0) * (north - south);
            points.push(Coordinates::new(south, lon).unwrap());
            points.push(Coordinates::new(north, lon).unwrap());
            points.push(Coordinates::new(lat.min(north), west).unwrap());
            points.push(Coordinates::new(lat.min(north), east).unwrap());
        }
        check_points(&area, &points)?;
    }

    #[test]
    fn cell_lists_agree_with_the_exact_test(
        p in any_point(),
        res in 0_u8..=15,
        extra in proptest::collection::vec(0_usize..7, 0..3),
        offs in offsets(300),
    ) {
        let x = p.cell_at(Resolution::new(res).unwrap());
        let ring: Vec<CellIndex> = x.index().grid_disk(1);
        let mut cells = vec![x];
        cells.extend(extra.iter().filter_map(|&i| ring.get(i)).map(|&c| Cell::from(c)));
        let area = Area::cells(cells);
        let reach = 1.6 * x.circumradius_m();
        let mut points: Vec<Coordinates> = offs
            .iter()
            .map(|&(b, f)| destination(&x.center(), b, f * reach))
            .collect();
        // Points close to the cell's edges, where neighbours' descendants reach in.
        let vertices = x.boundary();
        for (k, &(t, f)) in offs.iter().enumerate() {
            let (a, b) = (vertices[k % vertices.len()], vertices[(k + 1) % vertices.len()]);
            let mut dlon = b.lon() - a.lon();
            if dlon.abs() > 180.0 {
                dlon -= 360.0_f64.copysign(dlon);
            }
            let t = t / 360.0;
            let (lat, lon) = (a.lat() + t * (b.lat() - a.lat()), a.lon() + t * dlon);
            let on_edge = Coordinates::new(lat.clamp(-90.0, 90.0), (lon + 540.0) % 360.0 - 180.0).unwrap();
            let c = x.center();
            let d = c.distance_m(&on_edge);
            let bearing = bearing_deg(&c, &on_edge);
            points.push(destination(&c, bearing, d * (0.98 + 0.04 * f)));
        }
        check_points(&area, &points)?;
    }
}

fn bearing_deg(from: &Coordinates, to: &Coordinates) -> f64 {
    let (p1, p2) = (from.lat().to_radians(), to.lat().to_radians());
    let dl = (to.lon() - from.lon()).to_radians();
    let y = dl.sin() * p2.cos();
    let x = p1.cos() * p2.sin() - p1.sin() * p2.cos() * dl.cos();
    y.atan2(x).to_degrees()
}

#[test]
fn descendants_stay_within_the_reach_of_their_ancestor() {
    let mut cells: Vec<CellIndex> = CellIndex::base_cells().collect();
    cells.extend(h3o::Resolution::Three.pentagons());
    cells.push(
        LatLng::new(4.85, 31.6)
            .unwrap()
            .to_cell(h3o::Resolution::Eight),
    );
    for c in cells {
        let cap = Cap::of_cell(c);
        let deep = h3o::Resolution::try_from(u8::from(c.resolution()) + 3).unwrap();
        for d in c.children(deep) {
            for v in Cell::from(d).boundary() {
                assert!(cap.center.distance_m(&v) <= cap.radius_m / 1.05, "{c}");
            }
        }
    }
}

/// Points whose resolution-15 ancestor at the cell's resolution is not the hexagon that
/// holds them are found by scanning a fine grid over a cell.
fn mismatched_points(x: Cell) -> (Vec<Coordinates>, Vec<Coordinates>) {
    let res = x.res();
    let h3res = h3o::Resolution::from(res);
    let (mut in_x_not_under, mut under_x_not_in) = (Vec::new(), Vec::new());
    let reach = 1.2 * x.circumradius_m();
    for i in 0..120 {
        for j in 0..120 {
            let p = destination(
                &x.center(),
                f64::from(i) * 3.0,
                f64::from(j) / 120.0 * reach,
            );
            let holder = p.cell_at(res);
            let ancestor = Cell::from(p.cell().index().parent(h3res).unwrap());
            if holder == x && ancestor != x {
                in_x_not_under.push(p);
            }
            if ancestor == x && holder != x {
                under_x_not_in.push(p);
            }
        }
    }
    (in_x_not_under, under_x_not_in)
}

#[test]
fn points_of_a_cell_under_a_neighbour_are_found_and_others_excluded() {
    for x in [
        Coordinates::new(4.85, 31.6)
            .unwrap()
            .cell_at(Resolution::new(9).unwrap()),
        Coordinates::new(-33.9, 151.2)
            .unwrap()
            .cell_at(Resolution::new(6).unwrap()),
        Cell::from(h3o::Resolution::Four.pentagons().nth(3).unwrap()),
    ] {
        let (in_x, under_x) = mismatched_points(x);
        assert!(!in_x.is_empty() && !under_x.is_empty(), "{x}");
        let area = Area::cells(vec![x]);
        let cover = area.cover(&CoverLimits::default()).unwrap();
        for p in &in_x {
            // Under a neighbour's range, which the cover must keep (as boundary, or as
            // interior where a neighbour's descendants lie wholly in X).
            assert!(area.contains(p));
            assert_ne!(
                cover.placement(p.cell().as_i64()),
                Placement::Outside,
                "{p}"
            );
        }
        for p in &under_x {
            assert!(!area.contains(p));
            assert_ne!(
                cover.placement(p.cell().as_i64()),
                Placement::Interior,
                "{p}"
            );
        }
        assert!(
            !cover.interior.is_empty(),
            "the middle of a cell is interior"
        );
    }
}

#[test]
fn a_resolution_15_cell_is_its_own_interior_range() {
    let p = Coordinates::new(1.0, 2.0).unwrap();
    let cover = Area::cells(vec![p.cell()])
        .cover(&CoverLimits::default())
        .unwrap();
    assert_eq!(cover.interior, vec![p.cell().range()]);
    assert!(cover.boundary.is_empty());
}

#[test]
fn a_polygon_around_a_pentagon() {
    for pentagon in h3o::Resolution::Two.pentagons().take(4) {
        let cell = Cell::from(pentagon);
        let center = cell.center();
        let r = 1.5 * cell.circumradius_m();
        let ring: Vec<Coord> = (0..=12)
            .map(|i| {
                let q = destination(&center, f64::from(i % 12) * 30.0, r);
                Coord {
                    x: q.lon(),
                    y: q.lat(),
                }
            })
            .collect();
        let Ok(area) = Area::polygon(
            MultiPolygon(vec![Polygon::new(LineString(ring), vec![])]),
            &CoverLimits::default(),
        ) else {
            // A pentagon whose ring would cross the antimeridian or a pole as planar.
            continue;
        };
        let points: Vec<Coordinates> = (0..3000)
            .map(|i| {
                destination(
                    &center,
                    f64::from(i) * 7.31,
                    f64::from(i % 97) / 96.0 * 1.2 * r,
                )
            })
            .collect();
        let cover = check_points(&area, &points).unwrap();
        assert!(cover.placement(center.cell().as_i64()) == Placement::Interior);
    }
}

#[test]
fn a_box_across_the_antimeridian() {
    let area = Area::bbox(179.5, -0.5, -179.5, 0.5).unwrap();
    let mut points = Vec::new();
    for i in 0..=60 {
        for j in 0..=60 {
            let lon = 179.0 + f64::from(i) / 30.0;
            let lon = if lon > 180.0 { lon - 360.0 } else { lon };
            points.push(Coordinates::new(-1.0 + f64::from(j) / 30.0, lon).unwrap());
        }
    }
    points.push(Coordinates::new(0.0, 180.0).unwrap());
    points.push(Coordinates::new(0.0, -180.0).unwrap());
    let cover = check_points(&area, &points).unwrap();
    let inside = Coordinates::new(0.0, 180.0).unwrap();
    assert!(area.contains(&inside));
    assert_eq!(cover.placement(inside.cell().as_i64()), Placement::Interior);
    let outside = Coordinates::new(0.0, 0.0).unwrap();
    assert_eq!(cover.placement(outside.cell().as_i64()), Placement::Outside);
}

#[test]
fn a_point_on_an_edge_and_a_point_in_a_hole() {
    let doc = serde_json::json!({"type": "Polygon", "coordinates": [
        [[30.0, 4.0], [32.0, 4.0], [32.0, 6.0], [30.0, 6.0], [30.0, 4.0]],
        [[30.5, 4.5], [31.5, 4.5], [31.5, 5.5], [30.5, 5.5], [30.5, 4.5]]]});
    let area = Area::from_geojson(&doc, &CoverLimits::default()).unwrap();
    let on_edge = Coordinates::new(4.0, 31.0).unwrap();
    let on_vertex = Coordinates::new(6.0, 32.0).unwrap();
    let in_hole = Coordinates::new(5.0, 31.0).unwrap();
    let on_hole_edge = Coordinates::new(5.0, 30.5).unwrap();
    let inside = Coordinates::new(4.25, 31.0).unwrap();
    assert!(area.contains(&on_edge) && area.contains(&on_vertex));
    assert!(!area.contains(&in_hole));
    assert!(area.contains(&on_hole_edge));
    let cover = check_points(&area, &[on_edge, on_vertex, in_hole, on_hole_edge, inside]).unwrap();
    assert_eq!(cover.placement(in_hole.cell().as_i64()), Placement::Outside);
    assert_eq!(cover.placement(inside.cell().as_i64()), Placement::Interior);
    assert_eq!(
        cover.placement(on_edge.cell().as_i64()),
        Placement::Boundary
    );
    assert!(cover.boundary.len() <= 256);
}

#[test]
fn halves_of_a_polygon_split_at_the_antimeridian() {
    let doc = serde_json::json!({"type": "MultiPolygon", "coordinates": [
        [[[178.0, -2.0], [180.0, -2.0], [180.0, 2.0], [178.0, 2.0], [178.0, -2.0]]],
        [[[-180.0, -2.0], [-178.0, -2.0], [-178.0, 2.0], [-180.0, 2.0], [-180.0, -2.0]]]]});
    let area = Area::from_geojson(&doc, &CoverLimits::default()).unwrap();
    let points: Vec<Coordinates> = (0..2000)
        .map(|i| {
            let c = Coordinates::new(0.0, 180.0).unwrap();
            destination(&c, f64::from(i) * 13.7, f64::from(i % 50) * 7_000.0)
        })
        .collect();
    check_points(&area, &points).unwrap();
    assert!(area.contains(&Coordinates::new(1.0, -180.0).unwrap()));
    assert!(area.contains(&Coordinates::new(1.0, 180.0).unwrap()));
}

#[test]
fn a_disc_around_the_pole_and_across_the_antimeridian() {
    for center in [(89.9, 0.0), (-90.0, 0.0), (10.0, 180.0), (-10.0, -179.99)] {
        let c = Coordinates::new(center.0, center.1).unwrap();
        let area = Area::near(c, 50_000.0).unwrap();
        let points: Vec<Coordinates> = (0..3000)
            .map(|i| destination(&c, f64::from(i) * 11.3, f64::from(i % 61) * 1_000.0))
            .collect();
        let cover = check_points(&area, &points).unwrap();
        assert!(!cover.interior.is_empty());
    }
}

#[test]
fn boundary_cells_stay_within_the_cap() {
    let area = Area::near(Coordinates::new(0.0, 0.0).unwrap(), 1_500_000.0).unwrap();
    for cap in [16, 64, 256] {
        let limits = CoverLimits {
            max_boundary_cells: cap,
            ..CoverLimits::default()
        };
        let cover = area.cover(&limits).unwrap();
        assert!(
            cover.boundary.len() <= cap,
            "{} > {cap}",
            cover.boundary.len()
        );
        assert!(!cover.interior.is_empty());
    }
}

#[test]
fn cells_across_icosahedron_edges_and_pentagons() {
    let mut cells: Vec<Cell> = CellIndex::base_cells()
        .flat_map(|b| b.children(h3o::Resolution::Three))
        .filter(|c| c.icosahedron_faces().len() > 1)
        .step_by(97)
        .take(6)
        .map(Cell::from)
        .collect();
    assert!(cells.len() >= 4);
    cells.extend(h3o::Resolution::Three.pentagons().take(2).map(Cell::from));
    cells.extend(h3o::Resolution::Nine.pentagons().take(2).map(Cell::from));
    for x in cells {
        let area = Area::cells(vec![x]);
        let reach = 1.3 * x.circumradius_m();
        let points: Vec<Coordinates> = (0..2500)
            .map(|i| {
                destination(
                    &x.center(),
                    f64::from(i) * 7.77,
                    f64::from(i % 101) / 100.0 * reach,
                )
            })
            .collect();
        let cover = check_points(&area, &points).unwrap();
        assert!(!cover.interior.is_empty(), "{x}");
    }
}
