//! Distributions: completing an in-kind one dispatches its items (kits expanded), never
//! more than the stock, also under a race of concurrent requests; cancelling returns the
//! stock; resubmission is a no-op; partners and enumerators see only their own.

use camptrack::auth::AccountArea;
use camptrack_domain::codes::Role;
use camptrack_domain::pcode::PCode;
use camptrack_tests::fixtures::{self, balance, record};
use camptrack_tests::{TestApp, spawn_app};
use serde_json::{Value, json};

const RECORD: &str = "mutation($i: DistributionInput!) { recordDistribution(input: $i) { duplicate distribution { id version status households lines { item { code } kit { code } quantityDistributed quantityLost } movements { totalCount edges { node { kind quantity item { code } } } } } } }";
const STATUS: &str = "mutation($id: UUID!, $v: Int!, $s: DistributionStatus!) { setDistributionStatus(id: $id, version: $v, status: $s) { status version movements { totalCount } } }";

struct World {
    app: TestApp,
    site: String,
    store: String,
}

/// A site and a warehouse of NRC.
async fn world() -> World {
    let app = spawn_app().await;
    app.organisation("NRC").await;
    app.organisation("ECHO").await;
    let site = fixtures::site(
        &app,
        fixtures::site_input("CCCM-NG002001-0001", 11.84, 13.15),
    )
    .await;
    let store = fixtures::warehouse(&app, None, "WH-MAIDUGURI", Some("NRC")).await;
    World { app, site, store }
}

fn distribution(site: &str, store: Option<&str>, lines: Value) -> Value {
    json!({
        "clientUuid": uuid::Uuid::new_v4(), "siteId": site, "implementingOrganisationCode": "NRC",
        "fundingOrganisationCode": "ECHO", "projectCode": "SHL-2024-01",
        "startsOn": "2024-03-12", "modality": "IN_KIND", "status": "COMPLETED",
        "households": 3, "individuals": 14, "noShows": 1,
        "sadd": [{ "sex": "F", "ageMin": 18, "ageMax": 59, "count": 5 }],
        "lines": lines, "sourceWarehouseId": store
    })
}

async fn counts(app: &TestApp) -> (i64, i64, i64) {
    let answer = app
        .admin("{ distributions { totalCount } stockMovements { totalCount } auditLog { totalCount } }", json!({}))
        .await;
    let n = |k: &str| answer.data()[k]["totalCount"].as_i64().unwrap();
    (n("distributions"), n("stockMovements"), n("auditLog"))
}

#[tokio::test]
async fn completing_a_kit_distribution_dispatches_its_items_and_cancelling_returns_them() {
    let w = world().await;
    let stock = [
        ("BLANKET", 20, 11),
        ("SLEEPING-MAT", 10, 4),
        ("MOSQUITO-NET", 10, 4),
        ("KITCHEN-SET", 5, 2),
        ("JERRY-CAN", 5, 2),
        ("BUCKET", 5, 2),
        ("SOLAR-LAMP", 5, 2),
    ];
    for (item, received, _) in stock {
        record(
            &w.app,
            &w.store,
            item,
            "RECEIPT",
            received,
            "2024-03-01T08:00:00Z",
        )
        .await;
    }
    let lines = json!([
        { "kitCode": "NFI-KIT-STD", "quantityDistributed": 3 },
        { "itemCode": "BLANKET", "quantityDistributed": 2, "quantityLost": 1 }
    ]);
    let answer = w
        .app
        .admin(
            RECORD,
            json!({ "i": distribution(&w.site, Some(&w.store), lines) }),
        )
        .await;
    let d = answer.data()["recordDistribution"]["distribution"].clone();
    assert_eq!(d["status"], "COMPLETED");
    assert_eq!(d["lines"][0]["kit"]["code"], "NFI-KIT-STD");
    assert_eq!(
        d["lines"][1],
        json!({ "item": { "code": "BLANKET" }, "kit": null, "quantityDistributed": 2, "quantityLost": 1 })
    );
    // 7 items dispatched (blankets: 3 kits x 2 + 2) plus one LOSS of a blanket.
    assert_eq!(d["movements"]["totalCount"], 8);
    let moves = d["movements"]["edges"].as_array().unwrap();
    let blanket = |kind: &str| {
        moves
            .iter()
            .find(|m| m["node"]["item"]["code"] == "BLANKET" && m["node"]["kind"] == kind)
            .unwrap()["node"]["quantity"]
            .clone()
    };
    assert_eq!(blanket("DISPATCH"), -8);
    assert_eq!(blanket("LOSS"), -1);
    for (item, received, left) in stock {
        assert_eq!(balance(&w.app, &w.store, item, None).await, left, "{item}");
        // The stock leaves on the distribution's day, not before.
        assert_eq!(
            balance(&w.app, &w.store, item, Some("2024-03-11")).await,
            received,
            "{item} before"
        );
    }
    let id = d["id"].as_str().unwrap();
    let cancelled = w
        .app
        .admin(STATUS, json!({ "id": id, "v": 1, "s": "CANCELLED" }))
        .await;
    assert_eq!(
        cancelled.data()["setDistributionStatus"],
        json!({ "status": "CANCELLED", "version": 2, "movements": { "totalCount": 16 } })
    );
    assert_eq!(balance(&w.app, &w.store, "BLANKET", None).await, 20);
    assert_eq!(
        balance(&w.app, &w.store, "BLANKET", Some("2024-03-12")).await,
        20
    );
    let final_state = w
        .app
        .admin(STATUS, json!({ "id": id, "v": 2, "s": "COMPLETED" }))
        .await;
    assert_eq!(final_state.code(), "BAD_USER_INPUT");
    assert_eq!(final_state.fields(), ["status"]);
}

#[tokio::test]
async fn a_planned_distribution_moves_no_stock_until_it_is_completed() {
    let w = world().await;
    record(
        &w.app,
        &w.store,
        "TARPAULIN",
        "RECEIPT",
        10,
        "2024-03-01T08:00:00Z",
    )
    .await;
    let mut input = distribution(
        &w.site,
        Some(&w.store),
        json!([{ "kitCode": "SHELTER-KIT", "quantityDistributed": 2 }]),
    );
    input["status"] = json!("PLANNED");
    record(
        &w.app,
        &w.store,
        "ROPE",
        "RECEIPT",
        1,
        "2024-03-01T08:00:00Z",
    )
    .await;
    let planned = w.app.admin(RECORD, json!({ "i": input })).await;
    let id = planned.data()["recordDistribution"]["distribution"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(balance(&w.app, &w.store, "TARPAULIN", None).await, 10);
    // Completing needs 2 ropes; there is 1.
    let short = w
        .app
        .admin(STATUS, json!({ "id": id, "v": 1, "s": "COMPLETED" }))
        .await;
    assert_eq!(short.code(), "BAD_USER_INPUT");
    assert_eq!(short.fields(), ["lines.0.quantityDistributed"]);
    assert!(
        short.message().contains("ROPE") && short.message().contains("short by 1"),
        "{}",
        short.message()
    );
    record(
        &w.app,
        &w.store,
        "ROPE",
        "RECEIPT",
        1,
        "2024-03-02T08:00:00Z",
    )
    .await;
    let done = w
        .app
        .admin(STATUS, json!({ "id": id, "v": 1, "s": "COMPLETED" }))
        .await;
    assert_eq!(
        done.data()["setDistributionStatus"]["movements"]["totalCount"],
        2
    );
    assert_eq!(balance(&w.app, &w.store, "TARPAULIN", None).await, 6);
    assert_eq!(balance(&w.app, &w.store, "ROPE", None).await, 0);
}

#[tokio::test]
async fn a_distribution_that_would_oversell_is_refused_and_nothing_is_written() {
    let w = world().await;
    record(
        &w.app,
        &w.store,
        "TARPAULIN",
        "RECEIPT",
        10,
        "2024-03-01T08:00:00Z",
    )
    .await;
    record(
        &w.app,
        &w.store,
        "ROPE",
        "RECEIPT",
        3,
        "2024-03-01T08:00:00Z",
    )
    .await;
    let before = counts(&w.app).await;
    let lines = json!([
        { "itemCode": "TARPAULIN", "quantityDistributed": 2 },
        { "kitCode": "SHELTER-KIT", "quantityDistributed": 4 }
    ]);
    let refused = w
        .app
        .admin(
            RECORD,
            json!({ "i": distribution(&w.site, Some(&w.store), lines) }),
        )
        .await;
    assert_eq!(refused.code(), "BAD_USER_INPUT");
    // Tarpaulins: 2 + 4 x 2 = 10 fit; ropes: 4 needed, 3 there.
    assert_eq!(refused.fields(), ["lines.1.quantityDistributed"]);
    let message = refused.message();
    for part in [
        "ROPE",
        "WH-MAIDUGURI",
        "balance is 3",
        "4 requested",
        "short by 1",
    ] {
        assert!(message.contains(part), "{part} missing from {message}");
    }
    assert_eq!(
        counts(&w.app).await,
        before,
        "no distribution, movement or audit entry"
    );
    assert_eq!(balance(&w.app, &w.store, "TARPAULIN", None).await, 10);
}

#[tokio::test]
async fn fifty_concurrent_distributions_racing_for_the_last_units_never_oversell() {
    let w = world().await;
    // 40 tarpaulins: room for exactly 20 requests of 2 (a shelter kit, or 2 loose ones).
    record(
        &w.app,
        &w.store,
        "TARPAULIN",
        "RECEIPT",
        40,
        "2024-03-01T08:00:00Z",
    )
    .await;
    record(
        &w.app,
        &w.store,
        "ROPE",
        "RECEIPT",
        100,
        "2024-03-01T08:00:00Z",
    )
    .await;
    let partner = w
        .app
        .token_for(
            Role::Partner,
            Some(nrc(&w.app).await),
            AccountArea::default(),
        )
        .await;
    let requests = (0..60).map(|i| {
        let lines = if i % 2 == 0 {
            json!([{ "kitCode": "SHELTER-KIT", "quantityDistributed": 1 }])
        } else {
            json!([{ "itemCode": "TARPAULIN", "quantityDistributed": 2 }])
        };
        let mut input = distribution(&w.site, Some(&w.store), lines);
        input
            .as_object_mut()
            .unwrap()
            .remove("implementingOrganisationCode");
        let (app, token) = (&w.app, partner.clone());
        async move {
            (
                i,
                app.gql(Some(&token), RECORD, json!({ "i": input })).await,
            )
        }
    });
    let answers = futures_util::future::join_all(requests).await;
    let (mut accepted, mut kits) = (0, 0);
    for (i, answer) in &answers {
        if answer.body.get("errors").is_none() {
            accepted += 1;
            kits += usize::from(i % 2 == 0);
        } else {
            assert_eq!(answer.code(), "BAD_USER_INPUT", "{:#}", answer.body);
            assert!(
                answer.message().contains("TARPAULIN"),
                "{}",
                answer.message()
            );
        }
    }
    assert_eq!(
        accepted, 20,
        "the accepted requests take exactly the 40 tarpaulins"
    );
    assert_eq!(balance(&w.app, &w.store, "TARPAULIN", None).await, 0);
    assert_eq!(
        balance(&w.app, &w.store, "ROPE", None).await,
        100 - i64::try_from(kits).unwrap()
    );
    let lowest = w
        .app
        .admin("query($w: UUID!) { stockMovements(first: 500, filter: { warehouseId: $w, itemCode: \"TARPAULIN\" }) { edges { node { quantity } } } }", json!({ "w": w.store }))
        .await;
    let taken: i64 = lowest.data()["stockMovements"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["node"]["quantity"].as_i64().unwrap())
        .filter(|q| *q < 0)
        .sum();
    assert_eq!(taken, -40);
    let recorded = w
        .app
        .admin("{ distributions { totalCount } }", json!({}))
        .await;
    assert_eq!(recorded.data()["distributions"]["totalCount"], 20);
}

async fn nrc(app: &TestApp) -> uuid::Uuid {
    let answer = app
        .admin(
            "{ organisations(first: 100) { edges { node { id code } } } }",
            json!({}),
        )
        .await;
    let id = answer.data()["organisations"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["node"]["code"] == "NRC")
        .unwrap()["node"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    id.parse().unwrap()
}

#[tokio::test]
async fn resubmitting_the_same_distribution_is_a_no_op_and_other_content_is_a_conflict() {
    let w = world().await;
    record(
        &w.app,
        &w.store,
        "BLANKET",
        "RECEIPT",
        10,
        "2024-03-01T08:00:00Z",
    )
    .await;
    let input = distribution(
        &w.site,
        Some(&w.store),
        json!([{ "itemCode": "BLANKET", "quantityDistributed": 4 }]),
    );
    let first = w.app.admin(RECORD, json!({ "i": input })).await;
    let first_id = first.data()["recordDistribution"]["distribution"]["id"].clone();
    let before = counts(&w.app).await;
    let again = w.app.admin(RECORD, json!({ "i": input })).await;
    assert_eq!(again.data()["recordDistribution"]["duplicate"], true);
    assert_eq!(
        again.data()["recordDistribution"]["distribution"]["id"],
        first_id
    );
    assert_eq!(counts(&w.app).await, before, "nothing written");
    assert_eq!(balance(&w.app, &w.store, "BLANKET", None).await, 6);
    let mut other = input.clone();
    other["households"] = json!(4);
    let conflict = w.app.admin(RECORD, json!({ "i": other })).await;
    assert_eq!(conflict.code(), "CONFLICT");
    assert_eq!(
        conflict.body["errors"][0]["extensions"]["current"]["households"],
        3
    );
    // Concurrent identical resubmissions store one distribution.
    let input = distribution(
        &w.site,
        Some(&w.store),
        json!([{ "itemCode": "BLANKET", "quantityDistributed": 1 }]),
    );
    let replays = (0..8).map(|_| w.app.admin(RECORD, json!({ "i": input })));
    let answers = futures_util::future::join_all(replays).await;
    let fresh = answers
        .iter()
        .filter(|a| a.data()["recordDistribution"]["duplicate"] == false)
        .count();
    assert_eq!(fresh, 1);
    assert_eq!(balance(&w.app, &w.store, "BLANKET", None).await, 5);
}

#[tokio::test]
async fn bad_distribution_inputs_get_precise_field_paths() {
    let w = world().await;
    let mut input = distribution(
        &w.site,
        Some(&w.store),
        json!([
            { "itemCode": "BLANKET", "kitCode": "SHELTER-KIT", "quantityDistributed": 1 },
            { "itemCode": "BLANKET", "quantityDistributed": -1 },
            { "kitCode": "SHELTER-KIT", "quantityDistributed": 0 }
        ]),
    );
    input["households"] = json!(20);
    input["endsOn"] = json!("2024-03-01");
    input["modality"] = json!("CASH");
    input["fundingOrganisationCode"] = json!("NOBODY");
    let answer = w.app.admin(RECORD, json!({ "i": input })).await;
    assert_eq!(answer.code(), "BAD_USER_INPUT");
    assert_eq!(
        answer.fields(),
        [
            "lines.0.itemCode",
            "lines.1.quantityDistributed",
            "households",
            "endsOn",
            "sourceWarehouseId",
            "lines.2.quantityDistributed",
            "fundingOrganisationCode"
        ]
    );
    let unknown = w
        .app
        .admin(RECORD, json!({ "i": distribution(&w.site, Some(&w.store), json!([{ "itemCode": "BLANKET", "quantityDistributed": 1 }, { "kitCode": "NO-SUCH-KIT", "quantityDistributed": 1 }])) }))
        .await;
    assert_eq!(unknown.fields(), ["lines.1.kitCode"]);
    let nowhere = w
        .app
        .admin(RECORD, json!({ "i": distribution(&uuid::Uuid::new_v4().to_string(), None, json!([{ "itemCode": "BLANKET", "quantityDistributed": 1 }])) }))
        .await;
    assert_eq!(nowhere.fields(), ["siteId"]);
    assert_eq!(counts(&w.app).await.0, 0);
}

#[tokio::test]
async fn partners_see_only_their_own_distributions_and_enumerators_those_in_their_area() {
    let w = world().await;
    let org_b = w.app.organisation("ORGB").await;
    let nrc = nrc(&w.app).await;
    let partner = w
        .app
        .token_for(Role::Partner, Some(nrc), AccountArea::default())
        .await;
    let partner_b = w
        .app
        .token_for(Role::Partner, Some(org_b), AccountArea::default())
        .await;
    let far = fixtures::site(
        &w.app,
        json!({ "code": "CCCM-SO1101-0001", "name": "Far away", "siteType": "SELF_SETTLED_CAMP", "formalStatus": "INFORMAL", "lat": 3.11, "lon": 43.65, "admin0Pcode": "SOM", "admin1Pcode": "SO11", "admin2Pcode": "SO1101" }),
    )
    .await;
    let area = AccountArea {
        cells: vec![],
        pcodes: vec![PCode::parse("p", "NG002").unwrap()],
    };
    let enumerator = w.app.token_for(Role::Enumerator, Some(org_b), area).await;
    record(
        &w.app,
        &w.store,
        "BLANKET",
        "RECEIPT",
        10,
        "2024-03-01T08:00:00Z",
    )
    .await;

    let own = w
        .app
        .gql(Some(&partner), RECORD, json!({ "i": distribution(&w.site, Some(&w.store), json!([{ "itemCode": "BLANKET", "quantityDistributed": 2 }])) }))
        .await;
    let own_id = own.data()["recordDistribution"]["distribution"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let mut cash = distribution(&w.site, None, json!([]));
    cash["modality"] = json!("CASH");
    cash.as_object_mut()
        .unwrap()
        .remove("implementingOrganisationCode");
    let theirs = w
        .app
        .gql(Some(&partner_b), RECORD, json!({ "i": cash }))
        .await;
    let theirs_id = theirs.data()["recordDistribution"]["distribution"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let mut far_one = distribution(&far, None, json!([]));
    far_one["modality"] = json!("VOUCHER");
    far_one["implementingOrganisationCode"] = json!("ORGB");
    w.app.admin(RECORD, json!({ "i": far_one })).await.data();

    let list = w.app.gql(Some(&partner), "{ distributions { totalCount edges { node { id implementingOrganisation { code } } } } }", json!({})).await;
    assert_eq!(list.data()["distributions"]["totalCount"], 1);
    assert_eq!(
        list.data()["distributions"]["edges"][0]["node"]["id"],
        own_id.as_str()
    );
    let single = w
        .app
        .gql(
            Some(&partner),
            "query($id: UUID!) { distribution(id: $id) { households } }",
            json!({ "id": theirs_id }),
        )
        .await;
    assert_eq!(single.code(), "NOT_FOUND");
    assert!(single.body["data"].is_null());
    let nested = w
        .app
        .gql(Some(&partner), "query($id: UUID!) { site(id: $id) { distributions { totalCount edges { node { id movements { totalCount } } } } } }", json!({ "id": w.site }))
        .await;
    assert_eq!(nested.data()["site"]["distributions"]["totalCount"], 1);
    assert_eq!(
        nested.data()["site"]["distributions"]["edges"][0]["node"]["movements"]["totalCount"],
        1
    );
    let from_movement = w
        .app
        .gql(Some(&partner), "{ stockMovements(filter: { kinds: [DISPATCH] }) { edges { node { distribution { id } } } } }", json!({}))
        .await;
    assert_eq!(
        from_movement.data()["stockMovements"]["edges"][0]["node"]["distribution"]["id"],
        own_id.as_str()
    );
    // Partner B sees its cash distribution but neither NRC's nor its stock.
    let b_view = w
        .app
        .gql(
            Some(&partner_b),
            "{ distributions { totalCount } stockMovements { totalCount } }",
            json!({}),
        )
        .await;
    assert_eq!(
        b_view.data()["distributions"]["totalCount"],
        2,
        "its cash and its far voucher distribution"
    );
    assert_eq!(b_view.data()["stockMovements"]["totalCount"], 0);
    let mut other_org = distribution(&w.site, None, json!([]));
    other_org["modality"] = json!("CASH");
    other_org["implementingOrganisationCode"] = json!("ORGB");
    let as_other = w
        .app
        .gql(Some(&partner), RECORD, json!({ "i": other_org }))
        .await;
    assert_eq!(as_other.fields(), ["implementingOrganisationCode"]);
    let from_their_store = w
        .app
        .gql(Some(&partner_b), RECORD, json!({ "i": distribution(&w.site, Some(&w.store), json!([{ "itemCode": "BLANKET", "quantityDistributed": 1 }])) }))
        .await;
    assert!(
        from_their_store
            .fields()
            .contains(&"sourceWarehouseId".to_owned()),
        "{:#}",
        from_their_store.body
    );

    // The enumerator (ORGB, area NG002) sees every organisation's distributions at sites in
    // its area, none elsewhere, and records only there.
    let seen = w
        .app
        .gql(
            Some(&enumerator),
            "{ distributions { totalCount edges { node { site { code } } } } }",
            json!({}),
        )
        .await;
    assert_eq!(seen.data()["distributions"]["totalCount"], 2);
    let mut here = distribution(&w.site, None, json!([]));
    here["modality"] = json!("CASH");
    here.as_object_mut()
        .unwrap()
        .remove("implementingOrganisationCode");
    let recorded = w
        .app
        .gql(Some(&enumerator), RECORD, json!({ "i": here }))
        .await;
    assert_eq!(recorded.data()["recordDistribution"]["duplicate"], false);
    let mut there = distribution(&far, None, json!([]));
    there["modality"] = json!("CASH");
    there
        .as_object_mut()
        .unwrap()
        .remove("implementingOrganisationCode");
    let refused = w
        .app
        .gql(Some(&enumerator), RECORD, json!({ "i": there }))
        .await;
    assert_eq!(refused.fields(), ["siteId"]);
}

#[tokio::test]
async fn every_stock_and_distribution_write_is_in_the_audit_log() {
    let w = world().await;
    let receipt = record(
        &w.app,
        &w.store,
        "BLANKET",
        "RECEIPT",
        10,
        "2024-03-01T08:00:00Z",
    )
    .await;
    w.app
        .admin("mutation($i: CorrectionInput!) { correctStockMovement(input: $i) { duplicate } }", json!({ "i": { "clientUuid": uuid::Uuid::new_v4(), "movementId": receipt, "reason": "duplicate GRN" } }))
        .await
        .data();
    record(
        &w.app,
        &w.store,
        "BLANKET",
        "RECEIPT",
        10,
        "2024-03-01T08:00:00Z",
    )
    .await;
    let d = w.app.admin(RECORD, json!({ "i": distribution(&w.site, Some(&w.store), json!([{ "itemCode": "BLANKET", "quantityDistributed": 2 }])) })).await;
    let id = d.data()["recordDistribution"]["distribution"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    w.app
        .admin(STATUS, json!({ "id": id, "v": 1, "s": "CANCELLED" }))
        .await
        .data();
    w.app.admin("mutation { createItem(input: { code: \"SOAP\", nameEn: \"Soap\", nameFr: \"Savon\", unit: PIECE, category: WASH }) { id } }", json!({})).await.data();
    let log = w
        .app
        .admin(
            "{ auditLog(first: 200) { edges { node { action entity after } } } }",
            json!({}),
        )
        .await;
    let actions: Vec<String> = log.data()["auditLog"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["node"]["action"].as_str().unwrap().to_owned())
        .collect();
    for expected in [
        "item.seed",
        "kit.seed",
        "warehouse.create",
        "stockMovement.record",
        "stockMovement.correct",
        "distribution.record",
        "stockMovement.distribute",
        "distribution.status",
        "stockMovement.reverse",
        "item.create",
    ] {
        assert!(
            actions.iter().any(|a| a == expected),
            "{expected} missing from {actions:?}"
        );
    }
    let record_entry = log.data()["auditLog"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["node"]["action"] == "distribution.record")
        .unwrap();
    assert_eq!(record_entry["node"]["after"]["households"], 3);
}

#[tokio::test]
async fn distributions_filter_by_area_through_their_sites_points() {
    let w = world().await;
    let far = fixtures::site(
        &w.app,
        fixtures::site_input("CCCM-NG002001-0002", 12.40, 13.90),
    )
    .await;
    let planned = |site: &str| {
        let mut d = distribution(
            site,
            None,
            json!([{ "itemCode": "BLANKET", "quantityDistributed": 3 }]),
        );
        d["status"] = json!("PLANNED");
        d
    };
    let here = w.app.admin(RECORD, json!({ "i": planned(&w.site) })).await;
    let here = here.data()["recordDistribution"]["distribution"]["id"].clone();
    w.app
        .admin(RECORD, json!({ "i": planned(&far) }))
        .await
        .data();
    let near = json!({ "near": { "lat": 11.84, "lon": 13.15, "radiusMeters": 2000.0 } });
    let found = w.app.admin("query($a: AreaInput!) { distributions(area: $a) { totalCount edges { node { id } } } }", json!({ "a": near })).await;
    assert_eq!(found.data()["distributions"]["totalCount"], 1);
    assert_eq!(
        found.data()["distributions"]["edges"][0]["node"]["id"],
        here
    );
    let everywhere = w
        .app
        .admin("{ distributions { totalCount } }", json!({}))
        .await;
    assert_eq!(everywhere.data()["distributions"]["totalCount"], 2);
}
