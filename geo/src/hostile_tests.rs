//! Property tests of every geo parser with hostile input: any float (NaN, infinities,
//! subnormals, huge), any text as a cell, any JSON shape, huge, deep or Unicode-laden as a
//! GeoJSON area. Never a panic; a rejection is a `GeoError`; what is accepted is within
//! range. The case counts are fixed, so CI runs them in bounded time.

use proptest::prelude::*;
use serde_json::{Value, json};

use crate::{Area, Cell, Coordinates, CoverLimits};

fn any_float() -> impl Strategy<Value = f64> {
    prop_oneof![
        any::<f64>(),
        -200.0..200.0_f64,
        Just(f64::NAN),
        Just(f64::INFINITY),
        Just(f64::NEG_INFINITY),
        Just(-0.0),
        Just(f64::MIN_POSITIVE),
        Just(90.000_000_000_1),
        Just(180.0),
        Just(-180.0),
        Just(1e308),
    ]
}

/// Any JSON value, nested a few levels, with GeoJSON-looking keys sometimes.
fn any_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<f64>().prop_map(|f| json!(f)),
        any::<i64>().prop_map(|i| json!(i)),
        "\\PC{0,12}".prop_map(Value::String),
        prop_oneof![
            Just("Polygon"),
            Just("MultiPolygon"),
            Just("Point"),
            Just("Feature")
        ]
        .prop_map(|s| json!(s)),
    ];
    leaf.prop_recursive(6, 200, 8, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..8).prop_map(Value::Array),
            prop::collection::vec(
                (
                    prop_oneof![
                        Just("type".to_owned()),
                        Just("coordinates".to_owned()),
                        "\\PC{0,6}"
                    ],
                    inner
                ),
                0..4
            )
            .prop_map(|kv| Value::Object(kv.into_iter().collect())),
        ]
    })
}

/// A polygon-shaped document with arbitrary numbers (rings of any length and values).
fn polygonish() -> impl Strategy<Value = Value> {
    let point = prop::collection::vec(any_float(), 0..4);
    let ring = prop::collection::vec(point, 0..12);
    (
        prop_oneof![Just("Polygon"), Just("MultiPolygon")],
        prop::collection::vec(ring, 0..3),
    )
        .prop_map(|(kind, rings)| {
            let coords: Vec<Value> = rings
                .into_iter()
                .map(|r| {
                    json!(
                        r.into_iter()
                            .map(|p| p
                                .into_iter()
                                .map(|f| serde_json::Number::from_f64(f)
                                    .map_or(Value::Null, Value::Number))
                                .collect::<Vec<_>>())
                            .collect::<Vec<_>>()
                    )
                })
                .collect();
            if kind == "Polygon" {
                json!({ "type": kind, "coordinates": coords })
            } else {
                json!({ "type": kind, "coordinates": [coords] })
            }
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1000))]

    #[test]
    fn coordinates_are_in_range_or_rejected(lat in any_float(), lon in any_float()) {
        if let Ok(c) = Coordinates::new(lat, lon) {
            prop_assert!(c.lat().is_finite() && (-90.0..=90.0).contains(&c.lat()));
            prop_assert!(c.lon().is_finite() && (-180.0..=180.0).contains(&c.lon()));
            let _ = c.cell();
        }
    }

    #[test]
    fn any_text_or_number_as_a_cell_never_panics(text in "\\PC{0,20}", hexish in "[0-9a-fA-F]{1,17}", n in any::<i64>()) {
        for raw in [text.as_str(), hexish.as_str()] {
            if let Ok(cell) = raw.parse::<Cell>() {
                prop_assert_eq!(cell.to_string().parse::<Cell>().ok(), Some(cell));
            }
        }
        if let Ok(cell) = Cell::try_from(n) {
            prop_assert_eq!(cell.as_i64(), n);
        }
    }

    #[test]
    fn any_bbox_or_circle_never_panics(w in any_float(), s in any_float(), e in any_float(), n in any_float(), r in any_float()) {
        let _ = Area::bbox(w, s, e, n);
        if let Ok(center) = Coordinates::new(s.clamp(-90.0, 90.0), w.clamp(-180.0, 180.0)) {
            let _ = Area::near(center, r);
        }
    }

    #[test]
    fn any_json_as_geojson_is_an_area_or_a_geo_error(doc in any_json()) {
        let _ = Area::from_geojson(&doc, &CoverLimits::default());
    }

    #[test]
    fn polygon_shaped_junk_is_an_area_or_a_geo_error(doc in polygonish()) {
        let _ = Area::from_geojson(&doc, &CoverLimits::default());
    }

    #[test]
    fn any_text_as_geojson_is_an_area_or_a_geo_error(text in "\\PC{0,200}") {
        let _ = Area::from_geojson_str(&text, &CoverLimits::default());
    }
}

#[test]
fn deep_nesting_and_huge_rings_are_rejected_without_a_panic() {
    let limits = CoverLimits::default();
    let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
    assert!(Area::from_geojson_str(&deep, &limits).is_err());
    let deep_value = (0..120).fold(json!([13.0, 11.0]), |inner, _| json!([inner]));
    let doc = json!({ "type": "Polygon", "coordinates": deep_value });
    assert!(Area::from_geojson(&doc, &limits).is_err());
    let ring: Vec<Value> = (0..(limits.max_vertices + 10))
        .map(|i| json!([13.0 + (i as f64) * 1e-6, 11.0]))
        .collect();
    let doc = json!({ "type": "Polygon", "coordinates": [ring] });
    assert!(Area::from_geojson(&doc, &limits).is_err());
    let unicode = json!({ "type": "Pölygön\u{202e}", "coordinates": [[["١٣", "١١"]]] });
    assert!(Area::from_geojson(&unicode, &limits).is_err());
}
