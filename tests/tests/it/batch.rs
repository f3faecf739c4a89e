//! Batch submissions and edits from the field: every item answered on its own, resends are
//! duplicates, reused client UUIDs and stale versions are conflicts, nothing is stored twice.

use camptrack::config::ServeArgs;
use camptrack_domain::codes::Role;
use camptrack_tests::{TestApp, fixtures, spawn_app, spawn_app_with};
use serde_json::{Value, json};

/// The batch mutation, selecting what the tests check.
pub const SUBMIT_BATCH: &str = "mutation($items: [AssessmentInput!]!) { submitAssessments(items: $items) { accepted duplicates conflicts rejected retry items { index clientUuid status message conflictingFields errors { field reason } record { id version households reviewStatus reviewNote clientApp clientAppVersion deviceId receivedAt capturedAt } } } }";

const UPDATE_BATCH: &str = "mutation($items: [AssessmentEditInput!]!) { updateAssessments(items: $items) { accepted duplicates conflicts rejected items { index clientUuid status message conflictingFields errors { field reason } record { id version households } } } }";

/// Two rounds and one site; returns the site id.
pub async fn site_with_rounds(app: &TestApp) -> String {
    for n in 1..=2 {
        fixtures::round(app, n).await;
    }
    fixtures::site(
        app,
        fixtures::site_input("CCCM-NG002001-0001", 11.84, 13.15),
    )
    .await
}

/// `n` valid assessment inputs for `site`, each with its own client UUID.
pub fn items(site: &str, n: usize) -> Vec<Value> {
    (0..n)
        .map(|i| {
            let households = i64::try_from(10 + i).expect("small");
            fixtures::assessment_input(site, 1, "2024-03-01", households, households * 5)
        })
        .collect()
}

async fn stored_count(app: &TestApp) -> i64 {
    app.admin("{ assessments { totalCount } }", json!({}))
        .await
        .data()["assessments"]["totalCount"]
        .as_i64()
        .expect("count")
}

fn statuses(answer: &Value) -> Vec<String> {
    answer["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|i| i["status"].as_str().expect("status").to_owned())
        .collect()
}

#[tokio::test]
async fn the_same_batch_sent_three_times_stores_each_assessment_once() {
    let app = spawn_app().await;
    let site = site_with_rounds(&app).await;
    let batch = items(&site, 5);
    let first = app
        .admin(SUBMIT_BATCH, json!({ "items": batch }))
        .await
        .data()["submitAssessments"]
        .clone();
    assert_eq!(statuses(&first), vec!["ACCEPTED"; 5]);
    assert_eq!(first["accepted"], 5);
    for _ in 0..2 {
        let again = app
            .admin(SUBMIT_BATCH, json!({ "items": batch }))
            .await
            .data()["submitAssessments"]
            .clone();
        assert_eq!(statuses(&again), vec!["DUPLICATE"; 5]);
        for (a, b) in first["items"]
            .as_array()
            .unwrap()
            .iter()
            .zip(again["items"].as_array().unwrap())
        {
            assert_eq!(a["record"]["id"], b["record"]["id"], "the stored record");
            assert_eq!(a["clientUuid"], b["clientUuid"]);
        }
    }
    assert_eq!(stored_count(&app).await, 5);
}

#[tokio::test]
async fn identical_batches_sent_concurrently_from_two_connections_store_each_assessment_once() {
    let app = spawn_app().await;
    let site = site_with_rounds(&app).await;
    let batch = items(&site, 25);
    let url = format!("{}/graphql", app.address);
    let body = json!({ "query": SUBMIT_BATCH, "variables": { "items": batch } });
    // Two clients: two TCP connections, two server tasks, two database connections.
    let send = |client: reqwest::Client| {
        let (url, body, token) = (url.clone(), body.clone(), app.admin_token.clone());
        async move {
            client
                .post(url)
                .bearer_auth(token)
                .json(&body)
                .send()
                .await
                .expect("send")
                .json::<Value>()
                .await
                .expect("json")
        }
    };
    let (a, b) = tokio::join!(send(reqwest::Client::new()), send(reqwest::Client::new()));
    let (a, b) = (
        &a["data"]["submitAssessments"],
        &b["data"]["submitAssessments"],
    );
    assert_eq!(
        a["accepted"].as_i64().unwrap() + b["accepted"].as_i64().unwrap(),
        25,
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
        assert_eq!(pair, ["ACCEPTED", "DUPLICATE"]);
        assert_eq!(x["record"]["id"], y["record"]["id"]);
    }
    assert_eq!(stored_count(&app).await, 25);
}

#[tokio::test]
async fn a_mixed_batch_answers_each_item_and_stores_exactly_the_valid_ones() {
    let app = spawn_app().await;
    let site = site_with_rounds(&app).await;
    let stored = fixtures::assessment_input(&site, 1, "2024-03-01", 40, 200);
    app.admin(fixtures::SUBMIT, json!({ "i": stored }))
        .await
        .data();
    let mut conflicting = stored.clone();
    conflicting["households"] = json!(41);
    conflicting["priorityNeeds"] = json!(["WATER"]);
    let mut invalid = fixtures::assessment_input(&site, 1, "2024-03-01", 40, 200);
    invalid["sadd"] = json!([
        { "sex": "F", "ageMin": 0, "ageMax": 4, "count": 10 },
        { "sex": "M", "ageMin": 0, "ageMax": 4, "count": 10 },
        { "sex": "M", "ageMin": 18, "ageMax": 300, "count": 10 }
    ]);
    let unknown_round = fixtures::assessment_input(&site, 9, "2024-03-01", 40, 200);
    let batch = json!([
        fixtures::assessment_input(&site, 1, "2024-03-02", 50, 250),
        stored,
        conflicting,
        invalid,
        fixtures::assessment_input(&site, 2, "2024-06-01", 60, 300),
        unknown_round,
    ]);
    let answer = app.admin(SUBMIT_BATCH, json!({ "items": batch })).await;
    let result = &answer.data()["submitAssessments"];
    assert_eq!(
        statuses(result),
        [
            "ACCEPTED",
            "DUPLICATE",
            "CONFLICT",
            "REJECTED",
            "ACCEPTED",
            "REJECTED"
        ]
    );
    assert_eq!(
        (
            &result["accepted"],
            &result["duplicates"],
            &result["conflicts"],
            &result["rejected"]
        ),
        (&json!(2), &json!(1), &json!(1), &json!(2))
    );
    let conflict = &result["items"][2];
    assert_eq!(
        conflict["conflictingFields"],
        json!([
            "content.figures.households",
            "content.figures.priority_needs"
        ]),
        "{conflict:#}"
    );
    assert_eq!(
        conflict["record"]["households"], 40,
        "the stored record, unchanged"
    );
    assert_eq!(
        result["items"][3]["errors"][0]["field"],
        "items.3.sadd.2.ageMax"
    );
    assert_eq!(
        result["items"][5]["errors"][0]["field"],
        "items.5.roundNumber"
    );
    assert!(result["items"][3]["record"].is_null());
    assert_eq!(stored_count(&app).await, 3, "the stored one and two new");
}

#[tokio::test]
async fn more_items_than_the_configured_limit_are_refused_and_nothing_is_stored() {
    let mut settings = ServeArgs::parse_from(["serve"]);
    settings.max_batch_items = 3;
    let app = spawn_app_with(settings).await;
    let site = site_with_rounds(&app).await;
    let answer = app
        .admin(SUBMIT_BATCH, json!({ "items": items(&site, 4) }))
        .await;
    assert_eq!(answer.code(), "LIMIT_EXCEEDED", "{:#}", answer.body);
    assert_eq!(stored_count(&app).await, 0);
    let ok = app
        .admin(SUBMIT_BATCH, json!({ "items": items(&site, 3) }))
        .await;
    assert_eq!(ok.data()["submitAssessments"]["accepted"], 3);
}

#[tokio::test]
async fn stale_version_edits_conflict_with_the_current_record_and_resent_edits_are_duplicates() {
    let app = spawn_app().await;
    let site = site_with_rounds(&app).await;
    let input = fixtures::assessment_input(&site, 1, "2024-03-01", 40, 200);
    let client_uuid = input["clientUuid"].clone();
    let id = app
        .admin(fixtures::SUBMIT, json!({ "i": input.clone() }))
        .await
        .data()["submitAssessment"]["assessment"]["id"]
        .clone();
    let edit = |version: i64, households: i64, by_client_uuid: bool| {
        let mut item = input.clone();
        item.as_object_mut().unwrap().remove("siteId");
        item.as_object_mut().unwrap().remove("clientUuid");
        item["households"] = json!(households);
        item["version"] = json!(version);
        if by_client_uuid {
            item["clientUuid"] = client_uuid.clone();
        } else {
            item["id"] = id.clone();
        }
        item
    };
    // The device edits version 1 and the answer is lost; it resends the same edit.
    let first = app
        .admin(UPDATE_BATCH, json!({ "items": [edit(1, 45, false)] }))
        .await;
    let first = &first.data()["updateAssessments"]["items"][0];
    assert_eq!(
        (&first["status"], &first["record"]["version"]),
        (&json!("ACCEPTED"), &json!(2))
    );
    let resent = app
        .admin(UPDATE_BATCH, json!({ "items": [edit(1, 45, true)] }))
        .await;
    assert_eq!(
        resent.data()["updateAssessments"]["items"][0]["status"],
        "DUPLICATE"
    );
    // Another device still holds version 1 and edits something else: a conflict carrying
    // the current record; nothing is overwritten.
    let stale = app
        .admin(
            UPDATE_BATCH,
            json!({ "items": [edit(1, 47, false), edit(2, 48, true)] }),
        )
        .await;
    let items = &stale.data()["updateAssessments"]["items"];
    assert_eq!(items[0]["status"], "CONFLICT");
    assert_eq!(items[0]["record"]["version"], 2);
    assert_eq!(items[0]["record"]["households"], 45);
    assert_eq!(
        items[0]["conflictingFields"],
        json!(["content.figures.households"])
    );
    assert_eq!(
        items[1]["status"], "ACCEPTED",
        "the item with the current version still applies"
    );
    let history = app
        .admin(
            "query($id: UUID!) { assessment(id: $id) { version households history { version changedFields } } }",
            json!({ "id": id }),
        )
        .await;
    let a = &history.data()["assessment"];
    assert_eq!((&a["version"], &a["households"]), (&json!(3), &json!(48)));
    assert_eq!(a["history"].as_array().unwrap().len(), 3);
    assert_eq!(
        a["history"][1]["changedFields"],
        json!(["content.figures.households"])
    );
    let neither = app
        .admin(
            UPDATE_BATCH,
            json!({ "items": [{ "version": 1, "roundNumber": 1, "assessedOn": "2024-03-01", "households": 1, "individuals": 5 }] }),
        )
        .await;
    let item = &neither.data()["updateAssessments"]["items"][0];
    assert_eq!(
        (&item["status"], &item["errors"][0]["field"]),
        (&json!("REJECTED"), &json!("items.0.id"))
    );
}

#[tokio::test]
async fn a_capture_time_far_ahead_of_the_server_is_accepted_flagged_and_the_app_is_recorded() {
    let app = spawn_app().await;
    let site = site_with_rounds(&app).await;
    let mut ahead = fixtures::assessment_input(&site, 1, "2024-03-01", 40, 200);
    ahead["capturedAt"] = json!((chrono::Utc::now() + chrono::TimeDelta::days(3)).to_rfc3339());
    ahead.as_object_mut().unwrap().remove("deviceId");
    let normal = fixtures::assessment_input(&site, 1, "2024-03-02", 40, 200);
    let response: Value = app
        .http
        .post(format!("{}/graphql", app.address))
        .bearer_auth(&app.admin_token)
        .header("X-Client-App", "ODK Collect/2024.2")
        .header("X-Device-Id", "tablet-07")
        .json(&json!({ "query": SUBMIT_BATCH, "variables": { "items": [ahead, normal] } }))
        .send()
        .await
        .expect("send")
        .json()
        .await
        .expect("json");
    let items = &response["data"]["submitAssessments"]["items"];
    assert_eq!(items[0]["status"], "ACCEPTED", "{response:#}");
    let flagged = &items[0]["record"];
    assert_eq!(flagged["reviewStatus"], "NEEDS_FOLLOW_UP");
    assert!(
        flagged["reviewNote"]
            .as_str()
            .unwrap()
            .contains("device clock"),
        "{flagged:#}"
    );
    assert_eq!(
        (
            &flagged["clientApp"],
            &flagged["clientAppVersion"],
            &flagged["deviceId"]
        ),
        (&json!("ODK Collect"), &json!("2024.2"), &json!("tablet-07"))
    );
    assert_eq!(items[1]["record"]["reviewStatus"], "SUBMITTED");
    assert_ne!(items[1]["record"]["receivedAt"], Value::Null);
}

#[tokio::test]
async fn submission_status_answers_what_is_held_and_hides_other_organisations_records() {
    let app = spawn_app().await;
    let site = site_with_rounds(&app).await;
    let (org_a, org_b) = (
        app.organisation("ORGA").await,
        app.organisation("ORGB").await,
    );
    let enumerator = app
        .token_for(Role::Enumerator, Some(org_a), Default::default())
        .await;
    let partner_b = app
        .token_for(Role::Partner, Some(org_b), Default::default())
        .await;
    let input = fixtures::assessment_input(&site, 1, "2024-03-01", 40, 200);
    let uuid = input["clientUuid"].clone();
    app.gql(Some(&enumerator), SUBMIT_BATCH, json!({ "items": [input] }))
        .await
        .data();
    let unknown = uuid::Uuid::new_v4();
    let query = "query($u: [UUID!]!) { submissionStatus(clientUuids: $u) { clientUuid known id version reviewStatus receivedAt assessment { households } } }";
    let mine = app
        .gql(Some(&enumerator), query, json!({ "u": [uuid, unknown] }))
        .await;
    let mine = &mine.data()["submissionStatus"];
    assert_eq!(mine[0]["known"], true);
    assert_eq!(
        (&mine[0]["version"], &mine[0]["reviewStatus"]),
        (&json!(1), &json!("SUBMITTED"))
    );
    assert_eq!(mine[0]["assessment"]["households"], 40);
    assert_eq!(
        (&mine[1]["known"], &mine[1]["id"]),
        (&json!(false), &Value::Null)
    );
    let theirs = app
        .gql(Some(&partner_b), query, json!({ "u": [uuid] }))
        .await;
    assert_eq!(
        theirs.data()["submissionStatus"][0],
        json!({ "clientUuid": uuid, "known": false, "id": null, "version": null, "reviewStatus": null, "receivedAt": null, "assessment": null })
    );
}
