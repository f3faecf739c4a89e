//! Area queries against brute force: 5,000 generated sites in six countries (with sites on
//! polygon edges, in a hole, on both sides of the antimeridian) plus sites around a
//! pentagon; every area kind must select exactly the sites a scan of all of them selects,
//! and every aggregate must equal a recomputation from the generator's own data.

use std::collections::{BTreeMap, BTreeSet};

use camptrack::demo::generator::{DemoData, Spec};
use camptrack_domain::codes::{ReviewStatus, Role};
use camptrack_tests::{TestApp, spawn_app};
use chrono::NaiveDate;
use geo::coordinate_position::{CoordPos, CoordinatePosition};
use geo::{Coord, LineString, MultiPolygon, Polygon};
use h3o::{CellIndex, LatLng, Resolution};
use serde_json::{Value, json};
use uuid::Uuid;

/// A site as the brute force sees it.
#[derive(Debug, Clone)]
struct Truth {
    id: String,
    lat: f64,
    lon: f64,
    admin: [Option<String>; 3],
    opened_on: NaiveDate,
    closed_on: Option<NaiveDate>,
}

/// An area and the brute-force test of it.
struct Case {
    name: &'static str,
    input: Value,
    contains: Box<dyn Fn(&Truth) -> bool>,
}

fn haversine_m(lat1: f64, lon1: f64, lat2: f64, lon2: f64) -> f64 {
    let (p1, p2) = (lat1.to_radians(), lat2.to_radians());
    let dp = p2 - p1;
    let dl = (lon2 - lon1).to_radians();
    let a = (dp / 2.0).sin().powi(2) + p1.cos() * p2.cos() * (dl / 2.0).sin().powi(2);
    2.0 * 6_371_008.8 * a.sqrt().asin()
}

fn multipolygon(rings: &[Vec<(f64, f64)>]) -> MultiPolygon<f64> {
    let ring = |r: &Vec<(f64, f64)>| {
        LineString::from(r.iter().map(|&(x, y)| Coord { x, y }).collect::<Vec<_>>())
    };
    MultiPolygon(vec![Polygon::new(
        ring(&rings[0]),
        rings[1..].iter().map(ring).collect(),
    )])
}

fn geojson(rings: &[Vec<(f64, f64)>]) -> Value {
    json!({ "type": "Polygon", "coordinates": rings.iter().map(|r| r.iter().map(|&(x, y)| [x, y]).collect::<Vec<_>>()).collect::<Vec<_>>() })
}

fn in_polygon(mp: &MultiPolygon<f64>, t: &Truth) -> bool {
    mp.coordinate_position(&Coord { x: t.lon, y: t.lat }) != CoordPos::Outside
}

fn in_cell(cell: CellIndex, t: &Truth) -> bool {
    LatLng::new(t.lat, t.lon)
        .unwrap()
        .to_cell(cell.resolution())
        == cell
}

async fn ids_in(app: &TestApp, area: &Value) -> Vec<(String, Option<f64>)> {
    let mut out = Vec::new();
    let mut after: Option<String> = None;
    loop {
        let answer = app
            .admin(
                "query($a: AreaInput!, $after: String) { sites(area: $a, first: 500, after: $after) { totalCount pageInfo { hasNextPage endCursor } edges { node { id distanceMeters } } } }",
                json!({ "a": area, "after": after }),
            )
            .await;
        let sites = answer.data()["sites"].clone();
        out.extend(sites["edges"].as_array().unwrap().iter().map(|e| {
            (
                e["node"]["id"].as_str().unwrap().to_owned(),
                e["node"]["distanceMeters"].as_f64(),
            )
        }));
        if sites["pageInfo"]["hasNextPage"] == false {
            assert_eq!(sites["totalCount"].as_u64().unwrap() as usize, out.len());
            return out;
        }
        after = sites["pageInfo"]["endCursor"].as_str().map(str::to_owned);
    }
}

/// Expected figures over `members` at `as_of` (None: current figures, open today).
fn expected(
    data: &DemoData,
    truths: &[Truth],
    members: &[usize],
    as_of: Option<NaiveDate>,
) -> Value {
    let day = as_of.unwrap_or_else(|| chrono::Utc::now().date_naive());
    let latest =
        data.latest_per_site(as_of.unwrap_or(NaiveDate::from_ymd_opt(2100, 1, 1).unwrap()));
    let (mut sites, mut assessed, mut hh, mut ind, mut arr, mut dep) =
        (0, 0, 0i64, 0i64, 0i64, 0i64);
    let mut sadd: BTreeMap<(String, i64, Option<i64>), i64> = BTreeMap::new();
    for &i in members {
        let t = &truths[i];
        if t.opened_on > day || t.closed_on.is_some_and(|c| c <= day) {
            continue;
        }
        sites += 1;
        if let Some(a) = latest.get(i).copied().flatten() {
            let f = &data.assessments[a].figures;
            assessed += 1;
            hh += i64::from(f.households);
            ind += i64::from(f.individuals);
            arr += i64::from(f.arrivals_3m.unwrap_or(0));
            dep += i64::from(f.departures_3m.unwrap_or(0));
            for r in &f.sadd {
                *sadd
                    .entry((
                        r.sex.to_string(),
                        i64::from(r.age_min),
                        r.age_max.map(i64::from),
                    ))
                    .or_default() += i64::from(r.count);
            }
        }
    }
    let sadd: Vec<Value> = sadd.into_iter().map(|((sex, min, max), count)| json!({ "sex": sex, "ageMin": min, "ageMax": max, "count": count })).collect();
    json!({ "sites": sites, "assessedSites": assessed, "households": hh, "individuals": ind, "arrivalsLast3Months": arr, "departuresLast3Months": dep, "sadd": sadd })
}

const FIGURES: &str = "sites assessedSites households individuals arrivalsLast3Months departuresLast3Months sadd { sex ageMin ageMax count }";

fn sorted_sadd(mut v: Value) -> Value {
    if let Some(rows) = v["sadd"].as_array_mut() {
        rows.sort_by_key(|r| {
            (
                r["sex"].as_str().unwrap_or("").to_owned(),
                r["ageMin"].as_i64(),
                r["ageMax"].as_i64(),
            )
        });
    }
    v
}

#[tokio::test]
async fn every_area_kind_and_aggregate_matches_brute_force_over_5000_generated_sites() {
    let app = spawn_app().await;
    let spec = Spec {
        seed: 11,
        sites: 5_000,
        rounds: 3,
        ..Spec::demo()
    };
    let mut loaded = camptrack::demo::load_spec(&app.db, &spec)
        .await
        .expect("load");
    let mut truths: Vec<Truth> = loaded
        .data
        .sites
        .iter()
        .zip(&loaded.site_ids)
        .map(|(s, id)| Truth {
            id: id.to_string(),
            lat: s.lat,
            lon: s.lon,
            admin: [
                Some(s.admin0.clone()),
                Some(s.admin1.clone()),
                Some(s.admin2.clone()),
            ],
            opened_on: s.opened_on,
            closed_on: s.closed_on,
        })
        .collect();

    // Sites around a pentagon, where H3's hierarchy is irregular.
    let pentagon = CellIndex::base_cells().find(|c| c.is_pentagon()).unwrap();
    let centre = LatLng::from(pentagon);
    app.admin("mutation { createAdminArea(input: { pcode: \"XXP\", level: 0, nameEn: \"Pentagon land\" }) { pcode } }", json!({})).await.data();
    for i in 0..40 {
        let angle = f64::from(i) * 0.61;
        let dist = 0.02 + f64::from(i) * 0.004;
        let (lat, lon) = (
            centre.lat() + dist * angle.sin(),
            centre.lng() + dist * angle.cos(),
        );
        let input = json!({
            "code": format!("PENT-{i:04}"), "name": "Pentagon site", "siteType": "TRANSIT_CENTRE", "formalStatus": "INFORMAL",
            "lat": lat, "lon": lon, "admin0Pcode": "XXP", "openedOn": "2023-01-01"
        });
        let id = camptrack_tests::fixtures::site(&app, input).await;
        truths.push(Truth {
            id,
            lat,
            lon,
            admin: [Some("XXP".into()), None, None],
            opened_on: NaiveDate::from_ymd_opt(2023, 1, 1).unwrap(),
            closed_on: None,
        });
    }

    // A late, older assessment through the API: it must not displace the current figures,
    // but counts for a past date where it is the latest.
    let late_site = 0;
    let round1 = loaded
        .data
        .assessments
        .iter()
        .find(|a| a.site_index == late_site && a.round_number == 1)
        .cloned()
        .unwrap();
    let mut late = round1.clone();
    late.client_uuid = Uuid::new_v4();
    late.assessed_on = round1.assessed_on + chrono::Days::new(1);
    late.captured_at = round1.captured_at + chrono::Duration::days(1);
    late.figures.households += 7;
    late.figures.individuals += 30;
    late.figures.sadd.clear();
    late.review_status = ReviewStatus::Submitted;
    let submitted = app
        .admin(
            camptrack_tests::fixtures::SUBMIT,
            json!({ "i": {
                "clientUuid": late.client_uuid, "siteId": truths[late_site].id, "roundNumber": 1, "assessedOn": late.assessed_on,
                "households": late.figures.households, "individuals": late.figures.individuals,
                "arrivalsLast3Months": late.figures.arrivals_3m, "departuresLast3Months": late.figures.departures_3m,
                "capturedAt": late.captured_at
            } }),
        )
        .await;
    submitted.data();
    loaded.data.assessments.push(late.clone());

    let admin_polygon = |pcode: &str| {
        loaded
            .data
            .admin_areas
            .iter()
            .find(|a| a.pcode == pcode)
            .and_then(|a| a.polygon.clone())
            .unwrap()
    };
    let jere = admin_polygon("NG008013");
    assert!(jere.len() > 1, "Jere has a hole");
    let jere_mp = multipolygon(&jere);
    let jere_mp2 = jere_mp.clone();
    let fiji = admin_polygon("FJ301");
    let fiji_mp = multipolygon(&fiji);
    let (mlat, mlon) = (11.8311, 13.1510);
    let res7 = LatLng::new(mlat, mlon).unwrap().to_cell(Resolution::Seven);
    let res4 = LatLng::new(2.05, 45.3).unwrap().to_cell(Resolution::Four);
    let pent2 = pentagon.center_child(Resolution::Two).unwrap();

    let cases = vec![
        Case {
            name: "admin polygon with a hole",
            input: json!({ "adminPcode": "NG008013" }),
            contains: Box::new(move |t| in_polygon(&jere_mp, t)),
        },
        Case {
            name: "the same polygon as GeoJSON",
            input: json!({ "polygon": geojson(&jere) }),
            contains: Box::new(move |t| in_polygon(&jere_mp2, t)),
        },
        Case {
            name: "an admin polygon at the antimeridian",
            input: json!({ "adminPcode": "FJ301" }),
            contains: Box::new(move |t| in_polygon(&fiji_mp, t)),
        },
        Case {
            name: "a box across the antimeridian",
            input: json!({ "bbox": { "west": 179.6, "south": -17.2, "east": -179.7, "north": -16.0 } }),
            contains: Box::new(|t| {
                (-17.2..=-16.0).contains(&t.lat) && (t.lon >= 179.6 || t.lon <= -179.7)
            }),
        },
        Case {
            name: "a box",
            input: json!({ "bbox": { "west": 13.0, "south": 11.7, "east": 13.2, "north": 11.9 } }),
            contains: Box::new(|t| {
                (11.7..=11.9).contains(&t.lat) && (13.0..=13.2).contains(&t.lon)
            }),
        },
        Case {
            name: "a radius",
            input: json!({ "near": { "lat": mlat, "lon": mlon, "radiusMeters": 4000.0 } }),
            contains: Box::new(move |t| haversine_m(mlat, mlon, t.lat, t.lon) <= 4000.0),
        },
        Case {
            name: "cells of two resolutions",
            input: json!({ "cells": [res7.to_string(), res4.to_string()] }),
            contains: Box::new(move |t| in_cell(res7, t) || in_cell(res4, t)),
        },
        Case {
            name: "a cell at a pentagon",
            input: json!({ "cells": [pent2.to_string()] }),
            contains: Box::new(move |t| in_cell(pent2, t)),
        },
        Case {
            name: "a radius around a pentagon",
            input: json!({ "near": { "lat": centre.lat(), "lon": centre.lng(), "radiusMeters": 12_000.0 } }),
            contains: Box::new(move |t| {
                haversine_m(centre.lat(), centre.lng(), t.lat, t.lon) <= 12_000.0
            }),
        },
        Case {
            name: "an admin area without a polygon",
            input: json!({ "adminPcode": "XXP" }),
            contains: Box::new(|t| t.admin[0].as_deref() == Some("XXP")),
        },
    ];

    let past = NaiveDate::from_ymd_opt(2024, 3, 1).unwrap();
    let late_day = late.assessed_on;
    for case in &cases {
        let members: Vec<usize> = (0..truths.len())
            .filter(|&i| (case.contains)(&truths[i]))
            .collect();
        assert!(
            !members.is_empty(),
            "{}: the case selects no site; pick a better area",
            case.name
        );
        let expected_ids: BTreeSet<String> =
            members.iter().map(|&i| truths[i].id.clone()).collect();
        let listed = ids_in(&app, &case.input).await;
        let got: BTreeSet<String> = listed.iter().map(|(id, _)| id.clone()).collect();
        assert_eq!(got, expected_ids, "{}: sites in the area", case.name);
        if case.input.get("near").is_some() {
            let distances: Vec<f64> = listed.iter().map(|(_, d)| d.unwrap()).collect();
            assert!(
                distances.windows(2).all(|w| w[0] <= w[1]),
                "{}: ordered by distance",
                case.name
            );
        }
        let member_set: BTreeSet<usize> = members.iter().copied().collect();
        let assessments_in = loaded
            .data
            .assessments
            .iter()
            .filter(|a| member_set.contains(&a.site_index))
            .count();
        let counted = app
            .admin(
                "query($a: AreaInput!) { assessments(area: $a) { totalCount } }",
                json!({ "a": case.input }),
            )
            .await;
        assert_eq!(
            counted.data()["assessments"]["totalCount"],
            assessments_in,
            "{}: assessments in the area",
            case.name
        );
        for as_of in [None, Some(past), Some(late_day)] {
            let answer = app
                .admin(&format!("query($a: AreaInput!, $d: NaiveDate) {{ displacement(area: $a, asOf: $d) {{ {FIGURES} }} }}"), json!({ "a": case.input, "d": as_of }))
                .await;
            let got = sorted_sadd(answer.data()["displacement"].clone());
            let want = sorted_sadd(expected(&loaded.data, &truths, &members, as_of));
            assert_eq!(got, want, "{} at {as_of:?}", case.name);
        }
    }

    // The hexagon map of the largest hub, per resolution-6 cell.
    let hub = &cases[4];
    let members: Vec<usize> = (0..truths.len())
        .filter(|&i| (hub.contains)(&truths[i]))
        .collect();
    let map = app
        .admin(&format!("query($a: AreaInput!) {{ displacementByCell(area: $a, resolution: 6, asOf: \"2024-06-30\") {{ cells {{ cell figures {{ {FIGURES} }} }} geojson }} }}"), json!({ "a": hub.input }))
        .await;
    let day = NaiveDate::from_ymd_opt(2024, 6, 30).unwrap();
    let mut by_cell: BTreeMap<String, Vec<usize>> = BTreeMap::new();
    for &i in &members {
        let t = &truths[i];
        if t.opened_on <= day && t.closed_on.is_none_or(|c| c > day) {
            by_cell
                .entry(
                    LatLng::new(t.lat, t.lon)
                        .unwrap()
                        .to_cell(Resolution::Six)
                        .to_string(),
                )
                .or_default()
                .push(i);
        }
    }
    let cells = map.data()["displacementByCell"]["cells"]
        .as_array()
        .unwrap()
        .clone();
    assert_eq!(cells.len(), by_cell.len());
    for cell in &cells {
        let want = sorted_sadd(expected(
            &loaded.data,
            &truths,
            &by_cell[cell["cell"].as_str().unwrap()],
            Some(day),
        ));
        assert_eq!(
            sorted_sadd(cell["figures"].clone()),
            want,
            "cell {}",
            cell["cell"]
        );
    }
    assert_eq!(
        map.data()["displacementByCell"]["geojson"]["features"]
            .as_array()
            .unwrap()
            .len(),
        cells.len()
    );

    // Per admin2 over everything, and a trend by round.
    let admin = app.admin(&format!("{{ displacementByAdmin(level: 2, asOf: \"2024-06-30\") {{ pcode figures {{ {FIGURES} }} }} }}"), json!({})).await;
    for group in admin.data()["displacementByAdmin"].as_array().unwrap() {
        let pcode = group["pcode"].as_str().map(str::to_owned);
        let members: Vec<usize> = (0..truths.len())
            .filter(|&i| truths[i].admin[2] == pcode)
            .collect();
        assert_eq!(
            sorted_sadd(group["figures"].clone()),
            sorted_sadd(expected(&loaded.data, &truths, &members, Some(day))),
            "admin {pcode:?}"
        );
    }
    let trend = app.admin("{ displacementTrend(interval: ROUND, from: \"2024-01-01\", to: \"2024-12-31\") { periodEnd roundNumber figures { sites households individuals } } }", json!({})).await;
    let all: Vec<usize> = (0..truths.len()).collect();
    let points = trend.data()["displacementTrend"]
        .as_array()
        .unwrap()
        .clone();
    assert_eq!(points.len(), 3);
    for point in points {
        let end: NaiveDate = point["periodEnd"].as_str().unwrap().parse().unwrap();
        let want = expected(&loaded.data, &truths, &all, Some(end));
        assert_eq!(
            point["figures"]["households"], want["households"],
            "trend at {end}"
        );
        assert_eq!(
            point["figures"]["individuals"], want["individuals"],
            "trend at {end}"
        );
        assert_eq!(point["figures"]["sites"], want["sites"], "trend at {end}");
    }

    // A partner sees small cells suppressed, never as zero, and large ones in full.
    let org = *loaded.organisation_ids.values().next().unwrap();
    let partner = app
        .token_for(Role::Partner, Some(org), Default::default())
        .await;
    let seen = app
        .gql(Some(&partner), "query($a: AreaInput!) { displacementByCell(area: $a, resolution: 9) { cells { figures { suppressed households sites } } } }", json!({ "a": hub.input }))
        .await;
    let admin_view = app.admin("query($a: AreaInput!) { displacementByCell(area: $a, resolution: 9) { cells { figures { households } } } }", json!({ "a": hub.input })).await;
    let theirs = seen.data()["displacementByCell"]["cells"]
        .as_array()
        .unwrap()
        .clone();
    let ours = admin_view.data()["displacementByCell"]["cells"]
        .as_array()
        .unwrap()
        .clone();
    assert!(
        theirs.iter().any(|c| c["figures"]["suppressed"] == true),
        "some small cells"
    );
    for (t, o) in theirs.iter().zip(&ours) {
        let households = o["figures"]["households"].as_i64().unwrap();
        if households < 5 {
            assert_eq!(t["figures"]["suppressed"], true);
            assert!(t["figures"]["households"].is_null());
        } else {
            assert_eq!(t["figures"]["households"], households);
        }
    }
}

#[tokio::test]
async fn bad_areas_are_refused_with_the_field_and_reason() {
    let app = spawn_app().await;
    let ask = |area: Value| {
        let app = &app;
        async move {
            app.admin(
                "query($a: AreaInput!) { displacement(area: $a) { sites } }",
                json!({ "a": area }),
            )
            .await
        }
    };
    let hex = ask(json!({ "cells": ["not-a-cell"] })).await;
    assert_eq!(hex.code(), "BAD_USER_INPUT");
    let lat = ask(json!({ "near": { "lat": 91.0, "lon": 0.0, "radiusMeters": 10.0 } })).await;
    assert_eq!(
        (lat.code(), lat.fields()),
        ("BAD_USER_INPUT", vec!["area.near.lat".to_owned()])
    );
    let unclosed = ask(json!({ "polygon": { "type": "Polygon", "coordinates": [[[0.0, 0.0], [1.0, 0.0], [1.0, 1.0], [0.0, 1.0]]] } })).await;
    assert_eq!(
        (unclosed.code(), unclosed.fields()),
        ("BAD_USER_INPUT", vec!["area.polygon".to_owned()])
    );
    let bowtie = ask(json!({ "polygon": { "type": "Polygon", "coordinates": [[[0.0, 0.0], [1.0, 1.0], [1.0, 0.0], [0.0, 1.0], [0.0, 0.0]]] } })).await;
    assert_eq!(
        (bowtie.code(), bowtie.fields()),
        ("BAD_USER_INPUT", vec!["area.polygon".to_owned()])
    );
    let world = ask(json!({ "polygon": { "type": "Polygon", "coordinates": [[[-180.0, -90.0], [180.0, -90.0], [180.0, 90.0], [-180.0, 90.0], [-180.0, -90.0]]] } })).await;
    assert_eq!(world.code(), "LIMIT_EXCEEDED");
    let zero = ask(json!({ "near": { "lat": 1.0, "lon": 1.0, "radiusMeters": 0.0 } })).await;
    assert_eq!(
        (zero.code(), zero.fields()),
        ("BAD_USER_INPUT", vec!["area.near.radiusMeters".to_owned()])
    );
    let huge =
        ask(json!({ "near": { "lat": 1.0, "lon": 1.0, "radiusMeters": 20_000_000.0 } })).await;
    assert_eq!(huge.code(), "LIMIT_EXCEEDED");
    let two = ask(json!({ "adminPcode": "NGA", "bbox": { "west": 0.0, "south": 0.0, "east": 1.0, "north": 1.0 } })).await;
    assert_eq!(two.code(), "BAD_USER_INPUT");
    let unknown = ask(json!({ "adminPcode": "ZZ99" })).await;
    assert_eq!(
        (unknown.code(), unknown.fields()),
        ("BAD_USER_INPUT", vec!["area.adminPcode".to_owned()])
    );
    let inverted =
        ask(json!({ "bbox": { "west": 0.0, "south": 5.0, "east": 1.0, "north": 1.0 } })).await;
    assert_eq!(inverted.code(), "BAD_USER_INPUT");
    assert_eq!(
        app.admin("{ displacement { sites } }", json!({}))
            .await
            .data()["displacement"]["sites"],
        0
    );
}

fn square(lon: f64, lat: f64, half: f64) -> Value {
    json!({ "type": "Polygon", "coordinates": [[[lon - half, lat - half], [lon + half, lat - half], [lon + half, lat + half], [lon - half, lat + half], [lon - half, lat - half]]] })
}

#[tokio::test]
async fn an_admin_areas_cover_follows_its_polygon_when_it_changes_and_bad_polygons_are_refused() {
    let app = spawn_app().await;
    let one = camptrack_tests::fixtures::site(
        &app,
        camptrack_tests::fixtures::site_input("CCCM-NG002001-0001", 11.80, 13.10),
    )
    .await;
    let two = camptrack_tests::fixtures::site(
        &app,
        camptrack_tests::fixtures::site_input("CCCM-NG002001-0002", 11.90, 13.30),
    )
    .await;
    let create = "mutation($p: JSON) { createAdminArea(input: { pcode: \"NGA\", level: 0, nameEn: \"Nigeria\", polygon: $p }) { version } }";
    let bowtie = json!({ "type": "Polygon", "coordinates": [[[0.0, 0.0], [1.0, 1.0], [1.0, 0.0], [0.0, 1.0], [0.0, 0.0]]] });
    let refused = app.admin(create, json!({ "p": bowtie })).await;
    assert_eq!(
        (refused.code(), refused.fields()),
        ("BAD_USER_INPUT", vec!["polygon".to_owned()])
    );
    app.admin(create, json!({ "p": square(13.10, 11.80, 0.01) }))
        .await
        .data();
    let area = json!({ "adminPcode": "NGA" });
    assert_eq!(
        ids_in(&app, &area)
            .await
            .into_iter()
            .map(|(id, _)| id)
            .collect::<Vec<_>>(),
        [one]
    );
    app.admin(
        "mutation($p: JSON) { updateAdminArea(version: 1, input: { pcode: \"NGA\", level: 0, nameEn: \"Nigeria\", polygon: $p }) { version } }",
        json!({ "p": square(13.30, 11.90, 0.01) }),
    )
    .await
    .data();
    assert_eq!(
        ids_in(&app, &area)
            .await
            .into_iter()
            .map(|(id, _)| id)
            .collect::<Vec<_>>(),
        [two]
    );
}
