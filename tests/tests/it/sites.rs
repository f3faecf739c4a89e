//! Sites: creation with validation, version conflicts, closure, filters and pagination.

use camptrack_tests::fixtures;
use camptrack_tests::spawn_app;
use serde_json::json;

const UPDATE: &str = "mutation($id: UUID!, $v: Int!, $i: SiteInput!) { updateSite(id: $id, version: $v, input: $i) { name version } }";

#[tokio::test]
async fn a_site_is_stored_with_its_resolution_15_cell_and_read_back_by_id_and_code() {
    let app = spawn_app().await;
    let id = fixtures::site(
        &app,
        fixtures::site_input("cccm-ng002001-0001", 11.846, 13.157),
    )
    .await;
    let by_code = app
        .admin("{ site(code: \"CCCM-NG002001-0001\") { id code cell location { lat lon } operationalStatus version current { households } } }", json!({}))
        .await;
    let site = &by_code.data()["site"];
    assert_eq!(site["id"], id.as_str());
    assert_eq!(site["code"], "CCCM-NG002001-0001");
    assert_eq!(site["operationalStatus"], "OPEN");
    assert_eq!(site["current"]["households"], 0);
    let expected = camptrack_geo::Coordinates::new(11.846, 13.157)
        .unwrap()
        .cell()
        .to_string();
    assert_eq!(site["cell"], expected.as_str());
}

#[tokio::test]
async fn every_wrong_site_field_is_reported_with_its_path() {
    let app = spawn_app().await;
    let mut input = fixtures::site_input("no spaces allowed", 91.0, 13.1);
    input["admin1Pcode"] = json!("12-34");
    input["capacity"] = json!(-5);
    input["name"] = json!("  ");
    let answer = app
        .admin(
            "mutation($i: SiteInput!) { createSite(input: $i) { id } }",
            json!({ "i": input }),
        )
        .await;
    assert_eq!(answer.code(), "BAD_USER_INPUT");
    let mut fields = answer.fields();
    fields.sort();
    assert_eq!(fields, ["admin1Pcode", "capacity", "code", "lat", "name"]);
}

#[tokio::test]
async fn a_taken_site_code_is_a_conflict() {
    let app = spawn_app().await;
    fixtures::site(&app, fixtures::site_input("CCCM-NG002001-0001", 11.8, 13.1)).await;
    let again = app
        .admin(
            "mutation($i: SiteInput!) { createSite(input: $i) { id } }",
            json!({ "i": fixtures::site_input("CCCM-NG002001-0001", 11.9, 13.2) }),
        )
        .await;
    assert_eq!(again.code(), "CONFLICT");
    assert!(again.message().contains("site code"), "{}", again.message());
}

#[tokio::test]
async fn an_update_with_a_stale_version_is_a_conflict_carrying_the_stored_site() {
    let app = spawn_app().await;
    let id = fixtures::site(&app, fixtures::site_input("CCCM-NG002001-0001", 11.8, 13.1)).await;
    let mut input = fixtures::site_input("CCCM-NG002001-0001", 11.8, 13.1);
    input["name"] = json!("Renamed once");
    let first = app
        .admin(UPDATE, json!({ "id": id, "v": 1, "i": input }))
        .await;
    assert_eq!(
        first.data()["updateSite"],
        json!({ "name": "Renamed once", "version": 2 })
    );
    input["name"] = json!("Renamed from a stale copy");
    let stale = app
        .admin(UPDATE, json!({ "id": id, "v": 1, "i": input }))
        .await;
    assert_eq!(stale.code(), "CONFLICT");
    assert_eq!(
        stale.body["errors"][0]["extensions"]["current"]["name"],
        "Renamed once"
    );
    assert_eq!(
        stale.body["errors"][0]["extensions"]["current"]["version"],
        2
    );
    let stored = app
        .admin(
            "query($id: UUID!) { site(id: $id) { name version } }",
            json!({ "id": id }),
        )
        .await;
    assert_eq!(
        stored.data()["site"],
        json!({ "name": "Renamed once", "version": 2 })
    );
}

#[tokio::test]
async fn concurrent_updates_from_the_same_version_let_exactly_one_win() {
    let app = spawn_app().await;
    let id = fixtures::site(&app, fixtures::site_input("CCCM-NG002001-0001", 11.8, 13.1)).await;
    let attempts = (0..8).map(|i| {
        let mut input = fixtures::site_input("CCCM-NG002001-0001", 11.8, 13.1);
        input["name"] = json!(format!("Writer {i}"));
        app.admin(UPDATE, json!({ "id": id, "v": 1, "i": input }))
    });
    let answers = futures_util::future::join_all(attempts).await;
    let won = answers
        .iter()
        .filter(|a| a.body.get("errors").is_none())
        .count();
    let conflicts = answers
        .iter()
        .filter(|a| a.body.get("errors").is_some() && a.code() == "CONFLICT")
        .count();
    assert_eq!((won, conflicts), (1, 7));
}

#[tokio::test]
async fn closing_a_site_records_the_status_and_date_and_refuses_a_date_before_opening() {
    let app = spawn_app().await;
    let id = fixtures::site(&app, fixtures::site_input("CCCM-NG002001-0001", 11.8, 13.1)).await;
    let close = "mutation($id: UUID!, $v: Int!, $d: NaiveDate!) { closeSite(id: $id, version: $v, status: MERGED, closedOn: $d) { operationalStatus closedOn version } }";
    let early = app
        .admin(close, json!({ "id": id, "v": 1, "d": "2022-01-01" }))
        .await;
    assert_eq!(early.code(), "BAD_USER_INPUT");
    assert_eq!(early.fields(), ["closedOn"]);
    let closed = app
        .admin(close, json!({ "id": id, "v": 1, "d": "2024-06-30" }))
        .await;
    assert_eq!(
        closed.data()["closeSite"],
        json!({ "operationalStatus": "MERGED", "closedOn": "2024-06-30", "version": 2 })
    );
    let reopened = app.admin("mutation($id: UUID!) { reopenSite(id: $id, version: 2) { operationalStatus closedOn } }", json!({ "id": id })).await;
    assert_eq!(
        reopened.data()["reopenSite"],
        json!({ "operationalStatus": "OPEN", "closedOn": null })
    );
}

#[tokio::test]
async fn site_lists_filter_and_page_in_a_stable_order() {
    let app = spawn_app().await;
    for i in 0..7 {
        let mut input = fixtures::site_input(
            &format!("CCCM-NG002001-{i:04}"),
            11.8 + f64::from(i) * 0.01,
            13.1,
        );
        if i % 2 == 1 {
            input["siteType"] = json!("COLLECTIVE_CENTRE");
            input["admin2Pcode"] = json!("NG002002");
        }
        fixtures::site(&app, input).await;
    }
    let filtered = app.admin("{ sites(filter: { siteTypes: [COLLECTIVE_CENTRE], adminPcode: \"NG002002\" }) { totalCount } }", json!({})).await;
    assert_eq!(filtered.data()["sites"]["totalCount"], 3);
    let mut codes = Vec::new();
    let mut after: Option<String> = None;
    loop {
        let page = app
            .admin(
                "query($after: String) { sites(first: 3, after: $after) { pageInfo { hasNextPage endCursor } edges { node { code } } } }",
                json!({ "after": after }),
            )
            .await;
        let sites = page.data()["sites"].clone();
        codes.extend(
            sites["edges"]
                .as_array()
                .unwrap()
                .iter()
                .map(|e| e["node"]["code"].as_str().unwrap().to_owned()),
        );
        if sites["pageInfo"]["hasNextPage"] == false {
            break;
        }
        after = sites["pageInfo"]["endCursor"].as_str().map(str::to_owned);
    }
    let expected: Vec<String> = (0..7).map(|i| format!("CCCM-NG002001-{i:04}")).collect();
    assert_eq!(codes, expected);
}
