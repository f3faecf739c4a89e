use proptest::prelude::*;

use super::*;

fn cell(hex: &str) -> Cell {
    hex.parse().unwrap()
}

#[test]
fn hex_round_trips_in_lowercase() {
    let c = cell("8A1FB46622DFFFF");
    assert_eq!(c.to_string(), "8a1fb46622dffff");
    assert_eq!(cell(&c.to_string()), c);
}

#[test]
fn invalid_hex_is_rejected_naming_the_value() {
    for bad in [
        "",
        "zz",
        "0x8a1fb46622dffff",
        "+8a1fb46622dffff",
        " 8a1fb46622dffff",
        "8a1fb46622dffff0",
        "18a1fb46622dffff",
        "0",
        // Resolution 10 with an eleventh digit set.
        "8a1fb46622dfffe",
        // Base cell 122.
        "80f5fffffffffff",
    ] {
        let err = bad.parse::<Cell>().unwrap_err();
        match &err {
            GeoError::InvalidCell { field, value, .. } => {
                assert_eq!(*field, "cell");
                assert_eq!(value, bad);
            }
            other => panic!("{bad}: {other:?}"),
        }
        assert!(!err.is_limit());
    }
}

#[test]
fn pentagon_deleted_subsequence_is_rejected() {
    // Base cell 4 is a pentagon; its direction-1 child does not exist.
    let err = "81087ffffffffff".parse::<Cell>().unwrap_err();
    assert!(err.to_string().contains("deleted subsequence"), "{err}");
    assert!("81083ffffffffff".parse::<Cell>().is_ok());
    assert!("8108bffffffffff".parse::<Cell>().is_ok());
}

#[test]
fn i64_round_trips_and_negatives_are_rejected() {
    let c = cell("8f2830828052d25");
    assert_eq!(Cell::try_from(c.as_i64()).unwrap(), c);
    assert!(Cell::try_from(-1_i64).is_err());
    assert!(Cell::try_from(0_i64).is_err());
    assert!(Cell::try_from(i64::MIN).is_err());
}

#[test]
fn range_of_a_resolution_15_cell_is_itself() {
    let c = cell("8f2830828052d25");
    assert_eq!(
        c.range(),
        CellRange {
            lo: c.as_i64(),
            hi: c.as_i64()
        }
    );
}

#[test]
fn range_of_a_base_cell_spans_its_digits() {
    let c = cell("8001fffffffffff");
    let r = c.range();
    assert_eq!(r.lo, 0x08F0_0000_0000_0000);
    assert_eq!(r.hi, 0x08F0_1FFF_FFFF_FFFF);
}

#[test]
fn resolution_bounds() {
    assert!(Resolution::new(0).is_ok());
    assert!(Resolution::new(15).is_ok());
    let err = Resolution::new(16).unwrap_err();
    assert_eq!(err.field(), "resolution");
    assert!(Resolution::try_from(-1_i64).is_err());
    assert_eq!(Resolution::try_from(7_i64).unwrap().get(), 7);
}

#[test]
fn boundary_and_center_of_a_pentagon() {
    // Class II resolutions (even) have plain 5-vertex pentagons.
    let pentagon = Cell::from(h3o::Resolution::Four.pentagons().next().unwrap());
    assert_eq!(pentagon.boundary().len(), 5);
    let r = pentagon.circumradius_m();
    assert!(r > 10_000.0 && r < 30_000.0, "{r}");
    assert_eq!(pentagon.center().cell_at(pentagon.res()), pentagon);
}

#[test]
fn circumradius_bounds_every_vertex() {
    let c = cell("85283473fffffff");
    let r = c.circumradius_m();
    for v in c.boundary() {
        assert!(c.center().distance_m(&v) <= r);
    }
}

fn point() -> impl Strategy<Value = Coordinates> {
    (-90.0..=90.0_f64, -180.0..=180.0_f64).prop_map(|(la, lo)| Coordinates::new(la, lo).unwrap())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn res15_cell_is_in_every_ancestor_range_and_no_neighbour_range(p in point(), r in 0_u8..=15) {
        let c15 = p.cell();
        let res = h3o::Resolution::try_from(r).unwrap();
        let ancestor = Cell::from(c15.index().parent(res).unwrap());
        prop_assert!(ancestor.range().contains(c15.as_i64()));
        for n in ancestor.index().grid_disk::<Vec<_>>(1) {
            if n != ancestor.index() {
                prop_assert!(!Cell::from(n).range().contains(c15.as_i64()));
            }
        }
        // The containing hexagon is the ancestor or one of its neighbours.
        let holder = p.cell_at(Resolution::from(res));
        prop_assert!(holder.index().grid_distance(ancestor.index()).unwrap_or(99) <= 1);
    }

    #[test]
    fn hex_parsing_round_trips(p in point(), r in 0_u8..=15) {
        let c = p.cell_at(Resolution::new(r).unwrap());
        prop_assert_eq!(c.to_string().parse::<Cell>().unwrap(), c);
        prop_assert_eq!(Cell::try_from(c.as_i64()).unwrap(), c);
        prop_assert_eq!(c.resolution(), r);
    }

    #[test]
    fn ranges_of_cells_of_one_resolution_are_disjoint(p in point(), q in point(), r in 0_u8..=15) {
        let res = Resolution::new(r).unwrap();
        let (a, b) = (p.cell_at(res), q.cell_at(res));
        let (ra, rb) = (a.range(), b.range());
        let overlap = ra.lo <= rb.hi && rb.lo <= ra.hi;
        prop_assert_eq!(overlap, a == b);
    }

    #[test]
    fn out_of_range_coordinates_are_rejected(la in 90.000_001..1e6_f64, lo in 180.000_001..1e6_f64) {
        prop_assert!(Coordinates::new(la, 0.0).is_err());
        prop_assert!(Coordinates::new(-la, 0.0).is_err());
        prop_assert!(Coordinates::new(0.0, lo).is_err());
        prop_assert!(Coordinates::new(0.0, -lo).is_err());
    }
}
