use geo::{LineString, Polygon};

use super::*;

fn ring(points: &[(f64, f64)]) -> LineString {
    LineString::from(points.to_vec())
}

fn check(mp: &MultiPolygon) -> Result<(), GeoError> {
    check_structure(mp, &EdgeIndex::new(mp))
}

const SQUARE: [(f64, f64); 5] = [
    (0.0, 0.0),
    (10.0, 0.0),
    (10.0, 10.0),
    (0.0, 10.0),
    (0.0, 0.0),
];

#[test]
fn a_square_with_a_hole_is_valid() {
    let hole = ring(&[(2.0, 2.0), (4.0, 2.0), (4.0, 4.0), (2.0, 2.0)]);
    let mp = MultiPolygon(vec![Polygon::new(ring(&SQUARE), vec![hole])]);
    check(&mp).unwrap();
}

#[test]
fn a_hole_touching_the_shell_at_a_point_is_valid() {
    let hole = ring(&[(0.0, 5.0), (4.0, 4.0), (4.0, 6.0), (0.0, 5.0)]);
    let mp = MultiPolygon(vec![Polygon::new(ring(&SQUARE), vec![hole])]);
    check(&mp).unwrap();
}

#[test]
fn a_hole_outside_its_shell_is_refused() {
    let hole = ring(&[(20.0, 2.0), (24.0, 2.0), (24.0, 4.0), (20.0, 2.0)]);
    let mp = MultiPolygon(vec![Polygon::new(ring(&SQUARE), vec![hole])]);
    let err = check(&mp).unwrap_err();
    assert!(err.to_string().contains("not inside"), "{err}");
}

#[test]
fn a_hole_crossing_its_shell_is_refused() {
    let hole = ring(&[(5.0, 5.0), (15.0, 5.0), (15.0, 6.0), (5.0, 5.0)]);
    let mp = MultiPolygon(vec![Polygon::new(ring(&SQUARE), vec![hole])]);
    assert!(check(&mp).unwrap_err().to_string().contains("cross"));
}

#[test]
fn nested_holes_are_refused() {
    let outer = ring(&[(1.0, 1.0), (9.0, 1.0), (9.0, 9.0), (1.0, 9.0), (1.0, 1.0)]);
    let inner = ring(&[(2.0, 2.0), (3.0, 2.0), (3.0, 3.0), (2.0, 2.0)]);
    let mp = MultiPolygon(vec![Polygon::new(ring(&SQUARE), vec![outer, inner])]);
    assert!(check(&mp).is_err());
}

#[test]
fn overlapping_polygons_are_refused_but_an_island_in_a_hole_is_not() {
    let inner = ring(&[(2.0, 2.0), (4.0, 2.0), (4.0, 4.0), (2.0, 2.0)]);
    let nested = MultiPolygon(vec![
        Polygon::new(ring(&SQUARE), vec![]),
        Polygon::new(inner.clone(), vec![]),
    ]);
    assert!(check(&nested).unwrap_err().to_string().contains("overlaps"));
    let hole = ring(&[(1.0, 1.0), (6.0, 1.0), (6.0, 6.0), (1.0, 6.0), (1.0, 1.0)]);
    let island = MultiPolygon(vec![
        Polygon::new(ring(&SQUARE), vec![hole]),
        Polygon::new(inner, vec![]),
    ]);
    check(&island).unwrap();
}

#[test]
fn polygons_sharing_an_edge_are_refused() {
    let right = ring(&[
        (10.0, 0.0),
        (20.0, 0.0),
        (20.0, 10.0),
        (10.0, 10.0),
        (10.0, 0.0),
    ]);
    let mp = MultiPolygon(vec![
        Polygon::new(ring(&SQUARE), vec![]),
        Polygon::new(right, vec![]),
    ]);
    assert!(check(&mp).is_err());
}

#[test]
fn a_spike_back_along_an_edge_is_refused() {
    let spike = ring(&[(0.0, 0.0), (10.0, 0.0), (5.0, 0.0), (5.0, 5.0), (0.0, 0.0)]);
    let mp = MultiPolygon(vec![Polygon::new(spike, vec![])]);
    assert!(check(&mp).is_err());
}

#[test]
fn repeated_positions_are_tolerated_but_a_flat_ring_is_not() {
    let repeated = ring(&[
        (0.0, 0.0),
        (10.0, 0.0),
        (10.0, 0.0),
        (10.0, 10.0),
        (0.0, 0.0),
    ]);
    check(&MultiPolygon(vec![Polygon::new(repeated, vec![])])).unwrap();
    let flat = ring(&[(0.0, 0.0), (10.0, 0.0), (10.0, 0.0), (0.0, 0.0)]);
    assert!(check(&MultiPolygon(vec![Polygon::new(flat, vec![])])).is_err());
}

#[test]
fn area_of_a_one_degree_box_at_the_equator() {
    let mp = MultiPolygon(vec![Polygon::new(
        ring(&[(0.0, 0.0), (1.0, 0.0), (1.0, 1.0), (0.0, 1.0), (0.0, 0.0)]),
        vec![],
    )]);
    let r = EARTH_RADIUS_M;
    let expected = r * r * 1_f64.to_radians() * 1_f64.to_radians().sin();
    assert!((area_m2(&mp) - expected).abs() < 1.0, "{}", area_m2(&mp));
}

#[test]
fn area_of_a_triangle_matches_a_fine_sum() {
    let tri = [(0.0, 0.0), (20.0, 0.0), (0.0, 60.0), (0.0, 0.0)];
    let mp = MultiPolygon(vec![Polygon::new(ring(&tri), vec![])]);
    // Sum R^2 cos(lat) dlat dlon over thin bands: width at latitude y is 20 * (1 - y/60).
    let n = 100_000;
    let step = 60.0 / f64::from(n);
    let approx: f64 = (0..n)
        .map(|i| {
            let y = (f64::from(i) + 0.5) * step;
            (20.0 * (1.0 - y / 60.0)).to_radians() * y.to_radians().cos() * step.to_radians()
        })
        .sum::<f64>()
        * EARTH_RADIUS_M
        * EARTH_RADIUS_M;
    assert!((area_m2(&mp) / approx - 1.0).abs() < 1e-6);
}

#[test]
fn a_long_thin_spiral_validates_quickly() {
    // Two arms 0.0009 degrees apart winding 150 times: a vertical line crosses 600 edges.
    let n = 10_000;
    let arm = |offset: f64| {
        (0..n).map(move |i| {
            let t = f64::from(i) * 0.1;
            let r = 0.1 + t * 0.0015 + offset;
            (30.0 + r * t.cos(), 5.0 + r * t.sin())
        })
    };
    let mut points: Vec<(f64, f64)> = arm(0.0).collect();
    let mut back: Vec<(f64, f64)> = arm(0.0009).collect();
    back.reverse();
    points.extend(back);
    points.push(points[0]);
    let mp = MultiPolygon(vec![Polygon::new(ring(&points), vec![])]);
    check(&mp).unwrap();
    assert!(area_m2(&mp) > 0.0);
}

#[test]
fn many_islands_validate() {
    let polygons: Vec<Polygon> = (0..3000)
        .map(|i| {
            let (x, y) = (f64::from(i % 60) * 0.1, f64::from(i / 60) * 0.1);
            Polygon::new(
                ring(&[
                    (x, y),
                    (x + 0.05, y),
                    (x + 0.05, y + 0.05),
                    (x, y + 0.05),
                    (x, y),
                ]),
                vec![],
            )
        })
        .collect();
    check(&MultiPolygon(polygons)).unwrap();
}
