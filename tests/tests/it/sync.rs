//! Delta sync: `changes(since, first, area)` delivers every change once, in commit order,
//! closures and departures as tombstones, and an enumerator only its own area.

use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use camptrack::auth::AccountArea;
use camptrack_domain::codes::Role;
use camptrack_domain::pcode::PCode;
use camptrack_tests::{TestApp, fixtures, on_postgres, spawn_app};
use sea_orm::{ConnectionTrait, DbBackend, Statement, TransactionTrait};
use serde_json::{Value, json};

const CHANGES: &str = "query($since: String, $first: Int, $area: SyncAreaInput) { changes(since: $since, first: $first, area: $area) { nextCursor hasMore codeListsVersion changes { cursor entity entityId operation tombstone site { id code operationalStatus admin2Pcode } round { number } assessment { id households } } } }";

/// Every change from `since` to the end as `token`, `first` at a time.
async fn pull(
    app: &TestApp,
    token: &str,
    since: &str,
    first: i64,
    area: Value,
) -> (Vec<Value>, String) {
    pull_with(app, CHANGES, token, since, first, area).await
}

/// [`pull`], selecting with `query`.
async fn pull_with(
    app: &TestApp,
    query: &str,
    token: &str,
    since: &str,
    first: i64,
    area: Value,
) -> (Vec<Value>, String) {
    let mut cursor = since.to_owned();
    let mut all = Vec::new();
    loop {
        let answer = app
            .gql(
                Some(token),
                query,
                json!({ "since": cursor, "first": first, "area": area }),
            )
            .await;
        let feed = answer.data()["changes"].clone();
        all.extend(feed["changes"].as_array().expect("changes").iter().cloned());
        cursor = feed["nextCursor"].as_str().expect("cursor").to_owned();
        if feed["hasMore"] == false {
            return (all, cursor);
        }
    }
}

/// Waits until every committed change is deliverable: on PostgreSQL a transaction still
/// open anywhere on the server (another test's, too) holds the delivery bound back for a
/// moment. Tests that count exactly call this after their writes.
async fn settle(app: &TestApp) {
    if !on_postgres() {
        return;
    }
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    loop {
        let waiting = app
            .db
            .query_one_raw(Statement::from_string(
                DbBackend::Postgres,
                "SELECT COUNT(*) AS n FROM change_log WHERE xid >= pg_snapshot_xmin(pg_current_snapshot())::text::bigint",
            ))
            .await
            .expect("bound")
            .expect("row")
            .try_get::<i64>("", "n")
            .expect("n");
        if waiting == 0 || std::time::Instant::now() > deadline {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
}

/// Every change-log position in the database, as cursors.
async fn log_positions(app: &TestApp) -> BTreeSet<String> {
    app.db
        .query_all_raw(Statement::from_string(
            app.db.get_database_backend(),
            "SELECT xid, seq FROM change_log",
        ))
        .await
        .expect("log")
        .into_iter()
        .map(|r| {
            let xid: i64 = r.try_get("", "xid").expect("xid");
            let seq: i64 = r.try_get("", "seq").expect("seq");
            format!("{xid}.{seq}")
        })
        .collect()
}

/// `changes` without the catalogue (items and kits: the seeded ones come first).
fn without_catalogue(changes: Vec<Value>) -> Vec<Value> {
    changes
        .into_iter()
        .filter(|c| c["entity"] != "ITEM" && c["entity"] != "KIT")
        .collect()
}

/// How many change-log rows are about the catalogue.
async fn catalogue_rows(app: &TestApp) -> usize {
    app.db
        .query_all_raw(Statement::from_string(
            app.db.get_database_backend(),
            "SELECT seq FROM change_log WHERE entity IN ('item', 'kit')",
        ))
        .await
        .expect("log")
        .len()
}

fn site_in(code: &str, lat: f64, admin2: &str) -> Value {
    let mut input = fixtures::site_input(code, lat, 13.15);
    input["admin2Pcode"] = json!(admin2);
    input
}

#[tokio::test]
async fn sync_from_zero_delivers_every_change_once_and_closures_as_tombstones() {
    let app = spawn_app().await;
    fixtures::round(&app, 1).await;
    let open = fixtures::site(&app, site_in("CCCM-NG002001-0001", 11.84, "NG002001")).await;
    let closing = fixtures::site(&app, site_in("CCCM-NG002001-0002", 11.85, "NG002001")).await;
    app.admin(
        fixtures::SUBMIT,
        json!({ "i": fixtures::assessment_input(&open, 1, "2024-03-01", 10, 50) }),
    )
    .await
    .data();
    settle(&app).await;
    let (first_pass, cursor) = pull(&app, &app.admin_token, "0", 2, Value::Null).await;
    let first_pass = without_catalogue(first_pass);
    assert_eq!(first_pass.len(), 4, "round, two sites, one assessment");
    app.admin(
        "mutation($id: UUID!) { closeSite(id: $id, version: 1, status: MERGED, closedOn: \"2024-05-01\") { version } }",
        json!({ "id": closing }),
    )
    .await
    .data();
    settle(&app).await;
    let (second_pass, end) = pull(&app, &app.admin_token, &cursor, 2, Value::Null).await;
    assert_eq!(second_pass.len(), 1);
    assert_eq!(
        (
            &second_pass[0]["entityId"],
            &second_pass[0]["operation"],
            &second_pass[0]["tombstone"],
            &second_pass[0]["site"]
        ),
        (
            &json!(closing),
            &json!("CLOSE"),
            &json!("MERGED"),
            &Value::Null
        )
    );
    // Nothing new: the cursor stays and the page is empty.
    let (none, same) = pull(&app, &app.admin_token, &end, 2, Value::Null).await;
    assert!(none.is_empty());
    assert_eq!(same, end);
    // From zero again: every change once, in order; the closed site's earlier creation now
    // resolves to its tombstone too (a device applying them ends without it).
    let (everything, _) = pull(&app, &app.admin_token, "0", 100, Value::Null).await;
    let cursors: Vec<String> = everything
        .iter()
        .map(|c| c["cursor"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(
        cursors.iter().cloned().collect::<BTreeSet<_>>(),
        log_positions(&app).await
    );
    assert_eq!(cursors.len(), 5 + catalogue_rows(&app).await);
    let creation = everything
        .iter()
        .find(|c| c["entityId"] == json!(closing) && c["operation"] == "CREATE")
        .unwrap();
    assert_eq!(creation["tombstone"], "MERGED");
    let live = everything
        .iter()
        .find(|c| c["entity"] == "ASSESSMENT")
        .unwrap();
    assert_eq!(live["assessment"]["households"], 10);
    let bad = app.admin(CHANGES, json!({ "since": "not-a-cursor" })).await;
    assert_eq!(bad.code(), "BAD_USER_INPUT");
}

#[tokio::test]
async fn an_enumerator_only_ever_receives_sites_in_its_area_and_a_tombstone_when_one_leaves() {
    let app = spawn_app().await;
    fixtures::round(&app, 1).await;
    let inside = fixtures::site(&app, site_in("CCCM-NG002001-0001", 11.84, "NG002001")).await;
    let outside = fixtures::site(&app, site_in("CCCM-NG002002-0001", 11.90, "NG002002")).await;
    for site in [&inside, &outside] {
        app.admin(
            fixtures::SUBMIT,
            json!({ "i": fixtures::assessment_input(site, 1, "2024-03-01", 10, 50) }),
        )
        .await
        .data();
    }
    let org = app.organisation("NRC").await;
    let enumerator = app
        .token_for(
            Role::Enumerator,
            Some(org),
            AccountArea {
                cells: Vec::new(),
                pcodes: vec![PCode::parse("", "NG002001").unwrap()],
            },
        )
        .await;
    settle(&app).await;
    // Asking for the other area changes nothing: an enumerator's area is its account's.
    let (changes, cursor) =
        pull(&app, &enumerator, "0", 1, json!({ "pcodes": ["NG002002"] })).await;
    let changes = without_catalogue(changes);
    let ids: Vec<&Value> = changes.iter().map(|c| &c["entityId"]).collect();
    assert!(!ids.contains(&&json!(outside)), "{changes:#?}");
    assert_eq!(
        changes.len(),
        3,
        "the round, the inside site, its assessment"
    );
    for change in &changes {
        assert!(change["site"].is_null() || change["site"]["admin2Pcode"] == "NG002001");
    }
    // The inside site moves out of the area: the device gets a tombstone, not the site.
    let mut moved = site_in("CCCM-NG002001-0001", 11.84, "NG002002");
    moved["admin2Pcode"] = json!("NG002002");
    app.admin(
        "mutation($id: UUID!, $i: SiteInput!) { updateSite(id: $id, version: 1, input: $i) { version } }",
        json!({ "id": inside, "i": moved }),
    )
    .await
    .data();
    settle(&app).await;
    let (after, _) = pull(&app, &enumerator, &cursor, 10, Value::Null).await;
    assert_eq!(after.len(), 1, "{after:#?}");
    assert_eq!(
        (
            &after[0]["entityId"],
            &after[0]["tombstone"],
            &after[0]["site"]
        ),
        (&json!(inside), &json!("LEFT_AREA"), &Value::Null)
    );
    // From zero, nothing about a site outside the area is live.
    let (replay, _) = pull(&app, &enumerator, "0", 10, Value::Null).await;
    assert!(
        replay
            .iter()
            .all(|c| c["site"].is_null() && c["assessment"].is_null() || c["entity"] == "ROUND"),
        "{replay:#?}"
    );
    // An admin asking for an area gets that area.
    let (admin_view, _) = pull(
        &app,
        &app.admin_token,
        "0",
        10,
        json!({ "pcodes": ["NG002002"] }),
    )
    .await;
    let live_sites: BTreeSet<&str> = admin_view
        .iter()
        .filter_map(|c| c["site"]["id"].as_str())
        .collect();
    assert_eq!(
        live_sites,
        [inside.as_str(), outside.as_str()].into_iter().collect()
    );
}

/// The naive reader the change log replaces: `seq > last ORDER BY seq`. It is run beside
/// the real one to show what it would have missed; only the real one is asserted on.
async fn naive_reader(app: &TestApp, done: Arc<AtomicBool>) -> BTreeSet<i64> {
    let mut last = 0_i64;
    let mut seen = BTreeSet::new();
    loop {
        let finished = done.load(Ordering::SeqCst);
        let rows = app
            .db
            .query_all_raw(Statement::from_string(
                app.db.get_database_backend(),
                format!("SELECT seq FROM change_log WHERE seq > {last} ORDER BY seq LIMIT 3"),
            ))
            .await
            .expect("naive read");
        for row in &rows {
            let seq: i64 = row.try_get("", "seq").expect("seq");
            seen.insert(seq);
            last = seq;
        }
        if finished && rows.is_empty() {
            return seen;
        }
    }
}

#[tokio::test]
async fn paging_while_others_write_delivers_every_change_exactly_once() {
    let app = Arc::new(spawn_app().await);
    fixtures::round(&app, 1).await;
    let writers: u8 = 8;
    let per_writer = if on_postgres() { 30 } else { 12 };
    let mut sites = Vec::new();
    for w in 0..writers {
        sites.push(
            fixtures::site(
                &app,
                site_in(
                    &format!("CCCM-NG002001-{:04}", u32::from(w) + 1),
                    11.80 + f64::from(w) / 100.0,
                    "NG002001",
                ),
            )
            .await,
        );
    }
    let done = Arc::new(AtomicBool::new(false));
    let mut tasks = Vec::new();
    for (w, site) in sites.iter().cloned().enumerate() {
        let app = Arc::clone(&app);
        tasks.push(tokio::spawn(async move {
            for i in 0..per_writer {
                let households = i64::try_from(w * 1000 + i + 1).unwrap();
                let answer = app
                    .admin(
                        fixtures::SUBMIT,
                        json!({ "i": fixtures::assessment_input(&site, 1, "2024-03-01", households, households) }),
                    )
                    .await;
                answer.data();
                if i % 5 == 4 {
                    let version = app
                        .admin(
                            "query($id: UUID!) { site(id: $id) { version } }",
                            json!({ "id": site }),
                        )
                        .await
                        .data()["site"]["version"]
                        .clone();
                    app.admin(
                        "mutation($id: UUID!, $v: Int!) { closeSite(id: $id, version: $v, status: CLOSED, closedOn: \"2024-05-01\") { version } }",
                        json!({ "id": site, "v": version }),
                    )
                    .await
                    .data();
                    app.admin(
                        "mutation($id: UUID!, $v: Int!) { reopenSite(id: $id, version: $v) { version } }",
                        json!({ "id": site, "v": version.as_i64().unwrap() + 1 }),
                    )
                    .await
                    .data();
                }
            }
        }));
    }
    let naive = {
        let (app, done) = (Arc::clone(&app), Arc::clone(&done));
        tokio::spawn(async move { naive_reader(&app, done).await })
    };
    // The device pages through while the writers write.
    let mut cursor = "0".to_owned();
    let mut delivered: HashMap<String, usize> = HashMap::new();
    loop {
        let finished = tasks.iter().all(tokio::task::JoinHandle::is_finished);
        let answer = app
            .admin(CHANGES, json!({ "since": cursor, "first": 3 }))
            .await;
        let feed = answer.data()["changes"].clone();
        for change in feed["changes"].as_array().unwrap() {
            let c = change["cursor"].as_str().unwrap().to_owned();
            *delivered.entry(c).or_default() += 1;
        }
        cursor = feed["nextCursor"].as_str().unwrap().to_owned();
        if finished && feed["hasMore"] == false {
            break;
        }
    }
    for task in tasks {
        task.await.expect("writer");
    }
    done.store(true, Ordering::SeqCst);
    let naive_seen = naive.await.expect("naive reader");
    let all = log_positions(&app).await;
    let writers = usize::from(writers);
    let expected = catalogue_rows(&app).await
        + 1
        + writers
        + writers * per_writer
        + 2 * writers * (per_writer / 5);
    assert_eq!(all.len(), expected);
    // Every writer has finished. On PostgreSQL a transaction still open anywhere on the
    // server (another database's, too) holds the delivery bound back for a moment; what
    // is committed must still arrive, each change once.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while delivered.len() < all.len() && std::time::Instant::now() < deadline {
        let (tail, next) = pull(&app, &app.admin_token, &cursor, 50, Value::Null).await;
        for change in &tail {
            *delivered
                .entry(change["cursor"].as_str().unwrap().to_owned())
                .or_default() += 1;
        }
        cursor = next;
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let twice: Vec<_> = delivered.iter().filter(|(_, n)| **n > 1).collect();
    assert!(twice.is_empty(), "delivered more than once: {twice:?}");
    let missed: Vec<_> = all.iter().filter(|c| !delivered.contains_key(*c)).collect();
    assert!(
        missed.is_empty(),
        "never delivered: {missed:?} of {}",
        all.len()
    );
    assert_eq!(delivered.len(), all.len());
    let naive_missed = all.len() - naive_seen.len();
    eprintln!(
        "change log: {} changes, all delivered once; a bare-sequence reader beside it missed {naive_missed}",
        all.len()
    );
}

#[tokio::test]
async fn a_change_committed_after_a_later_numbered_one_is_still_delivered() {
    // The PostgreSQL hazard, made deterministic: a writer takes its log number, then
    // commits after a later-numbered writer. (SQLite has one writer at a time: a writer
    // held open would only block the other, so the interleaving cannot happen there.)
    if !on_postgres() {
        return;
    }
    let app = spawn_app().await;
    fixtures::round(&app, 1).await;
    // Start past the round's creation, however long other databases' transactions on the
    // shared server hold the delivery bound back.
    let mut start = "0".to_owned();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    loop {
        let (seen, next) = pull(&app, &app.admin_token, &start, 10, Value::Null).await;
        start = next;
        if seen.iter().any(|c| c["entity"] == "ROUND") || std::time::Instant::now() > deadline {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let round_id = app
        .admin("{ rounds { edges { node { id } } } }", json!({}))
        .await
        .data()["rounds"]["edges"][0]["node"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    // The slow writer: its change-log row is numbered first and stays uncommitted.
    let slow = app.db.begin().await.expect("begin");
    slow.execute_raw(Statement::from_sql_and_values(
        DbBackend::Postgres,
        "INSERT INTO change_log (xid, at, entity, entity_id, operation) VALUES (pg_current_xact_id()::text::bigint, $1, 'round', $2, 'UPDATE')",
        [chrono::Utc::now().into(), round_id.clone().into()],
    ))
    .await
    .expect("slow write");
    // A faster writer commits a later-numbered change; the device syncs meanwhile.
    let site = fixtures::site(&app, site_in("CCCM-NG002001-0001", 11.84, "NG002001")).await;
    let (early, cursor) = pull(&app, &app.admin_token, &start, 10, Value::Null).await;
    slow.commit().await.expect("commit");
    settle(&app).await;
    let (late, _) = pull(&app, &app.admin_token, &cursor, 10, Value::Null).await;
    let delivered: Vec<(Value, Value)> = early
        .iter()
        .chain(&late)
        .map(|c| (c["entity"].clone(), c["entityId"].clone()))
        .collect();
    assert_eq!(
        delivered,
        [
            (json!("ROUND"), json!(round_id)),
            (json!("SITE"), json!(site))
        ],
        "each change once, the slow one included"
    );
}

const LEDGER_CHANGES: &str = "query($since: String, $first: Int, $area: SyncAreaInput) { changes(since: $since, first: $first, area: $area) { nextCursor hasMore changes { cursor entity entityId operation tombstone site { id } distribution { id status site { code } } stockMovement { id kind quantity warehouse { code } } item { code } kit { code } } } }";

/// What a device holds after applying `changes` in order: live records by (entity, id).
fn held(changes: &[Value]) -> BTreeSet<(String, String)> {
    let mut state: BTreeSet<(String, String)> = BTreeSet::new();
    for c in changes {
        let key = (
            c["entity"].as_str().unwrap().to_owned(),
            c["entityId"].as_str().unwrap().to_owned(),
        );
        if c["tombstone"].is_null() {
            state.insert(key);
        } else {
            state.remove(&key);
        }
    }
    state
}

fn of(state: &BTreeSet<(String, String)>, entity: &str) -> BTreeSet<String> {
    state
        .iter()
        .filter(|(e, _)| e == entity)
        .map(|(_, id)| id.clone())
        .collect()
}

/// The ids a list query answers as `token`.
async fn listed(app: &TestApp, token: &str, list: &str) -> BTreeSet<String> {
    let answer = app
        .gql(
            Some(token),
            &format!("{{ {list}(first: 100) {{ edges {{ node {{ id }} }} }} }}"),
            json!({}),
        )
        .await;
    answer.data()[list]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["node"]["id"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn distributions_movements_and_the_catalogue_reach_exactly_the_devices_that_may_see_them() {
    let app = spawn_app().await;
    let inside = fixtures::site(&app, site_in("CCCM-NG002001-0001", 11.84, "NG002001")).await;
    let outside = fixtures::site(&app, site_in("CCCM-NG002002-0001", 11.90, "NG002002")).await;
    let nrc = app.organisation("NRC").await;
    let orgb = app.organisation("ORGB").await;
    let nrc_store = fixtures::warehouse(&app, None, "WH-NRC", Some("NRC")).await;
    let orgb_store = fixtures::warehouse(&app, None, "WH-ORGB", Some("ORGB")).await;
    let area = AccountArea {
        cells: Vec::new(),
        pcodes: vec![PCode::parse("", "NG002001").unwrap()],
    };
    let enumerator = app.token_for(Role::Enumerator, Some(orgb), area).await;
    let partner_nrc = app
        .token_for(Role::Partner, Some(nrc), AccountArea::default())
        .await;
    let partner_b = app
        .token_for(Role::Partner, Some(orgb), AccountArea::default())
        .await;
    for store in [&nrc_store, &orgb_store] {
        fixtures::record(
            &app,
            store,
            "BLANKET",
            "RECEIPT",
            10,
            "2024-03-01T08:00:00Z",
        )
        .await;
    }
    let record = "mutation($i: DistributionInput!) { recordDistribution(input: $i) { distribution { id version } } }";
    let given = |site: &str, org: &str, store: Option<&str>| {
        json!({
            "clientUuid": uuid::Uuid::new_v4(), "siteId": site, "implementingOrganisationCode": org,
            "startsOn": "2024-03-12", "modality": if store.is_some() { "IN_KIND" } else { "CASH" },
            "status": "COMPLETED", "households": 2, "individuals": 9,
            "lines": if store.is_some() { json!([{ "itemCode": "BLANKET", "quantityDistributed": 2 }]) } else { json!([]) },
            "sourceWarehouseId": store
        })
    };
    let here = app
        .admin(
            record,
            json!({ "i": given(&inside, "NRC", Some(&nrc_store)) }),
        )
        .await
        .data()["recordDistribution"]["distribution"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let there = app
        .admin(record, json!({ "i": given(&outside, "ORGB", None) }))
        .await
        .data()["recordDistribution"]["distribution"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let soap = app
        .admin("mutation { createItem(input: { code: \"SOAP\", nameEn: \"Soap\", nameFr: \"Savon\", unit: PIECE, category: WASH }) { id } }", json!({}))
        .await
        .data()["createItem"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    settle(&app).await;

    // The enumerator: the distribution in its area (any organisation's), never the one
    // outside, no stock at all; the catalogue.
    let (seen, enum_cursor) =
        pull_with(&app, LEDGER_CHANGES, &enumerator, "0", 3, Value::Null).await;
    let state = held(&seen);
    assert_eq!(
        of(&state, "DISTRIBUTION"),
        [here.clone()].into_iter().collect()
    );
    assert!(
        seen.iter()
            .all(|c| c["entity"] != "STOCK_MOVEMENT" && c["entityId"] != json!(there)),
        "{seen:#?}"
    );
    assert!(of(&state, "ITEM").contains(&soap));
    // The whole catalogue, the seeded items and kits included.
    assert_eq!(of(&state, "ITEM"), listed(&app, &enumerator, "items").await);
    assert_eq!(of(&state, "KIT"), listed(&app, &enumerator, "kits").await);
    assert!(!of(&state, "KIT").is_empty());
    assert_eq!(
        of(&state, "DISTRIBUTION"),
        listed(&app, &enumerator, "distributions").await
    );

    // Partners: their own organisation's distributions and stock movements, nothing else.
    let (nrc_seen, nrc_cursor) =
        pull_with(&app, LEDGER_CHANGES, &partner_nrc, "0", 50, Value::Null).await;
    let nrc_state = held(&nrc_seen);
    assert_eq!(
        of(&nrc_state, "DISTRIBUTION"),
        [here.clone()].into_iter().collect()
    );
    assert_eq!(
        of(&nrc_state, "DISTRIBUTION"),
        listed(&app, &partner_nrc, "distributions").await
    );
    assert_eq!(
        of(&nrc_state, "STOCK_MOVEMENT").len(),
        2,
        "its receipt and the dispatch"
    );
    assert_eq!(
        of(&nrc_state, "STOCK_MOVEMENT"),
        listed(&app, &partner_nrc, "stockMovements").await
    );
    assert!(nrc_seen.iter().all(
        |c| c["stockMovement"].is_null() || c["stockMovement"]["warehouse"]["code"] == "WH-NRC"
    ));
    let (b_seen, _) = pull_with(&app, LEDGER_CHANGES, &partner_b, "0", 50, Value::Null).await;
    let b_state = held(&b_seen);
    assert_eq!(
        of(&b_state, "DISTRIBUTION"),
        [there.clone()].into_iter().collect()
    );
    assert_eq!(
        of(&b_state, "STOCK_MOVEMENT"),
        listed(&app, &partner_b, "stockMovements").await
    );
    assert_eq!(of(&b_state, "STOCK_MOVEMENT").len(), 1);
    assert!(
        b_seen.iter().all(|c| c["entityId"] != json!(here)),
        "never a word about NRC's"
    );

    // Cancelling it returns the stock: the enumerator gets the new status, the partner the
    // reversal too.
    app.admin(
        "mutation($id: UUID!) { setDistributionStatus(id: $id, version: 1, status: CANCELLED) { version } }",
        json!({ "id": here }),
    )
    .await
    .data();
    settle(&app).await;
    let (after, enum_cursor) = pull_with(
        &app,
        LEDGER_CHANGES,
        &enumerator,
        &enum_cursor,
        10,
        Value::Null,
    )
    .await;
    assert_eq!(after.len(), 1, "{after:#?}");
    assert_eq!(
        (
            &after[0]["entity"],
            &after[0]["operation"],
            &after[0]["distribution"]["status"]
        ),
        (
            &json!("DISTRIBUTION"),
            &json!("STATUS"),
            &json!("CANCELLED")
        )
    );
    let (nrc_after, _) = pull_with(
        &app,
        LEDGER_CHANGES,
        &partner_nrc,
        &nrc_cursor,
        10,
        Value::Null,
    )
    .await;
    let kinds: Vec<&Value> = nrc_after.iter().map(|c| &c["entity"]).collect();
    assert_eq!(
        kinds,
        [&json!("DISTRIBUTION"), &json!("STOCK_MOVEMENT")],
        "{nrc_after:#?}"
    );
    assert_eq!(nrc_after[1]["stockMovement"]["quantity"], 2);

    // The site moves out of the enumerator's area: the site and its distribution leave.
    let mut moved = site_in("CCCM-NG002001-0001", 11.84, "NG002002");
    moved["admin2Pcode"] = json!("NG002002");
    app.admin(
        "mutation($id: UUID!, $i: SiteInput!) { updateSite(id: $id, version: 1, input: $i) { version } }",
        json!({ "id": inside, "i": moved }),
    )
    .await
    .data();
    settle(&app).await;
    let (left, _) = pull_with(
        &app,
        LEDGER_CHANGES,
        &enumerator,
        &enum_cursor,
        10,
        Value::Null,
    )
    .await;
    let gone: BTreeSet<(String, String)> = left
        .iter()
        .map(|c| {
            assert_eq!(c["tombstone"], "LEFT_AREA", "{c:#}");
            (
                c["entity"].as_str().unwrap().to_owned(),
                c["entityId"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(
        gone,
        [
            ("SITE".to_owned(), inside.clone()),
            ("DISTRIBUTION".to_owned(), here.clone())
        ]
        .into_iter()
        .collect()
    );
    let (from_zero, _) = pull_with(&app, LEDGER_CHANGES, &enumerator, "0", 50, Value::Null).await;
    assert!(of(&held(&from_zero), "DISTRIBUTION").is_empty());
    assert!(listed(&app, &enumerator, "distributions").await.is_empty());
}
