//! The stock ledger: receipts, dispatches, transfers, losses, adjustments and corrections
//! add up to the balance at every date; a balance never goes below zero from a movement's
//! date on; replays are idempotent; partners see and move only their own stock.

use camptrack::auth::AccountArea;
use camptrack_domain::codes::Role;
use camptrack_tests::fixtures::{self, MOVE, balance, movement, record};
use camptrack_tests::{TestApp, spawn_app};
use serde_json::json;

const TRANSFER: &str = "mutation($i: TransferInput!) { transferStock(input: $i) { duplicate movements { id kind quantity transferId warehouse { code } counterpartyWarehouse { code } } } }";
const CORRECT: &str = "mutation($i: CorrectionInput!) { correctStockMovement(input: $i) { duplicate movements { id kind quantity occurredAt corrects { id } } } }";

async fn two_warehouses(app: &TestApp) -> (String, String) {
    app.organisation("NRC").await;
    let a = fixtures::warehouse(app, None, "WH-A", Some("NRC")).await;
    let b = fixtures::warehouse(app, None, "WH-B", Some("NRC")).await;
    (a, b)
}

async fn movement_count(app: &TestApp) -> i64 {
    app.admin("{ stockMovements { totalCount } }", json!({}))
        .await
        .data()["stockMovements"]["totalCount"]
        .as_i64()
        .unwrap()
}

#[tokio::test]
async fn receipts_dispatches_transfers_losses_and_corrections_add_up_at_every_date() {
    let app = spawn_app().await;
    let (a, b) = two_warehouses(&app).await;
    record(&app, &a, "BLANKET", "RECEIPT", 100, "2024-03-01T08:00:00Z").await;
    let dispatch = record(&app, &a, "BLANKET", "DISPATCH", 30, "2024-03-05T10:00:00Z").await;
    record(&app, &a, "BLANKET", "LOSS", 5, "2024-03-06T10:00:00Z").await;
    record(
        &app,
        &a,
        "BLANKET",
        "ADJUSTMENT",
        -2,
        "2024-03-07T10:00:00Z",
    )
    .await;
    let moved = app
        .admin(
            TRANSFER,
            json!({ "i": { "clientUuid": uuid::Uuid::new_v4(), "fromWarehouseId": a, "toWarehouseId": b, "itemCode": "blanket", "quantity": 20, "occurredAt": "2024-03-10T09:00:00Z", "documentRef": "WB-77" } }),
        )
        .await;
    let legs = moved.data()["transferStock"]["movements"].clone();
    assert_eq!(legs[0]["kind"], "TRANSFER_OUT");
    assert_eq!(legs[0]["quantity"], -20);
    assert_eq!(legs[0]["counterpartyWarehouse"]["code"], "WH-B");
    assert_eq!(legs[1]["kind"], "TRANSFER_IN");
    assert_eq!(legs[1]["quantity"], 20);
    assert_eq!(legs[0]["transferId"], legs[1]["transferId"]);

    for (day, expected_a, expected_b) in [
        ("2024-02-29", 0, 0),
        ("2024-03-01", 100, 0),
        ("2024-03-05", 70, 0),
        ("2024-03-06", 65, 0),
        ("2024-03-07", 63, 0),
        ("2024-03-10", 43, 20),
    ] {
        assert_eq!(
            balance(&app, &a, "BLANKET", Some(day)).await,
            expected_a,
            "A on {day}"
        );
        assert_eq!(
            balance(&app, &b, "BLANKET", Some(day)).await,
            expected_b,
            "B on {day}"
        );
    }

    // The dispatch was recorded in error: its correction reverses it at its own date.
    let corrected = app
        .admin(CORRECT, json!({ "i": { "clientUuid": uuid::Uuid::new_v4(), "movementId": dispatch, "reason": "typed twice" } }))
        .await;
    let reversal = corrected.data()["correctStockMovement"]["movements"][0].clone();
    assert_eq!(reversal["kind"], "DISPATCH");
    assert_eq!(reversal["quantity"], 30);
    assert_eq!(reversal["occurredAt"], "2024-03-05T10:00:00+00:00");
    assert_eq!(reversal["corrects"]["id"], dispatch.as_str());
    assert_eq!(balance(&app, &a, "BLANKET", Some("2024-03-05")).await, 100);
    assert_eq!(balance(&app, &a, "BLANKET", None).await, 73);
    let original = app
        .admin(
            "query($id: UUID!) { stockMovement(id: $id) { quantity correctedBy { quantity } } }",
            json!({ "id": dispatch }),
        )
        .await;
    assert_eq!(
        original.data()["stockMovement"],
        json!({ "quantity": -30, "correctedBy": { "quantity": 30 } })
    );
    let again = app
        .admin(CORRECT, json!({ "i": { "clientUuid": uuid::Uuid::new_v4(), "movementId": dispatch, "reason": "again" } }))
        .await;
    assert_eq!(again.code(), "CONFLICT");

    // Correcting either leg of the transfer reverses both.
    let transfer_in = legs[1]["id"].as_str().unwrap();
    let undone = app
        .admin(CORRECT, json!({ "i": { "clientUuid": uuid::Uuid::new_v4(), "movementId": transfer_in, "reason": "wrong warehouse" } }))
        .await;
    assert_eq!(
        undone.data()["correctStockMovement"]["movements"]
            .as_array()
            .unwrap()
            .len(),
        2
    );
    assert_eq!(balance(&app, &a, "BLANKET", None).await, 93);
    assert_eq!(balance(&app, &b, "BLANKET", None).await, 0);
    assert_eq!(balance(&app, &b, "BLANKET", Some("2024-03-10")).await, 0);

    let receipts = app
        .admin("query($w: UUID!) { warehouse(id: $w) { movements(filter: { kinds: [RECEIPT] }) { totalCount edges { node { quantity documentRef item { code unit } } } } } }", json!({ "w": a }))
        .await;
    let receipts = &receipts.data()["warehouse"]["movements"];
    assert_eq!(receipts["totalCount"], 1);
    assert_eq!(
        receipts["edges"][0]["node"],
        json!({ "quantity": 100, "documentRef": "WB-0001", "item": { "code": "BLANKET", "unit": "PIECE" } })
    );
}

#[tokio::test]
async fn a_dispatch_that_would_take_the_balance_below_zero_is_refused_naming_item_balance_and_shortfall()
 {
    let app = spawn_app().await;
    let (a, _) = two_warehouses(&app).await;
    record(&app, &a, "JERRY-CAN", "RECEIPT", 10, "2024-03-01T08:00:00Z").await;
    let before = movement_count(&app).await;
    let refused = app
        .admin(
            MOVE,
            json!({ "i": movement(&a, "JERRY-CAN", "DISPATCH", 15, "2024-03-02T08:00:00Z") }),
        )
        .await;
    assert_eq!(refused.code(), "BAD_USER_INPUT");
    assert_eq!(refused.fields(), ["quantity"]);
    let message = refused.message();
    for part in [
        "JERRY-CAN",
        "WH-A",
        "balance is 10",
        "15 requested",
        "short by 5",
    ] {
        assert!(message.contains(part), "{part} missing from {message}");
    }
    assert_eq!(movement_count(&app).await, before, "nothing is written");
    assert_eq!(balance(&app, &a, "JERRY-CAN", None).await, 10);
    // A dispatch dated before the receipt is refused too: the stock was not there yet.
    let early = app
        .admin(
            MOVE,
            json!({ "i": movement(&a, "JERRY-CAN", "DISPATCH", 1, "2024-02-28T08:00:00Z") }),
        )
        .await;
    assert_eq!(early.code(), "BAD_USER_INPUT");
    // A loss and a negative adjustment obey the same rule.
    let lost = app
        .admin(
            MOVE,
            json!({ "i": movement(&a, "JERRY-CAN", "ADJUSTMENT", -11, "2024-03-02T08:00:00Z") }),
        )
        .await;
    assert_eq!(lost.code(), "BAD_USER_INPUT");
    let exact = app
        .admin(
            MOVE,
            json!({ "i": movement(&a, "JERRY-CAN", "LOSS", 10, "2024-03-02T08:00:00Z") }),
        )
        .await;
    assert_eq!(
        exact.data()["recordStockMovement"]["movements"][0]["quantity"],
        -10
    );
    assert_eq!(balance(&app, &a, "JERRY-CAN", None).await, 0);
}

#[tokio::test]
async fn a_backdated_movement_is_refused_when_the_balance_would_go_below_zero_later() {
    let app = spawn_app().await;
    let (a, _) = two_warehouses(&app).await;
    let receipt = record(&app, &a, "BUCKET", "RECEIPT", 10, "2024-03-01T08:00:00Z").await;
    record(&app, &a, "BUCKET", "DISPATCH", 8, "2024-03-10T08:00:00Z").await;
    // On 5 March the balance is 10, but taking 5 then leaves -3 on 10 March.
    let refused = app
        .admin(
            MOVE,
            json!({ "i": movement(&a, "BUCKET", "DISPATCH", 5, "2024-03-05T08:00:00Z") }),
        )
        .await;
    assert_eq!(refused.code(), "BAD_USER_INPUT");
    assert!(
        refused.message().contains("balance is 2"),
        "{}",
        refused.message()
    );
    assert!(
        refused.message().contains("short by 3"),
        "{}",
        refused.message()
    );
    let fits = app
        .admin(
            MOVE,
            json!({ "i": movement(&a, "BUCKET", "DISPATCH", 2, "2024-03-05T08:00:00Z") }),
        )
        .await;
    assert_eq!(fits.data()["recordStockMovement"]["duplicate"], false);
    assert_eq!(balance(&app, &a, "BUCKET", Some("2024-03-05")).await, 8);
    assert_eq!(balance(&app, &a, "BUCKET", None).await, 0);
    // Reversing the receipt would leave the later dispatches without stock.
    let undo = app
        .admin(CORRECT, json!({ "i": { "clientUuid": uuid::Uuid::new_v4(), "movementId": receipt, "reason": "never arrived" } }))
        .await;
    assert_eq!(undo.code(), "BAD_USER_INPUT");
    assert_eq!(undo.fields(), ["movementId"]);
    // A backdated receipt is always accepted.
    record(&app, &a, "BUCKET", "RECEIPT", 4, "2024-02-01T08:00:00Z").await;
    assert_eq!(balance(&app, &a, "BUCKET", Some("2024-02-15")).await, 4);
}

#[tokio::test]
async fn replaying_a_movement_is_a_no_op_and_reusing_its_uuid_for_other_content_is_a_conflict() {
    let app = spawn_app().await;
    let (a, b) = two_warehouses(&app).await;
    let input = movement(&a, "TARPAULIN", "RECEIPT", 50, "2024-03-01T08:00:00Z");
    let first = app.admin(MOVE, json!({ "i": input })).await;
    let again = app.admin(MOVE, json!({ "i": input })).await;
    assert_eq!(again.data()["recordStockMovement"]["duplicate"], true);
    assert_eq!(
        again.data()["recordStockMovement"]["movements"][0]["id"],
        first.data()["recordStockMovement"]["movements"][0]["id"]
    );
    assert_eq!(balance(&app, &a, "TARPAULIN", None).await, 50);
    let mut changed = input.clone();
    changed["quantity"] = json!(60);
    let conflict = app.admin(MOVE, json!({ "i": changed })).await;
    assert_eq!(conflict.code(), "CONFLICT");
    assert_eq!(
        conflict.body["errors"][0]["extensions"]["current"][0]["quantity"],
        50
    );

    let transfer = json!({ "clientUuid": uuid::Uuid::new_v4(), "fromWarehouseId": a, "toWarehouseId": b, "itemCode": "TARPAULIN", "quantity": 5, "occurredAt": "2024-03-02T08:00:00Z" });
    app.admin(TRANSFER, json!({ "i": transfer })).await.data();
    let replayed = app.admin(TRANSFER, json!({ "i": transfer })).await;
    assert_eq!(replayed.data()["transferStock"]["duplicate"], true);
    assert_eq!(
        replayed.data()["transferStock"]["movements"]
            .as_array()
            .unwrap()
            .len(),
        2
    );
    assert_eq!(balance(&app, &b, "TARPAULIN", None).await, 5);
}

#[tokio::test]
async fn bad_stock_inputs_are_rejected_with_every_field_path() {
    let app = spawn_app().await;
    let (a, _) = two_warehouses(&app).await;
    let mut input = movement(&a, "not a code", "RECEIPT", -5, "2999-01-01T00:00:00Z");
    input["projectCode"] = json!("P".repeat(51));
    input["donorOrganisationCode"] = json!("NOBODY");
    let answer = app.admin(MOVE, json!({ "i": input })).await;
    assert_eq!(answer.code(), "BAD_USER_INPUT");
    assert_eq!(
        answer.fields(),
        [
            "itemCode",
            "quantity",
            "occurredAt",
            "projectCode",
            "donorOrganisationCode"
        ]
    );
    let zero = app
        .admin(
            MOVE,
            json!({ "i": movement(&a, "BLANKET", "ADJUSTMENT", 0, "2024-03-01T00:00:00Z") }),
        )
        .await;
    assert_eq!(zero.fields(), ["quantity"]);
    let unknown_item = app
        .admin(
            MOVE,
            json!({ "i": movement(&a, "GOLD-BAR", "RECEIPT", 1, "2024-03-01T00:00:00Z") }),
        )
        .await;
    assert_eq!(unknown_item.fields(), ["itemCode"]);
    let unknown_store = app
        .admin(MOVE, json!({ "i": movement(&uuid::Uuid::new_v4().to_string(), "BLANKET", "RECEIPT", 1, "2024-03-01T00:00:00Z") }))
        .await;
    assert_eq!(unknown_store.fields(), ["warehouseId"]);
    let transfer_leg = app
        .admin(
            MOVE,
            json!({ "i": movement(&a, "BLANKET", "TRANSFER_IN", 1, "2024-03-01T00:00:00Z") }),
        )
        .await;
    assert_eq!(transfer_leg.fields(), ["kind"]);
    let same = app
        .admin(TRANSFER, json!({ "i": { "clientUuid": uuid::Uuid::new_v4(), "fromWarehouseId": a, "toWarehouseId": a, "itemCode": "BLANKET", "quantity": 0, "occurredAt": "2024-03-01T00:00:00Z" } }))
        .await;
    assert_eq!(same.fields(), ["quantity", "toWarehouseId"]);
    let bad_store = app
        .admin(
            "mutation($i: WarehouseInput!) { createWarehouse(input: $i) { id } }",
            json!({ "i": { "code": "W 1", "name": "", "organisationCode": "NOPE", "lat": 91.0, "lon": 13.0, "admin0Pcode": "NGA", "capacityM3": -1.0 } }),
        )
        .await;
    assert_eq!(
        bad_store.fields(),
        ["code", "name", "lat", "capacityM3", "organisationCode"]
    );
    assert_eq!(movement_count(&app).await, 0);
}

#[tokio::test]
async fn days_of_cover_divide_the_balance_by_the_average_daily_dispatch_and_are_unknown_without_history()
 {
    let app = spawn_app().await;
    let (a, _) = two_warehouses(&app).await;
    record(&app, &a, "BLANKET", "RECEIPT", 1000, "2024-03-01T08:00:00Z").await;
    record(&app, &a, "BLANKET", "DISPATCH", 200, "2024-03-10T08:00:00Z").await;
    record(&app, &a, "BLANKET", "DISPATCH", 100, "2024-03-25T08:00:00Z").await;
    record(
        &app,
        &a,
        "SOLAR-LAMP",
        "RECEIPT",
        40,
        "2024-03-01T08:00:00Z",
    )
    .await;
    let answer = app
        .admin(
            "query($w: UUID!) { warehouse(id: $w) { balances(asOf: \"2024-03-30\", coverWindowDays: 30) { totalCount edges { node { item { code } quantity dispatchedInWindow averageDailyDispatch daysOfCover } } } } }",
            json!({ "w": a }),
        )
        .await;
    let balances = &answer.data()["warehouse"]["balances"];
    assert_eq!(balances["totalCount"], 2);
    let rows: Vec<_> = balances["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["node"].clone())
        .collect();
    let blanket = rows
        .iter()
        .find(|r| r["item"]["code"] == "BLANKET")
        .unwrap();
    assert_eq!(blanket["quantity"], 700);
    assert_eq!(blanket["dispatchedInWindow"], 300);
    assert_eq!(blanket["averageDailyDispatch"], 10.0);
    assert_eq!(blanket["daysOfCover"], 70.0);
    let lamp = rows
        .iter()
        .find(|r| r["item"]["code"] == "SOLAR-LAMP")
        .unwrap();
    assert!(
        lamp["daysOfCover"].is_null(),
        "no dispatch history: unknown"
    );
    let short_window = app
        .admin(
            "query($w: UUID!) { stockBalances(filter: { warehouseId: $w, itemCode: \"BLANKET\" }, asOf: \"2024-03-30\", coverWindowDays: 10) { edges { node { daysOfCover } } } }",
            json!({ "w": a }),
        )
        .await;
    assert_eq!(
        short_window.data()["stockBalances"]["edges"][0]["node"]["daysOfCover"],
        70.0
    );
    let bad = app
        .admin(
            "{ stockBalances(coverWindowDays: 0) { totalCount } }",
            json!({}),
        )
        .await;
    assert_eq!(bad.fields(), ["coverWindowDays"]);
}

#[tokio::test]
async fn a_partner_sees_and_moves_only_its_own_organisations_stock_on_every_surface() {
    let app = spawn_app().await;
    let org_a = app.organisation("ORGA").await;
    let org_b = app.organisation("ORGB").await;
    let partner_a = app
        .token_for(Role::Partner, Some(org_a), AccountArea::default())
        .await;
    let partner_b = app
        .token_for(Role::Partner, Some(org_b), AccountArea::default())
        .await;
    let enumerator = app
        .token_for(Role::Enumerator, Some(org_a), AccountArea::default())
        .await;
    let own = fixtures::warehouse(&app, Some(&partner_a), "WH-OWN", None).await;
    let other = fixtures::warehouse(&app, Some(&partner_b), "WH-OTHER", None).await;
    let mine = app
        .gql(
            Some(&partner_a),
            MOVE,
            json!({ "i": movement(&own, "BLANKET", "RECEIPT", 10, "2024-03-01T08:00:00Z") }),
        )
        .await;
    assert_eq!(mine.data()["recordStockMovement"]["duplicate"], false);
    let theirs = app
        .gql(
            Some(&partner_b),
            MOVE,
            json!({ "i": movement(&other, "BLANKET", "RECEIPT", 99, "2024-03-01T08:00:00Z") }),
        )
        .await;
    let theirs = theirs.data()["recordStockMovement"]["movements"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned();

    let lists = app
        .gql(
            Some(&partner_a),
            "{ warehouses { totalCount edges { node { code } } } stockBalances { totalCount edges { node { quantity warehouse { code } } } } stockMovements { totalCount edges { node { quantity } } } }",
            json!({}),
        )
        .await;
    let data = lists.data();
    assert_eq!(data["warehouses"]["totalCount"], 1);
    assert_eq!(data["warehouses"]["edges"][0]["node"]["code"], "WH-OWN");
    assert_eq!(data["stockBalances"]["totalCount"], 1);
    assert_eq!(
        data["stockBalances"]["edges"][0]["node"],
        json!({ "quantity": 10, "warehouse": { "code": "WH-OWN" } })
    );
    assert_eq!(data["stockMovements"]["totalCount"], 1);
    assert_eq!(data["stockMovements"]["edges"][0]["node"]["quantity"], 10);

    for (query, vars) in [
        (
            "query($id: UUID!) { warehouse(id: $id) { code } }",
            json!({ "id": other }),
        ),
        ("{ warehouse(code: \"WH-OTHER\") { code } }", json!({})),
        (
            "query($id: UUID!) { stockMovement(id: $id) { quantity } }",
            json!({ "id": theirs }),
        ),
    ] {
        let hidden = app.gql(Some(&partner_a), query, vars).await;
        assert_eq!(hidden.code(), "NOT_FOUND", "{query}");
        assert!(hidden.body["data"].is_null(), "{:#}", hidden.body);
    }
    let filtered = app
        .gql(Some(&partner_a), "query($w: UUID!) { stockBalances(filter: { warehouseId: $w }) { totalCount } stockMovements(filter: { warehouseId: $w }) { totalCount } }", json!({ "w": other }))
        .await;
    assert_eq!(filtered.data()["stockBalances"]["totalCount"], 0);
    assert_eq!(filtered.data()["stockMovements"]["totalCount"], 0);

    // Writes: never in another organisation's warehouse, never for another organisation.
    let into_other = app
        .gql(
            Some(&partner_a),
            MOVE,
            json!({ "i": movement(&other, "BLANKET", "DISPATCH", 1, "2024-03-02T08:00:00Z") }),
        )
        .await;
    assert_eq!(into_other.fields(), ["warehouseId"]);
    let correct_other = app
        .gql(Some(&partner_a), CORRECT, json!({ "i": { "clientUuid": uuid::Uuid::new_v4(), "movementId": theirs, "reason": "mine now" } }))
        .await;
    assert_eq!(correct_other.fields(), ["movementId"]);
    let transfer_out = app
        .gql(Some(&partner_a), TRANSFER, json!({ "i": { "clientUuid": uuid::Uuid::new_v4(), "fromWarehouseId": own, "toWarehouseId": other, "itemCode": "BLANKET", "quantity": 1, "occurredAt": "2024-03-02T08:00:00Z" } }))
        .await;
    assert_eq!(transfer_out.fields(), ["toWarehouseId"]);
    let for_other = app
        .gql(
            Some(&partner_a),
            "mutation($i: WarehouseInput!) { createWarehouse(input: $i) { id } }",
            json!({ "i": { "code": "WH-X", "name": "X", "organisationCode": "ORGB", "lat": 11.0, "lon": 13.0, "admin0Pcode": "NGA" } }),
        )
        .await;
    assert_eq!(for_other.fields(), ["organisationCode"]);
    let catalogue = app
        .gql(Some(&partner_a), "mutation { createItem(input: { code: \"SOAP\", nameEn: \"Soap\", nameFr: \"Savon\", unit: PIECE, category: WASH }) { id } }", json!({}))
        .await;
    assert_eq!(catalogue.code(), "FORBIDDEN");

    // Enumerators name their organisation's warehouses but read no stock and move none.
    let seen = app
        .gql(Some(&enumerator), "{ warehouses { totalCount } stockBalances { totalCount } stockMovements { totalCount } }", json!({}))
        .await;
    assert_eq!(seen.data()["warehouses"]["totalCount"], 1);
    assert_eq!(seen.data()["stockBalances"]["totalCount"], 0);
    assert_eq!(seen.data()["stockMovements"]["totalCount"], 0);
    let nested = app
        .gql(Some(&enumerator), "query($w: UUID!) { warehouse(id: $w) { balances { totalCount } movements { totalCount } } }", json!({ "w": own }))
        .await;
    assert_eq!(
        nested.data()["warehouse"],
        json!({ "balances": { "totalCount": 0 }, "movements": { "totalCount": 0 } })
    );
    let refused = app
        .gql(
            Some(&enumerator),
            MOVE,
            json!({ "i": movement(&own, "BLANKET", "RECEIPT", 1, "2024-03-01T08:00:00Z") }),
        )
        .await;
    assert_eq!(refused.code(), "FORBIDDEN");
    let coordinator = app
        .token_for(Role::Coordinator, None, AccountArea::default())
        .await;
    let all = app
        .gql(
            Some(&coordinator),
            "{ stockBalances { totalCount } warehouses { totalCount } }",
            json!({}),
        )
        .await;
    assert_eq!(all.data()["stockBalances"]["totalCount"], 2);
    assert_eq!(all.data()["warehouses"]["totalCount"], 2);
}

#[tokio::test]
async fn the_catalogue_is_seeded_and_coordinators_edit_items_and_kits() {
    let app = spawn_app().await;
    let items = app.admin("{ items(first: 100) { totalCount edges { node { code nameEn nameFr unit category packSize } } } }", json!({})).await;
    let codes: Vec<&str> = items.data()["items"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["node"]["code"].as_str().unwrap())
        .collect();
    for code in [
        "BLANKET",
        "SLEEPING-MAT",
        "MOSQUITO-NET",
        "KITCHEN-SET",
        "JERRY-CAN",
        "BUCKET",
        "TARPAULIN",
        "ROPE",
        "SOLAR-LAMP",
        "HYGIENE-KIT",
    ] {
        assert!(codes.contains(&code), "{code} not seeded");
    }
    let kit = app
        .admin(
            "{ kit(code: \"nfi-kit-std\") { code items { item { code } quantity } } }",
            json!({}),
        )
        .await;
    assert_eq!(
        kit.data()["kit"]["items"][0],
        json!({ "item": { "code": "BLANKET" }, "quantity": 2 })
    );
    let coordinator = app
        .token_for(Role::Coordinator, None, AccountArea::default())
        .await;
    let soap = app
        .gql(Some(&coordinator), "mutation { createItem(input: { code: \"soap-bar\", nameEn: \"Soap, 250 g\", nameFr: \"Savon, 250 g\", unit: PIECE, category: WASH, packSize: 72 }) { id code version } }", json!({}))
        .await;
    assert_eq!(soap.data()["createItem"]["code"], "SOAP-BAR");
    let soap_id = soap.data()["createItem"]["id"].clone();
    let renamed = app
        .gql(Some(&coordinator), "mutation($id: UUID!) { updateItem(id: $id, version: 1, input: { code: \"SOAP-BAR\", nameEn: \"Laundry soap, 250 g\", nameFr: \"Savon, 250 g\", unit: PIECE, category: WASH, packSize: 72 }) { nameEn version } }", json!({ "id": soap_id }))
        .await;
    assert_eq!(
        renamed.data()["updateItem"],
        json!({ "nameEn": "Laundry soap, 250 g", "version": 2 })
    );
    let stale = app
        .gql(Some(&coordinator), "mutation($id: UUID!) { updateItem(id: $id, version: 1, input: { code: \"SOAP-BAR\", nameEn: \"x\", nameFr: \"x\", unit: PIECE, category: WASH }) { version } }", json!({ "id": soap_id }))
        .await;
    assert_eq!(stale.code(), "CONFLICT");
    let hygiene = app
        .gql(Some(&coordinator), "mutation { createKit(input: { code: \"DIGNITY-KIT\", nameEn: \"Dignity kit\", nameFr: \"Kit de dignité\", items: [{ itemCode: \"SOAP-BAR\", quantity: 4 }, { itemCode: \"BUCKET\", quantity: 1 }] }) { code items { item { code } quantity } } }", json!({}))
        .await;
    assert_eq!(
        hygiene.data()["createKit"]["items"]
            .as_array()
            .unwrap()
            .len(),
        2
    );
    let bad = app
        .gql(Some(&coordinator), "mutation { createKit(input: { code: \"K\", nameEn: \"\", nameFr: \"Kit\", items: [{ itemCode: \"BUCKET\", quantity: 0 }, { itemCode: \"BUCKET\", quantity: 1 }] }) { code } }", json!({}))
        .await;
    assert_eq!(
        bad.fields(),
        ["code", "nameEn", "items.0.quantity", "items.1.itemCode"]
    );
    let unknown = app
        .gql(Some(&coordinator), "mutation { createKit(input: { code: \"KIT-X\", nameEn: \"X\", nameFr: \"X\", items: [{ itemCode: \"GOLD\", quantity: 1 }] }) { code } }", json!({}))
        .await;
    assert_eq!(unknown.fields(), ["items.0.itemCode"]);
    // Once stock is counted in an item's unit, the unit stays.
    let (a, _) = two_warehouses(&app).await;
    record(&app, &a, "SOAP-BAR", "RECEIPT", 720, "2024-03-01T08:00:00Z").await;
    let unit = app
        .gql(Some(&coordinator), "mutation($id: UUID!) { updateItem(id: $id, version: 2, input: { code: \"SOAP-BAR\", nameEn: \"Soap\", nameFr: \"Savon\", unit: KG, category: WASH }) { version } }", json!({ "id": soap_id }))
        .await;
    assert_eq!(unit.fields(), ["unit"]);
}
