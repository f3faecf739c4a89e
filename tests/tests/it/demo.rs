//! The shared generator, loaded through the storage functions: every site's current figures
//! equal a brute-force pick of its latest counted assessment.

use camptrack::demo::generator::Spec;
use camptrack_tests::spawn_app;
use serde_json::json;

#[tokio::test]
async fn loaded_demo_figures_equal_the_generators_latest_assessment_per_site() {
    let app = spawn_app().await;
    let loaded = camptrack::demo::load_spec(&app.db, &Spec::small(7))
        .await
        .expect("load");
    assert_eq!(loaded.sites, loaded.data.sites.len());
    let far_future = chrono::NaiveDate::from_ymd_opt(2100, 1, 1).unwrap();
    let latest = loaded.data.latest_per_site(far_future);
    let mut after: Option<String> = None;
    let mut seen = 0;
    loop {
        let page = app
            .admin("query($after: String) { sites(first: 100, after: $after) { pageInfo { hasNextPage endCursor } edges { node { id current { households individuals } } } } }", json!({ "after": after }))
            .await;
        let sites = page.data()["sites"].clone();
        for edge in sites["edges"].as_array().unwrap() {
            let node = &edge["node"];
            let index = loaded
                .site_ids
                .iter()
                .position(|id| id.to_string() == node["id"].as_str().unwrap())
                .unwrap();
            let (households, individuals) = latest[index].map_or((0, 0), |a| {
                let f = &loaded.data.assessments[a].figures;
                (i64::from(f.households), i64::from(f.individuals))
            });
            assert_eq!(node["current"]["households"], households, "site {index}");
            assert_eq!(node["current"]["individuals"], individuals, "site {index}");
            seen += 1;
        }
        if sites["pageInfo"]["hasNextPage"] == false {
            break;
        }
        after = sites["pageInfo"]["endCursor"].as_str().map(str::to_owned);
    }
    assert_eq!(seen, loaded.sites);
    let again = camptrack::demo::load_spec(&app.db, &Spec::small(7)).await;
    assert!(
        again.is_err(),
        "the demo refuses a database that already holds sites"
    );
}

#[tokio::test]
async fn loaded_demo_stock_equals_the_generators_ledger_and_distributions() {
    let app = spawn_app().await;
    let loaded = camptrack::demo::load_spec(&app.db, &Spec::small(5))
        .await
        .expect("load");
    let stock = &loaded.data.stock;
    assert!(loaded.warehouses >= 2 && loaded.distributions > 0);
    let answer = app
        .admin(
            "{ stockBalances(first: 500) { totalCount edges { node { warehouse { id } item { code } quantity daysOfCover } } } distributions { totalCount } }",
            json!({}),
        )
        .await;
    let data = answer.data();
    assert_eq!(data["distributions"]["totalCount"], loaded.distributions);
    let expected = stock.balances();
    assert_eq!(data["stockBalances"]["totalCount"], expected.len());
    for edge in data["stockBalances"]["edges"].as_array().unwrap() {
        let node = &edge["node"];
        let index = loaded
            .warehouse_ids
            .iter()
            .position(|id| id.to_string() == node["warehouse"]["id"].as_str().unwrap())
            .unwrap();
        let item = node["item"]["code"].as_str().unwrap().to_owned();
        let quantity: i64 = node["quantity"].as_i64().unwrap();
        assert_eq!(quantity, expected[&(index, item.clone())], "{index} {item}");
        assert!(quantity >= 0);
    }
}
