//! Per-cell rollups against the range scan: today's `displacement` and
//! `displacementByCell` at the rollup resolutions (5, 7, 9) must answer exactly what the
//! range scan answers (`asOf` set to today takes the range scan), after submits, late older
//! assessments, rejections, edits, closures (past and future), moves and reopenings, for
//! every area kind, for an administrator and for a partner (suppression).

use camptrack_domain::codes::Role;
use camptrack_tests::{TestApp, fixtures, spawn_app};
use serde_json::{Value, json};

const FIGURES: &str = "sites assessedSites suppressed households individuals arrivalsLast3Months departuresLast3Months sadd { sex ageMin ageMax count }";

/// Maiduguri-like hub: sites within about 15 km of this point.
const HUB: (f64, f64) = (11.846, 13.16);

fn areas() -> Vec<Value> {
    let (lat, lon) = HUB;
    vec![
        json!({ "bbox": { "west": lon - 0.05, "south": lat - 0.05, "east": lon + 0.08, "north": lat + 0.06 } }),
        json!({ "bbox": { "west": lon - 1.0, "south": lat - 1.0, "east": lon + 1.0, "north": lat + 1.0 } }),
        json!({ "near": { "lat": lat, "lon": lon, "radiusMeters": 6_000.0 } }),
        json!({ "polygon": { "type": "Polygon", "coordinates": [[[lon - 0.1, lat - 0.1], [lon + 0.12, lat - 0.02], [lon, lat + 0.11], [lon - 0.1, lat - 0.1]]] } }),
        json!({ "bbox": { "west": 0.0, "south": 0.0, "east": 40.0, "north": 30.0 } }),
    ]
}

/// A deterministic scatter of points around the hub (and two far away).
fn points() -> Vec<(f64, f64)> {
    let mut state: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut next = || {
        state = state
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        f64::from(u32::try_from(state >> 40).unwrap_or(0)) / f64::from(1_u32 << 24)
    };
    let mut out: Vec<(f64, f64)> = (0..36)
        .map(|_| (HUB.0 + (next() - 0.5) * 0.25, HUB.1 + (next() - 0.5) * 0.25))
        .collect();
    out.push((9.05, 7.49));
    out.push((12.0, 8.52));
    out
}

fn today() -> String {
    chrono::Utc::now().date_naive().to_string()
}

/// Compares the rollup answers with the range scan for every area and resolution.
async fn check(app: &TestApp, token: Option<&str>, stage: &str) {
    let today = today();
    let total = format!(
        "query($a: AreaInput, $d: NaiveDate) {{ displacement(area: $a, asOf: $d) {{ {FIGURES} }} }}"
    );
    let map = format!(
        "query($a: AreaInput, $r: Int!, $d: NaiveDate) {{ displacementByCell(area: $a, resolution: $r, asOf: $d) {{ cells {{ cell figures {{ {FIGURES} }} }} }} }}"
    );
    let mut cases: Vec<Value> = areas();
    cases.push(Value::Null);
    for area in &cases {
        let now = ask(app, token, &total, json!({ "a": area })).await;
        let scan = ask(app, token, &total, json!({ "a": area, "d": today })).await;
        assert_eq!(
            now.data()["displacement"],
            scan.data()["displacement"],
            "{stage}: displacement in {area}"
        );
        for res in [5, 7, 9] {
            let now = ask(app, token, &map, json!({ "a": area, "r": res })).await;
            let scan = ask(app, token, &map, json!({ "a": area, "r": res, "d": today })).await;
            assert_eq!(
                now.data()["displacementByCell"],
                scan.data()["displacementByCell"],
                "{stage}: displacementByCell at {res} in {area}"
            );
        }
    }
}

/// Asks as `token`, or as the administrator when `None`.
async fn ask(
    app: &TestApp,
    token: Option<&str>,
    query: &str,
    vars: Value,
) -> camptrack_tests::GqlAnswer {
    match token {
        Some(t) => app.gql(Some(t), query, vars).await,
        None => app.admin(query, vars).await,
    }
}

fn assessment(site: &str, round: i32, on: &str, households: i64, arrivals: i64) -> Value {
    let mut input = fixtures::assessment_input(site, round, on, households, households * 5);
    input["arrivalsLast3Months"] = json!(arrivals);
    input["departuresLast3Months"] = json!(arrivals / 2);
    input
}

async fn submit(app: &TestApp, input: Value) -> (String, i32) {
    let answer = app.admin(fixtures::SUBMIT, json!({ "i": input })).await;
    let a = &answer.data()["submitAssessment"]["assessment"];
    (
        a["id"].as_str().expect("assessment id").to_owned(),
        i32::try_from(a["version"].as_i64().expect("version")).expect("small version"),
    )
}

#[tokio::test]
async fn rollup_answers_equal_the_range_scan_through_every_kind_of_change() {
    let app = spawn_app().await;
    let org = app
        .admin(
            "mutation { createOrganisation(input: { code: \"PARTNER1\", name: \"Partner One\", orgType: INGO }) { id } }",
            json!({}),
        )
        .await;
    let org: uuid::Uuid = serde_json::from_value(org.data()["createOrganisation"]["id"].clone())
        .expect("organisation id");
    let partner = app
        .token_for(Role::Partner, Some(org), Default::default())
        .await;
    for n in 1..=3 {
        fixtures::round(&app, n).await;
    }
    let mut sites = Vec::new();
    for (i, (lat, lon)) in points().into_iter().enumerate() {
        let mut input = fixtures::site_input(&format!("CCCM-NG002001-{:04}", i + 1), lat, lon);
        if i == 5 {
            // Opens in the future: counted by neither path until then.
            input["openedOn"] = json!("2099-01-01");
        }
        sites.push(fixtures::site(&app, input).await);
    }
    check(&app, None, "empty sites").await;

    let mut latest = Vec::new();
    for (i, site) in sites.iter().enumerate() {
        let households = i64::try_from(i % 7 * 13 + 2).unwrap_or(2);
        latest.push(submit(&app, assessment(site, 2, "2024-06-10", households, 3)).await);
    }
    check(&app, None, "second round").await;

    // Late, older assessments: the current figures do not move.
    for site in sites.iter().step_by(3) {
        submit(&app, assessment(site, 1, "2024-02-01", 400, 9)).await;
    }
    check(&app, None, "late older").await;

    // A newer round for some, then rejecting some of those: back to the older figures.
    let review = "mutation($id: UUID!, $v: Int!, $s: ReviewStatus!) { reviewAssessment(id: $id, version: $v, status: $s, note: \"check\") { version } }";
    for site in sites.iter().step_by(4) {
        let (id, v) = submit(&app, assessment(site, 3, "2024-09-10", 77, 5)).await;
        app.admin(review, json!({ "id": id, "v": v, "s": "REJECTED" }))
            .await
            .data();
    }
    check(&app, None, "rejections").await;

    // Edits of current assessments.
    let edit = "mutation($id: UUID!, $v: Int!, $c: AssessmentContentInput!) { updateAssessment(id: $id, version: $v, input: $c) { version } }";
    for (i, (id, v)) in latest.iter().enumerate().skip(1).step_by(5) {
        let mut content = assessment(&sites[i], 2, "2024-06-10", 31, 11);
        content
            .as_object_mut()
            .expect("object")
            .retain(|k, _| k != "clientUuid" && k != "siteId");
        app.admin(edit, json!({ "id": id, "v": v, "c": content }))
            .await
            .data();
    }
    check(&app, None, "edits").await;

    // Closures: one in the past, one in the future (still open today).
    let close = "mutation($id: UUID!, $v: Int!, $d: NaiveDate!) { closeSite(id: $id, version: $v, status: MERGED, closedOn: $d) { version } }";
    app.admin(close, json!({ "id": sites[2], "v": 1, "d": "2024-07-01" }))
        .await
        .data();
    app.admin(close, json!({ "id": sites[7], "v": 1, "d": "2099-12-31" }))
        .await
        .data();
    check(&app, None, "closures").await;

    // Moves: across the hub and far away.
    let update = "mutation($id: UUID!, $v: Int!, $i: SiteInput!) { updateSite(id: $id, version: $v, input: $i) { version } }";
    for (i, to) in [(3_usize, (HUB.0 + 0.03, HUB.1 - 0.04)), (8, (9.1, 7.4))] {
        let input = fixtures::site_input(&format!("CCCM-NG002001-{:04}", i + 1), to.0, to.1);
        app.admin(update, json!({ "id": sites[i], "v": 1, "i": input }))
            .await
            .data();
    }
    check(&app, None, "moves").await;

    // Reopening the closed site.
    app.admin(
        "mutation($id: UUID!) { reopenSite(id: $id, version: 2) { version } }",
        json!({ "id": sites[2] }),
    )
    .await
    .data();
    check(&app, None, "reopening").await;
    check(&app, Some(&partner), "partner").await;
}
