//! Batches of distributions and stock movements from the field: every item answered on its
//! own (an oversell is refused with the item, the balance and the shortfall while its
//! neighbours are stored), resends are duplicates, reused client UUIDs conflict naming the
//! fields that differ, nothing is stored twice; device facts are kept, and
//! `submissionStatus` answers for both kinds within the caller's scope.

use camptrack::auth::AccountArea;
use camptrack_domain::codes::Role;
use camptrack_tests::fixtures::{self, balance, record};
use camptrack_tests::{TestApp, spawn_app};
use serde_json::{Value, json};

const SUBMIT_DISTRIBUTIONS: &str = "mutation($items: [DistributionInput!]!) { submitDistributions(items: $items) { accepted duplicates conflicts rejected retry items { index clientUuid status message conflictingFields errors { field reason } record { id version households capturedAt receivedAt deviceId clientApp clientAppVersion needsReview reviewNote movements { totalCount } } } } }";

const RECORD_MOVEMENTS: &str = "mutation($items: [StockMovementInput!]!) { recordStockMovements(items: $items) { accepted duplicates conflicts rejected retry items { index clientUuid status message conflictingFields errors { field reason } record { id kind quantity capturedAt receivedAt deviceId clientApp needsReview } } } }";

struct World {
    app: TestApp,
    site: String,
    store: String,
}

/// A site, an NRC warehouse holding `blankets` blankets since 1 March 2024.
async fn world(blankets: i64) -> World {
    let app = spawn_app().await;
    app.organisation("NRC").await;
    app.organisation("ECHO").await;
    let site = fixtures::site(
        &app,
        fixtures::site_input("CCCM-NG002001-0001", 11.84, 13.15),
    )
    .await;
    let store = fixtures::warehouse(&app, None, "WH-MAIDUGURI", Some("NRC")).await;
    if blankets > 0 {
        record(
            &app,
            &store,
            "BLANKET",
            "RECEIPT",
            blankets,
            "2024-03-01T08:00:00Z",
        )
        .await;
    }
    World { app, site, store }
}

/// A completed in-kind distribution of `blankets` blankets from `store` at `site`.
fn distribution(site: &str, store: &str, blankets: i64) -> Value {
    json!({
        "clientUuid": uuid::Uuid::new_v4(), "siteId": site, "implementingOrganisationCode": "NRC",
        "fundingOrganisationCode": "ECHO", "startsOn": "2024-03-12", "modality": "IN_KIND",
        "status": "COMPLETED", "households": 3, "individuals": 14,
        "lines": [{ "itemCode": "BLANKET", "quantityDistributed": blankets }],
        "sourceWarehouseId": store
    })
}

/// The id of the organisation with `code`.
pub async fn org_id(app: &TestApp, code: &str) -> uuid::Uuid {
    let answer = app
        .admin(
            "{ organisations(first: 100) { edges { node { id code } } } }",
            json!({}),
        )
        .await;
    answer.data()["organisations"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["node"]["code"] == code)
        .and_then(|e| e["node"]["id"].as_str())
        .expect("organisation")
        .parse()
        .unwrap()
}

fn statuses(answer: &Value) -> Vec<String> {
    answer["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|i| i["status"].as_str().expect("status").to_owned())
        .collect()
}

async fn counts(app: &TestApp) -> (i64, i64) {
    let answer = app
        .admin(
            "{ distributions { totalCount } stockMovements { totalCount } }",
            json!({}),
        )
        .await;
    let n = |k: &str| answer.data()[k]["totalCount"].as_i64().expect("count");
    (n("distributions"), n("stockMovements"))
}

/// Sends `query` with `items` from a client of its own (its own connection).
async fn send(app: &TestApp, client: reqwest::Client, query: &str, items: &Value) -> Value {
    client
        .post(format!("{}/graphql", app.address))
        .bearer_auth(&app.admin_token)
        .json(&json!({ "query": query, "variables": { "items": items } }))
        .send()
        .await
        .expect("send")
        .json::<Value>()
        .await
        .expect("json")
}

/// Two answers to the same batch sent at once: each item accepted by one, a duplicate of
/// the same record in the other.
fn one_accepted_one_duplicate(a: &Value, b: &Value, n: i64) {
    assert_eq!(
        a["accepted"].as_i64().unwrap() + b["accepted"].as_i64().unwrap(),
        n,
        "{a:#} {b:#}"
    );
    for (x, y) in a["items"]
        .as_array()
        .unwrap()
        .iter()
        .zip(b["items"].as_array().unwrap())
    {
        let mut pair = [x["status"].as_str().unwrap(), y["status"].as_str().unwrap()];
        pair.sort_unstable();
        assert_eq!(pair, ["ACCEPTED", "DUPLICATE"], "{x:#} {y:#}");
        assert_eq!(x["record"]["id"], y["record"]["id"]);
    }
}

#[tokio::test]
async fn the_same_distribution_batch_sent_twice_three_times_and_concurrently_stores_each_once() {
    let w = world(100).await;
    let batch: Vec<Value> = (0..6).map(|_| distribution(&w.site, &w.store, 2)).collect();
    let first = w
        .app
        .admin(SUBMIT_DISTRIBUTIONS, json!({ "items": batch }))
        .await
        .data()["submitDistributions"]
        .clone();
    assert_eq!(statuses(&first), vec!["ACCEPTED"; 6], "{first:#}");
    for _ in 0..2 {
        let again = w
            .app
            .admin(SUBMIT_DISTRIBUTIONS, json!({ "items": batch }))
            .await
            .data()["submitDistributions"]
            .clone();
        assert_eq!(statuses(&again), vec!["DUPLICATE"; 6], "{again:#}");
        for (a, b) in first["items"]
            .as_array()
            .unwrap()
            .iter()
            .zip(again["items"].as_array().unwrap())
        {
            assert_eq!(a["record"]["id"], b["record"]["id"]);
            assert_eq!(b["record"]["movements"]["totalCount"], 1);
        }
    }
    assert_eq!(counts(&w.app).await, (6, 1 + 6));
    assert_eq!(balance(&w.app, &w.store, "BLANKET", None).await, 100 - 12);

    // Another batch, sent at once from two connections.
    let batch = json!(
        (0..10)
            .map(|_| distribution(&w.site, &w.store, 1))
            .collect::<Vec<_>>()
    );
    let (a, b) = tokio::join!(
        send(&w.app, reqwest::Client::new(), SUBMIT_DISTRIBUTIONS, &batch),
        send(&w.app, reqwest::Client::new(), SUBMIT_DISTRIBUTIONS, &batch)
    );
    one_accepted_one_duplicate(
        &a["data"]["submitDistributions"],
        &b["data"]["submitDistributions"],
        10,
    );
    assert_eq!(counts(&w.app).await, (16, 1 + 16));
    assert_eq!(balance(&w.app, &w.store, "BLANKET", None).await, 100 - 22);
}

#[tokio::test]
async fn a_mixed_distribution_batch_answers_each_item_and_stores_exactly_the_valid_ones() {
    let w = world(10).await;
    let stored = distribution(&w.site, &w.store, 2);
    w.app
        .admin(SUBMIT_DISTRIBUTIONS, json!({ "items": [stored] }))
        .await
        .data();
    let mut conflicting = stored.clone();
    conflicting["households"] = json!(4);
    let mut invalid = distribution(&w.site, &w.store, 1);
    invalid["lines"][0]["quantityDistributed"] = json!(-1);
    let oversell = distribution(&w.site, &w.store, 9);
    let mut cash = distribution(&w.site, &w.store, 0);
    cash["modality"] = json!("CASH");
    cash["lines"] = json!([]);
    cash.as_object_mut().unwrap().remove("sourceWarehouseId");
    let items = json!([
        distribution(&w.site, &w.store, 3),
        stored,
        conflicting,
        invalid,
        oversell,
        cash
    ]);
    let answer = w
        .app
        .admin(SUBMIT_DISTRIBUTIONS, json!({ "items": items }))
        .await
        .data()["submitDistributions"]
        .clone();
    assert_eq!(
        statuses(&answer),
        [
            "ACCEPTED",
            "DUPLICATE",
            "CONFLICT",
            "REJECTED",
            "REJECTED",
            "ACCEPTED"
        ],
        "{answer:#}"
    );
    assert_eq!(
        (
            &answer["accepted"],
            &answer["duplicates"],
            &answer["conflicts"],
            &answer["rejected"],
            &answer["retry"]
        ),
        (&json!(2), &json!(1), &json!(1), &json!(2), &json!(0))
    );
    let conflict = &answer["items"][2];
    assert_eq!(conflict["conflictingFields"], json!(["content.households"]));
    assert_eq!(conflict["record"]["households"], 3, "the stored record");
    assert_eq!(
        answer["items"][3]["errors"][0]["field"],
        "items.3.lines.0.quantityDistributed"
    );
    // 10 received, 2 + 3 distributed: 5 left, 9 asked.
    let short = &answer["items"][4]["errors"][0];
    assert_eq!(short["field"], "items.4.lines.0.quantityDistributed");
    let reason = short["reason"].as_str().unwrap();
    assert!(
        reason.contains("BLANKET")
            && reason.contains("balance is 5")
            && reason.contains("9 requested")
            && reason.contains("short by 4"),
        "{reason}"
    );
    // The stored one, the valid in-kind one and the cash one; a receipt and two dispatches.
    assert_eq!(counts(&w.app).await, (3, 3));
    assert_eq!(balance(&w.app, &w.store, "BLANKET", None).await, 5);
}

#[tokio::test]
async fn a_mixed_movement_batch_answers_each_item_and_resends_store_nothing_twice() {
    let w = world(0).await;
    let at = "2024-03-01T08:00:00Z";
    let receipt = fixtures::movement(&w.store, "BLANKET", "RECEIPT", 10, at);
    w.app
        .admin(RECORD_MOVEMENTS, json!({ "items": [receipt] }))
        .await
        .data();
    let mut conflicting = receipt.clone();
    conflicting["quantity"] = json!(12);
    conflicting["documentRef"] = json!("WB-0002");
    let invalid = fixtures::movement(&w.store, "NO SUCH ITEM", "RECEIPT", 1, at);
    let later = "2024-03-05T08:00:00Z";
    let items = json!([
        fixtures::movement(&w.store, "BLANKET", "RECEIPT", 5, at),
        receipt,
        conflicting,
        invalid,
        fixtures::movement(&w.store, "BLANKET", "DISPATCH", 20, later),
        fixtures::movement(&w.store, "BLANKET", "DISPATCH", 15, later)
    ]);
    let answer = w
        .app
        .admin(RECORD_MOVEMENTS, json!({ "items": items }))
        .await
        .data()["recordStockMovements"]
        .clone();
    assert_eq!(
        statuses(&answer),
        [
            "ACCEPTED",
            "DUPLICATE",
            "CONFLICT",
            "REJECTED",
            "REJECTED",
            "ACCEPTED"
        ],
        "{answer:#}"
    );
    let conflict = &answer["items"][2];
    assert_eq!(
        conflict["conflictingFields"],
        json!(["documentRef", "quantity"])
    );
    assert_eq!(conflict["record"]["quantity"], 10);
    assert_eq!(answer["items"][3]["errors"][0]["field"], "items.3.itemCode");
    let short = &answer["items"][4]["errors"][0];
    assert_eq!(short["field"], "items.4.quantity");
    let reason = short["reason"].as_str().unwrap();
    assert!(
        reason.contains("BLANKET")
            && reason.contains("balance is 15")
            && reason.contains("short by 5"),
        "{reason}"
    );
    assert_eq!(answer["items"][5]["record"]["quantity"], -15);
    assert_eq!(counts(&w.app).await, (0, 3));
    assert_eq!(balance(&w.app, &w.store, "BLANKET", None).await, 0);

    // The same batch again, twice: nothing new, the same answers for what was stored.
    for _ in 0..2 {
        let again = w
            .app
            .admin(RECORD_MOVEMENTS, json!({ "items": items }))
            .await
            .data()["recordStockMovements"]
            .clone();
        assert_eq!(
            statuses(&again),
            [
                "DUPLICATE",
                "DUPLICATE",
                "CONFLICT",
                "REJECTED",
                "REJECTED",
                "DUPLICATE"
            ],
            "{again:#}"
        );
        assert_eq!(
            again["items"][0]["record"]["id"],
            answer["items"][0]["record"]["id"]
        );
    }
    assert_eq!(counts(&w.app).await, (0, 3));

    // Receipts sent at once from two connections: each stored once.
    let batch = json!(
        (0..10)
            .map(|_| fixtures::movement(&w.store, "SLEEPING-MAT", "RECEIPT", 3, at))
            .collect::<Vec<_>>()
    );
    let (a, b) = tokio::join!(
        send(&w.app, reqwest::Client::new(), RECORD_MOVEMENTS, &batch),
        send(&w.app, reqwest::Client::new(), RECORD_MOVEMENTS, &batch)
    );
    one_accepted_one_duplicate(
        &a["data"]["recordStockMovements"],
        &b["data"]["recordStockMovements"],
        10,
    );
    assert_eq!(counts(&w.app).await, (0, 13));
    assert_eq!(balance(&w.app, &w.store, "SLEEPING-MAT", None).await, 30);
}

#[tokio::test]
async fn more_items_than_the_limit_are_refused_whole() {
    let w = world(0).await;
    let items: Vec<Value> = (0..201)
        .map(|_| fixtures::movement(&w.store, "BLANKET", "RECEIPT", 1, "2024-03-01T08:00:00Z"))
        .collect();
    let answer = w
        .app
        .admin(RECORD_MOVEMENTS, json!({ "items": items }))
        .await;
    assert_eq!(answer.code(), "LIMIT_EXCEEDED");
    assert_eq!(counts(&w.app).await, (0, 0));
}

#[tokio::test]
async fn device_facts_are_kept_and_a_capture_time_far_ahead_is_stored_but_flagged() {
    let w = world(10).await;
    let ahead = (chrono::Utc::now() + chrono::TimeDelta::days(3)).to_rfc3339();
    let mut flagged = distribution(&w.site, &w.store, 1);
    flagged["capturedAt"] = json!(ahead);
    let mut normal = distribution(&w.site, &w.store, 1);
    normal["capturedAt"] = json!("2024-03-12T10:15:00.123Z");
    let mut movement =
        fixtures::movement(&w.store, "BLANKET", "RECEIPT", 1, "2024-03-02T08:00:00Z");
    movement["capturedAt"] = json!(ahead);
    let post = |query: &'static str, items: Value| {
        w.app
            .http
            .post(format!("{}/graphql", w.app.address))
            .bearer_auth(&w.app.admin_token)
            .header("X-Client-App", "CampForms/1.4.0")
            .header("X-Device-Id", "tablet-07")
            .json(&json!({ "query": query, "variables": { "items": items } }))
            .send()
    };
    let answer: Value = post(SUBMIT_DISTRIBUTIONS, json!([flagged, normal]))
        .await
        .expect("send")
        .json()
        .await
        .expect("json");
    let items = &answer["data"]["submitDistributions"]["items"];
    assert_eq!(
        statuses(&answer["data"]["submitDistributions"]),
        ["ACCEPTED", "ACCEPTED"]
    );
    let first = &items[0]["record"];
    assert_eq!(first["needsReview"], true, "{answer:#}");
    assert!(
        first["reviewNote"]
            .as_str()
            .unwrap()
            .contains("device clock")
    );
    assert_eq!(
        (
            &first["clientApp"],
            &first["clientAppVersion"],
            &first["deviceId"]
        ),
        (&json!("CampForms"), &json!("1.4.0"), &json!("tablet-07"))
    );
    let second = &items[1]["record"];
    assert_eq!(second["needsReview"], false);
    assert_eq!(second["reviewNote"], Value::Null);
    assert!(
        second["capturedAt"]
            .as_str()
            .unwrap()
            .starts_with("2024-03-12T10:15:00.123"),
        "{second:#}"
    );
    assert_ne!(second["receivedAt"], second["capturedAt"]);
    let moved: Value = post(RECORD_MOVEMENTS, json!([movement]))
        .await
        .expect("send")
        .json()
        .await
        .expect("json");
    let record = &moved["data"]["recordStockMovements"]["items"][0]["record"];
    assert_eq!(
        (
            &record["needsReview"],
            &record["deviceId"],
            &record["clientApp"]
        ),
        (&json!(true), &json!("tablet-07"), &json!("CampForms")),
        "{moved:#}"
    );
    // Without a capture time, the server's receipt time is the capture time.
    let plain = w
        .app
        .admin(
            RECORD_MOVEMENTS,
            json!({ "items": [fixtures::movement(&w.store, "BLANKET", "RECEIPT", 1, "2024-03-02T08:00:00Z")] }),
        )
        .await;
    let plain = &plain.data()["recordStockMovements"]["items"][0]["record"];
    assert_eq!(plain["capturedAt"], plain["receivedAt"]);
    assert_eq!(plain["needsReview"], false);
}

#[tokio::test]
async fn submission_status_answers_for_distributions_and_stock_within_scope() {
    let w = world(10).await;
    let nrc = org_id(&w.app, "NRC").await;
    let other = w.app.organisation("ORGB").await;
    let partner = w
        .app
        .token_for(Role::Partner, Some(nrc), AccountArea::default())
        .await;
    let partner_b = w
        .app
        .token_for(Role::Partner, Some(other), AccountArea::default())
        .await;
    let given = distribution(&w.site, &w.store, 2);
    let moved = fixtures::movement(&w.store, "BLANKET", "RECEIPT", 4, "2024-03-02T08:00:00Z");
    w.app
        .gql(
            Some(&partner),
            SUBMIT_DISTRIBUTIONS,
            json!({ "items": [given] }),
        )
        .await
        .data();
    w.app
        .gql(
            Some(&partner),
            RECORD_MOVEMENTS,
            json!({ "items": [moved] }),
        )
        .await
        .data();
    let unknown = uuid::Uuid::new_v4();
    let asked = json!([given["clientUuid"], moved["clientUuid"], unknown]);
    let query = "query($u: [UUID!]!) { submissionStatus(clientUuids: $u) { clientUuid known kind id version needsReview receivedAt distribution { households } stockMovements { kind quantity } } }";
    let mine = w
        .app
        .gql(Some(&partner), query, json!({ "u": asked }))
        .await;
    let mine = &mine.data()["submissionStatus"];
    assert_eq!(
        (&mine[0]["known"], &mine[0]["kind"], &mine[0]["version"]),
        (&json!(true), &json!("DISTRIBUTION"), &json!(1))
    );
    assert_eq!(mine[0]["distribution"]["households"], 3);
    assert_eq!(mine[0]["needsReview"], false);
    assert_eq!(
        (&mine[1]["known"], &mine[1]["kind"]),
        (&json!(true), &json!("STOCK_OPERATION"))
    );
    assert_eq!(
        mine[1]["stockMovements"],
        json!([{ "kind": "RECEIPT", "quantity": 4 }])
    );
    assert_eq!(
        (&mine[2]["known"], &mine[2]["kind"]),
        (&json!(false), &Value::Null)
    );
    // Another organisation learns nothing about either.
    let theirs = w
        .app
        .gql(Some(&partner_b), query, json!({ "u": asked }))
        .await;
    for status in theirs.data()["submissionStatus"].as_array().unwrap() {
        assert_eq!(
            (
                &status["known"],
                &status["id"],
                &status["distribution"],
                &status["stockMovements"]
            ),
            (&json!(false), &Value::Null, &Value::Null, &json!([])),
            "{status:#}"
        );
    }
}
