//! Exports: CSV (with the HXL row) and GeoJSON parsed back and compared with the GraphQL
//! lists for the same filters; partners never get another organisation's raw rows and keep
//! suppression; ETag/If-None-Match; `updatedSince`; bad parameters; the token in the path.

use std::collections::{BTreeMap, BTreeSet};

use camptrack::auth::AccountArea;
use camptrack::config::ServeArgs;
use camptrack::storage::accounts::{self, AccountDraft};
use camptrack_domain::codes::Role;
use camptrack_tests::fixtures::{self, record};
use camptrack_tests::{TestApp, spawn_app, spawn_app_with};
use serde_json::{Value, json};

/// A parsed CSV export: readable headers, the HXL row, and rows keyed by header.
struct Csv {
    headers: Vec<String>,
    hxl: Vec<String>,
    rows: Vec<BTreeMap<String, String>>,
}

impl Csv {
    fn parse(text: &str) -> Self {
        let mut reader = csv::ReaderBuilder::new()
            .has_headers(false)
            .from_reader(text.as_bytes());
        let mut records = reader.records().map(|r| r.expect("a CSV record"));
        let headers: Vec<String> = records
            .next()
            .expect("header row")
            .iter()
            .map(str::to_owned)
            .collect();
        let hxl: Vec<String> = records
            .next()
            .expect("HXL row")
            .iter()
            .map(str::to_owned)
            .collect();
        let rows = records
            .map(|r| {
                assert_eq!(r.len(), headers.len(), "every row has every column");
                headers
                    .iter()
                    .cloned()
                    .zip(r.iter().map(str::to_owned))
                    .collect()
            })
            .collect();
        Self { headers, hxl, rows }
    }

    fn tag(&self, header: &str) -> &str {
        let i = self
            .headers
            .iter()
            .position(|h| h == header)
            .unwrap_or_else(|| panic!("no column {header}"));
        &self.hxl[i]
    }

    fn column(&self, header: &str) -> BTreeSet<String> {
        self.rows.iter().map(|r| r[header].clone()).collect()
    }

    fn by(&self, key: &str) -> BTreeMap<String, BTreeMap<String, String>> {
        self.rows
            .iter()
            .map(|r| (r[key].clone(), r.clone()))
            .collect()
    }
}

async fn get(app: &TestApp, token: Option<&str>, path: &str) -> reqwest::Response {
    let mut request = app.http.get(format!("{}{path}", app.address));
    if let Some(t) = token {
        request = request.bearer_auth(t);
    }
    request.send().await.expect("request")
}

async fn csv_of(app: &TestApp, token: &str, path: &str) -> Csv {
    let response = get(app, Some(token), path).await;
    assert_eq!(response.status(), 200, "{path}");
    let ct = response.headers()["content-type"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(ct.starts_with("text/csv"), "{ct}");
    let disposition = response.headers()["content-disposition"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        disposition.starts_with("attachment; filename=\"camptrack-"),
        "{disposition}"
    );
    Csv::parse(&response.text().await.unwrap())
}

async fn geojson_of(app: &TestApp, token: &str, path: &str) -> Value {
    let response = get(app, Some(token), path).await;
    assert_eq!(response.status(), 200, "{path}");
    assert_eq!(response.headers()["content-type"], "application/geo+json");
    let v: Value = serde_json::from_str(&response.text().await.unwrap()).expect("GeoJSON");
    assert_eq!(v["type"], "FeatureCollection");
    v
}

async fn error_of(app: &TestApp, token: Option<&str>, path: &str) -> (u16, Value) {
    let response = get(app, token, path).await;
    let status = response.status().as_u16();
    (status, response.json().await.expect("a JSON error body"))
}

/// Submits an assessment as `token` with SADD that has a `F 1-5` band.
async fn assess(app: &TestApp, token: &str, site: &str, on: &str, hh: i64, ind: i64) -> String {
    let mut input = fixtures::assessment_input(site, 1, on, hh, ind);
    input["sadd"] = json!([
        { "sex": "F", "ageMin": 1, "ageMax": 5, "count": ind / 5 },
        { "sex": "M", "ageMin": 60, "ageMax": null, "count": 1 }
    ]);
    let answer = app
        .gql(Some(token), fixtures::SUBMIT, json!({ "i": input }))
        .await;
    answer.data()["submitAssessment"]["assessment"]["id"]
        .as_str()
        .expect("assessment id")
        .to_owned()
}

/// Four sites in Borno (one tiny, one closed) and one in Somalia, assessed.
async fn world() -> (TestApp, Vec<String>) {
    world_with(spawn_app().await).await
}

async fn world_with(app: TestApp) -> (TestApp, Vec<String>) {
    fixtures::round(&app, 1).await;
    let admin = app.admin_token.clone();
    let mut ids = Vec::new();
    for (i, (lat, lon, hh)) in [
        (11.84, 13.15, 120),
        (11.86, 13.17, 3),
        (11.90, 13.10, 40),
        (11.70, 13.30, 75),
    ]
    .into_iter()
    .enumerate()
    {
        let code = format!("CCCM-NG002001-{:04}", i + 1);
        let id = fixtures::site(&app, fixtures::site_input(&code, lat, lon)).await;
        assess(&app, &admin, &id, "2024-03-01", hh, hh * 5).await;
        ids.push(id);
    }
    let far = fixtures::site(
        &app,
        json!({ "code": "CCCM-SO1101-0001", "name": "Far, \"quoted\", away", "siteType": "SELF_SETTLED_CAMP", "formalStatus": "INFORMAL", "lat": 3.11, "lon": 43.65, "admin0Pcode": "SOM", "admin1Pcode": "SO11", "admin2Pcode": "SO1101" }),
    )
    .await;
    assess(&app, &admin, &far, "2024-03-02", 9, 40).await;
    ids.push(far);
    app.admin(
        "mutation($id: UUID!) { closeSite(id: $id, version: 1, status: CLOSED, closedOn: \"2024-06-01\") { id } }",
        json!({ "id": ids[2] }),
    )
    .await
    .data();
    (app, ids)
}

const SITES: &str = "query($a: AreaInput, $f: SiteFilterInput) { sites(first: 500, area: $a, filter: $f) { edges { node { id code name location { lat lon } operationalStatus current { suppressed households individuals } } } } }";

#[tokio::test]
async fn sites_csv_and_geojson_match_the_sites_list_with_the_hxl_row() {
    let (app, _) = world().await;
    let token = app.admin_token.clone();
    for (query, area, filter) in [
        ("", json!(null), json!(null)),
        (
            "?area.bbox=13.0,11.5,13.5,12.0&operationalStatuses=OPEN",
            json!({ "bbox": { "west": 13.0, "south": 11.5, "east": 13.5, "north": 12.0 } }),
            json!({ "operationalStatuses": ["OPEN"] }),
        ),
        (
            "?area.near=11.84,13.15,5000",
            json!({ "near": { "lat": 11.84, "lon": 13.15, "radiusMeters": 5000.0 } }),
            json!(null),
        ),
        (
            "?adminPcode=so11",
            json!(null),
            json!({ "adminPcode": "SO11" }),
        ),
    ] {
        let listed = app.admin(SITES, json!({ "a": area, "f": filter })).await;
        let nodes: BTreeMap<String, Value> = listed.data()["sites"]["edges"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| {
                (
                    e["node"]["id"].as_str().unwrap().to_owned(),
                    e["node"].clone(),
                )
            })
            .collect();
        assert!(!nodes.is_empty(), "{query}");

        let csv = csv_of(&app, &token, &format!("/export/sites.csv{query}")).await;
        assert_eq!(csv.tag("Site code"), "#loc+code");
        assert_eq!(csv.tag("Latitude"), "#geo+lat");
        assert_eq!(csv.tag("IDP households"), "#affected+idps+hh");
        assert_eq!(csv.tag("SADD F 1-5"), "#affected+idps+f+children+age1_5");
        assert_eq!(csv.tag("SADD M 60+"), "#affected+idps+m+elderly+age60plus");
        let rows = csv.by("Site id");
        assert_eq!(
            rows.keys().collect::<Vec<_>>(),
            nodes.keys().collect::<Vec<_>>(),
            "{query}"
        );
        for (id, node) in &nodes {
            let row = &rows[id];
            assert_eq!(row["Site code"], node["code"].as_str().unwrap());
            assert_eq!(row["Site name"], node["name"].as_str().unwrap());
            assert_eq!(
                row["Operational status"],
                node["operationalStatus"].as_str().unwrap()
            );
            assert_eq!(
                row["IDP households"],
                node["current"]["households"].as_i64().unwrap().to_string()
            );
            assert_eq!(
                row["Latitude"].parse::<f64>().unwrap(),
                node["location"]["lat"].as_f64().unwrap()
            );
            let ind = node["current"]["individuals"].as_i64().unwrap();
            assert_eq!(row["SADD F 1-5"], (ind / 5).to_string());
            assert_eq!(row["SADD M 60+"], "1");
            assert_eq!(row["SADD F 6-17"], "");
        }

        let geo = geojson_of(&app, &token, &format!("/export/sites.geojson{query}")).await;
        let features = geo["features"].as_array().unwrap();
        assert_eq!(features.len(), nodes.len());
        for f in features {
            let node = &nodes[f["properties"]["id"].as_str().unwrap()];
            assert_eq!(f["geometry"]["type"], "Point");
            assert_eq!(f["geometry"]["coordinates"][0], node["location"]["lon"]);
            assert_eq!(f["geometry"]["coordinates"][1], node["location"]["lat"]);
            assert_eq!(f["properties"]["households"], node["current"]["households"]);
            assert_eq!(f["properties"]["code"], node["code"]);
        }
    }
}

#[tokio::test]
async fn assessments_distributions_and_stock_exports_match_their_lists() {
    let (app, sites) = world().await;
    let token = app.admin_token.clone();
    // Assessments, filtered by date and area.
    let listed = app
        .admin(
            "query($a: AreaInput) { assessments(first: 500, area: $a, filter: { adminPcode: \"NG002\", assessedFrom: \"2024-03-01\", assessedTo: \"2024-03-01\" }) { edges { node { id households individuals roundNumber assessedOn reviewStatus site { code } } } } }",
            json!({ "a": { "bbox": { "west": 13.0, "south": 11.5, "east": 13.5, "north": 12.0 } } }),
        )
        .await;
    let nodes = listed.data()["assessments"]["edges"]
        .as_array()
        .unwrap()
        .clone();
    assert_eq!(nodes.len(), 4);
    let csv = csv_of(
        &app,
        &token,
        "/export/assessments.csv?area.bbox=13.0,11.5,13.5,12.0&adminPcode=NG002&assessedFrom=2024-03-01&assessedTo=2024-03-01",
    )
    .await;
    assert_eq!(csv.tag("Round"), "#round+code");
    assert_eq!(csv.tag("Assessed on"), "#date+reported");
    let rows = csv.by("Assessment id");
    assert_eq!(rows.len(), nodes.len());
    for e in &nodes {
        let n = &e["node"];
        let row = &rows[n["id"].as_str().unwrap()];
        assert_eq!(row["IDP households"], n["households"].to_string());
        assert_eq!(row["IDP individuals"], n["individuals"].to_string());
        assert_eq!(row["Site code"], n["site"]["code"].as_str().unwrap());
        assert_eq!(row["Assessed on"], n["assessedOn"].as_str().unwrap());
        assert_eq!(row["Review status"], n["reviewStatus"].as_str().unwrap());
    }
    let geo = geojson_of(
        &app,
        &token,
        &format!("/export/assessments.geojson?siteId={}", sites[4]),
    )
    .await;
    assert_eq!(geo["features"].as_array().unwrap().len(), 1);
    assert_eq!(
        geo["features"][0]["geometry"]["coordinates"],
        json!([43.65, 3.11])
    );

    // Distributions and stock.
    app.organisation("NRC").await;
    app.organisation("ECHO").await;
    let store = fixtures::warehouse(&app, None, "WH-MAIDUGURI", Some("NRC")).await;
    record(
        &app,
        &store,
        "BLANKET",
        "RECEIPT",
        100,
        "2024-03-01T08:00:00Z",
    )
    .await;
    record(
        &app,
        &store,
        "TARPAULIN",
        "RECEIPT",
        40,
        "2024-03-02T08:00:00Z",
    )
    .await;
    for (site, status) in [(&sites[0], "COMPLETED"), (&sites[1], "PLANNED")] {
        app.admin(
            "mutation($i: DistributionInput!) { recordDistribution(input: $i) { distribution { id } } }",
            json!({ "i": {
                "clientUuid": uuid::Uuid::new_v4(), "siteId": site, "implementingOrganisationCode": "NRC",
                "fundingOrganisationCode": "ECHO", "projectCode": "SHL-2024-01",
                "startsOn": "2024-03-12", "modality": "IN_KIND", "status": status,
                "households": 3, "individuals": 14, "noShows": 1,
                "sadd": [{ "sex": "F", "ageMin": 18, "ageMax": 59, "count": 5 }],
                "lines": [{ "itemCode": "BLANKET", "quantityDistributed": 2 }], "sourceWarehouseId": store
            } }),
        )
        .await
        .data();
    }
    let listed = app
        .admin("{ distributions(first: 500, filter: { statuses: [COMPLETED] }) { edges { node { id households individuals status implementingOrganisation { code } } } } }", json!({}))
        .await;
    let nodes = listed.data()["distributions"]["edges"]
        .as_array()
        .unwrap()
        .clone();
    assert_eq!(nodes.len(), 1);
    let csv = csv_of(&app, &token, "/export/distributions.csv?statuses=COMPLETED").await;
    assert_eq!(csv.tag("Implementing organisation"), "#org+impl");
    assert_eq!(csv.tag("Households reached"), "#reached+hh");
    assert_eq!(csv.tag("SADD F 18-59"), "#reached+f+adults+age18_59");
    assert_eq!(csv.rows.len(), 1);
    let row = &csv.rows[0];
    let n = &nodes[0]["node"];
    assert_eq!(row["Distribution id"], n["id"].as_str().unwrap());
    assert_eq!(row["Implementing organisation"], "NRC");
    assert_eq!(row["Funding organisation"], "ECHO");
    assert_eq!(row["Households reached"], n["households"].to_string());
    assert_eq!(row["Items (code:quantity)"], "BLANKET:2");
    assert_eq!(row["SADD F 18-59"], "5");

    let listed = app
        .admin(
            "{ stockMovements(first: 500) { edges { node { id kind quantity item { code } } } } }",
            json!({}),
        )
        .await;
    let nodes = listed.data()["stockMovements"]["edges"]
        .as_array()
        .unwrap()
        .clone();
    let csv = csv_of(&app, &token, "/export/stock-movements.csv").await;
    assert_eq!(csv.tag("Quantity (signed)"), "#value");
    assert_eq!(csv.tag("Item code"), "#item+code");
    let rows = csv.by("Movement id");
    assert_eq!(rows.len(), nodes.len());
    for e in &nodes {
        let n = &e["node"];
        let row = &rows[n["id"].as_str().unwrap()];
        assert_eq!(row["Quantity (signed)"], n["quantity"].to_string());
        assert_eq!(row["Kind"], n["kind"].as_str().unwrap());
        assert_eq!(row["Item code"], n["item"]["code"].as_str().unwrap());
        assert_eq!(row["Warehouse"], "WH-MAIDUGURI");
    }

    let listed = app
        .admin(
            "{ stockBalances(first: 500) { edges { node { quantity item { code } } } } }",
            json!({}),
        )
        .await;
    let expected: BTreeMap<String, String> = listed.data()["stockBalances"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["node"]["item"]["code"].as_str().unwrap().to_owned(),
                e["node"]["quantity"].to_string(),
            )
        })
        .collect();
    let csv = csv_of(&app, &token, "/export/stock-balances.csv").await;
    let got: BTreeMap<String, String> = csv
        .rows
        .iter()
        .map(|r| (r["Item code"].clone(), r["Balance"].clone()))
        .collect();
    assert_eq!(got, expected);
    assert_eq!(got["BLANKET"], "98");
}

#[tokio::test]
async fn displacement_exports_match_the_aggregate_queries() {
    let (app, _) = world().await;
    let token = app.admin_token.clone();
    let answer = app
        .admin("{ displacementByCell(resolution: 5) { cells { cell figures { sites households individuals } } } displacementByAdmin(level: 1) { pcode figures { sites households } } }", json!({}))
        .await;
    let cells: BTreeMap<String, (String, String)> = answer.data()["displacementByCell"]["cells"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["cell"].as_str().unwrap().to_owned(),
                (
                    c["figures"]["sites"].to_string(),
                    c["figures"]["households"].to_string(),
                ),
            )
        })
        .collect();
    let csv = csv_of(
        &app,
        &token,
        "/export/displacement-by-cell.csv?resolution=5",
    )
    .await;
    assert_eq!(csv.tag("IDP households"), "#affected+idps+hh");
    let got: BTreeMap<String, (String, String)> = csv
        .rows
        .iter()
        .map(|r| {
            (
                r["H3 cell"].clone(),
                (r["Open sites"].clone(), r["IDP households"].clone()),
            )
        })
        .collect();
    assert_eq!(got, cells);
    let geo = geojson_of(
        &app,
        &token,
        "/export/displacement-by-cell.geojson?resolution=5",
    )
    .await;
    let features = geo["features"].as_array().unwrap();
    assert_eq!(features.len(), cells.len());
    for f in features {
        assert_eq!(f["geometry"]["type"], "Polygon");
        let cell = f["properties"]["cell"].as_str().unwrap();
        assert_eq!(f["properties"]["households"].to_string(), cells[cell].1);
    }
    let admins: BTreeMap<String, String> = answer.data()["displacementByAdmin"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| {
            (
                a["pcode"].as_str().unwrap().to_owned(),
                a["figures"]["households"].to_string(),
            )
        })
        .collect();
    let csv = csv_of(&app, &token, "/export/displacement-by-admin.csv?level=1").await;
    assert_eq!(csv.tag("Admin1 p-code"), "#adm1+code");
    let got: BTreeMap<String, String> = csv
        .rows
        .iter()
        .map(|r| (r["Admin1 p-code"].clone(), r["IDP households"].clone()))
        .collect();
    assert_eq!(got, admins);
}

#[tokio::test]
async fn a_partner_export_holds_only_its_own_raw_rows_and_keeps_suppression() {
    let (app, sites) = world().await;
    let nrc = app.organisation("NRC").await;
    let iom = app.organisation("IOM").await;
    let partner = app
        .token_for(Role::Partner, Some(nrc), AccountArea::default())
        .await;
    let nrc_enum = app
        .token_for(Role::Enumerator, Some(nrc), AccountArea::default())
        .await;
    let iom_enum = app
        .token_for(Role::Enumerator, Some(iom), AccountArea::default())
        .await;
    let own = assess(&app, &nrc_enum, &sites[0], "2024-04-01", 130, 600).await;
    let theirs = assess(&app, &iom_enum, &sites[3], "2024-04-02", 80, 400).await;
    let nrc_store = fixtures::warehouse(&app, None, "WH-NRC", Some("NRC")).await;
    let iom_store = fixtures::warehouse(&app, None, "WH-IOM", Some("IOM")).await;
    record(
        &app,
        &nrc_store,
        "BLANKET",
        "RECEIPT",
        10,
        "2024-03-01T08:00:00Z",
    )
    .await;
    record(
        &app,
        &iom_store,
        "BLANKET",
        "RECEIPT",
        20,
        "2024-03-01T08:00:00Z",
    )
    .await;

    let csv = csv_of(&app, &partner, "/export/assessments.csv").await;
    assert_eq!(csv.column("Assessment id"), BTreeSet::from([own.clone()]));
    assert!(!csv.column("Assessment id").contains(&theirs));
    let listed = app
        .gql(
            Some(&partner),
            "{ assessments(first: 500) { edges { node { id } } } }",
            json!({}),
        )
        .await;
    assert_eq!(
        listed.data()["assessments"]["edges"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
    let csv = csv_of(&app, &partner, "/export/stock-movements.csv").await;
    assert_eq!(
        csv.column("Warehouse"),
        BTreeSet::from(["WH-NRC".to_owned()])
    );
    let csv = csv_of(&app, &partner, "/export/stock-balances.csv").await;
    assert_eq!(
        csv.column("Warehouse"),
        BTreeSet::from(["WH-NRC".to_owned()])
    );

    // Suppression: the tiny site (3 households) is withheld for partners, as in `sites`.
    let csv = csv_of(&app, &partner, "/export/sites.csv").await;
    let rows = csv.by("Site id");
    assert_eq!(rows.len(), sites.len());
    let listed = app.gql(Some(&partner), SITES, json!({})).await;
    for e in listed.data()["sites"]["edges"].as_array().unwrap() {
        let n = &e["node"];
        let row = &rows[n["id"].as_str().unwrap()];
        assert_eq!(
            row["Figures suppressed"],
            n["current"]["suppressed"].to_string()
        );
        let hh = n["current"]["households"]
            .as_i64()
            .map(|h| h.to_string())
            .unwrap_or_default();
        assert_eq!(row["IDP households"], hh);
    }
    assert_eq!(rows[&sites[1]]["Figures suppressed"], "true");
    assert_eq!(rows[&sites[1]]["IDP households"], "");
    assert_eq!(rows[&sites[1]]["SADD (all bands)"], "");
    let admin_rows = csv_of(&app, &app.admin_token, "/export/sites.csv")
        .await
        .by("Site id");
    assert_eq!(admin_rows[&sites[1]]["IDP households"], "3");

    // Aggregates: a hexagon holding only the tiny site is suppressed for the partner.
    let csv = csv_of(
        &app,
        &partner,
        "/export/displacement-by-cell.csv?resolution=9",
    )
    .await;
    let tiny = csv
        .rows
        .iter()
        .find(|r| r["Open sites"] == "1" && r["Figures suppressed"] == "true")
        .expect("the tiny site's hexagon is suppressed");
    assert_eq!(tiny["IDP households"], "");
    assert_eq!(tiny["SADD F 1-5"], "");
}

#[tokio::test]
async fn an_unchanged_export_answers_304_and_a_write_changes_the_etag() {
    let (app, _) = world().await;
    let token = app.admin_token.clone();
    for path in [
        "/export/sites.csv?siteTypes=PLANNED_CAMP",
        "/export/displacement-by-cell.geojson?resolution=6",
    ] {
        let first = get(&app, Some(&token), path).await;
        assert_eq!(first.status(), 200);
        let etag = first.headers()["etag"].to_str().unwrap().to_owned();
        let body = first.text().await.unwrap();
        let again = app
            .http
            .get(format!("{}{path}", app.address))
            .bearer_auth(&token)
            .header("If-None-Match", &etag)
            .send()
            .await
            .unwrap();
        assert_eq!(again.status(), 304, "{path}");
        assert_eq!(again.headers()["etag"].to_str().unwrap(), etag);
        assert!(again.text().await.unwrap().is_empty());

        // The same filters named differently are the same query; another caller is not.
        let other = app
            .token_for(Role::Coordinator, None, AccountArea::default())
            .await;
        let theirs = app
            .http
            .get(format!("{}{path}", app.address))
            .bearer_auth(&other)
            .header("If-None-Match", &etag)
            .send()
            .await
            .unwrap();
        assert_eq!(theirs.status(), 200);

        // A write: a new site.
        fixtures::site(
            &app,
            fixtures::site_input(
                &format!("CCCM-NG002001-{}", 9000 + path.len()),
                11.80,
                13.20,
            ),
        )
        .await;
        let after = app
            .http
            .get(format!("{}{path}", app.address))
            .bearer_auth(&token)
            .header("If-None-Match", &etag)
            .send()
            .await
            .unwrap();
        assert_eq!(after.status(), 200, "{path}");
        assert_ne!(after.headers()["etag"].to_str().unwrap(), etag);
        assert_ne!(after.text().await.unwrap(), body);
    }
    // A write the change log does not record (an organisation) also changes it.
    let first = get(&app, Some(&token), "/export/distributions.csv").await;
    let etag = first.headers()["etag"].to_str().unwrap().to_owned();
    app.organisation("NEWORG").await;
    let after = app
        .http
        .get(format!("{}/export/distributions.csv", app.address))
        .bearer_auth(&token)
        .header("If-None-Match", &etag)
        .send()
        .await
        .unwrap();
    assert_eq!(after.status(), 200);
}

#[tokio::test]
async fn updated_since_returns_only_rows_changed_since_including_closures() {
    let (app, sites) = world().await;
    let token = app.admin_token.clone();
    // Close site 0 now: its updatedAt is the newest; everything else is older.
    let closed = app
        .admin(
            "mutation($id: UUID!) { closeSite(id: $id, version: 1, status: RELOCATED, closedOn: \"2024-07-01\") { updatedAt } }",
            json!({ "id": sites[0] }),
        )
        .await;
    let since = closed.data()["closeSite"]["updatedAt"]
        .as_str()
        .unwrap()
        .to_owned();
    let encoded = since.replace('+', "%2B");
    let csv = csv_of(
        &app,
        &token,
        &format!("/export/sites.csv?updatedSince={encoded}"),
    )
    .await;
    assert_eq!(csv.column("Site id"), BTreeSet::from([sites[0].clone()]));
    assert_eq!(csv.rows[0]["Operational status"], "RELOCATED");
    assert_eq!(csv.rows[0]["Closed on"], "2024-07-01");

    // A review (a rejection) is a change of the assessment: it appears.
    let all = csv_of(&app, &token, "/export/assessments.csv").await;
    let target = all.rows[1]["Assessment id"].clone();
    app.admin(
        "mutation($id: UUID!) { reviewAssessment(id: $id, version: 1, status: REJECTED, note: \"duplicate\") { id } }",
        json!({ "id": target }),
    )
    .await
    .data();
    let after = csv_of(&app, &token, "/export/assessments.csv").await;
    let since = after.by("Assessment id")[&target]["Updated at"].replace('+', "%2B");
    let csv = csv_of(
        &app,
        &token,
        &format!("/export/assessments.csv?updatedSince={since}"),
    )
    .await;
    assert_eq!(csv.column("Assessment id"), BTreeSet::from([target]));
    assert_eq!(csv.rows[0]["Review status"], "REJECTED");
    // A date is its first instant: everything from that day on.
    let csv = csv_of(
        &app,
        &token,
        "/export/assessments.csv?updatedSince=2000-01-01",
    )
    .await;
    assert_eq!(csv.rows.len(), all.rows.len());
}

#[tokio::test]
async fn bad_parameters_unknown_datasets_and_missing_tokens_are_refused_precisely() {
    let (app, _) = world().await;
    let token = app.admin_token.clone();
    for (path, field, reason) in [
        (
            "/export/sites.csv?siteTyps=PLANNED_CAMP",
            "siteTyps",
            "not a parameter",
        ),
        (
            "/export/assessments.csv?assessedFrom=2024-13-01",
            "assessedFrom",
            "not a date",
        ),
        (
            "/export/sites.csv?area.bbox=1,2,3",
            "area.bbox",
            "4 comma-separated",
        ),
        (
            "/export/sites.csv?area.near=11.8,13.1,-5",
            "area.near.radiusMeters",
            "",
        ),
        ("/export/sites.csv?area.cells=zz", "area.cells", "zz"),
        (
            "/export/sites.csv?area.polygon=%7Bnope",
            "area.polygon",
            "not JSON",
        ),
        (
            "/export/sites.csv?area.bbox=1,2,3,4&area.adminPcode=NG002",
            "area",
            "exactly one",
        ),
        (
            "/export/sites.csv?operationalStatuses=SHUT",
            "operationalStatuses",
            "SHUT",
        ),
        (
            "/export/sites.csv?updatedSince=yesterday",
            "updatedSince",
            "RFC 3339",
        ),
        (
            "/export/assessments.csv?organisationCode=NOPE",
            "organisationCode",
            "no organisation NOPE",
        ),
        (
            "/export/displacement-by-cell.csv",
            "resolution",
            "H3 resolution",
        ),
        (
            "/export/displacement-by-cell.csv?resolution=16",
            "resolution",
            "H3 resolution",
        ),
        (
            "/export/displacement-by-admin.csv?level=4",
            "level",
            "admin level",
        ),
        (
            "/export/stock-balances.csv?nonZero=maybe",
            "nonZero",
            "true or false",
        ),
    ] {
        let (status, body) = error_of(&app, Some(&token), path).await;
        assert_eq!(status, 400, "{path}: {body}");
        assert_eq!(body["code"], "BAD_USER_INPUT", "{path}");
        assert_eq!(body["field"], field, "{path}: {body}");
        assert!(
            body["reason"].as_str().unwrap().contains(reason),
            "{path}: {body}"
        );
    }
    let (status, body) = error_of(&app, Some(&token), "/export/people.csv").await;
    assert_eq!((status, body["code"].as_str()), (404, Some("NOT_FOUND")));
    let (status, _) = error_of(&app, Some(&token), "/export/sites.xlsx").await;
    assert_eq!(status, 404);
    let (status, _) = error_of(&app, Some(&token), "/export/stock-balances.geojson").await;
    assert_eq!(status, 404);
    let (status, body) = error_of(&app, None, "/export/sites.csv").await;
    assert_eq!(
        (status, body["code"].as_str()),
        (401, Some("UNAUTHENTICATED"))
    );
    let (status, body) = error_of(&app, Some("ct_not_a_token"), "/export/sites.csv").await;
    assert_eq!(
        (status, body["code"].as_str()),
        (401, Some("UNAUTHENTICATED"))
    );
    let org = app.organisation("NRC").await;
    let enumerator = app
        .token_for(Role::Enumerator, Some(org), AccountArea::default())
        .await;
    let (status, body) = error_of(&app, Some(&enumerator), "/export/stock-movements.csv").await;
    assert_eq!((status, body["code"].as_str()), (403, Some("FORBIDDEN")));
}

#[tokio::test]
async fn the_token_in_the_path_works_and_stops_working_when_revoked() {
    let (app, _) = world().await;
    let account = accounts::create(
        &app.db,
        None,
        AccountDraft {
            name: "Power BI".into(),
            role: Role::Coordinator,
            organisation_id: None,
            area: AccountArea::default(),
        },
    )
    .await
    .unwrap();
    let (stored, secret) = accounts::create_token(&app.db, None, account.id, "pbi".into(), None)
        .await
        .unwrap();
    let path = format!(
        "/key/{}/export/sites.csv?operationalStatuses=OPEN",
        secret.expose()
    );
    let response = get(&app, None, &path).await;
    assert_eq!(response.status(), 200);
    let csv = Csv::parse(&response.text().await.unwrap());
    let by_header = csv_of(
        &app,
        secret.expose(),
        "/export/sites.csv?operationalStatuses=OPEN",
    )
    .await;
    assert_eq!(csv.rows, by_header.rows);
    assert_eq!(csv.rows.len(), 4);

    // Through the API: this server's token cache forgets the token at once.
    app.admin(
        "mutation($id: UUID!) { revokeToken(id: $id) { revokedAt } }",
        json!({ "id": stored.id }),
    )
    .await
    .data();
    let (status, body) = error_of(&app, None, &path).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (401, Some("UNAUTHENTICATED"))
    );
}

#[tokio::test]
async fn exports_read_in_many_small_pages_are_whole_and_well_formed() {
    let settings = ServeArgs {
        export_page_rows: 2,
        ..ServeArgs::parse_from(["serve"])
    };
    let (app, sites) = world_with(spawn_app_with(settings).await).await;
    let token = app.admin_token.clone();
    let csv = csv_of(&app, &token, "/export/sites.csv").await;
    assert_eq!(csv.column("Site id"), sites.iter().cloned().collect());
    assert_eq!(csv.rows.len(), sites.len());
    let geo = geojson_of(&app, &token, "/export/sites.geojson").await;
    let ids: BTreeSet<String> = geo["features"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["properties"]["id"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(ids, sites.iter().cloned().collect());
    let assessed = csv_of(&app, &token, "/export/assessments.csv").await;
    assert_eq!(assessed.rows.len(), 5);

    app.organisation("NRC").await;
    let store = fixtures::warehouse(&app, None, "WH-A", Some("NRC")).await;
    let other = fixtures::warehouse(&app, None, "WH-B", Some("NRC")).await;
    for (w, item) in [
        (&store, "BLANKET"),
        (&store, "TARPAULIN"),
        (&other, "BLANKET"),
        (&other, "TARPAULIN"),
        (&store, "BLANKET"),
    ] {
        record(&app, w, item, "RECEIPT", 5, "2024-03-01T08:00:00Z").await;
    }
    let moves = csv_of(&app, &token, "/export/stock-movements.csv").await;
    assert_eq!(moves.column("Movement id").len(), 5);
    let balances = csv_of(&app, &token, "/export/stock-balances.csv").await;
    let got: BTreeSet<(String, String, String)> = balances
        .rows
        .iter()
        .map(|r| {
            (
                r["Warehouse"].clone(),
                r["Item code"].clone(),
                r["Balance"].clone(),
            )
        })
        .collect();
    let expected: BTreeSet<(String, String, String)> = [
        ("WH-A", "BLANKET", "10"),
        ("WH-A", "TARPAULIN", "5"),
        ("WH-B", "BLANKET", "5"),
        ("WH-B", "TARPAULIN", "5"),
    ]
    .into_iter()
    .map(|(a, b, c)| (a.to_owned(), b.to_owned(), c.to_owned()))
    .collect();
    assert_eq!(got, expected);
}

/// A GraphQL `InsightFigures` (or null) as the export writes it: (suppressed, assessed on,
/// households, individuals).
fn figures_cells(p: &Value) -> [String; 4] {
    let text = |v: &Value| match v {
        Value::Null => String::new(),
        Value::String(s) => s.clone(),
        v => v.to_string(),
    };
    [
        p["suppressed"].as_bool().unwrap_or(false).to_string(),
        text(&p["assessedOn"]),
        text(&p["households"]),
        text(&p["individuals"]),
    ]
}

fn row_cells(row: &BTreeMap<String, String>) -> [String; 4] {
    [
        row["Figures suppressed"].clone(),
        row["Assessed on"].clone(),
        row["IDP households"].clone(),
        row["IDP individuals"].clone(),
    ]
}

fn gql_text(v: &Value) -> String {
    match v {
        Value::Null => String::new(),
        Value::String(s) => s.clone(),
        v => v.to_string(),
    }
}

#[tokio::test]
async fn activities_and_gap_exports_match_their_queries_page_by_page() {
    let settings = ServeArgs {
        export_page_rows: 1,
        ..ServeArgs::parse_from(["serve"])
    };
    let (app, sites) = world_with(spawn_app_with(settings).await).await;
    let admin = app.admin_token.clone();
    let nrc = app.organisation("NRC").await;
    app.organisation("ECHO").await;
    let partner = app
        .token_for(Role::Partner, Some(nrc), AccountArea::default())
        .await;
    let store = fixtures::warehouse(&app, None, "WH-MAIDUGURI", Some("NRC")).await;
    record(
        &app,
        &store,
        "BLANKET",
        "RECEIPT",
        100,
        "2024-01-01T08:00:00Z",
    )
    .await;
    record(
        &app,
        &store,
        "TARPAULIN",
        "RECEIPT",
        40,
        "2024-01-02T08:00:00Z",
    )
    .await;
    for (site, status, on) in [
        (&sites[0], "COMPLETED", "2024-03-12"),
        (&sites[1], "PLANNED", "2024-03-20"),
        (&sites[3], "COMPLETED", "2024-02-02"),
    ] {
        app.admin(
            "mutation($i: DistributionInput!) { recordDistribution(input: $i) { distribution { id } } }",
            json!({ "i": {
                "clientUuid": uuid::Uuid::new_v4(), "siteId": site, "implementingOrganisationCode": "NRC",
                "fundingOrganisationCode": "ECHO", "projectCode": "SHL-2024-01",
                "startsOn": on, "modality": "IN_KIND", "status": status,
                "households": 3, "individuals": 14, "noShows": 1,
                "sadd": [{ "sex": "F", "ageMin": 18, "ageMax": 59, "count": 5 }],
                "lines": [{ "itemCode": "BLANKET", "quantityDistributed": 2 }, { "itemCode": "TARPAULIN", "quantityDistributed": 1 }],
                "sourceWarehouseId": store
            } }),
        )
        .await
        .data();
    }
    // Arrivals on the big and the tiny site (the tiny one is suppressed for partners).
    fixtures::round(&app, 2).await;
    for (site, hh) in [(&sites[0], 125), (&sites[1], 4)] {
        let mut input = fixtures::assessment_input(site, 2, "2024-03-20", hh, hh * 5);
        input["arrivalsLast3Months"] = json!(50);
        app.gql(Some(&admin), fixtures::SUBMIT, json!({ "i": input }))
            .await
            .data();
    }

    // activities: every row, column by column, through one-row pages.
    let answer = app
        .admin("{ activities(from: \"2024-02-01\", to: \"2024-03-31\", groupBy: [IMPLEMENTING_ORGANISATION, GOODS, STATUS, ADMIN1], first: 500) { edges { node { implementingOrganisationCode goodsCode status admin1Pcode measures { distributions sites householdsReached individualsReached quantityDistributed firstDay lastDay } } } } }", json!({}))
        .await;
    let want: BTreeSet<Vec<String>> = answer.data()["activities"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            let n = &e["node"];
            let m = &n["measures"];
            [
                &n["implementingOrganisationCode"],
                &n["goodsCode"],
                &n["status"],
                &n["admin1Pcode"],
                &m["distributions"],
                &m["sites"],
                &m["householdsReached"],
                &m["individualsReached"],
                &m["quantityDistributed"],
                &m["firstDay"],
                &m["lastDay"],
            ]
            .into_iter()
            .map(gql_text)
            .collect()
        })
        .collect();
    assert!(want.len() >= 4, "{want:?}");
    let csv = csv_of(
        &app,
        &admin,
        "/export/activities.csv?from=2024-02-01&to=2024-03-31&groupBy=IMPLEMENTING_ORGANISATION,GOODS&groupBy=STATUS,ADMIN1",
    )
    .await;
    assert_eq!(
        csv.hxl,
        [
            "#org+impl",
            "#item+code",
            "#status",
            "#adm1+code",
            "#activity+count",
            "#loc+count",
            "#reached+hh",
            "#reached+ind",
            "#value",
            "#date+start",
            "#date+end"
        ]
    );
    let got: BTreeSet<Vec<String>> = csv
        .rows
        .iter()
        .map(|r| {
            [
                "Implementing organisation",
                "Item or kit code",
                "Status",
                "Admin1 p-code",
                "Distributions",
                "Sites",
                "Households reached",
                "Individuals reached",
                "Quantity distributed",
                "First day",
                "Last day",
            ]
            .iter()
            .map(|h| r[*h].clone())
            .collect()
        })
        .collect();
    assert_eq!(csv.rows.len(), want.len());
    assert_eq!(got, want);

    // The gap lists, for the admin and for a partner (suppression as in GraphQL).
    for token in [&admin, &partner] {
        let answer = app
            .gql(
                Some(token),
                "{ sitesWithoutDistribution(asOf: \"2024-03-31\", days: 30, goods: { itemCode: \"BLANKET\" }, first: 500) { nodes { site { id code } population { suppressed assessedOn households individuals } lastDistributionOn } }
                   staleSites(asOf: \"2024-03-31\", days: 20, first: 500) { nodes { site { id } neverAssessed daysSinceAssessed population { suppressed assessedOn households individuals } } }
                   arrivalSpikes(asOf: \"2024-03-31\", threshold: 10, first: 500) { nodes { site { id } rules arrivalsLast3Months previousArrivalsLast3Months population { suppressed assessedOn households individuals } } } }",
                json!({}),
            )
            .await;
        let data = answer.data();

        let nodes = data["sitesWithoutDistribution"]["nodes"]
            .as_array()
            .unwrap();
        assert!(!nodes.is_empty());
        let csv = csv_of(
            &app,
            token,
            "/export/sites-without-distribution.csv?asOf=2024-03-31&days=30&goods.itemCode=blanket",
        )
        .await;
        assert_eq!(csv.tag("Site code"), "#loc+code");
        assert_eq!(csv.tag("IDP households"), "#affected+idps+hh");
        let rows = csv.by("Site id");
        assert_eq!(rows.len(), nodes.len());
        for n in nodes {
            let row = &rows[n["site"]["id"].as_str().unwrap()];
            assert_eq!(row["Site code"], n["site"]["code"].as_str().unwrap());
            assert_eq!(row_cells(row), figures_cells(&n["population"]));
            assert_eq!(
                row["Last distribution on"],
                gql_text(&n["lastDistributionOn"])
            );
        }

        let nodes = data["staleSites"]["nodes"].as_array().unwrap();
        assert!(!nodes.is_empty());
        let csv = csv_of(
            &app,
            token,
            "/export/stale-sites.csv?asOf=2024-03-31&days=20",
        )
        .await;
        let rows = csv.by("Site id");
        assert_eq!(rows.len(), nodes.len());
        for n in nodes {
            let row = &rows[n["site"]["id"].as_str().unwrap()];
            assert_eq!(row_cells(row), figures_cells(&n["population"]));
            assert_eq!(row["Never assessed"], n["neverAssessed"].to_string());
            assert_eq!(
                row["Days since assessed"],
                gql_text(&n["daysSinceAssessed"])
            );
        }

        let nodes = data["arrivalSpikes"]["nodes"].as_array().unwrap();
        assert_eq!(nodes.len(), 2);
        let csv = csv_of(
            &app,
            token,
            "/export/arrival-spikes.csv?asOf=2024-03-31&threshold=10",
        )
        .await;
        let rows = csv.by("Site id");
        assert_eq!(rows.len(), nodes.len());
        for n in nodes {
            let row = &rows[n["site"]["id"].as_str().unwrap()];
            assert_eq!(row_cells(row), figures_cells(&n["population"]));
            let rules: Vec<String> = n["rules"]
                .as_array()
                .unwrap()
                .iter()
                .map(gql_text)
                .collect();
            assert_eq!(row["Rules fired"], rules.join(","));
            assert_eq!(
                row["Arrivals (3 months)"],
                gql_text(&n["arrivalsLast3Months"])
            );
            assert_eq!(
                row["Previous arrivals (3 months)"],
                gql_text(&n["previousArrivalsLast3Months"])
            );
        }
        let tiny = &rows[&sites[1]];
        let suppressed = token == &partner;
        assert_eq!(tiny["Figures suppressed"], suppressed.to_string());
        assert_eq!(tiny["Arrivals (3 months)"].is_empty(), suppressed);
    }

    // Bad parameters: each named, all at once.
    for (path, field, reason) in [
        ("/export/stale-sites.csv", "days", "look-back"),
        (
            "/export/arrival-spikes.csv?asOf=2024-03-31",
            "threshold",
            "threshold",
        ),
        (
            "/export/activities.csv?from=2024-03-01&to=2024-03-31&groupBy=WHO",
            "groupBy",
            "`WHO` is not a dimension",
        ),
        (
            "/export/activities.csv?from=2024-03-31&to=2024-03-01",
            "to",
            "before",
        ),
    ] {
        let (status, body) = error_of(&app, Some(&admin), path).await;
        assert_eq!(status, 400, "{path}: {body}");
        assert_eq!(body["code"], "BAD_USER_INPUT", "{path}");
        assert_eq!(body["field"], field, "{path}: {body}");
        assert!(
            body["reason"].as_str().unwrap().contains(reason),
            "{path}: {body}"
        );
    }
}
