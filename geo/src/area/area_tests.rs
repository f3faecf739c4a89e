use serde_json::json;

use super::*;

fn limits() -> CoverLimits {
    CoverLimits::default()
}

fn square(west: f64, south: f64, size: f64) -> Value {
    let (e, n) = (west + size, south + size);
    json!({"type": "Polygon", "coordinates": [
        [[west, south], [e, south], [e, n], [west, n], [west, south]]]})
}

#[test]
fn a_radius_must_be_positive_and_finite() {
    let c = Coordinates::new(1.0, 1.0).unwrap();
    for bad in [0.0, -5.0, f64::NAN, f64::INFINITY] {
        let err = Area::near(c, bad).unwrap_err();
        assert_eq!(err.field(), "radiusMeters");
        assert!(!err.is_limit());
    }
}

#[test]
fn a_radius_beyond_the_limit_is_a_limit_error() {
    let area = Area::near(Coordinates::new(1.0, 1.0).unwrap(), 2_000_001.0).unwrap();
    let err = area.cover(&limits()).unwrap_err();
    assert!(err.is_limit());
    assert_eq!(err.field(), "radiusMeters");
    assert!(
        Area::near(Coordinates::new(1.0, 1.0).unwrap(), 2_000_000.0)
            .unwrap()
            .cover(&limits())
            .is_ok()
    );
}

#[test]
fn an_inverted_box_is_refused() {
    let err = Area::bbox(0.0, 5.0, 1.0, 4.0).unwrap_err();
    assert!(matches!(err, GeoError::InvertedBox { .. }));
    let err = Area::bbox(0.0, 0.0, 181.0, 1.0).unwrap_err();
    assert_eq!(err.field(), "east");
    let err = Area::bbox(0.0, f64::NAN, 1.0, 1.0).unwrap_err();
    assert_eq!(err.field(), "south");
}

#[test]
fn the_whole_world_is_too_large() {
    let err = Area::bbox(-180.0, -90.0, 180.0, 90.0)
        .unwrap()
        .cover(&limits())
        .unwrap_err();
    assert!(err.is_limit(), "{err}");
    let world = json!({"type": "Polygon", "coordinates": [
        [[-180.0, -90.0], [180.0, -90.0], [180.0, 90.0], [-180.0, 90.0], [-180.0, -90.0]]]});
    let err = Area::from_geojson(&world, &limits()).unwrap_err();
    assert!(err.is_limit(), "{err}");
    assert_eq!(err.field(), "polygon");
}

#[test]
fn too_many_cells_is_a_limit_error() {
    let cell = Coordinates::new(1.0, 1.0).unwrap().cell();
    let err = Area::cells(vec![cell; 1001]).cover(&limits()).unwrap_err();
    assert!(err.is_limit());
    assert_eq!(err.field(), "cells");
}

#[test]
fn too_many_vertices_is_a_limit_error() {
    let small = CoverLimits {
        max_vertices: 4,
        ..limits()
    };
    let err = Area::from_geojson(&square(0.0, 0.0, 1.0), &small).unwrap_err();
    assert!(err.is_limit(), "{err}");
}

#[test]
fn unclosed_and_short_rings_are_refused() {
    let open = json!({"type": "Polygon", "coordinates": [
        [[0.0, 0.0], [1.0, 0.0], [1.0, 1.0], [0.0, 1.0]]]});
    let err = Area::from_geojson(&open, &limits()).unwrap_err();
    assert!(err.to_string().contains("not closed"), "{err}");
    assert!(!err.is_limit());
    let short = json!({"type": "Polygon", "coordinates": [[[0.0, 0.0], [1.0, 0.0], [0.0, 0.0]]]});
    let err = Area::from_geojson(&short, &limits()).unwrap_err();
    assert!(err.to_string().contains("at least 4"), "{err}");
}

#[test]
fn a_bowtie_is_refused() {
    let bowtie = json!({"type": "Polygon", "coordinates": [
        [[0.0, 0.0], [1.0, 1.0], [1.0, 0.0], [0.0, 1.0], [0.0, 0.0]]]});
    let err = Area::from_geojson(&bowtie, &limits()).unwrap_err();
    assert!(matches!(err, GeoError::InvalidPolygon { .. }), "{err}");
    assert!(err.to_string().contains("intersects itself"), "{err}");
}

#[test]
fn malformed_geojson_is_refused_with_a_path() {
    for (doc, needle) in [
        (json!([1, 2]), "object"),
        (
            json!({"type": "Point", "coordinates": [1, 2]}),
            "Polygon or MultiPolygon",
        ),
        (json!({"type": "Polygon"}), "coordinates"),
        (
            json!({"type": "Polygon", "coordinates": [[[0, 0], [1], [1, 1], [0, 0]]]}),
            "coordinates[0][1]",
        ),
        (
            json!({"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [1, 95], [0, 0]]]}),
            "latitude 95",
        ),
        (json!({"type": "Polygon", "coordinates": []}), "exterior"),
        (
            json!({"type": "MultiPolygon", "coordinates": []}),
            "at least one",
        ),
    ] {
        let err = Area::from_geojson(&doc, &limits()).unwrap_err();
        assert_eq!(err.field(), "polygon");
        assert!(err.to_string().contains(needle), "{err} lacks {needle}");
    }
    assert!(Area::from_geojson_str("{", &limits()).is_err());
}

#[test]
fn non_finite_positions_in_a_hand_built_polygon_are_refused() {
    let ring = geo::LineString::from(vec![(0.0, 0.0), (f64::NAN, 0.0), (1.0, 1.0), (0.0, 0.0)]);
    let area = Area::Polygon(MultiPolygon(vec![geo::Polygon::new(ring, vec![])]));
    let err = area.cover(&limits()).unwrap_err();
    assert_eq!(err.field(), "polygon");
    assert!(!err.is_limit());
}

#[test]
fn features_and_multipolygons_parse() {
    let feature = json!({"type": "Feature", "properties": {}, "geometry": square(10.0, 10.0, 1.0)});
    let area = Area::from_geojson(&feature, &limits()).unwrap();
    assert!(area.contains(&Coordinates::new(10.5, 10.5).unwrap()));
    let text = r#"{"type":"MultiPolygon","coordinates":[
        [[[0,0],[1,0],[1,1],[0,1],[0,0]]],
        [[[5,5],[6,5],[6,6],[5,6],[5,5]]]]}"#;
    let area = Area::from_geojson_str(text, &limits()).unwrap();
    assert!(area.contains(&Coordinates::new(5.5, 5.5).unwrap()));
    assert!(!area.contains(&Coordinates::new(3.0, 3.0).unwrap()));
}

#[test]
fn cell_membership_is_latlng_to_cell() {
    let p = Coordinates::new(4.85, 31.6).unwrap();
    let x = p.cell_at(crate::Resolution::new(7).unwrap());
    let area = Area::cells(vec![x]);
    assert!(area.contains(&p));
    assert!(area.contains(&x.center()));
    assert!(!area.contains(&Coordinates::new(5.85, 31.6).unwrap()));
}

#[test]
fn cell_features_keep_longitude_continuous_across_the_antimeridian() {
    let cell = Coordinates::new(0.0, 180.0)
        .unwrap()
        .cell_at(crate::Resolution::new(3).unwrap());
    let f = cell_feature(cell);
    let ring = f["geometry"]["coordinates"][0].as_array().unwrap();
    let lons: Vec<f64> = ring.iter().map(|p| p[0].as_f64().unwrap()).collect();
    assert_eq!(ring.first(), ring.last());
    for w in lons.windows(2) {
        assert!((w[1] - w[0]).abs() < 10.0, "{lons:?}");
    }
    assert_eq!(f["properties"]["resolution"], 3);
}
