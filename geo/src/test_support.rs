//! Shared helpers for tests: destination points and random areas.

use proptest::prelude::*;

use crate::{Coordinates, EARTH_RADIUS_M};

/// The point `distance_m` from `from` along initial `bearing_deg`.
pub(crate) fn destination(from: &Coordinates, bearing_deg: f64, distance_m: f64) -> Coordinates {
    let (p1, l1) = (from.lat().to_radians(), from.lon().to_radians());
    let (t, d) = (bearing_deg.to_radians(), distance_m / EARTH_RADIUS_M);
    let p2 = (p1.sin() * d.cos() + p1.cos() * d.sin() * t.cos())
        .clamp(-1.0, 1.0)
        .asin();
    let l2 = l1 + (t.sin() * d.sin() * p1.cos()).atan2(d.cos() - p1.sin() * p2.sin());
    let mut lon = l2.to_degrees();
    while lon > 180.0 {
        lon -= 360.0;
    }
    while lon < -180.0 {
        lon += 360.0;
    }
    Coordinates::new(p2.to_degrees().clamp(-90.0, 90.0), lon).unwrap()
}

/// Any valid point, with extra weight near the poles and the antimeridian.
pub(crate) fn any_point() -> impl Strategy<Value = Coordinates> {
    prop_oneof![
        3 => (-90.0..=90.0_f64, -180.0..=180.0_f64),
        1 => (prop_oneof![80.0..=90.0_f64, -90.0..=-80.0_f64], -180.0..=180.0_f64),
        1 => (-90.0..=90.0_f64, prop_oneof![175.0..=180.0_f64, -180.0..=-175.0_f64]),
    ]
    .prop_map(|(lat, lon)| Coordinates::new(lat, lon).unwrap())
}

/// Points around `center` up to `reach_m`, as (bearing, fraction of reach) pairs.
pub(crate) fn offsets(n: usize) -> impl Strategy<Value = Vec<(f64, f64)>> {
    proptest::collection::vec((0.0..360.0_f64, 0.0..=1.0_f64), n)
}
